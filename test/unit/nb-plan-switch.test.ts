import { test } from 'node:test'
import assert from 'node:assert/strict'
import { planDeleteSwitch, planEnsureSwitch } from '../../lib/nb/plan-switch.js'
import { parseSwitchOptions } from '../../lib/nb/validate-inputs.js'
import type { NbSnapshot } from '../../lib/nb/model.js'
import { LSP1, SW_A, SW_B, applyToSnapshot, lswitch, wire } from './nb-fixtures.js'
import { code } from './error-code.js'

const EMPTY: NbSnapshot = { switches: [], ports: [] }

test('ensure on an empty database inserts the switch, guarded by "no switch has this name yet"', () => {
  const plan = planEnsureSwitch(
    EMPTY,
    'tenant-a',
    parseSwitchOptions({ subnet: '192.0.2.0/24', externalIds: { owner: 'xapi-ovn' } }),
  )
  assert.equal(plan.created, true)
  assert.equal(plan.switchUuid, null)
  assert.deepEqual(wire(plan.operations), [
    {
      op: 'wait',
      table: 'Logical_Switch',
      where: [['name', '==', 'tenant-a']],
      columns: ['name'],
      until: '==',
      rows: [],
      timeout: 0,
    },
    {
      op: 'insert',
      table: 'Logical_Switch',
      row: {
        name: 'tenant-a',
        other_config: ['map', [['subnet', '192.0.2.0/24']]],
        external_ids: ['map', [['owner', 'xapi-ovn']]],
      },
      'uuid-name': 'new_switch',
    },
    { op: 'comment', comment: 'xapi-ovn: create logical switch tenant-a' },
  ])
})

test('ensure is idempotent: applied once, planning again gives no operations', () => {
  const opts = parseSwitchOptions({ subnet: '192.0.2.0/24', externalIds: { owner: 'xapi-ovn' } })
  const first = planEnsureSwitch(EMPTY, 'tenant-a', opts)
  const { snapshot, inserted } = applyToSnapshot(EMPTY, first.operations)
  const again = planEnsureSwitch(snapshot, 'tenant-a', opts)
  assert.deepEqual(again.operations, [])
  assert.equal(again.changed, false)
  assert.equal(again.switchUuid, inserted.get('new_switch'))
})

test('ensure on an existing switch changes only the given keys, with delete-then-insert mutations', () => {
  const s: NbSnapshot = {
    switches: [
      lswitch('tenant-a', SW_A, {
        otherConfig: { subnet: '198.18.0.0/24', mcast_snoop: 'true' },
        externalIds: { keep: 'me' },
      }),
    ],
    ports: [],
  }
  const plan = planEnsureSwitch(
    s,
    'tenant-a',
    parseSwitchOptions({ subnet: '192.0.2.0/24', externalIds: { owner: 'x' } }),
  )
  assert.equal(plan.created, false)
  assert.equal(plan.switchUuid, SW_A)
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
      op: 'mutate',
      table: 'Logical_Switch',
      where: [['_uuid', '==', ['uuid', SW_A]]],
      mutations: [
        ['other_config', 'delete', 'subnet'],
        ['other_config', 'insert', ['map', [['subnet', '192.0.2.0/24']]]],
        ['external_ids', 'delete', 'owner'],
        ['external_ids', 'insert', ['map', [['owner', 'x']]]],
      ],
    },
    { op: 'comment', comment: 'xapi-ovn: update logical switch tenant-a' },
  ])
  const after = applyToSnapshot(s, plan.operations).snapshot.switches[0]
  assert.deepEqual(Object.fromEntries(after?.otherConfig ?? []), { subnet: '192.0.2.0/24', mcast_snoop: 'true' })
  assert.deepEqual(Object.fromEntries(after?.externalIds ?? []), { keep: 'me', owner: 'x' })
})

test('ensure without options leaves an existing switch alone', () => {
  const s: NbSnapshot = {
    switches: [lswitch('tenant-a', SW_A, { otherConfig: { subnet: '198.18.0.0/24' } })],
    ports: [],
  }
  assert.deepEqual(planEnsureSwitch(s, 'tenant-a', parseSwitchOptions(undefined)).operations, [])
})

test('ensure refuses a name two switches share', () => {
  const s: NbSnapshot = { switches: [lswitch('dup', SW_A), lswitch('dup', SW_B)], ports: [] }
  assert.equal(
    code(() => planEnsureSwitch(s, 'dup', parseSwitchOptions({}))),
    'OVN_NB_SWITCH_AMBIGUOUS dup|2',
  )
})

test('delete of an empty switch waits for ports to still be empty, then deletes by UUID', () => {
  const s: NbSnapshot = { switches: [lswitch('tenant-a', SW_A)], ports: [] }
  const plan = planDeleteSwitch(s, 'tenant-a', { force: false })
  assert.deepEqual(wire(plan.operations), [
    {
      op: 'wait',
      table: 'Logical_Switch',
      where: [['_uuid', '==', ['uuid', SW_A]]],
      columns: ['name', 'ports'],
      until: '==',
      rows: [{ name: 'tenant-a', ports: ['set', []] }],
      timeout: 0,
    },
    { op: 'delete', table: 'Logical_Switch', where: [['_uuid', '==', ['uuid', SW_A]]] },
    { op: 'comment', comment: 'xapi-ovn: delete logical switch tenant-a' },
  ])
  assert.deepEqual(applyToSnapshot(s, plan.operations).snapshot.switches, [])
})

test('delete refuses a switch with ports unless forced; forced, its ports go too', () => {
  const s: NbSnapshot = { switches: [lswitch('tenant-a', SW_A, { ports: [LSP1] })], ports: [] }
  assert.equal(
    code(() => planDeleteSwitch(s, 'tenant-a', { force: false })),
    'OVN_NB_SWITCH_NOT_EMPTY tenant-a|1',
  )
  const plan = planDeleteSwitch(s, 'tenant-a', { force: true })
  assert.equal(plan.portCount, 1)
  assert.deepEqual(wire(plan.operations).slice(0, 2), [
    {
      op: 'wait',
      table: 'Logical_Switch',
      where: [['_uuid', '==', ['uuid', SW_A]]],
      columns: ['name'],
      until: '==',
      rows: [{ name: 'tenant-a' }],
      timeout: 0,
    },
    { op: 'delete', table: 'Logical_Switch', where: [['_uuid', '==', ['uuid', SW_A]]] },
  ])
})

test('a switch is found by its UUID as well as by its name; a missing one is OVN_NB_SWITCH_MISSING', () => {
  const s: NbSnapshot = { switches: [lswitch('tenant-a', SW_A), lswitch('tenant-b', SW_B)], ports: [] }
  assert.equal(planDeleteSwitch(s, SW_B, { force: false }).name, 'tenant-b')
  assert.equal(planDeleteSwitch(s, SW_B.toUpperCase(), { force: false }).name, 'tenant-b')
  assert.equal(
    code(() => planDeleteSwitch(s, 'tenant-c', { force: false })),
    'OVN_NB_SWITCH_MISSING tenant-c',
  )
})
