import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  CHECK_IDS,
  verifyChassis,
  type ControllerState,
  type PersistedFacts,
  type SslFacts,
  type VerifyReport,
} from '../../lib/chassis/verify.js'
import type { XapiChainFacts } from '../../lib/chassis/firewall-port-io.js'
import { SAVED_KEY } from '../../lib/chassis/keys.js'
import { FACTS, HOST_UUID, NET_UUID, SnapshotBuilder, VIF_UUID, xapiHost } from './chassis-fixtures.js'

const RUNNING: ControllerState = { running: true, pid: 42, connection: 'connected', error: null }
const KEYS = {
  'ovn-remote': 'tcp:192.0.2.10:6642',
  'ovn-encap-type': 'geneve',
  'ovn-encap-ip': '192.0.2.21',
  'ovn-bridge': 'xapi3',
  'ovn-bridge-mappings': 'physnet:xenbr0',
  // configure's record: xapi-ovn configured this chassis, so its encap ports must be open.
  [SAVED_KEY]: '{}',
}

/** `iptables -S xapi-INPUT` after the host agent opened Geneve with firewall-port. */
const GENEVE_RULE = '-A xapi-INPUT -p udp -m conntrack --ctstate NEW -m udp --dport 6081 -j ACCEPT'
const VXLAN_RULE = '-A xapi-INPUT -p udp -m conntrack --ctstate NEW -m udp --dport 4789 -j ACCEPT'
const CHAIN_END = '-A xapi-INPUT -j RETURN'
const OPEN: XapiChainFacts = { available: true, rules: ['-N xapi-INPUT', GENEVE_RULE, CHAIN_END] }

/** A chassis as it should be: configured, XAPI bridge in secure mode, one installed VIF. */
function healthy(): SnapshotBuilder {
  return xapiHost()
    .ext(KEYS)
    .vif('xapi3', 'vif3.0', VIF_UUID, { 'ovn-installed': 'true' })
    .port('xapi3', 'patch-xapi3-to-xenbr0', 'patch', {}, { 'ovn-localnet-port': 'provnet' })
    .port('xapi3', 'ovn-abcdef-0', 'geneve', {}, { 'ovn-chassis-id': 'other-host' })
}

const NO_SSL: SslFacts = { configured: false, problems: [], certificateDaysLeft: null }

/** The snapshot with an Open_vSwitch SSL row, as xapi writes it for Xen Orchestra's SDN controller. */
function runWithSslRow(b: SnapshotBuilder): VerifyReport {
  const s = b.build()
  return verifyChassis(
    { ...s, ovs: { ...s.ovs, hasSslRow: true } },
    {
      ...FACTS,
      hostUuid: HOST_UUID,
      controller: RUNNING,
      ssl: NO_SSL,
      bootWait: true,
      firewall: OPEN,
      persisted: { state: 'ok' },
    },
  )
}

function run(
  b: SnapshotBuilder,
  controller: ControllerState = RUNNING,
  localAddresses = FACTS.localAddresses,
  more: { ssl?: SslFacts; bootWait?: boolean | null; firewall?: XapiChainFacts; persisted?: PersistedFacts } = {},
): VerifyReport {
  return verifyChassis(b.build(), {
    hostUuid: HOST_UUID,
    localAddresses,
    controller,
    ssl: more.ssl ?? NO_SSL,
    bootWait: more.bootWait === undefined ? true : more.bootWait,
    firewall: more.firewall ?? OPEN,
    persisted: more.persisted ?? { state: 'ok' },
  })
}

function status(r: VerifyReport, id: string): string {
  const c = r.checks.find((x) => x.id === id)
  assert.ok(c, `check ${id} present`)
  if (c.status !== 'pass') assert.ok(c.hint && c.hint.length > 0, `${id} has a hint when it does not pass`)
  return c.status
}

test('a healthy chassis passes every check, once each, in a stable order', () => {
  const r = run(healthy())
  assert.deepEqual(
    r.checks.map((c) => c.id),
    [...CHECK_IDS],
  )
  for (const c of r.checks) assert.equal(c.status, 'pass', `${c.id}: ${c.message}`)
  assert.equal(r.ok, true)
})

