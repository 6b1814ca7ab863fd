/**
 * `show`'s northbound snapshot, in ONE transaction of selects (consistent): every
 * Logical_Switch and Logical_Switch_Port (the rows and parsers of lib/nb/snapshot.ts),
 * Logical_Router, Logical_Router_Port and NB_Global (its nb_cfg / sb_cfg / hv_cfg progress).
 * One select per table, whatever the number of ports (lib/nb/snapshot.ts says why).
 */
import { NB_DB } from '../nb/model.js'
import { SWITCH_COLUMNS, toPort, toSwitch, type NbTransactor } from '../nb/snapshot.js'
import { setItems, type Value } from '../ovsdb/codec.js'
import { op, type Operation } from '../ovsdb/operations.js'
import { optionalValue, selectedRows, uuidValue, uuidValues } from '../ovsdb/row-values.js'
import type { Row } from '../ovsdb/schema.js'
import type { NbGlobalRow, NbRouterPortRow, NbRouterRow, NbShowSnapshot } from './model.js'

/**
 * The port columns show reads of every port: what joins it to its VIF and binding, and its
 * addresses (static and northd's dynamic one, for duplicate IPs). A localnet port's options
 * (network_name) and VLAN are read by a second select of the localnet ports only: at 5,000 VIF
 * ports each column left out is 5,000 values fewer to decode (bench/show.ts). toPort leaves the
 * NbPortRow fields of columns not read empty.
 */
export const SHOW_PORT_COLUMNS = ['_uuid', 'name', 'type', 'addresses', 'up', 'dynamic_addresses'] as const
export const LOCALNET_COLUMNS = ['_uuid', 'options', 'tag_request', 'tag'] as const
export const ROUTER_COLUMNS = ['_uuid', 'name', 'ports'] as const
export const ROUTER_PORT_COLUMNS = ['_uuid', 'name', 'mac', 'networks', 'peer'] as const
export const NB_GLOBAL_COLUMNS = ['nb_cfg', 'sb_cfg', 'hv_cfg'] as const

/** The selects readNbShowSnapshot sends (pure, for tests). */
export function nbShowOperations(): Operation[] {
  return [
    op.select('Logical_Switch', [], SWITCH_COLUMNS),
    op.select('Logical_Switch_Port', [], SHOW_PORT_COLUMNS),
    op.select('Logical_Switch_Port', [['type', '==', 'localnet']], LOCALNET_COLUMNS),
    op.select('Logical_Router', [], ROUTER_COLUMNS),
    op.select('Logical_Router_Port', [], ROUTER_PORT_COLUMNS),
    op.select('NB_Global', [], NB_GLOBAL_COLUMNS),
  ]
}

function text(v: Value | undefined): string {
  return String(setItems(v)[0] ?? '')
}

function integer(v: Value | undefined): number {
  return optionalValue<number>(v, 'number') ?? 0
}

function toRouter(r: Row): NbRouterRow {
  return { uuid: uuidValue(r._uuid), name: text(r.name), portUuids: uuidValues(r.ports) }
}

function toRouterPort(r: Row): NbRouterPortRow {
  return {
    uuid: uuidValue(r._uuid),
    name: text(r.name),
    mac: text(r.mac),
    networks: setItems(r.networks).map(String),
    peer: optionalValue<string>(r.peer, 'string'),
  }
}

function toGlobal(r: Row): NbGlobalRow {
  return { nbCfg: integer(r.nb_cfg), sbCfg: integer(r.sb_cfg), hvCfg: integer(r.hv_cfg) }
}

export async function readNbShowSnapshot(nb: NbTransactor): Promise<NbShowSnapshot> {
  const [switches, ports, localnets, routers, routerPorts, global] = (await nb.transact(NB_DB, nbShowOperations())).map(
    selectedRows,
  )
  const g = global?.[0]
  const localnet = new Map((localnets ?? []).map((r) => [uuidValue(r._uuid), r]))
  return {
    switches: (switches ?? []).map(toSwitch),
    ports: (ports ?? []).map((r) => {
      const extra = localnet.get(uuidValue(r._uuid))
      return toPort(extra === undefined ? r : { ...r, ...extra })
    }),
    routers: (routers ?? []).map(toRouter),
    routerPorts: (routerPorts ?? []).map(toRouterPort),
    global: g === undefined ? null : toGlobal(g),
  }
}
