import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConcurrentChangeError, OvsdbUnavailableError, TimeoutError, XapiOvnError } from '../../lib/errors.js'
import { AttachInDoubtError } from '../../lib/attach/errors.js'
import {
  NbAddressConflictError,
  NbLocalnetLoopError,
  NbPortConflictError,
  NbPortMissingError,
  NbSwitchAmbiguousError,
  NbSwitchMissingError,
  NbSwitchNoSubnetError,
  NbSwitchNotEmptyError,
  NB_ERROR_CODES,
} from '../../lib/nb/errors.js'
import {
  OVSDB_ERROR_CLASSES,
  OvsdbClusterError,
  OvsdbError,
  OvsdbIntegerRangeError,
  OvsdbNotAllowedError,
  OvsdbProtocolError,
  OvsdbRequestTimeoutError,
  OvsdbTimedOutError,
  OvsdbUnknownDatabaseError,
  OvsdbValueError,
  OvsdbWaitFailedError,
  TransactionError,
} from '../../lib/ovsdb/errors.js'
import {
  NoTransportPifError,
  OvnNetworkError,
  PluginReplyError,
  XapiAuthError,
  XapiCallError,
  XapiCertificateError,
  XapiRecordError,
  XapiUnreachableError,
} from '../../lib/pool/errors.js'
import { normalizeXapiUrl, redactUrl } from '../../lib/pool/connection.js'
import { failureFromCode, hintFor, toFailure } from '../../lib/pool/failures.js'

const classes: [XapiOvnError, string, string, string[]][] = [
  [
    new NoTransportPifError('host1', 'pif-uuid', 'not attached'),
    'NoTransportPifError',
    'OVN_NO_TRANSPORT_PIF',
    ['host1', 'pif-uuid', 'not attached'],
  ],
  [
    new XapiRecordError('PIF', 'OpaqueRef:1', 'VLAN', 'is missing'),
    'XapiRecordError',
    'OVN_XAPI_RECORD_INVALID',
    ['PIF', 'OpaqueRef:1', 'VLAN', 'is missing'],
  ],
  [
    new XapiUnreachableError('https://m', 'ECONNREFUSED'),
    'XapiUnreachableError',
    'OVN_XAPI_UNREACHABLE',
    ['https://m', 'ECONNREFUSED'],
  ],
  [
    new XapiCertificateError('https://m', 'DEPTH_ZERO_SELF_SIGNED_CERT'),
    'XapiCertificateError',
    'OVN_XAPI_CERTIFICATE',
    ['https://m', 'DEPTH_ZERO_SELF_SIGNED_CERT'],
  ],
  [new XapiAuthError('https://m', 'root'), 'XapiAuthError', 'OVN_XAPI_AUTH_FAILED', ['https://m', 'root']],
  [
    new XapiCallError('network.attach', 'HOST_OFFLINE', ['OpaqueRef:h']),
    'XapiCallError',
    'OVN_XAPI_CALL_FAILED',
    ['network.attach', 'HOST_OFFLINE', 'OpaqueRef:h'],
  ],
  [new OvnNetworkError('ovn-int', 'has PIFs'), 'OvnNetworkError', 'OVN_NETWORK_UNUSABLE', ['ovn-int', 'has PIFs']],
  [
    new PluginReplyError('host1', 'verify', 'not JSON'),
    'PluginReplyError',
    'OVN_PLUGIN_REPLY_INVALID',
    ['host1', 'verify', 'not JSON'],
  ],
]
for (const [err, name, code, params] of classes) {
  test(`${name}: stable code ${code}, string params, a message naming them`, () => {
    assert.ok(err instanceof XapiOvnError)
    assert.equal(err.name, name)
    assert.equal(err.code, code)
    assert.deepEqual(err.params, params)
    for (const p of params.slice(0, 2)) assert.ok(err.message.includes(p), `${err.message} names ${p}`)
  })
}

test('an XAPI refusal keeps XAPI code and params, with a sentence and a hint', () => {
  const f = toFailure(new XapiCallError('host.call_plugin', 'HOST_OFFLINE', ['OpaqueRef:h']))
  assert.equal(f.code, 'HOST_OFFLINE')
  assert.deepEqual(f.params, ['OpaqueRef:h'])
  assert.match(f.message, /offline/)
  assert.match(f.hint ?? '', /other hosts/)
  const missing = toFailure(new XapiCallError('host.call_plugin', 'XENAPI_MISSING_PLUGIN', ['ovn-chassis']))
  assert.match(missing.message, /ovn-chassis plugin is not installed/)
  assert.match(missing.hint ?? '', /RPM/)
})

test("the plugin's own codes get the same sentence the plugin's error class has", () => {
  const f = toFailure(new XapiCallError('host.call_plugin', 'OVN_BRIDGE_MISSING', ['xapi3']))
  assert.equal(f.code, 'OVN_BRIDGE_MISSING')
  assert.match(f.message, /bridge xapi3 does not exist on this host/)
  assert.ok(f.hint)
})

