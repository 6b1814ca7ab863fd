import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { XapiOvnError } from '../../lib/errors.js'
import { Uuid, OvsdbSet } from '../../lib/ovsdb/codec.js'
import {
  OVSDB_ERROR_CLASSES,
  OvsdbConstraintViolationError,
  OvsdbError,
  OvsdbIntegerRangeError,
  OvsdbProtocolError,
  OvsdbValueError,
  OvsdbWaitFailedError,
  TransactionError,
  ovsdbErrorFromWire,
} from '../../lib/ovsdb/errors.js'
import { op } from '../../lib/ovsdb/operations.js'
import { decodeTransactResults } from '../../lib/ovsdb/results.js'
import { parseDatabaseSchema } from '../../lib/ovsdb/schema.js'

const U1 = '550e8400-e29b-41d4-a716-446655440000'

function codeFor(error: string): string {
  return `OVN_OVSDB_${error.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`
}

describe('one class per ovsdb-server error string', () => {
  const rfc7047 = [
    'referential integrity violation',
    'constraint violation',
    'resources exhausted',
    'I/O error',
    'duplicate uuid-name',
    'domain error',
    'range error',
    'timed out',
    'not supported',
    'aborted',
    'not owner',
    'unknown database',
  ]
  it('covers every RFC 7047 error string', () => {
    for (const e of rfc7047) assert.ok(OVSDB_ERROR_CLASSES.has(e), e)
  })
  for (const [error, Class] of OVSDB_ERROR_CLASSES) {
    it(`"${error}" -> ${Class.name}`, () => {
      const e = ovsdbErrorFromWire({ error, details: 'some details', syntax: '{"x":1}' })
      assert.ok(e instanceof Class)
      assert.ok(e instanceof OvsdbError)
      assert.ok(e instanceof XapiOvnError)
      assert.equal(e.name, Class.name)
      assert.equal(e.error, error)
      assert.equal(e.details, 'some details')
      assert.equal(e.syntax, '{"x":1}')
      // Codes are derived from the error string, except the ones OVS spells oddly.
      const expected =
        error === 'ovsdb error'
          ? 'OVN_OVSDB_SERVER_ERROR'
          : error === 'I/O error'
            ? 'OVN_OVSDB_IO_ERROR'
            : codeFor(error)
      assert.equal(e.code, expected)
      assert.deepEqual(e.params, [error, 'some details'])
      assert.match(e.message, new RegExp(error.replace(/[/]/g, '.')))
      // Direct construction gives the same.
      const direct = new Class('d')
      assert.equal(direct.code, expected)
      assert.equal(direct.error, error)
    })
  }
  it('a bare string JSON-RPC error maps too ("canceled", "unknown method")', () => {
    assert.equal(ovsdbErrorFromWire('canceled').code, 'OVN_OVSDB_CANCELED')
    assert.equal(ovsdbErrorFromWire('unknown method').code, 'OVN_OVSDB_UNKNOWN_METHOD')
  })
  it('an unknown error string is a plain OvsdbError with OVN_OVSDB_ERROR', () => {
    const e = ovsdbErrorFromWire({ error: 'brand new error', details: 'x' })
    assert.equal(e.constructor, OvsdbError)
    assert.equal(e.code, 'OVN_OVSDB_ERROR')
    assert.equal(e.error, 'brand new error')
  })
  it('a malformed error value is still an OvsdbError, never a crash', () => {
    for (const wire of [null, 42, ['x'], { details: 'no error member' }]) {
      const e = ovsdbErrorFromWire(wire)
      assert.ok(e instanceof OvsdbError)
    }
  })
  it('long details are cut in params and message', () => {
    const e = ovsdbErrorFromWire({ error: 'constraint violation', details: 'x'.repeat(100_000) })
    assert.ok((e.params[1] ?? '').length < 1200)
    assert.ok(e.message.length < 1300)
  })
})

// Code, name and params of every class, these included: test/unit/errors.test.ts (one table).
describe('errors the client raises itself', () => {
  it('OvsdbIntegerRangeError keeps the exact digits', () => {
    assert.equal(new OvsdbIntegerRangeError(18446744073709551615n, 'decode').params[1], '18446744073709551615')
  })
})

