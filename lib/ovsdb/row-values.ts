/**
 * Read plain values out of selected rows, whatever their wire shape (bare atom or set, typed or
 * untyped decode): the rows of a select result, a row's UUID, a set of UUIDs, an optional scalar.
 * A row that is not what the schema promises is an OVSDB protocol error, never a guess.
 */
import { setItems, Uuid, type Value } from './codec.js'
import { OvsdbProtocolError } from './errors.js'
import type { Row } from './schema.js'

/** The rows of one `select` result. */
export function selectedRows(result: unknown): Row[] {
  const rows = (result as { rows?: unknown } | null)?.rows
  if (!Array.isArray(rows)) throw new OvsdbProtocolError('a select result has no rows member')
  return rows as Row[]
}

/** A `uuid` column (such as `_uuid`) as its string. */
export function uuidValue(v: Value | undefined): string {
  const [u] = setItems(v)
  if (!(u instanceof Uuid)) throw new OvsdbProtocolError('expected a UUID')
  return u.value
}

/** A set of UUIDs (references) as strings. */
export function uuidValues(v: Value | undefined): string[] {
  return setItems(v).map((a) => {
    if (!(a instanceof Uuid)) throw new OvsdbProtocolError('expected a set of UUIDs')
    return a.value
  })
}

/** An optional scalar column (a set of at most one): its value when of that type, else null. */
export function optionalValue<T extends string | number | boolean>(
  v: Value | undefined,
  kind: 'string' | 'number' | 'boolean',
): T | null {
  const [a] = setItems(v)
  return a !== undefined && typeof a === kind ? (a as T) : null
}
