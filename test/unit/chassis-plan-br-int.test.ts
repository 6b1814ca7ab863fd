// The br-int way's two pure plans (issue 12): the integration bridge the host agent makes in the
// experimental modes, and the reconcile mode's move of VIF ports from XAPI's bridge to br-int.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseConfigureArgs } from '../../lib/chassis/configure-args.js'
import { portMoveOperations } from '../../lib/chassis/agent-writes-io.js'
import { planConfigure } from '../../lib/chassis/plan-configure.js'
import {
  bridgeRequestOf,
  planIntegrationBridge,
  planUndoIntegrationBridge,
} from '../../lib/chassis/plan-integration-bridge.js'
import { planPortMoves } from '../../lib/chassis/plan-port-moves.js'
import { FACTS, NET_UUID, type SnapshotBuilder, VIF_UUID, xapiHost } from './chassis-fixtures.js'

const ARGS = {
  'ovn-remote': 'tcp:192.0.2.10:6642',
  'ovn-encap-ip': '192.0.2.21',
  'ovn-bridge': 'br-int',
  'network-uuid': NET_UUID,
  'ovn-bridge-datapath-type': 'netdev',
}
const OTHER_VIF = 'f1f1f1f1-0000-4000-8000-000000000002'
const OTHER_NET = 'c0ffee00-9999-4222-8333-444455556666'

test('integration-mode: the default records nothing; the experimental ones need network-uuid and are recorded', () => {
  assert.equal(parseConfigureArgs(ARGS).integrationMode, undefined)
  assert.equal(parseConfigureArgs({ ...ARGS, 'integration-mode': 'xapi-bridge' }).integrationMode, undefined)
  assert.equal(parseConfigureArgs({ ...ARGS, 'integration-mode': 'unmanaged' }).integrationMode, 'unmanaged')
  const { 'network-uuid': _, ...noNetwork } = ARGS
  assert.throws(() => parseConfigureArgs({ ...noNetwork, 'integration-mode': 'reconcile' }), {
    code: 'OVN_INVALID_ARGUMENT',
    params: ['integration-mode', 'reconcile', 'needs network-uuid (the XAPI network of the VIFs)'],
  })
  assert.throws(() => parseConfigureArgs({ ...ARGS, 'integration-mode': 'br-int' }), { code: 'OVN_INVALID_ARGUMENT' })

  const request = parseConfigureArgs({ ...ARGS, 'integration-mode': 'unmanaged' })
  const made = xapiHost().bridge('br-int', { ext: { 'xs-network-uuids': NET_UUID }, failMode: 'secure' })
  const plan = planConfigure(made.build(), request, FACTS)
  assert.ok(plan.changes.some((c) => c.key === 'xapi-ovn-integration-mode' && c.to === 'unmanaged'))
  const plain = planConfigure(xapiHost().build(), parseConfigureArgs({ ...ARGS, 'ovn-bridge': 'xapi3' }), FACTS)
  assert.ok(!plain.changes.some((c) => c.key === 'xapi-ovn-integration-mode'))
})

test('the integration bridge: made only in an experimental mode and only when missing, with the network ids', () => {
  const unmanaged = bridgeRequestOf(parseConfigureArgs({ ...ARGS, 'integration-mode': 'unmanaged' }))
  assert.ok(unmanaged !== null)
  assert.equal(bridgeRequestOf(parseConfigureArgs(ARGS)), null, 'the default mode makes nothing')
  const plan = planIntegrationBridge(xapiHost().build(), unmanaged)
  assert.deepEqual(plan && { bridge: plan.bridge, datapathType: plan.datapathType, ids: plan.externalIds }, {
    bridge: 'br-int',
    datapathType: 'netdev',
    ids: { 'xs-network-uuids': NET_UUID, 'bridge-id': NET_UUID, 'xapi-ovn-integration-mode': 'unmanaged' },
  })
  // An existing br-int (ovn-controller's, or ours) is left as it is.
  assert.equal(planIntegrationBridge(xapiHost().bridge('br-int', {}).build(), unmanaged), null)
})

