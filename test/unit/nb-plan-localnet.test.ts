import { test } from 'node:test'
import assert from 'node:assert/strict'
import { localnetInfos, planDeleteLocalnet, planLocalnetPort } from '../../lib/nb/plan-localnet.js'
import { parseLocalnetPort } from '../../lib/nb/validate-inputs.js'
import type { NbSnapshot } from '../../lib/nb/model.js'
import { LSP1, LSP2, SW_A, SW_B, VIF1, applyToSnapshot, lport, lswitch, wire } from './nb-fixtures.js'
import { code } from './error-code.js'

const onlyA: NbSnapshot = { switches: [lswitch('tenant-a', SW_A)], ports: [] }

test('a new localnet port: type localnet, addresses unknown, options:network_name, tag_request, added to the switch', () => {
  const plan = planLocalnetPort(
    onlyA,
    'tenant-a',
    parseLocalnetPort({ name: 'provnet-mgmt', networkName: 'physnet-mgmt', vlan: 7 }),
  )
  assert.equal(plan.action, 'created')
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
      row: {
        name: 'provnet-mgmt',
        type: 'localnet',
        addresses: 'unknown',
        options: ['map', [['network_name', 'physnet-mgmt']]],
        tag_request: 7,
      },
      'uuid-name': 'new_localnet',
    },
    {
      op: 'mutate',
      table: 'Logical_Switch',
      where: [['_uuid', '==', ['uuid', SW_A]]],
      mutations: [['ports', 'insert', ['named-uuid', 'new_localnet']]],
    },
    {
      op: 'comment',
      comment: 'xapi-ovn: localnet port provnet-mgmt on logical switch tenant-a to network physnet-mgmt VLAN 7',
    },
  ])
})

test('a flat network has no tag_request, and re-planning after apply changes nothing', () => {
  const port = parseLocalnetPort({ name: 'provnet', networkName: 'physnet' })
  const plan = planLocalnetPort(onlyA, 'tenant-a', port)
  const insert = wire(plan.operations).find((o) => (o as { op: string }).op === 'insert') as {
    row: Record<string, unknown>
  }
  assert.deepEqual(insert.row.tag_request, ['set', []])
  const after = applyToSnapshot(onlyA, plan.operations).snapshot
  const again = planLocalnetPort(after, 'tenant-a', port)
  assert.deepEqual(again.operations, [])
  assert.equal(again.action, 'unchanged')
})

test('an existing localnet port with another network or VLAN is updated, other options kept', () => {
  const s: NbSnapshot = {
    switches: [lswitch('tenant-a', SW_A, { ports: [LSP1] })],
    ports: [
      lport('provnet', LSP1, {
        type: 'localnet',
        addresses: ['unknown'],
        options: new Map([
          ['network_name', 'old'],
          ['localnet_learn_fdb', 'true'],
        ]),
        tagRequest: 5,
      }),
    ],
  }
  const port = parseLocalnetPort({ name: 'provnet', networkName: 'physnet-new' })
  const plan = planLocalnetPort(s, 'tenant-a', port)
  assert.equal(plan.action, 'updated')
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
      columns: ['name', 'type', 'addresses', 'options', 'tag_request'],
      until: '==',
      rows: [
        {
          name: 'provnet',
          type: 'localnet',
          addresses: 'unknown',
          options: [
            'map',
            [
              ['network_name', 'old'],
              ['localnet_learn_fdb', 'true'],
            ],
          ],
          tag_request: 5,
        },
      ],
      timeout: 0,
    },
    {
      op: 'update',
      table: 'Logical_Switch_Port',
      where: [['_uuid', '==', ['uuid', LSP1]]],
      row: {
        addresses: 'unknown',
        options: [
          'map',
          [
            ['network_name', 'physnet-new'],
            ['localnet_learn_fdb', 'true'],
          ],
        ],
        tag_request: ['set', []],
      },
    },
    { op: 'comment', comment: 'xapi-ovn: localnet port provnet on logical switch tenant-a to network physnet-new' },
  ])
  const after = applyToSnapshot(s, plan.operations).snapshot
  assert.deepEqual(planLocalnetPort(after, 'tenant-a', port).operations, [])
})

test('conflicts: the name is a VIF port, or a localnet port on another switch', () => {
  const s: NbSnapshot = {
    switches: [lswitch('tenant-a', SW_A, { ports: [LSP1] }), lswitch('tenant-b', SW_B, { ports: [LSP2] })],
    ports: [
      lport('provnet', LSP1, { addresses: ['02:00:00:00:00:01'] }),
      lport('elsewhere', LSP2, { type: 'localnet', addresses: ['unknown'] }),
    ],
  }
  assert.equal(
    code(() => planLocalnetPort(s, 'tenant-a', parseLocalnetPort({ name: 'provnet', networkName: 'p' }))),
    'OVN_NB_PORT_CONFLICT provnet|tenant-a|it is a VIF port, not a localnet port',
  )
  assert.equal(
    code(() => planLocalnetPort(s, 'tenant-a', parseLocalnetPort({ name: 'elsewhere', networkName: 'p' }))),
    `OVN_NB_PORT_CONFLICT elsewhere|tenant-b|it is on another logical switch (${SW_B})`,
  )
  assert.equal(
    code(() => planLocalnetPort(s, 'nope', parseLocalnetPort({ name: 'x', networkName: 'p' }))),
    'OVN_NB_SWITCH_MISSING nope',
  )
})

