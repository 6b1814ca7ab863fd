import { test } from 'node:test'
import assert from 'node:assert/strict'
import { planAttachPorts, planDetachPorts } from '../../lib/nb/plan-ports.js'
import { parseVifPorts } from '../../lib/nb/validate-inputs.js'
import type { NbSnapshot } from '../../lib/nb/model.js'
import { LSP1, LSP2, LSP3, SW_A, SW_B, VIF1, VIF2, VIF3, applyToSnapshot, lport, lswitch, wire } from './nb-fixtures.js'
import { code } from './error-code.js'

const SUBNET = { subnet: '192.0.2.0/24' }
const onlyA: NbSnapshot = { switches: [lswitch('tenant-a', SW_A, { otherConfig: SUBNET })], ports: [] }
const PORTS = parseVifPorts([
  { vifUuid: VIF1, mac: '02:00:00:00:00:01', ips: ['192.0.2.11'] },
  { vifUuid: VIF2, mac: '02:00:00:00:00:02', ips: 'dynamic', externalIds: { 'xapi-vm-uuid': VIF3 } },
])

test('attaching new ports: one transaction of the switch wait, inserts with named UUIDs, and ONE mutate of the switch', () => {
  const plan = planAttachPorts(onlyA, 'tenant-a', PORTS)
  assert.equal(plan.changed, true)
  assert.deepEqual(
    plan.ports.map((p) => [p.vifUuid, p.action, p.uuidName, p.address]),
    [
      [VIF1, 'created', 'new_lsp0', '02:00:00:00:00:01 192.0.2.11'],
      [VIF2, 'created', 'new_lsp1', '02:00:00:00:00:02 dynamic'],
    ],
  )
  assert.deepEqual(wire(plan.operations), [
    {
      op: 'wait',
      table: 'Logical_Switch',
      where: [['_uuid', '==', ['uuid', SW_A]]],
      columns: ['name'],
      until: '==',
      rows: [{ name: 'tenant-a' }],
      timeout: 0,
    },
    {
      op: 'insert',
      table: 'Logical_Switch_Port',
      row: { name: VIF1, addresses: '02:00:00:00:00:01 192.0.2.11', port_security: '02:00:00:00:00:01 192.0.2.11' },
      'uuid-name': 'new_lsp0',
    },
    {
      op: 'insert',
      table: 'Logical_Switch_Port',
      // A dynamic address: port_security holds the MAC alone (the IP is ovn-northd's to give).
      row: {
        name: VIF2,
        addresses: '02:00:00:00:00:02 dynamic',
        port_security: '02:00:00:00:00:02',
        external_ids: ['map', [['xapi-vm-uuid', VIF3]]],
      },
      'uuid-name': 'new_lsp1',
    },
    {
      op: 'mutate',
      table: 'Logical_Switch',
      where: [['_uuid', '==', ['uuid', SW_A]]],
      mutations: [
        [
          'ports',
          'insert',
          [
            'set',
            [
              ['named-uuid', 'new_lsp0'],
              ['named-uuid', 'new_lsp1'],
            ],
          ],
        ],
      ],
    },
    { op: 'comment', comment: 'xapi-ovn: attach 2 new and 0 updated VIF port(s) on logical switch tenant-a' },
  ])
})

test('attach is idempotent: applied once, planning again gives no operations and every port unchanged', () => {
  const first = planAttachPorts(onlyA, 'tenant-a', PORTS)
  const { snapshot, inserted } = applyToSnapshot(onlyA, first.operations)
  assert.equal(snapshot.switches[0]?.portUuids.length, 2)
  const again = planAttachPorts(snapshot, 'tenant-a', PORTS)
  assert.deepEqual(again.operations, [])
  assert.equal(again.changed, false)
  assert.deepEqual(
    again.ports.map((p) => [p.action, p.uuid]),
    [
      ['unchanged', inserted.get('new_lsp0')],
      ['unchanged', inserted.get('new_lsp1')],
    ],
  )
})

test('50 ports are planned as one transaction with a single switch mutate', () => {
  const many = parseVifPorts(
    Array.from({ length: 50 }, (_, i) => ({
      vifUuid: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
      mac: `02:00:00:00:01:${i.toString(16).padStart(2, '0')}`,
      ips: [`192.0.2.${i + 10}`],
    })),
  )
  const plan = planAttachPorts(onlyA, 'tenant-a', many)
  const count = (kind: string): number => plan.operations.filter((o) => o.op === kind).length
  // One wait (the switch, by _uuid): that the 50 names are free is the name index's to refuse at
  // commit, not 50 waits `where name == X`, each a scan of the port table on the server.
  assert.deepEqual([count('insert'), count('mutate'), count('wait'), count('update')], [50, 1, 1, 0])
  assert.ok(
    plan.operations.every((o) => o.op !== 'wait' || o.where[0]?.[0] === '_uuid'),
    'every wait looks its row up by _uuid',
  )
})

