/**
 * `_Server.Database` (ovsdb-server(5)): what a server says about each database it serves, and
 * the rule the client connects and stays by (lib/ovsdb/client.ts `database`, `leaderOnly`): a
 * clustered database must be connected to its cluster, and with `leaderOnly` the server must be
 * its leader. Pure: rows in, a reason out.
 */
import { Uuid, setItems } from './codec.js'
import type { Atom, Value } from './codec.js'
import type { TableUpdates } from './monitor.js'
import { op, type SelectOperation } from './operations.js'
import type { Row } from './schema.js'

/** `_Server.Database` row of one database (ovsdb-server(5)). */
export interface ServerDatabase {
  readonly name: string
  readonly model: 'standalone' | 'clustered' | 'relay' | string
  readonly connected: boolean
  readonly leader: boolean
  readonly sid?: Uuid
  readonly cid?: Uuid
  readonly index?: number
}

/** The columns the client keeps watching after it connected: those usabilityProblem reads. */
export const WATCHED_SERVER_COLUMNS = ['name', 'model', 'connected', 'leader'] as const

/** The select of the `_Server.Database` row of `db`. */
export function selectServerDatabase(db: string): SelectOperation {
  return op.select('Database', [['name', '==', db]], ['name', 'model', 'connected', 'leader', 'sid', 'cid', 'index'])
}

export function serverDatabaseFromRow(row: Row): ServerDatabase {
  const one = (v: Value | undefined): Atom | undefined => (v instanceof Map ? undefined : setItems(v)[0])
  const sid = one(row.sid)
  const cid = one(row.cid)
  const index = one(row.index)
  return {
    name: String(one(row.name)),
    model: String(one(row.model)),
    connected: one(row.connected) === true,
    leader: one(row.leader) === true,
    ...(sid instanceof Uuid ? { sid } : {}),
    ...(cid instanceof Uuid ? { cid } : {}),
    ...(typeof index === 'number' ? { index } : {}),
  }
}

/** Why a server whose `_Server.Database` row for `db` is `info` should not be used (undefined: fine). */
export function usabilityProblem(
  db: string,
  info: ServerDatabase | undefined,
  leaderOnly: boolean,
): string | undefined {
  if (!info) return `database ${db} is not served here`
  if (info.model === 'clustered' && !info.connected) return `database ${db} is not connected to its cluster`
  if (leaderOnly && !info.leader) return `not the leader of database ${db} (model ${info.model})`
  return undefined
}

/** The problems a `_Server` monitor update shows for `db` (a deleted row: not served any more). */
export function serverUpdateProblems(updates: TableUpdates, db: string, leaderOnly: boolean): string[] {
  const problems: string[] = []
  for (const u of Object.values(updates.Database ?? {})) {
    const row = u.new ?? u.old
    if (!row || setItems(row.name)[0] !== db) continue
    const problem = usabilityProblem(db, u.new ? serverDatabaseFromRow(u.new) : undefined, leaderOnly)
    if (problem !== undefined) problems.push(problem)
  }
  return problems
}
