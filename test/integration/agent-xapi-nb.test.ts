// The pool agent against the XAPI emulator (real xen-api client over HTTP, event.from) and a real
// OVN_Northbound ovsdb-server: VIFs made, changed and destroyed through XAPI — the way Xen
// Orchestra or xe make them — get, change and lose their logical ports with nobody running
// `port attach`; a bad VIF is reported and skips only itself; a hand edit of the northbound is
// undone by the periodic pass; a standby agent takes over when the active one goes.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { startAgent, type PoolAgent } from '../../lib/agent/agent.js'
import { POOL_UUID_KEY, SWITCH_KEY } from '../../lib/agent/keys.js'
import { REQUESTED_CHASSIS } from '../../lib/agent/plan-sync.js'
import { connectNorthbound, detachPorts, ensureLogicalSwitch } from '../../lib/nb/index.js'
import { readSnapshot } from '../../lib/nb/snapshot.js'
import { SWITCH_DHCPV4_KEY } from '../../lib/nb/plan-dhcp.js'
import { ovsdbMap, Uuid } from '../../lib/ovsdb/codec.js'
import { op, where } from '../../lib/ovsdb/operations.js'
import type { NbPortRow } from '../../lib/nb/model.js'
import type { OvsdbClient } from '../../lib/ovsdb/client.js'
import { XapiPool } from '../../lib/pool/index.js'
import { createEmulatedPool, type EmulatedPool } from '../../xapi-emulator/index.js'
import { PASSWORD, memoryHosts, vifRecord } from '../../xapi-emulator/testing.js'
import { NbDatabase } from './nb-server.js'
import { waitFor } from '../../lab/wait.js'

let pool: EmulatedPool
let xapi: XapiPool
let nbDb: NbDatabase
let nb: OvsdbClient
let ovnNet: string
let poolUuid: string
const agents: PoolAgent[] = []

function agent(resyncIntervalMs = 0): PoolAgent {
  const a = startAgent({
    xapi: { url: pool.url, password: PASSWORD, transport: 'json-rpc' },
    nb: nbDb.remotes,
    resyncIntervalMs,
    eventTimeoutS: 5,
  })
  agents.push(a)
  return a
}

async function port(name: string): Promise<NbPortRow | undefined> {
  return (await readSnapshot(nb, 'all')).ports.find((p) => p.name === name)
}

async function switchOf(name: string): Promise<string | undefined> {
  const s = await readSnapshot(nb, 'all')
  const p = s.ports.find((x) => x.name === name)
  return p === undefined ? undefined : s.switches.find((sw) => sw.portUuids.includes(p.uuid))?.name
}

function vm(name: string): string {
  const refs = pool.vms.filter((r) => pool.emulator.db.field('VM', r, 'name_label') === name)
  assert.equal(refs.length, 1, name)
  return refs[0] as string
}

async function createVif(
  vmName: string,
  device: string,
  fields: Record<string, unknown> = {},
): Promise<{ ref: string; uuid: string }> {
  const ref = (await xapi.call('VIF.create', vifRecord(ovnNet, vm(vmName), device, fields))) as string
  return { ref, uuid: (await xapi.call('VIF.get_uuid', ref)) as string }
}

