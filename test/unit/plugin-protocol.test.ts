// The plugin boundary with test-only function tables: every outcome of a call becomes exactly one
// methodResponse in the shape xapi reads.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeMethodResponse, encodeMethodCall } from '../../lib/xmlrpc/index.js'
import type { XmlRpcValue } from '../../lib/xmlrpc/index.js'
import { BusyError, InvalidArgumentError, InvalidRequestError } from '../../lib/errors.js'
import { REQUEST_LIMITS, parseRequest, runPlugin } from '../../plugin/protocol.js'
import { memoryLogger } from '../../lib/log.js'
import type { PluginContext, PluginFunction } from '../../plugin/context.js'

const SESSION = 'OpaqueRef:secret-session-ref'

function request(fn: string, args: Record<string, XmlRpcValue> = {}): string {
  return encodeMethodCall(fn, [SESSION, args])
}

function context(): { ctx: PluginContext; lines: string[] } {
  const { log, lines } = memoryLogger({ pid: 4242, now: () => new Date('2026-01-02T03:04:05Z') })
  const ctx: PluginContext = {
    paths: {
      ovsRundir: '/nonexistent/ovs',
      ovnRundir: '/nonexistent/ovn',
      ovsDbRemote: 'unix:/nonexistent/ovs/db.sock',
      inventory: '/nonexistent/inventory',
      ovnEtcDir: '/nonexistent/etc',
      stateDir: '/nonexistent/etc',
      firewallPort: '/nonexistent/firewall-port',
    },
    log,
    now: () => new Date('2026-01-02T03:04:05Z'),
    sleep: async () => {},
  }
  return { ctx, lines }
}

type Reply = { Status: 'Success'; Value: string } | { Status: 'Failure'; ErrorDescription: string[] }

/** Decode the stdout text the way xapi does: one methodResponse, one struct param. */
function reply(stdout: string): Reply {
  const r = decodeMethodResponse(stdout)
  assert.equal(r.kind, 'params')
  const v = (r as unknown as { params: [Record<string, unknown>] }).params[0]
  if (v.Status === 'Success') {
    assert.deepEqual(Object.keys(v).sort(), ['Status', 'Value'])
    assert.equal(typeof v.Value, 'string')
  } else {
    assert.equal(v.Status, 'Failure')
    assert.deepEqual(Object.keys(v).sort(), ['ErrorDescription', 'Status'])
    const d = v.ErrorDescription
    assert.ok(
      Array.isArray(d) && d.length >= 1 && d.every((s) => typeof s === 'string'),
      'ErrorDescription is a non-empty array of strings',
    )
  }
  return v as Reply
}

async function call(
  functions: Record<string, PluginFunction>,
  argv: string[],
): Promise<{ reply: Reply; lines: string[] }> {
  const { ctx, lines } = context()
  const stdout = await runPlugin(argv, functions, ctx)
  return { reply: reply(stdout), lines }
}

describe('parseRequest', () => {
  test('gives fn, session and the string arguments', () => {
    assert.deepEqual(parseRequest(request('configure', { bridge: 'xapi1', 'encap-ip': '192.0.2.1' })), {
      fn: 'configure',
      session: SESSION,
      args: { bridge: 'xapi1', 'encap-ip': '192.0.2.1' },
    })
  })

  test('reads the untyped values xapi itself writes', () => {
    const xml =
      '<?xml version="1.0"?><methodCall><methodName>status</methodName><params><param><value>OpaqueRef:x</value></param><param><value><struct><member><name>verbose</name><value>true</value></member></struct></value></param></params></methodCall>'
    assert.deepEqual(parseRequest(xml), { fn: 'status', session: 'OpaqueRef:x', args: { verbose: 'true' } })
  })

  const bad: Array<[string, string, RegExp]> = [
    ['not XML', 'configure bridge=xapi1', /expected an element name|text outside the root element/],
    [
      'one param',
      encodeMethodCall('f', [SESSION]),
      /expected 2 params \(session reference, struct of arguments\), found 1/,
    ],
    ['three params', encodeMethodCall('f', [SESSION, {}, 'x']), /expected 2 params .* found 3/],
    [
      'a session that is not a string',
      encodeMethodCall('f', [1, {}]),
      /first param \(session reference\) is a int, not a string/,
    ],
    [
      'arguments that are an array',
      encodeMethodCall('f', [SESSION, ['a']]),
      /second param \(arguments\) is a array, not a struct/,
    ],
    ['an int argument', request('f', { port: 6642 }), /argument "port" is a int, not a string/],
    ['a boolean argument', request('f', { force: true }), /argument "force" is a boolean, not a string/],
    ['a nil argument', request('f', { x: null }), /argument "x" is a nil, not a string/],
    ['a struct argument', request('f', { x: {} }), /argument "x" is a struct, not a string/],
    ['a base64 argument', request('f', { x: new Uint8Array([1]) }), /argument "x" is a base64, not a string/],
    [
      'too many arguments',
      request('f', Object.fromEntries(Array.from({ length: REQUEST_LIMITS.maxArgs + 1 }, (_, i) => [`k${i}`, 'v']))),
      /too many arguments: 257/,
    ],
    [
      'an over-long argument name',
      request('f', { ['k'.repeat(REQUEST_LIMITS.maxKeyLength + 1)]: 'v' }),
      /longer than 256 characters/,
    ],
    [
      'an over-long argument value',
      request('f', { cert: 'c'.repeat(REQUEST_LIMITS.maxValueLength + 1) }),
      /argument "cert" is 65537 characters long \(at most 65536\)/,
    ],
    ['nesting beyond a request', request('f', { x: [[[[[['deep']]]]]] }), /nested deeper than the limit of 16/],
  ]
  for (const [name, xml, reason] of bad) {
    test(`refuses ${name}`, () => {
      assert.throws(
        () => parseRequest(xml),
        (err: unknown) => err instanceof InvalidRequestError && reason.test(err.params[0] ?? ''),
      )
    })
  }

  test('the longest accepted value passes', () => {
    assert.equal(
      parseRequest(request('f', { cert: 'c'.repeat(REQUEST_LIMITS.maxValueLength) })).args.cert?.length,
      REQUEST_LIMITS.maxValueLength,
    )
  })
})

