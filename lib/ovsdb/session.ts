/**
 * `OvsdbSession`: one OvsdbClient kept connected for a long-running caller (the pool agent,
 * lib/agent/), to whichever of several remotes is usable now — with a RAFT cluster, its leader.
 * client.ts is one connection that ends for good; this file is what lives across its ends.
 *
 *   const session = new OvsdbSession(['unix:/a.sock', 'unix:/b.sock', 'unix:/c.sock'], { database: 'OVN_Northbound' })
 *   session.on('connected', (remote) => ...).on('disconnected', (err) => ...)
 *   const mon = await session.monitor('OVN_Northbound', { Logical_Switch: {} }, (e) => apply(e))
 *   session.lock('xapi_ovn_agent'); session.on('lock-acquired', (id) => ...)
 *   await session.transact('OVN_Northbound', [op.assert('xapi_ovn_agent'), ...])
 *   await session.close()
 *
 * - Connecting: OvsdbClient.connect with `database` and `leaderOnly` (default true), so a member
 *   that is not connected to its cluster or not its leader is skipped, and the client drops the
 *   connection itself when its server stops being usable (leadership lost: client.ts's `_Server`
 *   watch). Each attempt starts with the remote after the one last connected, so a member that
 *   just failed (crashed, frozen) is tried last.
 * - Reconnecting: the first attempt after a drop is immediate; each failure then waits
 *   `reconnectDelayMs` (lib/clock.ts `backoffMs`: base * 2^n, capped; optional jitter) on the
 *   injected Clock. A connection that drops before it was up for the cap does not reset the
 *   count, so a server that accepts and drops is not hammered.
 * - Inactivity probes: after `probeIntervalMs` (default 5000; 0: none) without any message from
 *   the server, the session sends `echo`; no answer within `probeTimeoutMs` (default: the
 *   interval) drops the connection (OvsdbUnavailableError) and reconnects elsewhere. This is what
 *   leaves a frozen (SIGSTOPped) leader: its socket stays open and nothing else would notice.
 *   ovsdb-server's own probes of us are answered by the client.
 * - Events: 'connected' (remote) once monitors are restored; 'disconnected' (error) once per
 *   'connected', also at close(); 'lock-acquired' (id), 'lock-lost' (id).
 * - `current()`: the connected client or undefined; `ready(signal?)` waits for one.
 * - `transact` is sent once, never resent by the session: a connection lost (or a request timed
 *   out, or the server answered "canceled") after the request was written is
 *   OvsdbTransactInDoubtError, and the caller resolves an in-doubt commit by reading back (as
 *   lib/attach/attach.ts does); before it was written, it is OvsdbUnavailableError and nothing
 *   was sent. Waits at most `timeoutMs` for a connection.
 * - Monitors that survive reconnects: `monitor(db, requests, handler)` uses monitor_cond_since
 *   (ovsdb-server(7)) with the last transaction id seen, so a reconnect to a cluster member that
 *   still has that transaction in its history resumes with only the missed changes ('resumed');
 *   otherwise (a standalone server keeps no history; the history is bounded) the server sends the
 *   full contents again: 'initial' with `resync: true`, and the handler replaces what it had. A
 *   server that answers "unknown method" gets monitor_cond, and every reconnect is a resync.
 * - Locks across reconnects: `lock(id)` asks for the lock on every connection; the server
 *   arbitrates (RFC 7047 4.1.8). Lost on disconnect and when 'stolen' (the session stays queued
 *   and gets it back with 'locked', ovsdb/server.c keeps a robbed waiter in line). `hasLock` is
 *   what the session last heard: writes that need the lock carry `op.assert(id)`, so the server
 *   refuses them if it has moved on.
 * - `close()` stops the loop, the probes and the timers, closes the connection, and resolves when
 *   nothing of the session is left (the process can exit). Nothing is ever printed (`logger`).
 */
