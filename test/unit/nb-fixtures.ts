/**
 * Hand-built OVN_Northbound snapshots for the planner tests, and `applyToSnapshot`: a tiny
 * in-memory stand-in for ovsdb-server that applies the operations our planners emit (insert,
 * update, mutate of sets and string maps, delete, wait, comment) to a snapshot, including the
 * garbage collection of ports no switch refers to. It lets a test check "plan, apply, plan again
 * gives nothing". The integration tests do the same against the real server.
 *
 * The fake knows OVN_Northbound only through the real schema (test/fixtures/ovn-schema.ts): the
 * shape of every column value it returns (map, set - an optional column is a set of 0 or 1 - or
 * bare atom), the columns a transaction may name, the unique indexes an insert must respect, and
 * which tables are garbage-collected (not root) all come from /usr/share/ovn/ovn-nb.ovsschema.
 */
import assert from 'node:assert/strict'
import {
  NamedUuid,
  OvsdbSet,
  Uuid,
  isMapType,
  isSetType,
  setItems,
  stringMap,
  type Atom,
  type Value,
} from '../../lib/ovsdb/codec.js'
import { encodeOperation, type Condition, type Operation } from '../../lib/ovsdb/operations.js'
import { columnType, type TableSchema } from '../../lib/ovsdb/schema.js'
import type { NbPortRow, NbSnapshot, NbSwitchRow } from '../../lib/nb/model.js'
import { NB_SCHEMA_PATH, nbTable } from '../fixtures/ovn-schema.js'

export const SW_A = 'aaaaaaaa-0000-4000-8000-00000000000a'
export const SW_B = 'bbbbbbbb-0000-4000-8000-00000000000b'
export const VIF1 = '11111111-1111-4111-8111-111111111111'
export const VIF2 = '22222222-2222-4222-8222-222222222222'
export const VIF3 = '33333333-3333-4333-8333-333333333333'
export const LSP1 = 'c1c1c1c1-0000-4000-8000-0000000000c1'
export const LSP2 = 'c2c2c2c2-0000-4000-8000-0000000000c2'
export const LSP3 = 'c3c3c3c3-0000-4000-8000-0000000000c3'

export function lswitch(
  name: string,
  uuid: string,
  o: { ports?: string[]; otherConfig?: Record<string, string>; externalIds?: Record<string, string> } = {},
): NbSwitchRow {
  return {
    uuid,
    name,
    portUuids: o.ports ?? [],
    otherConfig: new Map(Object.entries(o.otherConfig ?? {})),
    externalIds: new Map(Object.entries(o.externalIds ?? {})),
  }
}

export function lport(name: string, uuid: string, o: Partial<Omit<NbPortRow, 'name' | 'uuid'>> = {}): NbPortRow {
  return {
    uuid,
    name,
    type: o.type ?? '',
    addresses: o.addresses ?? [],
    portSecurity: o.portSecurity ?? [],
    options: o.options ?? new Map(),
    externalIds: o.externalIds ?? new Map(),
    tagRequest: o.tagRequest ?? null,
    tag: o.tag ?? null,
    up: o.up ?? null,
    enabled: o.enabled ?? null,
    dynamicAddresses: o.dynamicAddresses ?? null,
    dhcpv4Options: o.dhcpv4Options ?? null,
    dhcpv6Options: o.dhcpv6Options ?? null,
  }
}

/** The wire JSON of operations: what the tests compare (plain data, set order as emitted). */
export function wire(ops: readonly Operation[]): unknown[] {
  return JSON.parse(JSON.stringify(ops.map((o) => encodeOperation(o)))) as unknown[]
}

let counter = 0
function freshUuid(): string {
  counter += 1
  return `eeeeeeee-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`
}

type Table = 'Logical_Switch' | 'Logical_Switch_Port' | 'DHCP_Options'
type AnyRow = Record<string, Value>

/** What a snapshot field holds, before the schema gives it its wire shape (null: no value). */
type Field = Atom | readonly Atom[] | ReadonlyMap<string, string> | null

/** The column's type in the real NB schema; a column the schema lacks fails the test. */
function typeOf(table: TableSchema, column: string): NonNullable<ReturnType<typeof columnType>> {
  return columnType(table, column) ?? assert.fail(`fake: ${table.name}.${column} is not in ${NB_SCHEMA_PATH}`)
}

/** A column's value as ovsdb-server returns it, shaped by the column's type in the schema. */
function columnValue(table: TableSchema, column: string, field: Field): Value {
  const type = typeOf(table, column)
  if (isMapType(type)) {
    assert.ok(field instanceof Map, `fake: ${table.name}.${column} is a map`)
    return new Map(field)
  }
  const items: Atom[] = field === null ? [] : Array.isArray(field) ? [...field] : [field as Atom]
  if (isSetType(type)) return new OvsdbSet(items)
  assert.equal(items.length, 1, `fake: ${table.name}.${column} holds exactly one value`)
  return items[0] as Atom
}

