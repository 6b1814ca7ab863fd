import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  parseLocalnetPort,
  parseSubnet,
  parseSwitchName,
  parseSwitchOptions,
  parseSwitchRef,
  parseVifPorts,
  parseVifUuids,
} from '../../lib/nb/validate-inputs.js'
import { XapiOvnError } from '../../lib/errors.js'
import { VIF1, VIF2 } from './nb-fixtures.js'

/** `CODE key|reason` of what fn throws (the value is left out: it is echoed as given). */
function rejected(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    if (e instanceof XapiOvnError) return `${e.code} ${e.params[0]}|${e.params[2]}`
    throw e
  }
  return 'accepted'
}

const MAC1 = '02:00:00:00:00:01'

test('VIF ports: normalised MAC (lower case), addresses entry, default MAC-only', () => {
  const [a, b, c] = parseVifPorts([
    { vifUuid: VIF1, mac: '02:AB:00:00:00:01', ips: ['192.0.2.10', '2001:DB8::10'] },
    { vifUuid: VIF2, mac: '02:00:00:00:00:02', ips: 'dynamic' },
    { vifUuid: 'aaaaaaaa-0000-4000-8000-000000000003', mac: '02:00:00:00:00:03' },
  ])
  assert.equal(a?.address, '02:ab:00:00:00:01 192.0.2.10 2001:db8::10')
  assert.equal(b?.address, '02:00:00:00:00:02 dynamic')
  assert.equal(c?.address, '02:00:00:00:00:03')
  assert.deepEqual(c?.ips, [])
})

