import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseConfigureArgs } from '../../lib/chassis/configure-args.js'
import { planConfigure } from '../../lib/chassis/plan-configure.js'
import { verifyChassis } from '../../lib/chassis/verify.js'
import { XapiOvnError } from '../../lib/errors.js'
import { planRepair } from '../../lib/chassis/plan-repair.js'
import {
  parseChassisChange,
  parseChassisRepair,
  parseChassisStatus,
  parseChassisVerify,
  parseServiceState,
} from '../../lib/pool/plugin-replies.js'
import { FACTS, HOST_UUID, NET_UUID, VIF_UUID, xapiHost } from './chassis-fixtures.js'

// What the plugin's configure builds its answer from: the real pure plan, serialised as the plugin does.
function configureReply(): string {
  const plan = planConfigure(
    xapiHost().build(),
    parseConfigureArgs({ 'ovn-remote': 'tcp:192.0.2.10:6642', 'ovn-encap-ip': '192.0.2.21', 'ovn-bridge': 'xapi3' }),
    FACTS,
  )
  return JSON.stringify({
    changed: plan.changed,
    dryRun: false,
    before: plan.before,
    after: plan.after,
    changes: plan.changes,
  })
}

function replyError(fn: () => unknown): string[] {
  try {
    fn()
  } catch (e) {
    assert.ok(e instanceof XapiOvnError, String(e))
    assert.equal(e.code, 'OVN_PLUGIN_REPLY_INVALID')
    return [...e.params]
  }
  return ['no error']
}

test('a configure answer built by the real plan reads back whole', () => {
  const text = configureReply()
  const r = parseChassisChange('host1', 'configure', text)
  assert.equal(r.changed, true)
  assert.equal(r.after['ovn-bridge'], 'xapi3')
  assert.equal(r.before['ovn-bridge'], null)
  assert.deepEqual(r, JSON.parse(text))
})

test('a verify answer built by the real checks reads back whole', () => {
  const report = verifyChassis(xapiHost().ext({ 'ovn-bridge': 'xapi3' }).vif('xapi3', 'vif1.0', VIF_UUID).build(), {
    ...FACTS,
    persisted: { state: 'absent' },
    controller: { running: false, pid: null, connection: null, error: 'no socket' },
    ssl: { configured: false, problems: [], certificateDaysLeft: null },
    firewall: { available: true, rules: [] },
    bootWait: null,
  })
  const text = JSON.stringify({ ...report, hostUuid: HOST_UUID, waited: 0.5 })
  const r = parseChassisVerify('host1', text)
  assert.equal(r.ok, false)
  assert.equal(r.waited, 0.5)
  assert.deepEqual(r.checks, report.checks)
})

const STATUS = {
  hostUuid: HOST_UUID,
  systemId: HOST_UUID,
  configured: true,
  keys: { 'ovn-bridge': 'xapi3' },
  owned: ['ovn-bridge'],
  addresses: ['192.0.2.21'],
  bridge: {
    name: 'xapi3',
    exists: true,
    networkUuids: [NET_UUID],
    bridgeId: NET_UUID,
    failMode: 'secure',
    datapathType: 'netdev',
  },
  ports: [
    {
      name: 'vif1.0',
      kind: 'vif',
      type: '',
      ifaceId: VIF_UUID,
      vifUuid: VIF_UUID,
      vmUuid: null,
      mac: null,
      ifaceStatus: 'active',
      ovnInstalled: true,
    },
  ],
  controller: { running: true, pid: 42, connection: 'connected', error: null },
}

test('a status answer reads back whole, also without a bridge', () => {
  assert.deepEqual(parseChassisStatus('host1', JSON.stringify(STATUS)), STATUS)
  const bare = {
    ...STATUS,
    bridge: null,
    ports: [],
    controller: { running: false, pid: null, connection: null, error: 'x' },
  }
  assert.deepEqual(parseChassisStatus('host1', JSON.stringify(bare)), bare)
})