describe('runPlugin', () => {
  test('Success: the Value is the JSON of what the function resolved to', async () => {
    const seen: Array<Record<string, string>> = []
    const { reply: r } = await call(
      {
        status: async (args) => {
          seen.push(args)
          return { configured: true, bridge: args.bridge, n: 3 }
        },
      },
      ['ovn-chassis', request('status', { bridge: 'xapi1' })],
    )
    assert.deepEqual(r, { Status: 'Success', Value: '{"configured":true,"bridge":"xapi1","n":3}' })
    assert.deepEqual(seen, [{ bridge: 'xapi1' }])
  })

  test('a function that resolves to nothing answers Value "null"', async () => {
    const { reply: r } = await call({ noop: async () => undefined }, ['p', request('noop')])
    assert.deepEqual(r, { Status: 'Success', Value: 'null' })
  })

  test('any string result survives, including characters XML cannot carry raw', async () => {
    const nasty = 'nul\u0000 bell\u0007 nonchar\uFFFF\uFFFE lone\uD800 cr\r ]]> <&>'
    const { reply: r } = await call({ f: async () => ({ nasty }) }, ['p', request('f')])
    assert.equal(r.Status, 'Success')
    assert.deepEqual(JSON.parse((r as { Value: string }).Value), { nasty })
  })

  test('the function gets a log whose lines carry its name', async () => {
    const { lines } = await call(
      {
        configure: async (_args, ctx) => {
          ctx.log.info('step one')
          return 'ok'
        },
      },
      ['p', request('configure')],
    )
    assert.ok(lines.includes('2026-01-02T03:04:05.000Z pid=4242 fn=configure info step one'), lines.join('\n'))
  })

  test('an unknown fn answers UNKNOWN_XENAPI_PLUGIN_FUNCTION [fn]', async () => {
    const { reply: r } = await call({ status: async () => 'x' }, ['p', request('reboot-the-world')])
    assert.deepEqual(r, { Status: 'Failure', ErrorDescription: ['UNKNOWN_XENAPI_PLUGIN_FUNCTION', 'reboot-the-world'] })
  })

  for (const inherited of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
    test(`fn ${inherited} (inherited by every object) is unknown too`, async () => {
      const { reply: r } = await call({ status: async () => 'x' }, ['p', request(inherited)])
      assert.deepEqual(r, { Status: 'Failure', ErrorDescription: ['UNKNOWN_XENAPI_PLUGIN_FUNCTION', inherited] })
    })
  }

  test('a XapiOvnError answers [code, ...params]', async () => {
    const { reply: r, lines } = await call(
      {
        configure: async () => {
          throw new InvalidArgumentError('encap-ip', '300.0.0.1', 'expected an IPv4 address')
        },
      },
      ['p', request('configure')],
    )
    assert.deepEqual(r, {
      Status: 'Failure',
      ErrorDescription: ['OVN_INVALID_ARGUMENT', 'encap-ip', '300.0.0.1', 'expected an IPv4 address'],
    })
    assert.ok(
      lines.some((l) => l.includes('fn=configure warn failure') && l.includes('OVN_INVALID_ARGUMENT')),
      lines.join('\n'),
    )
  })

  test('BusyError answers OVN_BUSY [operation]', async () => {
    const { reply: r } = await call({ configure: async () => Promise.reject(new BusyError('configure')) }, [
      'p',
      request('configure'),
    ])
    assert.deepEqual(r, { Status: 'Failure', ErrorDescription: ['OVN_BUSY', 'configure'] })
  })

  test('any other exception answers [OVN_INTERNAL, message] and logs the stack', async () => {
    const { reply: r, lines } = await call(
      {
        verify: async () => {
          throw new RangeError('index out of bounds')
        },
      },
      ['p', request('verify')],
    )
    assert.deepEqual(r, { Status: 'Failure', ErrorDescription: ['OVN_INTERNAL', 'index out of bounds'] })
    const line = lines.find((l) => l.includes('fn=verify error internal error'))
    assert.ok(line, lines.join('\n'))
    assert.match(line, /"stack":"RangeError: index out of bounds\\n {4}at /)
  })

  test('a thrown non-Error answers OVN_INTERNAL too', async () => {
    const { reply: r } = await call(
      {
        f: async () => {
          throw 'just a string' // eslint-disable-line no-throw-literal
        },
      },
      ['p', request('f')],
    )
    assert.deepEqual(r, { Status: 'Failure', ErrorDescription: ['OVN_INTERNAL', 'non-Error thrown: just a string'] })
  })

  test('a result JSON cannot carry answers OVN_INTERNAL', async () => {
    const { reply: r } = await call({ f: async () => ({ big: 1n }) }, ['p', request('f')])
    assert.equal(r.Status, 'Failure')
    assert.equal((r as { ErrorDescription: string[] }).ErrorDescription[0], 'OVN_INTERNAL')
    assert.match((r as { ErrorDescription: string[] }).ErrorDescription[1] ?? '', /BigInt/)
  })

  test('an error message XML cannot carry is cleaned, not fatal', async () => {
    const { reply: r } = await call(
      {
        f: async () => {
          throw new Error('bad byte \u0000 here')
        },
      },
      ['p', request('f')],
    )
    assert.deepEqual(r, { Status: 'Failure', ErrorDescription: ['OVN_INTERNAL', 'bad byte \uFFFD here'] })
  })

  test('a malformed request answers [OVN_INVALID_REQUEST, reason]', async () => {
    const { reply: r } = await call({}, [
      'p',
      '<methodCall><methodName>f</methodName><params><param><value><int>x</int></value></param></params></methodCall>',
    ])
    assert.deepEqual(r, {
      Status: 'Failure',
      ErrorDescription: ['OVN_INVALID_REQUEST', '<int> must be a decimal integer, found "x" (offset 60)'],
    })
  })

  test('a missing argv[1] answers OVN_INVALID_REQUEST', async () => {
    const { reply: r } = await call({}, ['p'])
    assert.deepEqual(r, {
      Status: 'Failure',
      ErrorDescription: [
        'OVN_INVALID_REQUEST',
        'argv[1] is missing: xapi passes the XML-RPC methodCall as the only argument',
      ],
    })
  })

  test('extra arguments answer OVN_INVALID_REQUEST', async () => {
    const { reply: r } = await call({ f: async () => 1 }, ['p', request('f'), 'extra'])
    assert.deepEqual(r, {
      Status: 'Failure',
      ErrorDescription: ['OVN_INVALID_REQUEST', 'expected one argument (the XML-RPC methodCall), found 2'],
    })
  })

  test('arguments are logged with secrets redacted, and the session never', async () => {
    const { lines } = await call({ configure: async () => 'ok' }, [
      'p',
      request('configure', {
        'ovn-remote': 'ssl:192.0.2.10:6642',
        'ssl-key': 'KEY-MATERIAL',
        'ssl-private-key': 'PEM-MATERIAL',
        'db-password': 'hunter2',
        'Private-Thing': 'shh',
      }),
    ])
    const text = lines.join('\n')
    for (const secret of ['KEY-MATERIAL', 'PEM-MATERIAL', 'hunter2', 'shh', SESSION])
      assert.ok(!text.includes(secret), `${secret} leaked into the log:\n${text}`)
    const callLine = lines.find((l) => l.includes('fn=configure info call'))
    assert.ok(callLine)
    const args = JSON.parse(callLine.slice(callLine.indexOf('{'))).args as Record<string, string>
    assert.deepEqual(args, {
      'ovn-remote': 'ssl:192.0.2.10:6642',
      'ssl-key': '<redacted>',
      'ssl-private-key': '<redacted>',
      'db-password': '<redacted>',
      'Private-Thing': '<redacted>',
    })
  })

  test('a logger that throws does not change the answer', async () => {
    const { ctx } = context()
    const broken = {
      ...ctx,
      log: {
        debug: () => {
          throw new Error('disk full')
        },
        info: () => {
          throw new Error('disk full')
        },
        warn: () => {
          throw new Error('disk full')
        },
        error: () => {
          throw new Error('disk full')
        },
        withFn() {
          return this
        },
      },
    }
    const ok = reply(await runPlugin(['p', request('f')], { f: async () => 'fine' }, broken))
    assert.deepEqual(ok, { Status: 'Success', Value: '"fine"' })
    const failed = reply(
      await runPlugin(
        ['p', request('g')],
        {
          g: async () => {
            throw new BusyError('g')
          },
        },
        broken,
      ),
    )
    assert.equal(failed.Status, 'Failure')
  })
})
