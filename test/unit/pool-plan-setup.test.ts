import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isArgumentErrorCode, XapiOvnError } from '../../lib/errors.js'
import {
  checkChassisOptions,
  checkSslMaterial,
  planHosts,
  rejectSharedEncapIps,
  selectHosts,
  shownArgs,
  type ChassisOptions,
  type HostPlan,
} from '../../lib/pool/plan-setup.js'
import { findNetwork, selectNetwork } from '../../lib/pool/ovn-network.js'
import { resolveTransportChoice } from '../../lib/pool/transport-pif.js'
import { laidOutPool, network, ref } from './pool-fixtures.js'

const OVN_NET = network({ name_label: 'ovn-int', bridge: 'xapi3' })
const BASE: ChassisOptions = { ovnRemote: 'tcp:192.0.2.10:6642' }

function argError(fn: () => unknown): string[] {
  try {
    fn()
  } catch (e) {
    assert.ok(e instanceof XapiOvnError, String(e))
    return [e.code, ...e.params]
  }
  return ['no error']
}

const badOptions: [string, Partial<ChassisOptions>, string, string][] = [
  ['a remote without port', { ovnRemote: 'tcp:192.0.2.10' }, 'OVN_INVALID_ARGUMENT', 'ovn-remote'],
  ['a remote by host name', { ovnRemote: 'tcp:central.example:6642' }, 'OVN_INVALID_ARGUMENT', 'ovn-remote'],
  ['an empty remote', { ovnRemote: '' }, 'OVN_INVALID_ARGUMENT', 'ovn-remote'],
  ['an unknown encapsulation', { encapType: 'gre' }, 'OVN_INVALID_ARGUMENT', 'ovn-encap-type'],
  ['a mapping without bridge', { bridgeMappings: 'physnet' }, 'OVN_INVALID_ARGUMENT', 'ovn-bridge-mappings'],
  [
    'a mapping onto the OVN bridge itself',
    { bridgeMappings: 'physnet:xapi3' },
    'OVN_INVALID_ARGUMENT',
    'ovn-bridge-mappings',
  ],
  [
    'a mapping onto a bridge no network has',
    { bridgeMappings: 'physnet:xenbr9' },
    'OVN_INVALID_ARGUMENT',
    'ovn-bridge-mappings',
  ],
  [
    'a chassis key the driver sets itself',
    { chassisKeys: { 'ovn-encap-ip': '192.0.2.99' } },
    'OVN_INVALID_ARGUMENT',
    'ovn-encap-ip',
  ],
  [
    'a chassis key ovn-controller does not have',
    { chassisKeys: { 'ovn-fancy': 'yes' } },
    'OVN_INVALID_ARGUMENT',
    'ovn-fancy',
  ],
  [
    'a control argument smuggled as a chassis key',
    { chassisKeys: { 'dry-run': 'true' } },
    'OVN_INVALID_ARGUMENT',
    'dry-run',
  ],
  [
    'a malformed chassis key value',
    { chassisKeys: { 'ovn-remote-probe-interval': '10' } },
    'OVN_INVALID_ARGUMENT',
    'ovn-remote-probe-interval',
  ],
]
for (const [name, opts, code, key] of badOptions) {
  test(`pool-wide options: ${name}`, () => {
    const { state } = laidOutPool(2, undefined, [OVN_NET])
    const got = argError(() => checkChassisOptions({ ...BASE, ...opts }, state, OVN_NET.bridge))
    assert.equal(got[0], code)
    assert.equal(got[1], key)
  })
}

test('pool-wide options: good ones pass, also before the network exists', () => {
  const { state } = laidOutPool(2, undefined, [OVN_NET])
  const opts: ChassisOptions = {
    ...BASE,
    encapType: 'geneve',
    bridgeMappings: 'physnet-mgmt:xenbr0',
    chassisKeys: { 'ovn-bridge-datapath-type': 'netdev', 'ovn-remote-probe-interval': '5000' },
  }
  checkChassisOptions(opts, state, OVN_NET.bridge)
  checkChassisOptions(opts, state, null)
})

