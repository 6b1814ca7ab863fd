import { test } from 'node:test'
import assert from 'node:assert/strict'
import { XapiOvnError } from '../../lib/errors.js'
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
import { failureFromCode, toFailure } from '../../lib/pool/failures.js'

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
