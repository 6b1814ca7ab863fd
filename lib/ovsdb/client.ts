/**
 * `OvsdbClient`: one JSON-RPC connection to an ovsdb-server (RFC 7047 section 4).
 *
 * Public API (what callers use; see index.ts for the full list of exports). The `_Server` rule
 * is in server-database.ts, the monitor wire shapes in monitor.ts; this file is the connection
 * and its RPC:
 *
 *   const client = await OvsdbClient.connect('unix:/var/run/openvswitch/db.sock', { timeoutMs: 5000 })
 *   const [res] = await client.transact('Open_vSwitch', [op.select('Bridge', [['name', '==', 'xapi1']])])
 *   await client.close()
 *
 * - Operations are built with `op.insert/select/update/mutate/delete/wait/commit/abort/comment/assert`
 *   (operations.ts, pure data). `transact(db, ops)` sends them as ONE transaction and returns one
 *   typed result per operation (`{uuid}`, `{rows}`, `{count}`, `{}`); if any operation or the
 *   commit failed it throws `TransactionError` (a failed `wait`: `OvsdbWaitFailedError`).
 * - Values in results are decoded with the database's schema (fetched once per database per
 *   connection with get_schema), so set-typed columns are always `OvsdbSet`; pass
 *   `{ typedDecode: false }` to skip that round trip and get the literal wire shapes.
 * - Several remotes (array or comma-separated): tried in order. With `database`, a server whose
 *   `_Server.Database` row says the clustered database is not connected to its cluster is
 *   skipped; with `leaderOnly: true` (needs `database`) so is any server that is not the leader.
 *   If none works: OvsdbUnavailableError listing every remote's reason. Once connected with
 *   `database`, the client keeps monitoring that row and drops the connection (OvsdbUnavailableError,
 *   'close' event) when the server stops being usable — e.g. the leader lost its leadership — so
 *   callers reconnect rather than keep talking to a stale server. There is no automatic reconnect.
 * - The server's `echo` requests (inactivity probes) are answered; `echo()` probes the server;
 *   `messagesReceived` counts what arrived, so a caller can tell an idle connection (session.ts).
 * - `monitorCondSince` (ovsdb-server(7) "monitor_cond_since", `update3` with the last transaction
 *   id) lets a reconnect resume a monitor without a full dump; `monitorCondChange` changes a
 *   monitor's conditions in place. Automatic reconnect, monitors that survive it, inactivity
 *   probes and locks kept across reconnects are lib/ovsdb/session.ts (`OvsdbSession`).
 * - Every request has a timeout (default 10 s, `timeoutMs` per client or per call):
 *   OvsdbRequestTimeoutError; the connection stays usable and a late reply is dropped.
 * - `close()` rejects pending requests, flushes and ends the connection; `destroy(err)` rejects
 *   them with `err` and drops the connection at once. Both are idempotent and return the same
 *   promise. When the connection ends for any reason, pending requests are rejected with
 *   OvsdbUnavailableError and the client emits `'close'` (with the error, if any).
 * - Nothing is ever printed; pass `logger` ({debug, info, warn, error}) for diagnostics.
 */
import { EventEmitter } from 'node:events'
import type net from 'node:net'
import { errorText } from '../error-text.js'
import { OvsdbUnavailableError, InvalidArgumentError, XapiOvnError } from '../errors.js'
import {
  OvsdbProtocolError,
  OvsdbRequestTimeoutError,
  OvsdbUnknownDatabaseError,
  ovsdbErrorFromWire,
} from './errors.js'
import { JsonStreamDecoder, encodeMessage } from './json-stream.js'
import { decodeTableUpdates, encodeMonitorCondChanges, encodeMonitorRequests } from './monitor.js'
import type { MonitorCondChange, MonitorCondRequest, MonitorRequest, TableUpdates, TableUpdates2 } from './monitor.js'
import { encodeTransact } from './operations.js'
import type { Operation, ResultsOf } from './operations.js'
import { formatRemote, openSocket, parseRemotes } from './remote.js'
import type { Remote, SslOptions } from './remote.js'
import { decodeTransactResults } from './results.js'
import { parseDatabaseSchema } from './schema.js'
import type { DatabaseSchema } from './schema.js'
import { isRecord, isStringArray } from '../shape.js'
import {
  WATCHED_SERVER_COLUMNS,
  selectServerDatabase,
  serverDatabaseFromRow,
  serverUpdateProblems,
  usabilityProblem,
  type ServerDatabase,
} from './server-database.js'

