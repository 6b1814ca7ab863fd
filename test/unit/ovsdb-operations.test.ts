import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { NamedUuid, Uuid, ovsdbMap, parseColumnType, set } from '../../lib/ovsdb/codec.js'
import type { ColumnType } from '../../lib/ovsdb/codec.js'
import { OvsdbIntegerRangeError, OvsdbValueError } from '../../lib/ovsdb/errors.js'
import { byUuid, encodeOperation, encodeTransact, mutation, op, where } from '../../lib/ovsdb/operations.js'
import type { Operation } from '../../lib/ovsdb/operations.js'

const U1 = '550e8400-e29b-41d4-a716-446655440000'

describe('operation builders produce the RFC 7047 wire objects', () => {
  const cases: { name: string; op: Operation; wire: Record<string, unknown> }[] = [
    {
      name: 'insert with uuid-name',
      op: op.insert(
        'Bridge',
        { name: 'br0', external_ids: ovsdbMap({ 'xs-network-uuids': 'n1' }), ports: set() },
        'newbr',
      ),
      wire: {
        op: 'insert',
        table: 'Bridge',
        row: { name: 'br0', external_ids: ['map', [['xs-network-uuids', 'n1']]], ports: ['set', []] },
        'uuid-name': 'newbr',
      },
    },
    {
      name: 'insert with options object and uuid',
      op: op.insert('Port', { name: 'p' }, { uuidName: 'p1', uuid: new Uuid(U1) }),
      wire: { op: 'insert', table: 'Port', row: { name: 'p' }, 'uuid-name': 'p1', uuid: U1 },
    },
    {
      name: 'insert without uuid-name',
      op: op.insert('Port', { name: 'p' }),
      wire: { op: 'insert', table: 'Port', row: { name: 'p' } },
    },
    {
      name: 'select all',
      op: op.select('Open_vSwitch'),
      wire: { op: 'select', table: 'Open_vSwitch', where: [] },
    },
    {
      name: 'select with condition and columns',
      op: op.select('Bridge', [where('name', '==', 'xapi1')], ['_uuid', 'external_ids']),
      wire: { op: 'select', table: 'Bridge', where: [['name', '==', 'xapi1']], columns: ['_uuid', 'external_ids'] },
    },
    {
      name: 'update',
      op: op.update('Bridge', [byUuid(new Uuid(U1))], { fail_mode: 'secure' }),
      wire: { op: 'update', table: 'Bridge', where: [['_uuid', '==', ['uuid', U1]]], row: { fail_mode: 'secure' } },
    },
    {
      name: 'mutate map insert and key delete',
      op: op.mutate(
        'Open_vSwitch',
        [],
        [
          mutation('external_ids', 'insert', ovsdbMap({ 'ovn-remote': 'ssl:192.0.2.1:6642' })),
          ['external_ids', 'delete', set('a', 'b')],
        ],
      ),
      wire: {
        op: 'mutate',
        table: 'Open_vSwitch',
        where: [],
        mutations: [
          ['external_ids', 'insert', ['map', [['ovn-remote', 'ssl:192.0.2.1:6642']]]],
          ['external_ids', 'delete', ['set', ['a', 'b']]],
        ],
      },
    },
    {
      name: 'mutate set insert of a named-uuid (one-element set is the bare atom)',
      op: op.mutate('Bridge', [['name', '==', 'br0']], [['ports', 'insert', set(new NamedUuid('p1'))]]),
      wire: {
        op: 'mutate',
        table: 'Bridge',
        where: [['name', '==', 'br0']],
        mutations: [['ports', 'insert', ['named-uuid', 'p1']]],
      },
    },
    {
      name: 'mutate arithmetic',
      op: op.mutate(
        'T',
        [],
        [
          ['n', '+=', 1],
          ['m', '%=', 3],
        ],
      ),
      wire: {
        op: 'mutate',
        table: 'T',
        where: [],
        mutations: [
          ['n', '+=', 1],
          ['m', '%=', 3],
        ],
      },
    },
    {
      name: 'delete',
      op: op.delete('Port', [['name', '==', 'vif1.0']]),
      wire: { op: 'delete', table: 'Port', where: [['name', '==', 'vif1.0']] },
    },
    {
      name: 'wait (default timeout 0: a precondition)',
      op: op.wait('Open_vSwitch', [], ['external_ids'], '==', [{ external_ids: ovsdbMap({ 'system-id': 'h1' }) }]),
      wire: {
        op: 'wait',
        table: 'Open_vSwitch',
        where: [],
        columns: ['external_ids'],
        until: '==',
        rows: [{ external_ids: ['map', [['system-id', 'h1']]] }],
        timeout: 0,
      },
    },
    {
      name: 'wait != with explicit timeout',
      op: op.wait('Bridge', [['name', '==', 'x']], ['name'], '!=', [], { timeoutMs: 5000 }),
      wire: {
        op: 'wait',
        table: 'Bridge',
        where: [['name', '==', 'x']],
        columns: ['name'],
        until: '!=',
        rows: [],
        timeout: 5000,
      },
    },
    {
      name: 'wait without timeout member',
      op: op.wait('Bridge', [], ['name'], '==', [], { timeoutMs: null }),
      wire: { op: 'wait', table: 'Bridge', where: [], columns: ['name'], until: '==', rows: [] },
    },
    { name: 'commit', op: op.commit(true), wire: { op: 'commit', durable: true } },
    { name: 'commit default', op: op.commit(), wire: { op: 'commit', durable: false } },
    { name: 'abort', op: op.abort(), wire: { op: 'abort' } },
    {
      name: 'comment',
      op: op.comment('xapi-ovn: configure chassis'),
      wire: { op: 'comment', comment: 'xapi-ovn: configure chassis' },
    },
    { name: 'assert', op: op.assert('my_lock'), wire: { op: 'assert', lock: 'my_lock' } },
  ]
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(JSON.parse(JSON.stringify(encodeOperation(c.op))), c.wire)
    })
  }

  it('every condition function is accepted', () => {
    for (const fn of ['<', '<=', '==', '!=', '>=', '>', 'includes', 'excludes'] as const) {
      assert.deepEqual(encodeOperation(op.select('T', [['c', fn, 1]])), {
        op: 'select',
        table: 'T',
        where: [['c', fn, 1]],
      })
    }
  })

  it('encodeTransact puts the database first', () => {
    assert.deepEqual(encodeTransact('Open_vSwitch', [op.comment('x'), op.abort()]), [
      'Open_vSwitch',
      { op: 'comment', comment: 'x' },
      { op: 'abort' },
    ])
  })
})

