/**
 * Pure builders for the RFC 7047 `transact` operations (section 5.2), their conditions and
 * mutations, and their wire encoding. Nothing here touches a socket: a plan is an array of
 * `Operation`s that tests can inspect, and `OvsdbClient.transact(db, ops)` sends it as ONE atomic
 * transaction (so wait + mutate + insert commit together or not at all).
 *
 * Choice for `wait`: the timeout defaults to 0 ms, i.e. "check now, fail at once" — a wait is
 * almost always a precondition. Pass `{ timeoutMs: null }` to omit the timeout (the server then
 * blocks the transaction until the condition holds, RFC default).
 */
import { encodeAtom, encodeValue, OvsdbSet } from './codec.js'
import type { ColumnType, NamedUuid, Uuid, Value, WireAtom, WireValue } from './codec.js'
import type { Row } from './schema.js'
import { OvsdbValueError } from './errors.js'

export type ConditionFunction = '<' | '<=' | '==' | '!=' | '>=' | '>' | 'includes' | 'excludes'
/** `[column, function, value]` */
export type Condition = readonly [column: string, fn: ConditionFunction, value: Value]

export type Mutator = '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete'
/** `[column, mutator, value]` */
export type Mutation = readonly [column: string, mutator: Mutator, value: Value]

/** A row to write: column -> value. */
export type RowInput = Readonly<Record<string, Value>>

export interface InsertOperation {
  readonly op: 'insert'
  readonly table: string
  readonly row: RowInput
  readonly uuidName?: string
  /** Ask the server to use this UUID for the new row (ovsdb-server >= 2.17 / RFC 7047 extension). */
  readonly uuid?: Uuid
}
export interface SelectOperation {
  readonly op: 'select'
  readonly table: string
  readonly where: readonly Condition[]
  readonly columns?: readonly string[]
}
export interface UpdateOperation {
  readonly op: 'update'
  readonly table: string
  readonly where: readonly Condition[]
  readonly row: RowInput
}
export interface MutateOperation {
  readonly op: 'mutate'
  readonly table: string
  readonly where: readonly Condition[]
  readonly mutations: readonly Mutation[]
}
export interface DeleteOperation {
  readonly op: 'delete'
  readonly table: string
  readonly where: readonly Condition[]
}
export interface WaitOperation {
  readonly op: 'wait'
  readonly table: string
  readonly where: readonly Condition[]
  readonly columns: readonly string[]
  readonly until: '==' | '!='
  readonly rows: readonly RowInput[]
  /** Milliseconds; undefined = no timeout member (block until it holds). */
  readonly timeoutMs?: number
}
export interface CommitOperation {
  readonly op: 'commit'
  readonly durable: boolean
}
export interface AbortOperation {
  readonly op: 'abort'
}
export interface CommentOperation {
  readonly op: 'comment'
  readonly comment: string
}
export interface AssertOperation {
  readonly op: 'assert'
  readonly lock: string
}

export type Operation =
  | InsertOperation
  | SelectOperation
  | UpdateOperation
  | MutateOperation
  | DeleteOperation
  | WaitOperation
  | CommitOperation
  | AbortOperation
  | CommentOperation
  | AssertOperation

/** Result of an insert: the new row's UUID. */
export interface InsertResult {
  readonly uuid: Uuid
}
/** Result of a select: the rows (decoded with the schema's column types when known). */
export interface SelectResult {
  readonly rows: Row[]
}
/** Result of update, mutate and delete: how many rows matched. */
export interface CountResult {
  readonly count: number
}
/** Result of wait, commit, abort, comment, assert: nothing. */
export type EmptyResult = Readonly<Record<string, never>>

export type ResultOf<O extends Operation> = O extends InsertOperation
  ? InsertResult
  : O extends SelectOperation
    ? SelectResult
    : O extends UpdateOperation | MutateOperation | DeleteOperation
      ? CountResult
      : EmptyResult

/** Maps a tuple (or array) of operations to the matching tuple of results. */
export type ResultsOf<Ops extends readonly Operation[]> = {
  -readonly [K in keyof Ops]: Ops[K] extends Operation ? ResultOf<Ops[K]> : never
}

export interface WaitOptions {
  /** Default 0 (fail at once if the condition does not hold); null = no timeout member. */
  readonly timeoutMs?: number | null
}

export interface InsertOptions {
  /** Name to refer to the new row within the transaction (`new NamedUuid(name)`). */
  readonly uuidName?: string
  readonly uuid?: Uuid
}

