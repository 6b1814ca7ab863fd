import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  planAddFip,
  planAddRouter,
  planAttachRouter,
  planDeleteFip,
  planDeleteRouter,
  planDetachRouter,
  planRemoveGateway,
  planRouterGateway,
  routerInfos,
} from '../../lib/nb/index.js'
import type { NbNatRow, NbRouterPortRow, NbRouterRow, RouterSnapshot } from '../../lib/nb/router-model.js'
import { parseFipSpec, parseGatewayAddress, parseGatewaySpec, routerIpv6Network } from '../../lib/nb/validate-router.js'
import { LSP1, LSP2, LSP3, SW_A, SW_B, VIF1, VIF2, VIF3, lport, lswitch, wire } from './nb-fixtures.js'
import { code } from './error-code.js'

const SW_P = 'dddddddd-0000-4000-8000-00000000000d'
const SW_C = 'cccccccc-0000-4000-8000-00000000000c'
const R1 = 'a1a1a1a1-0000-4000-8000-0000000000a1'
const R2 = 'a2a2a2a2-0000-4000-8000-0000000000a2'
const RF = 'afafafaf-0000-4000-8000-0000000000af'
const LRP_A = 'b1b1b1b1-0000-4000-8000-0000000000b1'
const LRP_GW = 'b2b2b2b2-0000-4000-8000-0000000000b2'
const LSP_RA = 'c4c4c4c4-0000-4000-8000-0000000000c4'
const LSP_RGW = 'c5c5c5c5-0000-4000-8000-0000000000c5'
const LSP_LN = 'c6c6c6c6-0000-4000-8000-0000000000c6'
const GROUP = 'd1d1d1d1-0000-4000-8000-0000000000d1'
const HA1 = 'd2d2d2d2-0000-4000-8000-0000000000d2'
const SNAT_A = 'e1e1e1e1-0000-4000-8000-0000000000e1'
const FIP1 = 'e2e2e2e2-0000-4000-8000-0000000000e2'

const OWNED = new Map([['xapi-ovn:managed', 'true']])

function router(name: string, uuid: string, o: Partial<NbRouterRow> = {}): NbRouterRow {
  return { uuid, name, portUuids: [], natUuids: [], options: new Map(), externalIds: OWNED, ...o }
}

function lrp(name: string, uuid: string, networks: string[], o: Partial<NbRouterPortRow> = {}): NbRouterPortRow {
  return {
    uuid,
    name,
    mac: '0a:58:00:00:00:01',
    networks,
    haChassisGroup: null,
    gatewayChassis: [],
    options: new Map(),
    ipv6RaConfigs: new Map(),
    externalIds: new Map(),
    ...o,
  }
}

function nat(uuid: string, o: Partial<NbNatRow>): NbNatRow {
  return {
    uuid,
    type: 'snat',
    externalIp: '',
    logicalIp: '',
    logicalPort: null,
    externalMac: null,
    externalIds: new Map(),
    ...o,
  }
}

const routerLsp = (name: string, uuid: string, peer: string) =>
  lport(name, uuid, { type: 'router', addresses: ['router'], options: new Map([['router-port', peer]]) })

