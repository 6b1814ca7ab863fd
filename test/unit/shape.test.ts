/**
 * The one shape check (lib/shape.ts) and the one MAC format (lib/chassis/validators.ts isMac),
 * each from one table.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isMac } from '../../lib/chassis/validators.js'
import { parseMac } from '../../lib/nb/validate-inputs.js'
import { field, isOneOf, isPlainRecord, isRecord, isStringArray } from '../../lib/shape.js'

class Box {
  readonly x = 1
}

// value, isRecord, isPlainRecord, isStringArray
const SHAPES: [string, unknown, boolean, boolean, boolean][] = [
  ['{}', {}, true, true, false],
  ['JSON object', JSON.parse('{"a":1}'), true, true, false],
  ['null-prototype object', Object.create(null), true, true, false],
  ['class instance', new Box(), true, false, false],
  ['Date', new Date(0), true, false, false],
  ['null', null, false, false, false],
  ['undefined', undefined, false, false, false],
  ['string', 'x', false, false, false],
  ['number', 1, false, false, false],
  ['[]', [], false, false, true],
  ['["a", "b"]', ['a', 'b'], false, false, true],
  ['["a", 1]', ['a', 1], false, false, false],
  ['[null]', [null], false, false, false],
]

for (const [name, v, record, plain, strings] of SHAPES) {
  test(`shape of ${name}`, () => {
    assert.equal(isRecord(v), record)
    assert.equal(isPlainRecord(v), plain)
    assert.equal(isStringArray(v), strings)
  })
}

test('field returns the typed value, or calls the caller’s error with what it found', () => {
  const o = { a: 'x', b: 2 }
  const isString = (v: unknown): v is string => typeof v === 'string'
  assert.equal(
    field(o, 'a', isString, () => assert.fail('not called')),
    'x',
  )
  assert.throws(
    () =>
      field(o, 'b', isString, (found) => {
        throw new Error(`b is ${String(found)}`)
      }),
    /^Error: b is 2$/,
  )
})

test('isOneOf: a member of the list, nothing else', () => {
  const STATUSES = ['pass', 'warn', 'fail'] as const
  assert.equal(isOneOf(STATUSES, 'warn'), true)
  assert.equal(isOneOf(STATUSES, 'WARN'), false)
  assert.equal(isOneOf(STATUSES, 1), false)
  assert.equal(isOneOf(STATUSES, undefined), false)
})

// value, whether it is a MAC (six hex pairs, either case)
const MACS: [string, boolean][] = [
  ['02:00:00:00:00:01', true],
  ['02:AB:cd:EF:00:01', true],
  ['FE:FF:FF:FF:FF:FF', true],
  ['02:00:00:00:00', false],
  ['02:00:00:00:00:01:02', false],
  ['02-00-00-00-00-01', false],
  ['0200.0000.0001', false],
  ['2:0:0:0:0:1', false],
  ['02:00:00:00:00:0g', false],
  [' 02:00:00:00:00:01', false],
  ['', false],
]

for (const [mac, ok] of MACS) {
  test(`isMac(${JSON.stringify(mac)}) is ${ok}`, () => {
    assert.equal(isMac(mac), ok)
    // The NB side checks the same format, after normalising to lower case.
    if (ok) assert.equal(parseMac(mac), mac.toLowerCase())
    else assert.throws(() => parseMac(mac), { code: 'OVN_INVALID_ARGUMENT' })
  })
}
