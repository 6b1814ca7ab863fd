import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  XmlRpcDouble,
  decodeMethodCall,
  decodeMethodResponse,
  encodeFault,
  encodeMethodCall,
  encodeMethodResponse,
} from '../../lib/xmlrpc/index.js'
import type { XmlRpcValue } from '../../lib/xmlrpc/index.js'
import { InvalidRequestError } from '../../lib/errors.js'

function struct(entries: Array<[string, XmlRpcValue]>): Record<string, XmlRpcValue> {
  const out: Record<string, XmlRpcValue> = {}
  for (const [k, v] of entries)
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true })
  return out
}

function nestedArrays(depth: number): XmlRpcValue {
  let v: XmlRpcValue = 'bottom'
  for (let i = 0; i < depth; i++) v = [v]
  return v
}

const bytes = new Uint8Array(1000)
for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff

const roundTrips: Array<[string, XmlRpcValue]> = [
  ['empty string', ''],
  ['plain string', 'xapi1'],
  ['markup characters', '<a href="x">&amp;</a> \' ]]> <![CDATA[ x ]]>'],
  ['CR, LF and CRLF are kept apart', 'a\r\nb\rc\nd'],
  ['tab and spaces at the ends', '\t  padded  \t'],
  ['non-ASCII', 'é 中文 😀 \u007f \u0085 \uFFFD'],
  ['a 200 000 character string', 'x'.repeat(200_000)],
  ['zero', 0],
  ['one', 1],
  ['minus one', -1],
  ['int32 max', 2147483647],
  ['int32 min', -2147483648],
  ['just above int32 (i8)', 2147483648],
  ['just below int32 (i8)', -2147483649],
  ['largest exact integer (i8)', Number.MAX_SAFE_INTEGER],
  ['smallest exact integer (i8)', -Number.MAX_SAFE_INTEGER],
  ['true', true],
  ['false', false],
  ['double 1.0 stays a double', new XmlRpcDouble(1)],
  ['double 0.1', new XmlRpcDouble(0.1)],
  ['double -1.5e300', new XmlRpcDouble(-1.5e300)],
  ['double smallest subnormal', new XmlRpcDouble(5e-324)],
  ['dateTime leap day', new Date('2024-02-29T23:59:59Z')],
  ['dateTime year 1', new Date('0001-01-01T00:00:00Z')],
  ['dateTime year 9999', new Date('9999-12-31T23:59:59Z')],
  ['empty base64', new Uint8Array(0)],
  ['1000 bytes of base64', bytes],
  ['nil', null],
  ['empty array', []],
  ['mixed array', [1, 'a', [null, true], struct([['k', 'v']])]],
  ['empty struct', {}],
  [
    'struct with every type',
    {
      s: 's',
      i: 7,
      b: false,
      d: new XmlRpcDouble(2.5),
      t: new Date('2020-01-01T00:00:00Z'),
      x: new Uint8Array([1, 2]),
      a: ['z'],
      n: null,
      o: { inner: 'yes' },
    },
  ],
  [
    'struct with dangerous and odd names',
    struct([
      ['__proto__', 'p'],
      ['constructor', 'c'],
      ['', 'empty'],
      ['<name> & "quoted"', 'q'],
      ['a-very-long-argument-name-well-over-sixteen-characters', 'long'],
    ]),
  ],
  ['arrays nested 19 deep (within the default depth limit)', nestedArrays(19)],
]

