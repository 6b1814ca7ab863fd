/**
 * RFC 7047 values (section 5.1): atoms, sets and maps, and their JSON wire form.
 *
 * - `Atom = string | number | boolean | Uuid | NamedUuid`; `Value = Atom | OvsdbSet | OvsdbMap`.
 * - `Uuid` (`["uuid", "…"]`) and `NamedUuid` (`["named-uuid", "name"]`) are two explicit,
 *   validated classes; a string is always a string atom, never guessed to be a UUID.
 * - A set is `OvsdbSet`. On the wire a one-element set is written as the bare atom (RFC 7047
 *   allows both; ovsdb-server does the same). Decoding WITH the column's type (from the schema)
 *   gives an `OvsdbSet` for every set-typed column (min 0 or max > 1), bare atom or not; decoding
 *   without a type gives what the wire literally says. `setItems()` hides the difference.
 * - A map is `OvsdbMap`, a JS `Map<Atom, Atom>` (note: Uuid keys are compared by identity by Map;
 *   use `stringMap()` for the usual string->string maps such as external_ids).
 *
 * Integers beyond +/-(2^53-1) (OVSDB integers are 64-bit, JS numbers are not):
 * - encode: a non-safe integer `number` is refused with OvsdbIntegerRangeError (it has already
 *   been rounded, so sending it would write a different value than the caller believes).
 * - decode: JSON.parse would silently round them, so the framing layer (json-stream.ts) scans
 *   every number token outside strings while it looks for message boundaries anyway, and hands
 *   integer tokens (no '.', no exponent) beyond the safe range over as `bigint`. The codec then
 *   reports a `bigint` in an integer (or untyped) position with OvsdbIntegerRangeError carrying
 *   the exact digits; a real-typed column accepts it as the nearest double (reals are doubles
 *   on the server too).
 */
import { OvsdbIntegerRangeError, OvsdbValueError } from './errors.js'
import { isRecord } from '../shape.js'

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
const ID_RE = /^[_a-zA-Z][_a-zA-Z0-9]*$/

/** A row's UUID: `["uuid", "550e8400-e29b-41d4-a716-446655440000"]`, kept lower-case. */
export class Uuid {
  readonly value: string

  constructor(value: string) {
    if (typeof value !== 'string' || !UUID_RE.test(value)) throw new OvsdbValueError('not a UUID', value)
    this.value = value.toLowerCase()
  }

  static isValid(value: string): boolean {
    return UUID_RE.test(value)
  }

  equals(other: unknown): boolean {
    return other instanceof Uuid && other.value === this.value
  }

  toString(): string {
    return this.value
  }

  toJSON(): ['uuid', string] {
    return ['uuid', this.value]
  }
}

/** A reference to a row inserted earlier in the same transaction: `["named-uuid", "name"]`. */
export class NamedUuid {
  readonly name: string

  constructor(name: string) {
    if (typeof name !== 'string' || !ID_RE.test(name))
      throw new OvsdbValueError('not a valid uuid-name (an <id>: [_a-zA-Z][_a-zA-Z0-9]*)', name)
    this.name = name
  }

  equals(other: unknown): boolean {
    return other instanceof NamedUuid && other.name === this.name
  }

  toString(): string {
    return this.name
  }

  toJSON(): ['named-uuid', string] {
    return ['named-uuid', this.name]
  }
}

export type Atom = string | number | boolean | Uuid | NamedUuid

/** An OVSDB set. Order carries no meaning; the items are kept as given. */
export class OvsdbSet implements Iterable<Atom> {
  readonly items: readonly Atom[]

  constructor(items: Iterable<Atom> = []) {
    this.items = Object.freeze([...items])
  }

  get size(): number {
    return this.items.length
  }

  has(atom: Atom): boolean {
    return this.items.some((item) => atomEquals(item, atom))
  }

  [Symbol.iterator](): Iterator<Atom> {
    return this.items[Symbol.iterator]()
  }
}

export type OvsdbMap = Map<Atom, Atom>
export type Value = Atom | OvsdbSet | OvsdbMap

export type WireAtom = string | number | boolean | ['uuid', string] | ['named-uuid', string]
export type WireValue = WireAtom | ['set', WireAtom[]] | ['map', [WireAtom, WireAtom][]]

export type AtomicType = 'integer' | 'real' | 'boolean' | 'string' | 'uuid'

