import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseConfigureArgs } from '../../lib/chassis/configure-args.js'
import { CHASSIS_KEYS } from '../../lib/chassis/keys.js'
import { XapiOvnError } from '../../lib/errors.js'

const GOOD = { 'ovn-remote': 'tcp:192.0.2.10:6642', 'ovn-encap-ip': '192.0.2.21', 'ovn-bridge': 'xapi3' }

function failure(args: Record<string, string>): string[] {
  try {
    parseConfigureArgs(args)
  } catch (e) {
    assert.ok(e instanceof XapiOvnError, String(e))
    return [e.code, ...e.params]
  }
  return ['no error']
}

test('the minimal arguments give geneve and no optional keys', () => {
  const r = parseConfigureArgs(GOOD)
  assert.deepEqual(Object.fromEntries(r.keys), { ...GOOD, 'ovn-encap-type': 'geneve' })
  assert.equal(r.dryRun, false)
  assert.equal(r.forceSystemId, false)
  assert.equal(r.networkUuid, null)
  assert.equal(r.ssl, null)
})

test('every documented key we support is accepted with a valid value', () => {
  const valid: Record<string, string> = {
    'ovn-remote': 'ssl:[2001:db8::1]:6642,unix:/var/run/ovn/ovnsb_db.sock',
    'ovn-encap-type': 'geneve,vxlan',
    'ovn-encap-ip': '2001:db8::21',
    'ovn-bridge': 'xapi12',
    'ovn-bridge-mappings': 'physnet-mgmt:xenbr0,prov.2:xapi4',
    'ovn-bridge-datapath-type': 'netdev',
    'ovn-remote-probe-interval': '5000',
    'ovn-openflow-probe-interval': '0',
    'ovn-monitor-all': 'true',
    'ovn-encap-csum': 'false',
    'ovn-encap-tos': 'inherit',
    'ovn-encap-df_default': 'true',
    hostname: 'host-1.example',
    'ovn-cms-options': 'enable-chassis-as-gw,availability-zones=az0:az1',
    'ovn-transport-zones': 'tz1,tz2',
    'ovn-chassis-mac-mappings': 'physnet-mgmt:0a:00:00:00:00:01',
    'ovn-is-interconn': 'false',
    'ovn-match-northd-version': 'true',
    'ovn-enable-lflow-cache': 'true',
    'ovn-limit-lflow-cache': '100000',
    'ovn-memlimit-lflow-cache-kb': '1024',
    'ovn-ofctrl-wait-before-clear': '8000',
  }
  assert.deepEqual(Object.keys(valid).sort(), CHASSIS_KEYS.map((k) => k.name).sort())
  const r = parseConfigureArgs(valid)
  assert.deepEqual(Object.fromEntries(r.keys), valid)
})