describe('XML-RPC values survive a round trip', () => {
  for (const [name, value] of roundTrips) {
    test(`${name}: methodResponse`, () => {
      const decoded = decodeMethodResponse(encodeMethodResponse(value))
      assert.deepEqual(decoded, { kind: 'params', params: [value] })
    })
    test(`${name}: methodCall`, () => {
      assert.deepEqual(decodeMethodCall(encodeMethodCall('host.call_plugin', ['OpaqueRef:s', value])), {
        methodName: 'host.call_plugin',
        params: ['OpaqueRef:s', value],
      })
    })
  }

  test('a struct member named __proto__ is data, not the prototype', () => {
    const v = decodeMethodResponse(encodeMethodResponse(struct([['__proto__', 'p']])))
    assert.equal(v.kind, 'params')
    const s = (v as unknown as { params: [Record<string, unknown>] }).params[0]
    assert.equal(Object.getPrototypeOf(s), Object.prototype)
    assert.deepEqual(Object.keys(s), ['__proto__'])
    assert.equal(Object.getOwnPropertyDescriptor(s, '__proto__')?.value, 'p')
  })

  test('faults round trip', () => {
    assert.deepEqual(decodeMethodResponse(encodeFault(-32700, 'parse <error> & more')), {
      kind: 'fault',
      faultCode: -32700,
      faultString: 'parse <error> & more',
    })
  })
})

describe('what goes on the wire', () => {
  const wire: Array<[string, XmlRpcValue, string]> = [
    ['strings are <string>, markup escaped', 'a<b>&c', '<value><string>a&lt;b&gt;&amp;c</string></value>'],
    [
      'CR is a character reference so XML line-end normalisation keeps it',
      'a\rb',
      '<value><string>a&#13;b</string></value>',
    ],
    ['"]]>" is broken by escaping ">"', ']]>', '<value><string>]]&gt;</string></value>'],
    ['32-bit integers are <int>', -5, '<value><int>-5</int></value>'],
    ['bigger integers are <i8>', 2 ** 40, '<value><i8>1099511627776</i8></value>'],
    ['non-integer numbers are <double>', 1.5, '<value><double>1.5</double></value>'],
    ['XmlRpcDouble is always <double>', new XmlRpcDouble(3), '<value><double>3</double></value>'],
    ['booleans are 0/1', true, '<value><boolean>1</boolean></value>'],
    [
      'dates are UTC with Z, milliseconds dropped',
      new Date('2024-01-02T03:04:05.678Z'),
      '<value><dateTime.iso8601>20240102T03:04:05Z</dateTime.iso8601></value>',
    ],
    ['bytes are base64', new Uint8Array([0, 255, 1]), '<value><base64>AP8B</base64></value>'],
    ['null is <nil/>', null, '<value><nil/></value>'],
    [
      'member names are escaped',
      { '<k>': 'v' },
      '<value><struct><member><name>&lt;k&gt;</name><value><string>v</string></value></member></struct></value>',
    ],
  ]
  for (const [name, value, xml] of wire) {
    test(name, () => {
      assert.equal(
        encodeMethodResponse(value),
        `<?xml version="1.0"?><methodResponse><params><param>${xml}</param></params></methodResponse>`,
      )
    })
  }
  test('a number that is not an integer decodes back as an XmlRpcDouble', () => {
    assert.deepEqual(decodeMethodResponse(encodeMethodResponse(1.5)), {
      kind: 'params',
      params: [new XmlRpcDouble(1.5)],
    })
  })
})