/** tenant-a (VIF1 .20, VIF2 .21) on r1 with a gateway on provider and the SNAT of tenant-a; r2 empty; a foreign router. */
const WORLD: RouterSnapshot = {
  switches: [
    lswitch('tenant-a', SW_A, { ports: [LSP1, LSP2, LSP_RA], otherConfig: { subnet: '198.18.10.0/24' } }),
    lswitch('tenant-b', SW_B, { otherConfig: { subnet: '198.18.11.0/24' } }),
    lswitch('provider', SW_P, { ports: [LSP_LN, LSP_RGW], otherConfig: { subnet: '198.18.0.0/24' } }),
  ],
  ports: [
    lport(VIF1, LSP1, { addresses: ['02:00:00:00:00:01 198.18.10.20'] }),
    lport(VIF2, LSP2, { addresses: ['02:00:00:00:00:02 dynamic'], dynamicAddresses: '02:00:00:00:00:02 198.18.10.21' }),
    routerLsp('lsp-tenant-a-r1', LSP_RA, 'lrp-r1-tenant-a'),
    routerLsp('lsp-provider-r1', LSP_RGW, 'lrp-r1-gw'),
    lport('provnet-mgmt', LSP_LN, { type: 'localnet', addresses: ['unknown'] }),
  ],
  dhcpOptions: [],
  routers: [
    router('r1', R1, { portUuids: [LRP_A, LRP_GW], natUuids: [SNAT_A] }),
    router('r2', R2),
    router('neutron', RF, { externalIds: new Map() }),
  ],
  routerPorts: [
    lrp('lrp-r1-tenant-a', LRP_A, ['198.18.10.1/24']),
    lrp('lrp-r1-gw', LRP_GW, ['198.18.0.10/24'], { haChassisGroup: GROUP }),
  ],
  nats: [
    nat(SNAT_A, {
      logicalIp: '198.18.10.0/24',
      externalIp: '198.18.0.10',
      externalIds: new Map([['xapi-ovn:nat', 'snat']]),
    }),
  ],
  haGroups: [{ uuid: GROUP, name: 'r1-gw', haChassis: [HA1], externalIds: new Map() }],
  haChassis: [{ uuid: HA1, chassisName: 'gw-a', priority: 100 }],
}

const withFip: RouterSnapshot = {
  ...WORLD,
  routers: [router('r1', R1, { portUuids: [LRP_A, LRP_GW], natUuids: [SNAT_A, FIP1] }), ...WORLD.routers.slice(1)],
  nats: [
    ...WORLD.nats,
    nat(FIP1, {
      type: 'dnat_and_snat',
      externalIp: '198.18.0.50',
      logicalIp: '198.18.10.20',
      logicalPort: VIF1,
      externalMac: '0a:58:c6:12:00:32',
      externalIds: new Map([['xapi-ovn:nat', 'fip']]),
    }),
  ],
}

const gw = (o: Record<string, unknown> = {}) =>
  parseGatewaySpec({ switch: 'provider', ip: '198.18.0.20/24', chassis: ['gw-a'], ...o })

