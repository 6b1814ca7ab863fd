/**
 * The host plugin is bundled for Node 16 (CommonJS, node16 target, no node_modules): the OVSDB
 * client must work there. Bundle a probe the same way and run it with the Node 16 runtime
 * (devDependency `node16`) against a real ovsdb-server.
 */
import { after, before, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { startStandalone } from './ovsdb-fixtures.js'
import type { Standalone } from './ovsdb-fixtures.js'

const run = promisify(execFile)
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const NODE16 = join(ROOT, 'node_modules', 'node16', 'bin', 'node')

let srv: Standalone
let dir: string

before(async () => {
  srv = await startStandalone()
  dir = await mkdtemp(join(tmpdir(), 'xapi-ovn-node16-'))
})
after(async () => {
  await srv?.cleanup()
  if (dir) await rm(dir, { recursive: true, force: true })
})

it('the OVSDB client bundled for Node 16 talks to ovsdb-server on Node 16', async () => {
  const { stdout: version } = await run(NODE16, ['--version'])
  assert.match(version, /^v16\./)
  const outfile = join(dir, 'probe.cjs')
  await build({
    entryPoints: [join(ROOT, 'test', 'integration', 'ovsdb-node16-probe.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node16',
    logLevel: 'silent',
  })
  await writeFile(join(dir, 'client.key'), srv.pki.client.keyPem)
  await writeFile(join(dir, 'client.crt'), srv.pki.client.certPem)
  await writeFile(join(dir, 'ca.crt'), srv.pki.ca.certPem)
  const { stdout } = await run(
    NODE16,
    [
      outfile,
      `unix:${srv.sock}`,
      `ssl:127.0.0.1:${srv.sslPort}`,
      join(dir, 'ca.crt'),
      join(dir, 'client.key'),
      join(dir, 'client.crt'),
      srv.ctl,
    ],
    { timeout: 60_000 },
  )
  const seen = JSON.parse(stdout) as Record<string, unknown>
  assert.match(String(seen.node), /^v16\./)
  assert.deepEqual(seen.dbs, ['Open_vSwitch', '_Server'])
  assert.equal(seen.name, 'node16-br')
  assert.deepEqual(seen.externalIds, { 'made-by': 'node16' })
  assert.equal(seen.ports, 0)
  assert.equal(seen.wait, 'OVN_OVSDB_WAIT_FAILED')
  assert.equal(seen.updates, true)
  assert.equal(seen.sslDbs, 2)
  assert.match(String(seen.version), /^ovsdb-server \(Open vSwitch\)/)
})