describe('operations are pure data', () => {
  it('builders return frozen objects that hold the typed values', () => {
    const o = op.insert('Bridge', { external_ids: ovsdbMap({ a: 'b' }) }, 'x')
    assert.ok(Object.isFrozen(o))
    assert.equal(o.op, 'insert')
    assert.equal(o.uuidName, 'x')
    assert.ok(o.row.external_ids instanceof Map)
  })
  it('building twice gives equal plans and never touches the inputs', () => {
    const row = { name: 'br0' }
    const a = op.update('Bridge', [], row)
    const b = op.update('Bridge', [], row)
    assert.deepEqual(a, b)
    assert.deepEqual(row, { name: 'br0' })
  })
})

describe('builders refuse malformed input', () => {
  const cases: { name: string; build: () => unknown }[] = [
    { name: 'table name with a dash', build: () => op.select('Bad-Table') },
    { name: 'empty table', build: () => op.delete('', []) },
    { name: 'uuid-name starting with a digit', build: () => op.insert('T', {}, '1row') },
    { name: 'lock name with a space', build: () => op.assert('my lock') },
    { name: 'wait until <', build: () => op.wait('T', [], [], '<' as '==', []) },
    { name: 'wait negative timeout', build: () => op.wait('T', [], [], '==', [], { timeoutMs: -1 }) },
    { name: 'wait fractional timeout', build: () => op.wait('T', [], [], '==', [], { timeoutMs: 1.5 }) },
    {
      name: 'unknown condition function (on encode)',
      build: () => encodeOperation(op.select('T', [['c', '~=' as '==', 1]])),
    },
    { name: 'unknown mutator (on encode)', build: () => encodeOperation(op.mutate('T', [], [['c', '^=' as '+=', 1]])) },
    {
      name: 'condition of two elements (on encode)',
      build: () => encodeOperation(op.select('T', [['c', '=='] as unknown as ['c', '==', 1]])),
    },
    { name: 'unsafe integer in a row (on encode)', build: () => encodeOperation(op.insert('T', { n: 2 ** 60 })) },
  ]
  for (const c of cases) {
    it(c.name, () => assert.throws(c.build, OvsdbValueError))
  }
})

describe('numbers encoded as their columns say (column types from the schema)', () => {
  const types = (table: string, column: string): ColumnType | undefined =>
    table !== 'Sample'
      ? undefined
      : column === 'value'
        ? parseColumnType('real')
        : column === 'weights'
          ? parseColumnType({ key: 'string', value: 'real', min: 0, max: 'unlimited' })
          : column === 'count'
            ? parseColumnType('integer')
            : undefined
  const big = [1e37, Number.MAX_VALUE, 2 ** 53]
  for (const n of big) {
    it(`a real column takes ${n} in rows, conditions, mutations and waits`, () => {
      const ops = [
        op.insert('Sample', { value: n, weights: ovsdbMap([['w', n]]) }),
        op.select('Sample', [where('value', '==', n)]),
        op.mutate('Sample', [], [mutation('value', '+=', n), mutation('weights', 'insert', ovsdbMap([['x', n]]))]),
        op.wait('Sample', [], ['value'], '==', [{ value: n }]),
      ]
      const wire = JSON.stringify(encodeTransact('Lab', ops, types))
      assert.equal(wire.split(String(n)).length - 1, 6)
    })
  }
  it('without the column types, or on an integer column, an integer-valued number beyond 2^53 is still refused', () => {
    assert.throws(() => encodeOperation(op.insert('Sample', { value: 1e37 })), OvsdbIntegerRangeError)
    assert.throws(() => encodeOperation(op.insert('Sample', { count: 1e37 }), types), OvsdbIntegerRangeError)
    assert.throws(
      () => encodeOperation(op.mutate('Sample', [], [mutation('count', '+=', 2 ** 60)]), types),
      OvsdbIntegerRangeError,
    )
  })
  it('with the column types, a value of the wrong atomic type is refused before sending (a number for a string column)', () => {
    const named = (_t: string, column: string): ColumnType | undefined =>
      column === 'name' ? parseColumnType('string') : undefined
    assert.throws(() => encodeOperation(op.mutate('Bridge', [], [mutation('name', '+=', 1)]), named), OvsdbValueError)
  })
  it('a mutation deleting a set of keys from a map column is not a type error', () => {
    const m = op.mutate('Sample', [], [mutation('weights', 'delete', set('w'))])
    assert.deepEqual(encodeOperation(m, types).mutations, [['weights', 'delete', 'w']])
  })
})