test('what each router plan refuses, before writing anything', () => {
  const cases: [string, () => unknown, string][] = [
    [
      'a foreign router is not changed',
      () => planAttachRouter(WORLD, 'neutron', 'tenant-b'),
      'OVN_NB_ROUTER_FOREIGN neutron',
    ],
    ['nor deleted', () => planDeleteRouter(WORLD, 'neutron', { force: true }), 'OVN_NB_ROUTER_FOREIGN neutron'],
    ['nor re-added as ours', () => planAddRouter(WORLD, 'neutron'), 'OVN_NB_ROUTER_FOREIGN neutron'],
    ['an unknown router', () => planAttachRouter(WORLD, 'r9', 'tenant-b'), 'OVN_NB_ROUTER_MISSING r9'],
    ['an unknown switch', () => planAttachRouter(WORLD, 'r2', 'nope'), 'OVN_NB_SWITCH_MISSING nope'],
    [
      'a switch on another router',
      () => planAttachRouter(WORLD, 'r2', 'tenant-a'),
      'OVN_NB_ROUTER_ATTACHED tenant-a|r2|the switch is attached to router r1 already',
    ],
    [
      "the router's provider switch as a tenant",
      () => planAttachRouter(WORLD, 'r1', 'provider'),
      "OVN_NB_ROUTER_ATTACHED provider|r1|the switch is the router's provider (gateway) switch",
    ],
    [
      'detach from the wrong router',
      () => planDetachRouter(WORLD, 'r2', 'tenant-a'),
      'OVN_NB_ROUTER_ATTACHED tenant-a|r2|the switch is attached to router r1, not this one',
    ],
    [
      'a switch without subnet',
      () => planAttachRouter({ ...WORLD, switches: [...WORLD.switches, lswitch('plain', SW_C)] }, 'r1', 'plain'),
      'OVN_NB_SWITCH_NO_SUBNET plain',
    ],
    [
      'a gateway on a switch without localnet port',
      () => planRouterGateway(WORLD, 'r2', gw({ switch: 'tenant-b', ip: '198.18.11.5/24' })),
      'OVN_NB_NOT_PROVIDER tenant-b',
    ],
    [
      'a gateway outside the provider subnet',
      () => planRouterGateway(WORLD, 'r2', gw({ ip: '198.18.1.20/24' })),
      "OVN_NB_ADDRESS_CONFLICT 198.18.1.20/24|provider|outside the provider switch's subnet 198.18.0.0/24",
    ],
    [
      "a gateway on another router's address",
      () => planRouterGateway(WORLD, 'r2', gw({ ip: '198.18.0.10/24' })),
      'OVN_NB_ADDRESS_CONFLICT 198.18.0.10|provider|router r1 has it (port lrp-r1-gw)',
    ],
    [
      "a gateway on a floating IP's address",
      () => planRouterGateway(withFip, 'r2', gw({ ip: '198.18.0.50/24' })),
      'OVN_NB_ADDRESS_CONFLICT 198.18.0.50|provider|a dnat_and_snat NAT row has it as external address',
    ],
    [
      'a router with switches, without force',
      () => planDeleteRouter(withFip, 'r1', { force: false }),
      'OVN_NB_ROUTER_NOT_EMPTY r1|1 attached switch(es), a gateway, 1 floating IP(s)',
    ],
    [
      'a FIP on a port whose switch has no router',
      () =>
        planAddFip(
          {
            ...WORLD,
            switches: [
              ...WORLD.switches,
              lswitch('tenant-c', SW_C, { ports: [LSP3], otherConfig: { subnet: '198.18.12.0/24' } }),
            ],
            ports: [...WORLD.ports, lport(VIF3, LSP3, { addresses: ['02:00:00:00:00:03 198.18.12.5'] })],
          },
          parseFipSpec({ vifUuid: VIF3, ip: '198.18.0.60' }),
        ),
      `OVN_NB_ROUTER_NO_GATEWAY ${VIF3}|its switch tenant-c is attached to no xapi-ovn router`,
    ],
    [
      'a FIP on a router port',
      // The planner's own check (the parser already refuses a name that is not a VIF UUID).
      () => planAddFip(WORLD, { vifUuid: 'lsp-tenant-a-r1', ip: '198.18.0.60', centralized: false }),
      'OVN_NB_PORT_CONFLICT lsp-tenant-a-r1|tenant-a|it is a router port, not a VIF port',
    ],
    [
      'a FIP already used by another port',
      () => planAddFip(withFip, parseFipSpec({ vifUuid: VIF2, ip: '198.18.0.50' })),
      `OVN_NB_FIP_CONFLICT 198.18.0.50|a dnat_and_snat NAT row has it already (port ${VIF1})`,
    ],
    [
      'a second FIP for one port',
      () => planAddFip(withFip, parseFipSpec({ vifUuid: VIF1, ip: '198.18.0.51' })),
      `OVN_NB_FIP_CONFLICT 198.18.0.51|port ${VIF1} has floating IP 198.18.0.50 already (fip del it first)`,
    ],
    [
      'a FIP outside the provider network',
      () => planAddFip(WORLD, parseFipSpec({ vifUuid: VIF1, ip: '198.18.9.9' })),
      "OVN_NB_ADDRESS_CONFLICT 198.18.9.9|provider|outside the provider network 198.18.0.0/24 of router r1's gateway",
    ],
    [
      'a FIP on the gateway address',
      () => planAddFip(WORLD, parseFipSpec({ vifUuid: VIF1, ip: '198.18.0.10' })),
      "OVN_NB_FIP_CONFLICT 198.18.0.10|it is router r1's gateway address",
    ],
    [
      'a FIP without any gateway',
      () =>
        planAddFip(
          { ...WORLD, routers: [router('r1', R1, { portUuids: [LRP_A] }), ...WORLD.routers.slice(1)] },
          parseFipSpec({ vifUuid: VIF1, ip: '198.18.0.60' }),
        ),
      `OVN_NB_ROUTER_NO_GATEWAY ${VIF1}|router r1 has no gateway (xapi-ovn router gateway)`,
    ],
    [
      'an unknown VIF',
      () => planAddFip(WORLD, parseFipSpec({ vifUuid: VIF3, ip: '198.18.0.60' })),
      `OVN_NB_PORT_MISSING ${VIF3}`,
    ],
  ]
  for (const [what, fn, expected] of cases) assert.equal(code(fn), expected, what)
})