import { EventEmitter } from 'node:events'
import { backoffMs, systemClock, type Clock } from '../clock.js'
import { errorText } from '../error-text.js'
import { InvalidArgumentError, OvsdbUnavailableError } from '../errors.js'
import {
  DEFAULT_TIMEOUT_MS,
  OvsdbClient,
  ZERO_TXN_ID,
  checkLockId,
  type Monitor,
  type OvsdbClientOptions,
  type OvsdbLogger,
  type RequestOptions,
} from './client.js'
import {
  OvsdbCanceledError,
  OvsdbRequestTimeoutError,
  OvsdbTransactInDoubtError,
  OvsdbUnknownMethodError,
} from './errors.js'
import { encodeMonitorCondChanges, encodeMonitorRequests } from './monitor.js'
import type { MonitorCondChange, MonitorCondRequest, TableUpdates2 } from './monitor.js'
import type { Operation, ResultsOf } from './operations.js'
import { formatRemote, parseRemotes } from './remote.js'

export const DEFAULT_PROBE_INTERVAL_MS = 5000
export const DEFAULT_BACKOFF_BASE_MS = 250
export const DEFAULT_BACKOFF_MAX_MS = 5000

export interface OvsdbSessionOptions extends Omit<OvsdbClientOptions, 'database' | 'leaderOnly'> {
  /** The database the session is for: `_Server` checks and leader choice are about it. */
  readonly database: string
  /** Only the cluster leader of `database` (default true). */
  readonly leaderOnly?: boolean
  /** Time and sleeping (default systemClock): backoff, probes and connection waits use it. */
  readonly clock?: Clock
  /** Probe after this long without traffic (default 5000 ms; 0 disables probes). */
  readonly probeIntervalMs?: number
  /** A probe unanswered for this long drops the connection (default: probeIntervalMs). */
  readonly probeTimeoutMs?: number
  /** Backoff after the first failure (default 250 ms), doubling up to backoffMaxMs (default 5000). */
  readonly backoffBaseMs?: number
  readonly backoffMaxMs?: number
  /** 0 (default) to 1: each delay is shortened by up to this fraction, at random. */
  readonly jitter?: number
  /** The random source of the jitter (default Math.random), in [0, 1). */
  readonly random?: () => number
}

export interface ReconnectSchedule {
  readonly baseMs: number
  readonly maxMs: number
  readonly jitter: number
}

/**
 * Pure: how long to wait before the next connection attempt after `failures` consecutive
 * failures (0: at once; then base, 2 base, 4 base... capped at max), shortened by up to
 * `jitter` of itself.
 */
export function reconnectDelayMs(failures: number, schedule: ReconnectSchedule, random: () => number): number {
  if (failures <= 0) return 0
  const full = backoffMs(failures - 1, schedule.baseMs, schedule.maxMs)
  return Math.round(full * (1 - schedule.jitter * random()))
}

/**
 * Pure: the failure count after a connection that was up for `upMs` dropped. Up for at least the
 * cap: it was a good connection, start over (reconnect at once). Shorter: one more failure.
 */
export function failuresAfterDrop(failures: number, upMs: number, schedule: ReconnectSchedule): number {
  return upMs >= schedule.maxMs ? 0 : failures + 1
}

export type SessionMonitorMethod = 'monitor_cond_since' | 'monitor_cond'

/** What a session monitor's handler is given. */
export interface SessionMonitorEvent {
  /**
   * 'initial': the full contents (`initial` row members) — the handler replaces everything it
   * had; 'resumed': after a reconnect, only the changes made while we were away (insert, modify,
   * delete; possibly none); 'update': one update notification.
   */
  readonly kind: 'initial' | 'resumed' | 'update'
  /** True for an 'initial' that is not the first one: a reconnect forced a full resync. */
  readonly resync: boolean
  readonly updates: TableUpdates2
  readonly method: SessionMonitorMethod
  /** The remote the updates came from. */
  readonly remote: string
}

export type SessionMonitorHandler = (event: SessionMonitorEvent) => void

