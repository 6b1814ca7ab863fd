/**
 * Every hint a pool-CLI user can be shown names an xapi-ovn command, never a raw `xe`,
 * `xe host-call-plugin ... fn=...`, `ovs-vsctl`, `ovn-nbctl`, `ovs-appctl` or `systemctl ...
 * ovn-controller` line (the issue "The operator's view"): the verify checks as the plugin words
 * them on broken chassis, what repair leaves, the driver's hints for every code it knows, and
 * doctor's fix of every check.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { XapiChainFacts } from '../../lib/chassis/firewall-port-io.js'
import { SAVED_KEY } from '../../lib/chassis/keys.js'
import { planRepair } from '../../lib/chassis/plan-repair.js'
import { CHECK_IDS, verifyChassis, type ControllerState, type VerifyFacts } from '../../lib/chassis/verify.js'
import { checkFix } from '../../lib/doctor/plan-doctor.js'
import { HINTED_CODES, hintFor } from '../../lib/pool/failures.js'
import { FACTS, HOST_UUID, NET_UUID, VIF_UUID, xapiHost, type SnapshotBuilder } from './chassis-fixtures.js'

/** What a hint must not tell a pool-CLI user to run, each with the xapi-ovn command that does it. */
const RAW: readonly [RegExp, string][] = [
  [/\bxe\s/, 'xe (xapi-ovn setup attaches networks; the other XAPI calls are named as XAPI calls)'],
  [/host-call-plugin|\bfn=/, 'a plugin function (xapi-ovn repair, service, setup, ssl request)'],
  [/ovs-vsctl/, 'ovs-vsctl (xapi-ovn setup, repair)'],
  [/ovn-nbctl/, 'ovn-nbctl (xapi-ovn switch, port, localnet)'],
  [/ovs-appctl/, 'ovs-appctl (xapi-ovn show names the members and the leader)'],
  [/systemctl\s+\S+\s+ovn-controller/, 'systemctl on ovn-controller (xapi-ovn service)'],
]

function assertNoRaw(where: string, text: string | null): void {
  if (text === null) return
  for (const [pattern, instead] of RAW) assert.doesNotMatch(text, pattern, `${where}: "${text}" names ${instead}`)
}

const STOPPED: ControllerState = { running: false, pid: null, connection: null, error: 'no pidfile' }
const CLOSED: XapiChainFacts = { available: true, rules: ['-N xapi-INPUT', '-A xapi-INPUT -j RETURN'] }
const KEYS = {
  'ovn-remote': 'ssl:192.0.2.10:6642',
  'ovn-encap-type': 'geneve',
  'ovn-encap-ip': '198.18.0.99',
  'ovn-bridge': 'xapi3',
  'ovn-bridge-mappings': 'physnet:xenbr9',
  [SAVED_KEY]: '{}',
}

/** Chassis that fail (or warn on) every check there is, one way or another. */
const BROKEN: readonly [string, SnapshotBuilder, Partial<VerifyFacts>, boolean?][] = [
  ['nothing configured', xapiHost().dropExt('system-id'), {}],
  [
    'configured wrong, controller stopped, firewall closed, SSL bad',
    xapiHost()
      .ext({ ...KEYS, 'system-id': 'someone-else', 'ovn-encap-type': 'carrier-pigeon' })
      .bridge('br-int', { failMode: 'secure' })
      .port('br-int', 'vif8.0', '')
      .vif('xapi3', 'vif3.0', VIF_UUID, { 'iface-id': 'wrong' })
      .port('xapi3', 'eth1', ''),
    {
      controller: STOPPED,
      firewall: CLOSED,
      ssl: { configured: true, problems: ['the certificate has expired'], certificateDaysLeft: -1 },
      bootWait: false,
      persisted: { state: 'invalid', message: 'chassis.json is not root-only' },
    },
  ],
  [
    'a bridge ovn-controller made, standalone, an empty br-int, SSL unset, nothing persisted',
    xapiHost().ext(KEYS).bridge('xapi3', { failMode: 'standalone' }).bridge('br-int', { failMode: 'secure' }),
    {
      controller: { running: true, pid: 7, connection: 'not connected', error: null },
      firewall: { available: false, error: 'iptables: not found' },
      persisted: { state: 'absent' },
    },
  ],
  [
    'expiring certificate, persisted but not applied',
    xapiHost().ext({ 'ovn-remote': 'ssl:192.0.2.10:6642' }),
    {
      ssl: { configured: true, problems: [], certificateDaysLeft: 3 },
      persisted: { state: 'ok' },
    },
  ],
  [
    "an HVM guest's vif and tap, and an SSL row (Xen Orchestra's SDN controller)",
    xapiHost().ext(KEYS).vif('xapi3', 'vif5.0', VIF_UUID).vif('xapi3', 'tap5.0', VIF_UUID),
    {},
    true,
  ],
  [
    'another network',
    xapiHost()
      .ext({ ...KEYS, 'xapi-ovn-network-uuid': NET_UUID })
      .xapiBridge('xapi3', 'other-net'),
    {},
  ],
  [
    "the reconcile mode with a VIF left on XAPI's bridge",
    xapiHost()
      .ext({
        ...KEYS,
        'ovn-bridge': 'br-int',
        'xapi-ovn-network-uuid': NET_UUID,
        'xapi-ovn-integration-mode': 'reconcile',
      })
      .xapiBridge('br-int', NET_UUID)
      .vif('xapi3', 'vif6.0', VIF_UUID),
    {},
  ],
]

