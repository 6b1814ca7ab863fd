import { test } from 'node:test'
import assert from 'node:assert/strict'
import { XapiOvnError } from '../../lib/errors.js'
import {
  chooseTransportPif,
  resolveTransportChoice,
  type AddressFamily,
  type TransportChoice,
} from '../../lib/pool/transport-pif.js'
import { host, network, pif, ref, uuid } from './pool-fixtures.js'

const H = host({ name_label: 'host1' })
const OTHER = host({ name_label: 'host2' })
const MGMT = network({ name_label: 'mgmt', bridge: 'xenbr0' })
const STORAGE = network({ name_label: 'storage', bridge: 'xenbr1' })
const VLAN_NET = network({ name_label: 'vlan100', bridge: 'xapi5' })
const BOND_NET = network({ name_label: 'bond', bridge: 'xapi6' })
const TWIN_A = network({ name_label: 'twin', bridge: 'xapi7' })
const TWIN_B = network({ name_label: 'twin', bridge: 'xapi8' })
const NETWORKS = new Map([MGMT, STORAGE, VLAN_NET, BOND_NET, TWIN_A, TWIN_B].map((n) => [n.ref, n]))
const BOND = ref()

const static4 = (ip: string) => ({ ip_configuration_mode: 'Static', IP: ip })
const mine = (fields: Record<string, unknown>) => pif({ host: H.ref, ...fields })

/** A host laid out like a real one: management eth0, eth1 for storage with a VLAN on it, a bond of eth2+eth3. */
const STANDARD = [
  mine({ device: 'eth0', network: MGMT.ref, management: true, ...static4('192.0.2.21') }),
  mine({ device: 'eth1', network: STORAGE.ref, ...static4('198.18.0.1') }),
  mine({ device: 'eth1', network: VLAN_NET.ref, VLAN: 100, physical: false, ...static4('198.18.1.1') }),
  mine({ device: 'eth2', network: ref(), bond_slave_of: BOND }),
  mine({ device: 'eth3', network: ref(), bond_slave_of: BOND }),
  mine({ device: 'bond0', network: BOND_NET.ref, physical: false, bond_master_of: [BOND], ...static4('198.18.2.1') }),
  // another host's PIFs are never considered
  pif({ host: OTHER.ref, device: 'eth0', network: MGMT.ref, management: true, ...static4('192.0.2.22') }),
]

interface Row {
  readonly name: string
  readonly choice: TransportChoice
  readonly pifs?: ReturnType<typeof pif>[]
  readonly family?: AddressFamily
  readonly want: { ip: string; device: string; kind: string; family?: string } | { error: RegExp }
}