describe('transact results are checked operation by operation', () => {
  const ops = [
    op.insert('Bridge', { name: 'b' }, 'b'),
    op.select('Bridge', [], ['name', 'ports']),
    op.mutate('Open_vSwitch', [], []),
    op.comment('x'),
  ] as const

  it('returns one typed result per operation', () => {
    const schema = parseDatabaseSchema({
      name: 'Open_vSwitch',
      version: '1',
      tables: {
        Bridge: { columns: { name: { type: 'string' }, ports: { type: { key: 'uuid', min: 0, max: 'unlimited' } } } },
      },
    })
    const [ins, sel, mut, com] = decodeTransactResults(
      ops,
      [{ uuid: ['uuid', U1] }, { rows: [{ name: 'b', ports: ['uuid', U1] }] }, { count: 1 }, {}],
      schema,
    )
    assert.ok(ins.uuid instanceof Uuid)
    assert.equal(ins.uuid.value, U1)
    assert.ok(sel.rows[0]?.ports instanceof OvsdbSet)
    assert.deepEqual(mut, { count: 1 })
    assert.deepEqual(com, {})
  })

  it('the failed operation gives its index, op and error; later nulls are ignored', () => {
    assert.throws(
      () =>
        decodeTransactResults(ops, [
          { uuid: ['uuid', U1] },
          { error: 'constraint violation', details: 'bad' },
          null,
          null,
        ]),
      (e: unknown) =>
        e instanceof TransactionError &&
        e.index === 1 &&
        e.op === 'select' &&
        e.code === 'OVN_OVSDB_CONSTRAINT_VIOLATION' &&
        e.details === 'bad' &&
        e.cause instanceof OvsdbConstraintViolationError,
    )
  })

  it('the extra element of a failed commit is reported as operation "commit" at index ops.length', () => {
    const raw = [
      { uuid: ['uuid', U1] },
      { rows: [] },
      { count: 0 },
      {},
      { error: 'referential integrity violation', details: 'dangling' },
    ]
    assert.throws(
      () => decodeTransactResults(ops, raw),
      (e: unknown) =>
        e instanceof TransactionError &&
        e.index === 4 &&
        e.op === 'commit' &&
        e.code === 'OVN_OVSDB_REFERENTIAL_INTEGRITY_VIOLATION' &&
        e.results === raw,
    )
  })

  it('a "timed out" wait is OvsdbWaitFailedError; a "timed out" elsewhere is not', () => {
    const waitOps = [op.wait('T', [], ['c'], '==', []), op.comment('x')] as const
    assert.throws(
      () => decodeTransactResults(waitOps, [{ error: 'timed out', details: 'x' }, null]),
      (e: unknown) => e instanceof OvsdbWaitFailedError && e.code === 'OVN_OVSDB_WAIT_FAILED' && e.index === 0,
    )
    assert.throws(
      () => decodeTransactResults(waitOps, [{}, {}, { error: 'timed out' }]),
      (e: unknown) =>
        e instanceof TransactionError && !(e instanceof OvsdbWaitFailedError) && e.code === 'OVN_OVSDB_TIMED_OUT',
    )
  })

  it('a reply that does not fit the operations is a protocol error', () => {
    const bad: unknown[] = [
      'not an array',
      [{ uuid: ['uuid', U1] }],
      [{ uuid: ['uuid', U1] }, { rows: [] }, { count: 1 }, {}, {}],
      [{ uuid: 'not-a-uuid-form' }, { rows: [] }, { count: 1 }, {}],
      [{ uuid: ['uuid', U1] }, { rows: 'x' }, { count: 1 }, {}],
      [{ uuid: ['uuid', U1] }, { rows: [] }, { count: 'one' }, {}],
      [{ uuid: ['uuid', U1] }, { rows: [] }, null, {}],
    ]
    for (const raw of bad) {
      assert.throws(
        () => decodeTransactResults(ops, raw),
        (e: unknown) => e instanceof OvsdbProtocolError || e instanceof OvsdbValueError,
        JSON.stringify(raw),
      )
    }
  })
})
