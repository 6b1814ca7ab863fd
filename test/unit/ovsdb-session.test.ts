/**
 * OvsdbSession without a server: the reconnect schedule (pure), the schedule the session really
 * sleeps on a fake Clock while its remote does not exist, close() during backoff, and the
 * options it refuses. What it does against real ovsdb-servers is in
 * test/integration/ovsdb-session*.test.ts.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Clock } from '../../lib/clock.js'
import { InvalidArgumentError, OvsdbUnavailableError } from '../../lib/errors.js'
import { op } from '../../lib/ovsdb/operations.js'
import { OvsdbSession, failuresAfterDrop, reconnectDelayMs } from '../../lib/ovsdb/session.js'

const DEFAULTS = { baseMs: 250, maxMs: 5000, jitter: 0 }

/** A Clock whose sleeps end only when the test says so. */
class FakeClock implements Clock {
  t = 0
  readonly requested: number[] = []
  private readonly pending: { ms: number; resolve: () => void }[] = []

  now(): number {
    return this.t
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.requested.push(ms)
    return new Promise<void>((resolve) => {
      if (signal?.aborted) {
        resolve()
        return
      }
      const entry = { ms, resolve }
      this.pending.push(entry)
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.pending.indexOf(entry)
          if (i >= 0) this.pending.splice(i, 1)
          resolve()
        },
        { once: true },
      )
    })
  }

  /** Wait (on real turns of the event loop) until something sleeps, then end that sleep. */
  async advance(): Promise<number> {
    for (let i = 0; this.pending.length === 0; i++) {
      if (i > 10_000) throw new Error('nothing ever slept on the fake clock')
      await new Promise((r) => setImmediate(r))
    }
    const entry = this.pending.shift()
    if (!entry) throw new Error('unreachable')
    this.t += entry.ms
    entry.resolve()
    return entry.ms
  }

  get sleeping(): number {
    return this.pending.length
  }
}

function missingRemote(): { remote: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'xapi-ovn-session-'))
  return { remote: `unix:${join(dir, 'no-server.sock')}`, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

describe('reconnect schedule (pure)', () => {
  it('at once after a drop, then base doubling up to the cap', () => {
    const delays = Array.from({ length: 9 }, (_, n) => reconnectDelayMs(n, DEFAULTS, () => 0.5))
    assert.deepEqual(delays, [0, 250, 500, 1000, 2000, 4000, 5000, 5000, 5000])
  })

  it('jitter shortens a delay by up to its fraction, never lengthens it', () => {
    const schedule = { baseMs: 1000, maxMs: 8000, jitter: 0.5 }
    assert.equal(
      reconnectDelayMs(2, schedule, () => 0),
      2000,
    )
    assert.equal(
      reconnectDelayMs(2, schedule, () => 0.5),
      1500,
    )
    assert.equal(
      reconnectDelayMs(2, schedule, () => 0.999),
      1001,
    )
    assert.equal(
      reconnectDelayMs(0, schedule, () => 0.999),
      0,
    )
  })

  it('a connection up for the cap starts the count over; a shorter one counts as a failure', () => {
    assert.equal(failuresAfterDrop(4, 5000, DEFAULTS), 0)
    assert.equal(failuresAfterDrop(4, 4999, DEFAULTS), 5)
    assert.equal(failuresAfterDrop(0, 10, DEFAULTS), 1)
  })
})

describe('OvsdbSession on a fake clock, remote absent', () => {
  it('sleeps the backoff schedule between attempts and stops at close()', async () => {
    const { remote, cleanup } = missingRemote()
    const clock = new FakeClock()
    const session = new OvsdbSession(remote, { database: 'OVN_Northbound', clock, probeIntervalMs: 0 })
    let connected = 0
    session.on('connected', () => connected++)
    const slept: number[] = []
    for (let i = 0; i < 7; i++) slept.push(await clock.advance())
    assert.deepEqual(slept, [250, 500, 1000, 2000, 4000, 5000, 5000])
    assert.equal(connected, 0)
    assert.equal(session.current(), undefined)

    // A waiter is told why when the session closes; close() ends the pending sleep.
    const waiting = session.ready()
    while (clock.sleeping === 0) await new Promise((r) => setImmediate(r))
    await session.close()
    assert.equal(clock.sleeping, 0)
    await assert.rejects(waiting, (err) => err instanceof OvsdbUnavailableError && /closed/.test(err.message))
    await assert.rejects(session.ready(), OvsdbUnavailableError)
    await session.close() // idempotent
    cleanup()
  })

  it('ready(signal) and transact give up with the last failure as the reason; nothing is sent', async () => {
    const { remote, cleanup } = missingRemote()
    const clock = new FakeClock()
    const session = new OvsdbSession(remote, { database: 'OVN_Northbound', clock, probeIntervalMs: 0, timeoutMs: 3000 })
    await clock.advance() // the first failure happened: its backoff is running
    const ac = new AbortController()
    const waiting = session.ready(ac.signal)
    ac.abort()
    await assert.rejects(waiting, (err) => err instanceof OvsdbUnavailableError && /ENOENT|no-server/.test(err.message))

    const tx = session.transact('OVN_Northbound', [op.comment('never sent')])
    // The transact's wait for a connection (3000 ms) is one of the sleeps; end them until it gives up.
    let gaveUp: unknown
    tx.catch((err: unknown) => {
      gaveUp = err
    })
    while (gaveUp === undefined) await clock.advance()
    assert.ok(clock.requested.includes(3000))
    assert.ok(gaveUp instanceof OvsdbUnavailableError)
    assert.equal(gaveUp.code, 'OVN_OVSDB_UNAVAILABLE')
    await session.close()
    cleanup()
  })

  it('refuses bad options and lock ids before connecting', async () => {
    const bad: [string, Record<string, unknown>][] = [
      ['probeIntervalMs', { probeIntervalMs: -1 }],
      ['jitter', { jitter: 2 }],
      ['backoffBaseMs', { backoffBaseMs: Number.NaN }],
      ['database', { database: '' }],
    ]
    for (const [key, extra] of bad) {
      assert.throws(
        () => new OvsdbSession('unix:/nonexistent/x.sock', { database: 'OVN_Northbound', ...extra }),
        (err) => err instanceof InvalidArgumentError && err.params[0] === key,
      )
    }
    assert.throws(() => new OvsdbSession('bogus:1', { database: 'OVN_Northbound' }), InvalidArgumentError)
    const { remote, cleanup } = missingRemote()
    const session = new OvsdbSession(remote, { database: 'OVN_Northbound', clock: new FakeClock() })
    assert.throws(() => session.lock('no spaces'), InvalidArgumentError)
    await assert.rejects(
      session.monitor('OVN_Northbound', { Logical_Switch: { where: [['name', '==', 2 ** 60]] } }, () => undefined),
      (err) => err instanceof Error && 'code' in err && /^OVN_/.test(String(err.code)),
    )
    await session.close()
    cleanup()
  })
})
