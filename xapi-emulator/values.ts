/**
 * The values XAPI puts on the wire, with the distinctions its two encodings need.
 *
 * XAPI's `int` fields are 64-bit: over JSON-RPC they are JSON integers, over XML-RPC they are bare
 * `<value>N</value>` (i.e. strings). A few places carry a 32-bit `<i4>` (event.from's
 * valid_ref_counts), floats are `<double>` (task.progress), datetimes are `<dateTime.iso8601>`
 * (JSON: the same text as a string). Plain JS numbers here are always XAPI 64-bit ints.
 */

/** A `float` (XML-RPC `<double>`). */
export class XapiDouble {
  constructor(readonly value: number) {}
}

/** A 32-bit int (XML-RPC `<i4>`). */
export class XapiInt32 {
  constructor(readonly value: number) {}
}

/** A `datetime` in XAPI's text form, e.g. `20240102T03:04:05Z`. */
export class XapiDateTime {
  constructor(readonly value: string) {}

  static of(date: Date): XapiDateTime {
    const iso = date.toISOString() // 2024-01-02T03:04:05.678Z
    return new XapiDateTime(`${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 19)}Z`)
  }

  static readonly EPOCH = new XapiDateTime('19700101T00:00:00Z')
}

export type XapiValue =
  | string
  | number
  | boolean
  | XapiDouble
  | XapiInt32
  | XapiDateTime
  | readonly XapiValue[]
  | XapiStruct

export interface XapiStruct {
  readonly [key: string]: XapiValue
}

export type XapiRecord = Record<string, XapiValue>

export const NULL_REF = 'OpaqueRef:NULL'

export function isStruct(value: unknown): value is XapiStruct {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof XapiDouble) &&
    !(value instanceof XapiInt32) &&
    !(value instanceof XapiDateTime)
  )
}

/** The JSON-RPC form of a value (what XAPI's rpclib writes). */
export function toJson(value: XapiValue): unknown {
  if (value instanceof XapiDouble || value instanceof XapiInt32) return value.value
  if (value instanceof XapiDateTime) return value.value
  if (Array.isArray(value)) return value.map(toJson)
  if (isStruct(value)) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = toJson(v)
    return out
  }
  return value
}

/** A value decoded from JSON-RPC params: integers stay ints, other numbers become doubles. */
export function fromJson(value: unknown): XapiValue {
  if (typeof value === 'number') return Number.isInteger(value) ? value : new XapiDouble(value)
  if (typeof value === 'string' || typeof value === 'boolean') return value
  if (Array.isArray(value)) return value.map(fromJson)
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, XapiValue> = {}
    for (const [k, v] of Object.entries(value)) out[k] = fromJson(v)
    return out
  }
  // JSON null: XAPI's rpclib reads it as Null, which no API type accepts; keep it distinct.
  return new NullValue() as unknown as XapiValue
}

/** JSON `null` in a request (never produced by the emulator). Fails every type check. */
export class NullValue {}

/** Deep copy, so a stored record can't be changed through a returned snapshot. */
export function cloneValue<T extends XapiValue>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneValue) as unknown as T
  if (isStruct(value)) {
    const out: Record<string, XapiValue> = {}
    for (const [k, v] of Object.entries(value)) out[k] = cloneValue(v)
    return out as T
  }
  return value
}
