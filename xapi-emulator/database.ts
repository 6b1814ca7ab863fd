/**
 * The emulator's object store: rows of XAPI classes keyed by opaque ref, with a generation
 * counter like xapi's database. Every change bumps the generation and stamps the row, which is
 * what event.from reads: a row created after the caller's token is an `add`, changed after it a
 * `mod`, deleted after it a `del` (xapi_event.ml works from the same counters).
 *
 * One-to-many relations are kept both ways as XAPI does (PIF.network <-> network.PIFs, ...):
 * setting the child's ref field updates the parent's set, and the parent gets a `mod` event.
 */
import { randomUUID } from 'node:crypto'
import { Codes, XapiApiError } from './api-error.js'
import { CLASSES, defaultRecord } from './schema.js'
import { NULL_REF, cloneValue, type XapiRecord, type XapiValue } from './values.js'

export interface Row {
  readonly cls: string
  readonly ref: string
  record: XapiRecord
  readonly created: number
  modified: number
}

interface Tombstone {
  readonly cls: string
  readonly ref: string
  readonly created: number
  readonly deleted: number
}

export interface DbEvent {
  readonly id: number
  readonly cls: string
  readonly operation: 'add' | 'mod' | 'del'
  readonly ref: string
  readonly snapshot?: XapiRecord
}

/** [child class, child ref field, parent class, parent set field] */
const RELATIONS: ReadonlyArray<readonly [string, string, string, string]> = [
  ['PIF', 'network', 'network', 'PIFs'],
  ['PIF', 'host', 'host', 'PIFs'],
  ['VIF', 'network', 'network', 'VIFs'],
  ['VIF', 'VM', 'VM', 'VIFs'],
  ['VM', 'resident_on', 'host', 'resident_VMs'],
  ['Bond', 'master', 'PIF', 'bond_master_of'],
  ['PIF', 'bond_slave_of', 'Bond', 'slaves'],
  ['VLAN', 'tagged_PIF', 'PIF', 'VLAN_slave_of'],
  ['task', 'subtask_of', 'task', 'subtasks'],
]

export function newRef(): string {
  return `OpaqueRef:${randomUUID()}`
}

export class Database {
  #generation = 0
  readonly #rows = new Map<string, Row>()
  readonly #tombstones: Tombstone[] = []
  readonly #listeners = new Set<() => void>()

  get generation(): number {
    return this.#generation
  }

  /** Create a row from XAPI's defaults plus `fields`; a fresh uuid unless one is given. */
  create(cls: string, fields: XapiRecord = {}, ref = newRef()): string {
    const record = defaultRecord(cls, { uuid: randomUUID(), ...fields })
    const gen = ++this.#generation
    this.#rows.set(ref, { cls, ref, record, created: gen, modified: gen })
    for (const [childCls, childField, parentCls, parentField] of RELATIONS) {
      if (childCls === cls) this.#link(parentCls, record[childField], parentField, ref, true)
    }
    this.#notify()
    return ref
  }

  /** The live row, or HANDLE_INVALID [class, ref] as XAPI says for a ref of another class too. */
  row(cls: string, ref: string): Row {
    const row = this.#rows.get(ref)
    if (row === undefined || row.cls !== cls) throw new XapiApiError(Codes.HANDLE_INVALID, [cls, ref])
    return row
  }

  has(cls: string, ref: string): boolean {
    return this.#rows.get(ref)?.cls === cls
  }

  /** A copy of the record (callers can't change the store through it). */
  get(cls: string, ref: string): XapiRecord {
    return cloneValue(this.row(cls, ref).record)
  }

  field(cls: string, ref: string, field: string): XapiValue {
    const value = this.row(cls, ref).record[field]
    if (value === undefined) throw new Error(`class ${cls} has no field ${field}`)
    return cloneValue(value)
  }

  all(cls: string): Row[] {
    return [...this.#rows.values()].filter((r) => r.cls === cls)
  }

  refs(cls: string): string[] {
    return this.all(cls).map((r) => r.ref)
  }

  count(cls: string): number {
    return this.all(cls).length
  }

  byUuid(cls: string, uuid: string): string {
    const row = this.all(cls).find((r) => r.record.uuid === uuid)
    if (row === undefined) throw new XapiApiError(Codes.UUID_INVALID, [cls, uuid])
    return row.ref
  }

  /** Set fields of a row (one generation for the whole change), keeping relations in step. */
  set(cls: string, ref: string, fields: XapiRecord): void {
    const row = this.row(cls, ref)
    const spec = CLASSES[cls]
    for (const name of Object.keys(fields)) {
      if (spec?.fields[name] === undefined) throw new Error(`class ${cls} has no field ${name}`)
    }
    const before = row.record
    row.record = { ...before, ...cloneValue(fields) }
    row.modified = ++this.#generation
    for (const [childCls, childField, parentCls, parentField] of RELATIONS) {
      if (childCls !== cls || !(childField in fields) || before[childField] === row.record[childField]) continue
      this.#link(parentCls, before[childField], parentField, ref, false)
      this.#link(parentCls, row.record[childField], parentField, ref, true)
    }
    this.#notify()
  }

  /** Bump the row's generation without changing it (event.inject). Returns the new generation. */
  touch(cls: string, ref: string): number {
    const row = this.row(cls, ref)
    row.modified = ++this.#generation
    this.#notify()
    return row.modified
  }

  delete(cls: string, ref: string): void {
    const row = this.row(cls, ref)
    for (const [childCls, childField, parentCls, parentField] of RELATIONS) {
      if (childCls === cls) this.#link(parentCls, row.record[childField], parentField, ref, false)
    }
    this.#rows.delete(ref)
    this.#tombstones.push({ cls, ref, created: row.created, deleted: ++this.#generation })
    this.#notify()
  }

  /**
   * Everything that happened to `classes` after generation `since`, oldest first. `filter`
   * decides per (class, ref): event.from subscriptions may name a class or one object.
   */
  eventsSince(since: number, filter: (cls: string, ref: string) => boolean): DbEvent[] {
    const events: DbEvent[] = []
    for (const row of this.#rows.values()) {
      if (row.modified <= since || !filter(row.cls, row.ref)) continue
      events.push({
        id: row.modified,
        cls: row.cls,
        operation: row.created > since ? 'add' : 'mod',
        ref: row.ref,
        snapshot: cloneValue(row.record),
      })
    }
    for (const t of this.#tombstones) {
      // Created and deleted since the token: the caller never saw it, so nothing to report.
      if (t.deleted <= since || t.created > since || !filter(t.cls, t.ref)) continue
      events.push({ id: t.deleted, cls: t.cls, operation: 'del', ref: t.ref })
    }
    return events.sort((a, b) => a.id - b.id)
  }

  /** Called (synchronously) after every change. Returns an unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener()
  }

  #link(
    parentCls: string,
    parentRef: XapiValue | undefined,
    parentField: string,
    childRef: string,
    add: boolean,
  ): void {
    if (typeof parentRef !== 'string' || parentRef === NULL_REF) return
    const parent = this.#rows.get(parentRef)
    if (parent === undefined || parent.cls !== parentCls) return
    const current = parent.record[parentField]
    const set = Array.isArray(current) ? (current as string[]) : []
    const next = add ? (set.includes(childRef) ? set : [...set, childRef]) : set.filter((r) => r !== childRef)
    if (next === set) return
    parent.record = { ...parent.record, [parentField]: next }
    parent.modified = ++this.#generation
  }
}
