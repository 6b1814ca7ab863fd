// parseSetupConfig: a --config file into the very option values the setup flags give; every
// field checked, unknown keys refused, each mistake an OVN_INVALID_ARGUMENT naming its field.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { XapiOvnError } from '../../lib/errors.js'
import { parseSetupConfig } from '../../lib/pool/setup-config.js'

test('a whole configuration: the values of the equivalent flags', () => {
  assert.deepEqual(
    parseSetupConfig(
      JSON.stringify({
        'ovn-remote': 'ssl:192.0.2.10:6642',
        'encap-type': 'vxlan',
        'bridge-mappings': 'physnet-mgmt:xenbr0',
        set: { 'ovn-remote-probe-interval': '5000', 'ovn-bridge-datapath-type': 'netdev' },
        'ssl-cert-dir': '/root/pki/certs',
        'ssl-ca-cert': '/root/pki/ca.pem',
        transport: { device: 'eth1', vlan: 20 },
        'ip-family': '4',
      }),
    ),
    {
      'ovn-remote': 'ssl:192.0.2.10:6642',
      'encap-type': 'vxlan',
      'bridge-mappings': 'physnet-mgmt:xenbr0',
      'ssl-cert-dir': '/root/pki/certs',
      'ssl-ca-cert': '/root/pki/ca.pem',
      'ip-family': '4',
      set: ['ovn-bridge-datapath-type=netdev', 'ovn-remote-probe-interval=5000'],
      'transport-device': 'eth1',
      'transport-vlan': '20',
    },
  )
  assert.deepEqual(parseSetupConfig('{"ovn-remote": "tcp:192.0.2.10:6642"}'), { 'ovn-remote': 'tcp:192.0.2.10:6642' })
  // The integration mode (issue 12) is a string like the flag; the flag's parser checks its value.
  assert.deepEqual(parseSetupConfig('{"ovn-remote": "tcp:192.0.2.10:6642", "integration-mode": "unmanaged"}'), {
    'ovn-remote': 'tcp:192.0.2.10:6642',
    'integration-mode': 'unmanaged',
  })
})

function refused(text: string, param: string, reason: RegExp): void {
  assert.throws(
    () => parseSetupConfig(text),
    (e: unknown) => {
      assert.ok(e instanceof XapiOvnError)
      assert.equal(e.code, 'OVN_INVALID_ARGUMENT')
      assert.equal(e.params[0], param)
      assert.match(e.params[2] ?? '', reason)
      return true
    },
  )
}

test('mistakes: each refused with its field, nothing guessed', () => {
  refused('{"ovn-remote": "tcp:192.0.2.10:6642", "ovn-remtoe": "x"}', 'config.ovn-remtoe', /unknown key/)
  refused('{"encap-type": "geneve"}', 'config.ovn-remote', /required/)
  refused('{"ovn-remote": 6642}', 'config.ovn-remote', /non-empty string/)
  refused('not json', 'config.', /not JSON/)
  refused('["ovn-remote"]', 'config.', /one JSON object/)
  refused('{"ovn-remote": "tcp:192.0.2.10:6642", "set": {"a=b": "c"}}', 'config.set.a=b', /no "="/)
  refused('{"ovn-remote": "tcp:192.0.2.10:6642", "set": {"k": 5}}', 'config.set.k', /string value/)
  refused('{"ovn-remote": "tcp:192.0.2.10:6642", "set": ["k=v"]}', 'config.set', /object/)
  refused('{"ovn-remote": "tcp:192.0.2.10:6642", "transport": {"vlan": 5000}}', 'config.transport.vlan', /0 to 4094/)
  refused('{"ovn-remote": "tcp:192.0.2.10:6642", "transport": {"dev": "eth1"}}', 'config.transport.dev', /unknown key/)
  refused(
    '{"ovn-remote": "tcp:192.0.2.10:6642", "transport": {"network": "n", "vlan": 2}}',
    'config.transport',
    /cannot be combined/,
  )
  refused('{"ovn-remote": "tcp:192.0.2.10:6642", "transport": {}}', 'config.transport', /name one of/)
})

test('gateway-hosts: a list of hosts, as --gateway-hosts H,H; anything else refused', () => {
  assert.deepEqual(parseSetupConfig('{"ovn-remote": "tcp:192.0.2.10:6642", "gateway-hosts": ["host1", "host2"]}'), {
    'ovn-remote': 'tcp:192.0.2.10:6642',
    'gateway-hosts': 'host1,host2',
  })
  assert.deepEqual(parseSetupConfig('{"ovn-remote": "tcp:192.0.2.10:6642", "gateway-hosts": []}'), {
    'ovn-remote': 'tcp:192.0.2.10:6642',
    'gateway-hosts': '',
  })
  for (const v of ['"host1"', '[""]', '["a,b"]', '[1]'])
    refused(`{"ovn-remote": "tcp:192.0.2.10:6642", "gateway-hosts": ${v}}`, 'config.gateway-hosts', /list of host/)
})
