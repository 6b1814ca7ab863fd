import { test } from 'node:test'
import assert from 'node:assert/strict'
import { planRepair } from '../../lib/chassis/plan-repair.js'
import { removeBridgeOperations } from '../../lib/chassis/ovsdb-io.js'
import { encodeOperation } from '../../lib/ovsdb/operations.js'
import { NET_UUID, VIF_UUID, xapiHost } from './chassis-fixtures.js'

const KEYS = { 'ovn-remote': 'tcp:192.0.2.10:6642', 'ovn-encap-ip': '192.0.2.21', 'ovn-bridge': 'xapi3' }

test('a healthy chassis needs no repair', () => {
  assert.deepEqual(planRepair(xapiHost().ext(KEYS).build()), { remove: [], left: [] })
})

test("a br-int holding only ovn-controller's ports is removed, with a guard on its ports", () => {
  const s = xapiHost()
    .ext(KEYS)
    .bridge('br-int', { failMode: 'secure' })
    .port('br-int', 'ovn-peer-0', 'geneve', {}, { 'ovn-chassis-id': 'other' })
    .build()
  const plan = planRepair(s)
  assert.equal(plan.remove.length, 1)
  assert.deepEqual(plan.remove[0]?.ports, ['ovn-peer-0'])
  assert.deepEqual(plan.left, [])
  const brInt = s.bridges.find((b) => b.name === 'br-int')
  const ops = removeBridgeOperations(s.ovs.uuid, plan.remove, 'x').map((o) => encodeOperation(o))
  assert.deepEqual(ops[0], {
    op: 'wait',
    table: 'Bridge',
    where: [['_uuid', '==', ['uuid', brInt?.uuid]]],
    columns: ['ports'],
    until: '==',
    rows: [{ ports: ['set', brInt?.portUuids.map((u) => ['uuid', u])] }],
    timeout: 0,
  })
  assert.deepEqual(ops[1], {
    op: 'mutate',
    table: 'Open_vSwitch',
    where: [['_uuid', '==', ['uuid', s.ovs.uuid]]],
    mutations: [['bridges', 'delete', ['uuid', brInt?.uuid]]],
  })
})

test('a br-int with a guest VIF is left alone and reported', () => {
  const plan = planRepair(
    xapiHost().ext(KEYS).bridge('br-int', { failMode: 'secure' }).vif('br-int', 'vif9.0', VIF_UUID).build(),
  )
  assert.deepEqual(plan.remove, [])
  assert.match(plan.left[0] ?? '', /vif9\.0/)
})

test('br-int is kept when it is the configured integration bridge, or nothing is configured', () => {
  assert.deepEqual(
    planRepair(
      xapiHost()
        .ext({ ...KEYS, 'ovn-bridge': 'br-int' })
        .bridge('br-int', { ext: { 'xs-network-uuids': NET_UUID } })
        .build(),
    ).remove,
    [],
  )
  const unconfigured = planRepair(xapiHost().bridge('br-int', { failMode: 'secure' }).build())
  assert.deepEqual(unconfigured.remove, [])
  assert.match(unconfigured.left[0] ?? '', /run xapi-ovn setup first/)
})

test('an integration bridge without XAPI ids, or missing, is left to XAPI with a hint', () => {
  const bare = planRepair(
    xapiHost()
      .ext({ ...KEYS, 'ovn-bridge': 'xapi7' })
      .bridge('xapi7', { failMode: 'secure' })
      .build(),
  )
  assert.deepEqual(bare.remove, [])
  assert.match(bare.left[0] ?? '', /xapi-ovn setup attaches it on every host/)
  assert.match(
    planRepair(
      xapiHost()
        .ext({ ...KEYS, 'ovn-bridge': 'xapi9' })
        .build(),
    ).left[0] ?? '',
    /does not exist/,
  )
})
