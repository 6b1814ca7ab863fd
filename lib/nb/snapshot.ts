/**
 * Read the OVN_Northbound rows the planners look at, in ONE transaction of selects (so the
 * snapshot is consistent): every Logical_Switch, plus (`'all'`) every Logical_Switch_Port, one
 * select per table whatever the number of ports an operation names.
 *
 * Why the whole port table rather than a select per name: ovsdb-server evaluates `where`
 * conditions by scanning the table (it only looks up `_uuid == U` directly; its `name` index
 * serves uniqueness, not queries), so N selects `where name == X` cost it O(N x ports) - at 20,000
 * ports that was 30 s of server CPU for one detach. One select is O(ports) on both sides, and the
 * planners index what it returns by name (model.ts).
 */
import { setItems, stringMap, type Value } from '../ovsdb/codec.js'
import { op, type Operation } from '../ovsdb/operations.js'
import { optionalValue, selectedRows, uuidValue, uuidValues } from '../ovsdb/row-values.js'
import type { Row } from '../ovsdb/schema.js'
import {
  NB_DB,
  type NbAclRow,
  type NbDhcpOptionsRow,
  type NbPortGroupRow,
  type NbPortRow,
  type NbSnapshot,
  type NbSwitchRow,
} from './model.js'

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
  'port_security',
  'options',
  'external_ids',
  'tag_request',
  'tag',
  'up',
  'enabled',
  'dynamic_addresses',
  'dhcpv4_options',
  'dhcpv6_options',
] as const

export const DHCP_OPTIONS_COLUMNS = ['_uuid', 'cidr', 'options', 'external_ids'] as const

/** The security group operations' tables (plan-security-groups.ts); the agent monitors Port_Group too. */
export const PORT_GROUP_COLUMNS = ['_uuid', 'name', 'ports', 'acls', 'external_ids'] as const
export const ACL_COLUMNS = ['_uuid', 'priority', 'direction', 'match', 'action', 'external_ids'] as const

/**
 * The port columns the VIF port planners (planAttachPorts, planDetachPorts) and lib/attach read:
 * what identifies a port, its kind, and what an attach compares. A bulk detach reads every port
 * of the database, so each column left out is N values fewer to send, parse and hold.
 */
// dynamic_addresses: the IP ovn-northd gave a port counts as taken (plan-addresses.ts).
export const VIF_PORT_COLUMNS = [
  '_uuid',
  'name',
  'type',
  'addresses',
  'port_security',
  'dynamic_addresses',
  'external_ids',
  // dhcpv4_options: an attach links the port to its switch's DHCP_Options row (plan-dhcp.ts).
  'dhcpv4_options',
  // dhcpv6_options: likewise for the switch's DHCPv6 row (plan-ipv6.ts).
  'dhcpv6_options',
] as const

/** The port columns a detach reads (planDetachPorts, lib/attach's detach): which port, of what kind. */
export const DETACH_PORT_COLUMNS = ['_uuid', 'name', 'type'] as const

/**
 * Which ports a snapshot holds: every one with every column (`'all'`), every one with
 * VIF_PORT_COLUMNS (`'vif'`) or DETACH_PORT_COLUMNS (`'detach'`) only - the other NbPortRow fields
 * are then empty or null, so only for the planners that read no other - or none (an operation on
 * switches only).
 */
export type SnapshotPorts = 'all' | 'vif' | 'detach' | 'none'

const COLUMNS_OF = { all: PORT_COLUMNS, vif: VIF_PORT_COLUMNS, detach: DETACH_PORT_COLUMNS } as const

/**
 * The select operations readSnapshot sends (pure, for tests); with `dhcp`, DHCP_Options after the
 * ports; with `portGroups`, Port_Group then ACL last.
 */
export function snapshotOperations(ports: SnapshotPorts, dhcp = false, portGroups = false): Operation[] {
  const out = [op.select('Logical_Switch', [], SWITCH_COLUMNS)]
  if (ports !== 'none') out.push(op.select('Logical_Switch_Port', [], COLUMNS_OF[ports]))
  if (dhcp) out.push(op.select('DHCP_Options', [], DHCP_OPTIONS_COLUMNS))
  if (portGroups) out.push(op.select('Port_Group', [], PORT_GROUP_COLUMNS), op.select('ACL', [], ACL_COLUMNS))
  return out
}