test('a port already on the switch with another address is updated in place, guarded by what was read', () => {
  const s: NbSnapshot = {
    switches: [lswitch('tenant-a', SW_A, { ports: [LSP1], otherConfig: SUBNET })],
    ports: [
      lport(VIF1, LSP1, { addresses: ['02:00:00:00:00:01 192.0.2.99'], externalIds: new Map([['other', 'kept']]) }),
    ],
  }
  const plan = planAttachPorts(s, 'tenant-a', PORTS.slice(0, 1))
  assert.deepEqual(
    plan.ports.map((p) => [p.action, p.uuid]),
    [['updated', LSP1]],
  )
  assert.deepEqual(wire(plan.operations), [
    {
      op: 'wait',
      table: 'Logical_Switch',
      where: [
        ['_uuid', '==', ['uuid', SW_A]],
        ['ports', 'includes', ['uuid', LSP1]],
      ],
      columns: ['name'],
      until: '==',
      rows: [{ name: 'tenant-a' }],
      timeout: 0,
    },
    {
      op: 'wait',
      table: 'Logical_Switch_Port',
      where: [['_uuid', '==', ['uuid', LSP1]]],
      columns: ['name', 'type', 'addresses', 'port_security', 'external_ids'],
      until: '==',
      rows: [
        {
          name: VIF1,
          type: '',
          addresses: '02:00:00:00:00:01 192.0.2.99',
          port_security: ['set', []],
          external_ids: ['map', [['other', 'kept']]],
        },
      ],
      timeout: 0,
    },
    {
      op: 'update',
      table: 'Logical_Switch_Port',
      where: [['_uuid', '==', ['uuid', LSP1]]],
      row: {
        addresses: '02:00:00:00:00:01 192.0.2.11',
        port_security: '02:00:00:00:00:01 192.0.2.11',
        external_ids: ['map', [['other', 'kept']]],
      },
    },
    { op: 'comment', comment: 'xapi-ovn: attach 0 new and 1 updated VIF port(s) on logical switch tenant-a' },
  ])
  const after = applyToSnapshot(s, plan.operations).snapshot
  assert.deepEqual(planAttachPorts(after, 'tenant-a', PORTS.slice(0, 1)).operations, [])
})

test('a mix of unchanged, updated and new ports', () => {
  const s: NbSnapshot = {
    switches: [lswitch('tenant-a', SW_A, { ports: [LSP1, LSP2], otherConfig: SUBNET })],
    ports: [
      lport(VIF1, LSP1, {
        addresses: ['02:00:00:00:00:01 192.0.2.11'],
        portSecurity: ['02:00:00:00:00:01 192.0.2.11'],
      }),
      lport(VIF2, LSP2, { addresses: ['02:00:00:00:00:02 dynamic'] }),
    ],
  }
  const ports = parseVifPorts([
    { vifUuid: VIF1, mac: '02:00:00:00:00:01', ips: ['192.0.2.11'] },
    { vifUuid: VIF2, mac: '02:00:00:00:00:02', ips: ['192.0.2.12', '2001:db8::12'] },
    { vifUuid: VIF3, mac: '02:00:00:00:00:03' },
  ])
  const plan = planAttachPorts(s, 'tenant-a', ports)
  assert.deepEqual(
    plan.ports.map((p) => [p.vifUuid, p.action, p.address]),
    [
      [VIF1, 'unchanged', '02:00:00:00:00:01 192.0.2.11'],
      [VIF2, 'updated', '02:00:00:00:00:02 192.0.2.12 2001:db8::12'],
      [VIF3, 'created', '02:00:00:00:00:03'],
    ],
  )
  assert.deepEqual(
    plan.operations.map((o) => `${o.op} ${'table' in o ? o.table : ''}`),
    [
      'wait Logical_Switch',
      'wait Logical_Switch_Port',
      'update Logical_Switch_Port',
      'insert Logical_Switch_Port',
      'mutate Logical_Switch',
      'comment ',
    ],
  )
  const after = applyToSnapshot(s, plan.operations).snapshot
  assert.deepEqual(planAttachPorts(after, 'tenant-a', ports).operations, [])
})

test('a port of that name on another switch is OVN_NB_PORT_CONFLICT, and nothing is planned', () => {
  const s: NbSnapshot = {
    switches: [lswitch('tenant-a', SW_A, { otherConfig: SUBNET }), lswitch('tenant-b', SW_B, { ports: [LSP2] })],
    ports: [lport(VIF2, LSP2, { addresses: ['02:00:00:00:00:02 dynamic'] })],
  }
  assert.equal(
    code(() => planAttachPorts(s, 'tenant-a', PORTS)),
    `OVN_NB_PORT_CONFLICT ${VIF2}|tenant-b|it is on another logical switch (${SW_B}); detach it first`,
  )
})

