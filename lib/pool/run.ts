/**
 * What every pool operation (setup.ts, verify.ts, status.ts, teardown.ts) shares: the options
 * of a run, their checks, and `Run`, which calls the ovn-chassis plugin (`host.call_plugin`) on
 * a bounded number of hosts at a time and keeps each host's outcome, so one host's failure
 * (offline, plugin missing or refusing) never stops the others. Progress goes to `onProgress`;
 * the driver never prints.
 */
import { InvalidArgumentError } from '../errors.js'
import { mapBounded } from './bounded.js'
import type { XapiPool, PoolState } from './connection.js'
import { failureFromCode, toFailure, type Failure } from './failures.js'
import { FAIL_MODE_KEY } from './ovn-network.js'
import type { HostInfo } from './plan-setup.js'
import { PLUGIN } from './plugin-replies.js'
import type { NetworkRecord } from './records.js'
import type {
  HostOutcome,
  NetworkInfo,
  Operation,
  PoolInfo,
  ProgressEvent,
  ProgressListener,
  TransportInfo,
} from './results.js'
import type { TransportEndpoint } from './transport-pif.js'

/**
 * Every host at once, up to 256. A plugin call holds the master only while it waits: xapi runs
 * each API call in a thread of its own and forwards host.call_plugin to the member without any lock or queue
 * (ocaml/xapi/message_forwarding.ml `Host.call_plugin` -> `do_op_on`; the queueing-thread limit
 * of 100 in helpers.ml `queue_thread` counts only calls that sleep on a locked object, which
 * call_plugin never does), and the member runs the plugin in a process of its own
 * (ocaml/xapi/xapi_plugins.ml, through forkexecd). What does bound it is the master's TCP
 * connection limit, 800 (ocaml/xapi/xapi_globs.ml `conn_limit_tcp`; a connection beyond it waits
 * to be accepted, ocaml/libs/http-lib/http_svr.ml): one per call in flight, shared with every
 * other client of the pool, so the window stays well below it. A window of 8 made a 32-host
 * setup 4 rounds of plugin calls, and one of 64 made 200 hosts 4 (README's performance figures;
 * bench/pool.ts measures 1, 32 and 200 hosts). The client's own limit follows it
 * (`ConnectOptions.callConcurrency` in ./connection.ts). docs/platform.md has the sources.
 */
export const DEFAULT_CONCURRENCY = 256
export const MAX_CONCURRENCY = 256
export const MAX_WAIT_SECONDS = 600

export interface RunOptions {
  /** Hosts worked on at once (default `DEFAULT_CONCURRENCY`, 256). */
  readonly concurrency?: number
  readonly onProgress?: ProgressListener
  /** Only these hosts (uuid or name_label); default every host of the pool. */
  readonly hosts?: readonly string[]
  /** The OVN network by uuid or name_label (default `ovn-int`). */
  readonly network?: string
}

/** A host failure decided before calling the host (plan failure, offline). */
export class HostFailed extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message)
  }
}

export class Run {
  constructor(
    readonly pool: XapiPool,
    readonly info: PoolInfo,
    readonly operation: Operation,
    readonly listener: ProgressListener | undefined,
  ) {}

  emit(event: ProgressEvent): void {
    if (this.listener === undefined) return
    try {
      this.listener(event)
    } catch {
      // A listener's own failure must not change the outcome of the run.
    }
  }

  /** Call a plugin function on a host; the answer is the Success Value string. */
  plugin(host: HostInfo, fn: string, args: Readonly<Record<string, string>>): Promise<unknown> {
    return this.pool.call('host.call_plugin', host.ref, PLUGIN, fn, args)
  }

  /**
   * `work` on each item's host, `concurrency` at a time, each outcome kept. Offline hosts are
   * reported without being called.
   */
  async eachHost<I extends { readonly host: HostInfo }, T>(
    items: readonly I[],
    concurrency: number,
    work: (item: I) => Promise<T>,
    verdict: (value: T) => { changed: boolean | null; passed: boolean | null },
  ): Promise<HostOutcome<T>[]> {
    const base = { operation: this.operation, pool: this.info, total: items.length }
    return mapBounded(items, concurrency, async (item): Promise<HostOutcome<T>> => {
      const { host } = item
      this.emit({ type: 'host-started', ...base, host })
      try {
        if (!host.live) throw new HostFailed(failureFromCode('HOST_OFFLINE', [host.ref]))
        const value = await work(item)
        this.emit({ type: 'host-finished', ...base, host, ...verdict(value) })
        return { host, ok: true, value }
      } catch (err) {
        const error = err instanceof HostFailed ? err.failure : toFailure(err)
        this.emit({ type: 'host-failed', ...base, host, error })
        return { host, ok: false, error }
      }
    })
  }
}

export function poolInfo(pool: XapiPool, state: PoolState): PoolInfo {
  return { uuid: state.pool.uuid, name: state.pool.nameLabel, url: pool.url }
}

export function networkInfo(n: NetworkRecord): NetworkInfo {
  return {
    ref: n.ref,
    uuid: n.uuid,
    nameLabel: n.nameLabel,
    bridge: n.bridge,
    failMode: n.otherConfig[FAIL_MODE_KEY] ?? null,
  }
}

export function transportInfo(t: TransportEndpoint): TransportInfo {
  return { pifUuid: t.pifUuid, device: t.device, vlan: t.vlan, kind: t.kind, ip: t.ip, family: t.family }
}

export function checkConcurrency(value: number | undefined): number {
  const n = value ?? DEFAULT_CONCURRENCY
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY)
    throw new InvalidArgumentError('concurrency', String(value), `expected a whole number from 1 to ${MAX_CONCURRENCY}`)
  return n
}

export function checkWait(value: number | undefined): number {
  const n = value ?? 0
  if (!Number.isInteger(n) || n < 0 || n > MAX_WAIT_SECONDS)
    throw new InvalidArgumentError('wait', String(value), `expected whole seconds from 0 to ${MAX_WAIT_SECONDS}`)
  return n
}
