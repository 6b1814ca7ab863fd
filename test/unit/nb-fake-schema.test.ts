// The in-memory NB fake (nb-fixtures.ts) knows OVN_Northbound only through the installed schema
// (test/fixtures/ovn-schema.ts): value shapes, known columns and unique indexes come from it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { OvsdbSet } from '../../lib/ovsdb/codec.js'
import { op } from '../../lib/ovsdb/operations.js'
import { nbSchema, nbTable } from '../fixtures/ovn-schema.js'
import { LSP1, SW_A, applyToSnapshot, lport, lswitch, snapshotRows } from './nb-fixtures.js'

test('the schema is the installed OVN_Northbound, read once', () => {
  assert.equal(nbSchema().name, 'OVN_Northbound')
  assert.equal(nbSchema(), nbSchema())
  assert.deepEqual(nbTable('Logical_Switch_Port').indexes, [['name']])
  assert.throws(() => nbTable('No_Such_Table'), /no table No_Such_Table/)
})

test('row values take their shape from the column types: optional columns are sets, strings atoms', () => {
  const { ls, lsp } = snapshotRows({
    switches: [lswitch('a', SW_A, { ports: [LSP1] })],
    ports: [lport('p', LSP1, { tag: 7 })],
  })
  assert.equal(ls[0]?.name, 'a')
  assert.ok(ls[0]?.ports instanceof OvsdbSet)
  assert.ok(ls[0]?.other_config instanceof Map)
  assert.equal(lsp[0]?.type, '')
  assert.deepEqual(lsp[0]?.tag, new OvsdbSet([7]))
  assert.deepEqual(lsp[0]?.tag_request, new OvsdbSet([]))
})

test('a column the schema lacks is refused; a second port of one name violates the name index', () => {
  const s = { switches: [lswitch('a', SW_A, { ports: [LSP1] })], ports: [lport('p', LSP1)] }
  assert.throws(() => applyToSnapshot(s, [op.update('Logical_Switch', [], { no_such_column: 'x' })]), /not in/)
  assert.throws(
    () => applyToSnapshot(s, [op.insert('Logical_Switch_Port', { name: 'p' }, 'p2')]),
    /constraint violation: duplicate name/,
  )
})
