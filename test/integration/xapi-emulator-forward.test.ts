// The XAPI emulator's hosts that are other machines: Host.call_plugin forwarded to the host's own
// xapi (xen-api ocaml/xapi/message_forwarding.ml do_op_on), which answers with the plugin's exit;
// the master still maps that exit as xapi does (a Value, or XENAPI_PLUGIN_FAILURE).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createEmulatedPool } from '../../xapi-emulator/index.js'
import { connectClient, PASSWORD, rejectsWithXapiError, remoteHosts } from '../../xapi-emulator/testing.js'

const success = (value: string) =>
  `<?xml version="1.0"?><methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member><member><name>Value</name><value>${value}</value></member></struct></value></param></params></methodResponse>`

test('host.call_plugin on a remote host: the host answers the methodCall xapi writes; a failed exit is XENAPI_PLUGIN_FAILURE', async (t) => {
  const seen: { host: string; plugin: string; call: string }[] = []
  const hosts = remoteHosts(2, async (h, plugin, call) => {
    seen.push({ host: h.name, plugin, call })
    if (call.includes('<methodName>broken</methodName>'))
      return { argv: [], status: 1, signal: null, stdout: '', stderr: 'boom' }
    return { argv: [], status: 0, signal: null, stdout: success(`answered by ${h.name}`), stderr: '' }
  })
  const pool = await createEmulatedPool({ hosts, password: PASSWORD })
  t.after(() => pool.close())
  const xapi = await connectClient(t, pool, 'json-rpc', { watchEvents: false })
  const [, second] = pool.hosts
  assert.ok(second)
  // No plugin file is installed on the master's side: the member runs its own.
  const value = await xapi.call('host.call_plugin', second.ref, 'ovn-chassis', 'verify', { a: 'b&c' })
  assert.equal(value, 'answered by host2')
  assert.equal(seen.length, 1)
  assert.equal(seen[0]?.host, 'host2')
  assert.equal(seen[0]?.plugin, 'ovn-chassis')
  assert.match(seen[0]?.call ?? '', /<methodName>verify<\/methodName>/)
  assert.match(seen[0]?.call ?? '', /<name>a<\/name><value>b&amp;c<\/value>/)
  await rejectsWithXapiError(
    xapi.call('host.call_plugin', second.ref, 'ovn-chassis', 'broken', {}),
    'XENAPI_PLUGIN_FAILURE',
    ['non-zero exit', '', 'boom'],
  )
})