describe('values that cannot be encoded are refused, never written as invalid XML', () => {
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  const refused: Array<[string, () => unknown, RegExp]> = [
    ['U+0000 in a string', () => encodeMethodResponse('a\u0000b'), /U\+0000/],
    ['a C0 control character', () => encodeMethodResponse('bell\u0007'), /U\+0007/],
    ['U+FFFF', () => encodeMethodResponse('\uFFFF'), /U\+FFFF/],
    ['a lone surrogate', () => encodeMethodResponse('\uD800x'), /U\+D800/],
    ['U+0000 in a member name', () => encodeMethodResponse({ 'a\u0000': 'x' }), /U\+0000/],
    ['U+0000 in a method name', () => encodeMethodCall('a\u0000', []), /U\+0000/],
    ['an empty method name', () => encodeMethodCall('', []), /non-empty/],
    ['NaN', () => encodeMethodResponse(NaN), /NaN/],
    ['Infinity', () => encodeMethodResponse(Infinity), /Infinity/],
    ['a double holding NaN', () => encodeMethodResponse(new XmlRpcDouble(NaN)), /NaN/],
    ['an integer beyond 2^53', () => encodeMethodResponse(2 ** 53), /2\^53/],
    [
      'an undefined struct member',
      () => encodeMethodResponse({ a: undefined } as unknown as XmlRpcValue),
      /"a" is undefined/,
    ],
    [
      'an undefined array element',
      () => encodeMethodResponse([undefined] as unknown as XmlRpcValue),
      /element 0 is undefined/,
    ],
    ['a cycle', () => encodeMethodResponse(cyclic as XmlRpcValue), /cyclic/],
    ['a Map', () => encodeMethodResponse(new Map() as unknown as XmlRpcValue), /Map/],
    ['a bigint', () => encodeMethodResponse(1n as unknown as XmlRpcValue), /bigint/],
    ['an invalid Date', () => encodeMethodResponse(new Date('nope')), /invalid Date/],
    ['a five-digit year', () => encodeMethodResponse(new Date('+010000-01-01T00:00:00Z')), /four-digit/],
    ['a fractional faultCode', () => encodeFault(1.5, 'x'), /32-bit integer/],
  ]
  for (const [name, fn, message] of refused) {
    test(name, () => assert.throws(fn, (err: unknown) => err instanceof TypeError && message.test(err.message)))
  }
})

function call(valueXml: string): string {
  return `<?xml version="1.0"?><methodCall><methodName>m</methodName><params><param><value>${valueXml}</value></param></params></methodCall>`
}

