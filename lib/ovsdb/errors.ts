/**
 * Errors of the OVSDB client, all XapiOvnError with stable `OVN_*` codes.
 *
 * - One class per error string ovsdb-server puts in `{"error": STRING, "details": ...}`: the RFC
 *   7047 ones plus those ovsdb-server 3.x really returns (read from ovsdb/execution.c, trigger.c,
 *   jsonrpc-server.c, ovsdb-error.c). An unknown string becomes a plain `OvsdbError`
 *   (`OVN_OVSDB_ERROR`); `ovsdbErrorFromWire()` picks the class.
 * - `TransactionError` is what `transact()` throws when an operation (or the commit) failed. Its
 *   `code` is the code of the per-string class (so `OVN_OVSDB_CONSTRAINT_VIOLATION` matches however
 *   it was raised), `cause` is that class's instance, `index` the failed operation (equal to the
 *   number of operations when the commit itself failed).
 * - `OvsdbWaitFailedError` (a TransactionError, code `OVN_OVSDB_WAIT_FAILED`) is thrown instead
 *   when the failed operation is a `wait`: callers use waits as preconditions.
 * - Connection problems are `OvsdbUnavailableError` from lib/errors.ts.
 */
import { XapiOvnError, truncate } from '../errors.js'
import { isRecord } from '../shape.js'

/** An error reported by ovsdb-server. params: [error, details] */
export class OvsdbError extends XapiOvnError {
  /** The RFC 7047 error string, e.g. "constraint violation". */
  readonly error: string
  /** The server's human-readable details, if any. */
  readonly details: string | undefined
  /** The offending JSON text for syntax errors, if the server sent it. */
  readonly syntax: string | undefined

  constructor(error: string, details?: string, syntax?: string, code = 'OVN_OVSDB_ERROR') {
    const d = details === undefined ? '' : truncate(details, 1024)
    super(code, d ? `ovsdb-server: ${error}: ${d}` : `ovsdb-server: ${error}`, [error, d])
    this.error = error
    this.details = details
    this.syntax = syntax
  }
}

/** A class for one error string: `new OvsdbConstraintViolationError(details?, syntax?)`. */
export type OvsdbErrorClass = new (details?: string, syntax?: string) => OvsdbError

function tagged(error: string, code: string) {
  // The exported subclasses below give each one its own `name`; the code is fixed here.
  return class extends OvsdbError {
    static readonly error = error
    static readonly code = code
    constructor(details?: string, syntax?: string) {
      super(error, details, syntax, code)
    }
  }
}

// RFC 7047 section 4.1.3 / 4.1.4 / 3.1 error strings.
export class OvsdbReferentialIntegrityViolationError extends tagged(
  'referential integrity violation',
  'OVN_OVSDB_REFERENTIAL_INTEGRITY_VIOLATION',
) {}
export class OvsdbConstraintViolationError extends tagged('constraint violation', 'OVN_OVSDB_CONSTRAINT_VIOLATION') {}
export class OvsdbResourcesExhaustedError extends tagged('resources exhausted', 'OVN_OVSDB_RESOURCES_EXHAUSTED') {}
export class OvsdbIoError extends tagged('I/O error', 'OVN_OVSDB_IO_ERROR') {}
export class OvsdbDuplicateUuidNameError extends tagged('duplicate uuid-name', 'OVN_OVSDB_DUPLICATE_UUID_NAME') {}
export class OvsdbDomainError extends tagged('domain error', 'OVN_OVSDB_DOMAIN_ERROR') {}
export class OvsdbRangeError extends tagged('range error', 'OVN_OVSDB_RANGE_ERROR') {}
/** "timed out" outside a wait operation; a failed wait is thrown as OvsdbWaitFailedError. */
export class OvsdbTimedOutError extends tagged('timed out', 'OVN_OVSDB_TIMED_OUT') {}
export class OvsdbNotSupportedError extends tagged('not supported', 'OVN_OVSDB_NOT_SUPPORTED') {}
export class OvsdbAbortedError extends tagged('aborted', 'OVN_OVSDB_ABORTED') {}
export class OvsdbNotOwnerError extends tagged('not owner', 'OVN_OVSDB_NOT_OWNER') {}
export class OvsdbUnknownDatabaseError extends tagged('unknown database', 'OVN_OVSDB_UNKNOWN_DATABASE') {}
/** JSON-RPC error of a transact the server dropped (schema change, leadership change). */
export class OvsdbCanceledError extends tagged('canceled', 'OVN_OVSDB_CANCELED') {}
// Strings ovsdb-server returns beyond the RFC.
export class OvsdbSyntaxError extends tagged('syntax error', 'OVN_OVSDB_SYNTAX_ERROR') {}
export class OvsdbUnknownMethodError extends tagged('unknown method', 'OVN_OVSDB_UNKNOWN_METHOD') {}
export class OvsdbNotAllowedError extends tagged('not allowed', 'OVN_OVSDB_NOT_ALLOWED') {}
export class OvsdbPermissionError extends tagged('permission error', 'OVN_OVSDB_PERMISSION_ERROR') {}
export class OvsdbInternalError extends tagged('internal error', 'OVN_OVSDB_INTERNAL_ERROR') {}
export class OvsdbDuplicateUuidError extends tagged('duplicate uuid', 'OVN_OVSDB_DUPLICATE_UUID') {}
export class OvsdbConsistencyViolationError extends tagged(
  'consistency violation',
  'OVN_OVSDB_CONSISTENCY_VIOLATION',
) {}
export class OvsdbClusterError extends tagged('cluster error', 'OVN_OVSDB_CLUSTER_ERROR') {}
export class OvsdbInvalidParametersError extends tagged('invalid parameters', 'OVN_OVSDB_INVALID_PARAMETERS') {}
export class OvsdbUnknownMonitorError extends tagged('unknown monitor', 'OVN_OVSDB_UNKNOWN_MONITOR') {}
export class OvsdbServerError extends tagged('ovsdb error', 'OVN_OVSDB_SERVER_ERROR') {}
export class OvsdbUnknownTableError extends tagged('unknown table', 'OVN_OVSDB_UNKNOWN_TABLE') {}
export class OvsdbUnknownColumnError extends tagged('unknown column', 'OVN_OVSDB_UNKNOWN_COLUMN') {}
export class OvsdbUnknownFunctionError extends tagged('unknown function', 'OVN_OVSDB_UNKNOWN_FUNCTION') {}
export class OvsdbUnknownMutatorError extends tagged('unknown mutator', 'OVN_OVSDB_UNKNOWN_MUTATOR') {}
export class OvsdbDuplicateMonitorIdError extends tagged('duplicate monitor ID', 'OVN_OVSDB_DUPLICATE_MONITOR_ID') {}

