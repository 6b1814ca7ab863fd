/**
 * Database schemas (RFC 7047 section 3.2) as far as the client needs them: the column types, so
 * rows decode with sets as sets, plus decoding of rows and monitor updates with those types.
 */
import { decodeValue, parseColumnType } from './codec.js'
import type { ColumnType, Value } from './codec.js'
import { OvsdbValueError } from './errors.js'
import { isRecord } from '../shape.js'

export interface ColumnSchema {
  readonly name: string
  readonly type: ColumnType
  readonly ephemeral: boolean
  readonly mutable: boolean
}

export interface TableSchema {
  readonly name: string
  readonly columns: ReadonlyMap<string, ColumnSchema>
  readonly isRoot: boolean
  readonly maxRows?: number
  readonly indexes: readonly (readonly string[])[]
}

export interface DatabaseSchema {
  readonly name: string
  readonly version: string
  readonly cksum?: string
  readonly tables: ReadonlyMap<string, TableSchema>
  /** The schema exactly as the server sent it. */
  readonly json: unknown
}

/** A row: column name -> value. `_uuid` and `_version` are Uuid when present. */
export type Row = Record<string, Value>

const UUID_COLUMN: ColumnType = { key: { type: 'uuid' }, min: 1, max: 1 }

/** Parse a <database-schema> object as get_schema returns it. */
export function parseDatabaseSchema(json: unknown): DatabaseSchema {
  const o = asObject(json, 'schema')
  const name = o.name
  const version = o.version
  if (typeof name !== 'string') throw new OvsdbValueError('schema has no name', json)
  const tables = new Map<string, TableSchema>()
  for (const [tname, tjson] of Object.entries(asObject(o.tables, 'schema tables'))) {
    const t = asObject(tjson, `table ${tname}`)
    const columns = new Map<string, ColumnSchema>()
    for (const [cname, cjson] of Object.entries(asObject(t.columns, `table ${tname} columns`))) {
      const c = asObject(cjson, `column ${tname}.${cname}`)
      columns.set(cname, {
        name: cname,
        type: parseColumnType(c.type),
        ephemeral: c.ephemeral === true,
        mutable: c.mutable !== false,
      })
    }
    const indexes = Array.isArray(t.indexes)
      ? t.indexes
          .filter((i): i is unknown[] => Array.isArray(i))
          .map((i) => i.filter((x): x is string => typeof x === 'string'))
      : []
    const table: TableSchema = {
      name: tname,
      columns,
      isRoot: t.isRoot === true,
      indexes,
      ...(typeof t.maxRows === 'number' ? { maxRows: t.maxRows } : {}),
    }
    tables.set(tname, table)
  }
  return {
    name,
    version: typeof version === 'string' ? version : '',
    ...(typeof o.cksum === 'string' ? { cksum: o.cksum } : {}),
    tables,
    json,
  }
}

/** The type of a column, including the implicit `_uuid` and `_version`; undefined if unknown. */
export function columnType(table: TableSchema | undefined, column: string): ColumnType | undefined {
  if (column === '_uuid' || column === '_version') return UUID_COLUMN
  return table?.columns.get(column)?.type
}

/** Decode a <row> object. Columns the schema does not know decode untyped. */
export function decodeRow(wire: unknown, table?: TableSchema): Row {
  const o = asObject(wire, 'row')
  const row: Row = {}
  for (const [column, value] of Object.entries(o)) {
    row[column] = decodeValue(value, columnType(table, column))
  }
  return row
}

function asObject(json: unknown, what: string): Readonly<Record<string, unknown>> {
  if (!isRecord(json)) throw new OvsdbValueError(`${what} must be a JSON object`, json)
  return json
}