test('each host gets its own encap IP, the OVN bridge and the network uuid', () => {
  const { state, hosts } = laidOutPool(3, undefined, [OVN_NET])
  const plans = planHosts(
    state,
    hosts,
    { ...BASE, bridgeMappings: 'physnet:xenbr0', forceSystemId: true },
    { by: 'management' },
    'auto',
    OVN_NET.bridge,
    OVN_NET.uuid,
  )
  assert.deepEqual(
    plans.map((p) => p.ok && p.args['ovn-encap-ip']),
    ['192.0.2.21', '192.0.2.22', '192.0.2.23'],
  )
  const first = plans[0] as Extract<HostPlan, { ok: true }>
  assert.deepEqual(first.args, {
    'ovn-remote': 'tcp:192.0.2.10:6642',
    'ovn-encap-type': 'geneve',
    'ovn-encap-ip': '192.0.2.21',
    'ovn-bridge': 'xapi3',
    'ovn-bridge-mappings': 'physnet:xenbr0',
    'network-uuid': OVN_NET.uuid,
    'force-system-id': 'true',
  })
})

test('a host without a usable PIF fails alone; the others are planned', () => {
  const { state, hosts } = laidOutPool(
    3,
    (i, p) => {
      if (i === 2) p.eth1.ip_configuration_mode = 'None'
    },
    [OVN_NET],
  )
  const choice = resolveTransportChoice({ by: 'network', network: 'storage' }, state.networks)
  const plans = planHosts(state, hosts, BASE, choice, 'auto', OVN_NET.bridge, OVN_NET.uuid)
  assert.deepEqual(
    plans.map((p) => p.ok),
    [true, false, true],
  )
  const bad = plans[1] as Extract<HostPlan, { ok: false }>
  assert.equal(bad.failure.code, 'OVN_NO_TRANSPORT_PIF')
  assert.equal(bad.failure.params[0], 'host2')
  assert.ok(bad.failure.hint)
})

test('two hosts with one transport address both fail; the third is fine', () => {
  const { state, hosts } = laidOutPool(
    3,
    (i, p) => {
      if (i === 3) p.eth0.IP = '192.0.2.21'
    },
    [OVN_NET],
  )
  const plans = planHosts(state, hosts, BASE, { by: 'management' }, 'auto', OVN_NET.bridge, OVN_NET.uuid)
  assert.deepEqual(
    plans.map((p) => p.ok),
    [false, true, false],
  )
  const bad = plans[0] as Extract<HostPlan, { ok: false }>
  assert.equal(bad.failure.code, 'OVN_INVALID_ARGUMENT')
  assert.match(bad.failure.message, /also the transport address of host3/)
})

test('shared addresses are found across pools too', () => {
  const a = laidOutPool(1, undefined, [OVN_NET])
  const b = laidOutPool(1, undefined, [OVN_NET])
  const plans = [
    ...planHosts(a.state, a.hosts, BASE, { by: 'management' }, 'auto', 'xapi3', null),
    ...planHosts(b.state, b.hosts, BASE, { by: 'management' }, 'auto', 'xapi3', null),
  ]
  assert.deepEqual(
    rejectSharedEncapIps(plans).map((p) => p.ok),
    [false, false],
  )
})

test('each host is sent its own certificate (never a key), and SSL values are never shown', () => {
  const { state, hosts } = laidOutPool(1, undefined, [OVN_NET])
  const uuid = hosts[0]?.uuid ?? ''
  const ssl = { certificates: { [uuid]: 'cert-secret-looking', other: 'not this one' }, caCertificate: 'ca' }
  const [plan] = planHosts(
    state,
    hosts,
    { ovnRemote: 'ssl:192.0.2.10:6642', ssl },
    { by: 'management' },
    'auto',
    'xapi3',
    OVN_NET.uuid,
  )
  assert.ok(plan?.ok)
  assert.equal(plan.args['ovn-ssl-cert'], 'cert-secret-looking')
  assert.equal(plan.args['ovn-ssl-ca-cert'], 'ca')
  assert.equal(plan.args['ovn-ssl-key'], undefined)
  const shown = shownArgs(plan.args)
  assert.equal(shown['ovn-ssl-cert'], '<redacted>')
  assert.ok(!JSON.stringify(shown).includes('secret'))
})

