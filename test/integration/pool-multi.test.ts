/**
 * Several pools driven at once toward one OVN central (setupPools): two emulated pools over the
 * hosts of one lab (one underlay, one central), plus a pool that cannot be reached. One result per
 * pool and host; the unreachable pool is reported, the others are set up; a bad option stops
 * everything before any pool is touched.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { setupPools, XapiOvnError } from '../../lib/index.js'
import { createLabPool, type LabPool } from '../../lab/pool.js'
import type { LabHost } from '../../lab/host.js'
import { createEmulatedPool, type EmulatedPool } from '../../xapi-emulator/index.js'
import { LAB_CHASSIS_KEYS, PASSWORD, PLUGIN_FILE } from './pool-fixture.js'

let lab: LabPool
const pools: EmulatedPool[] = []

before(async () => {
  lab = await createLabPool({ hosts: 3 })
  const groups = [lab.hosts.slice(0, 2), lab.hosts.slice(2)]
  for (const [i, hosts] of groups.entries()) {
    const pool = await createEmulatedPool({
      hosts,
      password: PASSWORD,
      poolName: `pool-${i + 1}`,
      managementNetworkUuid: lab.managementNetworkUuid,
    })
    pools.push(pool)
    for (const h of hosts) await pool.installPlugin(h.uuid, 'ovn-chassis', PLUGIN_FILE)
  }
})
after(async () => {
  for (const h of lab?.hosts ?? []) await h.stopOvnController().catch(() => undefined)
  for (const p of pools) await p.close()
  await lab?.destroy()
})

const OPTIONS = { ovnRemote: 'tcp:192.0.2.10:6642', chassisKeys: LAB_CHASSIS_KEYS }

test('a bad option stops every pool before anything is touched', async () => {
  const targets = pools.map((p) => ({ pool: { url: p.url, password: PASSWORD } }))
  await assert.rejects(
    setupPools(targets, { ...OPTIONS, encapType: 'gre' }),
    (e: unknown) => e instanceof XapiOvnError && e.code === 'OVN_INVALID_ARGUMENT',
  )
  for (const p of pools)
    assert.equal(p.server.calls.filter((c) => /network\.create|call_plugin|attach/.test(c)).length, 0)
})

test('two pools and an unreachable one toward one central: one result per pool and host', async () => {
  const targets = [
    ...pools.map((p) => ({ pool: { url: p.url, password: PASSWORD } })),
    { pool: { url: 'http://127.0.0.1:9', password: PASSWORD } },
  ]
  const r = await setupPools(targets, OPTIONS)
  assert.equal(r.ok, false)
  assert.equal(r.pools.length, 3)
  const [a, b, dead] = r.pools
  assert.ok(a?.ok && b?.ok, JSON.stringify(r.pools))
  assert.deepEqual(
    a.result.hosts.map((h) => [h.host.name, h.ok]),
    [
      ['host1', true],
      ['host2', true],
    ],
  )
  assert.deepEqual(
    b.result.hosts.map((h) => [h.host.name, h.ok]),
    [['host3', true]],
  )
  assert.equal(a.result.pool.name, 'pool-1')
  assert.equal(b.result.pool.name, 'pool-2')
  assert.ok(dead !== undefined && !dead.ok)
  assert.equal(dead.error.code, 'OVN_XAPI_UNREACHABLE')
  assert.equal(dead.url, 'http://127.0.0.1:9')

  for (const h of lab.hosts) await h.startOvnController({ waitConnected: true })
  const chassis = (await lab.central.sbctl('--bare', '--columns=name', 'list', 'Chassis'))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .sort()
  assert.deepEqual(
    chassis,
    lab.hosts.map((h: LabHost) => h.uuid).sort(),
    'every host of both pools is a chassis of the one central',
  )
})