/**
 * With `dhcp` (the switch operations: plan-dhcp.ts) the snapshot also holds every DHCP_Options
 * row; with `portGroups` (the security group operations) every Port_Group and ACL row.
 */
export async function readSnapshot(
  nb: NbTransactor,
  ports: SnapshotPorts,
  options: { readonly dhcp?: boolean; readonly portGroups?: boolean } = {},
): Promise<NbSnapshot> {
  const dhcp = options.dhcp === true
  const groups = options.portGroups === true
  const rows = (await nb.transact(NB_DB, snapshotOperations(ports, dhcp, groups))).map(selectedRows)
  const switchRows = rows[0] ?? []
  const portRows = ports === 'none' ? [] : (rows[1] ?? [])
  const dhcpRows = dhcp ? rows[ports === 'none' ? 1 : 2] : undefined
  const groupRows = groups ? rows[rows.length - 2] : undefined
  const aclRows = groups ? rows[rows.length - 1] : undefined
  return {
    switches: switchRows.map(toSwitch),
    ports: portRows.map(toPort),
    ...(dhcpRows === undefined ? {} : { dhcpOptions: dhcpRows.map(toDhcpOptions) }),
    ...(groupRows === undefined ? {} : { portGroups: groupRows.map(toPortGroup) }),
    ...(aclRows === undefined ? {} : { acls: aclRows.map(toAcl) }),
  }
}

export function toPortGroup(r: Row): NbPortGroupRow {
  return {
    uuid: uuidValue(r._uuid),
    name: String(setItems(r.name)[0] ?? ''),
    portUuids: uuidValues(r.ports),
    aclUuids: uuidValues(r.acls),
    externalIds: stringMap(r.external_ids),
  }
}

export function toAcl(r: Row): NbAclRow {
  return {
    uuid: uuidValue(r._uuid),
    priority: Number(setItems(r.priority)[0] ?? 0),
    direction: String(setItems(r.direction)[0] ?? ''),
    match: String(setItems(r.match)[0] ?? ''),
    action: String(setItems(r.action)[0] ?? ''),
    externalIds: stringMap(r.external_ids),
  }
}

export function toDhcpOptions(r: Row): NbDhcpOptionsRow {
  return {
    uuid: uuidValue(r._uuid),
    cidr: String(setItems(r.cidr)[0] ?? ''),
    options: stringMap(r.options),
    externalIds: stringMap(r.external_ids),
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

// What a column not read (or empty) becomes: one shared empty value, not one per row (a bulk
// detach reads 20,000 rows; a Map each for columns it never looks at is memory for nothing).
const NO_STRINGS: readonly string[] = Object.freeze([])
const NO_ENTRIES: ReadonlyMap<string, string> = new Map()

function stringsOrNone(v: Value | undefined): readonly string[] {
  const items = strings(v)
  return items.length === 0 ? NO_STRINGS : items
}

function entriesOrNone(v: Value | undefined): ReadonlyMap<string, string> {
  const m = stringMap(v)
  return m.size === 0 ? NO_ENTRIES : m
}

export function toPort(r: Row): NbPortRow {
  return {
    uuid: uuidValue(r._uuid),
    name: String(setItems(r.name)[0] ?? ''),
    type: String(setItems(r.type)[0] ?? ''),
    addresses: stringsOrNone(r.addresses),
    portSecurity: stringsOrNone(r.port_security),
    options: entriesOrNone(r.options),
    externalIds: entriesOrNone(r.external_ids),
    tagRequest: optionalValue<number>(r.tag_request, 'number'),
    tag: optionalValue<number>(r.tag, 'number'),
    up: optionalValue<boolean>(r.up, 'boolean'),
    enabled: optionalValue<boolean>(r.enabled, 'boolean'),
    dynamicAddresses: optionalValue<string>(r.dynamic_addresses, 'string'),
    dhcpv4Options: r.dhcpv4_options === undefined ? null : (uuidValues(r.dhcpv4_options)[0] ?? null),
    dhcpv6Options: r.dhcpv6_options === undefined ? null : (uuidValues(r.dhcpv6_options)[0] ?? null),
  }
}
