import { test } from 'node:test'
import assert from 'node:assert/strict'
import { planDeleteSwitch, planEnsureSwitch } from '../../lib/nb/plan-switch.js'
import { planAttachPorts } from '../../lib/nb/plan-ports.js'
import { parseSwitchOptions, parseVifPorts } from '../../lib/nb/validate-inputs.js'
import { DHCP_SWITCH_KEY, EXCLUDE_IPS, guestMtu, SWITCH_DHCPV4_KEY } from '../../lib/nb/plan-dhcp.js'
import type { NbSnapshot } from '../../lib/nb/model.js'
import { planSync } from '../../lib/agent/plan-sync.js'
import type { DesiredState } from '../../lib/agent/plan-desired.js'
import { POOL_UUID_KEY, VM_UUID_KEY } from '../../lib/agent/keys.js'
import { LSP1, SW_A, VIF1, VIF2, applyToSnapshot, lport, lswitch } from './nb-fixtures.js'
import { code } from './error-code.js'

const EMPTY: NbSnapshot = { switches: [], ports: [], dhcpOptions: [] }
const ROW = 'dddddddd-0000-4000-8000-0000000000d1'
const ROW2 = 'dddddddd-0000-4000-8000-0000000000d2'
const SUBNET = '198.18.10.0/24'

function ensure(s: NbSnapshot, dhcp: Record<string, unknown>, uuid = ROW) {
  return planEnsureSwitch(s, 'tenant-a', parseSwitchOptions({ subnet: SUBNET, dhcp }), uuid)
}

test('the guest MTU is the underlay minus what ovn-controller adds: 1442 for Geneve over IPv4 on 1500', () => {
  assert.equal(guestMtu(1500, 'geneve', false), 1442)
  assert.equal(guestMtu(1500, 'vxlan', false), 1450)
  assert.equal(guestMtu(1500, 'geneve', true), 1422)
  assert.equal(guestMtu(9000, 'geneve', false), 8942)
  assert.equal(guestMtu(1500, 'stt', false), null)
})

test('a new switch with DHCP: the row and the switch in one transaction, linked both ways', () => {
  const plan = ensure(EMPTY, { router: '198.18.10.1', dnsServers: ['198.18.0.53', '198.18.0.54'] })
  assert.equal(plan.created, true)
  assert.equal(plan.dhcp?.action, 'created')
  const { snapshot } = applyToSnapshot(EMPTY, plan.operations)
  const [sw] = snapshot.switches
  assert.equal(sw?.externalIds.get(SWITCH_DHCPV4_KEY), ROW)
  assert.equal(sw?.otherConfig.get('subnet'), SUBNET)
  // The server's address is not one northd may give a dynamic port.
  assert.equal(sw?.otherConfig.get(EXCLUDE_IPS), '198.18.10.1')
  assert.deepEqual(snapshot.dhcpOptions, [
    {
      uuid: ROW,
      cidr: SUBNET,
      options: new Map([
        ['server_id', '198.18.10.1'],
        ['server_mac', '0a:58:c6:12:0a:01'],
        ['lease_time', '3600'],
        ['mtu', '1442'],
        ['router', '198.18.10.1'],
        ['dns_server', '{198.18.0.53, 198.18.0.54}'],
      ]),
      externalIds: new Map([[DHCP_SWITCH_KEY, 'tenant-a']]),
    },
  ])
  // One transaction: exactly one insert of each row, nothing outside it.
  assert.deepEqual(
    plan.operations.filter((o) => o.op === 'insert').map((o) => o.table),
    ['DHCP_Options', 'Logical_Switch'],
  )
})

test('a re-run with the same options writes nothing; with new ones it updates the same row in place', () => {
  const first = ensure(EMPTY, { leaseTime: 600 })
  const s1 = applyToSnapshot(EMPTY, first.operations).snapshot
  assert.deepEqual(ensure(s1, { leaseTime: 600 }, ROW2).operations, [])
  const second = ensure(s1, { leaseTime: 900, mtu: 1400 }, ROW2)
  assert.equal(second.dhcp?.action, 'updated')
  assert.equal(second.dhcp?.uuid, ROW)
  const s2 = applyToSnapshot(s1, second.operations).snapshot
  assert.equal(s2.dhcpOptions?.length, 1)
  assert.equal(s2.dhcpOptions?.[0]?.options.get('lease_time'), '900')
  assert.equal(s2.dhcpOptions?.[0]?.options.get('mtu'), '1400')
  // The update is guarded by the row as read: someone else's change in between fails it.
  const changed = { ...s1, dhcpOptions: (s1.dhcpOptions ?? []).map((d) => ({ ...d, cidr: '198.18.11.0/24' })) }
  assert.throws(() => applyToSnapshot(changed, second.operations), /wait failed/)
})