export interface SessionMonitorOptions {
  /** A handler that throws, an update that cannot be decoded, a monitor that cannot be restored (default: log). */
  readonly onError?: (err: unknown) => void
}

type Requests = Readonly<Record<string, MonitorCondRequest | readonly MonitorCondRequest[]>>

interface Deferred<T> {
  readonly promise: Promise<T>
  resolve(value: T): void
  reject(err: unknown): void
}

function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined
  let reject: (err: unknown) => void = () => undefined
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** A monitor of the session: re-established on every connection. */
export class SessionMonitor {
  readonly db: string
  /** @internal the session's bookkeeping */
  state: {
    requests: Requests
    method: SessionMonitorMethod
    lastTxnId: string | undefined
    /** Conditions changed and not yet acknowledged: the next restore must not resume. */
    forceFull: boolean
    client: OvsdbClient | undefined
    handle: Monitor<TableUpdates2> | undefined
    established: number
    resumes: number
    resyncs: number
    cancelled: boolean
  }
  private readonly session: OvsdbSession

  /** @internal made by OvsdbSession.monitor */
  constructor(session: OvsdbSession, db: string, requests: Requests) {
    this.session = session
    this.db = db
    this.state = {
      requests,
      method: 'monitor_cond_since',
      lastTxnId: undefined,
      forceFull: false,
      client: undefined,
      handle: undefined,
      established: 0,
      resumes: 0,
      resyncs: 0,
      cancelled: false,
    }
  }

  /** The method in use: monitor_cond once the server said it does not know monitor_cond_since. */
  get method(): SessionMonitorMethod {
    return this.state.method
  }
  /** The last transaction id seen (monitor_cond_since; all zeros from a server without history). */
  get lastTxnId(): string | undefined {
    return this.state.lastTxnId
  }
  /** Reconnects that resumed without a full dump. */
  get resumes(): number {
    return this.state.resumes
  }
  /** Reconnects that needed the full contents again. */
  get resyncs(): number {
    return this.state.resyncs
  }

  /**
   * monitor_cond_change: new conditions for some tables (each monitored by one request). Kept
   * for later reconnects; on the live connection the server sends the difference to the handler.
   */
  change(changes: Readonly<Record<string, MonitorCondChange>>): Promise<void> {
    return this.session.changeMonitor(this, changes)
  }

  /** Stop the monitor here and on every later connection. Idempotent. */
  cancel(): Promise<void> {
    return this.session.cancelMonitor(this)
  }
}

interface MonitorEntry {
  readonly monitor: SessionMonitor
  readonly handler: SessionMonitorHandler
  readonly onError: (err: unknown) => void
  /** Resolved once its first contents were delivered (or rejected if it never could be). */
  readonly first: Deferred<void>
}

const NOOP_LOGGER: OvsdbLogger = { debug() {}, info() {}, warn() {}, error() {} }

/** The errors that mean "the connection is not there (any more)", not "the server refused". */
function isConnectionError(err: unknown): boolean {
  return err instanceof OvsdbUnavailableError || err instanceof OvsdbRequestTimeoutError
}

function nonNegative(key: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(key, String(value), 'a duration in ms: a finite number >= 0')
  }
  return value
}

export class OvsdbSession extends EventEmitter {
  readonly database: string
  private readonly remotes: readonly string[]
  private readonly clientOptions: OvsdbClientOptions
  private readonly clock: Clock
  private readonly logger: OvsdbLogger
  private readonly timeoutMs: number
  private readonly probeIntervalMs: number
  private readonly probeTimeoutMs: number
  private readonly schedule: ReconnectSchedule
  private readonly random: () => number
  private readonly stop = new AbortController()
  private readonly monitors = new Map<SessionMonitor, MonitorEntry>()
  private readonly waiters = new Set<Deferred<OvsdbClient>>()
  private readonly wantedLocks = new Set<string>()
  private readonly heldLocks = new Set<string>()
  /** The connected (set up) client. */
  private client: OvsdbClient | undefined
  /** The client being set up or connected: what close() must close. */
  private attempt: OvsdbClient | undefined
  private firstRemote = 0
  private lastError: unknown
  private readonly loop: Promise<void>
  private closing: Promise<void> | undefined

