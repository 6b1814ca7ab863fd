/**
 * One authenticated session with a pool master, over the `xen-api` client: connect, call, read
 * the records the pool driver works from, close. Every failure comes out coded:
 * OVN_XAPI_UNREACHABLE, OVN_XAPI_CERTIFICATE, OVN_XAPI_AUTH_FAILED, OVN_XAPI_CALL_FAILED (with
 * XAPI's own code and params), OVN_TIMEOUT, OVN_XAPI_RECORD_INVALID.
 *
 * TLS certificates are verified unless the caller sets `allowUnauthorized`. The client watches no
 * events: the driver reads what it needs when it needs it.
 *
 * Closing leaves nothing open, so a command exits once its work is done. xen-api's `disconnect`
 * only fires `session.logout`; its HTTP dispatcher (an undici Agent) stays open, and a call that
 * timed out (a plugin that does not answer) is abandoned, not aborted: its request keeps a socket,
 * and the process, alive for the whole HTTP inactivity timeout (plugin timeout + 660 s). So
 * `close()` also closes that dispatcher: gracefully when no call was abandoned (the logout is
 * answered first); else it is destroyed and the session logged out over a fresh client
 * (test/integration/cli-plugin-timeout.test.ts).
 *
 * `xen-api` (and what it pulls in: ~170 ms of start-up) is loaded by `connect`, not by importing
 * this module: the package entry and the CLI import the pool side statically, and a northbound-only
 * process (`xapi-ovn switch ...`, `--help`, `import { nb } from 'xapi-ovn'`) never talks to XAPI.
 */
import type { Xapi, XapiOptions } from 'xen-api'
import { systemClock } from '../clock.js'
import { errorText } from '../error-text.js'
import { isRecord } from '../shape.js'
import { InvalidArgumentError, TimeoutError } from '../errors.js'
import { MAX_CONCURRENCY } from './run.js'
import { XapiAuthError, XapiCallError, XapiCertificateError, XapiUnreachableError } from './errors.js'
import {
  parseAllRecords,
  parseHost,
  parseHostMetrics,
  parseNetwork,
  parsePif,
  parsePool,
  type HostMetricsRecord,
  type HostRecord,
  type NetworkRecord,
  type PifRecord,
  type PoolRecord,
} from './records.js'

export interface ConnectOptions {
  /** The pool master: `https://host[:port]`, `http://host[:port]` or a bare host (HTTPS). */
  readonly url: string
  /** Default `root`. */
  readonly user?: string
  readonly password?: string
  /** An existing session instead of user/password. */
  readonly sessionId?: string
  /** Accept a TLS certificate that does not verify. Default false. */
  readonly allowUnauthorized?: boolean
  /** Wire protocol; default (absent or undefined) `auto`: JSON-RPC, XML-RPC on old hosts. */
  readonly transport?: 'auto' | 'json-rpc' | 'xml-rpc' | undefined
  /** Timeout of ordinary calls, ms (default 60 s). */
  readonly callTimeoutMs?: number
  /** Timeout of a host plugin call, ms, on top of any `wait` it is given (default 5 min). */
  readonly pluginTimeoutMs?: number
  /**
   * Calls in flight at once on this client (default `MAX_CONCURRENCY`, 256): xen-api queues any
   * more (its own default is 20), which would turn a run's window of hosts into waves.
   */
  readonly callConcurrency?: number
}

/** The part of a xen-api client the driver uses (tests of pure parts never need more). */
export interface XapiCaller {
  call(method: string, ...args: unknown[]): Promise<unknown>
  disconnect(): Promise<void>
}

/**
 * What `close()` does after the logout for a client `connect` made: release its HTTP dispatcher.
 * `abandoned`: some call timed out, so its request may still hold a socket.
 */
type ReleaseTransport = (abandoned: boolean) => Promise<void>

/** The part of an undici dispatcher `close()` needs. */
interface Dispatcher {
  close(): Promise<void>
  destroy(): Promise<void>
}

function isDispatcher(v: unknown): v is Dispatcher {
  return isRecord(v) && typeof v.close === 'function' && typeof v.destroy === 'function'
}

