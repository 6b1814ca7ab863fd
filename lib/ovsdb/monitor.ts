/**
 * The wire shapes of monitor, monitor_cond, monitor_cond_since and monitor_cond_change (RFC 7047
 * 4.1.5, RFC 7047bis / ovsdb-server(7)): the requests we send and the table updates we get back,
 * initial or notified (update3 carries the same <table-updates2> as update2). Pure; the client
 * (lib/ovsdb/client.ts) owns the monitor ids and the connection.
 */
import { OvsdbProtocolError } from './errors.js'
import { encodeCondition } from './operations.js'
import type { Condition } from './operations.js'
import { decodeRow } from './schema.js'
import type { DatabaseSchema, Row, TableSchema } from './schema.js'
import { isRecord } from '../shape.js'

export interface MonitorSelect {
  readonly initial?: boolean
  readonly insert?: boolean
  readonly delete?: boolean
  readonly modify?: boolean
}

/** `<monitor-request>`: which columns (default all) and which kinds of change. */
export interface MonitorRequest {
  readonly columns?: readonly string[]
  readonly select?: MonitorSelect
}

/** `<monitor-cond-request>`: a monitor request with a condition on the rows. */
export interface MonitorCondRequest extends MonitorRequest {
  readonly where?: readonly Condition[]
}

/**
 * `<monitor-cond-update-request>` of monitor_cond_change: the new condition of one table
 * (ovsdb-server refuses a change of columns, ovsdb/jsonrpc-server.c, so only `where` is offered).
 */
export interface MonitorCondChange {
  readonly where: readonly Condition[]
}

/** `update` notification: per table, per row UUID, old and/or new row. */
export interface RowUpdate {
  readonly old?: Row
  readonly new?: Row
}
export type TableUpdates = Record<string, Record<string, RowUpdate>>

/** `update2` notification: per table, per row UUID, exactly one of these members. */
export interface RowUpdate2 {
  readonly initial?: Row
  readonly insert?: Row
  /** The changed columns only; for sets and maps the elements that changed (RFC 7047bis). */
  readonly modify?: Row
  readonly delete?: true
}
export type TableUpdates2 = Record<string, Record<string, RowUpdate2>>

/** The `<monitor-requests>` object: per table, a list of requests. */
export function encodeMonitorRequests(
  requests: Readonly<Record<string, MonitorCondRequest | readonly MonitorCondRequest[]>>,
): Record<string, unknown> {
  const wireRequests: Record<string, unknown> = {}
  for (const [table, req] of Object.entries(requests)) {
    const list = (Array.isArray(req) ? req : [req]) as readonly MonitorCondRequest[]
    wireRequests[table] = list.map((r) => ({
      ...(r.columns ? { columns: [...r.columns] } : {}),
      ...(r.select ? { select: { ...r.select } } : {}),
      ...(r.where ? { where: r.where.map((c) => encodeCondition(c)) } : {}),
    }))
  }
  return wireRequests
}

/** The `<monitor-cond-update-requests>` object of monitor_cond_change: per table, a list. */
export function encodeMonitorCondChanges(
  changes: Readonly<Record<string, MonitorCondChange | readonly MonitorCondChange[]>>,
): Record<string, unknown> {
  const wire: Record<string, unknown> = {}
  for (const [table, change] of Object.entries(changes)) {
    const list = (Array.isArray(change) ? change : [change]) as readonly MonitorCondChange[]
    wire[table] = list.map((c) => ({ where: c.where.map((cond) => encodeCondition(cond)) }))
  }
  return wire
}

/**
 * `<table-updates>` (version 1) or `<table-updates2>` (version 2) decoded with the schema's
 * column types when given. A malformed object is an OvsdbProtocolError naming `remote`.
 */
export function decodeTableUpdates(
  raw: unknown,
  version: 1 | 2,
  schema: DatabaseSchema | undefined,
  remote: string,
): TableUpdates | TableUpdates2 {
  const protocol = (reason: string): OvsdbProtocolError => new OvsdbProtocolError(`${remote}: ${reason}`)
  if (!isRecord(raw)) throw protocol('table updates must be an object')
  const out: Record<string, Record<string, Record<string, unknown>>> = {}
  for (const [tableName, rows] of Object.entries(raw)) {
    if (!isRecord(rows)) throw protocol(`updates of table ${tableName} must be an object`)
    const table: TableSchema | undefined = schema?.tables.get(tableName)
    const tableOut: Record<string, Record<string, unknown>> = {}
    for (const [rowUuid, update] of Object.entries(rows)) {
      if (!isRecord(update)) throw protocol(`update of ${tableName} ${rowUuid} must be an object`)
      const u = update
      const decoded: Record<string, unknown> = {}
      const members = version === 1 ? ['old', 'new'] : ['initial', 'insert', 'modify']
      for (const m of members) if (u[m] !== undefined) decoded[m] = decodeRow(u[m], table)
      if (version === 2 && 'delete' in u) decoded.delete = true
      tableOut[rowUuid] = decoded
    }
    out[tableName] = tableOut
  }
  return out as TableUpdates | TableUpdates2
}
