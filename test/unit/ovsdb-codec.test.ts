import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  NamedUuid,
  OvsdbSet,
  Uuid,
  decodeValue,
  encodeValue,
  ovsdbMap,
  parseColumnType,
  set,
  setItems,
  stringMap,
} from '../../lib/ovsdb/codec.js'
import type { ColumnType, Value } from '../../lib/ovsdb/codec.js'
import { OvsdbIntegerRangeError, OvsdbValueError } from '../../lib/ovsdb/errors.js'
import { JsonStreamDecoder } from '../../lib/ovsdb/json-stream.js'

const U1 = '550e8400-e29b-41d4-a716-446655440000'
const U2 = '6ba7b810-9dad-11d1-80b4-00c04fd430c8'

/** A comparable form: sets and maps sorted, Uuid/NamedUuid tagged, so order does not matter. */
function canon(value: Value): unknown {
  const atom = (a: unknown): unknown =>
    a instanceof Uuid ? ['uuid', a.value] : a instanceof NamedUuid ? ['named-uuid', a.name] : a
  const key = (x: unknown): string => JSON.stringify(x)
  if (value instanceof OvsdbSet) return ['set', value.items.map(atom).sort((a, b) => key(a).localeCompare(key(b)))]
  if (value instanceof Map)
    return ['map', [...value].map(([k, v]) => [atom(k), atom(v)]).sort((a, b) => key(a).localeCompare(key(b)))]
  return atom(value)
}

/** Wire values compared ignoring the order of set and map elements. */
function canonWire(wire: unknown): unknown {
  if (Array.isArray(wire) && (wire[0] === 'set' || wire[0] === 'map') && Array.isArray(wire[1])) {
    return [wire[0], [...(wire[1] as unknown[])].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))]
  }
  return wire
}

const stringSet: ColumnType = parseColumnType({ key: 'string', min: 0, max: 'unlimited' })
const optionalString: ColumnType = parseColumnType({ key: 'string', min: 0, max: 1 })
const uuidSet: ColumnType = parseColumnType({ key: { type: 'uuid', refTable: 'Bridge' }, min: 0, max: 'unlimited' })
const stringMapType: ColumnType = parseColumnType({ key: 'string', value: 'string', min: 0, max: 'unlimited' })
const integer: ColumnType = parseColumnType('integer')
const real: ColumnType = parseColumnType('real')

describe('codec round trips (set order ignored)', () => {
  const cases: { name: string; value: Value; wire: unknown; type?: ColumnType }[] = [
    { name: 'string', value: 'br-int', wire: 'br-int' },
    { name: 'empty string', value: '', wire: '' },
    { name: 'unicode string', value: 'h\u00e9llo \u{1F600}', wire: 'h\u00e9llo \u{1F600}' },
    { name: 'integer', value: 42, wire: 42 },
    { name: 'negative integer', value: -7, wire: -7 },
    { name: 'largest safe integer', value: Number.MAX_SAFE_INTEGER, wire: Number.MAX_SAFE_INTEGER },
    { name: 'smallest safe integer', value: -Number.MAX_SAFE_INTEGER, wire: -Number.MAX_SAFE_INTEGER },
    { name: 'real', value: 1.5, wire: 1.5 },
    { name: 'boolean true', value: true, wire: true },
    { name: 'boolean false', value: false, wire: false },
    { name: 'uuid', value: new Uuid(U1), wire: ['uuid', U1] },
    { name: 'named-uuid', value: new NamedUuid('row1'), wire: ['named-uuid', 'row1'] },
    { name: 'empty set', value: set(), wire: ['set', []] },
    { name: 'set of strings', value: set('a', 'b', 'c'), wire: ['set', ['a', 'b', 'c']] },
    {
      name: 'set of uuids',
      value: set(new Uuid(U1), new Uuid(U2)),
      wire: [
        'set',
        [
          ['uuid', U1],
          ['uuid', U2],
        ],
      ],
    },
    { name: 'empty map', value: new Map(), wire: ['map', []] },
    {
      name: 'string map',
      value: ovsdbMap({ 'system-id': 'abc', 'ovn-encap-type': 'geneve' }),
      wire: [
        'map',
        [
          ['system-id', 'abc'],
          ['ovn-encap-type', 'geneve'],
        ],
      ],
    },
    { name: 'map with uuid values', value: ovsdbMap([['x', new Uuid(U1)]]), wire: ['map', [['x', ['uuid', U1]]]] },
    {
      name: 'map with integer keys',
      value: ovsdbMap([
        [1, 'a'],
        [2, 'b'],
      ]),
      wire: [
        'map',
        [
          [1, 'a'],
          [2, 'b'],
        ],
      ],
    },
  ]
  for (const c of cases) {
    it(`${c.name}: encodes to the expected wire form and decodes back`, () => {
      const wire = encodeValue(c.value)
      assert.deepEqual(canonWire(JSON.parse(JSON.stringify(wire))), canonWire(c.wire))
      assert.deepEqual(canon(decodeValue(c.wire)), canon(c.value))
      assert.deepEqual(canon(decodeValue(JSON.parse(JSON.stringify(wire)))), canon(c.value))
    })
  }

  it('a set decoded with its elements in another order is the same set', () => {
    const a = decodeValue(['set', ['x', 'y', 'z']])
    const b = decodeValue(['set', ['z', 'x', 'y']])
    assert.deepEqual(canon(a), canon(b))
  })
})

