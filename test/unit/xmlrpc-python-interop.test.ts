// Interop with Python's xmlrpc.client, the library of XenAPI.py and of XenAPIPlugin.py: requests it
// builds must decode, and replies we build must load there to the same values.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import {
  XmlRpcDouble,
  decodeMethodCall,
  decodeMethodResponse,
  encodeFault,
  encodeMethodResponse,
} from '../../lib/xmlrpc/index.js'
import type { XmlRpcValue } from '../../lib/xmlrpc/index.js'
import { failureResponse, successResponse } from '../../plugin/protocol.js'

// Reads {op, ...} jobs as JSON on stdin, answers a JSON array on stdout. Values cross the JSON
// boundary tagged with their Python type so that 1 and 1.0, str and bytes stay apart.
const PYTHON = `
import base64, json, sys, xmlrpc.client as x

def untag(t):
    k, v = t['t'], t.get('v')
    if k == 'str': return v
    if k == 'int': return int(v)
    if k == 'float': return float(v)
    if k == 'bool': return bool(v)
    if k == 'none': return None
    if k == 'bytes': return base64.b64decode(v)
    if k == 'list': return [untag(i) for i in v]
    if k == 'dict': return {kk: untag(vv) for kk, vv in v}
    raise ValueError(k)

def tag(v):
    if isinstance(v, bool): return {'t': 'bool', 'v': v}
    if isinstance(v, int): return {'t': 'int', 'v': str(v)}
    if isinstance(v, float): return {'t': 'float', 'v': repr(v)}
    if isinstance(v, str): return {'t': 'str', 'v': v}
    if v is None: return {'t': 'none'}
    if isinstance(v, (bytes, bytearray)): return {'t': 'bytes', 'v': base64.b64encode(v).decode()}
    if isinstance(v, x.DateTime): return {'t': 'datetime', 'v': v.value}
    if isinstance(v, (list, tuple)): return {'t': 'list', 'v': [tag(i) for i in v]}
    if isinstance(v, dict): return {'t': 'dict', 'v': [[k, tag(i)] for k, i in v.items()]}
    raise ValueError(type(v))

out = []
for job in json.load(sys.stdin):
    if job['op'] == 'dumps_call':
        out.append(x.dumps(tuple(untag(p) for p in job['params']), methodname=job['method'], allow_none=True))
    elif job['op'] == 'dumps_response':
        out.append(x.dumps((untag(job['value']),), methodresponse=True, allow_none=True))
    elif job['op'] == 'loads':
        try:
            params, method = x.loads(job['xml'], use_builtin_types=True)
            out.append({'params': [tag(p) for p in params], 'method': method})
        except x.Fault as f:
            out.append({'fault': [f.faultCode, f.faultString]})
        except Exception as e:
            out.append({'error': type(e).__name__ + ': ' + str(e)})
print(json.dumps(out))
`

type Tagged = { t: string; v?: unknown }
type Job =
  | { op: 'dumps_call'; method: string; params: Tagged[] }
  | { op: 'dumps_response'; value: Tagged }
  | { op: 'loads'; xml: string }

