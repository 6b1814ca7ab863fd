// host.call_plugin runs a real executable the way xapi_plugins.ml does (argv[1] = the
// methodCall, PATH-only environment plus the host's overrides, stdin /dev/null) and maps its
// output like xapi: Success -> Value, Failure -> that error, fault / non-zero exit / garbage ->
// XENAPI_PLUGIN_FAILURE; a missing plugin and an offline host fail before anything runs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeMethodCall } from '../../lib/xmlrpc/index.js'
import { createEmulatedPool, formatPluginCall, PLUGIN_PATH } from '../../xapi-emulator/index.js'
import {
  PASSWORD,
  REPORTING_PLUGIN,
  TRANSPORTS,
  connectClient,
  memoryHosts,
  rejectsWithXapiError,
  shellPlugin,
  type PluginReport,
} from '../../xapi-emulator/testing.js'

const OVERRIDES = {
  OVS_RUNDIR: '/tmp/h/ovs',
  OVN_RUNDIR: '/tmp/h/ovn',
  XENSOURCE_INVENTORY: '/tmp/h/inventory',
  XAPI_OVN_PLUGIN_LOG: '/tmp/h/plugin.log',
}

test('formatPluginCall writes what xapi (xml-light) writes', () => {
  assert.equal(
    formatPluginCall('fn', 'OpaqueRef:s', { a: 'x<y & "z"', empty: '', ref: '&#65;' }),
    '<methodCall><methodName>fn</methodName><params><param><value>OpaqueRef:s</value></param>' +
      '<param><value><struct><member><name>a</name><value>x&lt;y &amp; &quot;z&quot;</value></member>' +
      '<member><name>empty</name><value/></member><member><name>ref</name><value>&#65;</value></member></struct></value></param></params></methodCall>',
  )
  assert.equal(
    formatPluginCall('fn', 'OpaqueRef:s', {}),
    '<methodCall><methodName>fn</methodName><params><param><value>OpaqueRef:s</value></param><param><value><struct/></value></param></params></methodCall>',
  )
})