describe('accepted input', () => {
  test('what xapi sends: untyped string values, &quot;, declaration', () => {
    const xml =
      '<?xml version="1.0"?><methodCall><methodName>configure</methodName><params>' +
      '<param><value>OpaqueRef:3c1a</value></param>' +
      '<param><value><struct><member><name>bridge</name><value>xapi1</value></member>' +
      '<member><name>note</name><value>say &quot;hi&quot; &amp; go</value></member>' +
      '<member><name>empty</name><value></value></member></struct></value></param>' +
      '</params></methodCall>'
    assert.deepEqual(decodeMethodCall(xml), {
      methodName: 'configure',
      params: ['OpaqueRef:3c1a', { bridge: 'xapi1', note: 'say "hi" & go', empty: '' }],
    })
  })

  test('pretty-printed input: whitespace between elements is ignored', () => {
    const xml =
      "\uFEFF<?xml version='1.0' encoding='UTF-8'?>\n<methodCall>\n  <methodName>f</methodName>\n  <params>\n    <param>\n      <value>\n        <array>\n          <data>\n            <value><i4>4</i4></value>\n          </data>\n        </array>\n      </value>\n    </param>\n  </params>\n</methodCall>\n"
    assert.deepEqual(decodeMethodCall(xml), { methodName: 'f', params: [[4]] })
  })

  const accepted: Array<[string, string, XmlRpcValue]> = [
    ['untyped value keeps its whitespace', '  spaced  ', '  spaced  '],
    ['empty untyped value', '', ''],
    ['self-closing <string/>', '<string/>', ''],
    ['CR LF in text becomes LF, as XML requires', '<string>a\r\nb\rc</string>', 'a\nb\nc'],
    ['character references', '<string>&#60;&#x3E;&#x1F600;&#13;</string>', '<>😀\r'],
    ['the five predefined entities', '<string>&lt;&gt;&amp;&quot;&apos;</string>', '<>&"\''],
    ['CDATA is plain text', '<string><![CDATA[<b>&amp;</b>]]></string>', '<b>&amp;</b>'],
    ['text and CDATA join', '<string>a<![CDATA[<]]>b</string>', 'a<b'],
    ['<i4>', '<i4>-7</i4>', -7],
    ['<int> with a plus sign and leading zeros', '<int>+007</int>', 7],
    ['<i8> beyond 32 bits', '<i8>-9007199254740991</i8>', -Number.MAX_SAFE_INTEGER],
    ['<double> with an exponent', '<double>1.5E+3</double>', new XmlRpcDouble(1500)],
    ['<double> integer form', '<double>-2</double>', new XmlRpcDouble(-2)],
    [
      '<dateTime.iso8601> as the spec writes it (UTC assumed)',
      '<dateTime.iso8601>19980717T14:08:55</dateTime.iso8601>',
      new Date('1998-07-17T14:08:55Z'),
    ],
    [
      '<dateTime.iso8601> as xapi writes it',
      '<dateTime.iso8601>20240102T03:04:05Z</dateTime.iso8601>',
      new Date('2024-01-02T03:04:05Z'),
    ],
    [
      '<dateTime.iso8601> extended form with offset',
      '<dateTime.iso8601>2024-01-02T03:04:05+02:00</dateTime.iso8601>',
      new Date('2024-01-02T01:04:05Z'),
    ],
    ['<base64> wrapped across lines', '<base64>\nAP8B\nAA==\n</base64>', new Uint8Array([0, 255, 1, 0])],
    ['<nil></nil>', '<nil></nil>', null],
    ['<array> with empty <data/>', '<array><data/></array>', []],
    ['<struct/>', '<struct/>', {}],
  ]
  for (const [name, valueXml, expected] of accepted) {
    test(name, () => assert.deepEqual(decodeMethodCall(call(valueXml)).params, [expected]))
  }

  test('a methodCall without <params> has no params', () => {
    assert.deepEqual(decodeMethodCall('<methodCall><methodName>system.listMethods</methodName></methodCall>'), {
      methodName: 'system.listMethods',
      params: [],
    })
  })

  test('limits are configurable', () => {
    const xml = call('<string>12345</string>')
    assert.doesNotThrow(() => decodeMethodCall(xml, { maxBytes: xml.length }))
    assert.throws(() => decodeMethodCall(xml, { maxBytes: xml.length - 1 }), /larger than the limit of/)
    assert.doesNotThrow(() => decodeMethodCall(call('<array><data><value>x</value></data></array>'), { maxDepth: 7 }))
    assert.throws(
      () => decodeMethodCall(call('<array><data><value>x</value></data></array>'), { maxDepth: 6 }),
      /nested deeper than the limit of 6/,
    )
  })
})

const billionLaughs =
  '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
  '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>' +
  '<methodCall><methodName>&lol3;</methodName></methodCall>'
const externalEntity =
  '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><methodCall><methodName>&xxe;</methodName></methodCall>'

