/**
 * Read what the router planners look at in ONE transaction of selects (a consistent snapshot):
 * snapshot.ts's switches, every port (ROUTER_LSP_COLUMNS: a router attach checks the addresses of
 * the switch's ports, a floating IP reads its port's address) and DHCP rows, then every
 * Logical_Router, Logical_Router_Port, NAT, HA_Chassis_Group and HA_Chassis. One select per
 * table, whatever the number of rows (snapshot.ts says why a select per name is worse).
 */
import { setItems, stringMap } from '../ovsdb/codec.js'
import { op, type Operation } from '../ovsdb/operations.js'
import { optionalValue, selectedRows, uuidValue, uuidValues } from '../ovsdb/row-values.js'
import type { Row } from '../ovsdb/schema.js'
import { NB_DB } from './model.js'
import type {
  NbHaChassisRow,
  NbHaGroupRow,
  NbNatRow,
  NbRouterPortRow,
  NbRouterRow,
  RouterSnapshot,
} from './router-model.js'
import { DHCP_OPTIONS_COLUMNS, type NbTransactor, SWITCH_COLUMNS, toDhcpOptions, toPort, toSwitch } from './snapshot.js'

export const ROUTER_COLUMNS = ['_uuid', 'name', 'ports', 'nat', 'options', 'external_ids'] as const
export const ROUTER_PORT_COLUMNS = [
  '_uuid',
  'name',
  'mac',
  'networks',
  'ha_chassis_group',
  'gateway_chassis',
  'options',
  'ipv6_ra_configs',
  'external_ids',
] as const
export const NAT_COLUMNS = [
  '_uuid',
  'type',
  'external_ip',
  'logical_ip',
  'logical_port',
  'external_mac',
  'external_ids',
] as const
export const HA_GROUP_COLUMNS = ['_uuid', 'name', 'ha_chassis', 'external_ids'] as const
export const HA_CHASSIS_COLUMNS = ['_uuid', 'chassis_name', 'priority'] as const

/**
 * The port columns the router planners read: what a port is, its addresses (the gateway address
 * or a floating IP must be nobody's; a FIP maps to the port's IPv4) and options (router-port).
 * Every port of the database is read, so each column left out is N values fewer (snapshot.ts).
 */
export const ROUTER_LSP_COLUMNS = ['_uuid', 'name', 'type', 'addresses', 'dynamic_addresses', 'options'] as const

/** The selects readRouterSnapshot sends (pure, for tests): switches, ports, DHCP rows, then the router tables. */
export function routerSnapshotOperations(): Operation[] {
  return [
    op.select('Logical_Switch', [], SWITCH_COLUMNS),
    op.select('Logical_Switch_Port', [], ROUTER_LSP_COLUMNS),
    op.select('DHCP_Options', [], DHCP_OPTIONS_COLUMNS),
    op.select('Logical_Router', [], ROUTER_COLUMNS),
    op.select('Logical_Router_Port', [], ROUTER_PORT_COLUMNS),
    op.select('NAT', [], NAT_COLUMNS),
    op.select('HA_Chassis_Group', [], HA_GROUP_COLUMNS),
    op.select('HA_Chassis', [], HA_CHASSIS_COLUMNS),
  ]
}

export async function readRouterSnapshot(nb: NbTransactor): Promise<RouterSnapshot> {
  const rows = (await nb.transact(NB_DB, routerSnapshotOperations())).map(selectedRows)
  const [switches = [], ports = [], dhcp = [], routers = [], lrps = [], nats = [], groups = [], chassis = []] = rows
  return {
    switches: switches.map(toSwitch),
    ports: ports.map(toPort),
    dhcpOptions: dhcp.map(toDhcpOptions),
    routers: routers.map(toRouter),
    routerPorts: lrps.map(toRouterPort),
    nats: nats.map(toNat),
    haGroups: groups.map(toHaGroup),
    haChassis: chassis.map(toHaChassis),
  }
}

function text(r: Row, column: string): string {
  return String(setItems(r[column])[0] ?? '')
}

export function toRouter(r: Row): NbRouterRow {
  return {
    uuid: uuidValue(r._uuid),
    name: text(r, 'name'),
    portUuids: uuidValues(r.ports),
    natUuids: uuidValues(r.nat),
    options: stringMap(r.options),
    externalIds: stringMap(r.external_ids),
  }
}

export function toRouterPort(r: Row): NbRouterPortRow {
  return {
    uuid: uuidValue(r._uuid),
    name: text(r, 'name'),
    mac: text(r, 'mac'),
    networks: setItems(r.networks).map(String),
    haChassisGroup: uuidValues(r.ha_chassis_group)[0] ?? null,
    gatewayChassis: uuidValues(r.gateway_chassis),
    options: stringMap(r.options),
    ipv6RaConfigs: stringMap(r.ipv6_ra_configs),
    externalIds: stringMap(r.external_ids),
  }
}

export function toNat(r: Row): NbNatRow {
  return {
    uuid: uuidValue(r._uuid),
    type: text(r, 'type'),
    externalIp: text(r, 'external_ip'),
    logicalIp: text(r, 'logical_ip'),
    logicalPort: optionalValue<string>(r.logical_port, 'string'),
    externalMac: optionalValue<string>(r.external_mac, 'string'),
    externalIds: stringMap(r.external_ids),
  }
}

export function toHaGroup(r: Row): NbHaGroupRow {
  return {
    uuid: uuidValue(r._uuid),
    name: text(r, 'name'),
    haChassis: uuidValues(r.ha_chassis),
    externalIds: stringMap(r.external_ids),
  }
}

export function toHaChassis(r: Row): NbHaChassisRow {
  return {
    uuid: uuidValue(r._uuid),
    chassisName: text(r, 'chassis_name'),
    priority: optionalValue<number>(r.priority, 'number') ?? 0,
  }
}