describe('one-element sets', () => {
  it('a one-element set is the bare atom on the wire', () => {
    assert.equal(encodeValue(set('only')), 'only')
    assert.deepEqual(encodeValue(set(new Uuid(U1))), ['uuid', U1])
  })
  it('with the column type, a bare atom in a set column decodes to an OvsdbSet', () => {
    const v = decodeValue('only', stringSet)
    assert.ok(v instanceof OvsdbSet)
    assert.deepEqual(v.items, ['only'])
    const u = decodeValue(['uuid', U1], uuidSet)
    assert.ok(u instanceof OvsdbSet)
    assert.ok(u.items[0] instanceof Uuid)
  })
  it('an optional (min 0, max 1) column decodes to an OvsdbSet, empty or not', () => {
    assert.deepEqual(canon(decodeValue(['set', []], optionalString)), ['set', []])
    assert.deepEqual(canon(decodeValue('x', optionalString)), ['set', ['x']])
  })
  it('without a type the wire shape is kept', () => {
    assert.equal(decodeValue('only'), 'only')
  })
  it('an empty set in a map column decodes as an empty map', () => {
    const m = decodeValue(['set', []], stringMapType)
    assert.ok(m instanceof Map)
    assert.equal(m.size, 0)
  })
})

describe('setItems and stringMap', () => {
  const cases: { name: string; value: Value | undefined; items: unknown[] }[] = [
    { name: 'bare atom', value: 'a', items: ['a'] },
    { name: 'set', value: set('a', 'b'), items: ['a', 'b'] },
    { name: 'empty set', value: set(), items: [] },
    { name: 'absent', value: undefined, items: [] },
    { name: 'empty map (ambiguous empty)', value: new Map(), items: [] },
  ]
  for (const c of cases) {
    it(`setItems(${c.name})`, () => assert.deepEqual(setItems(c.value), c.items))
  }
  it('setItems refuses a non-empty map', () => {
    assert.throws(() => setItems(ovsdbMap({ a: 'b' })), OvsdbValueError)
  })
  it('stringMap gives string -> string and treats an empty set as empty', () => {
    assert.deepEqual(
      [...stringMap(ovsdbMap({ a: 'b', c: 'd' }))],
      [
        ['a', 'b'],
        ['c', 'd'],
      ],
    )
    assert.equal(stringMap(set()).size, 0)
    assert.equal(stringMap(undefined).size, 0)
  })
  it('stringMap refuses non-string entries and non-maps', () => {
    assert.throws(() => stringMap(ovsdbMap([['a', 1]])), OvsdbValueError)
    assert.throws(() => stringMap('x'), OvsdbValueError)
  })
})

