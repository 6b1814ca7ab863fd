// update2's modify values as lib/agent/nb-replica.ts applies them: diffs for composite columns
// (toggle set elements; add, replace or remove map pairs), the new value for any other column.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { applyDiff, isComposite } from '../../lib/agent/nb-replica.js'
import { OvsdbSet, Uuid, ovsdbMap, set } from '../../lib/ovsdb/codec.js'

const U1 = new Uuid('c1c1c1c1-0000-4000-8000-0000000000c1')
const U2 = new Uuid('c2c2c2c2-0000-4000-8000-0000000000c2')

test('a set diff toggles: new elements are added, present ones removed (uuids by value)', () => {
  const after = applyDiff(set(U1, 'x'), set(new Uuid(U1.value), U2))
  assert.ok(after instanceof OvsdbSet)
  assert.deepEqual(
    [...after.items].map((a) => (a instanceof Uuid ? a.value : a)),
    ['x', U2.value],
  )
})

test('a map diff adds a key, replaces a changed value, removes a pair given with its old value', () => {
  const after = applyDiff(
    ovsdbMap({ keep: '1', change: 'old', drop: 'v' }),
    ovsdbMap({ add: 'n', change: 'new', drop: 'v' }),
  )
  assert.deepEqual(Object.fromEntries(after instanceof Map ? after : []), { keep: '1', change: 'new', add: 'n' })
})

test('a column holding at most one value gets the new value, not a diff', () => {
  assert.deepEqual(applyDiff(set(false), set(), false), set())
  assert.equal(applyDiff('a', 'b', false), 'b')
  assert.deepEqual(
    [
      isComposite({ key: { type: 'boolean' }, min: 0, max: 1 }),
      isComposite({ key: { type: 'string' }, min: 0, max: 'unlimited' }),
      isComposite({ key: { type: 'string' }, value: { type: 'string' }, min: 0, max: 'unlimited' }),
    ],
    [false, true, true],
  )
})
