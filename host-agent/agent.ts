/**
 * The host agent: what an XCP-ng host needs continuously for OVN, which no one-shot plugin call
 * can do (docs/platform.md):
 * - re-apply the persisted chassis configuration (lib/chassis/persisted-config.ts) whenever the
 *   Open_vSwitch row has lost it — after every boot (conf.db is on tmpfs) and after an OVS
 *   restart that lost it — as soon as XAPI's integration bridge, the mapped bridges and the
 *   tunnel address exist, so ovn-controller (held back by ovn-wait-bridge) starts on XAPI's bridge;
 * - own `iface-id` on every VIF port of the integration bridge (lib/chassis/plan-iface-ids.ts),
 *   again after every plug, since xenopsd rewrites the port each time and nothing on 8.3 sets it;
 * - keep the encapsulation ports open in dom0's firewall (firewall.ts);
 * - give XAPI's ids back to an integration bridge ovn-controller re-created after XAPI removed it
 *   with its last VIF (lib/chassis/plan-bridge-ids.ts).
 *
 * Event-driven: an OVSDB monitor of the local database keeps a replica of the Open_vSwitch,
 * Bridge, Port and Interface tables (local-replica.ts) and wakes it on every change. Each pass
 * plans purely from that snapshot and sends one guarded transaction; a lost race (OVN_CONCURRENT_CHANGE) plans again
 * from a fresh read. Passes never overlap: changes during a pass cause exactly one more. The
 * only timer is a slow re-check while the re-apply waits for something no OVSDB event announces
 * (the tunnel address appearing on an interface).
 *
 * OVSDB unreachable (ovsdb-server not started yet, restarted): retry with backoff, log the reason
 * once per change of reason.
 */
import { errorText } from '../lib/error-text.js'
import { localAddresses, readHostUuid } from '../lib/chassis/host-facts.js'
import { applyBridgeIds, applyIfaceIds } from '../lib/chassis/agent-writes-io.js'
import { planBridgeIds } from '../lib/chassis/plan-bridge-ids.js'
import { DEFAULT_INTEGRATION_BRIDGE, KEY_BRIDGE, SAVED_KEY, XS_NETWORK_UUIDS_KEY } from '../lib/chassis/keys.js'
import { type ChassisSnapshot, findBridge } from '../lib/chassis/model.js'
import { applyWrite, readSnapshot } from '../lib/chassis/ovsdb-io.js'
import { readPersisted } from '../lib/chassis/persisted-config-io.js'
import { planConfigure } from '../lib/chassis/plan-configure.js'
import { planIfaceIds } from '../lib/chassis/plan-iface-ids.js'
import { backoffMs, type Clock } from '../lib/clock.js'
import { ConcurrentChangeError, XapiOvnError } from '../lib/errors.js'
import { OvsdbClient } from '../lib/ovsdb/client.js'
import { withLock } from '../plugin/lock.js'
import type { Logger } from '../lib/log.js'
import type { FirewallKeeper } from './firewall.js'
import { LocalReplica } from './local-replica.js'
import type { PluginPaths } from '../plugin/context.js'

/** Re-check interval while the re-apply waits for the host (bridge, address) to be ready. */
export const REAPPLY_RECHECK_MS = 1000
/** Plans in a row that may lose a race before the agent backs off for a moment. */
const MAX_RACES = 10

export interface AgentOptions {
  readonly paths: PluginPaths
  readonly log: Logger
  readonly clock: Clock
  readonly firewall?: FirewallKeeper
}

/** What the agent has done, for its status line and tests. */
export interface AgentCounters {
  passes: number
  ifaceIdsSet: number
  ifaceIdsRemoved: number
  reapplied: number
  races: number
  bridgeIdsRestored: number
}

export class HostAgent {
  readonly counters: AgentCounters = {
    passes: 0,
    ifaceIdsSet: 0,
    ifaceIdsRemoved: 0,
    reapplied: 0,
    races: 0,
    bridgeIdsRestored: 0,
  }
  readonly #opts: AgentOptions
  readonly #stop = new AbortController()
  #db: OvsdbClient | undefined
  #replica: LocalReplica | undefined
  #running = false
  #dirty = false
  #recheckPending = false
  #lastNotice = new Map<string, string>()
  #hostUuid: string | undefined
  #done: Promise<void> | undefined

  constructor(opts: AgentOptions) {
    this.#opts = opts
  }

  /** Runs until stop(); resolves then. */
  run(): Promise<void> {
    this.#done ??= this.#connectLoop()
    return this.#done
  }

  async stop(): Promise<void> {
    this.#stop.abort()
    await this.#db?.close().catch(() => undefined)
    await this.#done
  }

