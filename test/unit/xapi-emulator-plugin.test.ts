// host.call_plugin runs a real executable the way xapi_plugins.ml does (argv[1] = the
// methodCall, PATH-only environment plus the host's overrides, stdin /dev/null) and maps its
// output like xapi: Success -> Value, Failure -> that error, fault / non-zero exit / garbage ->
// XENAPI_PLUGIN_FAILURE; a missing plugin and an offline host fail before anything runs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeMethodCall } from '../../lib/xmlrpc/index.js'
import { XapiApiError, createEmulatedPool, formatPluginCall, PLUGIN_PATH } from '../../xapi-emulator/index.js'
import { readPluginOutput } from '../../xapi-emulator/plugin-output.js'
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

/** argv[1] of a call whose one argument `v` holds `value`. */
function argOf(value: string): string {
  return formatPluginCall('fn', 'OpaqueRef:s', { v: value })
}

function withArg(valueXml: string): string {
  return (
    '<methodCall><methodName>fn</methodName><params><param><value>OpaqueRef:s</value></param>' +
    `<param><value><struct><member><name>v</name>${valueXml}</member></struct></value></param></params></methodCall>`
  )
}

// xml-light2's esc_pcdata (ocaml/libs/xml-light2/xml.ml) and XMLRPC.To.string (xMLRPC.ml).
const ARGV_TABLE: ReadonlyArray<readonly [string, string, string]> = [
  ['& always escaped', 'a & b', '<value>a &amp; b</value>'],
  ['& before # too', '&#65;', '<value>&amp;#65;</value>'],
  ['entity-looking text', '&amp;', '<value>&amp;amp;</value>'],
  ["' as is", "it's", "<value>it's</value>"],
  ['< > "', 'x<y>"z"', '<value>x&lt;y&gt;&quot;z&quot;</value>'],
  ['control bytes dropped', 'a\u0000b\u0001c\u001bd\u001f', '<value>abcd</value>'],
  ['tab LF CR kept', '\t\n\r', '<value>\t\n\r</value>'],
  ['DEL and UTF-8 kept', '\u007f é 😀', '<value>\u007f é 😀</value>'],
  ['empty string', '', '<value/>'],
  ['only dropped bytes', '\u0001\u0002', '<value></value>'],
]

for (const [what, value, expected] of ARGV_TABLE) {
  test(`formatPluginCall argv[1] as xml-light2 writes it: ${what}`, () => {
    assert.equal(argOf(value), withArg(expected))
  })
}

test('formatPluginCall: session, struct names, empty struct', () => {
  assert.equal(
    formatPluginCall('f&n', '', { "k'&": 'v' }),
    '<methodCall><methodName>f&amp;n</methodName><params><param><value/></param>' +
      "<param><value><struct><member><name>k'&amp;</name><value>v</value></member></struct></value></param></params></methodCall>",
  )
  assert.equal(
    formatPluginCall('fn', 'OpaqueRef:s', {}),
    '<methodCall><methodName>fn</methodName><params><param><value>OpaqueRef:s</value></param><param><value><struct/></value></param></params></methodCall>',
  )
})

const member = (name: string, value: string): string => `<member><name>${name}</name>${value}</member>`
const struct = (...members: string[]): string => `<value><struct>${members.join('')}</struct></value>`
const reply = (...params: string[]): string =>
  `<?xml version='1.0'?>\n<methodResponse>\n<params>\n${params.map((p) => `<param>\n${p}\n</param>\n`).join('')}</params>\n</methodResponse>\n`
const faultReply = (...members: string[]): string =>
  `<methodResponse><fault>${struct(...members)}</fault></methodResponse>`
const ok = (value: string): string => reply(struct(member('Status', '<value>Success</value>'), member('Value', value)))
const failure = (description: string): string =>
  reply(struct(member('Status', '<value>Failure</value>'), member('ErrorDescription', description)))
const rtte = (name: string): string[] => ['INTERNAL_ERROR', `XMLRPC.RunTimeTypeError(${name}, _)`]

