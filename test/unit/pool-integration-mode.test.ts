// setup's one choice of integration mode (issue 12): what it sends each host, and which XAPI
// network each mode accepts. The default sends exactly what it sent before.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { XapiOvnError } from '../../lib/errors.js'
import { failureFromCode } from '../../lib/pool/failures.js'
import { selectNetwork } from '../../lib/pool/ovn-network.js'
import { chassisArgs, type ChassisOptions } from '../../lib/pool/plan-setup.js'
import { integrationModeOption } from '../../lib/cli/args.js'
import { network } from './pool-fixtures.js'

const BASE: ChassisOptions = { ovnRemote: 'tcp:192.0.2.10:6642' }
const NET = 'c0ffee00-1111-4222-8333-444455556666'

test('chassisArgs: the default names the XAPI bridge; unmanaged and reconcile name br-int and the mode', () => {
  const plain = chassisArgs(BASE, 'xapi1', '192.0.2.21', NET, null)
  assert.equal(plain['ovn-bridge'], 'xapi1')
  assert.equal(plain['integration-mode'], undefined)
  assert.deepEqual(chassisArgs({ ...BASE, integrationMode: 'xapi-bridge' }, 'xapi1', '192.0.2.21', NET, null), plain)
  const unmanaged = chassisArgs({ ...BASE, integrationMode: 'unmanaged' }, 'br-int', '192.0.2.21', NET, null)
  assert.deepEqual([unmanaged['ovn-bridge'], unmanaged['integration-mode']], ['br-int', 'unmanaged'])
  // reconcile: VIFs stay on the network's XAPI bridge (xapi1); ovn-controller uses br-int.
  const reconcile = chassisArgs({ ...BASE, integrationMode: 'reconcile' }, 'xapi1', '192.0.2.21', NET, null)
  assert.deepEqual([reconcile['ovn-bridge'], reconcile['integration-mode']], ['br-int', 'reconcile'])
})

test('selectNetwork: the unmanaged mode takes only an unmanaged network on br-int, the others only managed ones', () => {
  const managed = network({ name_label: 'ovn-int', bridge: 'xapi1', managed: true })
  const unmanaged = network({ name_label: 'ovn-int', bridge: 'br-int', managed: false })
  const nets = (n: typeof managed) => new Map([[n.ref, n]])
  assert.deepEqual(selectNetwork(nets(unmanaged), 'ovn-int', 'unmanaged'), { found: unmanaged })
  assert.deepEqual(selectNetwork(nets(managed), 'ovn-int', 'reconcile'), { found: managed })
  assert.deepEqual(selectNetwork(new Map(), 'ovn-int', 'unmanaged'), { create: 'ovn-int' })
  const refused = (fn: () => unknown): string => {
    try {
      fn()
    } catch (e) {
      assert.ok(e instanceof XapiOvnError)
      return `${e.code} ${e.params.join(' ')}`
    }
    return 'accepted'
  }
  assert.match(
    refused(() => selectNetwork(nets(managed), 'ovn-int', 'unmanaged')),
    /needs an unmanaged network on br-int/,
  )
  assert.match(
    refused(() => selectNetwork(nets(unmanaged), 'ovn-int')),
    /accepted/,
    'verify, status, teardown take any',
  )
  assert.match(
    refused(() => selectNetwork(nets(unmanaged), 'ovn-int', 'xapi-bridge')),
    /it is an unmanaged network/,
  )
})

test('--integration-mode: the default is no option at all; anything else but the three is a usage error', () => {
  assert.equal(integrationModeOption({}), undefined)
  assert.equal(integrationModeOption({ 'integration-mode': 'xapi-bridge' }), undefined)
  assert.equal(integrationModeOption({ 'integration-mode': 'reconcile' }), 'reconcile')
  assert.throws(() => integrationModeOption({ 'integration-mode': 'br-int' }), {
    name: 'UsageError',
    message: '--integration-mode expects xapi-bridge, unmanaged, reconcile, not "br-int"',
  })
})

test("XAPI's BRIDGE_NOT_AVAILABLE from a host is said in words, with what makes br-int", () => {
  const f = failureFromCode('BRIDGE_NOT_AVAILABLE', ['br-int'])
  assert.equal(
    f.message,
    'bridge br-int of an unmanaged XAPI network does not exist on this host, and XAPI never makes it',
  )
  assert.match(f.hint ?? '', /host agent .* makes br-int/)
})
