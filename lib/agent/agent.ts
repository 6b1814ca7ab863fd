/**
 * The pool agent (`xapi-ovn agent`, `startAgent`): the northbound follows XAPI by itself. XAPI is
 * the system of record; every VIF on the OVN network gets its logical switch port, kept in step as
 * VIFs are made, changed, moved, migrated and destroyed — through Xen Orchestra, xe or anything.
 *
 *   const agent = await startAgent({ xapi: { url, password }, nb: 'tcp:192.0.2.10:6641,tcp:...' })
 *   agent.status()      // what a human (or /healthz) needs
 *   await agent.stop()
 *
 * Three loops, one writer:
 * - XAPI: `event.from` on pool, host, network, VM and VIF (xapi-events-io.ts). The first call
 *   of a session, and the first after EVENTS_LOST or any reconnect, reads everything; a new copy
 *   replaces the old one only once complete, so a pass never plans from half a pool.
 * - Northbound: an OvsdbSession (lib/ovsdb/session.ts: reconnect with backoff, the RAFT leader,
 *   inactivity probes that leave a frozen leader), asking on every connection for the OVSDB lock
 *   `xapi_ovn_agent_<pool uuid>` (lockName) (RFC 7047 4.1.8). Only the holder writes; other agents of the
 *   same pool are standbys that take over when the holder's connection ends (ovsdb-server hands
 *   the lock on). The lock lives on the server the client talks to, which for a cluster is the
 *   leader (leader-only connections, the way ovn-northd's HA works). No home-made election.
 *   Every write carries `assert` of the lock, so a server that has handed it on refuses the write.
 *   Connection lost: the session reconnects and asks again; the pass after 'lock-acquired' reconciles.
 * - Passes: each one reads the whole northbound once, plans purely (plan-desired.ts, then
 *   plan-sync.ts) and sends ONE guarded transaction, or nothing when nothing differs. A pass
 *   runs after XAPI events (coalesced: events during a pass cause exactly one more), after every
 *   (re)connection, and every `resyncIntervalMs` (this catches hand edits of the northbound). A lost
 *   race is re-planned from a fresh read (lib/nb planAndApply); a lost reply is settled by the
 *   next pass reading the northbound back, never by guessing.
 */
import { EventEmitter } from 'node:events'
import { backoffMs, systemClock, type Clock } from '../clock.js'
import { errorText } from '../error-text.js'
import { ConcurrentChangeError, XapiOvnError } from '../errors.js'
import { NB_DB } from '../nb/model.js'
import { MAX_ATTEMPTS, type NorthboundConnectOptions } from '../nb/northbound.js'
import type { NbSnapshot } from '../nb/model.js'
import { OvsdbConstraintViolationError, OvsdbWaitFailedError, TransactionError } from '../ovsdb/errors.js'
import { NbReplica } from './nb-replica.js'
import type { OvsdbLogger } from '../ovsdb/client.js'
import { op } from '../ovsdb/operations.js'
import { OvsdbSession } from '../ovsdb/session.js'
import { XapiPool, type ConnectOptions } from '../pool/connection.js'
import { DEFAULT_NETWORK_NAME, findNetwork } from '../pool/ovn-network.js'
import { OvnNetworkError } from '../pool/errors.js'
import { agentMetrics, Registry, type AgentMetrics } from './metrics.js'
import { planDesired, type DesiredCache, type DesiredState, type VifFinding } from './plan-desired.js'
import { planSync, type SyncPlan } from './plan-sync.js'
import { followXapi } from './xapi-events-io.js'
import type { XapiReplica } from './xapi-replica.js'

export const DEFAULT_RESYNC_INTERVAL_MS = 60_000
/** Passes worth a log line even when they write nothing: an operator sees the agent caught up. */
const FULL_PASS_REASONS = new Set(['full read of XAPI', 'northbound read', 'became active'])
/** The OVSDB lock of a pool's agents: an RFC 7047 <id> ([A-Za-z_][A-Za-z0-9_]*), so the uuid's dashes become "_". */
export function lockName(poolUuid: string): string {
  return `xapi_ovn_agent_${poolUuid.replace(/-/g, '_')}`
}