/** A schema <base-type>, normalised. Constraints other than the atomic type are kept for callers. */
export interface BaseType {
  readonly type: AtomicType
  readonly enum?: readonly Atom[]
  readonly minInteger?: number
  readonly maxInteger?: number
  readonly minReal?: number
  readonly maxReal?: number
  readonly minLength?: number
  readonly maxLength?: number
  readonly refTable?: string
  readonly refType?: 'strong' | 'weak'
}

/** A schema column <type>, normalised: `"string"` becomes `{key: {type: 'string'}, min: 1, max: 1}`. */
export interface ColumnType {
  readonly key: BaseType
  readonly value?: BaseType
  readonly min: number
  readonly max: number | 'unlimited'
}

/** Build a set (convenience): `set('a', 'b')`. */
export function set(...items: Atom[]): OvsdbSet {
  return new OvsdbSet(items)
}

/** Build a map from a plain object or entries: `ovsdbMap({ 'system-id': id })`. */
export function ovsdbMap(entries: Readonly<Record<string, Atom>> | Iterable<readonly [Atom, Atom]>): OvsdbMap {
  if (isIterable(entries)) return new Map([...entries].map(([k, v]) => [k, v] as [Atom, Atom]))
  return new Map(Object.entries(entries))
}

/** Build a Uuid (validated). */
export function uuid(value: string): Uuid {
  return new Uuid(value)
}

/** Build a NamedUuid (validated). */
export function namedUuid(name: string): NamedUuid {
  return new NamedUuid(name)
}

export function atomEquals(a: Atom, b: Atom): boolean {
  if (a instanceof Uuid || a instanceof NamedUuid) return a.equals(b)
  return a === b
}

/** True if values of this column type are sets (optional scalars included), not maps or scalars. */
export function isSetType(type: ColumnType): boolean {
  return type.value === undefined && !(type.min === 1 && type.max === 1)
}

export function isMapType(type: ColumnType): boolean {
  return type.value !== undefined
}

/** The items of a set-or-atom value: bare atom -> [atom], set -> its items, undefined -> []. */
export function setItems(value: Value | undefined): Atom[] {
  if (value === undefined) return []
  if (value instanceof OvsdbSet) return [...value.items]
  if (value instanceof Map) {
    if (value.size === 0) return []
    throw new OvsdbValueError('expected a set or an atom, got a map', encodeLoose(value))
  }
  return [value]
}