function schemaRow(table: TableSchema, fields: Record<string, Field>): AnyRow {
  return Object.fromEntries(Object.entries(fields).map(([c, f]) => [c, columnValue(table, c, f)]))
}

/** A snapshot as the rows ovsdb-server would return (Logical_Switch, Logical_Switch_Port, DHCP_Options). */
export function snapshotRows(s: NbSnapshot): { ls: AnyRow[]; lsp: AnyRow[]; dhcp: AnyRow[] } {
  const ls = nbTable('Logical_Switch')
  const lsp = nbTable('Logical_Switch_Port')
  const dhcp = nbTable('DHCP_Options')
  return {
    dhcp: (s.dhcpOptions ?? []).map((d) =>
      schemaRow(dhcp, { _uuid: new Uuid(d.uuid), cidr: d.cidr, options: d.options, external_ids: d.externalIds }),
    ),
    ls: s.switches.map((sw) =>
      schemaRow(ls, {
        _uuid: new Uuid(sw.uuid),
        name: sw.name,
        ports: sw.portUuids.map((u) => new Uuid(u)),
        other_config: sw.otherConfig,
        external_ids: sw.externalIds,
      }),
    ),
    lsp: s.ports.map((p) =>
      schemaRow(lsp, {
        _uuid: new Uuid(p.uuid),
        name: p.name,
        type: p.type,
        addresses: p.addresses,
        port_security: p.portSecurity,
        options: p.options,
        external_ids: p.externalIds,
        tag_request: p.tagRequest,
        tag: p.tag,
        up: p.up,
        enabled: p.enabled,
        dynamic_addresses: p.dynamicAddresses,
        dhcpv4_options: p.dhcpv4Options === null ? null : new Uuid(p.dhcpv4Options),
        dhcpv6_options: p.dhcpv6Options === null ? null : new Uuid(p.dhcpv6Options),
      }),
    ),
  }
}

function atomKey(a: Atom): string {
  return a instanceof Uuid ? `u:${a.value}` : a instanceof NamedUuid ? `n:${a.name}` : `${typeof a}:${String(a)}`
}

function valueKey(v: Value | undefined): string {
  if (v instanceof Map) return JSON.stringify([...v].map(([k, x]) => [atomKey(k), atomKey(x)]).sort())
  return JSON.stringify(setItems(v).map(atomKey).sort())
}

function matches(row: AnyRow, where: readonly Condition[]): boolean {
  return where.every(([column, fn, value]) => {
    const have = row[column]
    if (fn === '==') return valueKey(have) === valueKey(value)
    if (fn === 'includes') {
      const keys = new Set(setItems(have).map(atomKey))
      return setItems(value).every((a) => keys.has(atomKey(a)))
    }
    throw new Error(`fake: condition ${fn} not supported`)
  })
}

/**
 * Apply a transaction to a snapshot. Throws 'wait failed' like the server would refuse it.
 * Returns the new snapshot and the UUIDs given to inserted rows by uuid-name.
 */