describe('uuid vs named-uuid', () => {
  it('a string that looks like a UUID stays a string', () => {
    assert.equal(encodeValue(U1), U1)
    assert.equal(decodeValue(U1), U1)
  })
  it('Uuid and NamedUuid are distinct classes with distinct wire tags', () => {
    const u = decodeValue(['uuid', U1])
    const n = decodeValue(['named-uuid', 'abc'])
    assert.ok(u instanceof Uuid && !(u instanceof NamedUuid))
    assert.ok(n instanceof NamedUuid && !(n instanceof Uuid))
  })
  it('Uuid is normalised to lower case and compares by value', () => {
    const a = new Uuid(U1.toUpperCase())
    assert.equal(a.value, U1)
    assert.ok(a.equals(new Uuid(U1)))
    assert.ok(!a.equals(U1))
  })
  const badUuids = ['', 'abc', `${U1}0`, U1.replace(/-/g, ''), 'g50e8400-e29b-41d4-a716-446655440000', ` ${U1}`]
  for (const bad of badUuids) {
    it(`Uuid refuses ${JSON.stringify(bad)}`, () =>
      assert.throws(
        () => new Uuid(bad),
        (e: unknown) => e instanceof OvsdbValueError && e.code === 'OVN_OVSDB_INVALID_VALUE',
      ))
  }
  const badNames = ['', '1abc', 'a-b', 'a b', 'é']
  for (const bad of badNames) {
    it(`NamedUuid refuses ${JSON.stringify(bad)}`, () => assert.throws(() => new NamedUuid(bad), OvsdbValueError))
  }
  it('a uuid column refuses a string atom', () => {
    assert.throws(() => decodeValue(U1, uuidSet), OvsdbValueError)
  })
})

describe('big integers', () => {
  const refused = [2 ** 53, -(2 ** 53), 2 ** 60, Number.MAX_SAFE_INTEGER + 2]
  for (const n of refused) {
    it(`encode refuses ${n}`, () => {
      assert.throws(
        () => encodeValue(n),
        (e: unknown) => e instanceof OvsdbIntegerRangeError && e.code === 'OVN_OVSDB_INTEGER_OUT_OF_RANGE',
      )
      assert.throws(() => encodeValue(set(1, n)), OvsdbIntegerRangeError)
      assert.throws(() => encodeValue(ovsdbMap([['k', n]])), OvsdbIntegerRangeError)
    })
  }
  it('a map with the same key twice is refused, not resolved (RFC 7047 5.1)', () => {
    for (const wire of [
      [
        'map',
        [
          ['k', 'a'],
          ['k', 'b'],
        ],
      ],
      [
        'map',
        [
          [['uuid', U1], 'a'],
          [['uuid', U1], 'b'],
        ],
      ],
      [
        'map',
        [
          [1, 2],
          [1, 3],
        ],
      ],
    ]) {
      assert.throws(() => decodeValue(wire), OvsdbValueError, JSON.stringify(wire))
    }
    assert.deepEqual(
      decodeValue([
        'map',
        [
          ['1', 'a'],
          [1, 'b'],
        ],
      ]),
      new Map<unknown, unknown>([
        ['1', 'a'],
        [1, 'b'],
      ]),
    )
  })
  it("ovsdb-server's 15-digit DBL_MAX (which parses as Infinity) decodes as DBL_MAX in a real column only", () => {
    assert.equal(decodeValue(JSON.parse('1.79769313486232e+308'), real), Number.MAX_VALUE)
    assert.equal(decodeValue(JSON.parse('-1.79769313486232e+308'), real), -Number.MAX_VALUE)
    assert.throws(() => decodeValue(JSON.parse('1.79769313486232e+308')), OvsdbValueError)
  })
  it('a large real is accepted for a real column', () => {
    assert.equal(encodeValue(1e20, real), 1e20)
  })
  it('the framing layer hands integers beyond 2^53 over exactly and decode reports them', () => {
    const d = new JsonStreamDecoder()
    const [msg] = d.push(
      Buffer.from('{"v":9223372036854775807,"w":-9007199254740993,"s":9007199254740991,"r":12345678901234567890.5}'),
    ) as [Record<string, unknown>]
    assert.equal(msg.v, 9223372036854775807n)
    assert.equal(msg.w, -9007199254740993n)
    assert.equal(msg.s, 9007199254740991)
    assert.equal(typeof msg.r, 'number')
    assert.throws(
      () => decodeValue(msg.v),
      (e: unknown) => e instanceof OvsdbIntegerRangeError && e.params[1] === '9223372036854775807',
    )
    assert.throws(() => decodeValue(msg.v, integer), OvsdbIntegerRangeError)
    assert.throws(() => decodeValue(['set', [1, msg.w]]), OvsdbIntegerRangeError)
    assert.equal(decodeValue(msg.s, integer), Number.MAX_SAFE_INTEGER)
  })
  it('a big integer in a real column decodes to the nearest double', () => {
    assert.equal(decodeValue(12345678901234567890n, real), 12345678901234567000)
  })
  it('an already rounded unsafe number is reported, not accepted', () => {
    assert.throws(() => decodeValue(2 ** 60), OvsdbIntegerRangeError)
  })
})

