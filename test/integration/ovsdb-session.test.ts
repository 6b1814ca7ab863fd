/**
 * OvsdbSession against a real standalone OVN_Northbound ovsdb-server (test/integration/nb-server.ts):
 * the server crashes and comes back on the same socket and the session reconnects by itself, its
 * monitor resynchronised (a standalone server keeps no transaction history, so monitor_cond_since
 * answers with the full contents); a transaction whose answer never came is in doubt and is
 * read back; close() leaves nothing that keeps a process alive; lock "x" held by exactly one of
 * two sessions and passed on when the holder's connection goes.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { LabDaemon } from '../../lab/daemon.js'
import { waitFor } from '../../lab/wait.js'
import { OvsdbUnavailableError, XapiOvnError } from '../../lib/errors.js'
import { OvsdbTransactInDoubtError } from '../../lib/ovsdb/errors.js'
import { op } from '../../lib/ovsdb/operations.js'
import { OvsdbSession } from '../../lib/ovsdb/session.js'
import { NbDatabase } from './nb-server.js'
import { SwitchReplica } from './ovsdb-fixtures.js'

const NB = 'OVN_Northbound'
const runFile = promisify(execFile)

/** Crash the standalone server (SIGKILL: its socket file stays) and start it again on the same socket. */
async function crashAndRestart(db: NbDatabase): Promise<void> {
  const m = db.member(0)
  await db.kill(0)
  m.daemon = await LabDaemon.start({
    program: 'ovsdb-server',
    label: 'ovsdb-server nb0',
    args: [m.db, `--remote=p${m.remote}`, `--unixctl=${m.ctl}`],
    pidfile: join(db.dir, 'nb0.pid'),
    logFile: join(db.dir, 'nb0.log'),
    env: { OVS_RUNDIR: db.dir, OVS_DBDIR: db.dir },
  })
}

test('standalone: a crashed and restarted server is reconnected to by itself; the monitor resyncs', async (t) => {
  const db = await NbDatabase.standalone()
  t.after(() => db.destroy())
  const session = new OvsdbSession(db.member(0).remote, { database: NB, backoffBaseMs: 50, backoffMaxMs: 1000 })
  t.after(() => session.close())
  const connected: string[] = []
  const disconnected: unknown[] = []
  session.on('connected', (r: string) => connected.push(r))
  session.on('disconnected', (e: unknown) => disconnected.push(e))

  const replica = new SwitchReplica()
  const mon = await session.monitor(NB, { Logical_Switch: { columns: ['name'] } }, replica.handler)
  assert.equal(mon.method, 'monitor_cond_since')
  await db.nbctl(['ls-add', 'before-crash'])
  await waitFor('the monitor to see before-crash', () => replica.has('before-crash'))

  await crashAndRestart(db)
  await waitFor('the session to reconnect', () => connected.length === 2)
  assert.deepEqual(connected, [db.member(0).remote, db.member(0).remote])
  assert.equal(disconnected.length, 1)
  assert.ok(disconnected[0] instanceof OvsdbUnavailableError)

  await db.nbctl(['ls-add', 'after-restart'])
  await waitFor('the monitor to see after-restart', () => replica.has('after-restart'))
  assert.ok(replica.has('before-crash'), 'the resync brought back what was there before')
  // What ovsdb-server does for a standalone database: no transaction history, so the resumed
  // monitor_cond_since finds nothing and sends everything ('initial', resync).
  const reconnect = replica.events.filter((e) => e.kind !== 'update')
  assert.deepEqual(
    reconnect.map((e) => [e.kind, e.resync, e.method]),
    [
      ['initial', false, 'monitor_cond_since'],
      ['initial', true, 'monitor_cond_since'],
    ],
  )
  assert.equal(mon.resyncs, 1)
  assert.equal(mon.resumes, 0)

  // A write through the session after the restart commits.
  await session.transact(NB, [op.insert('Logical_Switch', { name: 'by-session' })])
  assert.match(await db.nbctl(['ls-list']), /by-session/)

  await session.close()
  assert.equal(session.current(), undefined)
  assert.equal(disconnected.length, 2, 'close() ends the connection with a last disconnected event')
  await assert.rejects(session.ready(), OvsdbUnavailableError)
})

test('standalone: a transaction sent to a frozen server is in doubt, and reading back tells', async (t) => {
  const db = await NbDatabase.standalone()
  t.after(() => db.destroy())
  const session = new OvsdbSession(db.member(0).remote, { database: NB, probeIntervalMs: 0 })
  t.after(() => session.close())
  await session.ready()
  await session.transact(NB, [op.comment('schema fetched before the freeze')])
  const daemon = db.member(0).daemon
  daemon.kill('SIGSTOP')
  t.after(() => daemon.kill('SIGCONT'))
  await assert.rejects(
    session.transact(NB, [op.insert('Logical_Switch', { name: 'in-doubt' })], { timeoutMs: 500 }),
    (err) => err instanceof OvsdbTransactInDoubtError && err.code === 'OVN_OVSDB_IN_DOUBT',
  )
  daemon.kill('SIGCONT')
  // The request was in the server's socket all along: it committed once the server ran again.
  await waitFor('the in-doubt switch to be read back', async () => /in-doubt/.test(await db.nbctl(['ls-list'])))
})