/**
 * xen-api's undici dispatcher. It has no public accessor: 4.7.6 keeps it as `_undiciDispatcher`
 * (node_modules/xen-api/index.mjs, the constructor; every transport is made with it). null when
 * a later version moves it: close() then does what xen-api alone does.
 */
function dispatcherOf(client: Xapi): Dispatcher | null {
  const d: unknown = Reflect.get(client, '_undiciDispatcher')
  return isDispatcher(d) ? d : null
}

/**
 * Close a dispatcher gracefully (its requests answered: the logout), destroying it after
 * `graceMs` if that is not done by then (an unresponsive master).
 */
async function closeDispatcher(d: Dispatcher, graceMs: number): Promise<void> {
  const settled = new AbortController()
  const closed = d.close().then(
    () => 'closed' as const,
    () => 'closed' as const,
  )
  const outcome = await Promise.race([closed, systemClock.sleep(graceMs, settled.signal).then(() => 'late' as const)])
  settled.abort()
  if (outcome === 'late') await d.destroy().catch(() => undefined)
}

/** Everything the driver reads about a pool, validated. Maps are keyed by ref. */
export interface PoolState {
  readonly pool: PoolRecord
  readonly hosts: ReadonlyMap<string, HostRecord>
  readonly metrics: ReadonlyMap<string, HostMetricsRecord>
  readonly pifs: ReadonlyMap<string, PifRecord>
  readonly networks: ReadonlyMap<string, NetworkRecord>
}

const DEFAULT_CALL_TIMEOUT_MS = 60_000
const DEFAULT_PLUGIN_TIMEOUT_MS = 5 * 60_000

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
])

/** The URL with any user:password@ replaced, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/)?[^/@]*@/i, (_m, scheme: string | undefined) => `${scheme ?? ''}***@`)
}

/**
 * Check and normalize a pool master URL to `scheme://host[:port]`. Credentials in the URL are
 * refused (they would end up in process listings and logs).
 */
export function normalizeXapiUrl(url: string): string {
  const shown = redactUrl(url)
  if (url.trim() === '') throw new InvalidArgumentError('url', '', 'the pool master URL is empty')
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`
  let parsed: URL
  try {
    parsed = new URL(withScheme)
  } catch {
    throw new InvalidArgumentError('url', shown, 'expected https://HOST[:PORT] (or http://)')
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new InvalidArgumentError('url', shown, 'only https:// and http:// are supported')
  if (parsed.username !== '' || parsed.password !== '')
    throw new InvalidArgumentError(
      'url',
      shown,
      'credentials do not belong in the URL: give the user and password separately',
    )
  if ((parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search !== '' || parsed.hash !== '')
    throw new InvalidArgumentError('url', shown, 'expected no path, query or fragment')
  if (parsed.hostname === '') throw new InvalidArgumentError('url', shown, 'no host')
  return `${parsed.protocol}//${parsed.host}`
}

function errorChain(err: unknown): Record<string, unknown>[] {
  const chain: Record<string, unknown>[] = []
  let e: unknown = err
  for (let i = 0; i < 6 && typeof e === 'object' && e !== null; i++) {
    chain.push(e as Record<string, unknown>)
    e = (e as { cause?: unknown }).cause
  }
  return chain
}

/** XAPI's code and params when `err` is an API error from xen-api (code + params array). */
export function apiErrorOf(err: unknown): { code: string; params: string[] } | null {
  if (typeof err !== 'object' || err === null) return null
  const { code, params } = err as { code?: unknown; params?: unknown }
  if (typeof code !== 'string' || !Array.isArray(params)) return null
  return { code, params: params.map((p) => (typeof p === 'string' ? p : (JSON.stringify(p) ?? String(p)))) }
}

