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
 * - The server's `echo` requests (inactivity probes) are answered; `echo()` probes the server.
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
import { decodeTableUpdates, encodeMonitorRequests } from './monitor.js'
import type { MonitorCondRequest, MonitorRequest, TableUpdates, TableUpdates2 } from './monitor.js'
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

interface Pending {
  readonly method: string
  readonly resolve: (result: unknown) => void
  readonly reject: (err: unknown) => void
  readonly timer: ReturnType<typeof setTimeout>
}

interface MonitorEntry {
  readonly db: string
  readonly version: 1 | 2
  readonly onUpdate: (updates: never) => void
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
    options: RequestOptions = {},
  ): Promise<ResultsOf<Ops>> {
    // With the schema (typedDecode, the default) values are encoded as their columns say: a real
    // column takes numbers beyond 2^53 (operations.ts ColumnTypes), results decode with set types.
    const schema = this.typedDecode ? await this.getSchema(db, options) : undefined
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
    return this.startMonitor('monitor', 1, db, requests, onUpdate, options)
  }

  /** monitor_cond (RFC 7047bis / ovsdb-server(7)): `update2` notifications go to `onUpdate`. */
  async monitorCond(
    db: string,
    requests: Readonly<Record<string, MonitorCondRequest | readonly MonitorCondRequest[]>>,
    onUpdate: (updates: TableUpdates2) => void,
    options: MonitorOptions = {},
  ): Promise<Monitor<TableUpdates2>> {
    return this.startMonitor('monitor_cond', 2, db, requests, onUpdate, options)
  }

  private async startMonitor<U>(
    method: 'monitor' | 'monitor_cond',
    version: 1 | 2,
    db: string,
    requests: Readonly<Record<string, MonitorCondRequest | readonly MonitorCondRequest[]>>,
    onUpdate: (updates: U) => void,
    options: MonitorOptions,
  ): Promise<Monitor<U>> {
    const wireRequests = encodeMonitorRequests(requests)
    const schema = this.typedDecode ? await this.getSchema(db, options) : undefined
    const id = `m${this.nextMonitor++}`
    const onError =
      options.onError ??
      ((err: unknown) => this.logger.error('ovsdb: monitor update failed', { monitor: id, db, error: reasonOf(err) }))
    const entry: MonitorEntry = {
      db,
      version,
      onUpdate: (raw: never) => onUpdate(decodeTableUpdates(raw, version, schema, this.remote) as U),
      onError,
    }
    // Registered before sending, so no notification that follows the reply can be missed.
    this.monitors.set(id, entry)
    let initialRaw: unknown
    try {
      initialRaw = await this.request(method, [db, id, wireRequests], options)
    } catch (err) {
      this.monitors.delete(id)
      throw err
    }
    let initial: U
    try {
      initial = decodeTableUpdates(initialRaw, version, schema, this.remote) as U
    } catch (err) {
      // Do not leave a monitor running that nobody can cancel.
      this.monitorCancel(id).catch(() => undefined)
      throw err
    }
    let cancelled: Promise<void> | undefined
    return {
      id,
      db,
      initial,
      cancel: (opts: RequestOptions = {}) => {
        // A closed connection has no monitors left: nothing to cancel.
        cancelled ??= this.state === 'open' ? this.monitorCancel(id, opts) : Promise.resolve()
        return cancelled
      },
    }
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
  request(method: string, params: readonly unknown[], options: RequestOptions = {}): Promise<unknown> {
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
      try {
        entry.onUpdate(updates as never)
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

function checkLockId(id: string): string {
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