export interface AgentOptions {
  /** The pool master and credentials (as for every pool command). */
  readonly xapi: ConnectOptions
  /** OVN_Northbound remotes: one, comma-separated, or an array. */
  readonly nb: string | readonly string[]
  readonly nbOptions?: NorthboundConnectOptions
  /** The OVN network (uuid or name_label), default `ovn-int`. */
  readonly network?: string
  /** Full reconcile period, ms (default 60 s); 0 disables the periodic pass. */
  readonly resyncIntervalMs?: number
  /** event.from's long-poll timeout, s (default 30). */
  readonly eventTimeoutS?: number
  readonly clock?: Clock
  readonly log?: OvsdbLogger
}

export interface PassSummary {
  readonly reason: string
  readonly at: number
  readonly durationMs: number
  readonly created: number
  readonly updated: number
  readonly deleted: number
  readonly unchanged: number
  readonly findings: number
}

export interface AgentStatus {
  readonly ok: boolean
  readonly pool: string | null
  readonly xapi: {
    readonly connected: boolean
    readonly url: string
    readonly events: number
    readonly fullReads: number
  }
  readonly nb: {
    readonly connected: boolean
    readonly remote: string | null
    readonly lock: 'held' | 'waiting' | 'none'
  }
  /** Whether this agent is the one writing (it holds the lock). */
  readonly active: boolean
  readonly passes: number
  readonly lastPass: PassSummary | null
  readonly lastError: { readonly code: string; readonly message: string } | null
  readonly managedPorts: number
  readonly findings: readonly { readonly vif: string; readonly code: string; readonly message: string }[]
  /** VIFs that have their port but will not work as XAPI holds them (OVN_AGENT_VIF_LOCKED). */
  readonly warnings: readonly { readonly vif: string; readonly code: string; readonly message: string }[]
  readonly errorsByCode: Readonly<Record<string, number>>
}

const NOOP_LOG: OvsdbLogger = { debug() {}, info() {}, warn() {}, error() {} }

export class PoolAgent extends EventEmitter {
  readonly #o: AgentOptions
  readonly #clock: Clock
  readonly #log: OvsdbLogger
  readonly #stop = new AbortController()
  #replica: XapiReplica | null = null
  #xapiConnected = false
  #events = 0
  #fullReads = 0
  #session: OvsdbSession | null = null
  readonly #nbReplica = new NbReplica()
  #nbReady = false
  #lockId: string | null = null
  #lock: 'held' | 'waiting' | 'none' = 'none'
  #passes = 0
  #lastPass: PassSummary | null = null
  #lastError: { code: string; message: string } | null = null
  #managed = 0
  #findings: readonly VifFinding[] = []
  #warnings: readonly VifFinding[] = []
  readonly #desiredCache: DesiredCache = new WeakMap()
  readonly #errors = new Map<string, number>()
  #passRunning = false
  #passAgain: string | null = null
  #wake: (() => void) | null = null
  readonly #registry = new Registry()
  readonly #metrics: AgentMetrics = agentMetrics(this.#registry)
  readonly done: Promise<void>

