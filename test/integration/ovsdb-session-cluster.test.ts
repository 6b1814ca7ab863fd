/**
 * OvsdbSession against a real 3-member RAFT OVN_Northbound (test/integration/nb-server.ts): the
 * leader crashes (kill -9) and the session follows the new leader, its monitor resumed with
 * monitor_cond_since; a write through the session after the failover commits. A leader frozen
 * by SIGSTOP keeps its socket open: the session's inactivity probe is what leaves it.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { waitFor } from '../../lab/wait.js'
import { op } from '../../lib/ovsdb/operations.js'
import { OvsdbSession } from '../../lib/ovsdb/session.js'
import { NbDatabase } from './nb-server.js'
import { SwitchReplica } from './ovsdb-fixtures.js'

const NB = 'OVN_Northbound'

test('RAFT: kill -9 the leader; the session follows the new leader, the monitor resumes, writes commit', async (t) => {
  const db = await NbDatabase.cluster(3)
  t.after(() => db.destroy())
  const leader = await db.waitForLeader()
  const session = new OvsdbSession(db.remotes, {
    database: NB,
    timeoutMs: 5000,
    backoffBaseMs: 100,
    backoffMaxMs: 1000,
  })
  t.after(() => session.close())
  const connected: string[] = []
  session.on('connected', (r: string) => connected.push(r))

  const replica = new SwitchReplica()
  const mon = await session.monitor(NB, { Logical_Switch: { columns: ['name'] } }, replica.handler)
  assert.equal(session.current()?.remote, db.member(leader).remote, 'connected to the leader')
  assert.equal(mon.method, 'monitor_cond_since')
  await session.transact(NB, [op.insert('Logical_Switch', { name: 'before-failover' })])
  await waitFor('the monitor to see before-failover', () => replica.has('before-failover'))
  const txnBefore = mon.lastTxnId
  assert.ok(txnBefore !== undefined && !/^0{8}-/.test(txnBefore), 'a clustered database has transaction ids')

  await db.kill(leader)
  const next = await db.waitForLeader()
  await waitFor('the session to reconnect to the new leader', () => connected.length >= 2 && session.current(), {
    timeoutMs: 60_000,
  })
  assert.equal(session.current()?.remote, db.member(next).remote)

  // What ovsdb-server does: the new leader has the last transaction we saw in its history, so
  // monitor_cond_since resumes ('resumed', found) instead of sending everything again.
  const reconnect = replica.events.filter((e) => e.kind !== 'update')
  assert.deepEqual(
    reconnect.map((e) => [e.kind, e.resync, e.method, e.remote]),
    [
      ['initial', false, 'monitor_cond_since', db.member(leader).remote],
      ['resumed', false, 'monitor_cond_since', db.member(next).remote],
    ],
  )
  assert.equal(mon.resumes, 1)
  assert.equal(mon.resyncs, 0)
  assert.ok(replica.has('before-failover'), 'what the replica had is kept across the resume')

  // A write through the session after the failover commits, and the monitor delivers it.
  await session.transact(NB, [op.insert('Logical_Switch', { name: 'after-failover' })])
  await waitFor('the monitor to see after-failover', () => replica.has('after-failover'))
  assert.match(await db.nbctl(['ls-list'], { member: next }), /after-failover/)
  await db.nbctl(['ls-add', 'by-nbctl'], { member: next })
  await waitFor('the monitor to see a write by ovn-nbctl', () => replica.has('by-nbctl'))
})

test('RAFT: SIGSTOP the connected leader; the inactivity probe moves the session to another member', async (t) => {
  const db = await NbDatabase.cluster(3)
  t.after(() => db.destroy())
  const leader = await db.waitForLeader()
  const session = new OvsdbSession(db.remotes, {
    database: NB,
    timeoutMs: 2000,
    probeIntervalMs: 300,
    backoffBaseMs: 100,
    backoffMaxMs: 1000,
  })
  t.after(() => session.close())
  const disconnected: unknown[] = []
  session.on('disconnected', (e: unknown) => disconnected.push(e))
  const replica = new SwitchReplica()
  await session.monitor(NB, { Logical_Switch: { columns: ['name'] } }, replica.handler)
  assert.equal(session.current()?.remote, db.member(leader).remote)

  const frozen = db.member(leader).daemon
  frozen.kill('SIGSTOP')
  t.after(() => frozen.kill('SIGCONT'))
  await waitFor(
    'the session to be on another member',
    () => {
      const remote = session.current()?.remote
      return remote !== undefined && remote !== db.member(leader).remote
    },
    { timeoutMs: 60_000 },
  )
  assert.ok(
    disconnected.some((e) => e instanceof Error && /inactivity probe/.test(e.message)),
    'the probe, not the kernel, ended the connection to the frozen server',
  )
  await session.transact(NB, [op.insert('Logical_Switch', { name: 'while-frozen' })])
  await waitFor('the monitor to see while-frozen', () => replica.has('while-frozen'))
  frozen.kill('SIGCONT')
})