const ID_RE = /^[_a-zA-Z][_a-zA-Z0-9]*$/

function checkId(kind: string, name: string): string {
  if (typeof name !== 'string' || !ID_RE.test(name))
    throw new OvsdbValueError(`${kind} must be an <id> ([_a-zA-Z][_a-zA-Z0-9]*)`, name)
  return name
}

/** Operation builders. Every builder validates its identifiers and returns frozen plain data. */
export const op = {
  insert(table: string, row: RowInput, options: InsertOptions | string = {}): InsertOperation {
    const o = typeof options === 'string' ? { uuidName: options } : options
    return Object.freeze({
      op: 'insert',
      table: checkId('table', table),
      row,
      ...(o.uuidName !== undefined ? { uuidName: checkId('uuid-name', o.uuidName) } : {}),
      ...(o.uuid !== undefined ? { uuid: o.uuid } : {}),
    } as const)
  },
  select(table: string, where: readonly Condition[] = [], columns?: readonly string[]): SelectOperation {
    return Object.freeze({
      op: 'select',
      table: checkId('table', table),
      where,
      ...(columns ? { columns } : {}),
    } as const)
  },
  update(table: string, where: readonly Condition[], row: RowInput): UpdateOperation {
    return Object.freeze({ op: 'update', table: checkId('table', table), where, row } as const)
  },
  mutate(table: string, where: readonly Condition[], mutations: readonly Mutation[]): MutateOperation {
    return Object.freeze({ op: 'mutate', table: checkId('table', table), where, mutations } as const)
  },
  delete(table: string, where: readonly Condition[]): DeleteOperation {
    return Object.freeze({ op: 'delete', table: checkId('table', table), where } as const)
  },
  /**
   * Hold the transaction (or fail it) unless the rows of `table` matching `where`, projected on
   * `columns`, are (`until: '=='`) or are not (`'!='`) exactly `rows`.
   */
  wait(
    table: string,
    where: readonly Condition[],
    columns: readonly string[],
    until: '==' | '!=',
    rows: readonly RowInput[],
    options: WaitOptions = {},
  ): WaitOperation {
    if (until !== '==' && until !== '!=') throw new OvsdbValueError('wait "until" must be "==" or "!="', until)
    const t = options.timeoutMs === undefined ? 0 : options.timeoutMs
    if (t !== null && !(Number.isSafeInteger(t) && t >= 0))
      throw new OvsdbValueError('wait timeout must be a non-negative integer of milliseconds', t)
    return Object.freeze({
      op: 'wait',
      table: checkId('table', table),
      where,
      columns,
      until,
      rows,
      ...(t !== null ? { timeoutMs: t } : {}),
    } as const)
  },
  commit(durable = false): CommitOperation {
    return Object.freeze({ op: 'commit', durable } as const)
  },
  abort(): AbortOperation {
    return Object.freeze({ op: 'abort' } as const)
  },
  comment(comment: string): CommentOperation {
    return Object.freeze({ op: 'comment', comment: String(comment) } as const)
  },
  assert(lock: string): AssertOperation {
    return Object.freeze({ op: 'assert', lock: checkId('lock', lock) } as const)
  },
} as const

/** A condition: `where('name', '==', 'br-int')`. */
export function where(column: string, fn: ConditionFunction, value: Value): Condition {
  return [column, fn, value]
}

/** A mutation: `mutation('external_ids', 'insert', ovsdbMap({k: 'v'}))`. */
export function mutation(column: string, mutator: Mutator, value: Value): Mutation {
  return [column, mutator, value]
}

/** `['_uuid', '==', uuid]` */
export function byUuid(id: Uuid | NamedUuid): Condition {
  return ['_uuid', '==', id]
}

// ---------------------------------------------------------------------------------------------
// Wire encoding (pure)

const CONDITION_FUNCTIONS: readonly string[] = ['<', '<=', '==', '!=', '>=', '>', 'includes', 'excludes']
const MUTATORS: readonly string[] = ['+=', '-=', '*=', '/=', '%=', 'insert', 'delete']

/**
 * The column types of a database, when the caller knows its schema: with them, numbers are
 * encoded as their column says. Without them an integer-valued number beyond 2^53 is refused,
 * since it could be meant for an integer column and would lose precision; with them, a `real`
 * column takes 1e37 or Number.MAX_VALUE as it is (RFC 7047 3.1: reals are JSON numbers).
 */
export type ColumnTypes = (table: string, column: string) => ColumnType | undefined