test("addresses already in the switch's exclude_ips are kept, the server's is added once", () => {
  const s: NbSnapshot = {
    switches: [
      lswitch('tenant-a', SW_A, { otherConfig: { subnet: SUBNET, [EXCLUDE_IPS]: '198.18.10.200..198.18.10.250' } }),
    ],
    ports: [],
    dhcpOptions: [],
  }
  const after = applyToSnapshot(s, ensure(s, { router: '198.18.10.254' }).operations).snapshot
  assert.equal(after.switches[0]?.otherConfig.get(EXCLUDE_IPS), '198.18.10.200..198.18.10.250 198.18.10.254')
  assert.deepEqual(ensure(after, { router: '198.18.10.254' }, ROW2).operations, [])
})

test('a new subnet without the DHCP options again is refused while the switch serves DHCP on the old one', () => {
  const s1 = applyToSnapshot(EMPTY, ensure(EMPTY, {}).operations).snapshot
  assert.equal(
    code(() => planEnsureSwitch(s1, 'tenant-a', parseSwitchOptions({ subnet: '198.18.11.0/24' }))),
    `OVN_INVALID_ARGUMENT subnet|198.18.11.0/24|logical switch tenant-a serves DHCP on ${SUBNET}: give the DHCP options again with the new subnet`,
  )
  // The same subnet alone is fine (nothing to do), and a new one with its DHCP moves the row.
  assert.deepEqual(planEnsureSwitch(s1, 'tenant-a', parseSwitchOptions({ subnet: SUBNET })).operations, [])
  const moved = planEnsureSwitch(s1, 'tenant-a', parseSwitchOptions({ subnet: '198.18.11.0/24', dhcp: {} }), ROW2)
  const s2 = applyToSnapshot(s1, moved.operations).snapshot
  assert.deepEqual(
    [s2.dhcpOptions?.[0]?.uuid, s2.dhcpOptions?.[0]?.cidr, s2.dhcpOptions?.[0]?.options.get('server_id')],
    [ROW, '198.18.11.0/24', '198.18.11.1'],
  )
  assert.equal(s2.switches[0]?.otherConfig.get(EXCLUDE_IPS), '198.18.11.1', "the old subnet's server address goes")
})

test('a switch whose row was deleted by hand gets a new one', () => {
  const s1 = applyToSnapshot(EMPTY, ensure(EMPTY, {}).operations).snapshot
  const gone = { ...s1, dhcpOptions: [] }
  const plan = ensure(gone, {}, ROW2)
  assert.equal(plan.dhcp?.action, 'created')
  const s2 = applyToSnapshot(gone, plan.operations).snapshot
  assert.equal(s2.switches[0]?.externalIds.get(SWITCH_DHCPV4_KEY), ROW2)
})

test('DHCP turned on for a switch with ports links its VIF ports in the same transaction', () => {
  const s: NbSnapshot = {
    switches: [lswitch('tenant-a', SW_A, { ports: [LSP1], otherConfig: { subnet: SUBNET } })],
    ports: [lport(VIF1, LSP1, { addresses: ['02:00:00:00:00:01 dynamic'] })],
    dhcpOptions: [],
  }
  const plan = ensure(s, {})
  assert.equal(plan.dhcp?.linkedPorts, 1)
  const after = applyToSnapshot(s, plan.operations).snapshot
  assert.equal(after.ports[0]?.dhcpv4Options, ROW)
  assert.deepEqual(ensure(after, {}, ROW2).operations, [])
})

test('port attach on a DHCP switch links the new port, and re-links one that lost it', () => {
  const s0 = applyToSnapshot(EMPTY, ensure(EMPTY, {}).operations).snapshot
  const ports = parseVifPorts([{ vifUuid: VIF1, mac: '02:00:00:00:00:01', ips: 'dynamic' }])
  const s1 = applyToSnapshot(s0, planAttachPorts(s0, 'tenant-a', ports).operations).snapshot
  assert.equal(s1.ports[0]?.dhcpv4Options, ROW)
  assert.deepEqual(planAttachPorts(s1, 'tenant-a', ports).operations, [])
  const unlinked = { ...s1, ports: s1.ports.map((p) => ({ ...p, dhcpv4Options: null })) }
  const relink = planAttachPorts(unlinked, 'tenant-a', ports)
  assert.equal(relink.ports[0]?.action, 'updated')
  assert.equal(applyToSnapshot(unlinked, relink.operations).snapshot.ports[0]?.dhcpv4Options, ROW)
})