describe('malformed wire values', () => {
  const cases: { name: string; wire: unknown; type?: ColumnType }[] = [
    { name: 'null', wire: null },
    { name: 'object', wire: { a: 1 } },
    { name: 'unknown tag', wire: ['list', [1]] },
    { name: 'uuid without string', wire: ['uuid', 5] },
    { name: 'uuid bad text', wire: ['uuid', 'nope'] },
    { name: 'named-uuid bad name', wire: ['named-uuid', '9x'] },
    { name: 'set of non-array', wire: ['set', 'a'] },
    { name: 'set containing a set', wire: ['set', [['set', []]]] },
    { name: 'set containing null', wire: ['set', [null]] },
    { name: 'map of non-array', wire: ['map', {}] },
    { name: 'map pair of 3', wire: ['map', [['a', 'b', 'c']]] },
    { name: 'map pair not array', wire: ['map', ['a']] },
    { name: 'three-element array', wire: ['set', [], 1] },
    { name: 'NaN', wire: Number.NaN },
    { name: 'atom for a map column', wire: 'x', type: stringMapType },
    { name: 'map for a set column', wire: ['map', [['a', 'b']]], type: stringSet },
    { name: 'two atoms for a scalar column', wire: ['set', ['a', 'b']], type: parseColumnType('string') },
    { name: 'string for an integer column', wire: 'x', type: integer },
    { name: 'real for an integer column', wire: 1.5, type: integer },
    { name: 'integer key in a string map', wire: ['map', [[1, 'a']]], type: stringMapType },
  ]
  for (const c of cases) {
    it(`refuses ${c.name}`, () => {
      assert.throws(
        () => decodeValue(c.wire, c.type),
        (e: unknown) => e instanceof OvsdbValueError,
      )
    })
  }
  it('encode refuses non-atoms', () => {
    assert.throws(() => encodeValue(null as unknown as Value), OvsdbValueError)
    assert.throws(() => encodeValue({} as unknown as Value), OvsdbValueError)
    assert.throws(() => encodeValue(Number.POSITIVE_INFINITY), OvsdbValueError)
  })
  it('encode with a type refuses the wrong kind', () => {
    assert.throws(() => encodeValue('x', integer), OvsdbValueError)
    assert.throws(() => encodeValue(set('a'), stringMapType), OvsdbValueError)
    assert.throws(() => encodeValue(ovsdbMap({ a: 'b' }), stringSet), OvsdbValueError)
    assert.throws(() => encodeValue(1.5, integer), OvsdbValueError)
  })
})

describe('schema column types', () => {
  it('normalises a bare type and an object type', () => {
    assert.deepEqual(parseColumnType('string'), { key: { type: 'string' }, min: 1, max: 1 })
    const t = parseColumnType({ key: { type: 'string', enum: ['set', ['a', 'b']] }, min: 0, max: 1 })
    assert.deepEqual(t.key.enum, ['a', 'b'])
    assert.equal(parseColumnType({ key: { type: 'uuid', refTable: 'Port' } }).key.refType, 'strong')
  })
  it('refuses nonsense', () => {
    assert.throws(() => parseColumnType('text'), OvsdbValueError)
    assert.throws(() => parseColumnType({ key: 'string', min: 2 }), OvsdbValueError)
    assert.throws(() => parseColumnType({ key: 'string', max: 0 }), OvsdbValueError)
  })
})
