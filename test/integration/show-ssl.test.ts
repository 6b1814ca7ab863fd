// `show` and `status` on an ssl: central: one ovsdb-server on pssl: serving OVN_Northbound and
// OVN_Southbound (pssl-server.ts: a CA, a server and a client credential made for it), the XAPI
// emulator for the pool. The one -p/-c/-C credential reaches both databases and every member's own
// `_Server` read; without it, an ssl: --sb alone is a usage error before anything connects.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { readCluster } from '../../lib/show/read-cluster-io.js'
import { connectSouthbound } from '../../lib/show/read-sb-io.js'
import { createEmulatedPool, type EmulatedPool } from '../../xapi-emulator/index.js'
import { memoryHosts, PASSWORD, remoteHosts } from '../../xapi-emulator/testing.js'
import type { ServerClientPki } from '../fixtures/pki.js'
import { NB_SCHEMA_PATH, SB_SCHEMA_PATH } from '../fixtures/ovn-schema.js'
import { waitFor } from './ovsdb-fixtures.js'
import { startPsslServer, type PsslServer } from './pssl-server.js'
import { spawnCli, type Ran } from './spawned-cli.js'

let server: PsslServer
let pki: ServerClientPki
let remote: string
let pool: EmulatedPool
/** A pool whose one host's chassis points at the ssl: southbound (its plugin answers status so). */
let sslChassisPool: EmulatedPool

const cli = (argv: readonly string[]): Promise<Ran> => spawnCli(argv, { XAPI_PASSWORD: PASSWORD })

const ssl = () => ({
  key: readFileSync(pki.client.keyPath, 'utf8'),
  cert: readFileSync(pki.client.certPath, 'utf8'),
  ca: readFileSync(pki.ca.certPath, 'utf8'),
})

before(async () => {
  server = await startPsslServer([NB_SCHEMA_PATH, SB_SCHEMA_PATH])
  pki = server.pki
  remote = server.remote
  await waitFor('the pssl listener', async () => {
    const c = await connectSouthbound(remote, { ssl: ssl(), timeoutMs: 1000 }).catch(() => undefined)
    await c?.close()
    return c === undefined ? undefined : true
  })
  pool = await createEmulatedPool({ hosts: memoryHosts(1), password: PASSWORD })
  sslChassisPool = await createEmulatedPool({
    hosts: remoteHosts(1, async (host) => ({
      argv: [],
      status: 0,
      signal: null,
      stdout: statusReply(host.uuid, remote),
      stderr: '',
    })),
    password: PASSWORD,
  })
})
after(async () => {
  await pool?.close()
  await sslChassisPool?.close()
  server?.stop()
})

test("readCluster: an ssl: member's _Server row with the credential, a problem without it", async () => {
  const withSsl = await readCluster(remote, 'OVN_Southbound', [], { ssl: ssl(), timeoutMs: 2000 })
  assert.equal(withSsl.members.length, 1)
  assert.equal(withSsl.members[0]?.problem, null)
  assert.equal(withSsl.members[0]?.server?.model, 'standalone')
  const without = await readCluster(remote, 'OVN_Southbound', [], { timeoutMs: 2000 })
  assert.equal(without.members[0]?.server, null)
  assert.notEqual(without.members[0]?.problem, null)
})

test('xapi-ovn show --nb ssl: --sb ssl: -p -c -C: both databases and both members read over SSL', async () => {
  const r = await cli([
    'show',
    '--url',
    pool.url,
    '--nb',
    remote,
    '--sb',
    remote,
    '-p',
    pki.client.keyPath,
    '-c',
    pki.client.certPath,
    '-C',
    pki.ca.certPath,
    '--no-host-ports',
    '--json',
  ])
  assert.equal(r.code, 0, r.stderr + r.stdout)
  const view = (JSON.parse(r.stdout) as { result: { clusters: Record<'nb' | 'sb', { members: unknown[] }> } }).result
  for (const db of ['nb', 'sb'] as const) {
    const members = view.clusters[db].members as { remote: string; reachable: boolean; problem: string | null }[]
    assert.deepEqual(
      members.map((m) => [m.remote, m.reachable, m.problem]),
      [[remote, true, null]],
      db,
    )
  }
})