test('localnet names that look like VIF UUIDs are refused (they are reserved for VIF ports)', () => {
  assert.equal(
    code(() => parseLocalnetPort({ name: VIF1, networkName: 'p' })),
    `OVN_INVALID_ARGUMENT name|${VIF1}|UUID-shaped port names are reserved for VIF ports`,
  )
})

// The storm guard (issue 14): one physical network and VLAN, at most one localnet port.
const provider: NbSnapshot = {
  switches: [lswitch('provider', SW_A, { ports: [LSP1] }), lswitch('tenant-b', SW_B, { ports: [LSP2] })],
  ports: [
    lport('provnet-mgmt', LSP1, {
      type: 'localnet',
      addresses: ['unknown'],
      options: new Map([['network_name', 'physnet-mgmt']]),
    }),
    lport(VIF1, LSP2, { addresses: ['02:00:00:00:00:01 198.18.10.1'] }),
  ],
}

const STORM_CASES: [string, Record<string, unknown>, string, 'refused' | 'unchanged' | 'created'][] = [
  [
    'the README command on the lab: no name, the switch already reaches that network',
    { networkName: 'physnet-mgmt' },
    'provider',
    'unchanged',
  ],
  ['another name on the same switch and network', { name: 'ln2', networkName: 'physnet-mgmt' }, 'provider', 'refused'],
  ['the same network on another switch', { networkName: 'physnet-mgmt' }, 'tenant-b', 'refused'],
  ['the same network on another switch, named', { name: 'ln-b', networkName: 'physnet-mgmt' }, 'tenant-b', 'refused'],
  [
    'the same network on another VLAN: another broadcast domain',
    { networkName: 'physnet-mgmt', vlan: 20 },
    'tenant-b',
    'created',
  ],
  ['another network', { networkName: 'physnet-data' }, 'tenant-b', 'created'],
]

for (const [name, spec, sw, outcome] of STORM_CASES) {
  test(`localnet storm guard: ${name} -> ${outcome}`, () => {
    const run = (): ReturnType<typeof planLocalnetPort> => planLocalnetPort(provider, sw, parseLocalnetPort(spec))
    if (outcome === 'refused') {
      assert.equal(code(run), 'OVN_NB_LOCALNET_LOOP physnet-mgmt|untagged|provnet-mgmt|provider')
      return
    }
    const plan = run()
    assert.equal(plan.action, outcome)
    if (outcome === 'unchanged') {
      assert.deepEqual(plan.operations, [])
      assert.equal(plan.name, 'provnet-mgmt', 'says which port it is')
      assert.equal(plan.uuid, LSP1)
    }
  })
}

test('localnet storm guard: moving an existing localnet port onto a network another one holds is refused', () => {
  const two: NbSnapshot = {
    switches: [lswitch('provider', SW_A, { ports: [LSP1] }), lswitch('tenant-b', SW_B, { ports: [LSP2] })],
    ports: [
      lport('provnet-mgmt', LSP1, {
        type: 'localnet',
        addresses: ['unknown'],
        options: new Map([['network_name', 'physnet-mgmt']]),
      }),
      lport('ln-data', LSP2, {
        type: 'localnet',
        addresses: ['unknown'],
        options: new Map([['network_name', 'physnet-data']]),
      }),
    ],
  }
  assert.equal(
    code(() => planLocalnetPort(two, 'tenant-b', parseLocalnetPort({ name: 'ln-data', networkName: 'physnet-mgmt' }))),
    'OVN_NB_LOCALNET_LOOP physnet-mgmt|untagged|provnet-mgmt|provider',
  )
})

test('localnet del: removes a localnet port from its switch (guarded), refuses a VIF port, nothing for an absent name', () => {
  const plan = planDeleteLocalnet(provider, 'provnet-mgmt')
  assert.equal(plan.removed?.switchName, 'provider')
  assert.deepEqual(wire(plan.operations).slice(0, 2), [
    {
      op: 'wait',
      table: 'Logical_Switch',
      where: [
        ['_uuid', '==', ['uuid', SW_A]],
        ['ports', 'includes', ['uuid', LSP1]],
      ],
      columns: ['name'],
      until: '==',
      rows: [{ name: 'provider' }],
      timeout: 0,
    },
    {
      op: 'mutate',
      table: 'Logical_Switch',
      where: [['_uuid', '==', ['uuid', SW_A]]],
      mutations: [['ports', 'delete', ['uuid', LSP1]]],
    },
  ])
  assert.equal(
    code(() => planDeleteLocalnet(provider, VIF1)),
    `OVN_NB_PORT_CONFLICT ${VIF1}|tenant-b|it is a VIF port, not a localnet port`,
  )
  assert.deepEqual(planDeleteLocalnet(provider, 'nope'), { operations: [], removed: null })
  assert.deepEqual(
    localnetInfos(provider).map((l) => [l.switchName, l.name, l.networkName, l.vlan]),
    [['provider', 'provnet-mgmt', 'physnet-mgmt', null]],
  )
})
