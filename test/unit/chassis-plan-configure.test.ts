import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseConfigureArgs } from '../../lib/chassis/configure-args.js'
import { applyChanges } from '../../lib/chassis/external-ids-write.js'
import { planConfigure } from '../../lib/chassis/plan-configure.js'
import { planUnconfigure } from '../../lib/chassis/plan-unconfigure.js'
import type { ChassisSnapshot } from '../../lib/chassis/model.js'
import { FACTS, HOST_UUID, NET_UUID, xapiHost } from './chassis-fixtures.js'
import { code } from './error-code.js'

const ARGS = {
  'ovn-remote': 'ssl:192.0.2.10:6642,ssl:192.0.2.11:6642',
  'ovn-encap-ip': '192.0.2.21',
  'ovn-bridge': 'xapi3',
  'ovn-bridge-mappings': 'physnet-mgmt:xenbr0',
}

/** The snapshot as it would be after the plan's write lands. */
function written(
  s: ChassisSnapshot,
  plan: { changes: readonly { key: string; from: string | null; to: string | null }[]; write: unknown },
): ChassisSnapshot {
  const write = plan.write as { remove: string[]; set: Map<string, string> } | null
  if (write === null) return s
  const ext = new Map(s.ovs.externalIds)
  for (const k of write.remove) ext.delete(k)
  for (const [k, v] of write.set) ext.set(k, v)
  return { ...s, ovs: { ...s.ovs, externalIds: ext } }
}

test('configure sets the ovn-controller keys, defaults encap to geneve and records what it owns', () => {
  const s = xapiHost().build()
  const plan = planConfigure(s, parseConfigureArgs(ARGS), FACTS)
  assert.equal(plan.changed, true)
  assert.deepEqual(plan.after, {
    'ovn-bridge': 'xapi3',
    'ovn-bridge-mappings': 'physnet-mgmt:xenbr0',
    'ovn-encap-ip': '192.0.2.21',
    'ovn-encap-type': 'geneve',
    'ovn-remote': 'ssl:192.0.2.10:6642,ssl:192.0.2.11:6642',
  })
  assert.equal(plan.before['ovn-remote'], null)
  assert.ok(plan.write)
  assert.deepEqual([...plan.write.bridges], ['xapi3', 'xenbr0'])
  // The precondition is the whole external_ids map as read.
  assert.deepEqual([...plan.write.expected], [['system-id', HOST_UUID]])
  const after = written(s, plan)
  assert.equal(after.ovs.externalIds.get('system-id'), HOST_UUID)
  assert.ok(after.ovs.externalIds.has('xapi-ovn-saved'))
})

test('a second identical configure changes nothing', () => {
  const s = xapiHost().build()
  const first = planConfigure(s, parseConfigureArgs(ARGS), FACTS)
  const second = planConfigure(written(s, first), parseConfigureArgs(ARGS), FACTS)
  assert.equal(second.changed, false)
  assert.equal(second.write, null)
  assert.deepEqual(second.changes, [])
})

test('keys that are not ours are never in the write', () => {
  const s = xapiHost().ext({ hostname: 'h1', 'xs-foo': 'bar', 'ovn-cms-options': 'keep' }).build()
  const plan = planConfigure(s, parseConfigureArgs(ARGS), FACTS)
  // Exactly the keys we own and nothing else: each changed key is deleted, then inserted with its value.
  const OURS = ['ovn-bridge', 'ovn-bridge-mappings', 'ovn-encap-ip', 'ovn-encap-type', 'ovn-remote', 'xapi-ovn-saved']
  assert.deepEqual(plan.write?.remove, OURS)
  assert.deepEqual([...(plan.write?.set.keys() ?? [])], OURS)
})

test('unconfigure restores every value that was there before, and removes the rest', () => {
  const s = xapiHost().ext({ 'ovn-remote': 'tcp:192.0.2.99:6642', other: 'x' }).build()
  const configured = written(s, planConfigure(s, parseConfigureArgs(ARGS), FACTS))
  assert.equal(configured.ovs.externalIds.get('ovn-remote'), ARGS['ovn-remote'])
  const plan = planUnconfigure(configured)
  const restored = written(configured, plan)
  assert.deepEqual([...restored.ovs.externalIds].sort(), [...s.ovs.externalIds].sort())
  assert.equal(planUnconfigure(restored).changed, false)
})

test('configure then configure with fewer keys gives back the dropped key', () => {
  const s = xapiHost().ext({ 'ovn-bridge-mappings': 'old:xenbr0' }).build()
  const first = written(s, planConfigure(s, parseConfigureArgs(ARGS), FACTS))
  const { 'ovn-bridge-mappings': _dropped, ...fewer } = ARGS
  const second = planConfigure(first, parseConfigureArgs(fewer), FACTS)
  assert.equal(second.after['ovn-bridge-mappings'], 'old:xenbr0')
  // And the original value is still what unconfigure would restore.
  const unconf = written(written(first, second), planUnconfigure(written(first, second)))
  assert.deepEqual([...unconf.ovs.externalIds].sort(), [...s.ovs.externalIds].sort())
})

