// A chassis write that loses against another writer of Open_vSwitch external_ids is read, planned
// and tried again, a bounded number of times, pausing through the injected sleep.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseConfigureArgs } from '../../lib/chassis/configure-args.js'
import type { ChassisSnapshot } from '../../lib/chassis/model.js'
import {
  applyWrite,
  readSnapshot,
  retryOnConcurrentChange,
  retryPause,
  WRITE_ATTEMPTS,
  type Transactor,
} from '../../lib/chassis/ovsdb-io.js'
import { planConfigure } from '../../lib/chassis/plan-configure.js'
import { OvsdbSet, Uuid, type Atom } from '../../lib/ovsdb/codec.js'
import { OvsdbError, OvsdbWaitFailedError } from '../../lib/ovsdb/errors.js'
import type { Operation, ResultsOf } from '../../lib/ovsdb/operations.js'
import { OvsdbUnavailableError, XapiOvnError } from '../../lib/errors.js'
import { FACTS, xapiHost } from './chassis-fixtures.js'

const ARGS = { 'ovn-remote': 'tcp:192.0.2.10:6642', 'ovn-encap-ip': '192.0.2.21', 'ovn-bridge': 'xapi3' }
const WRITER_KEY = 'ovn-nb-cfg'

/**
 * An Open_vSwitch database in memory that answers the chassis reads and writes the way
 * ovsdb-server does (a wait that does not hold fails the whole transaction), with another writer
 * that changes WRITER_KEY right after each of our reads, `racingReads` times.
 */
class RacingDb implements Transactor {
  readonly ext: Map<string, string>
  reads = 0
  writerValue = 0
  constructor(
    private readonly snapshot: ChassisSnapshot,
    private readonly racingReads: number,
  ) {
    this.ext = new Map(snapshot.ovs.externalIds)
  }

  // The fake stands where ovsdb-server's reply is decoded: it builds the results itself, so it is
  // the one place that vouches for their types (OvsdbClient's decoder does it for the real one).
  async transact<const Ops extends readonly Operation[]>(_db: string, operations: Ops): Promise<ResultsOf<Ops>> {
    return (await this.#answer(operations)) as ResultsOf<Ops>
  }

  async #answer(operations: readonly Operation[]): Promise<unknown> {
    const first = operations[0]
    if (first?.op === 'select') {
      const result = this.#select()
      this.reads += 1
      if (this.reads <= this.racingReads) this.ext.set(WRITER_KEY, String(++this.writerValue))
      return result
    }
    if (first?.op !== 'wait') throw new Error(`unexpected transaction starting with ${first?.op}`)
    const expected = first.rows[0]?.external_ids
    if (!(expected instanceof Map) || !sameMap(expected, this.ext))
      throw new OvsdbWaitFailedError(0, new OvsdbError('timed out', '"wait" timed out'), [])
    for (const o of operations) {
      if (o.op !== 'mutate') continue
      for (const [column, mutator, value] of o.mutations) {
        if (column !== 'external_ids') continue
        if (mutator === 'delete' && value instanceof OvsdbSet) for (const k of value) this.ext.delete(String(k))
        if (mutator === 'insert' && value instanceof Map) for (const [k, v] of value) this.ext.set(String(k), String(v))
      }
    }
    return operations.map(() => ({}))
  }

  #select(): unknown[] {
    const s = this.snapshot
    const uuids = (list: readonly string[]) => new OvsdbSet(list.map((u) => new Uuid(u)))
    return [
      { rows: [{ _uuid: new Uuid(s.ovs.uuid), external_ids: new Map(this.ext), ssl: new OvsdbSet() }] },
      {
        rows: s.bridges.map((b) => ({
          _uuid: new Uuid(b.uuid),
          name: b.name,
          external_ids: new Map(b.externalIds),
          fail_mode: b.failMode ?? new OvsdbSet(),
          datapath_type: b.datapathType,
          ports: uuids(b.portUuids),
        })),
      },
      {
        rows: s.ports.map((p) => ({
          _uuid: new Uuid(p.uuid),
          name: p.name,
          interfaces: uuids(p.interfaceUuids),
          external_ids: new Map(p.externalIds),
        })),
      },
      {
        rows: s.interfaces.map((i) => ({
          _uuid: new Uuid(i.uuid),
          name: i.name,
          type: i.type,
          external_ids: new Map(i.externalIds),
          options: new Map(i.options),
        })),
      },
    ]
  }
}

function sameMap(a: ReadonlyMap<Atom, Atom>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...b].every(([k, v]) => a.get(k) === v)
}

/** What fn=configure does with the database, as plugin/functions/configure.ts runs it. */
function configureOn(db: RacingDb, slept: number[]) {
  return retryOnConcurrentChange(
    async () => {
      const plan = planConfigure(await readSnapshot(db), parseConfigureArgs(ARGS), FACTS)
      if (plan.write !== null) await applyWrite(db, plan.write, 'test')
      return plan
    },
    {
      attempts: WRITE_ATTEMPTS,
      sleep: async (ms) => {
        slept.push(ms)
      },
      random: () => 0.5,
    },
  )
}

test('a writer that changes external_ids after every read: OVN_CONCURRENT_CHANGE after a bounded number of tries', async () => {
  const db = new RacingDb(xapiHost().build(), Number.POSITIVE_INFINITY)
  const before = new Map(db.ext)
  const slept: number[] = []
  await assert.rejects(
    configureOn(db, slept),
    (e: unknown) =>
      e instanceof XapiOvnError && e.code === 'OVN_CONCURRENT_CHANGE' && /8 times in a row/.test(e.params[0] ?? ''),
  )
  assert.equal(WRITE_ATTEMPTS, 8)
  assert.equal(db.reads, WRITE_ATTEMPTS, 'each try reads afresh, and there are no more tries than that')
  assert.equal(slept.length, WRITE_ATTEMPTS - 1, 'a pause between tries, none after the last')
  // Nothing of ours was written; the other writer's key is its own.
  assert.deepEqual([...db.ext].sort(), [...before, [WRITER_KEY, String(WRITE_ATTEMPTS)] as [string, string]].sort())
})

test('a writer that stops racing: the next try re-plans on what it wrote and keeps its key', async () => {
  const db = new RacingDb(xapiHost().build(), 2)
  const slept: number[] = []
  const plan = await configureOn(db, slept)
  assert.equal(plan.changed, true)
  assert.equal(db.reads, 3)
  assert.equal(slept.length, 2)
  assert.equal(db.ext.get(WRITER_KEY), '2')
  assert.equal(db.ext.get('ovn-remote'), ARGS['ovn-remote'])
})

test('any other failure is not tried again', async () => {
  let tries = 0
  await assert.rejects(
    retryOnConcurrentChange(
      async () => {
        tries += 1
        throw new OvsdbUnavailableError('unix:/x', 'gone')
      },
      { attempts: WRITE_ATTEMPTS, sleep: async () => {} },
    ),
    (e: unknown) => e instanceof XapiOvnError && e.code === 'OVN_OVSDB_UNAVAILABLE',
  )
  assert.equal(tries, 1)
})

test('pauses double from try to try and are jittered within half to one and a half times', () => {
  assert.deepEqual(
    [1, 2, 3, 4].map((n) => retryPause(n, () => 0.5)),
    [10, 20, 40, 80],
  )
  assert.equal(
    retryPause(1, () => 0),
    5,
  )
  assert.equal(
    retryPause(4, () => 0.999),
    120,
  )
})