test('a raw xen-api error (code + params) and an unknown code are kept as they are', () => {
  const raw = Object.assign(new Error('SOMETHING_NEW(a)'), { code: 'SOMETHING_NEW', params: ['a'] })
  assert.deepEqual(
    { ...toFailure(raw) },
    { code: 'SOMETHING_NEW', params: ['a'], message: 'SOMETHING_NEW(a)', hint: null },
  )
  assert.equal(failureFromCode('XENAPI_PLUGIN_FAILURE', ['non-zero exit', 'out', 'err']).code, 'XENAPI_PLUGIN_FAILURE')
})

test('anything else is OVN_INTERNAL', () => {
  assert.equal(toFailure(new TypeError('boom')).code, 'OVN_INTERNAL')
  assert.equal(toFailure('a string').code, 'OVN_INTERNAL')
})

const urls: [string, string][] = [
  ['pool-master', 'https://pool-master'],
  ['192.0.2.1:8443', 'https://192.0.2.1:8443'],
  ['https://192.0.2.1/', 'https://192.0.2.1'],
  ['http://127.0.0.1:4321', 'http://127.0.0.1:4321'],
  ['https://[2001:db8::1]:443', 'https://[2001:db8::1]'],
]
for (const [input, want] of urls) {
  test(`pool master URL ${input} -> ${want}`, () => assert.equal(normalizeXapiUrl(input), want))
}

const badUrls: [string, RegExp][] = [
  ['', /empty/],
  ['ftp://pool', /only https/],
  ['https://root:hunter2@pool', /credentials do not belong/],
  ['https://pool/jsonrpc', /no path/],
  ['https://pool?x=1', /no path/],
]
for (const [input, reason] of badUrls) {
  test(`pool master URL ${JSON.stringify(input)} is refused`, () => {
    assert.throws(
      () => normalizeXapiUrl(input),
      (e: unknown) => e instanceof XapiOvnError && e.code === 'OVN_INVALID_ARGUMENT' && reason.test(e.params[2] ?? ''),
    )
  })
}

test('a password in a URL never shows in the error', () => {
  try {
    normalizeXapiUrl('https://root:hunter2@pool')
    assert.fail('accepted')
  } catch (e) {
    assert.ok(e instanceof XapiOvnError)
    assert.ok(!e.message.includes('hunter2'))
    assert.ok(!e.params.join(' ').includes('hunter2'))
  }
  assert.equal(redactUrl('https://root:pw@pool:443'), 'https://***@pool:443')
  assert.equal(redactUrl('root:pw@pool'), '***@pool')
})