test('show with an ssl: --sb and no credential is a usage error naming -p; a tcp: --nb does not refuse them', async () => {
  const none = await cli(['show', '--url', pool.url, '--nb', 'tcp:127.0.0.1:1', '--sb', remote, '--json'])
  assert.equal(none.code, 2)
  assert.match((JSON.parse(none.stdout) as { error: { message: string } }).error.message, /--private-key \(-p\)/)
  const creds = ['-p', pki.client.keyPath, '-c', pki.client.certPath, '-C', pki.ca.certPath]
  const tcpNb = await cli(['show', '--url', pool.url, '--nb', 'tcp:127.0.0.1:1', '--sb', remote, ...creds, '--json'])
  // Accepted, then the northbound (nothing listens on port 1) fails: exit 1, not a usage error.
  assert.equal(tcpNb.code, 1, tcpNb.stdout)
  assert.match((JSON.parse(tcpNb.stdout) as { error: { code: string } }).error.code, /^OVN_OVSDB_/)
})

/** fn=status's reply (lib/pool/plugin-replies.ts parseChassisStatus) for a chassis on `ovnRemote`. */
function statusReply(hostUuid: string, ovnRemote: string): string {
  const value = JSON.stringify({
    hostUuid,
    systemId: hostUuid,
    configured: true,
    keys: { 'ovn-remote': ovnRemote },
    owned: ['ovn-remote'],
    addresses: [],
    bridge: null,
    ports: [],
    controller: { running: true, pid: 1, connection: null, error: null },
  })
  const text = value.replace(/&/g, '&amp;').replace(/</g, '&lt;')
  return `<methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member><member><name>Value</name><value>${text}</value></member></struct></value></param></params></methodResponse>`
}

interface StatusView {
  readonly result: { readonly bindingsProblem: string | null; readonly hosts: readonly { ok: boolean }[] }
}

test("status reads the chassis' own ssl: ovn-remote with -p -c -C; without them it says why OVN-BOUND is unknown", async () => {
  const creds = ['-p', pki.client.keyPath, '-c', pki.client.certPath, '-C', pki.ca.certPath]
  const withCreds = await cli(['status', '--url', sslChassisPool.url, ...creds, '--json'])
  assert.equal(withCreds.code, 0, withCreds.stderr + withCreds.stdout)
  const read = (JSON.parse(withCreds.stdout) as StatusView).result
  assert.deepEqual(
    read.hosts.map((h) => h.ok),
    [true],
  )
  assert.equal(read.bindingsProblem, null)
  const without = await cli(['status', '--url', sslChassisPool.url, '--json'])
  assert.equal(without.code, 0, without.stderr + without.stdout)
  assert.match((JSON.parse(without.stdout) as StatusView).result.bindingsProblem ?? '', /\(ssl:\): give -p\/-c\/-C/)
})

test('status --sb ssl: reads the southbound over SSL with -p -c -C, is a usage error without them', async () => {
  const creds = ['-p', pki.client.keyPath, '-c', pki.client.certPath, '-C', pki.ca.certPath]
  const ok = await cli(['status', '--url', sslChassisPool.url, '--sb', remote, ...creds, '--json'])
  assert.equal(ok.code, 0, ok.stderr + ok.stdout)
  assert.equal((JSON.parse(ok.stdout) as StatusView).result.bindingsProblem, null)
  const none = await cli(['status', '--url', sslChassisPool.url, '--sb', remote, '--json'])
  assert.equal(none.code, 2)
  assert.match(
    (JSON.parse(none.stdout) as { error: { message: string } }).error.message,
    /an ssl: southbound needs --private-key \(-p\)/,
  )
  const tcpSb = await cli(['status', '--url', sslChassisPool.url, '--sb', 'tcp:127.0.0.1:1', ...creds, '--json'])
  assert.equal(tcpSb.code, 2)
  assert.match(
    (JSON.parse(tcpSb.stdout) as { error: { message: string } }).error.message,
    /are for an ssl: southbound \(--sb ssl:IP:PORT\)/,
  )
})
