// The northbound commands over ssl: against a real ovsdb-server on pssl: (a CA, a server and a
// client credential made for it, pssl-server.ts): -p/-c/-C as ovn-nbctl takes them, the OVN_NB_* variables instead,
// a certificate from another CA refused, and ssl: without credentials a usage error before any
// connection.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { ServerClientPki } from '../fixtures/pki.js'
import { NB_SCHEMA_PATH } from '../fixtures/ovn-schema.js'
import { waitFor } from './ovsdb-fixtures.js'
import { startPsslServer, type PsslServer } from './pssl-server.js'
import { spawnCli, type Ran } from './spawned-cli.js'

let server: PsslServer
let pki: ServerClientPki
let remote: string

const cli = (args: readonly string[], env: Record<string, string> = {}): Promise<Ran> => spawnCli(args, env)

before(async () => {
  server = await startPsslServer([NB_SCHEMA_PATH])
  pki = server.pki
  remote = server.remote
  await waitFor('the pssl listener', async () => {
    const r = await cli([
      'switch',
      'list',
      '--nb',
      remote,
      '-p',
      pki.client.keyPath,
      '-c',
      pki.client.certPath,
      '-C',
      pki.ca.certPath,
      '--json',
    ])
    return r.code === 0 ? true : undefined
  })
})
after(() => server?.stop())

test('-p/-c/-C: switch add and list over ssl:', async () => {
  const creds = ['-p', pki.client.keyPath, '-c', pki.client.certPath, '-C', pki.ca.certPath]
  const add = await cli(['switch', 'add', '--switch', 'secure', '--nb', remote, ...creds, '--json'])
  assert.equal(add.code, 0, add.stderr)
  const list = await cli([
    'switch',
    'list',
    '--nb',
    remote,
    '--private-key',
    pki.client.keyPath,
    '--certificate',
    pki.client.certPath,
    '--ca-cert',
    pki.ca.certPath,
    '--json',
  ])
  assert.equal(list.code, 0, list.stderr)
  const names = (JSON.parse(list.stdout) as { result: { name: string }[] }).result.map((s) => s.name)
  assert.deepEqual(names, ['secure'])
})

test('the OVN_NB_* variables instead of the flags', async () => {
  const r = await cli(['switch', 'list', '--json'], {
    OVN_NB_DB: remote,
    OVN_NB_PRIVATE_KEY: pki.client.keyPath,
    OVN_NB_CERTIFICATE: pki.client.certPath,
    OVN_NB_CA_CERT: pki.ca.certPath,
  })
  assert.equal(r.code, 0, r.stderr)
})

test('a server certificate from another CA is refused; ssl: without credentials is a usage error', async () => {
  const wrongCa = await cli([
    'switch',
    'list',
    '--nb',
    remote,
    '-p',
    pki.client.keyPath,
    '-c',
    pki.client.certPath,
    '-C',
    pki.otherCa.certPath,
    '--json',
  ])
  assert.equal(wrongCa.code, 1)
  const none = await cli(['switch', 'list', '--nb', remote, '--json'])
  assert.equal(none.code, 2)
  assert.match((JSON.parse(none.stdout) as { error: { message: string } }).error.message, /--private-key \(-p\)/)
  const half = await cli(['switch', 'list', '--nb', remote, '-p', pki.client.keyPath, '--json'])
  assert.equal(half.code, 2)
})
