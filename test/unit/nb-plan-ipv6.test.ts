import { test } from 'node:test'
import assert from 'node:assert/strict'
import { planDeleteSwitch, planEnsureSwitch } from '../../lib/nb/plan-switch.js'
import { planAttachPorts } from '../../lib/nb/plan-ports.js'
import { parseSwitchOptions, parseVifPorts } from '../../lib/nb/validate-inputs.js'
import { DHCP_SWITCH_KEY, SWITCH_DHCPV4_KEY } from '../../lib/nb/plan-dhcp.js'
import {
  IPV6_PREFIX_KEY,
  RA_ADDRESS_MODE,
  SWITCH_DHCPV6_KEY,
  SWITCH_IPV6_MODE_KEY,
  dhcpv6ServerMacOf,
  parseIpv6Prefix,
  switchIpv6Mode,
} from '../../lib/nb/plan-ipv6.js'
import { canonicalIpv6, eui64Address, inIpv6Prefix64 } from '../../lib/nb/ipv6-address.js'
import type { NbSnapshot } from '../../lib/nb/model.js'
import { planSync } from '../../lib/agent/plan-sync.js'
import type { DesiredState } from '../../lib/agent/plan-desired.js'
import { POOL_UUID_KEY, VM_UUID_KEY } from '../../lib/agent/keys.js'
import { LSP1, LSP2, SW_A, VIF1, VIF2, VIF3, applyToSnapshot, lport, lswitch } from './nb-fixtures.js'
import { code } from './error-code.js'

const EMPTY: NbSnapshot = { switches: [], ports: [], dhcpOptions: [] }
const V4ROW = 'dddddddd-0000-4000-8000-0000000000d4'
const ROW = 'dddddddd-0000-4000-8000-0000000000d6'
const ROW2 = 'dddddddd-0000-4000-8000-0000000000d7'
const PREFIX = '2001:db8:5::/64'

function ensure(s: NbSnapshot, ipv6: Record<string, unknown>, uuid = ROW, extra: Record<string, unknown> = {}) {
  return planEnsureSwitch(s, 'tenant-a', parseSwitchOptions({ ...extra, ipv6 }), V4ROW, uuid)
}