export function applyToSnapshot(
  s: NbSnapshot,
  ops: readonly Operation[],
): { snapshot: NbSnapshot; inserted: Map<string, string> } {
  const { ls, lsp, dhcp } = snapshotRows(s)
  const tables: Record<Table, AnyRow[]> = { Logical_Switch: ls, Logical_Switch_Port: lsp, DHCP_Options: dhcp }
  const inserted = new Map<string, string>()
  const resolve = (a: Atom): Atom =>
    a instanceof NamedUuid ? new Uuid(inserted.get(a.name) ?? assert.fail(`unknown named-uuid ${a.name}`)) : a
  for (const o of ops) {
    if (o.op === 'comment') continue
    if (o.op === 'commit' || o.op === 'abort' || o.op === 'assert') throw new Error(`fake: op ${o.op}`)
    const table = tables[o.table as Table]
    assert.ok(table, `fake: table ${o.table}`)
    const schema = nbTable(o.table)
    // Every column the operation names must exist, as ovsdb-server would refuse it otherwise.
    if ('where' in o) for (const [column] of o.where) typeOf(schema, column)
    if ('row' in o) for (const column of Object.keys(o.row)) typeOf(schema, column)
    if (o.op === 'mutate') for (const [column] of o.mutations) typeOf(schema, column)
    if (o.op === 'wait') for (const column of o.columns) typeOf(schema, column)
    switch (o.op) {
      case 'wait': {
        const rows = table.filter((r) => matches(r, o.where))
        const projected = rows.map((r) => o.columns.map((c) => valueKey(r[c])).join('|')).sort()
        const wanted = o.rows.map((r) => o.columns.map((c) => valueKey(r[c])).join('|')).sort()
        const equal = JSON.stringify(projected) === JSON.stringify(wanted)
        if (equal !== (o.until === '==')) throw new Error('wait failed')
        break
      }
      case 'insert': {
        // The insert's own `uuid` member (ovsdb-server >= 2.13), else one the server makes.
        const uuid = o.uuid?.value ?? freshUuid()
        if (o.uuidName) inserted.set(o.uuidName, uuid)
        // The schema's unique indexes (Logical_Switch_Port: name), checked as at commit.
        for (const index of schema.indexes)
          if (table.some((r) => index.every((c) => valueKey(r[c]) === valueKey(o.row[c]))))
            throw new Error(`constraint violation: duplicate ${index.join(',')}`)
        table.push({ _uuid: new Uuid(uuid), ...o.row })
        break
      }
      case 'update':
        for (const r of table.filter((x) => matches(x, o.where))) Object.assign(r, o.row)
        break
      case 'delete':
        tables[o.table as Table] = table.filter((x) => !matches(x, o.where))
        break
      case 'mutate':
        for (const r of table.filter((x) => matches(x, o.where))) {
          for (const [column, mutator, value] of o.mutations) {
            const cur = r[column]
            if (isMapType(typeOf(schema, column))) {
              const m = stringMap(cur)
              if (mutator === 'delete') for (const k of setItems(value as Value)) m.delete(String(k))
              else if (mutator === 'insert') for (const [k, v] of stringMap(value)) if (!m.has(k)) m.set(k, v)
              r[column] = m
            } else {
              const items = setItems(cur)
              const given = setItems(value).map(resolve)
              if (mutator === 'insert')
                r[column] = new OvsdbSet([
                  ...items,
                  ...given.filter((g) => !items.some((i) => atomKey(i) === atomKey(g))),
                ])
              else if (mutator === 'delete')
                r[column] = new OvsdbSet(items.filter((i) => !given.some((g) => atomKey(i) === atomKey(g))))
              else throw new Error(`fake: mutator ${mutator}`)
            }
          }
        }
        break
      default:
        throw new Error(`fake: op ${o.op}`)
    }
  }
  // Garbage-collect ports no switch refers to (Logical_Switch_Port is not a root table).
  const referenced = new Set(tables.Logical_Switch.flatMap((r) => setItems(r.ports).map((a) => atomKey(resolve(a)))))
  const ports = nbTable('Logical_Switch_Port').isRoot
    ? tables.Logical_Switch_Port
    : tables.Logical_Switch_Port.filter((r) => referenced.has(atomKey(r._uuid as Uuid)))
  const one = <T>(v: Value | undefined): T | null => (setItems(v)[0] as T | undefined) ?? null
  const dhcpUuids = new Set(tables.DHCP_Options.map((r) => (r._uuid as Uuid).value))
  return {
    inserted,
    snapshot: {
      switches: tables.Logical_Switch.map((r) => ({
        uuid: (r._uuid as Uuid).value,
        name: String(r.name),
        portUuids: setItems(r.ports).map((a) => (resolve(a) as Uuid).value),
        otherConfig: stringMap(r.other_config),
        externalIds: stringMap(r.external_ids),
      })),
      ports: ports.map((r) => ({
        uuid: (r._uuid as Uuid).value,
        name: String(r.name),
        type: String(one<string>(r.type) ?? ''),
        addresses: setItems(r.addresses).map(String),
        portSecurity: setItems(r.port_security).map(String),
        options: stringMap(r.options),
        externalIds: stringMap(r.external_ids),
        tagRequest: one<number>(r.tag_request),
        tag: one<number>(r.tag),
        up: one<boolean>(r.up),
        enabled: one<boolean>(r.enabled),
        dynamicAddresses: one<string>(r.dynamic_addresses),
        // A weak reference to a row that is not there is dropped at commit (ovsdb-server(5)).
        dhcpv4Options: dhcpUuids.has(one<Uuid>(r.dhcpv4_options)?.value ?? '')
          ? (one<Uuid>(r.dhcpv4_options)?.value ?? null)
          : null,
        dhcpv6Options: dhcpUuids.has(one<Uuid>(r.dhcpv6_options)?.value ?? '')
          ? (one<Uuid>(r.dhcpv6_options)?.value ?? null)
          : null,
      })),
      // As read: a snapshot without DHCP_Options (readSnapshot without `dhcp`) stays without.
      ...(s.dhcpOptions === undefined && tables.DHCP_Options.length === 0
        ? {}
        : {
            dhcpOptions: tables.DHCP_Options.map((r) => ({
              uuid: (r._uuid as Uuid).value,
              cidr: String(r.cidr),
              options: stringMap(r.options),
              externalIds: stringMap(r.external_ids),
            })),
          }),
    },
  }
}