export const DEFAULT_TIMEOUT_MS = 10_000

export interface OvsdbLogger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

export interface OvsdbClientOptions {
  /** Per-request timeout in ms (default 10000). */
  readonly timeoutMs?: number
  /** Connect timeout per remote in ms (default: timeoutMs). */
  readonly connectTimeoutMs?: number
  /** Key, certificate and CA for ssl: remotes. */
  readonly ssl?: SslOptions
  /** The database we are here for: enables the `_Server` checks when connecting. */
  readonly database?: string
  /** Only accept the cluster leader for `database` (default false). */
  readonly leaderOnly?: boolean
  /** Largest accepted message (default 64 MiB). */
  readonly maxMessageBytes?: number
  /** Decode results and updates with the schema's column types (default true). */
  readonly typedDecode?: boolean
  readonly logger?: OvsdbLogger
}

export interface RequestOptions {
  /** Overrides the client's timeoutMs for this call. */
  readonly timeoutMs?: number
}

export interface TransactOptions extends RequestOptions {
  /**
   * Called once the transact request itself was written to the connection: from then on a lost
   * connection leaves the commit in doubt (lib/ovsdb/session.ts tells the two apart with it).
   */
  readonly onSent?: () => void
}

export interface MonitorOptions extends RequestOptions {
  /** Called if a notification cannot be decoded or the update handler throws (default: log). */
  readonly onError?: (err: unknown) => void
}

export interface Monitor<U> {
  /** The monitor id we chose (the `json-value` of RFC 7047). */
  readonly id: string
  readonly db: string
  /** The initial contents the monitor request returned. */
  readonly initial: U
  /** monitor_cancel; idempotent. */
  cancel(options?: RequestOptions): Promise<void>
}

/**
 * A monitor_cond_since monitor (ovsdb-server(7)): `found` says whether the server still had the
 * transaction `lastTxnId` we passed, in which case `initial` holds only the changes since then
 * (insert/modify/delete); otherwise `initial` is the full contents (`initial` members).
 */
export interface MonitorSince extends Monitor<TableUpdates2> {
  readonly found: boolean
  /** The id of the last transaction `initial` reflects (all zeros: the server keeps no history). */
  readonly lastTxnId: string
}

/** monitor_cond_since's `last-txn-id` when there is none: asks for the full contents. */
export const ZERO_TXN_ID = '00000000-0000-0000-0000-000000000000'

interface Pending {
  readonly method: string
  readonly resolve: (result: unknown) => void
  readonly reject: (err: unknown) => void
  readonly timer: ReturnType<typeof setTimeout>
}

interface MonitorEntry {
  readonly db: string
  readonly version: 1 | 2 | 3
  /** `txnId`: update3's last-txn-id, already checked to be a UUID string. */
  readonly onUpdate: (updates: never, txnId: string | undefined) => void
  readonly onError: (err: unknown) => void
}

const NOOP_LOGGER: OvsdbLogger = { debug() {}, info() {}, warn() {}, error() {} }

export class OvsdbClient extends EventEmitter {
  /** The remote this client is connected to, in OVS syntax. */
  readonly remote: string
  private readonly socket: net.Socket
  private readonly decoder: JsonStreamDecoder
  private readonly timeoutMs: number
  private readonly typedDecode: boolean
  private readonly logger: OvsdbLogger
  private readonly pending = new Map<number, Pending>()
  private readonly monitors = new Map<string, MonitorEntry>()
  private readonly schemas = new Map<string, Promise<DatabaseSchema>>()
  private nextId = 1
  private nextMonitor = 1
  private received = 0
  private state: 'open' | 'closed' = 'open'
  private closePromise: Promise<void> | undefined
  private socketClosed: Promise<void>