const FAILING: [string, () => VerifyReport, string, 'fail' | 'warn'][] = [
  [
    'keys.required',
    () => run(new SnapshotBuilder().xapiBridge('xapi3', NET_UUID).ext({ 'ovn-bridge': 'xapi3' })),
    'keys.required',
    'fail',
  ],
  ['keys.valid', () => run(healthy().ext({ 'ovn-remote': 'tcp:nowhere' })), 'keys.valid', 'fail'],
  ['system-id.host', () => run(healthy().ext({ 'system-id': 'other' })), 'system-id.host', 'fail'],
  [
    'bridge.exists (unset)',
    () => run(healthy().ext({ 'ovn-bridge': 'xapi3' }).ext({ 'ovn-bridge': '' })),
    'bridge.exists',
    'fail',
  ],
  ['bridge.exists (missing)', () => run(healthy().ext({ 'ovn-bridge': 'xapi9' })), 'bridge.exists', 'fail'],
  [
    'bridge.xapi (made by ovn-controller)',
    () =>
      run(
        xapiHost()
          .bridge('xapi9', { failMode: 'secure' })
          .ext({ ...KEYS, 'ovn-bridge': 'xapi9' }),
      ),
    'bridge.xapi',
    'fail',
  ],
  [
    'bridge.xapi (other network)',
    () => run(healthy().ext({ 'xapi-ovn-network-uuid': '11111111-2222-4333-8444-555566667777' })),
    'bridge.xapi',
    'fail',
  ],
  [
    'bridge.xapi (no bridge-id)',
    () =>
      run(
        xapiHost()
          .bridge('xapi5', { ext: { 'xs-network-uuids': NET_UUID }, failMode: 'secure' })
          .ext({ ...KEYS, 'ovn-bridge': 'xapi5' }),
      ),
    'bridge.xapi',
    'warn',
  ],
  ['bridge.ports (physical port)', () => run(healthy().port('xapi3', 'eth1', '')), 'bridge.ports', 'fail'],
  ['bridge.ports (non-OVN patch)', () => run(healthy().port('xapi3', 'patch-x', 'patch')), 'bridge.ports', 'fail'],
  [
    'bridge.fail-mode',
    () =>
      run(
        xapiHost()
          .bridge('xapi5', { ext: { 'xs-network-uuids': NET_UUID, 'bridge-id': NET_UUID }, failMode: 'standalone' })
          .ext({ ...KEYS, 'ovn-bridge': 'xapi5' }),
      ),
    'bridge.fail-mode',
    'fail',
  ],
  [
    'bridge.no-stray-br-int',
    () => run(healthy().bridge('br-int', { failMode: 'secure' })),
    'bridge.no-stray-br-int',
    'fail',
  ],
  [
    'mappings.bridges (missing)',
    () => run(healthy().ext({ 'ovn-bridge-mappings': 'physnet:xenbr7' })),
    'mappings.bridges',
    'fail',
  ],
  [
    'mappings.bridges (integration)',
    () => run(healthy().ext({ 'ovn-bridge-mappings': 'physnet:xapi3' })),
    'mappings.bridges',
    'fail',
  ],
  ['encap-ip.local', () => run(healthy(), RUNNING, ['127.0.0.1']), 'encap-ip.local', 'fail'],
  [
    'vifs.iface-id (missing)',
    () => run(healthy().port('xapi3', 'vif4.0', '', { 'xs-vif-uuid': 'f2f2f2f2-0000-4000-8000-000000000002' })),
    'vifs.iface-id',
    'fail',
  ],
  [
    'vifs.iface-id (another name)',
    () => run(healthy().vif('xapi3', 'vif4.0', 'f2f2f2f2-0000-4000-8000-000000000002', { 'iface-id': 'custom' })),
    'vifs.iface-id',
    'fail',
  ],
  [
    'vifs.iface-id (not plugged by xenopsd)',
    () => run(healthy().port('xapi3', 'vif4.0', '', { 'xs-vif-uuid': 'x' })),
    'vifs.iface-id',
    'warn',
  ],
  ['vifs.hvm-pairs', () => run(healthy().vif('xapi3', 'tap3.0', VIF_UUID)), 'vifs.hvm-pairs', 'warn'],
  [
    'controller.running',
    () => run(healthy(), { running: false, pid: null, connection: null, error: 'no pidfile' }),
    'controller.running',
    'fail',
  ],
  [
    'controller.connected',
    () => run(healthy(), { running: true, pid: 1, connection: 'not connected', error: null }),
    'controller.connected',
    'fail',
  ],
  [
    'vifs.installed',
    () => run(healthy().vif('xapi3', 'vif5.0', 'f3f3f3f3-0000-4000-8000-000000000003')),
    'vifs.installed',
    'warn',
  ],
  [
    'ssl.material (ssl: remote, nothing installed)',
    () => run(healthy().ext({ 'ovn-remote': 'ssl:192.0.2.10:6642' })),
    'ssl.material',
    'warn',
  ],
  [
    'ssl.material (problem)',
    () =>
      run(healthy().ext({ 'ovn-remote': 'ssl:192.0.2.10:6642' }), RUNNING, FACTS.localAddresses, {
        ssl: { configured: true, problems: ['the certificate expired'], certificateDaysLeft: -3 },
      }),
    'ssl.material',
    'fail',
  ],
  [
    'ssl.material (expiring)',
    () =>
      run(healthy().ext({ 'ovn-remote': 'ssl:192.0.2.10:6642' }), RUNNING, FACTS.localAddresses, {
        ssl: { configured: true, problems: [], certificateDaysLeft: 10 },
      }),
    'ssl.material',
    'warn',
  ],
  [
    'ssl.ovs-table',
    () => {
      const b = healthy()
      const s = b.build()
      return verifyChassis(
        { ...s, ovs: { ...s.ovs, hasSslRow: true } },
        {
          hostUuid: HOST_UUID,
          localAddresses: FACTS.localAddresses,
          controller: RUNNING,
          ssl: NO_SSL,
          bootWait: true,
          firewall: OPEN,
          persisted: { state: 'ok' },
        },
      )
    },
    'ssl.ovs-table',
    'warn',
  ],
  ['boot.drop-in', () => run(healthy(), RUNNING, FACTS.localAddresses, { bootWait: false }), 'boot.drop-in', 'warn'],
  [
    "ssl.ovs-table (XO's SDN controller's SSL row with ssl: remotes)",
    () => runWithSslRow(healthy().ext({ 'ovn-remote': 'tcp:192.0.2.11:6642,ssl:192.0.2.10:6642' })),
    'ssl.ovs-table',
    'fail',
  ],
  [
    'chassis.persisted (configured, nothing persisted)',
    () => run(healthy(), RUNNING, FACTS.localAddresses, { persisted: { state: 'absent' } }),
    'chassis.persisted',
    'warn',
  ],
  [
    'chassis.persisted (refused file)',
    () =>
      run(healthy(), RUNNING, FACTS.localAddresses, {
        persisted: { state: 'invalid', message: 'mode 644 lets others read or write it' },
      }),
    'chassis.persisted',
    'fail',
  ],
  [
    'chassis.persisted (persisted, not applied)',
    () => run(healthy().dropExt(SAVED_KEY), RUNNING, FACTS.localAddresses),
    'chassis.persisted',
    'warn',
  ],
  [
    'firewall.encap (no rule)',
    () => run(healthy(), RUNNING, FACTS.localAddresses, { firewall: { available: true, rules: [CHAIN_END] } }),
    'firewall.encap',
    'fail',
  ],
  [
    'firewall.encap (iptables unavailable)',
    () =>
      run(healthy(), RUNNING, FACTS.localAddresses, {
        firewall: { available: false, error: 'iptables is not installed (not on PATH)' },
      }),
    'firewall.encap',
    'warn',
  ],
  [
    'integration.mode (unmanaged: experimental)',
    () => run(brInt('unmanaged').vif('br-int', 'vif3.0', VIF_UUID, { 'ovn-installed': 'true' })),
    'integration.mode',
    'warn',
  ],
  [
    'integration.mode (reconcile, every VIF on br-int: experimental)',
    () => run(brInt('reconcile').vif('br-int', 'vif3.0', VIF_UUID, { 'ovn-installed': 'true' })),
    'integration.mode',
    'warn',
  ],
  [
    "integration.mode (reconcile, a VIF left on XAPI's bridge: the agent is not moving ports)",
    () => run(brInt('reconcile').vif('xapi3', 'vif3.0', VIF_UUID)),
    'integration.mode',
    'fail',
  ],
]