test('a non-VIF port (localnet, router) named like the VIF is a conflict, not overwritten', () => {
  const s: NbSnapshot = {
    switches: [lswitch('tenant-a', SW_A, { ports: [LSP1], otherConfig: SUBNET })],
    ports: [lport(VIF1, LSP1, { type: 'router', addresses: ['router'] })],
  }
  assert.equal(
    code(() => planAttachPorts(s, 'tenant-a', PORTS.slice(0, 1))),
    `OVN_NB_PORT_CONFLICT ${VIF1}|tenant-a|it is a router port, not a VIF port`,
  )
})

test('a missing switch is OVN_NB_SWITCH_MISSING; dynamic addresses on a switch without subnet are refused', () => {
  assert.equal(
    code(() => planAttachPorts(onlyA, 'tenant-z', PORTS)),
    'OVN_NB_SWITCH_MISSING tenant-z',
  )
  const noSubnet: NbSnapshot = { switches: [lswitch('plain', SW_B)], ports: [] }
  assert.equal(
    code(() => planAttachPorts(noSubnet, 'plain', PORTS)),
    'OVN_NB_SWITCH_NO_SUBNET plain',
  )
  // Static addresses are fine there; so is an IPv6 prefix for dynamic ones.
  assert.equal(planAttachPorts(noSubnet, 'plain', PORTS.slice(0, 1)).changed, true)
  const v6: NbSnapshot = { switches: [lswitch('v6', SW_B, { otherConfig: { ipv6_prefix: '2001:db8::' } })], ports: [] }
  assert.equal(planAttachPorts(v6, 'v6', PORTS).changed, true)
})

test('attaching no ports plans nothing (but still needs the switch)', () => {
  assert.deepEqual(planAttachPorts(onlyA, 'tenant-a', []).operations, [])
  assert.equal(
    code(() => planAttachPorts(onlyA, 'nope', [])),
    'OVN_NB_SWITCH_MISSING nope',
  )
})

test('detach removes the ports from each switch holding them, in one transaction; unknown VIFs are absent', () => {
  const s: NbSnapshot = {
    switches: [lswitch('tenant-a', SW_A, { ports: [LSP1, LSP3] }), lswitch('tenant-b', SW_B, { ports: [LSP2] })],
    ports: [
      lport(VIF1, LSP1, { addresses: ['02:00:00:00:00:01'] }),
      lport(VIF2, LSP2, { addresses: ['02:00:00:00:00:02'] }),
    ],
  }
  const absentVif = 'ffffffff-0000-4000-8000-000000000000'
  const plan = planDetachPorts(s, [VIF1, VIF2, absentVif])
  assert.deepEqual(plan.absent, [absentVif])
  assert.deepEqual(
    plan.removed.map((r) => [r.vifUuid, r.switchName]),
    [
      [VIF1, 'tenant-a'],
      [VIF2, 'tenant-b'],
    ],
  )
  assert.deepEqual(wire(plan.operations), [
    {
      op: 'wait',
      table: 'Logical_Switch',
      where: [
        ['_uuid', '==', ['uuid', SW_A]],
        ['ports', 'includes', ['uuid', LSP1]],
      ],
      columns: ['name'],
      until: '==',
      rows: [{ name: 'tenant-a' }],
      timeout: 0,
    },
    {
      op: 'wait',
      table: 'Logical_Switch',
      where: [
        ['_uuid', '==', ['uuid', SW_B]],
        ['ports', 'includes', ['uuid', LSP2]],
      ],
      columns: ['name'],
      until: '==',
      rows: [{ name: 'tenant-b' }],
      timeout: 0,
    },
    {
      op: 'mutate',
      table: 'Logical_Switch',
      where: [['_uuid', '==', ['uuid', SW_A]]],
      mutations: [['ports', 'delete', ['uuid', LSP1]]],
    },
    {
      op: 'mutate',
      table: 'Logical_Switch',
      where: [['_uuid', '==', ['uuid', SW_B]]],
      mutations: [['ports', 'delete', ['uuid', LSP2]]],
    },
    { op: 'comment', comment: 'xapi-ovn: detach 2 VIF port(s)' },
  ])
  const after = applyToSnapshot(s, plan.operations).snapshot
  assert.deepEqual(after.ports, [])
  assert.deepEqual(
    after.switches.map((sw) => sw.portUuids),
    [[LSP3], []],
  )
  // Detaching again is a no-op.
  const again = planDetachPorts(after, [VIF1, VIF2])
  assert.deepEqual(again.operations, [])
  assert.deepEqual(again.absent, [VIF1, VIF2])
})