/** Every known error string and its class: the table `ovsdbErrorFromWire` and the tests use. */
export const OVSDB_ERROR_CLASSES: ReadonlyMap<string, OvsdbErrorClass> = new Map<string, OvsdbErrorClass>([
  ['referential integrity violation', OvsdbReferentialIntegrityViolationError],
  ['constraint violation', OvsdbConstraintViolationError],
  ['resources exhausted', OvsdbResourcesExhaustedError],
  ['I/O error', OvsdbIoError],
  ['duplicate uuid-name', OvsdbDuplicateUuidNameError],
  ['domain error', OvsdbDomainError],
  ['range error', OvsdbRangeError],
  ['timed out', OvsdbTimedOutError],
  ['not supported', OvsdbNotSupportedError],
  ['aborted', OvsdbAbortedError],
  ['not owner', OvsdbNotOwnerError],
  ['unknown database', OvsdbUnknownDatabaseError],
  ['canceled', OvsdbCanceledError],
  ['syntax error', OvsdbSyntaxError],
  ['unknown method', OvsdbUnknownMethodError],
  ['not allowed', OvsdbNotAllowedError],
  ['permission error', OvsdbPermissionError],
  ['internal error', OvsdbInternalError],
  ['duplicate uuid', OvsdbDuplicateUuidError],
  ['consistency violation', OvsdbConsistencyViolationError],
  ['cluster error', OvsdbClusterError],
  ['invalid parameters', OvsdbInvalidParametersError],
  ['unknown monitor', OvsdbUnknownMonitorError],
  ['ovsdb error', OvsdbServerError],
  ['unknown table', OvsdbUnknownTableError],
  ['unknown column', OvsdbUnknownColumnError],
  ['unknown function', OvsdbUnknownFunctionError],
  ['unknown mutator', OvsdbUnknownMutatorError],
  ['duplicate monitor ID', OvsdbDuplicateMonitorIdError],
])

/**
 * Turn an error as the server sends it (an operation result `{error, details, syntax}`, or a
 * JSON-RPC `error` member that is such an object or a bare string) into the matching class.
 */
export function ovsdbErrorFromWire(wire: unknown): OvsdbError {
  let error: string
  let details: string | undefined
  let syntax: string | undefined
  if (typeof wire === 'string') {
    error = wire
  } else if (isRecord(wire) && typeof wire.error === 'string') {
    error = wire.error
    details =
      typeof wire.details === 'string'
        ? wire.details
        : wire.details === undefined
          ? undefined
          : JSON.stringify(wire.details)
    syntax = typeof wire.syntax === 'string' ? wire.syntax : undefined
  } else {
    error = 'ovsdb error'
    details = truncate(JSON.stringify(wire) ?? String(wire), 1024)
  }
  const Class = OVSDB_ERROR_CLASSES.get(error)
  return Class ? new Class(details, syntax) : new OvsdbError(error, details, syntax)
}