test('the gateway address: an IPv4 address with its prefix length, not the network or broadcast address', () => {
  const cases: [unknown, string][] = [
    ['198.18.0.10/24', 'ok 198.18.0.10 198.18.0.0/24'],
    [
      '198.18.0.10',
      'OVN_INVALID_ARGUMENT ip|198.18.0.10|expected an IPv4 address with its prefix length, such as 198.18.0.10/24',
    ],
    ['198.18.0.0/24', 'OVN_INVALID_ARGUMENT ip|198.18.0.0/24|the network or broadcast address of 198.18.0.0/24'],
    ['198.18.0.255/24', 'OVN_INVALID_ARGUMENT ip|198.18.0.255/24|the network or broadcast address of 198.18.0.0/24'],
    ['198.18.0.1/31', 'OVN_INVALID_ARGUMENT ip|198.18.0.1/31|the prefix length must be 1-30'],
    [
      '2001:db8::1/64',
      'OVN_INVALID_ARGUMENT ip|2001:db8::1/64|expected an IPv4 address with its prefix length, such as 198.18.0.10/24',
    ],
  ]
  for (const [input, expected] of cases) {
    let got: string
    try {
      const a = parseGatewayAddress(input)
      got = `ok ${a.ip} ${a.cidr}`
    } catch {
      got = code(() => parseGatewayAddress(input))
    }
    assert.equal(got, expected, String(input))
  }
  assert.equal(
    code(() => parseGatewaySpec({ switch: 'p', ip: '198.18.0.9/24', chassis: [] })).split('|')[0],
    'OVN_INVALID_ARGUMENT chassis',
  )
  assert.equal(
    code(() => parseGatewaySpec({ switch: 'p', ip: '198.18.0.9/24', chassis: ['a', 'a'] })),
    'OVN_INVALID_ARGUMENT chassis[1]|a|listed twice',
  )
})

