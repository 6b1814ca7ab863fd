// The northbound commands over ssl: against a real ovsdb-server on pssl: (a CA, a server and a
// client credential made here): -p/-c/-C as ovn-nbctl takes them, the OVN_NB_* variables instead,
// a certificate from another CA refused, and ssl: without credentials a usage error before any
// connection.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../lab/exec.js'
import { createServerClientPki, type ServerClientPki } from '../fixtures/pki.js'
import { NB_SCHEMA_PATH } from '../fixtures/ovn-schema.js'
import { freePort, waitFor } from './ovsdb-fixtures.js'
import { CLI } from './pool-fixture.js'

let dir: string
let pki: ServerClientPki
let remote: string

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

function cli(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    c.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    c.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    c.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'xapi-ovn-nbssl-'))
  pki = createServerClientPki()
  const db = join(dir, 'nb.db')
  await run('ovsdb-tool', ['create', db, NB_SCHEMA_PATH])
  const port = await freePort()
  await run('ovsdb-server', [
    db,
    `--remote=pssl:${port}:127.0.0.1`,
    `--private-key=${pki.server.keyPath}`,
    `--certificate=${pki.server.certPath}`,
    `--ca-cert=${pki.ca.certPath}`,
    `--pidfile=${join(dir, 'nb.pid')}`,
    `--unixctl=${join(dir, 'nb.ctl')}`,
    `--log-file=${join(dir, 'nb.log')}`,
    '--detach',
    '--no-chdir',
  ])
  remote = `ssl:127.0.0.1:${port}`
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
after(async () => {
  try {
    process.kill(Number(readFileSync(join(dir, 'nb.pid'), 'utf8').trim()), 'SIGKILL')
  } catch {}
  pki?.destroy()
  rmSync(dir, { recursive: true, force: true })
})

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