// What xapi_plugins.ml + XMLRPC.From.methodResponse (xMLRPC.ml) make of a plugin's stdout (exit 0):
// a value, or [code, ...params]. The wrong shapes are INTERNAL_ERROR [Printexc.to_string exn].
const OUTPUT_TABLE: ReadonlyArray<readonly [string, string, string | readonly string[]]> = [
  ['Success, <string>', ok('<value><string>{"ok":true}</string></value>'), '{"ok":true}'],
  ['Success, untyped', ok('<value>v</value>'), 'v'],
  ['Success, <value/>', ok('<value/>'), ''],
  ['Success, whitespace-only Value reads as ""', ok('<value>  \n</value>'), ''],
  ['Success, whitespace-only <string> reads as ""', ok('<value><string> </string></value>'), ''],
  [
    'first Status wins',
    reply(
      struct(
        member('Status', '<value>Success</value>'),
        member('Status', '<value>x</value>'),
        member('Value', '<value>1</value>'),
      ),
    ),
    '1',
  ],
  [
    'Failure',
    failure('<value><array><data><value>OVN_X</value><value>a</value><value/></data></array></value>'),
    ['OVN_X', 'a', ''],
  ],
  [
    'fault',
    faultReply(member('faultCode', '<value><int>42</int></value>'), member('faultString', '<value>boom</value>')),
    ['XENAPI_PLUGIN_FAILURE', 'fault', '42', 'boom'],
  ],
  [
    'fault code by Int32.of_string',
    faultReply(member('faultCode', '<value><i4>0x10</i4></value>'), member('faultString', '<value/>')),
    ['XENAPI_PLUGIN_FAILURE', 'fault', '16', ''],
  ],
  ['no Status', reply(struct(member('Value', '<value>v</value>'))), rtte('"Status"')],
  [
    'Status neither Success nor Failure',
    reply(struct(member('Status', '<value>success</value>'), member('Value', '<value>v</value>'))),
    rtte('"Status"'),
  ],
  [
    'Status not a string',
    reply(struct(member('Status', '<value><int>1</int></value>'))),
    rtte(`"unbox: Element=int should contain 'string'"`),
  ],
  ['Success without Value', reply(struct(member('Status', '<value>Success</value>'))), rtte('"Status"')],
  ['Value an int', ok('<value><int>1</int></value>'), rtte(`"unbox: Element=int should contain 'string'"`)],
  ['Value a struct', ok(struct()), rtte(`"unbox: Element=struct should contain 'string'"`)],
  [
    'Value two children, escaped twice',
    ok('<value>say "hi"<b/></value>'),
    rtte('"singleton: {PCData=say \\\\\\"hi\\\\\\", Element=b} should be the singleton {value}"'),
  ],
  ['Failure without ErrorDescription', reply(struct(member('Status', '<value>Failure</value>'))), rtte('"Status"')],
  ['ErrorDescription a string', failure('<value>OVN_X</value>'), rtte(`"unbox: PCData=OVN_X should contain 'array'"`)],
  ['ErrorDescription empty', failure('<value><array><data/></array></value>'), rtte('"Empty array of error strings"')],
  [
    'ErrorDescription code not a string',
    failure('<value><array><data><value><int>1</int></value></data></array></value>'),
    rtte(`"unbox: Element=int should contain 'string'"`),
  ],
  [
    'a bad param is seen before a bad code',
    failure(
      '<value><array><data><value><int>1</int></value><value><boolean>1</boolean></value></data></array></value>',
    ),
    rtte(`"unbox: Element=boolean should contain 'string'"`),
  ],
  [
    'param not a struct',
    reply('<value><string>x</string></value>'),
    rtte(`"unbox: Element=string should contain 'struct'"`),
  ],
  [
    'member without a value',
    reply('<value><struct><member><name>Status</name></member></struct></value>'),
    rtte('"pair "'),
  ],
  [
    'member name not text',
    reply('<value><struct><member><name><b/></name><value/></member></struct></value>'),
    rtte('"From.name: should contain PCData"'),
  ],
  ['two params', reply(struct(), struct()), rtte('"Expected single return value (struct status)"')],
  ['no params', '<methodResponse><params/></methodResponse>', rtte('"Expected single return value (struct status)"')],
  ['empty methodResponse', '<methodResponse/>', rtte('"singleton: {} should be the singleton {methodResponse}"')],
  [
    'another root',
    '<methodCall><methodName>x</methodName></methodCall>',
    rtte(`"unbox: Element=methodCall should contain 'methodResponse'"`),
  ],
  ['neither params nor fault', '<methodResponse><result/></methodResponse>', rtte('"response"')],
  [
    'fault without faultString',
    faultReply(member('faultCode', '<value><int>1</int></value>')),
    ['INTERNAL_ERROR', 'Not_found'],
  ],
  [
    'fault code not an int32',
    faultReply(member('faultCode', '<value><int>2147483648</int></value>'), member('faultString', '<value/>')),
    ['INTERNAL_ERROR', 'Failure("Int32.of_string")'],
  ],
  [
    'fault code a string',
    faultReply(member('faultCode', '<value>1</value>'), member('faultString', '<value/>')),
    rtte(`"unbox: PCData=1 should contain 'i4'"`),
  ],
]

for (const [what, stdout, expected] of OUTPUT_TABLE) {
  test(`plugin output read as xapi reads it: ${what}`, () => {
    if (typeof expected === 'string') {
      assert.equal(readPluginOutput(stdout), expected)
      return
    }
    assert.throws(
      () => readPluginOutput(stdout),
      (err: unknown) => err instanceof XapiApiError && assert.deepEqual(err.description, [...expected]) === undefined,
    )
  })
}

test('plugin output that is not XML: XENAPI_PLUGIN_FAILURE ["failed to parse plugin output", stdout, reason]', () => {
  assert.throws(
    () => readPluginOutput('hello\n'),
    (err: unknown) =>
      err instanceof XapiApiError &&
      err.code === 'XENAPI_PLUGIN_FAILURE' &&
      err.params[0] === 'failed to parse plugin output' &&
      err.params[1] === 'hello\n' &&
      err.params.length === 3,
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
