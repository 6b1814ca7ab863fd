/**
 * Read the OVN_Northbound rows the planners look at, in ONE transaction of selects (so the
 * snapshot is consistent): every Logical_Switch, plus either every Logical_Switch_Port or only
 * those with the given names (one `select ... where name == N` each; the name is indexed).
 */
import { InternalError } from '../errors.js'
import { Uuid, setItems, stringMap, type Value } from '../ovsdb/codec.js'
import { op, where, type Operation } from '../ovsdb/operations.js'
import type { Row } from '../ovsdb/schema.js'
import { NB_DB, type NbPortRow, type NbSnapshot, type NbSwitchRow } from './model.js'

/** What the northbound code needs of an OVSDB client (OvsdbClient satisfies it). */
export interface NbTransactor {
  transact(db: string, operations: readonly Operation[]): Promise<readonly unknown[]>
}

export const SWITCH_COLUMNS = ['_uuid', 'name', 'ports', 'other_config', 'external_ids'] as const
export const PORT_COLUMNS = [
  '_uuid',
  'name',
  'type',
  'addresses',
  'options',
  'external_ids',
  'tag_request',
  'tag',
  'up',
  'enabled',
  'dynamic_addresses',
] as const

/** The select operations readSnapshot sends (pure, for tests). */
export function snapshotOperations(ports: readonly string[] | 'all'): Operation[] {
  const switches = op.select('Logical_Switch', [], SWITCH_COLUMNS)
  if (ports === 'all') return [switches, op.select('Logical_Switch_Port', [], PORT_COLUMNS)]
  return [switches, ...[...new Set(ports)].map((name) => op.select('Logical_Switch_Port', [where('name', '==', name)], PORT_COLUMNS))]
}

export async function readSnapshot(nb: NbTransactor, ports: readonly string[] | 'all'): Promise<NbSnapshot> {
  const results = await nb.transact(NB_DB, snapshotOperations(ports))
  const [switchRows, ...portRowLists] = results.map(rowsOf)
  return {
    switches: (switchRows ?? []).map(toSwitch),
    ports: portRowLists.flat().map(toPort),
  }
}

function rowsOf(result: unknown): Row[] {
  const rows = (result as { rows?: unknown } | null)?.rows
  if (!Array.isArray(rows)) throw new InternalError('select returned no rows member')
  return rows as Row[]
}

function uuidOf(v: Value | undefined): string {
  const [u] = setItems(v)
  if (!(u instanceof Uuid)) throw new InternalError('row without a _uuid')
  return u.value
}

function uuids(v: Value | undefined): string[] {
  return setItems(v).map((a) => {
    if (!(a instanceof Uuid)) throw new InternalError('expected a set of UUIDs')
    return a.value
  })
}

function strings(v: Value | undefined): string[] {
  return setItems(v).map(String)
}

function optional<T>(v: Value | undefined, kind: 'string' | 'number' | 'boolean'): T | null {
  const [a] = setItems(v)
  return a !== undefined && typeof a === kind ? (a as T) : null
}

export function toSwitch(r: Row): NbSwitchRow {
  return {
    uuid: uuidOf(r['_uuid']),
    name: String(setItems(r['name'])[0] ?? ''),
    portUuids: uuids(r['ports']),
    otherConfig: stringMap(r['other_config']),
    externalIds: stringMap(r['external_ids']),
  }
}

export function toPort(r: Row): NbPortRow {
  return {
    uuid: uuidOf(r['_uuid']),
    name: String(setItems(r['name'])[0] ?? ''),
    type: String(setItems(r['type'])[0] ?? ''),
    addresses: strings(r['addresses']),
    options: stringMap(r['options']),
    externalIds: stringMap(r['external_ids']),
    tagRequest: optional<number>(r['tag_request'], 'number'),
    tag: optional<number>(r['tag'], 'number'),
    up: optional<boolean>(r['up'], 'boolean'),
    enabled: optional<boolean>(r['enabled'], 'boolean'),
    dynamicAddresses: optional<string>(r['dynamic_addresses'], 'string'),
  }
}