/**
 * A transaction failed: operation `index` (0-based; equal to the number of operations when the
 * commit itself failed) returned `error`. Nothing of the transaction was written.
 * params: [index, op, error, details]
 */
export class TransactionError extends XapiOvnError {
  readonly index: number
  /** The failed operation's `op` ("insert", "wait", ...), or "commit" for the extra element. */
  readonly op: string
  readonly error: string
  readonly details: string | undefined
  /** The raw result array the server returned. */
  readonly results: readonly unknown[]
  override readonly cause: OvsdbError

  constructor(index: number, op: string, cause: OvsdbError, results: readonly unknown[], code: string = cause.code) {
    const details = cause.details === undefined ? '' : truncate(cause.details, 1024)
    super(
      code,
      `transaction failed at operation ${index} (${op}): ${cause.error}${details ? `: ${details}` : ''}`,
      [String(index), op, cause.error, details],
      { cause },
    )
    this.index = index
    this.op = op
    this.error = cause.error
    this.details = cause.details
    this.results = results
    this.cause = cause
  }
}

/** A `wait` operation's condition did not hold (ovsdb-server says "timed out"); nothing was written. */
export class OvsdbWaitFailedError extends TransactionError {
  constructor(index: number, cause: OvsdbError, results: readonly unknown[]) {
    super(index, 'wait', cause, results, 'OVN_OVSDB_WAIT_FAILED')
  }
}

/** A request got no reply in time. The connection stays usable; a late reply is ignored. params: [method, ms] */
export class OvsdbRequestTimeoutError extends XapiOvnError {
  constructor(method: string, ms: number, remote: string) {
    super('OVN_OVSDB_REQUEST_TIMEOUT', `no reply to ${method} from ${remote} within ${ms} ms`, [method, String(ms)])
  }
}

/**
 * A transaction was sent but its answer never came: the connection was lost (or the request timed
 * out) after the request was written, so it may or may not have committed. Never resent blindly
 * (lib/ovsdb/session.ts): the caller reads back to know. params: [remote, db, reason]
 */
export class OvsdbTransactInDoubtError extends XapiOvnError {
  constructor(remote: string, db: string, reason: string, options?: { cause?: unknown }) {
    super(
      'OVN_OVSDB_IN_DOUBT',
      `a transaction on ${db} was sent to ${remote} but got no answer (${reason}): it may or may not have committed`,
      [remote, db, reason],
      options,
    )
  }
}

/** The peer sent something that is not valid JSON-RPC / OVSDB. params: [reason] */
export class OvsdbProtocolError extends XapiOvnError {
  constructor(reason: string) {
    super('OVN_OVSDB_PROTOCOL_ERROR', `OVSDB protocol error: ${reason}`, [reason])
  }
}

/** A value cannot be encoded, or a wire value cannot be decoded. params: [reason, value] */
export class OvsdbValueError extends XapiOvnError {
  constructor(reason: string, value: unknown, code = 'OVN_OVSDB_INVALID_VALUE') {
    const shown = truncate(typeof value === 'bigint' ? value.toString() : safeStringify(value))
    super(code, `invalid OVSDB value ${shown}: ${reason}`, [reason, shown])
  }
}

/** An integer outside +/-(2^53-1): refused on encode, reported on decode (never rounded). params: [reason, value] */
export class OvsdbIntegerRangeError extends OvsdbValueError {
  constructor(value: number | bigint, direction: 'encode' | 'decode') {
    super(
      direction === 'encode'
        ? 'integers outside +/-(2^53-1) cannot be sent exactly from a JS number'
        : 'the server sent an integer outside +/-(2^53-1) that a JS number cannot hold exactly',
      value,
      'OVN_OVSDB_INTEGER_OUT_OF_RANGE',
    )
  }
}

/** The daemon's unixctl socket cannot be reached or broke. params: [socket, reason] */
export class UnixctlUnavailableError extends XapiOvnError {
  constructor(socket: string, reason: string, options?: { cause?: unknown }) {
    super('OVN_UNIXCTL_UNAVAILABLE', `unixctl socket ${socket} is unavailable: ${reason}`, [socket, reason], options)
  }
}

/** The daemon answered a unixctl command with an error. params: [command, error] */
export class UnixctlError extends XapiOvnError {
  constructor(command: string, error: string) {
    const e = truncate(error.trim(), 1024)
    super('OVN_UNIXCTL_ERROR', `unixctl ${command} failed: ${e}`, [command, e])
  }
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value)
  } catch {
    return String(value)
  }
}
