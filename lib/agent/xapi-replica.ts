/**
 * The agent's copy of the XAPI objects it plans from (pool, hosts, networks, VMs, VIFs), fed by
 * `event.from` (xapi-events-io.ts). Each event's snapshot is validated with the pool driver's
 * record parsers (lib/pool/records.ts); a record that does not parse keeps the last good copy of
 * that object (or, if there is none, is left out) and is reported, so one odd record never makes
 * the agent delete the port of a VIF it merely failed to read.
 *
 * Event shapes are XAPI's (xen-api ocaml/xapi/xapi_event.ml): `{id, timestamp, class, operation:
 * add|mod|del, ref, snapshot}`; class names are lower case on the wire (`vif`, `vm`).
 */
import { XapiOvnError } from '../errors.js'
import { XapiRecordError } from '../pool/errors.js'
import {
  parseHost,
  parseNetwork,
  parsePool,
  parseVif,
  parseVm,
  type HostRecord,
  type NetworkRecord,
  type PoolRecord,
  type VifRecord,
  type VmRecord,
} from '../pool/records.js'
import { isRecord, isString } from '../shape.js'
import type { XapiView } from './plan-desired.js'

/** The classes the agent asks event.from for (XAPI's names). */
export const WATCHED_CLASSES = ['pool', 'host', 'network', 'VM', 'VIF'] as const

export interface XapiEvent {
  readonly cls: string
  readonly operation: 'add' | 'mod' | 'del'
  readonly ref: string
  readonly snapshot: unknown
  /** Seconds since the epoch XAPI stamped the event with, if it parsed. */
  readonly timestamp: number | null
}

/** One event.from answer: events and the next token. Anything else is a XapiRecordError. */
export function parseEventBatch(raw: unknown): { events: XapiEvent[]; token: string } {
  if (!isRecord(raw) || !Array.isArray(raw.events) || !isString(raw.token))
    throw new XapiRecordError('event', '(from)', '(answer)', 'expected {events, token}')
  const events = raw.events.map((e: unknown, i: number): XapiEvent => {
    if (!isRecord(e)) throw new XapiRecordError('event', `#${i}`, '(event)', 'is not a record')
    const { class: cls, operation, ref } = e
    if (!isString(cls) || !isString(ref) || (operation !== 'add' && operation !== 'mod' && operation !== 'del'))
      throw new XapiRecordError('event', `#${i}`, '(event)', 'expected class, ref and operation add|mod|del')
    return { cls: cls.toLowerCase(), operation, ref, snapshot: e.snapshot, timestamp: eventTime(e.timestamp) }
  })
  return { events, token: raw.token }
}

/** XAPI's datetime: ISO 8601 basic ("20261202T00:35:07Z") or extended; xen-api may hand a Date or seconds. */
function eventTime(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v
  if (v instanceof Date) return v.getTime() / 1000
  if (!isString(v)) return null
  const m = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(?:\.\d+)?Z?$/.exec(v)
  if (m === null) return null
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000
}

export interface ReplicaProblem {
  readonly cls: string
  readonly ref: string
  /** The object's uuid when the bad snapshot still had one (a VIF's port is then protected). */
  readonly uuid: string | null
  readonly error: XapiOvnError
}

export class XapiReplica {
  #pool: PoolRecord | null = null
  readonly #hosts = new Map<string, HostRecord>()
  readonly #networks = new Map<string, NetworkRecord>()
  readonly #vms = new Map<string, VmRecord>()
  readonly #vifs = new Map<string, VifRecord>()
  readonly #problems = new Map<string, ReplicaProblem>()

  /** Forget everything (before a full re-read: start, EVENTS_LOST, reconnect). */
  clear(): void {
    this.#pool = null
    for (const m of [this.#hosts, this.#networks, this.#vms, this.#vifs, this.#problems]) m.clear()
  }

  /** Apply one event; true when it may change a plan (a watched class). */
  apply(e: XapiEvent): boolean {
    const table = e.cls === 'pool' ? null : this.#table(e.cls)
    if (e.cls !== 'pool' && table === null) return false
    const key = `${e.cls}/${e.ref}`
    if (e.operation === 'del') {
      if (table === null) this.#pool = null
      else table.delete(e.ref)
      this.#problems.delete(key)
      return true
    }
    try {
      if (e.cls === 'pool') this.#pool = parsePool(e.ref, e.snapshot)
      else if (e.cls === 'host') this.#hosts.set(e.ref, parseHost(e.ref, e.snapshot))
      else if (e.cls === 'network') this.#networks.set(e.ref, parseNetwork(e.ref, e.snapshot))
      else if (e.cls === 'vm') this.#vms.set(e.ref, parseVm(e.ref, e.snapshot))
      else this.#vifs.set(e.ref, parseVif(e.ref, e.snapshot))
      this.#problems.delete(key)
    } catch (err) {
      if (!(err instanceof XapiOvnError)) throw err
      const uuid = isRecord(e.snapshot) && isString(e.snapshot.uuid) ? e.snapshot.uuid : null
      this.#problems.set(key, { cls: e.cls, ref: e.ref, uuid, error: err })
    }
    return true
  }

  #table(cls: string): Map<string, unknown> | null {
    if (cls === 'host') return this.#hosts
    if (cls === 'network') return this.#networks
    if (cls === 'vm') return this.#vms
    if (cls === 'vif') return this.#vifs
    return null
  }

  get pool(): PoolRecord | null {
    return this.#pool
  }

  get problems(): readonly ReplicaProblem[] {
    return [...this.#problems.values()]
  }

  /**
   * The view the planners read, or null while the pool record is unknown. The maps are the
   * replica's own, not copies: a pass plans from them synchronously (agent.ts: planDesired runs
   * before the pass first awaits), so no event lands in between, and copying 5,000 VMs and VIFs
   * per pass was garbage for nothing.
   */
  view(): XapiView | null {
    if (this.#pool === null) return null
    return {
      poolUuid: this.#pool.uuid,
      hosts: this.#hosts,
      networks: this.#networks,
      vms: this.#vms,
      vifs: this.#vifs,
    }
  }

  vifs(): IterableIterator<VifRecord> {
    return this.#vifs.values()
  }

  get counts(): { hosts: number; networks: number; vms: number; vifs: number } {
    return { hosts: this.#hosts.size, networks: this.#networks.size, vms: this.#vms.size, vifs: this.#vifs.size }
  }
}
