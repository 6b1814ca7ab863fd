/**
 * Checking and decoding a `transact` reply (RFC 7047 section 4.1.3), pure: the result array has
 * one element per operation; the first failed operation has `{error, details}` and the ones after
 * it are null; when every operation succeeded but the commit failed, ONE EXTRA element carries the
 * commit's error. Any error anywhere means nothing was written.
 */
import { decodeValue } from './codec.js'
import type { Uuid } from './codec.js'
import { OvsdbProtocolError, OvsdbWaitFailedError, TransactionError, ovsdbErrorFromWire } from './errors.js'
import type { Operation, ResultsOf } from './operations.js'
import { decodeRow } from './schema.js'
import type { DatabaseSchema } from './schema.js'
import { isRecord } from '../shape.js'

function isErrorResult(r: unknown): boolean {
  return isRecord(r) && r.error != null
}

/**
 * Throw TransactionError (OvsdbWaitFailedError for a failed wait) if any element of `raw` is an
 * error, OvsdbProtocolError if the reply does not fit `ops`; otherwise return one typed result
 * per operation, select rows decoded with `schema` when given.
 */
export function decodeTransactResults<const Ops extends readonly Operation[]>(
  ops: Ops,
  raw: unknown,
  schema?: DatabaseSchema,
  where = 'transact',
): ResultsOf<Ops> {
  if (!Array.isArray(raw)) throw new OvsdbProtocolError(`${where}: result is not an array`)
  const index = raw.findIndex(isErrorResult)
  if (index >= 0) {
    const cause = ovsdbErrorFromWire(raw[index])
    const failed = ops[index]
    if (failed?.op === 'wait' && cause.error === 'timed out') throw new OvsdbWaitFailedError(index, cause, raw)
    throw new TransactionError(index, failed ? failed.op : 'commit', cause, raw)
  }
  if (raw.length !== ops.length)
    throw new OvsdbProtocolError(`${where}: ${raw.length} results for ${ops.length} operations and no error`)
  return ops.map((o, i) => {
    const r: unknown = raw[i]
    if (!isRecord(r)) throw new OvsdbProtocolError(`${where}: result ${i} is not an object`)
    switch (o.op) {
      case 'insert':
        return { uuid: decodeValue(r.uuid, { key: { type: 'uuid' }, min: 1, max: 1 }) as Uuid }
      case 'select': {
        if (!Array.isArray(r.rows)) throw new OvsdbProtocolError(`${where}: select result ${i} has no rows`)
        const table = schema?.tables.get(o.table)
        return { rows: r.rows.map((row) => decodeRow(row, table)) }
      }
      case 'update':
      case 'mutate':
      case 'delete':
        if (typeof r.count !== 'number' || !Number.isSafeInteger(r.count))
          throw new OvsdbProtocolError(`${where}: ${o.op} result ${i} has no count`)
        return { count: r.count }
      default:
        return {}
    }
  }) as ResultsOf<Ops>
}
