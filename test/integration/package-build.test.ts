/**
 * The npm package as users get it: dist/lib (built by `node build/lib.mjs`, which npm test runs)
 * is importable with its types, and the `xapi-ovn` bin runs.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string
  exports: Record<string, { types: string; import: string }>
  bin: Record<string, string>
}

test('the package entry and its declarations exist where package.json says', () => {
  const entry = pkg.exports['.']
  assert.ok(entry)
  assert.ok(existsSync(join(ROOT, entry.import)), entry.import)
  assert.ok(existsSync(join(ROOT, entry.types)), entry.types)
})

test('the entry exports the pool driver, the errors and the building blocks', async () => {
  const m = (await import(pathToFileURL(join(ROOT, pkg.exports['.']?.import ?? '')).href)) as Record<string, unknown>
  for (const name of [
    'XapiPool',
    'setup',
    'verify',
    'status',
    'teardown',
    'setupPools',
    'attachVms',
    'detachVms',
    'connectNorthbound',
    'XapiOvnError',
    'chooseTransportPif',
  ]) {
    assert.equal(typeof m[name], 'function', name)
  }
  const ns = m as { ovsdb: Record<string, unknown>; nb: Record<string, unknown>; chassis: Record<string, unknown> }
  assert.equal(typeof ns.ovsdb.OvsdbClient, 'function')
  assert.equal(typeof ns.nb.attachPorts, 'function')
  assert.equal(typeof ns.chassis.verifyChassis, 'function')
  assert.equal(typeof ns.chassis.parseConfigureArgs, 'function')
})

test('the xapi-ovn bin is executable and answers --help', () => {
  const bin = join(ROOT, pkg.bin['xapi-ovn'] ?? '')
  assert.equal(statSync(bin).mode & 0o111, 0o111)
  const r = spawnSync(bin, ['--help'], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /usage: xapi-ovn <command>/)
})

/**
 * A child node whose module resolution refuses `xen-api` (a loader hook registered with
 * --import): anything that loads the pool client fails loudly with BLOCKED. The northbound side
 * of the package and `--help` must run there; a pool connection must hit the block (the control:
 * the hook works, and the pool side loads xen-api when, and only when, it connects).
 */
const BLOCKED = 'xen-api is blocked in this process'
const HOOKS = `export async function resolve(specifier, context, next) {
  if (specifier === 'xen-api' || specifier.startsWith('xen-api/')) throw new Error(${JSON.stringify(BLOCKED)})
  return next(specifier, context)
}`
const REGISTER = `import { register } from 'node:module'
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)})`
const WITHOUT_XEN_API = ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`]

function runWithoutXenApi(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...WITHOUT_XEN_API, ...args], { encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

test('importing the package and using its northbound side does not load xen-api; a pool connection does', () => {
  const entry = pathToFileURL(join(ROOT, pkg.exports['.']?.import ?? '')).href
  const script = `
    const m = await import(${JSON.stringify(entry)})
    // A northbound call end to end, on a transactor that answers every select with no rows.
    const fake = { transact: async (_db, ops) => ops.map(() => ({ rows: [] })) }
    const switches = await m.nb.listLogicalSwitches(fake)
    const refused = await m.connectNorthbound('unix:/nonexistent/nb.sock', { timeoutMs: 2000 }).then(() => 'connected', (e) => e.code)
    const pool = await m.XapiPool.connect({ url: 'https://127.0.0.1:1', password: 'x' }).then(() => 'connected', (e) => String(e.message))
    console.log(JSON.stringify({ switches, refused, pool }))
  `
  const r = runWithoutXenApi(['--input-type=module', '-e', script])
  assert.equal(r.status, 0, r.stderr)
  const out = JSON.parse(r.stdout) as { switches: unknown[]; refused: string; pool: string }
  assert.deepEqual(out.switches, [])
  assert.equal(out.refused, 'OVN_OVSDB_UNAVAILABLE')
  assert.ok(out.pool.includes(BLOCKED), `the pool connection loads xen-api (and so meets the block): ${out.pool}`)
})

test('xapi-ovn --help and a northbound command run without xen-api', () => {
  const bin = join(ROOT, pkg.bin['xapi-ovn'] ?? '')
  const help = runWithoutXenApi([bin, '--help'])
  assert.equal(help.status, 0, help.stderr)
  assert.match(help.stdout, /usage: xapi-ovn <command>/)
  assert.doesNotMatch(help.stderr, new RegExp(BLOCKED))
  // A northbound command gets as far as connecting (and fails there: no server), not to a load error.
  const list = runWithoutXenApi([bin, 'switch', 'list', '--nb', 'unix:/nonexistent/nb.sock'])
  assert.doesNotMatch(list.stderr, new RegExp(BLOCKED))
  assert.match(list.stderr, /nonexistent/)
})