test('verify: no hint of a failed or warning check names a raw command', () => {
  const seen = new Set<string>()
  for (const [name, snapshot, facts, sslRow] of BROKEN) {
    const built = snapshot.build()
    const report = verifyChassis(sslRow === true ? { ...built, ovs: { ...built.ovs, hasSslRow: true } } : built, {
      ...FACTS,
      controller: { running: true, pid: 1, connection: 'connected', error: null },
      ssl: { configured: false, problems: [], certificateDaysLeft: null },
      bootWait: true,
      firewall: CLOSED,
      persisted: { state: 'ok' },
      ...facts,
    })
    for (const c of report.checks) {
      if (c.status === 'pass') continue
      seen.add(c.id)
      assert.ok(c.hint !== null && c.hint !== '', `${name}: ${c.id} has no hint`)
      assertNoRaw(`${name}: ${c.id}`, c.hint)
    }
  }
  // The snapshots above reach every check.
  assert.deepEqual(
    CHECK_IDS.filter((id) => !seen.has(id)),
    [],
  )
})

test('verify: the stray br-int and the stopped ovn-controller name the xapi-ovn command for this host', () => {
  const r = verifyChassis(xapiHost().ext(KEYS).xapiBridge('xapi3', NET_UUID).bridge('br-int', {}).build(), {
    ...FACTS,
    controller: STOPPED,
    ssl: { configured: false, problems: [], certificateDaysLeft: null },
    bootWait: true,
    firewall: CLOSED,
    persisted: { state: 'ok' },
  })
  const hint = (id: string): string => r.checks.find((c) => c.id === id)?.hint ?? ''
  assert.match(hint('bridge.no-stray-br-int'), new RegExp(`xapi-ovn repair --host ${HOST_UUID}`))
  assert.match(hint('controller.running'), new RegExp(`xapi-ovn service start --host ${HOST_UUID}`))
})

test('repair: what it leaves names xapi-ovn commands', () => {
  const left = [
    planRepair(xapiHost().bridge('br-int', {}).build()),
    planRepair(xapiHost().ext(KEYS).bridge('br-int', {}).port('br-int', 'vif8.0', '').build()),
    planRepair(
      xapiHost()
        .ext({ ...KEYS, 'ovn-bridge': 'xapi9' })
        .build(),
    ),
    planRepair(
      xapiHost()
        .ext({ ...KEYS, 'ovn-bridge': 'xapi7' })
        .bridge('xapi7', { failMode: 'secure' })
        .build(),
    ),
  ].flatMap((p) => p.left)
  assert.equal(left.length, 4, left.join('\n'))
  for (const l of left) {
    assertNoRaw('repair left', l)
    assert.match(l, /xapi-ovn (setup|repair)/)
  }
})

test("the driver's hint of every code it knows, from a host and from this process", () => {
  assert.ok(HINTED_CODES.length > 40)
  for (const code of HINTED_CODES) {
    assertNoRaw(`${code} (host)`, hintFor(code, 'host'))
    assertNoRaw(`${code} (local)`, hintFor(code, 'local'))
  }
})

test("doctor: every check's fix is one xapi-ovn command line (or none), with the host in it", () => {
  for (const id of CHECK_IDS) {
    const fix = checkFix(id, 'fail', HOST_UUID, 'tcp:192.0.2.10:6642')
    if (fix === null) continue
    assert.match(fix, /^xapi-ovn [a-z]+ /, id)
    assert.ok(fix.includes(`--host ${HOST_UUID}`), `${id}: ${fix}`)
    assertNoRaw(id, fix)
  }
  assert.equal(checkFix('a.check.from.a.newer.plugin', 'fail', HOST_UUID, null), null)
  assert.equal(checkFix('keys.required', 'fail', 'host 1', null), "xapi-ovn setup --host 'host 1' --ovn-remote REMOTE")
  assert.equal(checkFix('keys.required', 'pass', HOST_UUID, null), null)
  // bridge-id missing (ovs-xapi-sync's) is a warning setup does not fix; no XAPI ids is a failure it does.
  assert.equal(checkFix('bridge.xapi', 'warn', HOST_UUID, null), null)
  assert.equal(
    checkFix('bridge.xapi', 'fail', HOST_UUID, null),
    `xapi-ovn setup --host ${HOST_UUID} --ovn-remote REMOTE`,
  )
})