test('system-id: set when absent, refused when different, replaced with force-system-id', () => {
  const absent = xapiHost().build()
  const noId = { ...absent, ovs: { ...absent.ovs, externalIds: new Map<string, string>() } }
  const plan = planConfigure(noId, parseConfigureArgs(ARGS), FACTS)
  assert.deepEqual(
    plan.changes.find((c) => c.key === 'system-id'),
    { key: 'system-id', from: null, to: HOST_UUID },
  )

  const other = xapiHost().ext({ 'system-id': 'someone-else' }).build()
  assert.equal(
    code(() => planConfigure(other, parseConfigureArgs(ARGS), FACTS)),
    `OVN_SYSTEM_ID_MISMATCH someone-else|${HOST_UUID}`,
  )
  const forced = planConfigure(other, parseConfigureArgs({ ...ARGS, 'force-system-id': 'true' }), FACTS)
  assert.deepEqual(
    forced.changes.find((c) => c.key === 'system-id'),
    { key: 'system-id', from: 'someone-else', to: HOST_UUID },
  )
  // unconfigure puts the old system-id back
  const back = written(written(other, forced), planUnconfigure(written(other, forced)))
  assert.equal(back.ovs.externalIds.get('system-id'), 'someone-else')
})

test('system-id set by configure stays at the second identical configure; unconfigure removes it', () => {
  const s = xapiHost().build()
  const noId = { ...s, ovs: { ...s.ovs, externalIds: new Map<string, string>([['xs-other', 'keep']]) } }
  const first = written(noId, planConfigure(noId, parseConfigureArgs(ARGS), FACTS))
  assert.equal(first.ovs.externalIds.get('system-id'), HOST_UUID)
  const second = planConfigure(first, parseConfigureArgs(ARGS), FACTS)
  assert.deepEqual(second.changes, [])
  assert.equal(second.changed, false)
  assert.equal(second.write, null)
  assert.equal(second.after['system-id'], HOST_UUID)
  const back = written(first, planUnconfigure(first))
  assert.deepEqual([...back.ovs.externalIds], [['xs-other', 'keep']])
})

test('force-system-id twice replaces system-id once; unconfigure puts the replaced value back', () => {
  const other = xapiHost().ext({ 'system-id': 'someone-else' }).build()
  const forced = parseConfigureArgs({ ...ARGS, 'force-system-id': 'true' })
  const first = written(other, planConfigure(other, forced, FACTS))
  assert.equal(first.ovs.externalIds.get('system-id'), HOST_UUID)
  for (const request of [forced, parseConfigureArgs(ARGS)]) {
    const again = planConfigure(first, request, FACTS)
    assert.equal(again.changed, false)
    assert.equal(again.write, null)
  }
  const back = written(first, planUnconfigure(first))
  assert.deepEqual([...back.ovs.externalIds].sort(), [...other.ovs.externalIds].sort())
})

test('a system-id that was already the host UUID is not taken over, and stays at unconfigure', () => {
  const s = xapiHost().build()
  const first = written(s, planConfigure(s, parseConfigureArgs({ ...ARGS, 'force-system-id': 'true' }), FACTS))
  assert.equal(first.ovs.externalIds.get('system-id'), HOST_UUID)
  assert.ok(!(first.ovs.externalIds.get('xapi-ovn-saved') ?? '').includes('system-id'))
  const back = written(first, planUnconfigure(first))
  assert.equal(back.ovs.externalIds.get('system-id'), HOST_UUID)
})

test("the integration bridge must exist, be XAPI's, and be the named network's", () => {
  assert.equal(
    code(() => planConfigure(xapiHost().build(), parseConfigureArgs({ ...ARGS, 'ovn-bridge': 'xapi9' }), FACTS)),
    'OVN_BRIDGE_MISSING xapi9',
  )
  const ovnMade = xapiHost().bridge('xapi7', { failMode: 'secure' }).build()
  assert.match(
    code(() => planConfigure(ovnMade, parseConfigureArgs({ ...ARGS, 'ovn-bridge': 'xapi7' }), FACTS)),
    /^OVN_BRIDGE_NOT_XAPI xapi7\|.*xs-network-uuids/,
  )
  const other = '11111111-2222-4333-8444-555566667777'
  assert.match(
    code(() => planConfigure(xapiHost().build(), parseConfigureArgs({ ...ARGS, 'network-uuid': other }), FACTS)),
    /^OVN_BRIDGE_NOT_XAPI xapi3\|.*not 11111111/,
  )
  const ok = planConfigure(xapiHost().build(), parseConfigureArgs({ ...ARGS, 'network-uuid': NET_UUID }), FACTS)
  assert.equal(ok.after['xapi-ovn-network-uuid'], NET_UUID)
})

test('mapped bridges must exist and encap ip must be local', () => {
  assert.equal(
    code(() =>
      planConfigure(xapiHost().build(), parseConfigureArgs({ ...ARGS, 'ovn-bridge-mappings': 'p:xenbr1' }), FACTS),
    ),
    'OVN_BRIDGE_MISSING xenbr1',
  )
  assert.equal(
    code(() => planConfigure(xapiHost().build(), parseConfigureArgs({ ...ARGS, 'ovn-encap-ip': '192.0.2.99' }), FACTS)),
    'OVN_INVALID_ARGUMENT ovn-encap-ip|192.0.2.99|not an address of this host',
  )
})

test('a damaged ownership record is reported, not guessed at', () => {
  const s = xapiHost().ext({ 'xapi-ovn-saved': '{not json' }).build()
  assert.match(
    code(() => planConfigure(s, parseConfigureArgs(ARGS), FACTS)),
    /^OVN_STATE_CORRUPT /,
  )
  assert.match(
    code(() => planUnconfigure(s)),
    /^OVN_STATE_CORRUPT /,
  )
})

test('applyChanges matches the write', () => {
  const s = xapiHost().build()
  const plan = planConfigure(s, parseConfigureArgs(ARGS), FACTS)
  const viaChanges = applyChanges(s.ovs.externalIds, [...plan.changes])
  const viaWrite = written(s, plan).ovs.externalIds
  for (const [k, v] of viaChanges) assert.equal(viaWrite.get(k), v)
})