const rows: Row[] = [
  {
    name: 'default: the management PIF',
    choice: { by: 'management' },
    want: { ip: '192.0.2.21', device: 'eth0', kind: 'physical' },
  },
  {
    name: 'by network name',
    choice: { by: 'network', network: 'storage' },
    want: { ip: '198.18.0.1', device: 'eth1', kind: 'physical' },
  },
  {
    name: 'by network uuid',
    choice: { by: 'network', network: VLAN_NET.uuid },
    want: { ip: '198.18.1.1', device: 'eth1', kind: 'vlan' },
  },
  {
    name: 'by device: the untagged PIF of that device',
    choice: { by: 'device', device: 'eth1' },
    want: { ip: '198.18.0.1', device: 'eth1', kind: 'physical' },
  },
  {
    name: 'by device and VLAN',
    choice: { by: 'device', device: 'eth1', vlan: 100 },
    want: { ip: '198.18.1.1', device: 'eth1', kind: 'vlan' },
  },
  { name: 'by VLAN', choice: { by: 'vlan', vlan: 100 }, want: { ip: '198.18.1.1', device: 'eth1', kind: 'vlan' } },
  {
    name: 'a bond master',
    choice: { by: 'device', device: 'bond0' },
    want: { ip: '198.18.2.1', device: 'bond0', kind: 'bond' },
  },
  { name: 'a bond slave is refused', choice: { by: 'device', device: 'eth2' }, want: { error: /bond slave/ } },
  {
    name: 'a device the host lacks',
    choice: { by: 'device', device: 'eth9' },
    want: { error: /device eth9 does not exist on this host/ },
  },
  { name: 'a VLAN the host lacks', choice: { by: 'vlan', vlan: 200 }, want: { error: /VLAN 200 does not exist/ } },
  {
    name: 'no management PIF',
    choice: { by: 'management' },
    pifs: [mine({ device: 'eth1', network: STORAGE.ref, ...static4('198.18.0.1') })],
    want: { error: /management PIF does not exist/ },
  },
  {
    name: 'not currently attached',
    choice: { by: 'management' },
    pifs: [
      mine({
        device: 'eth0',
        network: MGMT.ref,
        management: true,
        currently_attached: false,
        ...static4('192.0.2.21'),
      }),
    ],
    want: { error: /not currently attached/ },
  },
  {
    name: 'no IP configuration',
    choice: { by: 'network', network: 'storage' },
    pifs: [mine({ device: 'eth1', network: STORAGE.ref })],
    want: { error: /ip_configuration_mode None/ },
  },
  {
    name: 'DHCP without a lease yet',
    choice: { by: 'network', network: 'storage' },
    pifs: [mine({ device: 'eth1', network: STORAGE.ref, ip_configuration_mode: 'DHCP', IP: '' })],
    want: { error: /no IPv4 address \(ip_configuration_mode DHCP/ },
  },
  {
    name: 'neither physical, VLAN nor bond master (a tunnel access PIF)',
    choice: { by: 'network', network: 'storage' },
    pifs: [mine({ device: 'tunnel0', network: STORAGE.ref, physical: false, ...static4('198.18.0.1') })],
    want: { error: /neither a physical NIC, a VLAN nor a bond master/ },
  },
  {
    name: 'the same VLAN on two devices is ambiguous',
    choice: { by: 'vlan', vlan: 100 },
    pifs: [
      mine({ device: 'eth1', network: VLAN_NET.ref, VLAN: 100, physical: false, ...static4('198.18.1.1') }),
      mine({ device: 'eth4', network: ref(), VLAN: 100, physical: false, ...static4('198.18.3.1') }),
    ],
    want: { error: /ambiguous: eth1\.100 .*eth4\.100/ },
  },
  {
    name: 'IPv6 primary: the global address, prefix dropped, link-local skipped',
    choice: { by: 'management' },
    pifs: [
      mine({
        device: 'eth0',
        network: MGMT.ref,
        management: true,
        primary_address_type: 'IPv6',
        ipv6_configuration_mode: 'Static',
        IPv6: ['fe80::1/64', '2001:DB8::21/64'],
        ...static4('192.0.2.21'),
      }),
    ],
    want: { ip: '2001:db8::21', device: 'eth0', kind: 'physical', family: 'IPv6' },
  },
  {
    name: 'IPv4 primary without IPv4 falls back to IPv6',
    choice: { by: 'management' },
    pifs: [
      mine({
        device: 'eth0',
        network: MGMT.ref,
        management: true,
        ipv6_configuration_mode: 'Autoconf',
        IPv6: ['2001:db8::21/64'],
      }),
    ],
    want: { ip: '2001:db8::21', device: 'eth0', kind: 'physical', family: 'IPv6' },
  },
  {
    name: 'IPv4 asked, only IPv6 there',
    choice: { by: 'management' },
    family: 'IPv4',
    pifs: [
      mine({
        device: 'eth0',
        network: MGMT.ref,
        management: true,
        ipv6_configuration_mode: 'Static',
        IPv6: ['2001:db8::21/64'],
      }),
    ],
    want: { error: /no IPv4 configuration/ },
  },
  {
    name: 'IPv6 asked, only link-local there',
    choice: { by: 'management' },
    family: 'IPv6',
    pifs: [
      mine({
        device: 'eth0',
        network: MGMT.ref,
        management: true,
        ipv6_configuration_mode: 'Autoconf',
        IPv6: ['fe80::5/64'],
        ...static4('192.0.2.21'),
      }),
    ],
    want: { error: /no global IPv6 address/ },
  },
]

for (const row of rows) {
  test(`transport PIF: ${row.name}`, () => {
    const choice = resolveTransportChoice(row.choice, NETWORKS)
    const pifs = row.pifs ?? STANDARD
    if ('error' in row.want) {
      assert.throws(
        () => chooseTransportPif(H, pifs, choice, row.family),
        (e: unknown) => {
          assert.ok(e instanceof XapiOvnError)
          assert.equal(e.code, 'OVN_NO_TRANSPORT_PIF')
          assert.equal(e.params[0], 'host1')
          assert.match(e.params[2] ?? '', (row.want as { error: RegExp }).error)
          return true
        },
      )
      return
    }
    const t = chooseTransportPif(H, pifs, choice, row.family)
    assert.equal(t.ip, row.want.ip)
    assert.equal(t.device, row.want.device)
    assert.equal(t.kind, row.want.kind)
    assert.equal(t.family, row.want.family ?? 'IPv4')
  })
}

test('the failing PIF is named in the error params (empty when none was found)', () => {
  const bad = mine({ device: 'eth0', network: MGMT.ref, management: true, currently_attached: false })
  assert.throws(
    () => chooseTransportPif(H, [bad], { by: 'management' }),
    (e: XapiOvnError) => e.params[1] === bad.uuid,
  )
  assert.throws(
    () => chooseTransportPif(H, [], { by: 'management' }),
    (e: XapiOvnError) => e.params[1] === '',
  )
})

const choiceErrors: [string, TransportChoice, string, RegExp][] = [
  ['an unknown network', { by: 'network', network: 'nope' }, 'transport-network', /no network/],
  ['an unknown network uuid', { by: 'network', network: uuid() }, 'transport-network', /no network/],
  ['a name two networks share', { by: 'network', network: 'twin' }, 'transport-network', /2 networks have that name/],
  ['a device name with a space', { by: 'device', device: 'eth 1' }, 'transport-device', /device name/],
  ['a VLAN above 4094', { by: 'vlan', vlan: 4095 }, 'transport-vlan', /0 to 4094/],
  ['a negative VLAN with a device', { by: 'device', device: 'eth1', vlan: -1 }, 'transport-vlan', /0 to 4094/],
]
for (const [name, choice, key, reason] of choiceErrors) {
  test(`transport choice: ${name} is an invalid argument`, () => {
    assert.throws(
      () => resolveTransportChoice(choice, NETWORKS),
      (e: unknown) =>
        e instanceof XapiOvnError &&
        e.code === 'OVN_INVALID_ARGUMENT' &&
        e.params[0] === key &&
        reason.test(e.params[2] ?? ''),
    )
  })
}