  private constructor(remote: string, socket: net.Socket, options: OvsdbClientOptions) {
    super()
    this.remote = remote
    this.socket = socket
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.typedDecode = options.typedDecode ?? true
    this.logger = options.logger ?? NOOP_LOGGER
    this.decoder = new JsonStreamDecoder(
      options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes },
    )
    if ('setNoDelay' in socket && typeof socket.setNoDelay === 'function') socket.setNoDelay(true)
    this.socketClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (err) => this.fail(new OvsdbUnavailableError(this.remote, err.message, { cause: err })))
    socket.on('end', () => this.fail(new OvsdbUnavailableError(this.remote, 'connection closed by the server')))
    socket.on('close', () => this.fail(new OvsdbUnavailableError(this.remote, 'connection closed')))
  }

  /**
   * Connect to the first usable remote of `remote` (a string, possibly comma-separated, or an
   * array). See the module comment for `database` / `leaderOnly`.
   */
  static async connect(remote: string | readonly string[], options: OvsdbClientOptions = {}): Promise<OvsdbClient> {
    const remotes = parseRemotes(remote)
    if (options.leaderOnly && !options.database)
      throw new InvalidArgumentError('leaderOnly', 'true', 'needs the database option (whose leader?)')
    const logger = options.logger ?? NOOP_LOGGER
    const failures: string[] = []
    let lastError: unknown
    for (const r of remotes) {
      const name = formatRemote(r)
      let client: OvsdbClient
      try {
        client = await OvsdbClient.open(r, options)
      } catch (err) {
        if (err instanceof InvalidArgumentError) throw err
        lastError = err
        failures.push(`${name}: ${reasonOf(err)}`)
        logger.debug('ovsdb: cannot connect', { remote: name, reason: reasonOf(err) })
        continue
      }
      if (options.database === undefined) return client
      try {
        const skip = await client.whyNotUsable(options.database, options.leaderOnly ?? false)
        if (skip === undefined) {
          await client.watchServerDatabase(options.database, options.leaderOnly ?? false)
          if (!client.closed) return client
          failures.push(`${name}: changed state while connecting`)
          continue
        }
        failures.push(`${name}: ${skip}`)
        logger.debug('ovsdb: skipping server', { remote: name, reason: skip })
      } catch (err) {
        lastError = err
        failures.push(`${name}: ${reasonOf(err)}`)
      }
      await client.destroy()
    }
    const all = remotes.map(formatRemote).join(',')
    throw new OvsdbUnavailableError(all, failures.join('; '), { cause: lastError })
  }

  private static async open(remote: Remote, options: OvsdbClientOptions): Promise<OvsdbClient> {
    const socket = await openSocket(remote, {
      connectTimeoutMs: options.connectTimeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(options.ssl ? { ssl: options.ssl } : {}),
    })
    return new OvsdbClient(formatRemote(remote), socket, options)
  }

  /** Why this server should not be used for `db` (undefined: fine). */
  private async whyNotUsable(db: string, leaderOnly: boolean): Promise<string | undefined> {
    let info: ServerDatabase | undefined
    try {
      info = await this.serverDatabase(db)
    } catch (err) {
      // A server without _Server (before OVS 2.9) serves standalone databases only.
      if (err instanceof OvsdbUnknownDatabaseError) return undefined
      throw err
    }
    return usabilityProblem(db, info, leaderOnly)
  }

  /**
   * Keep watching `_Server.Database` for `db`: if the server loses leadership (leaderOnly), loses
   * its cluster, or stops serving the database, drop the connection (OvsdbUnavailableError, the
   * 'close' event) so that the caller reconnects to a server that is fine.
   */
  private async watchServerDatabase(db: string, leaderOnly: boolean): Promise<void> {
    const check = (updates: TableUpdates): void => {
      const [problem] = serverUpdateProblems(updates, db, leaderOnly)
      if (problem !== undefined) this.fail(new OvsdbUnavailableError(this.remote, problem))
    }
    try {
      const mon = await this.monitor('_Server', { Database: { columns: [...WATCHED_SERVER_COLUMNS] } }, check)
      check(mon.initial) // closes the window between whyNotUsable() and the monitor
    } catch (err) {
      if (err instanceof OvsdbUnknownDatabaseError) return
      throw err
    }
  }

  /** True once close() or destroy() was called or the connection broke. */
  get closed(): boolean {
    return this.state === 'closed'
  }

  /** How many messages (replies, notifications, requests) arrived so far: traffic, for idle checks. */
  get messagesReceived(): number {
    return this.received
  }

  // ---------------------------------------------------------------------------------------------
  // RFC 7047 methods

  /** list_dbs */
  async listDbs(options: RequestOptions = {}): Promise<string[]> {
    const result = await this.request('list_dbs', [], options)
    if (!isStringArray(result)) throw this.protocol('list_dbs result is not an array of strings')
    return [...result]
  }

  /** get_schema, parsed; cached per database for the life of the connection. */
  getSchema(db: string, options: RequestOptions = {}): Promise<DatabaseSchema> {
    let p = this.schemas.get(db)
    if (!p) {
      p = this.request('get_schema', [db], options).then(parseDatabaseSchema)
      this.schemas.set(db, p)
      p.catch(() => this.schemas.delete(db))
    }
    return p
  }

  /**
   * transact: run `ops` as one transaction on `db`. Returns one result per operation. Throws
   * TransactionError / OvsdbWaitFailedError when an operation or the commit failed (nothing is
   * written then), OvsdbError subclasses for JSON-RPC level errors ("unknown database", "canceled").
   */
  async transact<const Ops extends readonly Operation[]>(
    db: string,
    ops: Ops,
    options: TransactOptions = {},
  ): Promise<ResultsOf<Ops>> {
    // With the schema (typedDecode, the default) values are encoded as their columns say: a real
    // column takes numbers beyond 2^53 (operations.ts ColumnTypes), results decode with set types.
    const schemaOptions: RequestOptions = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }
    const schema = this.typedDecode ? await this.getSchema(db, schemaOptions) : undefined
    const params = encodeTransact(
      db,
      ops,
      schema === undefined ? undefined : (table, column) => schema.tables.get(table)?.columns.get(column)?.type,
    )
    const raw = await this.request('transact', params, options)
    try {
      return decodeTransactResults(ops, raw, schema, `${this.remote} transact on ${db}`)
    } catch (err) {
      if (err instanceof XapiOvnError) throw err
      throw this.protocol(`transact on ${db}: ${reasonOf(err)}`)
    }
  }

  /** monitor (RFC 7047 4.1.5): `update` notifications go to `onUpdate`. */
  async monitor(
    db: string,
    requests: Readonly<Record<string, MonitorRequest | readonly MonitorRequest[]>>,
    onUpdate: (updates: TableUpdates) => void,
    options: MonitorOptions = {},
  ): Promise<Monitor<TableUpdates>> {
    const m = await this.startMonitor('monitor', 1, db, requests, onUpdate, undefined, options)
    return m.monitor
  }

  /** monitor_cond (RFC 7047bis / ovsdb-server(7)): `update2` notifications go to `onUpdate`. */
  async monitorCond(
    db: string,
    requests: Readonly<Record<string, MonitorCondRequest | readonly MonitorCondRequest[]>>,
    onUpdate: (updates: TableUpdates2) => void,
    options: MonitorOptions = {},
  ): Promise<Monitor<TableUpdates2>> {
    const m = await this.startMonitor('monitor_cond', 2, db, requests, onUpdate, undefined, options)
    return m.monitor
  }

  /**
   * monitor_cond_since (ovsdb-server(7)): like monitor_cond, but passes `lastTxnId` (the last
   * transaction id an earlier monitor of ours saw; ZERO_TXN_ID for none). If the server still has
   * it in its history (clustered databases only keep one; a standalone server always answers
   * `found: false`), `initial` holds just the changes since. `update3` notifications go to
   * `onUpdate` with the id of the transaction they bring. A server that does not know the method
   * answers OvsdbUnknownMethodError (callers fall back to monitorCond).
   */
  async monitorCondSince(
    db: string,
    requests: Readonly<Record<string, MonitorCondRequest | readonly MonitorCondRequest[]>>,
    lastTxnId: string,
    onUpdate: (updates: TableUpdates2, lastTxnId: string) => void,
    options: MonitorOptions = {},
  ): Promise<MonitorSince> {
    if (!TXN_ID.test(lastTxnId)) throw new InvalidArgumentError('lastTxnId', lastTxnId, 'a transaction id is a UUID')
    const {
      monitor,
      found,
      lastTxnId: last,
    } = await this.startMonitor<TableUpdates2>(
      'monitor_cond_since',
      3,
      db,
      requests,
      (u, txnId) => onUpdate(u, txnId ?? ZERO_TXN_ID),
      lastTxnId,
      options,
    )
    return { ...monitor, found: found ?? false, lastTxnId: last ?? ZERO_TXN_ID }
  }

  /**
   * monitor_cond_change (RFC 7047 extension, ovsdb-server(7)): replace the conditions of a
   * monitor_cond / monitor_cond_since monitor of this connection, table by table (only tables the
   * monitor has; columns cannot change). The monitor keeps its id. The server sends the difference
   * (rows that now match: insert; rows that no longer do: delete) as an ordinary update to the
   * monitor's handler, before it replies.
   */
  async monitorCondChange(
    id: string,
    changes: Readonly<Record<string, MonitorCondChange | readonly MonitorCondChange[]>>,
    options: RequestOptions = {},
  ): Promise<void> {
    if (!this.monitors.has(id)) throw new InvalidArgumentError('monitor', id, 'no such monitor on this connection')
    const result = await this.request('monitor_cond_change', [id, id, encodeMonitorCondChanges(changes)], options)
    if (!isRecord(result)) throw this.protocol('monitor_cond_change result is not an object')
  }

  private async startMonitor<U>(
    method: 'monitor' | 'monitor_cond' | 'monitor_cond_since',
    version: 1 | 2 | 3,
    db: string,
    requests: Readonly<Record<string, MonitorCondRequest | readonly MonitorCondRequest[]>>,
    onUpdate: (updates: U, txnId: string | undefined) => void,
    lastTxnId: string | undefined,
    options: MonitorOptions,
  ): Promise<{ monitor: Monitor<U>; found?: boolean; lastTxnId?: string }> {
    const wireRequests = encodeMonitorRequests(requests)
    const schema = this.typedDecode ? await this.getSchema(db, options) : undefined
    const id = `m${this.nextMonitor++}`
    // update3 carries <table-updates2>: the same decoding as monitor_cond's update2.
    const shape = version === 1 ? 1 : 2
    const onError =
      options.onError ??
      ((err: unknown) => this.logger.error('ovsdb: monitor update failed', { monitor: id, db, error: reasonOf(err) }))
    const entry: MonitorEntry = {
      db,
      version,
      onUpdate: (raw: never, txnId) => onUpdate(decodeTableUpdates(raw, shape, schema, this.remote) as U, txnId),
      onError,
    }
    // Registered before sending, so no notification that follows the reply can be missed.
    this.monitors.set(id, entry)
    let initialRaw: unknown
    try {
      const params = lastTxnId === undefined ? [db, id, wireRequests] : [db, id, wireRequests, lastTxnId]
      initialRaw = await this.request(method, params, options)
    } catch (err) {
      this.monitors.delete(id)
      throw err
    }
    let initial: U
    let since: { found: boolean; lastTxnId: string } | undefined
    try {
      if (version === 3) {
        // The reply is [found, last-txn-id, table-updates2].
        if (!Array.isArray(initialRaw) || initialRaw.length !== 3) {
          throw this.protocol('monitor_cond_since result is not [found, last-txn-id, updates]')
        }
        const [found, last, updates] = initialRaw
        if (typeof found !== 'boolean' || typeof last !== 'string' || !TXN_ID.test(last)) {
          throw this.protocol('monitor_cond_since result: found must be a boolean, last-txn-id a UUID')
        }
        since = { found, lastTxnId: last }
        initialRaw = updates
      }
      initial = decodeTableUpdates(initialRaw, shape, schema, this.remote) as U
    } catch (err) {
      // Do not leave a monitor running that nobody can cancel.
      this.monitorCancel(id).catch(() => undefined)
      throw err
    }
    let cancelled: Promise<void> | undefined
    const monitor: Monitor<U> = {
      id,
      db,
      initial,
      cancel: (opts: RequestOptions = {}) => {
        // A closed connection has no monitors left: nothing to cancel.
        cancelled ??= this.state === 'open' ? this.monitorCancel(id, opts) : Promise.resolve()
        return cancelled
      },
    }
    return { monitor, ...since }
  }

  /**
   * lock (RFC 7047 4.1.8): `{locked: true}` when this session now owns `id`; `{locked: false}`
   * when another session owns it, in which case the server sends `locked` when ours becomes the
   * owner (the client emits `'locked', id`). One writer among several agents on one database
   * uses this: the server arbitrates, nobody elects. Lock ids follow the <id> syntax.
   */
  async lock(id: string, options: RequestOptions = {}): Promise<{ locked: boolean }> {
    return lockReply('lock', await this.request('lock', [checkLockId(id)], options))
  }

  /**
   * steal (RFC 7047 4.1.9): take `id` from whoever holds it (that session is sent `stolen`, and
   * this client emits `'stolen', id` when it is the one robbed). Always `{locked: true}`.
   */
  async steal(id: string, options: RequestOptions = {}): Promise<{ locked: boolean }> {
    return lockReply('steal', await this.request('steal', [checkLockId(id)], options))
  }

  /** unlock (RFC 7047 4.1.10): give `id` up, or stop waiting for it. */
  async unlock(id: string, options: RequestOptions = {}): Promise<void> {
    await this.request('unlock', [checkLockId(id)], options)
  }

  /** monitor_cancel. Updates for the monitor stop being delivered at once. */
  async monitorCancel(id: string, options: RequestOptions = {}): Promise<void> {
    this.monitors.delete(id)
    await this.request('monitor_cancel', [id], options)
  }

  /** echo: the server returns the params; resolves with them. */
  async echo(params: readonly unknown[] = [], options: RequestOptions = {}): Promise<unknown[]> {
    const result = await this.request('echo', [...params], options)
    if (!Array.isArray(result)) throw this.protocol('echo result is not an array')
    return result
  }

  /** The `_Server.Database` row for `db`, or undefined if this server does not serve it. */
  async serverDatabase(db: string, options: RequestOptions = {}): Promise<ServerDatabase | undefined> {
    const [res] = await this.transact('_Server', [selectServerDatabase(db)], options)
    const row = res.rows[0]
    return row ? serverDatabaseFromRow(row) : undefined
  }

  /**
   * Send any JSON-RPC request and resolve with its `result` (raw JSON). A JSON-RPC `error` is
   * thrown as the matching OvsdbError subclass. Prefer the typed methods above.
   */
  request(method: string, params: readonly unknown[], options: TransactOptions = {}): Promise<unknown> {
    if (this.state !== 'open') return Promise.reject(new OvsdbUnavailableError(this.remote, 'the client is closed'))
    const id = this.nextId++
    const timeoutMs = options.timeoutMs ?? this.timeoutMs
    let text: string
    try {
      text = encodeMessage({ method, params, id })
    } catch (err) {
      return Promise.reject(err)
    }
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) {
          this.logger.warn('ovsdb: request timed out', { remote: this.remote, method, id, timeoutMs })
          reject(new OvsdbRequestTimeoutError(method, timeoutMs, this.remote))
        }
      }, timeoutMs)
      this.pending.set(id, { method, resolve, reject, timer })
      this.logger.debug('ovsdb: send', { remote: this.remote, method, id })
      this.socket.write(text)
      options.onSent?.()
    })
  }

  // ---------------------------------------------------------------------------------------------
  // Incoming messages

  private onData(chunk: Buffer): void {
    if (this.state !== 'open') return
    let messages: unknown[]
    try {
      messages = this.decoder.push(chunk)
    } catch (err) {
      this.fail(new OvsdbUnavailableError(this.remote, reasonOf(err), { cause: err }))
      return
    }
    for (const m of messages) {
      if (this.state !== 'open') return
      this.received++
      try {
        this.onMessage(m)
      } catch (err) {
        this.fail(new OvsdbUnavailableError(this.remote, reasonOf(err), { cause: err }))
        return
      }
    }
  }

  private onMessage(m: unknown): void {
    if (!isRecord(m)) throw this.protocol('a message must be a JSON object')
    const msg = m
    if (typeof msg.method === 'string') {
      const params = Array.isArray(msg.params) ? msg.params : []
      if (msg.id !== null && msg.id !== undefined) {
        // A request from the server: only echo (inactivity probe) is defined for clients.
        if (msg.method === 'echo') {
          this.logger.debug('ovsdb: answering echo', { remote: this.remote })
          this.send({ id: msg.id, result: params, error: null })
        } else {
          this.send({ id: msg.id, result: null, error: 'unknown method' })
        }
        return
      }
      this.onNotification(msg.method, params)
      return
    }
    if (!('id' in msg)) throw this.protocol('a message has neither method nor id')
    const id = msg.id
    const pending = typeof id === 'number' ? this.pending.get(id) : undefined
    if (!pending) {
      this.logger.debug('ovsdb: reply to no pending request (timed out?)', { remote: this.remote, id })
      return
    }
    this.pending.delete(id as number)
    clearTimeout(pending.timer)
    if (msg.error !== null && msg.error !== undefined) pending.reject(ovsdbErrorFromWire(msg.error))
    else pending.resolve(msg.result)
  }

  private onNotification(method: string, params: unknown[]): void {
    if (method === 'update' || method === 'update2' || method === 'update3') {
      const monitorId = params[0]
      const updates = method === 'update3' ? params[2] : params[1]
      const entry = typeof monitorId === 'string' ? this.monitors.get(monitorId) : undefined
      if (!entry) {
        this.logger.debug('ovsdb: update for unknown monitor', { remote: this.remote, monitor: monitorId })
        return
      }
      let txnId: string | undefined
      if (method === 'update3') {
        // [monitor-id, last-txn-id, table-updates2]: the id is what a resumed monitor passes back.
        const last = params[1]
        if (typeof last !== 'string' || !TXN_ID.test(last)) throw this.protocol('update3: last-txn-id is not a UUID')
        txnId = last
      }
      try {
        entry.onUpdate(updates as never, txnId)
      } catch (err) {
        try {
          entry.onError(err)
        } catch {
          // An error handler that throws must not break the connection.
        }
      }
      return
    }
    if ((method === 'locked' || method === 'stolen') && typeof params[0] === 'string') {
      // RFC 7047 4.1.11/4.1.12: our queued lock was granted, or another session stole it.
      this.emit(method, params[0])
      return
    }
    this.logger.debug('ovsdb: notification', { remote: this.remote, method })
    this.emit('notification', method, params)
  }

  private send(message: unknown): void {
    if (this.state !== 'open') return
    this.socket.write(encodeMessage(message))
  }

  private protocol(reason: string): OvsdbProtocolError {
    return new OvsdbProtocolError(`${this.remote}: ${reason}`)
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  /** The connection broke (or a protocol error): reject everything, drop the socket. */
  private fail(err: Error): void {
    if (this.state !== 'open') return
    this.logger.warn('ovsdb: connection lost', { remote: this.remote, reason: err.message })
    void this.shutdown(err, 'destroy', err)
  }

  /**
   * Close gracefully: reject pending requests (OvsdbUnavailableError), flush what was written,
   * end the connection, and resolve once the socket is closed. Idempotent.
   */
  close(): Promise<void> {
    return this.shutdown(new OvsdbUnavailableError(this.remote, 'the client was closed'), 'end')
  }

  /** Abort: reject pending requests with `err` (default OvsdbUnavailableError) and drop the connection. Idempotent. */
  destroy(err?: Error): Promise<void> {
    return this.shutdown(err ?? new OvsdbUnavailableError(this.remote, 'the client was destroyed'), 'destroy', err)
  }

  private shutdown(rejection: Error, how: 'end' | 'destroy', emitted?: Error): Promise<void> {
    if (this.closePromise) return this.closePromise
    this.state = 'closed'
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer)
      this.pending.delete(id)
      p.reject(rejection)
    }
    this.monitors.clear()
    if (how === 'end') {
      this.socket.end()
      // ovsdb-server closes its side on EOF; don't hang forever if a peer does not.
      const timer = setTimeout(() => this.socket.destroy(), Math.min(this.timeoutMs, 5000))
      timer.unref()
      void this.socketClosed.then(() => clearTimeout(timer))
    } else {
      this.socket.destroy()
    }
    this.closePromise = this.socketClosed.then(() => {
      this.emit('close', emitted)
    })
    return this.closePromise
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof OvsdbUnavailableError) return err.params[1] ?? err.message
  return errorText(err)
}

const LOCK_ID = /^[A-Za-z_][A-Za-z0-9_]*$/
const TXN_ID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

/** A lock id as RFC 7047 wants it (an <id>), or InvalidArgumentError; shared with session.ts. */
export function checkLockId(id: string): string {
  if (typeof id !== 'string' || !LOCK_ID.test(id)) {
    throw new InvalidArgumentError('lock', String(id), 'a lock id is an <id>: [A-Za-z_][A-Za-z0-9_]*')
  }
  return id
}

function lockReply(method: string, reply: unknown): { locked: boolean } {
  if (typeof reply === 'object' && reply !== null && 'locked' in reply && typeof reply.locked === 'boolean') {
    return { locked: reply.locked }
  }
  throw new OvsdbProtocolError(`${method}: the reply is not {"locked": true|false}`)
}