const broken: [string, () => unknown, RegExp][] = [
  ['not JSON', () => parseChassisChange('host1', 'configure', 'Traceback (most recent call last)'), /not JSON/],
  ['not a string', () => parseChassisChange('host1', 'configure', 42), /not a string/],
  ['a JSON list', () => parseChassisChange('host1', 'configure', '[]'), /not an object/],
  [
    'changed missing',
    () => parseChassisChange('host1', 'configure', '{"dryRun":false,"before":{},"after":{},"changes":[]}'),
    /changed is not a boolean/,
  ],
  [
    'a change without key',
    () =>
      parseChassisChange(
        'host1',
        'configure',
        '{"changed":true,"dryRun":false,"before":{},"after":{},"changes":[{"from":null,"to":"x"}]}',
      ),
    /changes\[0\]\.key/,
  ],
  [
    'a before value that is a number',
    () =>
      parseChassisChange(
        'host1',
        'configure',
        '{"changed":true,"dryRun":false,"before":{"a":1},"after":{},"changes":[]}',
      ),
    /before\.a/,
  ],
  [
    'a check with an unknown status',
    () =>
      parseChassisVerify(
        'host1',
        '{"ok":true,"hostUuid":"u","waited":0,"checks":[{"id":"x","status":"maybe","message":"m","hint":null}]}',
      ),
    /checks\[0\]\.status/,
  ],
  [
    'waited as a string',
    () => parseChassisVerify('host1', '{"ok":true,"hostUuid":"u","waited":"0","checks":[]}'),
    /waited/,
  ],
  [
    'a port of an unknown kind',
    () => parseChassisStatus('host1', JSON.stringify({ ...STATUS, ports: [{ ...STATUS.ports[0], kind: 'wormhole' }] })),
    /ports\[0\]\.kind/,
  ],
  [
    'a fractional pid',
    () => parseChassisStatus('host1', JSON.stringify({ ...STATUS, controller: { ...STATUS.controller, pid: 1.5 } })),
    /pid/,
  ],
]
for (const [name, fn, reason] of broken) {
  test(`a plugin answer that is ${name} is OVN_PLUGIN_REPLY_INVALID naming host and fn`, () => {
    const params = replyError(fn)
    assert.equal(params[0], 'host1')
    assert.match(params[2] ?? '', reason)
  })
}

test("a service answer built by the plugin's own systemctl-show reading reads back whole; a wrong field is refused", async () => {
  const { parseShow, stateFromShow } = await import('../../plugin/functions/service.js')
  const state = stateFromShow(
    'restart',
    'ovn-controller.service',
    parseShow(
      'Id=ovn-controller.service\nLoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nMainPID=2412\nActiveEnterTimestamp=Tue 2026-11-24 13:05:31 UTC\nResult=success\nDropInPaths=/usr/lib/systemd/system/ovn-controller.service.d/xapi-ovn.conf\n',
    ),
  )
  assert.deepEqual(parseServiceState('host1', JSON.stringify(state)), state)
  for (const [field, value] of [
    ['action', 'reload'],
    ['mainPid', 0],
    ['active', 'yes'],
    ['dropIns', 'x'],
  ] as const) {
    assert.throws(
      () => parseServiceState('host1', JSON.stringify({ ...state, [field]: value })),
      (e: unknown) =>
        e instanceof XapiOvnError &&
        e.code === 'OVN_PLUGIN_REPLY_INVALID' &&
        e.params[0] === 'host1' &&
        e.params[1] === 'service',
      field,
    )
  }
})

test('a repair answer built from the real plan reads back whole; a wrong field is refused', () => {
  const plan = planRepair(xapiHost().ext({ 'ovn-bridge': 'xapi3' }).bridge('br-int', {}).build())
  const reply = {
    changed: true,
    dryRun: false,
    removed: plan.remove.map(({ name, ports }) => ({ name, ports })),
    left: plan.left,
  }
  assert.deepEqual(parseChassisRepair('host1', JSON.stringify(reply)), reply)
  assert.equal(reply.removed[0]?.name, 'br-int')
  assert.throws(
    () => parseChassisRepair('host1', JSON.stringify({ ...reply, left: [1] })),
    (e: unknown) =>
      e instanceof XapiOvnError && e.code === 'OVN_PLUGIN_REPLY_INVALID' && /left\[0\]/.test(e.params[2] ?? ''),
  )
})