test('attach: the LRP on the first host address (or DHCP router), the router LSP, and SNAT when the router has a gateway', () => {
  const plan = planAttachRouter(WORLD, 'r1', 'tenant-b')
  assert.deepEqual(
    [plan.action, plan.network, plan.mac, plan.routerPort, plan.switchPort, plan.snatAdded],
    ['created', '198.18.11.1/24', '0a:58:c6:12:0b:01', 'lrp-r1-tenant-b', 'lsp-tenant-b-r1', 1],
  )
  const ops = wire(plan.operations) as { op: string; table: string; row?: Record<string, unknown> }[]
  assert.deepEqual(
    ops.map((o) => `${o.op} ${o.table ?? ''}`.trim()),
    [
      'wait Logical_Router',
      'wait Logical_Switch',
      'insert Logical_Router_Port',
      'mutate Logical_Router',
      'insert Logical_Switch_Port',
      'mutate Logical_Switch',
      'insert NAT',
      'mutate Logical_Router',
      'comment',
    ],
  )
  assert.deepEqual(ops[4]?.row, {
    name: 'lsp-tenant-b-r1',
    type: 'router',
    addresses: 'router',
    options: ['map', [['router-port', 'lrp-r1-tenant-b']]],
    external_ids: [
      'map',
      [
        ['xapi-ovn:router', 'r1'],
        ['xapi-ovn:switch', 'tenant-b'],
        // What a VIF attach on the switch checks its addresses against (plan-addresses.ts).
        ['xapi-ovn:router-addresses', '198.18.11.1'],
      ],
    ],
  })
  assert.deepEqual(ops[6]?.row, {
    type: 'snat',
    logical_ip: '198.18.11.0/24',
    external_ip: '198.18.0.10',
    external_ids: [
      'map',
      [
        ['xapi-ovn:router', 'r1'],
        ['xapi-ovn:nat', 'snat'],
        ['xapi-ovn:switch', 'tenant-b'],
      ],
    ],
  })
  // The DHCP router option, when the switch has one, is the gateway address.
  const dhcp: RouterSnapshot = {
    ...WORLD,
    switches: WORLD.switches.map((s) =>
      s.uuid === SW_B
        ? lswitch('tenant-b', SW_B, {
            otherConfig: { subnet: '198.18.11.0/24' },
            externalIds: { 'xapi-ovn:dhcpv4-options': HA1 },
          })
        : s,
    ),
    dhcpOptions: [
      { uuid: HA1, cidr: '198.18.11.0/24', options: new Map([['router', '198.18.11.254']]), externalIds: new Map() },
    ],
  }
  assert.equal(planAttachRouter(dhcp, 'r2', 'tenant-b').network, '198.18.11.254/24')
  // Attached already: nothing; a SNAT row that went missing comes back.
  assert.deepEqual(wire(planAttachRouter(WORLD, 'r1', 'tenant-a').operations), [])
  const lost = planAttachRouter(
    { ...WORLD, routers: [router('r1', R1, { portUuids: [LRP_A, LRP_GW] }), ...WORLD.routers.slice(1)] },
    'r1',
    'tenant-a',
  )
  assert.deepEqual([lost.action, lost.snatAdded], ['unchanged', 1])
})

test('attach refuses an overlapping subnet and a gateway address a port holds', () => {
  const overlap: RouterSnapshot = {
    ...WORLD,
    switches: [...WORLD.switches, lswitch('tenant-c', SW_C, { otherConfig: { subnet: '198.18.10.128/25' } })],
  }
  assert.equal(
    code(() => planAttachRouter(overlap, 'r1', 'tenant-c')),
    'OVN_NB_ADDRESS_CONFLICT 198.18.10.128/25|tenant-c|overlaps 198.18.10.0/24 of switch tenant-a, also on router r1 (a router routes each address one way)',
  )
  const held: RouterSnapshot = {
    ...WORLD,
    switches: WORLD.switches.map((s) =>
      s.uuid === SW_B ? lswitch('tenant-b', SW_B, { ports: [LSP2], otherConfig: { subnet: '198.18.11.0/24' } }) : s,
    ),
    ports: WORLD.ports.map((p) =>
      p.uuid === LSP2 ? lport(VIF2, LSP2, { addresses: ['02:00:00:00:00:02 198.18.11.1'] }) : p,
    ),
  }
  assert.equal(
    code(() => planAttachRouter(held, 'r2', 'tenant-b')),
    `OVN_NB_ADDRESS_CONFLICT 198.18.11.1|tenant-b|the gateway address is port ${VIF2}'s (give that port another address)`,
  )
})