/** A string->string map (external_ids, other_config, options): an empty set counts as empty. */
export function stringMap(value: Value | undefined): Map<string, string> {
  const out = new Map<string, string>()
  if (value === undefined) return out
  if (value instanceof OvsdbSet && value.size === 0) return out
  if (!(value instanceof Map)) throw new OvsdbValueError('expected a map', encodeLoose(value))
  for (const [k, v] of value) {
    if (typeof k !== 'string' || typeof v !== 'string')
      throw new OvsdbValueError('expected a map of strings to strings', encodeLoose(value))
    out.set(k, v)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Encode one atom. With `base`, the atom must be of that atomic type. */
export function encodeAtom(atom: Atom, base?: BaseType): WireAtom {
  switch (typeof atom) {
    case 'string':
      if (base && base.type !== 'string') throw new OvsdbValueError(`expected ${base.type}, got a string`, atom)
      return atom
    case 'boolean':
      if (base && base.type !== 'boolean') throw new OvsdbValueError(`expected ${base.type}, got a boolean`, atom)
      return atom
    case 'number':
      if (!Number.isFinite(atom)) throw new OvsdbValueError('numbers must be finite', String(atom))
      if (base && base.type !== 'integer' && base.type !== 'real')
        throw new OvsdbValueError(`expected ${base.type}, got a number`, atom)
      if (base?.type === 'integer' && !Number.isInteger(atom)) throw new OvsdbValueError('expected an integer', atom)
      if (Number.isInteger(atom) && !Number.isSafeInteger(atom) && base?.type !== 'real')
        throw new OvsdbIntegerRangeError(atom, 'encode')
      return atom
    default:
      if (atom instanceof Uuid || atom instanceof NamedUuid) {
        if (base && base.type !== 'uuid') throw new OvsdbValueError(`expected ${base.type}, got a uuid`, atom.toJSON())
        return atom.toJSON()
      }
      throw new OvsdbValueError('not an OVSDB atom (string, number, boolean, Uuid, NamedUuid)', describe(atom))
  }
}

/**
 * Encode a value to its wire form. A one-element set is written as the bare atom. With `type`,
 * atoms are checked against the column's atomic types and a map value needs a map column.
 */
export function encodeValue(value: Value, type?: ColumnType): WireValue {
  if (value instanceof OvsdbSet) {
    if (type && isMapType(type)) throw new OvsdbValueError('expected a map, got a set', encodeLoose(value))
    const items = value.items.map((a) => encodeAtom(a, type?.key))
    return items.length === 1 ? (items[0] as WireAtom) : ['set', items]
  }
  if (value instanceof Map) {
    if (type && !isMapType(type)) throw new OvsdbValueError('expected a set or an atom, got a map', encodeLoose(value))
    const pairs: [WireAtom, WireAtom][] = []
    for (const [k, v] of value) pairs.push([encodeAtom(k, type?.key), encodeAtom(v, type?.value)])
    return ['map', pairs]
  }
  if (type && isMapType(type)) throw new OvsdbValueError('expected a map, got an atom', encodeLoose(value))
  return encodeAtom(value, type?.key)
}

// ---------------------------------------------------------------------------------------------
// Decoding

/**
 * Decode a wire value. Without `type` the result mirrors the wire (bare atom, `OvsdbSet`,
 * `OvsdbMap`). With `type`, set-typed columns always give an `OvsdbSet`, scalar columns a bare
 * atom, and atoms are checked against the atomic type. Malformed input: OvsdbValueError;
 * integers beyond 2^53 (as bigint from json-stream): OvsdbIntegerRangeError.
 */
export function decodeValue(wire: unknown, type?: ColumnType): Value {
  if (Array.isArray(wire) && wire.length === 2 && wire[0] === 'set') {
    const items = wire[1]
    if (!Array.isArray(items)) throw new OvsdbValueError('"set" needs an array of atoms', wire)
    const atoms = items.map((a) => decodeAtom(a, type?.key))
    if (type && isMapType(type)) {
      if (atoms.length === 0) return new Map()
      throw new OvsdbValueError('expected a map, got a set', wire)
    }
    if (type && !isSetType(type)) {
      if (atoms.length === 1) return atoms[0] as Atom
      throw new OvsdbValueError(`expected exactly one atom, got a set of ${atoms.length}`, wire)
    }
    return new OvsdbSet(atoms)
  }
  if (Array.isArray(wire) && wire.length === 2 && wire[0] === 'map') {
    const pairs = wire[1]
    if (!Array.isArray(pairs)) throw new OvsdbValueError('"map" needs an array of pairs', wire)
    if (type && !isMapType(type)) {
      if (pairs.length === 0 && isSetType(type)) return new OvsdbSet()
      throw new OvsdbValueError('expected a set or an atom, got a map', wire)
    }
    const map: OvsdbMap = new Map()
    // RFC 7047 5.1: the keys of a <map> are unique. A duplicate is refused, never resolved by
    // keeping one of the pairs (uuids compare by value: two Uuid objects are two Map keys).
    const seen = new Set<string>()
    for (const pair of pairs) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new OvsdbValueError('a map pair must be [key, value]', wire)
      const key = decodeAtom(pair[0], type?.key)
      const identity =
        key instanceof Uuid
          ? `uuid:${key.value}`
          : key instanceof NamedUuid
            ? `named-uuid:${key.name}`
            : `${typeof key}:${String(key)}`
      if (seen.has(identity)) throw new OvsdbValueError('a map has the same key twice', wire)
      seen.add(identity)
      map.set(key, decodeAtom(pair[1], type?.value))
    }
    return map
  }
  const atom = decodeAtom(wire, type?.key)
  if (type && isMapType(type)) throw new OvsdbValueError('expected a map, got an atom', wire)
  if (type && isSetType(type)) return new OvsdbSet([atom])
  return atom
}

/** Decode one atom; with `base`, check it is of that atomic type. */
export function decodeAtom(wire: unknown, base?: BaseType): Atom {
  let atom: Atom
  if (typeof wire === 'string' || typeof wire === 'boolean') {
    atom = wire
  } else if (typeof wire === 'number') {
    // ovsdb-server prints reals with 15 significant digits (openvswitch/ovs lib/json.c,
    // json_serialize: "%.*g", DBL_DIG), so a stored DBL_MAX comes back as 1.79769313486232e+308,
    // just above DBL_MAX: parsed, Infinity. For a real column that can only have been +-DBL_MAX.
    if (!Number.isFinite(wire) && base?.type === 'real' && !Number.isNaN(wire)) {
      return wire > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE
    }
    if (!Number.isFinite(wire)) throw new OvsdbValueError('numbers must be finite', String(wire))
    if (Number.isInteger(wire) && !Number.isSafeInteger(wire) && base?.type !== 'real')
      throw new OvsdbIntegerRangeError(wire, 'decode')
    atom = wire
  } else if (typeof wire === 'bigint') {
    if (base?.type !== 'real') throw new OvsdbIntegerRangeError(wire, 'decode')
    atom = Number(wire)
  } else if (Array.isArray(wire) && wire.length === 2 && wire[0] === 'uuid' && typeof wire[1] === 'string') {
    atom = new Uuid(wire[1])
  } else if (Array.isArray(wire) && wire.length === 2 && wire[0] === 'named-uuid' && typeof wire[1] === 'string') {
    atom = new NamedUuid(wire[1])
  } else {
    throw new OvsdbValueError('not an OVSDB atom', wire)
  }
  if (base) checkAtomType(atom, base, wire)
  return atom
}

function checkAtomType(atom: Atom, base: BaseType, wire: unknown): void {
  const ok =
    base.type === 'string'
      ? typeof atom === 'string'
      : base.type === 'boolean'
        ? typeof atom === 'boolean'
        : base.type === 'integer'
          ? typeof atom === 'number' && Number.isInteger(atom)
          : base.type === 'real'
            ? typeof atom === 'number'
            : atom instanceof Uuid || atom instanceof NamedUuid
  if (!ok) throw new OvsdbValueError(`expected ${base.type}`, wire)
}

// ---------------------------------------------------------------------------------------------
// Schema types

const ATOMIC_TYPES: readonly string[] = ['integer', 'real', 'boolean', 'string', 'uuid']

/** Parse a schema <base-type> (a bare atomic-type string or an object). */
export function parseBaseType(json: unknown): BaseType {
  if (typeof json === 'string') {
    if (!ATOMIC_TYPES.includes(json)) throw new OvsdbValueError('unknown atomic type', json)
    return { type: json as AtomicType }
  }
  if (!isRecord(json)) throw new OvsdbValueError('a base type must be a string or an object', json)
  const o = json
  const type = o.type
  if (typeof type !== 'string' || !ATOMIC_TYPES.includes(type)) throw new OvsdbValueError('unknown atomic type', json)
  const base: { -readonly [K in keyof BaseType]: BaseType[K] } = { type: type as AtomicType }
  if (o.enum !== undefined)
    base.enum = setItems(decodeValue(o.enum, { key: { type: type as AtomicType }, min: 0, max: 'unlimited' }))
  for (const k of ['minInteger', 'maxInteger', 'minReal', 'maxReal', 'minLength', 'maxLength'] as const) {
    const v = o[k]
    if (typeof v === 'number') base[k] = v
    // Bounds beyond 2^53 (e.g. maxInteger 4294967295 is fine; int64 extremes are not) are dropped.
  }
  if (typeof o.refTable === 'string') base.refTable = o.refTable
  if (o.refType === 'weak' || o.refType === 'strong') base.refType = o.refType
  else if (base.refTable !== undefined) base.refType = 'strong'
  return base
}

/** Parse a schema column <type>. */
export function parseColumnType(json: unknown): ColumnType {
  if (typeof json === 'string') return { key: parseBaseType(json), min: 1, max: 1 }
  if (!isRecord(json)) throw new OvsdbValueError('a column type must be a string or an object', json)
  const o = json
  const key = parseBaseType(o.key)
  const value = o.value === undefined ? undefined : parseBaseType(o.value)
  const min = o.min === undefined ? 1 : o.min
  const max = o.max === undefined ? 1 : o.max
  if (min !== 0 && min !== 1) throw new OvsdbValueError('"min" must be 0 or 1', json)
  if (max !== 'unlimited' && !(typeof max === 'number' && Number.isInteger(max) && max >= 1 && max >= min))
    throw new OvsdbValueError('"max" must be a positive integer or "unlimited"', json)
  return value === undefined
    ? { key, min, max: max as number | 'unlimited' }
    : { key, value, min, max: max as number | 'unlimited' }
}

// ---------------------------------------------------------------------------------------------

function isIterable(x: unknown): x is Iterable<readonly [Atom, Atom]> {
  return (
    x !== null && typeof x === 'object' && typeof (x as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function'
  )
}

function describe(x: unknown): string {
  if (x === null) return 'null'
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object'
  return typeof x
}

/** Best-effort wire form for error messages (never throws). */
function encodeLoose(value: Value): unknown {
  try {
    return encodeValue(value)
  } catch {
    return describe(value)
  }
}