describe('xapi-ovn agent: the northbound follows XAPI', () => {
  before(async () => {
    pool = await createEmulatedPool({
      hosts: memoryHosts(2),
      password: PASSWORD,
      vms: ['web1', 'web2', 'db1', 'off1'].map((name_label) => ({ name_label })),
    })
    xapi = await XapiPool.connect({ url: pool.url, password: PASSWORD, transport: 'json-rpc' })
    ovnNet = (await xapi.call('network.create', {
      name_label: 'ovn-int',
      name_description: '',
      MTU: 1500,
      other_config: { 'vswitch-controller-fail-mode': 'secure', [SWITCH_KEY]: 'tenant-a' },
    })) as string
    const poolRef = Object.keys((await xapi.call('pool.get_all_records')) as Record<string, unknown>)[0] as string
    poolUuid = (await xapi.call('pool.get_uuid', poolRef)) as string
    const [h1, h2] = pool.hosts
    await xapi.call('VM.start_on', vm('web1'), h1?.ref, false, false)
    await xapi.call('VM.start_on', vm('web2'), h2?.ref, false, false)
    await xapi.call('VM.start_on', vm('db1'), h1?.ref, false, false)
    nbDb = await NbDatabase.standalone()
    nb = await connectNorthbound(nbDb.remotes)
    await ensureLogicalSwitch(nb, 'tenant-a')
    await ensureLogicalSwitch(nb, 'tenant-b')
  })
  after(async () => {
    for (const a of agents) await a.stop()
    await nb?.close()
    await nbDb?.destroy()
    await xapi?.close()
    await pool?.close()
  })

  test('a VIF created in XAPI gets its port: MAC, allowed IPs, the pool marker and the chassis it runs on', async () => {
    const a = agent()
    await waitFor('the agent to be active', async () => (a.status().active ? true : undefined))
    const vif = await createVif('web1', '0', { ipv4_allowed: ['198.18.20.11'], locking_mode: 'locked' })
    await xapi.call('VIF.plug', vif.ref)
    const mac = (await xapi.call('VIF.get_MAC', vif.ref)) as string
    const p = await waitFor('the port of web1', () => port(vif.uuid))
    assert.deepEqual(p.addresses, [`${mac} 198.18.20.11`])
    assert.deepEqual(p.portSecurity, [`${mac} 198.18.20.11`])
    assert.equal(p.externalIds.get(POOL_UUID_KEY), poolUuid)
    assert.equal(p.options.get(REQUESTED_CHASSIS), pool.hosts[0]?.uuid)
    assert.equal(await switchOf(vif.uuid), 'tenant-a')
    // A halted VM's VIF gets a port too, without a chassis.
    const off = await createVif('off1', '0')
    const q = await waitFor('the port of off1', () => port(off.uuid))
    assert.equal(q.options.get(REQUESTED_CHASSIS), undefined)
  })

  test('changing XAPI changes the port: another switch, another locking mode; a destroyed VIF loses it', async () => {
    const vif = await createVif('web2', '0')
    await waitFor('the port of web2', () => port(vif.uuid))
    await xapi.call('VIF.add_to_other_config', vif.ref, SWITCH_KEY, 'tenant-b')
    await waitFor('the port on tenant-b', async () => ((await switchOf(vif.uuid)) === 'tenant-b' ? true : undefined))
    await xapi.call('VIF.set_locking_mode', vif.ref, 'disabled')
    await waitFor('the port disabled', async () => ((await port(vif.uuid))?.enabled === false ? true : undefined))
    await xapi.call('VIF.destroy', vif.ref)
    await waitFor('the port gone', async () => ((await port(vif.uuid)) === undefined ? true : undefined))
  })

  test('a VIF naming a missing switch is reported and gets nothing; the others are still synced', async () => {
    const a = agents[0] as PoolAgent
    const bad = await createVif('db1', '0', { other_config: { [SWITCH_KEY]: 'no-such-switch' } })
    const good = await createVif('db1', '1')
    await waitFor('the good port', () => port(good.uuid))
    const finding = await waitFor('the finding', async () => a.status().findings.find((f) => f.vif === bad.uuid))
    assert.equal(finding.code, 'OVN_AGENT_SWITCH_MISSING')
    assert.equal(await port(bad.uuid), undefined)
    assert.ok((a.status().errorsByCode.OVN_AGENT_SWITCH_MISSING ?? 0) >= 1)
  })

  test('every XAPI session dropped: the agent logs in again, reads everything again, and keeps following', async () => {
    const a = agents[0] as PoolAgent
    const logins = (): number => pool.server.calls.filter((c) => c === 'session.login_with_password').length
    const before = logins()
    pool.emulator.dropSessions()
    const vif = await createVif('web2', '2')
    await waitFor('the port of a VIF made after the sessions were dropped', () => port(vif.uuid))
    // Our own client logged in again too: the agent's login is at least a second one.
    assert.ok(logins() >= before + 2, `logins ${before} -> ${logins()}`)
    assert.equal(a.status().xapi.connected, true)
  })

  test('the northbound goes down: the VIF made meanwhile gets its port once it is back', async () => {
    await nb.close()
    await nbDb.kill(0)
    const vif = await createVif('db1', '2')
    await nbDb.restart(0)
    nb = await connectNorthbound(nbDb.remotes)
    await waitFor('the port written after the northbound came back', () => port(vif.uuid))
    assert.equal((agents[0] as PoolAgent).status().active, true)
  })

  test('a port deleted by hand comes back at the periodic pass; ports of others are never touched', async () => {
    for (const a of agents.splice(0)) await a.stop()
    const a = agent(300)
    await waitFor('the agent to be active', async () => (a.status().active ? true : undefined))
    const vif = await createVif('web1', '1')
    await waitFor('the port', () => port(vif.uuid))
    await detachPorts(nb, [vif.uuid])
    await waitFor('the port back', () => port(vif.uuid))
  })

  test('a standby agent takes over when the active one goes, and syncs what happened meanwhile', async () => {
    const active = agents[0] as PoolAgent
    const standby = agent()
    await waitFor('the standby to wait for the lock', async () =>
      standby.status().nb.lock === 'waiting' ? true : undefined,
    )
    assert.equal(standby.status().active, false)
    await active.stop()
    agents.splice(agents.indexOf(active), 1)
    const vif = await createVif('web2', '1')
    await waitFor('the standby to be active', async () => (standby.status().active ? true : undefined))
    await waitFor('the port made by the standby', () => port(vif.uuid))
  })

  test('a VIF waiting for its switch gets its port as soon as the switch appears in the northbound (no XAPI event)', async () => {
    const a = agents[0] as PoolAgent
    const vif = await createVif('db1', '4', { other_config: { [SWITCH_KEY]: 'tenant-late' } })
    await waitFor('the finding', async () => a.status().findings.find((f) => f.vif === vif.uuid))
    await ensureLogicalSwitch(nb, 'tenant-late')
    await waitFor('the port on the new switch', async () =>
      (await switchOf(vif.uuid)) === 'tenant-late' ? true : undefined,
    )
    assert.equal(
      a.status().findings.find((f) => f.vif === vif.uuid),
      undefined,
    )
  })

  test('on a switch with DHCP the agent makes ports linked to its DHCP_Options row, and keeps them linked', async () => {
    for (const a of agents.splice(0)) await a.stop()
    // No periodic pass: a VIF planned before the agent's copy has its new switch is a finding, and
    // the switch appearing in the northbound is what makes the agent look again.
    const a = agent()
    await waitFor('the agent to be active', async () => (a.status().active ? true : undefined))
    await ensureLogicalSwitch(nb, 'tenant-c', { subnet: '198.18.40.0/24' })
    const early = await createVif('db1', '5', { other_config: { [SWITCH_KEY]: 'tenant-c' } })
    await waitFor('the port made before DHCP', () => port(early.uuid))
    const on = await ensureLogicalSwitch(nb, 'tenant-c', { subnet: '198.18.40.0/24', dhcp: {} })
    assert.equal(on.dhcp?.linkedPorts, 1, 'switch add links the port already there')
    const late = await createVif('db1', '6', { other_config: { [SWITCH_KEY]: 'tenant-c' } })
    // Linked when made, or, when the VIF's event was planned from a copy that had not seen the
    // DHCP yet, by the pass that switch change itself makes (the next test pins that down).
    const p = await waitFor('the new port, linked', async () => {
      const x = await port(late.uuid)
      return x?.dhcpv4Options === on.dhcp?.uuid ? x : undefined
    })
    assert.equal(p.dhcpv4Options, on.dhcp?.uuid, 'linked')
    // The agent's next passes (two more VIFs elsewhere) leave both links as they are.
    const passes = a.status().passes
    for (const device of ['7', '8']) {
      const other = await createVif('db1', device)
      await waitFor(`the port of device ${device}`, () => port(other.uuid))
    }
    assert.ok(a.status().passes >= passes + 2)
    assert.equal((await port(early.uuid))?.dhcpv4Options, on.dhcp?.uuid)
    assert.equal((await port(late.uuid))?.dhcpv4Options, on.dhcp?.uuid)
  })

  test('a switch that gets DHCP by another hand (its ports not linked) gets its ports linked by the agent, with no XAPI event', async () => {
    for (const a of agents.splice(0)) await a.stop()
    // No periodic pass and no finding: only the switch's own change can make the agent look again.
    const a = agent()
    await waitFor('the agent to be active', async () => (a.status().active ? true : undefined))
    // Earlier tests left VIFs with findings (a switch that does not exist): gone first.
    for (const f of a.status().findings) await xapi.call('VIF.destroy', await xapi.call('VIF.get_by_uuid', f.vif))
    await waitFor('no finding left', async () => (a.status().findings.length === 0 ? true : undefined))
    await ensureLogicalSwitch(nb, 'tenant-d', { subnet: '198.18.41.0/24' })
    const vif = await createVif('db1', '9', { other_config: { [SWITCH_KEY]: 'tenant-d' } })
    const before = await waitFor('the port, without DHCP', () => port(vif.uuid))
    assert.equal(before.dhcpv4Options, null)
    // A VIF with a finding would make every northbound change a pass: none here.
    assert.deepEqual(
      a.status().findings.map((f) => f.code),
      [],
    )
    // A DHCP_Options row and the switch's key naming it, as switch add --dhcp writes them, but the
    // port left unlinked (ovn-nbctl, another tool, a switch add that raced the agent's write).
    const sw = (await readSnapshot(nb, 'none')).switches.find((x) => x.name === 'tenant-d')
    assert.ok(sw)
    const [inserted] = (await nb.transact('OVN_Northbound', [
      op.insert('DHCP_Options', { cidr: '198.18.41.0/24', options: ovsdbMap({ lease_time: '3600' }) }),
    ])) as { uuid?: Uuid }[]
    const dhcpUuid = inserted?.uuid?.value ?? ''
    await nb.transact('OVN_Northbound', [
      op.mutate(
        'Logical_Switch',
        [where('_uuid', '==', new Uuid(sw.uuid))],
        [['external_ids', 'insert', ovsdbMap({ [SWITCH_DHCPV4_KEY]: dhcpUuid })]],
      ),
    ])
    const linked = await waitFor('the agent links the port to the switch DHCP row', async () => {
      const p = await port(vif.uuid)
      return p?.dhcpv4Options === dhcpUuid ? p : undefined
    })
    assert.equal(linked.dhcpv4Options, dhcpUuid)
  })
})
