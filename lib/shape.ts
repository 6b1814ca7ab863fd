/**
 * The one shape check of values that arrive untyped: XAPI records, plugin replies, NB inputs, the
 * JSON xapi-ovn keeps in OVSDB and on disk. Type guards only: each caller turns a wrong shape into
 * its own coded error (OVN_XAPI_RECORD_INVALID, OVN_PLUGIN_REPLY_INVALID, OVN_INVALID_ARGUMENT...)
 * with its own wording, so the guard narrows the type and no `as` is needed after it. Pure.
 */

/** An object with string keys: not null, not a list (JSON's object, XAPI's struct and map). */
export function isRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A record made as a literal or by JSON.parse (prototype Object or none): no class instance. */
export function isPlainRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  if (!isRecord(v)) return false
  const proto: unknown = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

export function isString(v: unknown): v is string {
  return typeof v === 'string'
}

export function isBoolean(v: unknown): v is boolean {
  return typeof v === 'boolean'
}

/** A number JSON can carry: not NaN, not an infinity. */
export function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

/** One of `values` (an enum's members): narrows to their union. */
export function isOneOf<T extends string>(values: readonly T[], v: unknown): v is T {
  return (values as readonly unknown[]).includes(v)
}

/** A list of strings (XAPI's `string set`, a list of refs). */
export function isStringArray(v: unknown): v is readonly string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string')
}

/**
 * The value of `key` when `guard` accepts it; otherwise `fail` (the caller's coded error) is
 * called with the value found, and throws.
 */
export function field<T>(
  o: Readonly<Record<string, unknown>>,
  key: string,
  guard: (v: unknown) => v is T,
  fail: (found: unknown) => never,
): T {
  const v = o[key]
  if (!guard(v)) fail(v)
  return v
}