test('RFC 5952 spelling, /64 membership and the EUI-64 address ovn-northd derives from a MAC', () => {
  const spellings: [string, string | null][] = [
    ['2001:DB8:0:0::1', '2001:db8::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0005:0000:0000:0000:0000:0000', '2001:db8:5::'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::', '::'],
    ['::ffff:192.0.2.1', null],
    ['fe80::1%eth0', null],
    ['192.0.2.1', null],
  ]
  for (const [text, want] of spellings) assert.equal(canonicalIpv6(text), want, text)
  const members: [string, boolean | null][] = [
    ['2001:db8:5::1', true],
    ['2001:db8:5:0:ffff:ffff:ffff:ffff', true],
    ['2001:db8:6::1', false],
    ['198.18.0.1', null],
  ]
  for (const [ip, want] of members) assert.equal(inIpv6Prefix64(ip, PREFIX), want, ip)
  const eui: [string, string][] = [
    ['02:00:00:00:00:01', '2001:db8:5::ff:fe00:1'],
    ['0a:1b:2c:3d:4e:5f', '2001:db8:5:0:81b:2cff:fe3d:4e5f'],
    ['00:16:3e:aa:bb:cc', '2001:db8:5:0:216:3eff:feaa:bbcc'],
  ]
  for (const [mac, want] of eui) assert.equal(eui64Address(PREFIX, mac), want, mac)
})

test('the prefix: a unicast /64 with zero host bits, written in one spelling; anything else is refused', () => {
  assert.equal(parseIpv6Prefix('2001:DB8:5:0::/64'), PREFIX)
  const bad: [unknown, string][] = [
    ['2001:db8:5::/48', 'the prefix length must be 64 (ovn-northd builds EUI-64 addresses on a /64 only)'],
    ['2001:db8:5::', 'expected an IPv6 /64 such as 2001:db8:5::/64'],
    ['2001:db8:5::1/64', 'host bits must be zero (name the network, not an address in it)'],
    ['fe80::/64', 'expected a unicast prefix (not link-local, multicast or ::)'],
    ['ff02::/64', 'expected a unicast prefix (not link-local, multicast or ::)'],
    ['::/64', 'expected a unicast prefix (not link-local, multicast or ::)'],
    ['198.18.0.0/64', 'expected an IPv6 /64 such as 2001:db8:5::/64'],
    [64, 'expected an IPv6 /64 such as 2001:db8:5::/64'],
  ]
  for (const [value, reason] of bad)
    assert.equal(
      code(() => parseIpv6Prefix(value)),
      `OVN_INVALID_ARGUMENT ipv6.prefix|${typeof value === 'string' ? value : String(value)}|${reason}`,
    )
})

test('bad IPv6 options are OVN_INVALID_ARGUMENT naming the field, before any plan exists', () => {
  const bad: [Record<string, unknown>, string][] = [
    [{ prefix: PREFIX, mode: 'dhcpv6' }, 'ipv6.mode'],
    [{ prefix: PREFIX, mode: 'dhcpv6-stateful', dnsServers: ['198.18.0.53'] }, 'ipv6.dnsServers[0]'],
    [{ prefix: PREFIX, mode: 'dhcpv6-stateful', dnsServers: ['ff02::1'] }, 'ipv6.dnsServers[0]'],
    [{ prefix: PREFIX, mode: 'dhcpv6-stateful', dnsServers: '2001:db8::53' }, 'ipv6.dnsServers'],
    [{ prefix: PREFIX, dnsServers: ['2001:db8::53'] }, 'ipv6.dnsServers'],
    [{ prefix: PREFIX, colour: 'blue' }, 'ipv6'],
    [{ mode: 'slaac' }, 'ipv6.prefix'],
  ]
  for (const [ipv6, key] of bad)
    assert.match(
      code(() => parseSwitchOptions({ ipv6 })),
      new RegExp(`^OVN_INVALID_ARGUMENT ${key.replace(/[[\]]/g, '\\$&')}\\|`),
      JSON.stringify(ipv6),
    )
})

test('each mode: the switch keys, and the DHCPv6 row (none for slaac), in the switch transaction', () => {
  const server = dhcpv6ServerMacOf(PREFIX)
  assert.equal(server, '0a:59:00:05:00:00')
  const cases: [string, Record<string, unknown>, Map<string, string> | null][] = [
    ['slaac', {}, null],
    ['dhcpv6-stateful', { mode: 'dhcpv6-stateful' }, new Map([['server_id', server]])],
    [
      'dhcpv6-stateless',
      { mode: 'dhcpv6-stateless', dnsServers: ['2001:DB8::53', '2001:db8:0::54'] },
      new Map([
        ['server_id', server],
        ['dhcpv6_stateless', 'true'],
        ['dns_server', '{2001:db8::53, 2001:db8::54}'],
      ]),
    ],
  ]
  for (const [mode, ipv6, options] of cases) {
    const plan = ensure(EMPTY, { prefix: PREFIX, ...ipv6 })
    const { snapshot } = applyToSnapshot(EMPTY, plan.operations)
    const [sw] = snapshot.switches
    assert.equal(sw?.otherConfig.get(IPV6_PREFIX_KEY), PREFIX, mode)
    assert.equal(sw?.externalIds.get(SWITCH_IPV6_MODE_KEY), mode)
    assert.equal(sw === undefined ? null : switchIpv6Mode(sw), mode)
    assert.equal(sw?.externalIds.get(SWITCH_DHCPV6_KEY), options === null ? undefined : ROW, mode)
    assert.deepEqual(
      snapshot.dhcpOptions,
      options === null
        ? []
        : [{ uuid: ROW, cidr: PREFIX, options, externalIds: new Map([[DHCP_SWITCH_KEY, 'tenant-a']]) }],
      mode,
    )
    assert.deepEqual(
      plan.operations.filter((o) => o.op === 'insert').map((o) => o.table),
      options === null ? ['Logical_Switch'] : ['DHCP_Options', 'Logical_Switch'],
      mode,
    )
    assert.equal(plan.ipv6?.action, options === null ? 'none' : 'created')
    // A re-run asks for nothing.
    assert.deepEqual(ensure(snapshot, { prefix: PREFIX, ...ipv6 }, ROW2).operations, [], mode)
  }
})

test('the router port reads the mode as the ipv6_ra_configs:address_mode value', () => {
  assert.deepEqual(RA_ADDRESS_MODE, {
    slaac: 'slaac',
    'dhcpv6-stateless': 'dhcpv6_stateless',
    'dhcpv6-stateful': 'dhcpv6_stateful',
  })
  assert.equal(switchIpv6Mode(lswitch('x', SW_A, { externalIds: { [SWITCH_IPV6_MODE_KEY]: 'bogus' } })), null)
  assert.equal(switchIpv6Mode(lswitch('x', SW_A)), null)
})

test('mode changes: stateful -> stateless updates the row in place; -> slaac deletes it and unlinks the ports', () => {
  const s0: NbSnapshot = {
    switches: [lswitch('tenant-a', SW_A, { ports: [LSP1] })],
    ports: [lport(VIF1, LSP1, { addresses: ['02:00:00:00:00:01 dynamic'] })],
    dhcpOptions: [],
  }
  const on = ensure(s0, { prefix: PREFIX, mode: 'dhcpv6-stateful' })
  assert.equal(on.ipv6?.linkedPorts, 1, 'the port already there is linked')
  const s1 = applyToSnapshot(s0, on.operations).snapshot
  assert.equal(s1.ports[0]?.dhcpv6Options, ROW)
  const stateless = ensure(s1, { prefix: PREFIX, mode: 'dhcpv6-stateless' }, ROW2)
  assert.equal(stateless.ipv6?.action, 'updated')
  const s2 = applyToSnapshot(s1, stateless.operations).snapshot
  assert.deepEqual(
    s2.dhcpOptions?.map((d) => [d.uuid, d.options.get('dhcpv6_stateless')]),
    [[ROW, 'true']],
  )
  const slaac = ensure(s2, { prefix: PREFIX, mode: 'slaac' }, ROW2)
  assert.equal(slaac.ipv6?.action, 'deleted')
  const s3 = applyToSnapshot(s2, slaac.operations).snapshot
  assert.deepEqual(s3.dhcpOptions, [])
  assert.equal(s3.switches[0]?.externalIds.has(SWITCH_DHCPV6_KEY), false)
  assert.equal(s3.switches[0]?.externalIds.get(SWITCH_IPV6_MODE_KEY), 'slaac')
  assert.equal(s3.ports[0]?.dhcpv6Options, null, "the port's weak reference goes with the row")
  assert.deepEqual(ensure(s3, { prefix: PREFIX, mode: 'slaac' }, ROW2).operations, [])
  // The update is guarded by the row as read.
  const changed = { ...s1, dhcpOptions: (s1.dhcpOptions ?? []).map((d) => ({ ...d, cidr: '2001:db8:9::/64' })) }
  assert.throws(() => applyToSnapshot(changed, stateless.operations), /wait failed/)
})

test('DHCPv4 and DHCPv6 on one switch: two rows, both linked from every port', () => {
  const plan = ensure(EMPTY, { prefix: PREFIX, mode: 'dhcpv6-stateful' }, ROW, {
    subnet: '198.18.10.0/24',
    dhcp: {},
  })
  const s1 = applyToSnapshot(EMPTY, plan.operations).snapshot
  assert.deepEqual(s1.dhcpOptions?.map((d) => [d.uuid, d.cidr]).sort(), [
    [V4ROW, '198.18.10.0/24'],
    [ROW, PREFIX],
  ])
  assert.equal(s1.switches[0]?.externalIds.get(SWITCH_DHCPV4_KEY), V4ROW)
  const ports = parseVifPorts([{ vifUuid: VIF1, mac: '02:00:00:00:00:01', ips: 'dynamic' }])
  const attach = planAttachPorts(s1, 'tenant-a', ports)
  const s2 = applyToSnapshot(s1, attach.operations).snapshot
  assert.deepEqual([s2.ports[0]?.dhcpv4Options, s2.ports[0]?.dhcpv6Options], [V4ROW, ROW])
  assert.deepEqual(planAttachPorts(s2, 'tenant-a', ports).operations, [])
  // A port that lost its DHCPv6 link is updated back to it.
  const unlinked = { ...s2, ports: s2.ports.map((p) => ({ ...p, dhcpv6Options: null })) }
  const relink = planAttachPorts(unlinked, 'tenant-a', ports)
  assert.equal(relink.ports[0]?.action, 'updated')
  assert.equal(applyToSnapshot(unlinked, relink.operations).snapshot.ports[0]?.dhcpv6Options, ROW)
  // switch del takes both rows.
  const del = planDeleteSwitch(s2, 'tenant-a', { force: true })
  assert.deepEqual([del.dhcpUuid, del.dhcpv6Uuid], [V4ROW, ROW])
  assert.deepEqual(applyToSnapshot(s2, del.operations).snapshot.dhcpOptions, [])
})

test("the pool agent's ports on a DHCPv6 switch are created linked and updated when the link is missing", () => {
  const POOL = 'eeeeeeee-0000-4000-8000-0000000000ee'
  const VM = 'ffffffff-0000-4000-8000-0000000000ff'
  const s0 = applyToSnapshot(EMPTY, ensure(EMPTY, { prefix: PREFIX, mode: 'dhcpv6-stateful' }).operations).snapshot
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
        ips: ['2001:db8:5::20'],
        address: '02:00:00:00:00:02 2001:db8:5::20',
        portSecurity: ['02:00:00:00:00:02 2001:db8:5::20'],
        enabled: true,
        requestedChassis: null,
        externalIds: new Map([
          [POOL_UUID_KEY, POOL],
          [VM_UUID_KEY, VM],
        ]),
      },
    ],
  }
  const s1 = applyToSnapshot(s0, planSync(desired, s0, POOL).operations).snapshot
  assert.equal(s1.ports[0]?.dhcpv6Options, ROW)
  assert.deepEqual(planSync(desired, s1, POOL).operations, [])
  const unlinked = { ...s1, ports: s1.ports.map((p) => ({ ...p, dhcpv6Options: null })) }
  const again = planSync(desired, unlinked, POOL)
  assert.deepEqual(again.updated, [VIF2])
  assert.equal(applyToSnapshot(unlinked, again.operations).snapshot.ports[0]?.dhcpv6Options, ROW)
})

