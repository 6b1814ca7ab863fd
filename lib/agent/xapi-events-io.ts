/**
 * Follow one XAPI session's events for the agent: `event.from` on the watched classes, long-poll.
 *
 * XAPI's contract (xen-api ocaml/xapi/xapi_event.ml, and xen-api's own `_watchEvents` in
 * node_modules/xen-api/index.mjs which does the same): the empty token returns every current
 * object of the classes; the token of each answer returns what changed since; `EVENTS_LOST` says
 * the token is too old and everything must be read again. The timeout must go as a float (an
 * XML-RPC <double>): `timeoutS + 0.1`, as xen-api sends it.
 *
 * Every full read builds a NEW replica and hands it over only when applied completely, so the
 * planners never see a pool half read. Returns when `signal` aborts; throws (a coded error of
 * lib/pool/connection.ts) when the session is lost, and the caller logs in again — which always
 * starts with a full read, as the issue asks ("reconcile fully after any reconnect").
 */
import type { OvsdbLogger } from '../ovsdb/client.js'
import { XapiCallError } from '../pool/errors.js'
import { WATCHED_CLASSES, XapiReplica, parseEventBatch } from './xapi-replica.js'

export const ABORTED: unique symbol = Symbol('aborted')

export interface XapiEventCaller {
  call(method: string, ...args: unknown[]): Promise<unknown>
}

export interface FollowOptions {
  readonly signal: AbortSignal
  /** event.from's timeout, s. */
  readonly timeoutS: number
  /** A complete new copy of the pool (start, EVENTS_LOST). */
  onFullRead(replica: XapiReplica): void
  /** Events applied to the current copy, by class; the largest lag (s) XAPI's timestamps show, or null. */
  onEvents(byClass: ReadonlyMap<string, number>, lagS: number | null): void
  readonly log: OvsdbLogger
  /** Seconds since the epoch (the injected clock). */
  readonly now?: () => number
}

export async function followXapi(xapi: XapiEventCaller, o: FollowOptions): Promise<void> {
  const now = o.now ?? (() => Date.now() / 1000)
  let token = ''
  let replica: XapiReplica | null = null
  while (!o.signal.aborted) {
    let raw: unknown
    try {
      const call = xapi.call('event.from', [...WATCHED_CLASSES], token, token === '' ? 0.0001 : o.timeoutS + 0.1)
      raw = await untilAborted(call, o.signal)
      if (raw === ABORTED) return
    } catch (err) {
      if (err instanceof XapiCallError && err.xapiCode === 'EVENTS_LOST') {
        o.log.warn('XAPI lost our events (EVENTS_LOST): reading everything again')
        token = ''
        replica = null
        continue
      }
      throw err
    }
    if (o.signal.aborted) return
    const batch = parseEventBatch(raw)
    token = batch.token
    if (replica === null) {
      const fresh = new XapiReplica()
      for (const e of batch.events) fresh.apply(e)
      replica = fresh
      o.log.info('XAPI read', { ...fresh.counts, problems: fresh.problems.length })
      o.onFullRead(fresh)
      continue
    }
    const byClass = new Map<string, number>()
    let lag: number | null = null
    const t = now()
    for (const e of batch.events) {
      if (replica.apply(e)) byClass.set(e.cls, (byClass.get(e.cls) ?? 0) + 1)
      if (e.timestamp !== null) lag = Math.max(lag ?? 0, t - e.timestamp)
    }
    if (byClass.size > 0) o.onEvents(byClass, lag)
  }
}

/**
 * `call`'s outcome, or ABORTED as soon as `signal` aborts. A long poll is not abortable on the
 * wire: stopping answers at once, and the caller's logout ends the request. The abort listener
 * is removed when the call settles: a `Promise.race` against one never-settling "aborted"
 * promise kept a reaction, and with it every answer (5,000 VIF refs each), for the whole run
 * (the agent's RSS grew ~0.5 MB per event; found in a heap snapshot of bench/agent-pool.ts).
 */
export function untilAborted<T>(call: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  call.catch(() => undefined)
  if (signal.aborted) return Promise.resolve(ABORTED)
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(ABORTED)
    signal.addEventListener('abort', onAbort, { once: true })
    call.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}
