/**
 * Reals beyond 2^53 against a real ovsdb-server (issue 10's codec defect): with the schema (the
 * client's default) a `real` column takes 1e37 and Number.MAX_VALUE in rows, conditions and
 * mutations; an `integer` column still refuses what it cannot hold. ovsdb-server prints reals
 * with 15 significant digits (openvswitch/ovs lib/json.c, "%.*g" with DBL_DIG), so values of up to
 * 15 digits come back exactly, and DBL_MAX comes back as DBL_MAX (its 15-digit form overflows).
 * The database is a small schema of our own, added to a standalone server with
 * `ovsdb-server/add-db` (ovsdb-server(1)).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ovsdbMap, stringMap } from '../../lib/ovsdb/codec.js'
import { OvsdbClient } from '../../lib/ovsdb/client.js'
import { OvsdbIntegerRangeError } from '../../lib/ovsdb/errors.js'
import { mutation, op, where } from '../../lib/ovsdb/operations.js'
import { appctl, startStandalone, type Standalone } from './ovsdb-fixtures.js'

const run = promisify(execFile)
const DB = 'Lab_Reals'
const SCHEMA = {
  name: DB,
  version: '1.0.0',
  tables: {
    Sample: {
      columns: {
        name: { type: 'string' },
        value: { type: 'real' },
        count: { type: 'integer' },
        weights: { type: { key: 'string', value: 'real', min: 0, max: 'unlimited' } },
      },
      isRoot: true,
    },
  },
}

describe('reals beyond 2^53 on a real ovsdb-server', () => {
  let srv: Standalone
  let client: OvsdbClient

  before(async () => {
    srv = await startStandalone()
    const schemaFile = join(srv.dir, 'reals.ovsschema')
    await writeFile(schemaFile, JSON.stringify(SCHEMA))
    await run('ovsdb-tool', ['create', join(srv.dir, 'reals.db'), schemaFile])
    await appctl(srv.ctl, 'ovsdb-server/add-db', join(srv.dir, 'reals.db'))
    client = await OvsdbClient.connect(`unix:${srv.sock}`)
  })
  after(async () => {
    await client?.close()
    await srv?.cleanup()
  })

  for (const n of [1e37, -1.5e300, 9.00719925474099e15, Number.MAX_VALUE]) {
    it(`${n} goes in a real column, is matched by a condition, mutated, and reads back exactly`, async () => {
      const name = `n${String(n)}`
      await client.transact(DB, [op.insert('Sample', { name, value: n, count: 1, weights: ovsdbMap([['w', n]]) })])
      const [found] = await client.transact(DB, [
        op.select('Sample', [where('value', '==', n)], ['name', 'value', 'weights']),
      ])
      assert.deepEqual(
        found.rows.map((r) => r.name),
        [name],
      )
      assert.equal(found.rows[0]?.value, n)
      assert.equal(
        stringMap(
          new Map([...((found.rows[0]?.weights as Map<string, number>) ?? new Map())].map(([k, v]) => [k, String(v)])),
        ).get('w'),
        String(n),
      )
      await client.transact(DB, [op.mutate('Sample', [where('name', '==', name)], [mutation('value', '*=', 1)])])
      const [again] = await client.transact(DB, [op.select('Sample', [where('name', '==', name)], ['value'])])
      assert.equal(again.rows[0]?.value, n)
    })
  }

  it('an integer column refuses an integer-valued number beyond 2^53 before anything is sent', async () => {
    await assert.rejects(
      client.transact(DB, [op.insert('Sample', { name: 'too-big', value: 1, count: 2 ** 60 })]),
      OvsdbIntegerRangeError,
    )
    const [rows] = await client.transact(DB, [op.select('Sample', [where('name', '==', 'too-big')])])
    assert.deepEqual(rows.rows, [])
  })
})