/**
 * A condition's or mutation's value with its atoms checked against the column's atomic types
 * only: its shape may legitimately differ from the column's (`includes` a set in a map column,
 * `delete` a set of keys from a map, `+=` a scalar on a set column).
 */
function encodeAtomsOf(value: Value, type: ColumnType | undefined): WireValue {
  if (type === undefined) return encodeValue(value)
  if (value instanceof OvsdbSet) {
    const items = value.items.map((a) => encodeAtom(a, type.key))
    return items.length === 1 ? (items[0] as WireAtom) : ['set', items]
  }
  if (value instanceof Map) {
    const pairs: [WireAtom, WireAtom][] = []
    for (const [k, v] of value) pairs.push([encodeAtom(k, type.key), encodeAtom(v, type.value ?? type.key)])
    return ['map', pairs]
  }
  return encodeAtom(value, type.key)
}

export function encodeCondition(c: Condition, type?: ColumnType): [string, string, WireValue] {
  if (!Array.isArray(c) || c.length !== 3) throw new OvsdbValueError('a condition is [column, function, value]', c)
  const [column, fn, value] = c
  if (typeof column !== 'string') throw new OvsdbValueError('condition column must be a string', column)
  if (!CONDITION_FUNCTIONS.includes(fn)) throw new OvsdbValueError('unknown condition function', fn)
  return [column, fn, encodeAtomsOf(value, type)]
}

export function encodeMutation(m: Mutation, type?: ColumnType): [string, string, WireValue] {
  if (!Array.isArray(m) || m.length !== 3) throw new OvsdbValueError('a mutation is [column, mutator, value]', m)
  const [column, mutator, value] = m
  if (typeof column !== 'string') throw new OvsdbValueError('mutation column must be a string', column)
  if (!MUTATORS.includes(mutator)) throw new OvsdbValueError('unknown mutator', mutator)
  return [column, mutator, encodeAtomsOf(value, type)]
}

/** A row; with the table's column types, each value must be of its column's type. */
export function encodeRow(row: RowInput, table?: string, types?: ColumnTypes): Record<string, WireValue> {
  const out: Record<string, WireValue> = {}
  for (const [column, value] of Object.entries(row)) {
    out[column] = encodeValue(value, table === undefined ? undefined : types?.(table, column))
  }
  return out
}

/** The JSON object of one operation, as it goes into the `transact` params. */
export function encodeOperation(o: Operation, types?: ColumnTypes): Record<string, unknown> {
  const table = 'table' in o ? o.table : ''
  const cond = (c: Condition): [string, string, WireValue] => encodeCondition(c, types?.(table, c[0]))
  switch (o.op) {
    case 'insert':
      return {
        op: 'insert',
        table: o.table,
        row: encodeRow(o.row, o.table, types),
        ...(o.uuidName !== undefined ? { 'uuid-name': o.uuidName } : {}),
        ...(o.uuid !== undefined ? { uuid: o.uuid.value } : {}),
      }
    case 'select':
      return {
        op: 'select',
        table: o.table,
        where: o.where.map(cond),
        ...(o.columns ? { columns: [...o.columns] } : {}),
      }
    case 'update':
      return { op: 'update', table: o.table, where: o.where.map(cond), row: encodeRow(o.row, o.table, types) }
    case 'mutate':
      return {
        op: 'mutate',
        table: o.table,
        where: o.where.map(cond),
        mutations: o.mutations.map((m) => encodeMutation(m, types?.(o.table, m[0]))),
      }
    case 'delete':
      return { op: 'delete', table: o.table, where: o.where.map(cond) }
    case 'wait':
      return {
        op: 'wait',
        table: o.table,
        where: o.where.map(cond),
        columns: [...o.columns],
        until: o.until,
        rows: o.rows.map((r) => encodeRow(r, o.table, types)),
        ...(o.timeoutMs !== undefined ? { timeout: o.timeoutMs } : {}),
      }
    case 'commit':
      return { op: 'commit', durable: o.durable }
    case 'abort':
      return { op: 'abort' }
    case 'comment':
      return { op: 'comment', comment: o.comment }
    case 'assert':
      return { op: 'assert', lock: o.lock }
    default:
      throw new OvsdbValueError('unknown operation', (o as { op?: unknown }).op)
  }
}

/** The full `transact` params: `[db, op...]`. */
export function encodeTransact(db: string, ops: readonly Operation[], types?: ColumnTypes): unknown[] {
  return [db, ...ops.map((o) => encodeOperation(o, types))]
}
