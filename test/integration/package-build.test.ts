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