test('gateway: created with its HA group (priorities in order), unchanged when asked again, updated in place otherwise', () => {
  const plan = planRouterGateway(WORLD, 'r2', gw({ chassis: ['gw-a', 'gw-b', 'gw-c'] }))
  assert.deepEqual(plan.chassis, [
    { chassis: 'gw-a', priority: 100 },
    { chassis: 'gw-b', priority: 90 },
    { chassis: 'gw-c', priority: 80 },
  ])
  const ops = wire(plan.operations) as { op: string; table: string; row?: Record<string, unknown> }[]
  const inserted = ops.filter((o) => o.op === 'insert').map((o) => o.table)
  assert.deepEqual(inserted, [
    'HA_Chassis',
    'HA_Chassis',
    'HA_Chassis',
    'HA_Chassis_Group',
    'Logical_Router_Port',
    'Logical_Switch_Port',
  ])
  const peer = ops.find((o) => o.table === 'Logical_Switch_Port')
  assert.deepEqual(peer?.row?.options, [
    'map',
    [
      ['router-port', 'lrp-r2-gw'],
      ['nat-addresses', 'router'],
    ],
  ])
  assert.equal(plan.snatAdded, 0, 'r2 has no tenant switch')

  const same = planRouterGateway(WORLD, 'r1', gw({ ip: '198.18.0.10/24', chassis: ['gw-a'] }))
  // The fixture's MAC is not the derived one: the port is brought to it.
  assert.equal(same.action, 'updated')
  const fixed: RouterSnapshot = {
    ...WORLD,
    routerPorts: [
      WORLD.routerPorts[0] as NbRouterPortRow,
      lrp('lrp-r1-gw', LRP_GW, ['198.18.0.10/24'], { haChassisGroup: GROUP, mac: '0a:58:c6:12:00:0a' }),
    ],
  }
  assert.deepEqual(wire(planRouterGateway(fixed, 'r1', gw({ ip: '198.18.0.10/24', chassis: ['gw-a'] })).operations), [])
  const moved = planRouterGateway(fixed, 'r1', gw({ ip: '198.18.0.11/24', chassis: ['gw-b', 'gw-a'] }))
  assert.deepEqual([moved.action, moved.snatAdded, moved.snatRemoved], ['updated', 1, 1])
  const kinds = (wire(moved.operations) as { op: string; table: string }[]).map((o) =>
    `${o.op} ${o.table ?? ''}`.trim(),
  )
  assert.ok(kinds.includes('update Logical_Router_Port') && kinds.includes('update HA_Chassis_Group'), kinds.join(', '))
  assert.equal(
    code(() => planRouterGateway(WORLD, 'r1', gw({ switch: 'tenant-b', ip: '198.18.11.5/24' }))),
    'OVN_NB_NOT_PROVIDER tenant-b',
  )
})

test('fip: a distributed dnat_and_snat row (logical_port + external_mac), or centralized; the dynamic address counts', () => {
  const d = planAddFip(WORLD, parseFipSpec({ vifUuid: VIF1, ip: '198.18.0.50' }))
  const row = (wire(d.operations) as { op: string; row?: Record<string, unknown> }[]).find(
    (o) => o.op === 'insert',
  )?.row
  assert.deepEqual(row, {
    type: 'dnat_and_snat',
    external_ip: '198.18.0.50',
    logical_ip: '198.18.10.20',
    logical_port: VIF1,
    external_mac: '0a:58:c6:12:00:32',
    external_ids: [
      'map',
      [
        ['xapi-ovn:router', 'r1'],
        ['xapi-ovn:nat', 'fip'],
      ],
    ],
  })
  const c = planAddFip(WORLD, parseFipSpec({ vifUuid: VIF2, ip: '198.18.0.51', centralized: true }))
  assert.deepEqual([c.fip.logicalIp, c.fip.externalMac, c.fip.distributed], ['198.18.10.21', null, false])
  assert.deepEqual(wire(planAddFip(withFip, parseFipSpec({ vifUuid: VIF1, ip: '198.18.0.50' })).operations), [])
  const del = planDeleteFip(withFip, { vifUuid: VIF1 })
  assert.deepEqual(
    del.removed.map((f) => f.ip),
    ['198.18.0.50'],
  )
  assert.deepEqual(planDeleteFip(withFip, { ip: '198.18.0.99' }).operations, [])
})