test("the pool agent's ports on a DHCP switch are created linked and updated when the link is missing", () => {
  const POOL = 'eeeeeeee-0000-4000-8000-0000000000ee'
  const VM = 'ffffffff-0000-4000-8000-0000000000ff'
  const s0 = applyToSnapshot(EMPTY, ensure(EMPTY, {}).operations).snapshot
  const desired: DesiredState = {
    findings: [],
    warnings: [],
    ports: [
      {
        name: VIF2,
        switchRef: 'tenant-a',
        switchFrom: 'VIF',
        mac: '02:00:00:00:00:02',
        vmUuid: VM,
        ips: 'dynamic',
        address: '02:00:00:00:00:02 dynamic',
        portSecurity: ['02:00:00:00:00:02'],
        enabled: true,
        requestedChassis: null,
        externalIds: new Map([
          [POOL_UUID_KEY, POOL],
          [VM_UUID_KEY, VM],
        ]),
      },
    ],
  }
  const plan = planSync(desired, s0, POOL)
  const s1 = applyToSnapshot(s0, plan.operations).snapshot
  assert.equal(s1.ports[0]?.dhcpv4Options, ROW)
  const unlinked = { ...s1, ports: s1.ports.map((p) => ({ ...p, dhcpv4Options: null })) }
  const again = planSync(desired, unlinked, POOL)
  assert.deepEqual(again.updated, [VIF2])
  assert.equal(applyToSnapshot(unlinked, again.operations).snapshot.ports[0]?.dhcpv4Options, ROW)
})

test('switch del deletes its DHCP_Options row in the same transaction', () => {
  const s1 = applyToSnapshot(EMPTY, ensure(EMPTY, {}).operations).snapshot
  const plan = planDeleteSwitch(s1, 'tenant-a', { force: false })
  assert.equal(plan.dhcpUuid, ROW)
  const after = applyToSnapshot(s1, plan.operations).snapshot
  assert.deepEqual(after.switches, [])
  assert.deepEqual(after.dhcpOptions, [])
})

test('bad DHCP inputs are OVN_INVALID_ARGUMENT naming the field, before any plan exists', () => {
  const bad: [Record<string, unknown>, string][] = [
    [{ subnet: SUBNET, dhcp: { router: '198.18.11.1' } }, 'dhcp.router'],
    [{ subnet: SUBNET, dhcp: { router: '198.18.10.0' } }, 'dhcp.router'],
    [{ subnet: SUBNET, dhcp: { router: '198.18.10.255' } }, 'dhcp.router'],
    [{ subnet: SUBNET, dhcp: { router: 'gateway' } }, 'dhcp.router'],
    [{ subnet: SUBNET, dhcp: { dnsServers: ['198.18.0.1', 'x'] } }, 'dhcp.dnsServers[1]'],
    [{ subnet: SUBNET, dhcp: { leaseTime: 5 } }, 'dhcp.leaseTime'],
    [{ subnet: SUBNET, dhcp: { mtu: 40 } }, 'dhcp.mtu'],
    [{ subnet: SUBNET, dhcp: { mtu: 1400, underlayMtu: 1500 } }, 'dhcp.underlayMtu'],
    [{ subnet: SUBNET, dhcp: { encapType: 'stt' } }, 'dhcp.encapType'],
    [{ subnet: SUBNET, dhcp: { underlayMtu: 100 } }, 'dhcp.underlayMtu'],
    [{ subnet: SUBNET, dhcp: { colour: 'blue' } }, 'dhcp'],
    [{ dhcp: {} }, 'dhcp'],
    [{ subnet: '198.18.10.1/24', dhcp: {} }, 'subnet'],
  ]
  for (const [options, key] of bad)
    assert.match(
      code(() => parseSwitchOptions(options)),
      new RegExp(`^OVN_INVALID_ARGUMENT ${key.replace(/[[\]]/g, '\\$&')}\\|`),
      JSON.stringify(options),
    )
})