test('static IPv6 on attach: inside the prefix, and no address another port has (however it is spelled)', () => {
  const s: NbSnapshot = {
    switches: [
      lswitch('tenant-a', SW_A, {
        ports: [LSP1, LSP2],
        otherConfig: { subnet: '198.18.10.0/24', [IPV6_PREFIX_KEY]: PREFIX },
      }),
    ],
    ports: [
      lport(VIF1, LSP1, { addresses: ['02:00:00:00:00:01 2001:db8:5::11'] }),
      lport(VIF2, LSP2, {
        addresses: ['02:00:00:00:00:02 dynamic'],
        dynamicAddresses: '02:00:00:00:00:02 198.18.10.2 2001:db8:5::ff:fe00:2',
      }),
    ],
    dhcpOptions: [],
  }
  const attach = (ips: string[]) =>
    code(() => planAttachPorts(s, 'tenant-a', parseVifPorts([{ vifUuid: VIF3, mac: '02:00:00:00:00:03', ips }])))
  const cases: [string[], string][] = [
    [['2001:db8:5::13'], 'no error'],
    [['198.18.10.13', '2001:db8:5::13'], 'no error'],
    [
      ['2001:db8:6::13'],
      "OVN_NB_ADDRESS_CONFLICT 2001:db8:6::13|tenant-a|it is outside the switch's IPv6 prefix 2001:db8:5::/64",
    ],
    [['2001:db8:5:0::11'], `OVN_NB_ADDRESS_CONFLICT 2001:db8:5:0::11|tenant-a|port ${VIF1} already has it`],
    [['2001:DB8:5::FF:FE00:2'], `OVN_NB_ADDRESS_CONFLICT 2001:db8:5::ff:fe00:2|tenant-a|port ${VIF2} already has it`],
  ]
  for (const [ips, want] of cases) assert.equal(attach(ips), want, ips.join(' '))
  // The port itself, re-attached, keeps its own address.
  assert.equal(
    code(() =>
      planAttachPorts(
        s,
        'tenant-a',
        parseVifPorts([{ vifUuid: VIF1, mac: '02:00:00:00:00:01', ips: ['2001:db8:5::11'] }]),
      ),
    ),
    'no error',
  )
})

test('a dynamic port on a switch with only an IPv6 prefix is accepted (northd gives it the EUI-64 address)', () => {
  const s = applyToSnapshot(EMPTY, ensure(EMPTY, { prefix: PREFIX }).operations).snapshot
  const ports = parseVifPorts([{ vifUuid: VIF1, mac: '02:00:00:00:00:01', ips: 'dynamic' }])
  const plan = planAttachPorts(s, 'tenant-a', ports)
  assert.deepEqual(
    plan.ports.map((p) => [p.address, p.action]),
    [['02:00:00:00:00:01 dynamic', 'created']],
  )
})