test('detach, gateway removal and forced delete take every row of ours and leave foreign NAT rows', () => {
  const foreignNat = nat('f0f0f0f0-0000-4000-8000-0000000000f0', {
    type: 'snat',
    logicalIp: '198.18.12.0/24',
    externalIp: '198.18.0.10',
  })
  const s: RouterSnapshot = {
    ...withFip,
    routers: [
      router('r1', R1, { portUuids: [LRP_A, LRP_GW], natUuids: [SNAT_A, FIP1, foreignNat.uuid] }),
      ...WORLD.routers.slice(1),
    ],
    nats: [...withFip.nats, foreignNat],
  }
  const d = planDetachRouter(s, 'r1', 'tenant-a')
  assert.deepEqual([d.action, d.snatRemoved, d.fipsRemoved], ['removed', 1, 1])
  const natDeletes = (wire(d.operations) as { op: string; mutations?: unknown[] }[])
    .filter((o) => o.op === 'mutate')
    .flatMap((o) => o.mutations ?? [])
    .filter((m) => JSON.stringify(m).startsWith('["nat"'))
  assert.equal(JSON.stringify(natDeletes).includes(foreignNat.uuid), false, 'the foreign NAT row stays')
  const rm = planRemoveGateway(s, 'r1')
  assert.deepEqual([rm.action, rm.snatRemoved, rm.fipsRemoved], ['removed', 1, 1])
  assert.ok(JSON.stringify(wire(rm.operations)).includes('"HA_Chassis_Group"'))
  assert.deepEqual(wire(planRemoveGateway(s, 'r2').operations), [])
  const del = planDeleteRouter(s, 'r1', { force: true })
  assert.deepEqual([del.switches, del.gateway, del.fips], [['tenant-a'], true, 1])
  assert.deepEqual(
    (wire(del.operations) as { op: string; table: string }[]).filter((o) => o.op === 'delete').map((o) => o.table),
    ['Logical_Router', 'Logical_Router_Port', 'HA_Chassis_Group'],
  )
})

test('router list: ours and foreign ones flagged, switches, gateway with chassis by priority, SNAT, FIP count', () => {
  assert.deepEqual(
    routerInfos(withFip).map((r) => [
      r.name,
      r.owned,
      r.switches.map((x) => x.network),
      r.gateway?.chassis,
      r.snat.length,
      r.fips,
    ]),
    [
      ['neutron', false, [], undefined, 0, 0],
      ['r1', true, ['198.18.10.1/24'], [{ name: 'gw-a', priority: 100 }], 1, 1],
      ['r2', true, [], undefined, 0, 0],
    ],
  )
  assert.deepEqual(wire(planAddRouter(WORLD, 'r1').operations), [])
  assert.equal(planAddRouter(WORLD, 'r3').action, 'created')
})

test("the router's IPv6 address from a switch's ipv6_prefix: the prefix's first address, /64 only", () => {
  const cases: [string, string][] = [
    ['2001:db8:10::', 'ok 2001:db8:10::1/64'],
    ['2001:db8:10::/64', 'ok 2001:db8:10::1/64'],
    ['2001:db8:0:7::', 'ok 2001:db8:0:7::1/64'],
    [
      '2001:db8:10::/48',
      'OVN_INVALID_ARGUMENT ipv6_prefix|2001:db8:10::/48|expected a /64 IPv6 prefix such as 2001:db8:10:: (ovn-northd takes /64 only)',
    ],
    [
      '2001:db8:10::5',
      'OVN_INVALID_ARGUMENT ipv6_prefix|2001:db8:10::5|the interface bits of a /64 prefix must be zero',
    ],
    [
      '198.18.10.0',
      'OVN_INVALID_ARGUMENT ipv6_prefix|198.18.10.0|expected a /64 IPv6 prefix such as 2001:db8:10:: (ovn-northd takes /64 only)',
    ],
  ]
  for (const [prefix, expected] of cases) {
    const got = code(() => routerIpv6Network(prefix))
    assert.equal(got === 'no error' ? `ok ${routerIpv6Network(prefix)}` : got, expected, prefix)
  }
})

