// Two pools feed one northbound, each through its own `xapi-ovn agent`: both agents are active at
// once (the lock is per pool), each makes and removes only its own pool's ports, and a VIF of one
// pool destroyed never costs the other pool a port.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { startAgent, type PoolAgent } from '../../lib/agent/agent.js'
import { POOL_UUID_KEY, SWITCH_KEY } from '../../lib/agent/keys.js'
import { connectNorthbound, ensureLogicalSwitch } from '../../lib/nb/index.js'
import { readSnapshot } from '../../lib/nb/snapshot.js'
import type { OvsdbClient } from '../../lib/ovsdb/client.js'
import { XapiPool } from '../../lib/pool/index.js'
import { createEmulatedPool, type EmulatedPool } from '../../xapi-emulator/index.js'
import { PASSWORD, memoryHosts, vifRecord } from '../../xapi-emulator/testing.js'
import { NbDatabase } from './nb-server.js'
import { waitFor } from '../../lab/wait.js'

interface Side {
  readonly pool: EmulatedPool
  readonly xapi: XapiPool
  readonly net: string
  readonly agent: PoolAgent
  readonly uuid: string
}

let nbDb: NbDatabase
let nb: OvsdbClient
const sides: Side[] = []

async function side(name: string): Promise<Side> {
  const pool = await createEmulatedPool({
    hosts: memoryHosts(1),
    password: PASSWORD,
    vms: [{ name_label: `${name}-vm` }],
  })
  const xapi = await XapiPool.connect({ url: pool.url, password: PASSWORD, transport: 'json-rpc' })
  const net = (await xapi.call('network.create', {
    name_label: 'ovn-int',
    name_description: '',
    MTU: 1500,
    other_config: { [SWITCH_KEY]: 'shared' },
  })) as string
  const poolRef = Object.keys((await xapi.call('pool.get_all_records')) as Record<string, unknown>)[0] as string
  const uuid = (await xapi.call('pool.get_uuid', poolRef)) as string
  const agent = startAgent({
    xapi: { url: pool.url, password: PASSWORD, transport: 'json-rpc' },
    nb: nbDb.remotes,
    resyncIntervalMs: 0,
    eventTimeoutS: 5,
  })
  return { pool, xapi, net, agent, uuid }
}

async function createVif(s: Side, device: string): Promise<{ ref: string; uuid: string }> {
  const vm = s.pool.vms[0]
  assert.ok(vm !== undefined)
  const ref = (await s.xapi.call('VIF.create', vifRecord(s.net, vm, device))) as string
  return { ref, uuid: (await s.xapi.call('VIF.get_uuid', ref)) as string }
}

async function owners(): Promise<Map<string, string | undefined>> {
  return new Map((await readSnapshot(nb, 'all')).ports.map((p) => [p.name, p.externalIds.get(POOL_UUID_KEY)]))
}

before(async () => {
  nbDb = await NbDatabase.standalone()
  nb = await connectNorthbound(nbDb.remotes)
  await ensureLogicalSwitch(nb, 'shared')
  sides.push(await side('a'), await side('b'))
})
after(async () => {
  for (const s of sides) {
    await s.agent.stop()
    await s.xapi.close()
    await s.pool.close()
  }
  await nb?.close()
  await nbDb?.destroy()
})

test('two pools, one northbound: both agents active, each owns exactly its own ports', async () => {
  const [a, b] = sides
  assert.ok(a && b)
  await waitFor('both agents active', () => a.agent.status().active && b.agent.status().active)
  const va = await createVif(a, '0')
  const vb = await createVif(b, '0')
  await waitFor('both ports', async () => {
    const o = await owners()
    return o.get(va.uuid) === a.uuid && o.get(vb.uuid) === b.uuid
  })
  await a.xapi.call('VIF.destroy', va.ref)
  await waitFor("pool a's port gone", async () => !(await owners()).has(va.uuid))
  // The other agent's full pass (as after a reconnect) still leaves pool a's remaining state alone.
  const va2 = await createVif(a, '1')
  await waitFor("pool a's new port", async () => (await owners()).get(va2.uuid) === a.uuid)
  assert.equal((await owners()).get(vb.uuid), b.uuid)
  assert.deepEqual([a.agent.status().findings, b.agent.status().findings], [[], []])
})