test('VIF port input errors name the exact field', () => {
  const cases: [unknown, string][] = [
    ['not an array', 'OVN_INVALID_ARGUMENT ports|expected an array of {vifUuid, mac, ips}'],
    [[null], 'OVN_INVALID_ARGUMENT ports[0]|expected {vifUuid, mac, ips}'],
    [
      [{ vifUuid: 'vif1', mac: MAC1 }],
      'OVN_INVALID_ARGUMENT ports[0].vifUuid|expected the lower-case UUID of a XAPI VIF',
    ],
    [
      [{ vifUuid: 'AAAAAAAA-0000-4000-8000-00000000000A', mac: MAC1 }],
      'OVN_INVALID_ARGUMENT ports[0].vifUuid|expected the lower-case UUID of a XAPI VIF',
    ],
    [[{ vifUuid: 42, mac: MAC1 }], 'OVN_INVALID_ARGUMENT ports[0].vifUuid|expected a string'],
    [
      [{ vifUuid: VIF1, mac: '02:00:00:00:00' }],
      'OVN_INVALID_ARGUMENT ports[0].mac|expected a MAC address like 02:00:00:00:00:01',
    ],
    [
      [{ vifUuid: VIF1, mac: '02-00-00-00-00-01' }],
      'OVN_INVALID_ARGUMENT ports[0].mac|expected a MAC address like 02:00:00:00:00:01',
    ],
    [
      [{ vifUuid: VIF1, mac: '01:00:5e:00:00:01' }],
      'OVN_INVALID_ARGUMENT ports[0].mac|a port address must be unicast (multicast bit set)',
    ],
    [
      [{ vifUuid: VIF1, mac: '00:00:00:00:00:00' }],
      'OVN_INVALID_ARGUMENT ports[0].mac|the all-zero MAC is not a port address',
    ],
    [
      [{ vifUuid: VIF1, mac: MAC1, ips: ['192.0.2.256'] }],
      'OVN_INVALID_ARGUMENT ports[0].ips[0]|expected an IPv4 or IPv6 address without prefix length',
    ],
    [
      [{ vifUuid: VIF1, mac: MAC1, ips: ['192.0.2.010'] }],
      'OVN_INVALID_ARGUMENT ports[0].ips[0]|expected an IPv4 or IPv6 address without prefix length',
    ],
    [
      [{ vifUuid: VIF1, mac: MAC1, ips: ['192.0.2.10/24'] }],
      'OVN_INVALID_ARGUMENT ports[0].ips[0]|expected an IPv4 or IPv6 address without prefix length',
    ],
    [
      [{ vifUuid: VIF1, mac: MAC1, ips: ['192.0.2.10 192.0.2.11'] }],
      'OVN_INVALID_ARGUMENT ports[0].ips[0]|expected an IPv4 or IPv6 address without prefix length',
    ],
    [
      [{ vifUuid: VIF1, mac: MAC1, ips: ['fe80::1%eth0'] }],
      'OVN_INVALID_ARGUMENT ports[0].ips[0]|expected an IPv4 or IPv6 address without prefix length',
    ],
    [[{ vifUuid: VIF1, mac: MAC1, ips: ['0.0.0.0'] }], 'OVN_INVALID_ARGUMENT ports[0].ips[0]|not a host address'],
    [
      [{ vifUuid: VIF1, mac: MAC1, ips: ['192.0.2.1', '192.0.2.1'] }],
      'OVN_INVALID_ARGUMENT ports[0].ips[1]|listed twice',
    ],
    [
      [{ vifUuid: VIF1, mac: MAC1, ips: 'static' }],
      'OVN_INVALID_ARGUMENT ports[0].ips|expected an array of IP addresses or "dynamic"',
    ],
    [
      [{ vifUuid: VIF1, mac: MAC1, ip: '192.0.2.1' }],
      'OVN_INVALID_ARGUMENT ports[0]|unknown field (vifUuid, mac, ips, externalIds, portSecurity)',
    ],
    [
      [{ vifUuid: VIF1, mac: MAC1, externalIds: { k: 'a\nb' } }],
      'OVN_INVALID_ARGUMENT ports[0].externalIds.k|control characters are not allowed',
    ],
    [
      [
        { vifUuid: VIF1, mac: MAC1 },
        { vifUuid: VIF1, mac: '02:00:00:00:00:02' },
      ],
      'OVN_INVALID_ARGUMENT ports[1].vifUuid|also given for ports[0]',
    ],
    [
      [
        { vifUuid: VIF1, mac: MAC1 },
        { vifUuid: VIF2, mac: MAC1.toUpperCase() },
      ],
      'OVN_INVALID_ARGUMENT ports[1].mac|also given for ports[0]',
    ],
    [
      [
        { vifUuid: VIF1, mac: MAC1, ips: ['192.0.2.5'] },
        { vifUuid: VIF2, mac: '02:00:00:00:00:02', ips: ['192.0.2.5'] },
      ],
      'OVN_INVALID_ARGUMENT ports[1].ips[0]|also given for ports[0]',
    ],
  ]
  for (const [input, expected] of cases)
    assert.equal(
      rejected(() => parseVifPorts(input)),
      expected,
      JSON.stringify(input),
    )
})

test('switch names, references, subnets and options', () => {
  assert.equal(parseSwitchName('tenant-a.prod_1'), 'tenant-a.prod_1')
  const cases: [() => unknown, string][] = [
    [
      () => parseSwitchName(''),
      'OVN_INVALID_ARGUMENT switch|switch names are 1-64 letters, digits, "_", ".", ":" or "-", starting with a letter, digit or "_"',
    ],
    [
      () => parseSwitchName('has space'),
      'OVN_INVALID_ARGUMENT switch|switch names are 1-64 letters, digits, "_", ".", ":" or "-", starting with a letter, digit or "_"',
    ],
    [
      () => parseSwitchName(VIF1),
      'OVN_INVALID_ARGUMENT switch|a switch name must not look like a UUID (UUIDs name switches by their row UUID)',
    ],
    [() => parseSwitchRef(''), 'OVN_INVALID_ARGUMENT switch|empty switch name'],
    [() => parseSwitchRef('a\u0000b'), 'OVN_INVALID_ARGUMENT switch|control characters are not allowed'],
    [() => parseSubnet('192.0.2.0'), 'OVN_INVALID_ARGUMENT subnet|expected an IPv4 CIDR such as 192.0.2.0/24'],
    [
      () => parseSubnet('192.0.2.1/24'),
      'OVN_INVALID_ARGUMENT subnet|host bits must be zero (name the network, not an address in it)',
    ],
    [
      () => parseSubnet('192.0.2.0/31'),
      'OVN_INVALID_ARGUMENT subnet|the prefix length must be 1-30 (ovn-northd needs addresses to hand out)',
    ],
    [() => parseSubnet('2001:db8::/64'), 'OVN_INVALID_ARGUMENT subnet|expected an IPv4 CIDR such as 192.0.2.0/24'],
    [
      () => parseSwitchOptions({ subnet: '192.0.2.0/24', mtu: 1400 }),
      'OVN_INVALID_ARGUMENT options|unknown option (subnet, externalIds, dhcp, ipv6)',
    ],
  ]
  for (const [fn, expected] of cases) assert.equal(rejected(fn), expected)
  assert.equal(parseSubnet('198.18.0.0/15'), '198.18.0.0/15')
  assert.deepEqual(parseSwitchOptions({ subnet: '192.0.2.0/24' }), {
    subnet: '192.0.2.0/24',
    externalIds: new Map(),
    dhcp: null,
    ipv6: null,
  })
})