const HOSTILE: [string, Record<string, string>, string[]?][] = [
  [
    'missing ovn-remote',
    { 'ovn-encap-ip': '192.0.2.21', 'ovn-bridge': 'xapi3' },
    ['OVN_MISSING_ARGUMENT', 'ovn-remote'],
  ],
  [
    'missing ovn-bridge',
    { 'ovn-remote': 'tcp:192.0.2.10:6642', 'ovn-encap-ip': '192.0.2.21' },
    ['OVN_MISSING_ARGUMENT', 'ovn-bridge'],
  ],
  ['unknown key', { ...GOOD, 'ovn-evil': '1' }, ['OVN_UNKNOWN_ARGUMENT', 'ovn-evil']],
  ['system-id is not an argument', { ...GOOD, 'system-id': 'x' }, ['OVN_UNKNOWN_ARGUMENT', 'system-id']],
  ['shell metacharacters in bridge', { ...GOOD, 'ovn-bridge': 'xapi3;rm -rf /' }],
  ['16-char bridge name', { ...GOOD, 'ovn-bridge': 'abcdefghijklmnop' }],
  ['bridge with slash', { ...GOOD, 'ovn-bridge': '../xapi3' }],
  ['empty bridge', { ...GOOD, 'ovn-bridge': '' }],
  ['bad IPv4', { ...GOOD, 'ovn-encap-ip': '192.0.2.256' }],
  ['leading zeros', { ...GOOD, 'ovn-encap-ip': '192.0.2.021' }],
  ['hostname as encap ip', { ...GOOD, 'ovn-encap-ip': 'host1' }],
  ['bad IPv6', { ...GOOD, 'ovn-encap-ip': '2001:db8:::1' }],
  ['remote without port', { ...GOOD, 'ovn-remote': 'tcp:192.0.2.10' }],
  ['remote port 0', { ...GOOD, 'ovn-remote': 'tcp:192.0.2.10:0' }],
  ['remote port too big', { ...GOOD, 'ovn-remote': 'ssl:192.0.2.10:70000' }],
  ['remote bad scheme', { ...GOOD, 'ovn-remote': 'http://192.0.2.10:6642' }],
  ['remote by name', { ...GOOD, 'ovn-remote': 'tcp:central:6642' }],
  ['remote with space', { ...GOOD, 'ovn-remote': 'tcp:192.0.2.10:6642, tcp:192.0.2.11:6642' }],
  ['remote listed twice', { ...GOOD, 'ovn-remote': 'tcp:192.0.2.10:6642,tcp:192.0.2.10:6642' }],
  ['relative unix path', { ...GOOD, 'ovn-remote': 'unix:db.sock' }],
  ['encap type unknown', { ...GOOD, 'ovn-encap-type': 'gre' }],
  ['mapping without bridge', { ...GOOD, 'ovn-bridge-mappings': 'physnet' }],
  ['mapping twice', { ...GOOD, 'ovn-bridge-mappings': 'p:xenbr0,p:xenbr1' }],
  ['mapping onto the integration bridge', { ...GOOD, 'ovn-bridge-mappings': 'p:xapi3' }],
  ['mapping bad bridge', { ...GOOD, 'ovn-bridge-mappings': 'p:xen br0' }],
  ['probe interval below floor', { ...GOOD, 'ovn-remote-probe-interval': '10' }],
  ['probe interval negative', { ...GOOD, 'ovn-remote-probe-interval': '-1' }],
  ['boolean yes', { ...GOOD, 'ovn-monitor-all': 'yes' }],
  ['control character', { ...GOOD, hostname: 'h1\nevil' }],
  ['NUL byte', { ...GOOD, 'ovn-encap-ip': '192.0.2.21\u0000' }],
  ['huge value', { ...GOOD, 'ovn-cms-options': 'a'.repeat(100000) }],
  ['binary', { ...GOOD, 'ovn-bridge': '\u00ff\u00fe' }],
  ['dry-run not boolean', { ...GOOD, 'dry-run': '1' }],
  ['network-uuid not a uuid', { ...GOOD, 'network-uuid': 'xapi3' }],
  ['partial SSL material', { ...GOOD, 'ovn-ssl-cert': 'x' }],
  // Private keys never travel (issue 9): refused first, whatever else is wrong, never echoed.
  ['a private key', { ...GOOD, 'ovn-ssl-key': 'KEY', bogus: '1' }, ['OVN_SSL_KEY_REFUSED', 'ovn-ssl-key']],
  ['datapath type', { ...GOOD, 'ovn-bridge-datapath-type': 'dpdk' }],
]

for (const [name, args, expected] of HOSTILE) {
  test(`rejects ${name}`, () => {
    const got = failure(args)
    if (expected) assert.deepEqual(got.slice(0, expected.length), expected)
    else {
      assert.equal(got[0], 'OVN_INVALID_ARGUMENT')
      assert.equal(got.length, 4, 'params are [key, value, reason]')
      assert.ok((got[2] ?? '').length <= 300, 'the echoed value is truncated')
    }
  })
}