test('standalone: close() leaves nothing that keeps the process alive', async (t) => {
  const db = await NbDatabase.standalone()
  t.after(() => db.destroy())
  const sessionModule = fileURLToPath(new URL('../../lib/ovsdb/session.js', import.meta.url))
  // A child that connects, monitors, takes a lock, probes every 50 ms, keeps a second session in
  // backoff on a missing socket, then closes both and returns: it must exit on its own.
  const child = `
    import { OvsdbSession } from ${JSON.stringify(sessionModule)}
    const s = new OvsdbSession(process.env.NB_REMOTE, { database: 'OVN_Northbound', probeIntervalMs: 50 })
    const retrying = new OvsdbSession(process.env.NB_REMOTE + '.missing', { database: 'OVN_Northbound' })
    const locked = new Promise((resolve) => s.once('lock-acquired', resolve))
    s.lock('x')
    await s.monitor('OVN_Northbound', { NB_Global: { columns: ['nb_cfg'] } }, () => {})
    await locked
    await new Promise((r) => setTimeout(r, 200))
    await Promise.all([s.close(), retrying.close()])
    console.log('closed')
  `
  const { stdout } = await runFile(process.execPath, ['--input-type=module', '-e', child], {
    env: { ...process.env, NB_REMOTE: db.member(0).remote },
    timeout: 60_000,
  })
  assert.equal(stdout.trim(), 'closed')
})

test('standalone: lock "x" is held by exactly one of two sessions, and passes on when the holder goes', async (t) => {
  const db = await NbDatabase.standalone()
  t.after(() => db.destroy())
  const remote = db.member(0).remote
  const a = new OvsdbSession(remote, { database: NB, backoffBaseMs: 50 })
  t.after(() => a.close())
  const b = new OvsdbSession(remote, { database: NB, backoffBaseMs: 50 })
  t.after(() => b.close())
  const log: string[] = []
  a.on('lock-acquired', (id: string) => log.push(`a+${id}`)).on('lock-lost', (id: string) => log.push(`a-${id}`))
  b.on('lock-acquired', (id: string) => log.push(`b+${id}`)).on('lock-lost', (id: string) => log.push(`b-${id}`))

  a.lock('x')
  await waitFor('a to hold x', () => a.hasLock('x'))
  b.lock('x')
  await b.ready()
  // b is queued behind a: a write asserting the lock is refused for b and accepted for a.
  await a.transact(NB, [op.assert('x'), op.comment('the holder writes')])
  await assert.rejects(
    b.transact(NB, [op.assert('x')]),
    (err) => err instanceof XapiOvnError && err.code === 'OVN_OVSDB_NOT_OWNER',
  )
  assert.equal(b.hasLock('x'), false)

  // The holder's connection breaks: b gets the lock; a reconnects and queues behind b.
  const aBack = once(a, 'connected')
  await a.current()?.destroy()
  await waitFor('b to hold x', () => b.hasLock('x'))
  await aBack
  assert.equal(a.hasLock('x'), false)
  await b.transact(NB, [op.assert('x')])

  // The holder closes: a, still asking after its reconnect, gets it back.
  await b.close()
  await waitFor('a to hold x again', () => a.hasLock('x'))
  assert.deepEqual(log, ['a+x', 'a-x', 'b+x', 'b-x', 'a+x'])
})

test('standalone: a monitor condition changed in place (monitor_cond_change) stays changed after a reconnect', async (t) => {
  const db = await NbDatabase.standalone()
  t.after(() => db.destroy())
  await db.nbctl(['ls-add', 'sw-a'])
  await db.nbctl(['ls-add', 'sw-b'])
  const session = new OvsdbSession(db.member(0).remote, { database: NB, backoffBaseMs: 50 })
  t.after(() => session.close())
  let connections = 0
  session.on('connected', () => connections++)
  const replica = new SwitchReplica()
  const mon = await session.monitor(
    NB,
    { Logical_Switch: { columns: ['name'], where: [['name', '==', 'sw-a']] } },
    replica.handler,
  )
  assert.deepEqual([...replica.names.values()], ['sw-a'])

  // The server sends the difference: sw-a deleted, sw-b inserted, as an update.
  await mon.change({ Logical_Switch: { where: [['name', '==', 'sw-b']] } })
  await waitFor('the changed condition to apply', () => replica.has('sw-b') && !replica.has('sw-a'))
  assert.equal(replica.events.at(-1)?.kind, 'update')

  await crashAndRestart(db)
  await waitFor('the session to reconnect', () => connections === 2)
  assert.deepEqual([...replica.names.values()], ['sw-b'], 'the restored monitor uses the new condition')
  await db.nbctl(['ls-add', 'sw-c'])
  await db.nbctl(['set', 'Logical_Switch', 'sw-b', 'external_ids:k=v'])
  await session.transact(NB, [op.comment('a round trip after the writes above')])
  assert.deepEqual([...replica.names.values()], ['sw-b'])
})