// Where a failure happened decides its hint (lib/pool/failures.ts): a code back from a host is about
// that host's Open vSwitch; an OVSDB error raised here is about the northbound database.
const NB = 'tcp:192.0.2.10:6641'
const OVS_SOCKET = 'unix:/var/run/openvswitch/db.sock'
const hints: [string, unknown, string, RegExp][] = [
  [
    'the northbound unreachable (port attach --nb)',
    new OvsdbUnavailableError(NB, 'connect ECONNREFUSED 192.0.2.10:6641'),
    'OVN_OVSDB_UNAVAILABLE',
    /--nb remote \(or OVN_NB_DB\).*reachable.*RAFT cluster.*xapi-ovn show --nb REMOTE --sb REMOTE names every member and the leader/,
  ],
  [
    'a host whose Open vSwitch is down (the plugin said so)',
    new XapiCallError('host.call_plugin', 'OVN_OVSDB_UNAVAILABLE', [OVS_SOCKET, 'ENOENT']),
    'OVN_OVSDB_UNAVAILABLE',
    /Open vSwitch runs on the host/,
  ],
  [
    'the northbound silent',
    new OvsdbRequestTimeoutError('transact', 5000, NB),
    'OVN_OVSDB_REQUEST_TIMEOUT',
    /northbound ovsdb-server did not answer in time.*leader \(xapi-ovn show --nb REMOTE/,
  ],
  [
    '--nb at something that is not OVSDB',
    new OvsdbProtocolError('not JSON'),
    'OVN_OVSDB_PROTOCOL_ERROR',
    /6641.*southbound/,
  ],
  [
    '--nb at the southbound',
    new TransactionError(0, 'select', new OvsdbUnknownDatabaseError('OVN_Northbound'), []),
    'OVN_OVSDB_UNKNOWN_DATABASE',
    /no OVN_Northbound database/,
  ],
  [
    'a read-only northbound',
    new TransactionError(1, 'insert', new OvsdbNotAllowedError('read only mode'), []),
    'OVN_OVSDB_NOT_ALLOWED',
    /read-only.*--nb remote/,
  ],
  ['a cluster without a leader', new OvsdbClusterError('no leader'), 'OVN_OVSDB_CLUSTER_ERROR', /northbound cluster/],
  [
    'a northbound wait that failed',
    new OvsdbWaitFailedError(0, new OvsdbTimedOutError(), []),
    'OVN_OVSDB_WAIT_FAILED',
    /changed the northbound database meanwhile/,
  ],
  [
    'the northbound kept changing',
    new ConcurrentChangeError('port list changed'),
    'OVN_CONCURRENT_CHANGE',
    /kept changing the northbound database/,
  ],
  [
    'a host whose Open vSwitch kept changing',
    new XapiCallError('host.call_plugin', 'OVN_CONCURRENT_CHANGE', ['bridge changed']),
    'OVN_CONCURRENT_CHANGE',
    /Open vSwitch on the host/,
  ],
  [
    'an unreadable northbound value',
    new OvsdbValueError('not a uuid', 'x'),
    'OVN_OVSDB_INVALID_VALUE',
    /northbound database holds a value/,
  ],
  [
    'an integer the northbound holds beyond 2^53',
    new OvsdbIntegerRangeError(2n ** 60n, 'decode'),
    'OVN_OVSDB_INTEGER_OUT_OF_RANGE',
    /northbound database holds an integer/,
  ],
  ['no such switch', new NbSwitchMissingError('sw1'), 'OVN_NB_SWITCH_MISSING', /xapi-ovn switch list.*switch add/],
  ['a switch name twice', new NbSwitchAmbiguousError('sw1', 2), 'OVN_NB_SWITCH_AMBIGUOUS', /by its UUID/],
  ['a switch with ports', new NbSwitchNotEmptyError('sw1', 3), 'OVN_NB_SWITCH_NOT_EMPTY', /port detach.*--force/],
  ['dynamic without a subnet', new NbSwitchNoSubnetError('sw1'), 'OVN_NB_SWITCH_NO_SUBNET', /--subnet.*--ip/],
  [
    'a port on another switch',
    new NbPortConflictError('vif-1', 'sw2', 'on another switch'),
    'OVN_NB_PORT_CONFLICT',
    /port detach/,
  ],
  ['no such port', new NbPortMissingError('p1'), 'OVN_NB_PORT_MISSING', /port list --switch/],
  [
    'an address taken',
    new NbAddressConflictError('192.0.2.5', 'sw1', 'port p2 has it'),
    'OVN_NB_ADDRESS_CONFLICT',
    /no other port has/,
  ],
  [
    'a second localnet port',
    new NbLocalnetLoopError('physnet1', null, 'provnet-physnet1', 'sw1'),
    'OVN_NB_LOCALNET_LOOP',
    /another VLAN \(--vlan\)/,
  ],
  [
    'an attach whose write got no answer',
    new AttachInDoubtError('connection closed'),
    'OVN_ATTACH_IN_DOUBT',
    /northbound database.*same attach again/,
  ],
  [
    'an XAPI call that timed out here is still about the host',
    new TimeoutError('XAPI host.call_plugin', 300),
    'OVN_TIMEOUT',
    /host did not answer/,
  ],
]
for (const [what, err, code, hint] of hints) {
  test(`hint: ${what} -> ${code}`, () => {
    const f = toFailure(err)
    assert.equal(f.code, code)
    assert.match(f.hint ?? '(no hint)', hint)
  })
}

test('every northbound error raised here gets a northbound hint, never one about Open vSwitch', () => {
  const codes = new Set<string>([
    'OVN_OVSDB_UNAVAILABLE',
    'OVN_CONCURRENT_CHANGE',
    'OVN_OVSDB_WAIT_FAILED',
    'OVN_OVSDB_REQUEST_TIMEOUT',
    'OVN_OVSDB_PROTOCOL_ERROR',
    'OVN_OVSDB_INVALID_VALUE',
    'OVN_OVSDB_INTEGER_OUT_OF_RANGE',
    new OvsdbError('something new').code,
    ...[...OVSDB_ERROR_CLASSES.values()].map((C) => new C().code),
    ...NB_ERROR_CODES.values(),
    'OVN_ATTACH_IN_DOUBT',
  ])
  assert.ok(codes.size > 40, `${codes.size} codes`)
  for (const code of codes) {
    const hint = toFailure(new XapiOvnError(code, 'm')).hint
    assert.ok(hint !== null, `${code} has no hint`)
    assert.doesNotMatch(hint, /Open vSwitch|on the host/, code)
    assert.match(hint, /northbound|switch|port|address|localnet|VLAN/, code)
  }
  // The same codes back from a host keep the host's hints.
  assert.match(hintFor('OVN_OVSDB_UNAVAILABLE') ?? '', /Open vSwitch/)
  assert.match(hintFor('OVN_OVSDB_UNAVAILABLE', 'local') ?? '', /northbound/)
})