  constructor(options: AgentOptions) {
    super()
    this.#o = options
    this.#clock = options.clock ?? systemClock
    this.#log = options.log ?? NOOP_LOG
    this.done = Promise.all([this.#xapiLoop(), this.#nbLoop(), this.#resyncLoop()]).then(() => undefined)
  }

  // -- XAPI ------------------------------------------------------------------------------------

  async #xapiLoop(): Promise<void> {
    const signal = this.#stop.signal
    for (let attempt = 0; !signal.aborted; ) {
      let pool: XapiPool | null = null
      try {
        pool = await XapiPool.connect(this.#o.xapi)
        this.#xapiConnected = true
        attempt = 0
        this.#log.info('XAPI connected', { url: pool.url })
        await followXapi(pool, {
          signal,
          timeoutS: this.#o.eventTimeoutS ?? 30,
          onFullRead: (replica) => {
            this.#replica = replica
            this.#fullReads++
            this.#schedule('full read of XAPI')
          },
          onEvents: (byClass, lagS) => {
            let n = 0
            for (const [cls, k] of byClass) {
              n += k
              this.#metrics.eventsHandled.inc({ class: cls }, k)
            }
            this.#events += n
            if (lagS !== null) this.#metrics.eventLag.set(Math.max(0, lagS))
            this.emit('xapi-events', n, lagS)
            this.#schedule('XAPI events')
          },
          log: this.#log,
        })
      } catch (err) {
        if (signal.aborted) break
        this.#error(err)
        this.#log.warn('XAPI connection lost; reconnecting', { error: errorText(err) })
      } finally {
        this.#xapiConnected = false
        await pool?.close()
      }
      if (!signal.aborted) await this.#clock.sleep(backoffMs(attempt++), signal)
    }
  }

  // -- Northbound ------------------------------------------------------------------------------

  async #nbLoop(): Promise<void> {
    const signal = this.#stop.signal
    const pool = await this.#poolUuid(signal)
    if (pool === null) return
    const lock = lockName(pool)
    this.#lockId = lock
    const session = new OvsdbSession(this.#o.nb, {
      ...(this.#o.nbOptions ?? {}),
      database: NB_DB,
      clock: this.#clock,
      logger: this.#log,
    })
    this.#session = session
    session.on('connected', (remote: string) => {
      this.#lock = session.hasLock(lock) ? 'held' : 'waiting'
      this.#log.info('northbound connected', { remote })
    })
    session.on('disconnected', (err: unknown) => {
      this.#lock = 'none'
      if (signal.aborted) return
      this.#error(err)
      this.#log.warn('northbound unavailable; reconnecting', { error: errorText(err) })
    })
    session.on('lock-acquired', (id: string) => {
      if (id !== lock) return
      this.#lock = 'held'
      this.#log.info('lock acquired: this agent is active', { lock })
      this.emit('active')
      this.#schedule('became active')
    })
    session.on('lock-lost', (id: string) => {
      if (id !== lock) return
      this.#lock = session.current() === undefined ? 'none' : 'waiting'
      this.#log.warn('lock lost: this agent is a standby now', { lock })
    })
    session.lock(lock)
    void this.#nbReplica
      .start(session, (switchChanged) => {
        if (!this.#nbReady) {
          this.#nbReady = true
          this.#schedule('northbound read')
        } else if (this.#findings.length > 0 || switchChanged) {
          // A VIF waiting for something in the northbound (its switch, a foreign port going away)
          // gets no XAPI event when that changes: look again whenever the northbound does. So do
          // the ports of a switch whose settings changed (DHCP turned on after a VIF was planned
          // from the copy before it: the port would wait for the next pass to be linked).
          this.#schedule('northbound changed')
        }
      })
      .catch((err: unknown) => {
        if (!signal.aborted) this.#log.error('northbound monitor failed', { error: errorText(err) })
      })
    // Standing by is only worth a line when someone else holds the lock once connected.
    void session.ready(signal).then(
      async () => {
        await this.#clock.sleep(1000, signal)
        if (!signal.aborted && !session.hasLock(lock))
          this.#log.info('another agent holds the lock: standing by', { lock })
      },
      () => undefined,
    )
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
    this.#lock = 'none'
    await this.#nbReplica.stop()
    await session.close()
  }

  /** The pool's uuid, once XAPI has been read (the lock is per pool). */
  async #poolUuid(signal: AbortSignal): Promise<string | null> {
    for (;;) {
      const uuid = this.#replica?.pool?.uuid
      if (uuid !== undefined) return uuid
      if (signal.aborted) return null
      await new Promise<void>((resolve) => {
        this.#wake = resolve
        signal.addEventListener('abort', () => resolve(), { once: true })
      })
    }
  }

  // -- Passes ----------------------------------------------------------------------------------