const hostile: Array<[string, string, RegExp]> = [
  ['entity bomb (billion laughs)', billionLaughs, /DOCTYPE declarations are not accepted/],
  ['external entity', externalEntity, /DOCTYPE declarations are not accepted/],
  ['an ENTITY declaration without DOCTYPE', '<!ENTITY x "y"><methodCall/>', /ENTITY declarations are not accepted/],
  ['an undeclared entity', call('<string>&xxe;</string>'), /unknown entity &xxe;/],
  ['a bare ampersand', call('<string>a & b</string>'), /malformed reference/],
  [
    'a processing instruction',
    '<?xml version="1.0"?><?evil run?><methodCall/>',
    /processing instructions are not accepted/,
  ],
  [
    'an xml-stylesheet instruction',
    '<?xml-stylesheet href="x"?><methodCall/>',
    /processing instructions are not accepted/,
  ],
  ['an XML declaration that is not first', ' <?xml version="1.0"?><methodCall/>', /misplaced XML declaration/],
  ['a malformed XML declaration', '<?xml versio="1.0"?><methodCall/>', /malformed XML declaration/],
  ['a comment', call('<!-- hi --><string>x</string>'), /comments are not accepted/],
  ['a conditional section', call('<![IGNORE[x]]>'), /markup declarations are not accepted/],
  ['more than 1 MiB', call(`<string>${'a'.repeat(1024 * 1024)}</string>`), /larger than the limit of 1048576 bytes/],
  [
    'more than 1 MiB of UTF-8 in fewer characters',
    call(`<string>${'中'.repeat(400_000)}</string>`),
    /larger than the limit of 1048576 bytes/,
  ],
  [
    'nesting deeper than 64 elements',
    call(`${'<array><data><value>'.repeat(30)}x${'</value></data></array>'.repeat(30)}`),
    /nested deeper than the limit of 64/,
  ],
  ['an unclosed element', '<methodCall><methodName>m</methodName>', /<methodCall> \(offset 0\) is not closed/],
  ['a mismatched end tag', '<methodCall><methodName>m</methodCall>', /does not close <methodName>/],
  ['an end tag without start', '<methodCall></methodName></methodCall>', /does not close <methodCall>/],
  ['a second root element', '<methodCall><methodName>m</methodName></methodCall><methodCall/>', /second root element/],
  ['text after the root', '<methodCall><methodName>m</methodName></methodCall>junk', /text outside the root element/],
  ['no root element', '   ', /no root element/],
  ['an attribute', '<methodCall xmlns="urn:x"><methodName>m</methodName></methodCall>', /attributes are not accepted/],
  ['an attribute on a value', call('<string type="x">a</string>'), /attributes are not accepted/],
  ['an unknown type element', call('<foo>1</foo>'), /unknown element <foo> in <value>/],
  ['a namespaced nil', call('<ex:nil/>'), /unknown element <ex:nil>/],
  [
    'an unknown element in methodCall',
    '<methodCall><methodName>m</methodName><params/><extra/></methodCall>',
    /unexpected <extra>/,
  ],
  ['the wrong root', '<foo><methodName>m</methodName></foo>', /root element is <foo>, not <methodCall>/],
  ['an empty methodName', '<methodCall><methodName></methodName></methodCall>', /<methodName> is empty/],
  ['text mixed with a typed value', call('a<string>b</string>'), /unexpected text "a" in <value>/],
  [
    'two typed elements in one value',
    call('<string>a</string><string>b</string>'),
    /exactly one typed element, found 2/,
  ],
  ['an element inside a string', call('<string>a<b/>c</string>'), /must hold text only, found <b>/],
  [
    'text in <params>',
    '<methodCall><methodName>m</methodName><params>x</params></methodCall>',
    /unexpected text "x" in <params>/,
  ],
  ['text in <nil>', call('<nil>x</nil>'), /<nil\/> must be empty/],
  ['"]]>" in text', call('<string>a]]>b</string>'), /"\]\]>" is not allowed in text/],
  [
    'a duplicate struct member',
    call(
      '<struct><member><name>a</name><value>1</value></member><member><name>a</name><value>2</value></member></struct>',
    ),
    /member "a" appears twice/,
  ],
  ['a member without a name', call('<struct><member><value>1</value></member></struct>'), /exactly <name> and <value>/],
  ['an array without <data>', call('<array><value>1</value></array>'), /expected <data> in <array>/],
  ['<int> with a fraction', call('<int>1.5</int>'), /<int> must be a decimal integer/],
  ['<int> empty', call('<int></int>'), /<int> must be a decimal integer/],
  ['<int> with spaces', call('<int> 1</int>'), /<int> must be a decimal integer/],
  ['<int> in hex', call('<int>0x10</int>'), /<int> must be a decimal integer/],
  ['<int> above 2^31-1', call('<int>2147483648</int>'), /outside the 32-bit range/],
  ['<i4> below -2^31', call('<i4>-2147483649</i4>'), /outside the 32-bit range/],
  ['<i8> beyond 2^53-1', call('<i8>9007199254740992</i8>'), /outside the exact JavaScript integer/],
  ['<i8> with 400 digits', call(`<i8>${'9'.repeat(400)}</i8>`), /outside the exact JavaScript integer/],
  ['<boolean>true', call('<boolean>true</boolean>'), /<boolean> must be 0 or 1/],
  ['<boolean>2', call('<boolean>2</boolean>'), /<boolean> must be 0 or 1/],
  ['<boolean> empty', call('<boolean/>'), /<boolean> must be 0 or 1/],
  ['<double>NaN', call('<double>NaN</double>'), /<double> must be a decimal number/],
  ['<double>inf', call('<double>inf</double>'), /<double> must be a decimal number/],
  ['<double> overflowing', call('<double>1e400</double>'), /not a finite number/],
  ['<dateTime> month 13', call('<dateTime.iso8601>20241301T00:00:00</dateTime.iso8601>'), /<dateTime.iso8601> must be/],
  [
    '<dateTime> 30 February',
    call('<dateTime.iso8601>20240230T00:00:00</dateTime.iso8601>'),
    /<dateTime.iso8601> must be/,
  ],
  ['<dateTime> words', call('<dateTime.iso8601>yesterday</dateTime.iso8601>'), /<dateTime.iso8601> must be/],
  ['<base64> wrong length', call('<base64>abc</base64>'), /not valid base64/],
  ['<base64> bad characters', call('<base64>ab$=</base64>'), /not valid base64/],
  ['<base64> too much padding', call('<base64>a===</base64>'), /not valid base64/],
  ['a raw U+0000', call('<string>a\u0000b</string>'), /character U\+0000 at offset \d+ is not allowed in XML 1.0/],
  ['a raw U+001B (escape)', call('<string>\u001b[31m</string>'), /character U\+001B/],
  ['a raw U+FFFE', call('<string>\uFFFE</string>'), /character U\+FFFE/],
  ['a lone surrogate', call('<string>\uDC00</string>'), /character U\+DC00/],
  ['a reference to U+0000', call('<string>&#0;</string>'), /names U\+0000, which XML 1.0 cannot carry/],
  ['a reference to U+0001', call('<string>&#x1;</string>'), /names U\+0001/],
  ['a reference to a surrogate', call('<string>&#xD800;</string>'), /names U\+D800/],
  ['a reference beyond Unicode', call('<string>&#x110000;</string>'), /beyond U\+10FFFF/],
  [
    'a fault without faultString',
    '<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1</int></value></member></struct></value></fault></methodResponse>',
    /exactly faultCode and faultString/,
  ],
  [
    'a fault whose code is a string',
    '<methodResponse><fault><value><struct><member><name>faultCode</name><value>1</value></member><member><name>faultString</name><value>x</value></member></struct></value></fault></methodResponse>',
    /faultCode is not an <int>/,
  ],
  [
    'a response with two params',
    '<methodResponse><params><param><value>a</value></param><param><value>b</value></param></params></methodResponse>',
    /exactly one param, found 2/,
  ],
  [
    'a response with neither params nor fault',
    '<methodResponse><result/></methodResponse>',
    /expected <params> or <fault>/,
  ],
]

describe('hostile and malformed input is refused with a precise InvalidRequestError', () => {
  for (const [name, xml, reason] of hostile) {
    test(name, () => {
      const decode = xml.includes('<methodResponse') ? decodeMethodResponse : decodeMethodCall
      assert.throws(
        () => decode(xml),
        (err: unknown) => {
          assert.ok(err instanceof InvalidRequestError, `expected InvalidRequestError, got ${String(err)}`)
          assert.equal(err.code, 'OVN_INVALID_REQUEST')
          assert.match(err.params[0] ?? '', reason)
          return true
        },
      )
    })
  }

  test('a methodCall is not a methodResponse', () => {
    assert.throws(
      () => decodeMethodResponse(encodeMethodCall('m', [])),
      /root element is <methodCall>, not <methodResponse>/,
    )
  })

  test('a non-string document', () => {
    assert.throws(() => decodeMethodCall(42 as unknown as string), /not a string/)
  })
})