/** Turn a transport-level failure (no API error) into a coded error. */
function transportError(err: unknown, url: string): XapiCertificateError | XapiUnreachableError | TimeoutError | null {
  for (const e of errorChain(err)) {
    const code = typeof e.code === 'string' ? e.code : undefined
    if (code !== undefined && TLS_CODES.has(code))
      return new XapiCertificateError(url, `${code}: ${errorText(e)}`, { cause: err })
  }
  for (const e of errorChain(err)) {
    const code = typeof e.code === 'string' ? e.code : undefined
    if (code !== undefined && (/^E[A-Z]+$/.test(code) || code.startsWith('UND_ERR') || code.startsWith('ERR_'))) {
      return new XapiUnreachableError(url, `${code}: ${errorText(e)}`, { cause: err })
    }
  }
  const first = errorChain(err)[0]
  if (first?.name === 'TimeoutError') return null
  if (typeof first?.message === 'string' && /^unexpect(ed)? statusCode/.test(first.message))
    return new XapiUnreachableError(url, first.message, { cause: err })
  return null
}

export class XapiPool {
  readonly url: string
  readonly user: string
  readonly #client: XapiCaller
  readonly #callTimeoutMs: number
  readonly #pluginTimeoutMs: number
  /** Set by `connect` for the client it made; an embedder's client is theirs to release. */
  readonly #release: ReleaseTransport | undefined
  /** Calls that timed out: their requests were abandoned, not aborted (xen-api has no abort). */
  #abandoned = 0
  #closed: Promise<void> | null = null

  /** Wrap an already connected client (embedders that run their own xen-api client). */
  constructor(
    client: XapiCaller,
    info: { url: string; user?: string; callTimeoutMs?: number; pluginTimeoutMs?: number },
    release?: ReleaseTransport,
  ) {
    this.#client = client
    this.#release = release
    this.url = info.url
    this.user = info.user ?? 'root'
    this.#callTimeoutMs = info.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS
    this.#pluginTimeoutMs = info.pluginTimeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS
  }