test('detach refuses to remove a port that is not a VIF port', () => {
  const s: NbSnapshot = {
    switches: [lswitch('tenant-a', SW_A, { ports: [LSP1] })],
    ports: [lport(VIF1, LSP1, { type: 'localnet' })],
  }
  assert.equal(
    code(() => planDetachPorts(s, [VIF1])),
    `OVN_NB_PORT_CONFLICT ${VIF1}|tenant-a|it is a localnet port, not a VIF port`,
  )
})

// Issue 14's rails: an IP outside the switch's subnet, or another port's, is refused before any write.
const subnetA: NbSnapshot = {
  switches: [lswitch('tenant-a', SW_A, { ports: [LSP1, LSP2], otherConfig: { subnet: '198.18.10.0/24' } })],
  ports: [
    lport(VIF1, LSP1, { addresses: ['02:00:00:00:00:01 198.18.10.11'] }),
    lport(VIF2, LSP2, { addresses: ['02:00:00:00:00:02 dynamic'], dynamicAddresses: '02:00:00:00:00:02 198.18.10.2' }),
  ],
}
const ADDRESS_CASES: [string, unknown[], string | null][] = [
  [
    "another port's static IP",
    [{ vifUuid: VIF3, mac: '02:00:00:00:00:03', ips: ['198.18.10.11'] }],
    `OVN_NB_ADDRESS_CONFLICT 198.18.10.11|tenant-a|port ${VIF1} already has it`,
  ],
  [
    'the IP ovn-northd gave another port',
    [{ vifUuid: VIF3, mac: '02:00:00:00:00:03', ips: ['198.18.10.2'] }],
    `OVN_NB_ADDRESS_CONFLICT 198.18.10.2|tenant-a|port ${VIF2} already has it`,
  ],
  [
    'outside the subnet',
    [{ vifUuid: VIF3, mac: '02:00:00:00:00:03', ips: ['198.18.11.3'] }],
    "OVN_NB_ADDRESS_CONFLICT 198.18.11.3|tenant-a|it is outside the switch's subnet 198.18.10.0/24",
  ],
  [
    'the same IP twice in one request (refused by the input check, before planning)',
    [
      { vifUuid: VIF3, mac: '02:00:00:00:00:03', ips: ['198.18.10.30'] },
      { vifUuid: '44444444-4444-4444-8444-444444444444', mac: '02:00:00:00:00:04', ips: ['198.18.10.30'] },
    ],
    'OVN_INVALID_ARGUMENT ports[1].ips[0]|198.18.10.30|also given for ports[0]',
  ],
  ['a port re-attached keeps its own IP', [{ vifUuid: VIF1, mac: '02:00:00:00:00:01', ips: ['198.18.10.11'] }], null],
  ['a free IP in the subnet', [{ vifUuid: VIF3, mac: '02:00:00:00:00:03', ips: ['198.18.10.12'] }], null],
]
for (const [name, ports, refused] of ADDRESS_CASES) {
  test(`attach addresses: ${name} -> ${refused === null ? 'planned' : 'refused'}`, () => {
    const plan = (): ReturnType<typeof planAttachPorts> => planAttachPorts(subnetA, 'tenant-a', parseVifPorts(ports))
    if (refused === null) assert.ok(plan().ports.length === ports.length)
    else assert.equal(code(plan), refused)
  })
}

test('port_security follows the addresses by default; a port without it gains it on re-attach; portSecurity:false takes it off', () => {
  const s: NbSnapshot = {
    switches: [lswitch('tenant-a', SW_A, { ports: [LSP1], otherConfig: SUBNET })],
    ports: [lport(VIF1, LSP1, { addresses: ['02:00:00:00:00:01 192.0.2.11'] })],
  }
  const secured = planAttachPorts(
    s,
    'tenant-a',
    parseVifPorts([{ vifUuid: VIF1, mac: '02:00:00:00:00:01', ips: ['192.0.2.11'] }]),
  )
  assert.deepEqual(
    secured.ports.map((p) => p.action),
    ['updated'],
  )
  const after = applyToSnapshot(s, secured.operations).snapshot
  assert.deepEqual(after.ports[0]?.portSecurity, ['02:00:00:00:00:01 192.0.2.11'])
  const open = planAttachPorts(
    after,
    'tenant-a',
    parseVifPorts([{ vifUuid: VIF1, mac: '02:00:00:00:00:01', ips: ['192.0.2.11'], portSecurity: false }]),
  )
  assert.deepEqual(
    open.ports.map((p) => p.action),
    ['updated'],
  )
  assert.deepEqual(applyToSnapshot(after, open.operations).snapshot.ports[0]?.portSecurity, [])
  assert.equal(
    code(() => parseVifPorts([{ vifUuid: VIF1, mac: '02:00:00:00:00:01', portSecurity: 'yes' }])),
    'OVN_INVALID_ARGUMENT ports[0].portSecurity|yes|expected true or false',
  )
})
