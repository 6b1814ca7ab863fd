/**
 * Read the OVN_Northbound rows the planners look at, in ONE transaction of selects (so the
 * snapshot is consistent): every Logical_Switch, plus either every Logical_Switch_Port or only
 * those with the given names (one `select ... where name == N` each; the name is indexed).
 */
import { setItems, stringMap, type Value } from '../ovsdb/codec.js'
import { op, where, type Operation } from '../ovsdb/operations.js'
import { optionalValue, selectedRows, uuidValue, uuidValues } from '../ovsdb/row-values.js'
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
  return [
    switches,
    ...[...new Set(ports)].map((name) => op.select('Logical_Switch_Port', [where('name', '==', name)], PORT_COLUMNS)),
  ]
}

export async function readSnapshot(nb: NbTransactor, ports: readonly string[] | 'all'): Promise<NbSnapshot> {
  const results = await nb.transact(NB_DB, snapshotOperations(ports))
  const [switchRows, ...portRowLists] = results.map(selectedRows)
  return {
    switches: (switchRows ?? []).map(toSwitch),
    ports: portRowLists.flat().map(toPort),
  }
}

function strings(v: Value | undefined): string[] {
  return setItems(v).map(String)
}

export function toSwitch(r: Row): NbSwitchRow {
  return {
    uuid: uuidValue(r._uuid),
    name: String(setItems(r.name)[0] ?? ''),
    portUuids: uuidValues(r.ports),
    otherConfig: stringMap(r.other_config),
    externalIds: stringMap(r.external_ids),
  }
}

export function toPort(r: Row): NbPortRow {
  return {
    uuid: uuidValue(r._uuid),
    name: String(setItems(r.name)[0] ?? ''),
    type: String(setItems(r.type)[0] ?? ''),
    addresses: strings(r.addresses),
    options: stringMap(r.options),
    externalIds: stringMap(r.external_ids),
    tagRequest: optionalValue<number>(r.tag_request, 'number'),
    tag: optionalValue<number>(r.tag, 'number'),
    up: optionalValue<boolean>(r.up, 'boolean'),
    enabled: optionalValue<boolean>(r.enabled, 'boolean'),
    dynamicAddresses: optionalValue<string>(r.dynamic_addresses, 'string'),
  }
}
