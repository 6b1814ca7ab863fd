/**
 * Every error xapi-ovn raises on purpose is an XapiOvnError with a stable `code` (OVN_*) and
 * string `params`. The plugin boundary turns it into an XAPI Failure `[code, ...params]`; the
 * library and CLI let users match on `code`. Codes never change meaning once released.
 */
export class XapiOvnError extends Error {
  readonly code: string
  readonly params: readonly string[]

  /**
   * What to do about it, when known (the same sentence the CLI and the pool results give): looked
   * up by code in the table of lib/pool/failures.ts, which the package entry (lib/index.ts)
   * installs with useHints. Not imported here: the plugin bundle carries this file without the
   * pool driver, and failures.ts imports this file.
   */
  get hint(): string | null {
    return hintLookup(this.code)
  }

  constructor(code: string, message: string, params: readonly string[] = [], options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.params = params
  }
}

let hintLookup: (code: string) => string | null = () => null

/** Where XapiOvnError#hint comes from (lib/index.ts passes lib/pool/failures.ts's hintFor). */
export function useHints(lookup: (code: string) => string | null): void {
  hintLookup = lookup
}

/** A caller-supplied value is malformed. params: [key, value, reason] */
export class InvalidArgumentError extends XapiOvnError {
  constructor(key: string, value: string, reason: string) {
    super('OVN_INVALID_ARGUMENT', `invalid ${key}=${JSON.stringify(truncate(value))}: ${reason}`, [
      key,
      truncate(value),
      reason,
    ])
  }
}

/** A key that this function does not accept. params: [key] */
export class UnknownArgumentError extends XapiOvnError {
  constructor(key: string) {
    super('OVN_UNKNOWN_ARGUMENT', `unknown argument ${JSON.stringify(truncate(key))}`, [truncate(key)])
  }
}

/** A required key is absent. params: [key] */
export class MissingArgumentError extends XapiOvnError {
  constructor(key: string) {
    super('OVN_MISSING_ARGUMENT', `missing required argument ${key}`, [key])
  }
}

/**
 * The codes that mean the caller's input was wrong rather than the pool: a bad value, an unknown
 * or missing key, an OVN network that cannot be used (unknown, ambiguous, with a PIF), a selected
 * host without its SSL certificate. The CLI
 * exits 2 on them like on any usage error; setupPools refuses every pool before touching one.
 */
export const ARGUMENT_ERROR_CODES: ReadonlySet<string> = new Set([
  'OVN_INVALID_ARGUMENT',
  'OVN_UNKNOWN_ARGUMENT',
  'OVN_MISSING_ARGUMENT',
  'OVN_NETWORK_UNUSABLE',
  'OVN_SSL_CERT_MISSING',
])

export function isArgumentErrorCode(code: string): boolean {
  return ARGUMENT_ERROR_CODES.has(code)
}

/** The request itself (XML-RPC, CLI line) cannot be understood. params: [reason] */
export class InvalidRequestError extends XapiOvnError {
  constructor(reason: string) {
    super('OVN_INVALID_REQUEST', `invalid request: ${reason}`, [reason])
  }
}

/** An OVSDB server cannot be reached or the connection broke. params: [remote, reason] */
export class OvsdbUnavailableError extends XapiOvnError {
  constructor(remote: string, reason: string, options?: { cause?: unknown }) {
    super('OVN_OVSDB_UNAVAILABLE', `OVSDB at ${remote} is unavailable: ${reason}`, [remote, reason], options)
  }
}

/** The database changed between our read and our write (a wait/precondition failed). params: [detail] */
export class ConcurrentChangeError extends XapiOvnError {
  constructor(detail: string) {
    super('OVN_CONCURRENT_CHANGE', `the database changed while we were working, nothing was written: ${detail}`, [
      detail,
    ])
  }
}

/** Another call of the same operation is running on this host. params: [operation] */
export class BusyError extends XapiOvnError {
  constructor(operation: string) {
    super('OVN_BUSY', `another ${operation} is already running on this host`, [operation])
  }
}

/** A wait for some state ran out of time. params: [what, seconds] */
export class TimeoutError extends XapiOvnError {
  constructor(what: string, seconds: number) {
    super('OVN_TIMEOUT', `timed out after ${seconds}s waiting for ${what}`, [what, String(seconds)])
  }
}

/** A bug or an unexpected failure: never a caller's fault. params: [message] */
export class InternalError extends XapiOvnError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('OVN_INTERNAL', `internal error: ${message}`, [message], options)
  }
}

/** Values echoed into errors are cut so a hostile 1 MB argument does not come back whole. */
export function truncate(value: string, max = 256): string {
  return value.length <= max ? value : `${value.slice(0, max)}…(${value.length} chars)`
}