function python<T>(jobs: Job[]): T[] {
  const r = spawnSync('python3', ['-c', PYTHON], {
    input: JSON.stringify(jobs),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  assert.equal(r.status, 0, `python3 failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as T[]
}

const str = (v: string): Tagged => ({ t: 'str', v })
const dict = (entries: Array<[string, Tagged]>): Tagged => ({ t: 'dict', v: entries })

describe('requests built by Python xmlrpc.client.dumps((session, args), methodname=fn)', () => {
  const cases: Array<[string, string, Array<[string, string]>]> = [
    ['no arguments', 'status', []],
    [
      'ordinary arguments',
      'configure',
      [
        ['bridge', 'xapi1'],
        ['ovn-remote', 'ssl:192.0.2.10:6642,ssl:192.0.2.11:6642'],
        ['encap-ip', '192.0.2.21'],
      ],
    ],
    ['markup and quotes', 'configure', [['x', '<tag attr="v">&amp; \' ]]>']]],
    [
      'unicode',
      'configure',
      [
        ['hostname', 'hôte-中文-😀'],
        ['e', ''],
      ],
    ],
    [
      'a PEM key passed with args:key:file=',
      'configure',
      [['ssl-private-key', `-----BEGIN PRIVATE KEY-----\n${'QUJD'.repeat(400)}\n-----END PRIVATE KEY-----\n`]],
    ],
    [
      'names that are JavaScript prototype properties',
      'configure',
      [
        ['__proto__', 'a'],
        ['constructor', 'b'],
        ['toString', 'c'],
      ],
    ],
    [
      'CR LF, normalised to LF by XML exactly as Python itself loads it',
      'configure',
      [['crlf', 'line1\r\nline2\rline3']],
    ],
  ]
  const jobs: Job[] = cases.map(([, fn, args]) => ({
    op: 'dumps_call',
    method: fn,
    params: [str('OpaqueRef:9a6f'), dict(args.map(([k, v]) => [k, str(v)]))],
  }))
  const xmls = python<string>(jobs)
  const pythonsOwnReading = python<{ params: Tagged[]; method: string }>(xmls.map((xml) => ({ op: 'loads', xml })))

  cases.forEach(([name, fn], i) => {
    test(name, () => {
      const decoded = decodeMethodCall(xmls[i] as string)
      const theirs = pythonsOwnReading[i] as { params: [Tagged, Tagged]; method: string }
      const expectedArgs: Record<string, string> = {}
      for (const [k, v] of theirs.params[1].v as Array<[string, Tagged]>) {
        Object.defineProperty(expectedArgs, k, { value: v.v, enumerable: true, writable: true, configurable: true })
      }
      assert.deepEqual(decoded, { methodName: fn, params: ['OpaqueRef:9a6f', expectedArgs] })
    })
  })

  test('CR LF arrives as Python reads it: LF', () => {
    const crlf = cases.findIndex(([name]) => name.startsWith('CR LF'))
    assert.deepEqual(decodeMethodCall(xmls[crlf] as string).params[1], { crlf: 'line1\nline2\nline3' })
  })
})

describe('responses built by Python decode to typed values', () => {
  const cases: Array<[string, Tagged, XmlRpcValue]> = [
    ['str', str('a<b>&c'), 'a<b>&c'],
    ['int', { t: 'int', v: '-42' }, -42],
    ['bool', { t: 'bool', v: true }, true],
    ['float', { t: 'float', v: '0.1' }, new XmlRpcDouble(0.1)],
    ['float with exponent', { t: 'float', v: '1e+300' }, new XmlRpcDouble(1e300)],
    ['None', { t: 'none' }, null],
    [
      'bytes (base64 split over lines)',
      { t: 'bytes', v: Buffer.from('x'.repeat(200)).toString('base64') },
      new Uint8Array(Buffer.from('x'.repeat(200))),
    ],
    ['list', { t: 'list', v: [str('a'), { t: 'int', v: '1' }] }, ['a', 1]],
    [
      'dict',
      dict([
        ['Status', str('Success')],
        ['Value', str('{"ok":true}')],
      ]),
      { Status: 'Success', Value: '{"ok":true}' },
    ],
  ]
  const xmls = python<string>(cases.map(([, value]) => ({ op: 'dumps_response', value })))
  cases.forEach(([name, , expected], i) => {
    test(name, () => assert.deepEqual(decodeMethodResponse(xmls[i] as string), { kind: 'params', params: [expected] }))
  })
})

describe('our replies load in Python to the same values', () => {
  const strings = [
    '',
    'plain',
    '<&>"\' ]]>',
    'a\r\nb\rc',
    '\t tab',
    'é 中文 😀 \u0085 \uFFFD',
    '{"json":["with",1,null]}',
    'x'.repeat(100_000),
  ]
  const cases: Array<[string, string, unknown]> = [
    ...strings.map((s, i): [string, string, unknown] => [
      `Success Value #${i}`,
      successResponse(s),
      {
        params: [
          dict([
            ['Status', str('Success')],
            ['Value', str(s)],
          ]),
        ],
        method: null,
      },
    ]),
    [
      'Failure with params',
      failureResponse('OVN_INVALID_ARGUMENT', ['encap-ip', '300.1.1.1', 'expected an IPv4 address']),
      {
        params: [
          dict([
            ['Status', str('Failure')],
            [
              'ErrorDescription',
              { t: 'list', v: ['OVN_INVALID_ARGUMENT', 'encap-ip', '300.1.1.1', 'expected an IPv4 address'].map(str) },
            ],
          ]),
        ],
        method: null,
      },
    ],
    [
      'every type',
      encodeMethodResponse([
        1,
        -2147483648,
        2 ** 40,
        true,
        new XmlRpcDouble(1),
        2.5,
        null,
        new Uint8Array([0, 255]),
        [],
        {},
      ]),
      {
        params: [
          {
            t: 'list',
            v: [
              { t: 'int', v: '1' },
              { t: 'int', v: '-2147483648' },
              { t: 'int', v: '1099511627776' },
              { t: 'bool', v: true },
              { t: 'float', v: '1.0' },
              { t: 'float', v: '2.5' },
              { t: 'none' },
              { t: 'bytes', v: 'AP8=' },
              { t: 'list', v: [] },
              { t: 'dict', v: [] },
            ],
          },
        ],
        method: null,
      },
    ],
    ['a fault', encodeFault(7, 'it <broke>'), { fault: [7, 'it <broke>'] }],
  ]
  const results = python<unknown>(cases.map(([, xml]) => ({ op: 'loads', xml })))
  cases.forEach(([name, , expected], i) => {
    test(name, () => assert.deepEqual(results[i], expected))
  })

  test('a dateTime reaches Python as the text XAPI also sends (UTC with Z)', () => {
    // use_builtin_types=True would call strptime without a zone and refuse the Z, as it does for
    // XAPI's own dates; Python's default DateTime keeps the text.
    const r = spawnSync(
      'python3',
      ['-c', 'import sys, xmlrpc.client as x; print(x.loads(sys.stdin.read())[0][0].value)'],
      {
        input: encodeMethodResponse(new Date('2024-01-02T03:04:05Z')),
        encoding: 'utf8',
      },
    )
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stdout.trim(), '20240102T03:04:05Z')
  })
})