  /** Log `message` at `level` only when it differs from the last one under `topic`. */
  #notice(topic: string, level: 'info' | 'warn' | 'error', message: string, data?: Record<string, unknown>): void {
    if (this.#lastNotice.get(topic) === message) return
    this.#lastNotice.set(topic, message)
    this.#opts.log[level](message, data)
  }

  async #connectLoop(): Promise<void> {
    const { paths, clock } = this.#opts
    let attempt = 0
    while (!this.#stop.signal.aborted) {
      let db: OvsdbClient
      try {
        db = await OvsdbClient.connect(paths.ovsDbRemote, { timeoutMs: 10_000, typedDecode: false })
      } catch (err) {
        const wait = backoffMs(attempt++)
        this.#notice('ovsdb', 'warn', `cannot reach the local OVSDB ${paths.ovsDbRemote}; retrying`, {
          reason: errorText(err),
        })
        await clock.sleep(wait, this.#stop.signal)
        continue
      }
      attempt = 0
      this.#db = db
      const closed = new Promise<void>((resolve) => db.once('close', () => resolve()))
      try {
        const replica = new LocalReplica()
        this.#replica = replica
        await replica.start(db, () => this.#schedule())
        this.#notice('ovsdb', 'info', `watching ${paths.ovsDbRemote}`)
        this.#schedule()
        // The stop listener goes when the connection ends: one per reconnect stayed otherwise.
        let onStop = (): void => undefined
        const stopped = new Promise<void>((r) => {
          onStop = r
          if (this.#stop.signal.aborted) r()
          else this.#stop.signal.addEventListener('abort', onStop, { once: true })
        })
        await Promise.race([closed, stopped])
        this.#stop.signal.removeEventListener('abort', onStop)
      } catch (err) {
        this.#notice('ovsdb', 'warn', 'lost the local OVSDB; reconnecting', {
          reason: errorText(err),
        })
      } finally {
        this.#db = undefined
        this.#replica = undefined
        await db.close().catch(() => undefined)
      }
      if (!this.#stop.signal.aborted) await clock.sleep(backoffMs(0), this.#stop.signal)
    }
  }

  /** Run a pass now, or one more after the running one. */
  #schedule(): void {
    if (this.#running) {
      this.#dirty = true
      return
    }
    this.#running = true
    void this.#passes().finally(() => {
      this.#running = false
    })
  }

  async #passes(): Promise<void> {
    let races = 0
    do {
      this.#dirty = false
      const db = this.#db
      if (db === undefined || this.#stop.signal.aborted) return
      try {
        await this.#pass(db)
        races = 0
      } catch (err) {
        if (err instanceof ConcurrentChangeError) {
          this.counters.races += 1
          races += 1
          this.#dirty = true
          if (races >= MAX_RACES) await this.#opts.clock.sleep(backoffMs(races - MAX_RACES), this.#stop.signal)
          continue
        }
        if (this.#db === db) {
          this.#opts.log.error('pass failed', { error: errorText(err) })
        }
      }
    } while (this.#dirty)
  }

  async #pass(db: OvsdbClient): Promise<void> {
    this.counters.passes += 1
    const snapshot = this.#replica?.snapshot() ?? (await readSnapshot(db))
    if (await this.#reapply(db, snapshot)) {
      // The Open_vSwitch row changed (maybe ovn-bridge): plan the ports from a fresh read.
      this.#dirty = true
      return
    }
    const bridgeIds = planBridgeIds(snapshot)
    if (bridgeIds !== null) {
      await applyBridgeIds(db, bridgeIds, 'xapi-ovn-host-agent: XAPI ids of the integration bridge')
      this.counters.bridgeIdsRestored += 1
      this.#opts.log.warn(
        `bridge ${bridgeIds.bridge} was re-created without XAPI's ids (XAPI removed it with its last VIF, ovn-controller made it again); gave it back network ${bridgeIds.set[XS_NETWORK_UUIDS_KEY] ?? ''}`,
      )
    }
    this.#reportTraps(snapshot)
    const plan = planIfaceIds(snapshot, { defaultBridge: DEFAULT_INTEGRATION_BRIDGE })
    for (const s of plan.skipped) this.#notice(`skip ${s.name}`, 'warn', `leaving ${s.name} alone: ${s.reason}`)
    if (plan.changes.length > 0) {
      await applyIfaceIds(db, plan.changes, 'xapi-ovn-host-agent: iface-id')
      for (const c of plan.changes) {
        if (c.ifaceId === null) this.counters.ifaceIdsRemoved += 1
        else this.counters.ifaceIdsSet += 1
        this.#opts.log.info(c.ifaceId === null ? 'iface-id removed' : 'iface-id set', {
          interface: c.name,
          ...(c.ifaceId === null ? {} : { ifaceId: c.ifaceId }),
        })
      }
    }
    await this.#opts.firewall?.sync(snapshot)
  }

  /**
   * Re-apply the persisted configuration if the database has lost it (no xapi-ovn-saved record:
   * configure always writes one). True when something was written.
   */
  async #reapply(db: OvsdbClient, snapshot: ChassisSnapshot): Promise<boolean> {
    const { paths } = this.#opts
    // Configured (configure always writes xapi-ovn-saved): nothing to re-apply, and no file read
    // at every database change. verify's chassis.persisted judges the file itself.
    if (snapshot.ovs.externalIds.has(SAVED_KEY)) {
      this.#notice('persisted', 'info', 'chassis configured')
      return false
    }
    let persisted: ReturnType<typeof readPersisted>
    try {
      persisted = readPersisted(paths.stateDir)
    } catch (err) {
      // Corrupt or not root-only: apply nothing from it; verify says so with a hint.
      if (err instanceof XapiOvnError) this.#notice('persisted', 'error', err.message, { code: err.code })
      else throw err
      return false
    }
    if (persisted === null) {
      this.#notice('persisted', 'info', 'no persisted chassis configuration')
      return false
    }
    this.#hostUuid ??= await readHostUuid(paths.inventory)
    const hostUuid = this.#hostUuid
    const { clock } = this.#opts
    const ctx = { paths, log: this.#opts.log, now: () => new Date(clock.now()), sleep: (ms: number) => clock.sleep(ms) }
    try {
      // The plugin's own lock: a configure or unconfigure running now finishes first, and the
      // decision is taken again on what it left (the persisted file and the keys change together).
      return await withLock(ctx, 'chassis', async () => {
        const fresh = await readSnapshot(db)
        const again = readPersisted(paths.stateDir)
        if (again === null || fresh.ovs.externalIds.has(SAVED_KEY)) return false
        const plan = planConfigure(fresh, again.request, { hostUuid, localAddresses: localAddresses() })
        if (plan.write === null) return false
        await applyWrite(db, plan.write, 'xapi-ovn-host-agent: re-apply')
        this.counters.reapplied += 1
        this.#notice('persisted', 'info', 're-applied the persisted chassis configuration', { changes: plan.changes })
        return true
      })
    } catch (err) {
      if (!(err instanceof XapiOvnError) || err instanceof ConcurrentChangeError) throw err
      // Not ready yet (XAPI has not attached the network, the address is not up, configure
      // holds the lock): try again on the next change, or in a moment.
      this.#notice('persisted', 'info', `waiting to re-apply the chassis configuration: ${err.message}`, {
        code: err.code,
      })
      this.#recheckLater()
      return false
    }
  }

  /**
   * What the agent sees but must not mend alone: a br-int besides the integration bridge (an
   * ovn-controller started before the chassis was configured made it; fn=repair removes it when
   * it holds only ovn-controller's ports). Said once per change.
   */
  #reportTraps(s: ChassisSnapshot): void {
    const integration = s.ovs.externalIds.get(KEY_BRIDGE) ?? ''
    // XAPI creates internal bridges fail_mode=standalone (docs/platform.md, "XAPI re-creates its
    // bridges only on demand"); ovn-controller makes its integration bridge secure. Until then
    // the bridge floods like a plain learning switch; if it lasts, ovn-controller is not running.
    const bridge = integration === '' ? undefined : findBridge(s, integration)
    const configured = s.ovs.externalIds.has(SAVED_KEY)
    const notSecure = configured && bridge !== undefined && bridge.failMode !== 'secure'
    this.#notice(
      'fail-mode',
      notSecure ? 'warn' : 'info',
      notSecure
        ? `integration bridge ${integration} is fail_mode=${bridge?.failMode ?? 'unset'}, not secure: it floods like a plain switch until ovn-controller takes it (is ovn-controller running? systemctl status ovn-controller)`
        : 'integration bridge secure (or not configured)',
    )
    const stray =
      integration !== '' &&
      integration !== DEFAULT_INTEGRATION_BRIDGE &&
      findBridge(s, DEFAULT_INTEGRATION_BRIDGE) !== undefined
    this.#notice(
      'br-int',
      stray ? 'warn' : 'info',
      stray
        ? `a ${DEFAULT_INTEGRATION_BRIDGE} exists besides the integration bridge ${integration} (an ovn-controller started before the chassis was configured made it): remove it with xapi-ovn repair --host ${this.#hostUuid ?? '<this host>'}`
        : `no stray ${DEFAULT_INTEGRATION_BRIDGE}`,
    )
  }

  #recheckLater(): void {
    if (this.#recheckPending || this.#stop.signal.aborted) return
    this.#recheckPending = true
    void this.#opts.clock.sleep(REAPPLY_RECHECK_MS, this.#stop.signal).then(() => {
      this.#recheckPending = false
      if (!this.#stop.signal.aborted) this.#schedule()
    })
  }
}