/** A chassis of an experimental integration mode: br-int made by the host agent, XAPI's xapi3 beside it. */
function brInt(mode: string): SnapshotBuilder {
  return xapiHost()
    .ext({ ...KEYS, 'ovn-bridge': 'br-int', 'xapi-ovn-network-uuid': NET_UUID, 'xapi-ovn-integration-mode': mode })
    .bridge('br-int', {
      ext: { 'xs-network-uuids': NET_UUID, 'bridge-id': NET_UUID, 'xapi-ovn-integration-mode': mode },
      failMode: 'secure',
    })
}

test('verify says which integration mode a chassis is in', () => {
  const message = (r: VerifyReport): string => r.checks.find((c) => c.id === 'integration.mode')?.message ?? ''
  assert.match(message(run(healthy())), /^xapi-bridge \(the default\): XAPI plugs VIFs onto its own bridge xapi3/)
  assert.match(message(run(brInt('unmanaged'))), /^unmanaged \(experimental\): .* br-int of an unmanaged XAPI network/)
  assert.match(
    message(run(brInt('reconcile').vif('xapi3', 'vif3.0', VIF_UUID))),
    /1 VIF port\(s\) still on XAPI's bridge, not on br-int: vif3.0/,
  )
  // Every other check of an experimental chassis passes: br-int is judged like XAPI's bridge.
  const r = run(brInt('unmanaged').vif('br-int', 'vif3.0', VIF_UUID, { 'ovn-installed': 'true' }))
  assert.deepEqual(
    r.checks.filter((c) => c.status !== 'pass').map((c) => c.id),
    ['integration.mode'],
  )
})