test('attach on a switch with ipv6_prefix: the IPv6 address and router advertisements in the mode the switch names', () => {
  const v6 = (mode?: string): RouterSnapshot => ({
    ...WORLD,
    switches: WORLD.switches.map((s) =>
      s.uuid === SW_B
        ? lswitch('tenant-b', SW_B, {
            otherConfig: { subnet: '198.18.11.0/24', ipv6_prefix: '2001:db8:11::' },
            ...(mode === undefined ? {} : { externalIds: { 'xapi-ovn:ipv6-mode': mode } }),
          })
        : s,
    ),
  })
  const cases: [string | undefined, string][] = [
    [undefined, 'slaac'],
    ['slaac', 'slaac'],
    // As `switch add --ipv6-mode` records them (plan-ipv6.ts), in ipv6_ra_configs' words.
    ['dhcpv6-stateless', 'dhcpv6_stateless'],
    ['dhcpv6-stateful', 'dhcpv6_stateful'],
  ]
  for (const [mode, expected] of cases) {
    const plan = planAttachRouter(v6(mode), 'r2', 'tenant-b')
    assert.equal(plan.ipv6, '2001:db8:11::1/64')
    const lrpRow = (wire(plan.operations) as { op: string; table: string; row?: Record<string, unknown> }[]).find(
      (o) => o.op === 'insert' && o.table === 'Logical_Router_Port',
    )?.row
    assert.deepEqual(lrpRow?.networks, ['set', ['198.18.11.1/24', '2001:db8:11::1/64']], String(mode))
    assert.deepEqual(
      lrpRow?.ipv6_ra_configs,
      [
        'map',
        [
          ['address_mode', expected],
          ['send_periodic', 'true'],
          // No DHCPv4 row on the switch: Geneve over a 1500-byte IPv4 underlay.
          ['mtu', '1442'],
        ],
      ],
      String(mode),
    )
  }
  // A switch with a DHCPv4 row: the RA carries the MTU that row hands out (switch add --mtu).
  const D4 = 'd4d4d4d4-0000-4000-8000-0000000000d4'
  const jumbo: RouterSnapshot = {
    ...v6('slaac'),
    switches: v6('slaac').switches.map((x) =>
      x.uuid === SW_B ? { ...x, externalIds: new Map([...x.externalIds, ['xapi-ovn:dhcpv4-options', D4]]) } : x,
    ),
    dhcpOptions: [{ uuid: D4, cidr: '198.18.11.0/24', options: new Map([['mtu', '8942']]), externalIds: new Map() }],
  }
  const jumboRow = (
    wire(planAttachRouter(jumbo, 'r2', 'tenant-b').operations) as {
      op: string
      table: string
      row?: Record<string, unknown>
    }[]
  ).find((o) => o.op === 'insert' && o.table === 'Logical_Router_Port')?.row
  assert.deepEqual(
    (jumboRow?.ipv6_ra_configs as [string, [string, string][]] | undefined)?.[1].find(([k]) => k === 'mtu'),
    ['mtu', '8942'],
  )
  assert.equal(
    code(() => planAttachRouter(v6('stateful'), 'r2', 'tenant-b')),
    "OVN_INVALID_ARGUMENT xapi-ovn:ipv6-mode|stateful|the switch's IPv6 mode must be one of slaac, dhcpv6-stateless, dhcpv6-stateful",
  )
  // A switch already attached that gets its ipv6_prefix later: the router port is updated in place.
  const later: RouterSnapshot = {
    ...WORLD,
    switches: WORLD.switches.map((s) =>
      s.uuid === SW_A
        ? lswitch('tenant-a', SW_A, {
            ports: [LSP1, LSP2, LSP_RA],
            otherConfig: { subnet: '198.18.10.0/24', ipv6_prefix: '2001:db8:10::' },
          })
        : s,
    ),
  }
  const up = planAttachRouter(later, 'r1', 'tenant-a')
  assert.deepEqual([up.action, up.ipv6], ['updated', '2001:db8:10::1/64'])
  const update = (wire(up.operations) as { op: string; table: string; row?: Record<string, unknown> }[]).find(
    (o) => o.op === 'update',
  )
  assert.deepEqual(update?.row?.networks, ['set', ['198.18.10.1/24', '2001:db8:10::1/64']])
})