  /** Starts connecting at once; bad options throw here (InvalidArgumentError), before anything. */
  constructor(remote: string | readonly string[], options: OvsdbSessionOptions) {
    super()
    this.remotes = parseRemotes(remote).map(formatRemote)
    if (typeof options.database !== 'string' || options.database === '') {
      throw new InvalidArgumentError('database', String(options.database), 'the session needs its database')
    }
    this.database = options.database
    const {
      clock,
      probeIntervalMs,
      probeTimeoutMs,
      backoffBaseMs,
      backoffMaxMs,
      jitter,
      random,
      leaderOnly,
      ...client
    } = options
    this.clientOptions = { ...client, leaderOnly: leaderOnly ?? true }
    this.clock = clock ?? systemClock
    this.logger = options.logger ?? NOOP_LOGGER
    this.timeoutMs = nonNegative('timeoutMs', options.timeoutMs, DEFAULT_TIMEOUT_MS)
    this.probeIntervalMs = nonNegative('probeIntervalMs', probeIntervalMs, DEFAULT_PROBE_INTERVAL_MS)
    this.probeTimeoutMs = nonNegative('probeTimeoutMs', probeTimeoutMs, this.probeIntervalMs)
    const baseMs = nonNegative('backoffBaseMs', backoffBaseMs, DEFAULT_BACKOFF_BASE_MS)
    const maxMs = nonNegative('backoffMaxMs', backoffMaxMs, DEFAULT_BACKOFF_MAX_MS)
    const j = jitter ?? 0
    if (typeof j !== 'number' || !(j >= 0 && j <= 1)) throw new InvalidArgumentError('jitter', String(j), 'from 0 to 1')
    this.schedule = { baseMs, maxMs: Math.max(baseMs, maxMs), jitter: j }
    this.random = random ?? Math.random
    // Started on the next turn, so listeners attached right after `new` see every event.
    this.loop = Promise.resolve()
      .then(() => this.run())
      .catch((err: unknown) => {
        // A bug, not a server's doing: say it, and end like close() would.
        this.logger.error('ovsdb session: the connection loop failed', { error: errorText(err) })
        this.stop.abort()
      })
  }

  /** The connected client, or undefined while (re)connecting. */
  current(): OvsdbClient | undefined {
    const c = this.client
    return c !== undefined && !c.closed ? c : undefined
  }