function reconcileHost(): SnapshotBuilder {
  return xapiHost()
    .ext({
      'ovn-bridge': 'br-int',
      'xapi-ovn-network-uuid': NET_UUID,
      'xapi-ovn-integration-mode': 'reconcile',
    })
    .bridge('br-int', { ext: { 'xs-network-uuids': NET_UUID, 'bridge-id': NET_UUID }, failMode: 'secure' })
}

test("reconcile: the OVN network's VIF ports move to br-int with their ids, the tap taking the iface-id", () => {
  const b = reconcileHost()
    .vif('xapi3', 'vif5.0', VIF_UUID, { 'iface-id': 'stale' })
    .vif('xapi3', 'tap5.0', VIF_UUID, { 'iface-id': 'stale' })
    .vif('xapi3', 'vif6.0', OTHER_VIF)
    .vif('xenbr0', 'vif7.0', OTHER_VIF, { 'xs-network-uuid': OTHER_NET })
  const s = b.build()
  const plan = planPortMoves(s)
  assert.ok(plan !== null)
  assert.deepEqual(plan.names, ['tap5.0', 'vif5.0', 'vif6.0'], "only the OVN network's VIFs, not xenbr0's")
  assert.deepEqual(
    plan.sources.map((x) => x.name),
    ['xapi3'],
  )
  const ifaceOf = (uuid: string): string => s.interfaces.find((i) => i.uuid === uuid)?.name ?? uuid
  assert.deepEqual(
    plan.ifaceIds.map((c) => [ifaceOf(c.interfaceUuid), c.ifaceId]),
    [
      ['tap5.0', VIF_UUID],
      ['vif5.0', null],
    ],
    'vif6.0 already carries its iface-id: the move keeps it',
  )
  // One transaction: waits first (bridge ports, interface ids), then the moves, then the iface-ids.
  const ops = portMoveOperations(plan, 'test').map((o) => `${o.op}${'table' in o ? ` ${o.table}` : ''}`)
  assert.deepEqual(ops, [
    'wait Bridge',
    'wait Interface',
    'wait Interface',
    'mutate Bridge',
    'mutate Bridge',
    'mutate Interface',
    'mutate Interface',
    'comment',
  ])
})

test('reconcile: idempotent (a port on br-int is left alone) and only in reconcile mode', () => {
  const done = reconcileHost().vif('br-int', 'vif5.0', VIF_UUID)
  assert.equal(planPortMoves(done.build()), null)
  const unmanaged = reconcileHost().ext({ 'xapi-ovn-integration-mode': 'unmanaged' }).vif('xapi3', 'vif5.0', VIF_UUID)
  assert.equal(planPortMoves(unmanaged.build()), null)
  const noBrInt = xapiHost()
    .ext({ 'ovn-bridge': 'br-int', 'xapi-ovn-network-uuid': NET_UUID, 'xapi-ovn-integration-mode': 'reconcile' })
    .vif('xapi3', 'vif5.0', VIF_UUID)
  assert.equal(planPortMoves(noBrInt.build()), null, 'nothing to move to before br-int exists')
})

test('undo after a refused configure: only a br-int that is still just what configure made', () => {
  const unmanaged = bridgeRequestOf(parseConfigureArgs({ ...ARGS, 'integration-mode': 'unmanaged' }))
  assert.ok(unmanaged !== null)
  const made = planIntegrationBridge(xapiHost().build(), unmanaged)
  assert.ok(made !== null)
  const ext = { ...made.externalIds }
  const asMade = xapiHost().bridge('br-int', { ext, failMode: 'secure' }).build()
  const undo = planUndoIntegrationBridge(asMade, made)
  const row = asMade.bridges.find((b) => b.name === 'br-int')
  assert.deepEqual(undo, { name: 'br-int', uuid: row?.uuid, ports: ['br-int'], portUuids: row?.portUuids })
  // A VIF plugged meanwhile, another bridge of that name, or none: left alone.
  const inUse = xapiHost().bridge('br-int', { ext, failMode: 'secure' }).vif('br-int', 'vif3.0', VIF_UUID).build()
  assert.equal(planUndoIntegrationBridge(inUse, made), null)
  const foreign = xapiHost().bridge('br-int', { failMode: 'secure' }).build()
  assert.equal(planUndoIntegrationBridge(foreign, made), null)
  assert.equal(planUndoIntegrationBridge(xapiHost().build(), made), null)
})