  /** How long a call of `method` with `args` may take, ms. */
  timeoutFor(method: string, args: readonly unknown[]): number {
    return callTimeoutMs(method, args, this.#callTimeoutMs, this.#pluginTimeoutMs)
  }

  /** Log in to the pool master. Rejects with a coded error; nothing is left open on failure. */
  static async connect(options: ConnectOptions): Promise<XapiPool> {
    const url = normalizeXapiUrl(options.url)
    const user = options.user ?? 'root'
    if (options.sessionId === undefined && options.password === undefined)
      throw new InvalidArgumentError('password', '', 'a password (or a session id) is required')
    const callMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS
    const pluginMs = options.pluginTimeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS
    const callConcurrency = options.callConcurrency ?? MAX_CONCURRENCY
    if (!Number.isInteger(callConcurrency) || callConcurrency < 1)
      throw new InvalidArgumentError('callConcurrency', String(callConcurrency), 'expected a whole number from 1')
    const { createClient } = await import('xen-api')
    const common: XapiOptions = {
      url,
      allowUnauthorized: options.allowUnauthorized === true,
      transport: options.transport ?? 'auto',
      watchEvents: false,
      // undici's Agent has no per-origin connection limit and xen-api makes one Agent per client
      // (node_modules/xen-api/index.mjs): this is the only limit on parallel calls.
      callConcurrency,
    }
    let client: Xapi
    try {
      client = createClient({
        ...common,
        auth:
          options.sessionId !== undefined
            ? { sessionId: options.sessionId }
            : { user, password: options.password ?? '' },
        // A plugin call may wait (verify wait=N) on top of its own work.
        callTimeout: (method: string, args: readonly unknown[]) => callTimeoutMs(method, args, callMs, pluginMs),
        // A plugin call may stay silent for its whole run (verify wait=N, at most 600 s).
        httpInactivityTimeout: pluginMs + 660_000,
      })
    } catch (err) {
      throw new InvalidArgumentError('url', redactUrl(options.url), errorText(err))
    }
    const dispatcher = dispatcherOf(client)
    const release: ReleaseTransport = async (abandoned) => {
      if (dispatcher === null) {
        await client.disconnect()
        return
      }
      if (!abandoned) {
        // The logout xen-api fires is answered before the dispatcher closes.
        await client.disconnect()
        await closeDispatcher(dispatcher, callMs)
        return
      }
      // A graceful close would wait for the abandoned requests: drop them (XAPI finishes their
      // work regardless), then log the session out over a client of its own.
      const sessionId = client.status === 'connected' ? client.sessionId : undefined
      await dispatcher.destroy().catch(() => undefined)
      await client.disconnect()
      if (sessionId === undefined) return
      const logout = createClient({
        ...common,
        auth: { sessionId },
        callTimeout: callMs,
        httpInactivityTimeout: callMs,
      })
      try {
        await logout.connect()
        await logout.disconnect()
      } catch {
        // the session expires on the master by itself
      } finally {
        const d = dispatcherOf(logout)
        if (d !== null) await closeDispatcher(d, callMs)
      }
    }
    try {
      await client.connect()
    } catch (err) {
      // A login that timed out is abandoned like any call.
      await release(errorChain(err)[0]?.name === 'TimeoutError').catch(() => undefined)
      const api = apiErrorOf(err)
      if (api?.code === 'SESSION_AUTHENTICATION_FAILED') throw new XapiAuthError(url, user, { cause: err })
      if (api !== null && api.code === 'SESSION_INVALID' && options.sessionId !== undefined)
        throw new XapiAuthError(url, '(session id)', { cause: err })
      if (api !== null) throw new XapiCallError('session.login_with_password', api.code, api.params, { cause: err })
      throw transportError(err, url) ?? new XapiUnreachableError(url, errorText(err), { cause: err })
    }
    return new XapiPool(client, { url, user, callTimeoutMs: callMs, pluginTimeoutMs: pluginMs }, release)
  }

  /** Call an XAPI method (the session is added by xen-api). Rejects with a coded error. */
  async call(method: string, ...args: unknown[]): Promise<unknown> {
    try {
      return await this.#client.call(method, ...args)
    } catch (err) {
      const api = apiErrorOf(err)
      if (api !== null && !/^(E[A-Z]+|UND_ERR.*|ERR_.*)$/.test(api.code))
        throw new XapiCallError(method, api.code, api.params, { cause: err })
      const first = errorChain(err)[0]
      if (first?.name === 'TimeoutError') {
        this.#abandoned += 1
        throw new TimeoutError(`XAPI ${method}`, Math.round(this.timeoutFor(method, args) / 1000))
      }
      throw (
        transportError(err, this.url) ??
        new XapiUnreachableError(this.url, `${method}: ${errorText(err)}`, { cause: err })
      )
    }
  }

  /** Pool, hosts, host metrics, PIFs and networks, validated. */
  async readState(): Promise<PoolState> {
    const [pools, hosts, metrics, pifs, networks] = await Promise.all([
      this.call('pool.get_all_records'),
      this.call('host.get_all_records'),
      this.call('host_metrics.get_all_records'),
      this.call('PIF.get_all_records'),
      this.call('network.get_all_records'),
    ])
    const poolMap = parseAllRecords('pool', pools, parsePool)
    const pool = [...poolMap.values()][0]
    if (pool === undefined) throw new XapiCallError('pool.get_all_records', 'NO_POOL', [])
    return {
      pool,
      hosts: parseAllRecords('host', hosts, parseHost),
      metrics: parseAllRecords('host_metrics', metrics, parseHostMetrics),
      pifs: parseAllRecords('PIF', pifs, parsePif),
      networks: parseAllRecords('network', networks, parseNetwork),
    }
  }

  /** Log out and release the HTTP connections, abandoned calls' too. Idempotent; never rejects. */
  close(): Promise<void> {
    this.#closed ??= (
      this.#release !== undefined ? this.#release(this.#abandoned > 0) : this.#client.disconnect()
    ).catch(() => undefined)
    return this.#closed
  }
}

/** A plugin call gets its own budget plus whatever `wait` it asks the plugin for. */
function callTimeoutMs(method: string, args: readonly unknown[], callMs: number, pluginMs: number): number {
  return method === 'host.call_plugin' ? pluginMs + pluginWaitMs(args) : callMs
}

function pluginWaitMs(args: readonly unknown[]): number {
  const map = args[args.length - 1]
  if (!isRecord(map)) return 0
  const wait = map.wait
  return typeof wait === 'string' && /^[0-9]{1,6}$/.test(wait) ? Number(wait) * 1000 : 0
}