  /**
   * The connected client, once there is one. Rejects with OvsdbUnavailableError when the session
   * is closed or `signal` aborts first (the reason says why the last attempt failed).
   */
  ready(signal?: AbortSignal): Promise<OvsdbClient> {
    if (this.stop.signal.aborted) return Promise.reject(this.unavailable('the session is closed'))
    const c = this.current()
    if (c) return Promise.resolve(c)
    if (signal?.aborted) return Promise.reject(this.unavailable(this.notConnectedReason()))
    const d = deferred<OvsdbClient>()
    const onAbort = (): void => {
      this.waiters.delete(d)
      d.reject(this.unavailable(this.notConnectedReason()))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    this.waiters.add(d)
    return d.promise.finally(() => signal?.removeEventListener('abort', onAbort))
  }

  /** Whether this session holds lock `id` (as far as it last heard from the server). */
  hasLock(id: string): boolean {
    return this.heldLocks.has(id)
  }

  /** Ask for lock `id` now and on every later connection, until unlock(id). */
  lock(id: string): void {
    checkLockId(id)
    if (this.stop.signal.aborted) throw this.unavailable('the session is closed')
    if (this.wantedLocks.has(id)) return
    this.wantedLocks.add(id)
    const c = this.current()
    if (c) this.requestLock(c, id)
  }

  /** Give lock `id` up (or stop waiting for it), here and on later connections. */
  async unlock(id: string): Promise<void> {
    checkLockId(id)
    if (!this.wantedLocks.delete(id)) return
    if (this.heldLocks.delete(id)) this.emit('lock-lost', id)
    const c = this.current()
    if (!c) return
    try {
      await c.unlock(id)
    } catch (err) {
      // A lost connection releases every lock of its session anyway.
      if (!isConnectionError(err)) throw err
    }
  }

  /**
   * transact on the connected client (waiting for one at most `timeoutMs`). Sent once: see the
   * module comment for OvsdbTransactInDoubtError.
   */
  async transact<const Ops extends readonly Operation[]>(
    db: string,
    ops: Ops,
    options: RequestOptions = {},
  ): Promise<ResultsOf<Ops>> {
    const client = await this.readyWithin(options.timeoutMs ?? this.timeoutMs)
    let sent = false
    try {
      return await client.transact(db, ops, { ...options, onSent: () => (sent = true) })
    } catch (err) {
      // "canceled" too: ovsdb-server stops tracking the transaction, which "still might complete
      // asynchronously" (ovsdb/trigger.c ovsdb_trigger_cancel).
      if (sent && (isConnectionError(err) || err instanceof OvsdbCanceledError)) {
        throw new OvsdbTransactInDoubtError(client.remote, db, errorText(err), { cause: err })
      }
      throw err
    }
  }

  /**
   * A monitor that survives reconnects (module comment). Resolves once the handler got the
   * first contents; rejects if the server refuses the monitor (unknown table, bad condition...)
   * or the session closes first.
   */
  async monitor(
    db: string,
    requests: Requests,
    handler: SessionMonitorHandler,
    options: SessionMonitorOptions = {},
  ): Promise<SessionMonitor> {
    if (this.stop.signal.aborted) throw this.unavailable('the session is closed')
    encodeMonitorRequests(requests) // bad conditions are refused here, before anything is sent
    const monitor = new SessionMonitor(this, db, requests)
    const entry: MonitorEntry = {
      monitor,
      handler,
      onError:
        options.onError ??
        ((err: unknown) => this.logger.error('ovsdb session: monitor error', { db, error: errorText(err) })),
      first: deferred<void>(),
    }
    this.monitors.set(monitor, entry)
    const c = this.current()
    if (c) void this.restoreOrDrop(c, entry)
    await entry.first.promise
    return monitor
  }

  /** @internal SessionMonitor.change */
  async changeMonitor(monitor: SessionMonitor, changes: Readonly<Record<string, MonitorCondChange>>): Promise<void> {
    const entry = this.monitors.get(monitor)
    if (!entry) throw new InvalidArgumentError('monitor', monitor.db, 'the monitor was cancelled')
    encodeMonitorCondChanges(changes) // refused here if malformed
    const s = monitor.state
    const next: Record<string, MonitorCondRequest | readonly MonitorCondRequest[]> = { ...s.requests }
    for (const [table, change] of Object.entries(changes)) {
      const req = next[table]
      const list: readonly MonitorCondRequest[] | undefined =
        req === undefined ? undefined : Array.isArray(req) ? req : [req as MonitorCondRequest]
      const only = list?.length === 1 ? list[0] : undefined
      if (only === undefined) {
        throw new InvalidArgumentError(
          'table',
          table,
          'a condition change needs a table monitored by exactly one request',
        )
      }
      next[table] = { ...only, where: change.where }
    }
    s.requests = next
    s.forceFull = true
    const client = s.client
    const handle = s.handle
    if (!client || client.closed || !handle) return // the next connection uses the new conditions
    try {
      await client.monitorCondChange(handle.id, changes)
      if (s.client === client && s.requests === next) s.forceFull = false
    } catch (err) {
      // Not acknowledged: the next connection starts the monitor afresh with the new conditions.
      if (!isConnectionError(err)) throw err
    }
  }

  /** @internal SessionMonitor.cancel */
  async cancelMonitor(monitor: SessionMonitor): Promise<void> {
    const entry = this.monitors.get(monitor)
    if (!entry) return
    this.monitors.delete(monitor)
    monitor.state.cancelled = true
    entry.first.reject(this.unavailable('the monitor was cancelled'))
    entry.first.promise.catch(() => undefined)
    const { client, handle } = monitor.state
    if (client && !client.closed && handle) {
      try {
        await handle.cancel()
      } catch (err) {
        if (!isConnectionError(err)) throw err
      }
    }
  }

  /** Stop reconnecting, close the connection; resolves when nothing of the session is left. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    this.stop.abort()
    const closed = this.unavailable('the session was closed')
    for (const w of this.waiters) w.reject(closed)
    this.waiters.clear()
    for (const e of this.monitors.values()) {
      e.first.reject(closed)
      e.first.promise.catch(() => undefined)
    }
    // Lost before the connection ends: the server may hand the lock on as soon as it sees our EOF.
    this.loseLocks()
    await this.attempt?.close()
    await this.loop
  }

  private loseLocks(): void {
    for (const id of [...this.heldLocks]) {
      this.heldLocks.delete(id)
      this.emit('lock-lost', id)
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The connection loop

  private async run(): Promise<void> {
    const signal = this.stop.signal
    let failures = 0
    while (!signal.aborted) {
      const delay = reconnectDelayMs(failures, this.schedule, this.random)
      if (delay > 0) {
        this.logger.debug('ovsdb session: waiting before reconnecting', { delayMs: delay, failures })
        await this.clock.sleep(delay, signal)
        if (signal.aborted) break
      }
      let client: OvsdbClient
      try {
        client = await OvsdbClient.connect(this.rotation(), { ...this.clientOptions, database: this.database })
      } catch (err) {
        this.lastError = err
        failures++
        this.logger.warn('ovsdb session: cannot connect', { error: errorText(err), failures })
        continue
      }
      this.attempt = client
      const closed = new Promise<Error | undefined>((resolve) => client.once('close', resolve))
      if (signal.aborted) {
        await client.close()
        break
      }
      try {
        await this.setUp(client)
      } catch (err) {
        this.lastError = err
        failures++
        this.logger.warn('ovsdb session: cannot restore monitors', { remote: client.remote, error: errorText(err) })
        await client.destroy()
        await closed
        this.attempt = undefined
        continue
      }
      const connectedAt = this.clock.now()
      const end = await this.connected(client, closed)
      this.attempt = undefined
      this.lastError = end
      failures = failuresAfterDrop(failures, this.clock.now() - connectedAt, this.schedule)
    }
  }

  /** The remotes in the order to try them: from the one after the last connected. */
  private rotation(): string[] {
    const n = this.remotes.length
    return Array.from({ length: n }, (_, i) => this.remotes[(this.firstRemote + i) % n] ?? '')
  }

  /** Restore every monitor on a fresh connection (a monitor added meanwhile too). */
  private async setUp(client: OvsdbClient): Promise<void> {
    // A live Map iteration also visits monitors added while we await.
    for (const entry of this.monitors.values()) {
      if (entry.monitor.state.client === client || entry.monitor.state.cancelled) continue
      try {
        await this.restore(client, entry)
      } catch (err) {
        if (isConnectionError(err)) throw err
        if (entry.monitor.state.established > 0) {
          // It ran before and the server refuses it now: say so, drop this connection, retry later.
          entry.onError(err)
          throw err
        }
        // Never established: the server refuses it (unknown table...). It is the caller's error.
        this.refuse(entry, err)
      }
    }
  }

  /** A monitor the server refuses: its `monitor()` call rejects and it is forgotten. */
  private refuse(entry: MonitorEntry, err: unknown): void {
    this.monitors.delete(entry.monitor)
    entry.monitor.state.cancelled = true
    entry.first.reject(err)
  }

  /** For a monitor added while connected: restore it, and if that fails for good, reconnect. */
  private async restoreOrDrop(client: OvsdbClient, entry: MonitorEntry): Promise<void> {
    try {
      await this.restore(client, entry)
      if (entry.monitor.state.handle) entry.first.resolve()
    } catch (err) {
      if (isConnectionError(err)) return // the next connection restores it
      if (entry.monitor.state.established === 0) {
        this.refuse(entry, err)
        return
      }
      entry.onError(err)
      await client.destroy(this.unavailable(`a monitor could not be restored: ${errorText(err)}`))
    }
  }

  /** Start `entry`'s monitor on `client`: resumed when the server can, the full contents otherwise. */
  private async restore(client: OvsdbClient, entry: MonitorEntry): Promise<void> {
    const s = entry.monitor.state
    const db = entry.monitor.db
    s.client = client
    s.handle = undefined
    // Notifications that arrive with the reply (same read) come before our continuation: hold them.
    let held: { updates: TableUpdates2; txnId: string | undefined }[] | undefined = []
    const onUpdate = (updates: TableUpdates2, txnId: string | undefined): void => {
      if (s.cancelled || s.client !== client) return
      if (held) {
        held.push({ updates, txnId })
        return
      }
      if (txnId !== undefined) s.lastTxnId = txnId
      this.deliver(entry, { kind: 'update', resync: false, updates, method: s.method, remote: client.remote })
    }
    const onError = (err: unknown): void => {
      entry.onError(err)
      // An update we could not decode is lost: reconnect, which resumes from before it.
      void client.destroy(this.unavailable(`a monitor update failed: ${errorText(err)}`))
    }
    const requests = s.requests
    let handle: Monitor<TableUpdates2> | undefined
    let kind: 'initial' | 'resumed' = 'initial'
    if (s.method === 'monitor_cond_since') {
      try {
        const since = s.forceFull ? ZERO_TXN_ID : (s.lastTxnId ?? ZERO_TXN_ID)
        const m = await client.monitorCondSince(db, requests, since, onUpdate, { onError })
        handle = m
        kind = m.found ? 'resumed' : 'initial'
        s.lastTxnId = m.lastTxnId
      } catch (err) {
        if (!(err instanceof OvsdbUnknownMethodError)) throw err
        this.logger.info('ovsdb session: monitor_cond_since unknown, using monitor_cond', { remote: client.remote })
        s.method = 'monitor_cond'
      }
    }
    if (handle === undefined) {
      handle = await client.monitorCond(db, requests, (u) => onUpdate(u, undefined), { onError })
      s.lastTxnId = undefined
    }
    if (s.cancelled || s.client !== client) {
      handle.cancel().catch(() => undefined)
      return
    }
    s.handle = handle
    if (s.requests === requests) s.forceFull = false
    const resync = kind === 'initial' && s.established > 0
    if (s.established > 0) {
      if (resync) s.resyncs++
      else s.resumes++
    }
    s.established++
    this.deliver(entry, { kind, resync, updates: handle.initial, method: s.method, remote: client.remote })
    const early = held
    held = undefined
    for (const h of early) onUpdate(h.updates, h.txnId)
  }

  private deliver(entry: MonitorEntry, event: SessionMonitorEvent): void {
    try {
      entry.handler(event)
    } catch (err) {
      try {
        entry.onError(err)
      } catch {
        // An error handler that throws must not break the session.
      }
    }
  }

  /** The connection is set up: announce it, ask for the locks, probe it, and wait for its end. */
  private async connected(client: OvsdbClient, closed: Promise<Error | undefined>): Promise<Error> {
    const index = this.remotes.indexOf(client.remote)
    if (index >= 0) this.firstRemote = (index + 1) % this.remotes.length
    const onLocked = (id: string): void => this.acquired(client, id)
    const onStolen = (id: string): void => {
      // We stay in the server's queue (ovsdb/server.c): 'locked' comes again when it is free.
      if (client === this.client && this.heldLocks.delete(id)) this.emit('lock-lost', id)
    }
    client.on('locked', onLocked)
    client.on('stolen', onStolen)
    this.client = client
    this.logger.info('ovsdb session: connected', { remote: client.remote })
    this.emit('connected', client.remote)
    for (const w of this.waiters) w.resolve(client)
    this.waiters.clear()
    // monitor() resolves once its session is connected, not while the connection is set up.
    for (const e of this.monitors.values())
      if (e.monitor.state.client === client && e.monitor.state.handle) e.first.resolve()
    for (const id of this.wantedLocks) this.requestLock(client, id)
    const probing = new AbortController()
    const probes = this.probeIntervalMs > 0 ? this.probe(client, probing.signal) : Promise.resolve()
    const reason = (await closed) ?? this.unavailable('connection closed')
    probing.abort()
    await probes
    client.off('locked', onLocked)
    client.off('stolen', onStolen)
    this.client = undefined
    this.loseLocks()
    for (const e of this.monitors.values()) {
      if (e.monitor.state.client === client) e.monitor.state.handle = undefined
    }
    this.logger.info('ovsdb session: disconnected', { remote: client.remote, reason: errorText(reason) })
    this.emit('disconnected', reason)
    return reason
  }

  private requestLock(client: OvsdbClient, id: string): void {
    client.lock(id).then(
      ({ locked }) => {
        if (locked) this.acquired(client, id)
      },
      (err: unknown) => {
        if (client.closed || isConnectionError(err)) return
        this.logger.warn('ovsdb session: lock request failed', { id, error: errorText(err) })
        void client.destroy(this.unavailable(`lock ${id} could not be requested: ${errorText(err)}`))
      },
    )
  }

  private acquired(client: OvsdbClient, id: string): void {
    if (client !== this.client || client.closed || !this.wantedLocks.has(id) || this.heldLocks.has(id)) return
    this.heldLocks.add(id)
    this.emit('lock-acquired', id)
  }

  /** Inactivity probes until `signal` aborts (the connection ended) or one goes unanswered. */
  private async probe(client: OvsdbClient, signal: AbortSignal): Promise<void> {
    let seen = client.messagesReceived
    while (!signal.aborted && !client.closed) {
      await this.clock.sleep(this.probeIntervalMs, signal)
      if (signal.aborted || client.closed) return
      if (client.messagesReceived !== seen) {
        seen = client.messagesReceived
        continue
      }
      this.logger.debug('ovsdb session: idle, probing', { remote: client.remote })
      const wait = new AbortController()
      const onEnd = (): void => wait.abort()
      signal.addEventListener('abort', onEnd, { once: true })
      const answered = await Promise.race([
        client.echo(['xapi-ovn-probe'], { timeoutMs: Math.max(1, this.probeTimeoutMs) }).then(
          () => true,
          () => false,
        ),
        this.clock.sleep(this.probeTimeoutMs, wait.signal).then(() => false),
      ])
      wait.abort()
      signal.removeEventListener('abort', onEnd)
      if (signal.aborted || client.closed) return
      if (!answered) {
        this.logger.warn('ovsdb session: inactivity probe unanswered', { remote: client.remote })
        await client.destroy(
          new OvsdbUnavailableError(client.remote, `no answer to an inactivity probe within ${this.probeTimeoutMs} ms`),
        )
        return
      }
      seen = client.messagesReceived
    }
  }

  /** Wait for a connection at most `ms` on the session's clock. */
  private async readyWithin(ms: number): Promise<OvsdbClient> {
    const c = this.current()
    if (c) return c
    const timer = new AbortController()
    const gaveUp = new AbortController()
    void this.clock.sleep(ms, timer.signal).then(() => gaveUp.abort())
    try {
      return await this.ready(gaveUp.signal)
    } finally {
      timer.abort()
    }
  }

  private notConnectedReason(): string {
    return this.lastError === undefined ? 'not connected yet' : `not connected: ${errorText(this.lastError)}`
  }

  private unavailable(reason: string): OvsdbUnavailableError {
    return new OvsdbUnavailableError(this.remotes.join(','), reason)
  }
}