for (const [name, make, id, expected] of FAILING) {
  test(`verify reports ${name}`, () => {
    const r = make()
    assert.equal(status(r, id), expected)
    assert.equal(r.ok, expected !== 'fail' && r.checks.every((c) => c.status !== 'fail'))
  })
}

test('every check id can fail or warn (the table above covers them all)', () => {
  const covered = new Set(FAILING.map(([, , id]) => id))
  assert.deepEqual(
    [...CHECK_IDS].filter((id) => !covered.has(id)),
    [],
  )
})

test('ssl: remotes with good material pass, and no systemd means no boot check to fail', () => {
  const r = run(healthy().ext({ 'ovn-remote': 'ssl:192.0.2.10:6642' }), RUNNING, FACTS.localAddresses, {
    ssl: { configured: true, problems: [], certificateDaysLeft: 300 },
    bootWait: null,
  })
  assert.equal(status(r, 'ssl.material'), 'pass')
  assert.equal(status(r, 'boot.drop-in'), 'pass')
})

test('a stray br-int hint depends on whether it holds ports', () => {
  const empty = run(healthy().bridge('br-int', { failMode: 'secure' })).checks.find(
    (c) => c.id === 'bridge.no-stray-br-int',
  )
  assert.equal(empty?.hint, `remove it: xapi-ovn repair --host ${HOST_UUID}`)
  const held = run(healthy().bridge('br-int', { failMode: 'secure' }).port('br-int', 'vif9.0', '')).checks.find(
    (c) => c.id === 'bridge.no-stray-br-int',
  )
  assert.ok(held?.hint?.startsWith(`run xapi-ovn repair --host ${HOST_UUID}: it removes br-int when`), held?.hint ?? '')
  assert.match(empty?.message ?? '', /0 ports/)
})

/** firewall.encap over the rules `iptables -S xapi-INPUT` may show, for each encap type. */
const FIREWALL: [string, Record<string, string>, readonly string[], 'pass' | 'fail'][] = [
  ['geneve open', {}, [GENEVE_RULE, CHAIN_END], 'pass'],
  ['geneve closed', {}, [CHAIN_END], 'fail'],
  ['no chain yet (firewall-port never opened a port)', {}, [], 'fail'],
  ['geneve rule after the RETURN (never reached)', {}, [CHAIN_END, GENEVE_RULE], 'fail'],
  ['geneve accepted for tcp only', {}, [GENEVE_RULE.replaceAll('udp', 'tcp'), CHAIN_END], 'fail'],
  ['a REJECT of 6081 is not an ACCEPT', {}, [GENEVE_RULE.replace('ACCEPT', 'REJECT'), CHAIN_END], 'fail'],
  ['geneve,vxlan both open', { 'ovn-encap-type': 'geneve,vxlan' }, [VXLAN_RULE, GENEVE_RULE, CHAIN_END], 'pass'],
  ['geneve,vxlan without 4789', { 'ovn-encap-type': 'geneve,vxlan' }, [GENEVE_RULE, CHAIN_END], 'fail'],
  ['vxlan open', { 'ovn-encap-type': 'vxlan' }, [VXLAN_RULE, CHAIN_END], 'pass'],
]

for (const [name, ext, rules, expected] of FIREWALL) {
  test(`firewall.encap: ${name} -> ${expected}`, () => {
    const r = run(healthy().ext(ext), RUNNING, FACTS.localAddresses, { firewall: { available: true, rules } })
    assert.equal(status(r, 'firewall.encap'), expected)
  })
}

test('firewall.encap: a chassis xapi-ovn did not configure needs no port, even without iptables', () => {
  const s = healthy().build()
  const ext = new Map(s.ovs.externalIds)
  ext.delete(SAVED_KEY)
  const r = verifyChassis(
    { ...s, ovs: { ...s.ovs, externalIds: ext } },
    {
      ...FACTS,
      controller: RUNNING,
      persisted: { state: 'absent' },
      ssl: NO_SSL,
      bootWait: true,
      firewall: { available: false, error: 'iptables is not installed (not on PATH)' },
    },
  )
  assert.equal(status(r, 'firewall.encap'), 'pass')
})

test('firewall.encap: a missing port names it and the host agent', () => {
  const r = run(healthy().ext({ 'ovn-encap-type': 'geneve,vxlan' }), RUNNING, FACTS.localAddresses, {
    firewall: { available: true, rules: [GENEVE_RULE, CHAIN_END] },
  })
  const c = r.checks.find((x) => x.id === 'firewall.encap')
  assert.match(c?.message ?? '', /4789\/udp/)
  assert.doesNotMatch(c?.message ?? '', /6081/)
  assert.match(c?.hint ?? '', /systemctl status xapi-ovn-agent/)
})