test('a selected host without its certificate, or a PEM with a private key, stops setup before anything', () => {
  const { hosts } = laidOutPool(2, undefined, [OVN_NET])
  const [h1, h2] = [hosts[0]?.uuid ?? '', hosts[1]?.uuid ?? '']
  assert.throws(
    () => checkSslMaterial({ certificates: { [h1]: 'c' }, caCertificate: 'ca', source: '/certs/' }, hosts),
    (e: unknown) =>
      e instanceof XapiOvnError &&
      e.code === 'OVN_SSL_CERT_MISSING' &&
      e.params[0] === h2 &&
      e.params[1] === `/certs/${h2}.pem`,
  )
  assert.ok(isArgumentErrorCode('OVN_SSL_CERT_MISSING'), 'setupPools refuses every pool before touching one')
  assert.throws(
    () =>
      checkSslMaterial(
        { certificates: { [h1]: 'c', [h2]: '-----BEGIN PRIVATE KEY-----\nx' }, caCertificate: 'ca' },
        hosts,
      ),
    (e: unknown) =>
      e instanceof XapiOvnError &&
      e.code === 'OVN_INVALID_ARGUMENT' &&
      e.params[1] === '<redacted>' &&
      /private keys never travel/.test(e.params[2] ?? ''),
  )
  checkSslMaterial({ certificates: { [h1]: 'c', [h2]: 'c' }, caCertificate: 'ca' }, hosts)
  checkSslMaterial(undefined, hosts)
})

test('hosts can be picked by name or uuid; an unknown one is an argument error', () => {
  const { state, hosts } = laidOutPool(3)
  assert.deepEqual(
    selectHosts(state, ['host3', hosts[0]?.uuid ?? '']).map((h) => h.nameLabel),
    ['host1', 'host3'],
  )
  assert.deepEqual(
    selectHosts(state).map((h) => h.nameLabel),
    ['host1', 'host2', 'host3'],
  )
  assert.deepEqual(argError(() => selectHosts(state, ['host9'])).slice(0, 2), ['OVN_INVALID_ARGUMENT', 'host'])
})

test('the OVN network: found by name or uuid, created when the name is free, refused when unusable', () => {
  const withPif = network({ name_label: 'has-pif', bridge: 'xapi9', PIFs: [ref()] })
  const twinA = network({ name_label: 'twin', bridge: 'xapi10' })
  const twinB = network({ name_label: 'twin', bridge: 'xapi11' })
  const badBridge = network({ name_label: 'weird', bridge: 'a bridge with spaces' })
  const nets = new Map([OVN_NET, withPif, twinA, twinB, badBridge].map((n) => [n.ref, n]))
  assert.deepEqual(selectNetwork(nets), { found: OVN_NET })
  assert.deepEqual(selectNetwork(nets, OVN_NET.uuid), { found: OVN_NET })
  assert.deepEqual(selectNetwork(nets, 'ovn-new'), { create: 'ovn-new' })
  assert.equal(findNetwork(nets, 'ovn-new'), null)
  for (const [selector, reason] of [
    ['has-pif', /PIF/],
    ['twin', /2 networks have this name/],
    ['weird', /unusable/],
    ['00000000-0000-4000-8000-00000000abcd', /no network of this pool has this uuid/],
  ] as const) {
    const got = argError(() => selectNetwork(nets, selector))
    assert.equal(got[0], 'OVN_NETWORK_UNUSABLE', selector)
    assert.match(got[2] ?? '', reason)
  }
})