test('localnet ports: physnet names follow the ovn-bridge-mappings rule, VLAN 1-4094', () => {
  assert.deepEqual(parseLocalnetPort({ name: 'provnet', networkName: 'physnet-mgmt', vlan: 4094 }), {
    name: 'provnet',
    nameGiven: true,
    networkName: 'physnet-mgmt',
    vlan: 4094,
  })
  assert.deepEqual(parseLocalnetPort({ name: 'provnet', networkName: 'physnet' }), {
    name: 'provnet',
    nameGiven: true,
    networkName: 'physnet',
    vlan: null,
  })
  // Without a name: provnet-<network>, and the planner may take the switch's existing port.
  assert.deepEqual(parseLocalnetPort({ networkName: 'physnet' }), {
    name: 'provnet-physnet',
    nameGiven: false,
    networkName: 'physnet',
    vlan: null,
  })
  const cases: [unknown, string][] = [
    [
      { name: 'p', networkName: 'phys:net' },
      'OVN_INVALID_ARGUMENT networkName|"phys:net" is not a name (letters, digits, "_", ".", "-") (it must match a physnet of ovn-bridge-mappings)',
    ],
    [
      { name: 'p', networkName: 'a,b' },
      'OVN_INVALID_ARGUMENT networkName|expected one physical network name (it must match a physnet of ovn-bridge-mappings)',
    ],
    [
      { name: 'p', networkName: '' },
      'OVN_INVALID_ARGUMENT networkName|expected one physical network name (it must match a physnet of ovn-bridge-mappings)',
    ],
    [{ name: 'p', networkName: 'n', vlan: 0 }, 'OVN_INVALID_ARGUMENT vlan|expected a VLAN id from 1 to 4094'],
    [{ name: 'p', networkName: 'n', vlan: 4095 }, 'OVN_INVALID_ARGUMENT vlan|expected a VLAN id from 1 to 4094'],
    [{ name: 'p', networkName: 'n', vlan: '7' }, 'OVN_INVALID_ARGUMENT vlan|expected a VLAN id from 1 to 4094'],
    [
      { name: 'p q', networkName: 'n' },
      'OVN_INVALID_ARGUMENT name|port names are 1-64 letters, digits, "_", ".", ":" or "-"',
    ],
    [{ name: 'p', networkName: 'n', tag: 7 }, 'OVN_INVALID_ARGUMENT port|unknown field (name, networkName, vlan)'],
  ]
  for (const [input, expected] of cases)
    assert.equal(
      rejected(() => parseLocalnetPort(input)),
      expected,
      JSON.stringify(input),
    )
})

test('VIF UUID lists for detach: validated, duplicates dropped', () => {
  assert.deepEqual(parseVifUuids([VIF1, VIF2, VIF1]), [VIF1, VIF2])
  assert.equal(
    rejected(() => parseVifUuids(['nope'])),
    'OVN_INVALID_ARGUMENT vifUuids[0]|expected the lower-case UUID of a XAPI VIF',
  )
  assert.equal(
    rejected(() => parseVifUuids(VIF1)),
    'OVN_INVALID_ARGUMENT vifUuids|expected an array of VIF UUIDs',
  )
})