for (const transport of TRANSPORTS) {
  test(`${transport}: call_plugin execs the file with argv[1] = the methodCall, PATH plus overrides, nothing on stdin`, async (t) => {
    const pool = await createEmulatedPool({ hosts: memoryHosts(2, OVERRIDES), password: PASSWORD })
    t.after(() => pool.close())
    const host = pool.hosts[1]?.ref as string
    const file = await pool.emulator.writePlugin(host, 'report', REPORTING_PLUGIN)
    const xapi = await connectClient(t, pool, transport)
    const args = { bridge: 'xapi1', 'encap-ip': '192.0.2.12', empty: '', odd: 'a<b>&c' }

    const value = (await xapi.call('host.call_plugin', host, 'report', 'configure', args)) as string
    const report = JSON.parse(value) as PluginReport
    assert.deepEqual(report.argv, [file, formatPluginCall('configure', xapi.sessionId, args)])
    const call = decodeMethodCall(report.argv[1] as string)
    assert.equal(call.methodName, 'configure')
    assert.deepEqual(call.params, [xapi.sessionId, args])
    assert.deepEqual(report.env, { PATH: PLUGIN_PATH, ...OVERRIDES })
    assert.equal(report.stdin, '/dev/null')

    // Async.host.call_plugin: same result through a task
    const viaTask = (await xapi.callAsync('host.call_plugin', host, 'report', 'verify', {})) as string
    assert.deepEqual((JSON.parse(viaTask) as PluginReport).argv[1], formatPluginCall('verify', xapi.sessionId, {}))
  })

  test(`${transport}: XENAPI_MISSING_PLUGIN, HOST_OFFLINE, and bad argument types`, async (t) => {
    const pool = await createEmulatedPool({ hosts: memoryHosts(2), password: PASSWORD })
    t.after(() => pool.close())
    const [h1, h2] = pool.hosts.map((h) => h.ref) as [string, string]
    await pool.emulator.writePlugin(h2, 'only-on-h2', shellPlugin('unused'))
    const xapi = await connectClient(t, pool, transport)
    await rejectsWithXapiError(xapi.call('host.call_plugin', h1, 'only-on-h2', 'fn', {}), 'XENAPI_MISSING_PLUGIN', [
      'only-on-h2',
    ])
    await rejectsWithXapiError(xapi.call('host.call_plugin', h1, '../plugins/x', 'fn', {}), 'XENAPI_MISSING_PLUGIN', [
      '../plugins/x',
    ])
    await rejectsWithXapiError(xapi.callAsync('host.call_plugin', h1, 'nope', 'fn', {}), 'XENAPI_MISSING_PLUGIN', [
      'nope',
    ])
    await rejectsWithXapiError(xapi.call('host.call_plugin', 'OpaqueRef:x', 'only-on-h2', 'fn', {}), 'HANDLE_INVALID', [
      'host',
      'OpaqueRef:x',
    ])
    await rejectsWithXapiError(xapi.call('host.call_plugin', h2, 'only-on-h2', 'fn', { n: true }), 'FIELD_TYPE_ERROR', [
      'args',
    ])
    await rejectsWithXapiError(
      xapi.call('host.call_plugin', h2, 'only-on-h2', 'fn'),
      'MESSAGE_PARAMETER_COUNT_MISMATCH',
      ['host.call_plugin', '4', '3'],
    )

    pool.setHostLive(h2, false)
    await xapi.barrier()
    const metrics = xapi.getObjectByRef(xapi.getObjectByRef(h2).metrics as string)
    assert.equal(metrics.live, false)
    await rejectsWithXapiError(xapi.call('host.call_plugin', h2, 'only-on-h2', 'fn', {}), 'HOST_OFFLINE', [h2])
    await rejectsWithXapiError(xapi.callAsync('host.call_plugin', h2, 'only-on-h2', 'fn', {}), 'HOST_OFFLINE', [h2])
    pool.setHostLive(h2, true)
    assert.equal(
      await xapi.call('host.call_plugin', h2, 'only-on-h2', 'fn', {}).catch((e: { code: string }) => e.code),
      'XENAPI_PLUGIN_FAILURE',
    )
  })

  test(`${transport}: plugin outputs map to xapi's results and errors`, async (t) => {
    const pool = await createEmulatedPool({ hosts: memoryHosts(1), password: PASSWORD })
    t.after(() => pool.close())
    const host = pool.hosts[0]?.ref as string
    const xapi = await connectClient(t, pool, transport)
    const install = (name: string, content: string): Promise<string> => pool.emulator.writePlugin(host, name, content)
    const call = (name: string): Promise<unknown> => xapi.call('host.call_plugin', host, name, 'fn', {})
    const response = (inner: string): string =>
      `<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value>${inner}</value>\n</param>\n</params>\n</methodResponse>\n`

    await install(
      'ok',
      shellPlugin(
        response(
          '<struct><member><name>Status</name><value><string>Success</string></value></member><member><name>Value</name><value><string>{"ok":true}</string></value></member></struct>',
        ),
      ),
    )
    assert.equal(await call('ok'), '{"ok":true}')

    await install(
      'failure',
      shellPlugin(
        response(
          '<struct><member><name>Status</name><value>Failure</value></member><member><name>ErrorDescription</name><value><array><data><value>OVN_BRIDGE_MISSING</value><value>xapi1</value></data></array></value></member></struct>',
        ),
      ),
    )
    await rejectsWithXapiError(call('failure'), 'OVN_BRIDGE_MISSING', ['xapi1'])

    await install(
      'fault',
      shellPlugin(
        '<?xml version="1.0"?><methodResponse><fault><value><struct><member><name>faultCode</name><value><int>42</int></value></member><member><name>faultString</name><value><string>boom</string></value></member></struct></value></fault></methodResponse>',
      ),
    )
    await rejectsWithXapiError(call('fault'), 'XENAPI_PLUGIN_FAILURE', ['fault', '42', 'boom'])

    await install('exit3', shellPlugin('partial output', { stderr: 'Traceback: oops', status: 3 }))
    await rejectsWithXapiError(call('exit3'), 'XENAPI_PLUGIN_FAILURE', [
      'non-zero exit',
      'partial output',
      'Traceback: oops',
    ])

    await install('garbage', shellPlugin('hello, not XML\n'))
    const garbage = await rejectsWithXapiError(call('garbage'), 'XENAPI_PLUGIN_FAILURE')
    assert.deepEqual(garbage.params.slice(0, 2), ['failed to parse plugin output', 'hello, not XML\n'])
    assert.equal(garbage.params.length, 3)

    await install('not-executable', shellPlugin('x'))
    await pool.emulator.writePlugin(host, 'not-executable', shellPlugin('x'), 0o644)
    const noexec = await rejectsWithXapiError(call('not-executable'), 'XENAPI_PLUGIN_FAILURE')
    assert.equal(noexec.params[0], 'non-zero exit')

    // the same through a task: error_info carries the code and params
    await rejectsWithXapiError(xapi.callAsync('host.call_plugin', host, 'exit3', 'fn', {}), 'XENAPI_PLUGIN_FAILURE', [
      'non-zero exit',
      'partial output',
      'Traceback: oops',
    ])
  })
}