  async #resyncLoop(): Promise<void> {
    const every = this.#o.resyncIntervalMs ?? DEFAULT_RESYNC_INTERVAL_MS
    if (every <= 0) return
    const signal = this.#stop.signal
    while (!signal.aborted) {
      await this.#clock.sleep(every, signal)
      if (!signal.aborted) this.#schedule('periodic resync')
    }
  }

  #schedule(reason: string): void {
    const wake = this.#wake
    this.#wake = null
    wake?.()
    if (this.#stop.signal.aborted) return
    if (this.#passRunning) {
      this.#passAgain ??= reason
      return
    }
    this.#passRunning = true
    // Let the events of one XAPI batch, and the callbacks of one connection, land first.
    setImmediate(() => void this.#runPasses(reason))
  }

  async #runPasses(first: string): Promise<void> {
    let reason: string | null = first
    try {
      while (reason !== null && !this.#stop.signal.aborted) {
        this.#passAgain = null
        await this.#pass(reason)
        reason = this.#passAgain
      }
    } finally {
      this.#passRunning = false
    }
  }

  async #pass(reason: string): Promise<void> {
    const session = this.#session
    const lock = this.#lockId
    const replica = this.#replica
    const nb = this.#nbReplica
    if (session === null || lock === null || !session.hasLock(lock) || replica === null || !this.#nbReady) return
    const view = replica.view()
    if (view === null) return
    const started = this.#clock.now()
    try {
      const network = findNetwork(view.networks, this.#o.network)
      if (network === null) {
        const name = this.#o.network ?? DEFAULT_NETWORK_NAME
        this.#error(new OvnNetworkError(name, 'no network of this pool has this name: run xapi-ovn setup first'))
        return
      }
      const desired = withReplicaProblems(planDesired(view, network.ref, this.#desiredCache), replica)
      const plan = await this.#apply(session, lock, nb, (s) => planSync(desired, s, view.poolUuid))
      this.#record(reason, started, plan)
      this.#noteWarnings(desired.warnings)
      this.#metrics.reconcilePasses.inc({ result: plan.operations.length === 0 ? 'unchanged' : 'written' })
    } catch (err) {
      this.#error(err)
      this.#metrics.reconcilePasses.inc({ result: err instanceof ConcurrentChangeError ? 'conflict' : 'failed' })
      if (err instanceof ConcurrentChangeError) {
        this.#passAgain ??= 'lost a race'
        await this.#clock.sleep(backoffMs(1), this.#stop.signal)
      } else {
        // In doubt or refused: the next pass plans from what the monitor then shows (read back).
        this.#passAgain ??= 'the last write failed'
        this.#log.warn('pass failed', { reason, error: errorText(err) })
        await this.#clock.sleep(backoffMs(2), this.#stop.signal)
      }
    }
  }

  /**
   * Plan from the monitored copy and write ONE transaction, asserting the lock (RFC 7047 5.2.10:
   * a server that has handed the lock on refuses it). A failed `wait`, or the port name index
   * refusing an insert, means the copy was behind another writer: wait for the monitor's next
   * update and plan again (MAX_ATTEMPTS in all, as lib/nb planAndApply). After a commit, the
   * pass waits (briefly) until the monitor shows it, so the next pass does not plan it again.
   */
  async #apply(
    session: OvsdbSession,
    lock: string,
    nb: NbReplica,
    planner: (s: NbSnapshot) => SyncPlan,
  ): Promise<SyncPlan> {
    for (let attempt = 1; ; attempt++) {
      const plan = planner(nb.snapshot())
      if (plan.operations.length === 0) return plan
      const seen = nb.version
      try {
        await session.transact(NB_DB, [op.assert(lock), ...plan.operations])
        if (nb.version === seen) await nb.changed(1000, this.#clock)
        return plan
      } catch (e) {
        const raced =
          e instanceof OvsdbWaitFailedError ||
          (e instanceof TransactionError && e.cause instanceof OvsdbConstraintViolationError)
        if (!raced) throw e
        if (attempt >= MAX_ATTEMPTS)
          throw new ConcurrentChangeError(`the ports kept changing while we wrote (${MAX_ATTEMPTS} attempts)`)
        if (nb.version === seen) await nb.changed(1000, this.#clock)
      }
    }
  }

  #record(reason: string, started: number, plan: SyncPlan): void {
    this.#passes++
    this.#managed = plan.managed
    const before = new Set(this.#findings.map((f) => `${f.vif} ${f.error.code}`))
    for (const f of plan.findings) {
      const key = `${f.vif} ${f.error.code}`
      if (!before.has(key)) {
        this.#log.warn(f.error.message, { vif: f.vif, code: f.error.code })
        this.#errors.set(f.error.code, (this.#errors.get(f.error.code) ?? 0) + 1)
        this.#metrics.errors.inc({ code: f.error.code })
      }
    }
    this.#findings = plan.findings
    const summary: PassSummary = {
      reason,
      at: started,
      durationMs: this.#clock.now() - started,
      created: plan.created.length,
      updated: plan.updated.length,
      deleted: plan.deleted.length,
      unchanged: plan.unchanged,
      findings: plan.findings.length,
    }
    this.#lastPass = summary
    this.#metrics.reconcileDuration.observe(summary.durationMs / 1000)
    this.#metrics.portsManaged.set(plan.managed)
    if (plan.operations.length > 0) this.#log.info('northbound synced', { ...summary })
    else if (FULL_PASS_REASONS.has(reason)) this.#log.info('northbound in step', { ...summary, managed: plan.managed })
    this.emit('pass', summary)
  }

  /** Log each warning once (until it goes away), count it, keep them for status(). */
  #noteWarnings(warnings: readonly VifFinding[]): void {
    const before = new Set(this.#warnings.map((w) => `${w.vif} ${w.error.code}`))
    for (const w of warnings) {
      if (before.has(`${w.vif} ${w.error.code}`)) continue
      this.#log.warn(w.error.message, { vif: w.vif, code: w.error.code })
      this.#errors.set(w.error.code, (this.#errors.get(w.error.code) ?? 0) + 1)
      this.#metrics.errors.inc({ code: w.error.code })
    }
    this.#warnings = warnings
  }

  #error(err: unknown): void {
    const code = err instanceof XapiOvnError ? err.code : 'OVN_INTERNAL'
    this.#errors.set(code, (this.#errors.get(code) ?? 0) + 1)
    this.#metrics.errors.inc({ code })
    this.#lastError = { code, message: errorText(err) }
  }

  status(): AgentStatus {
    const nbClient = this.#session?.current()
    const nbConnected = nbClient !== undefined
    return {
      ok: this.#xapiConnected && nbConnected && this.#lock !== 'none' && this.#replica !== null,
      pool: this.#replica?.pool?.uuid ?? null,
      xapi: { connected: this.#xapiConnected, url: this.#o.xapi.url, events: this.#events, fullReads: this.#fullReads },
      nb: { connected: nbConnected, remote: nbClient?.remote ?? null, lock: this.#lock },
      active: this.#lock === 'held',
      passes: this.#passes,
      lastPass: this.#lastPass,
      lastError: this.#lastError,
      managedPorts: this.#managed,
      findings: this.#findings.map((f) => ({ vif: f.vif, code: f.error.code, message: f.error.message })),
      warnings: this.#warnings.map((f) => ({ vif: f.vif, code: f.error.code, message: f.error.message })),
      errorsByCode: Object.fromEntries(this.#errors),
    }
  }

  /** The Prometheus text of this agent's metrics (lib/agent/metrics.ts), the gauges as of now. */
  metricsText(): string {
    const s = this.status()
    this.#metrics.lockHeld.setBoolean(s.active)
    this.#metrics.nbConnected.setBoolean(s.nb.connected)
    this.#metrics.xapiConnected.setBoolean(s.xapi.connected)
    return this.#registry.render()
  }

  /** Stop every loop, release the lock (the connection closes), log out. Idempotent. */
  async stop(): Promise<void> {
    this.#stop.abort()
    const wake = this.#wake
    this.#wake = null
    wake?.()
    await this.done
  }
}

/** VIFs whose XAPI record did not parse: a finding each, so their ports are left alone. */
function withReplicaProblems(d: DesiredState, replica: XapiReplica): DesiredState {
  const badVms = new Map(replica.problems.filter((p) => p.cls === 'vm').map((p) => [p.ref, p.error]))
  const extra: VifFinding[] = replica.problems.flatMap((p) =>
    p.cls === 'vif' && p.uuid !== null ? [{ vif: p.uuid, error: p.error }] : [],
  )
  // A VM that did not parse is missing from the view: its VIFs' ports must not look stale.
  for (const vif of badVms.size === 0 ? [] : replica.vifs()) {
    const error = badVms.get(vif.vm)
    if (error !== undefined) extra.push({ vif: vif.uuid, error })
  }
  return extra.length === 0 ? d : { ...d, findings: [...d.findings, ...extra] }
}

/** Start an agent; it runs until `stop()`. */
export function startAgent(options: AgentOptions): PoolAgent {
  return new PoolAgent(options)
}
