/**
 * The rows the router planners look at: a northbound snapshot (model.ts: switches, every port,
 * DHCP rows) plus every Logical_Router, Logical_Router_Port, NAT, HA_Chassis_Group and
 * HA_Chassis, read in ONE transaction (router-snapshot.ts), and the names and keys xapi-ovn
 * gives what it makes.
 *
 * Ownership. A router xapi-ovn made carries external_ids `xapi-ovn:managed=true`; a router
 * without it (Neutron's, ovn-kubernetes', one made by hand) is never changed, not even listed as
 * ours (OVN_NB_ROUTER_FOREIGN). The rows hanging off one of our routers (its ports, NAT rows,
 * gateway HA_Chassis_Group, the `router` ports on the switches) carry `xapi-ovn:router` = the
 * router's name, so each can be told from rows somebody else added.
 *
 * Facts of the OVN_Northbound schema relied on (ovn-nb.ovsschema): Logical_Router and
 * HA_Chassis_Group are root tables (a group must be deleted explicitly; a router's name is not
 * unique); Logical_Router_Port (unique `name` index), NAT and HA_Chassis are not: a row goes when
 * the last strong reference to it goes (router `ports`/`nat`, group `ha_chassis`).
 */
import { Uuid } from '../ovsdb/codec.js'
import { NbRouterAmbiguousError, NbRouterForeignError, NbRouterMissingError } from './errors.js'
import type { NbPortRow, NbSnapshot, NbSwitchRow } from './model.js'

/** Router external_ids: xapi-ovn made it (value ROUTER_OWNED). */
export const ROUTER_OWNED_KEY = 'xapi-ovn:managed'
export const ROUTER_OWNED = 'true'
/** external_ids of every row made for a router (ports, NAT, HA group): the router's name. */
export const ROUTER_KEY = 'xapi-ovn:router'
/** NAT / router port external_ids: the logical switch the row is for (SNAT of its subnet, its router port). */
export const NAT_SWITCH_KEY = 'xapi-ovn:switch'
/** NAT external_ids: what the row is, NAT_KIND_SNAT (a switch's subnet) or NAT_KIND_FIP (a floating IP). */
export const NAT_KIND_KEY = 'xapi-ovn:nat'
export const NAT_KIND_SNAT = 'snat'
export const NAT_KIND_FIP = 'fip'
/** Router port options / LSP options of ovn-nb.xml. */
export const ROUTER_PORT_OPTION = 'router-port'

/** The router port of router `r` on tenant switch `s`, and the switch's `router` port facing it. */
export function routerPortName(router: string, sw: string): string {
  return `lrp-${router}-${sw}`
}
export function switchRouterPortName(router: string, sw: string): string {
  return `lsp-${sw}-${router}`
}
/** The router's gateway port (on the provider switch), its HA_Chassis_Group, and its peer on the switch. */
export function gatewayPortName(router: string): string {
  return `lrp-${router}-gw`
}
export function gatewayGroupName(router: string): string {
  return `${router}-gw`
}

export interface NbRouterRow {
  readonly uuid: string
  readonly name: string
  readonly portUuids: readonly string[]
  readonly natUuids: readonly string[]
  readonly options: ReadonlyMap<string, string>
  readonly externalIds: ReadonlyMap<string, string>
}

export interface NbRouterPortRow {
  readonly uuid: string
  readonly name: string
  readonly mac: string
  readonly networks: readonly string[]
  /** The HA_Chassis_Group that makes it a distributed gateway port, or null. */
  readonly haChassisGroup: string | null
  readonly gatewayChassis: readonly string[]
  readonly options: ReadonlyMap<string, string>
  readonly ipv6RaConfigs: ReadonlyMap<string, string>
  readonly externalIds: ReadonlyMap<string, string>
}

export interface NbNatRow {
  readonly uuid: string
  readonly type: string
  readonly externalIp: string
  readonly logicalIp: string
  readonly logicalPort: string | null
  readonly externalMac: string | null
  readonly externalIds: ReadonlyMap<string, string>
}

export interface NbHaGroupRow {
  readonly uuid: string
  readonly name: string
  readonly haChassis: readonly string[]
  readonly externalIds: ReadonlyMap<string, string>
}

export interface NbHaChassisRow {
  readonly uuid: string
  readonly chassisName: string
  readonly priority: number
}

export interface RouterSnapshot extends NbSnapshot {
  readonly routers: readonly NbRouterRow[]
  readonly routerPorts: readonly NbRouterPortRow[]
  readonly nats: readonly NbNatRow[]
  readonly haGroups: readonly NbHaGroupRow[]
  readonly haChassis: readonly NbHaChassisRow[]
}

export function isOwnedRouter(r: NbRouterRow): boolean {
  return r.externalIds.get(ROUTER_OWNED_KEY) === ROUTER_OWNED
}

/** The router `ref` names (UUID first, then name, as ovn-nbctl resolves it), or undefined. Ambiguity throws. */
export function lookupRouter(s: RouterSnapshot, ref: string): NbRouterRow | undefined {
  if (Uuid.isValid(ref)) {
    const byId = s.routers.find((r) => r.uuid === ref.toLowerCase())
    if (byId) return byId
  }
  const byName = s.routers.filter((r) => r.name === ref)
  if (byName.length > 1) throw new NbRouterAmbiguousError(ref, byName.length)
  return byName[0]
}

/** The router `ref` names, which must exist and be xapi-ovn's. */
export function findOwnedRouter(s: RouterSnapshot, ref: string): NbRouterRow {
  const r = lookupRouter(s, ref)
  if (r === undefined) throw new NbRouterMissingError(ref)
  if (!isOwnedRouter(r)) throw new NbRouterForeignError(ref)
  return r
}

/** The router's ports, by row. */
export function portsOfRouter(s: RouterSnapshot, r: NbRouterRow): NbRouterPortRow[] {
  const mine = new Set(r.portUuids)
  return s.routerPorts.filter((p) => mine.has(p.uuid))
}

export function natsOfRouter(s: RouterSnapshot, r: NbRouterRow): NbNatRow[] {
  const mine = new Set(r.natUuids)
  return s.nats.filter((n) => mine.has(n.uuid))
}

/** The router's gateway port: the one with an HA_Chassis_Group (or gateway_chassis), or undefined. */
export function gatewayPortOf(s: RouterSnapshot, r: NbRouterRow): NbRouterPortRow | undefined {
  return portsOfRouter(s, r).find((p) => p.haChassisGroup !== null || p.gatewayChassis.length > 0)
}

/** A tenant switch attached to a router: the switch, its `router` LSP, and the router port it peers. */
export interface Attachment {
  readonly sw: NbSwitchRow
  readonly lsp: NbPortRow
  readonly lrp: NbRouterPortRow
  readonly router: NbRouterRow
}

/**
 * Every switch-to-router link of the database: a `router` type LSP whose options:router-port
 * names a router port (ovn-nb.xml Logical_Switch_Port type "router"). Links to foreign routers
 * are included (a switch attached to Neutron's router is attached), with their router row.
 */
export function attachments(s: RouterSnapshot): Attachment[] {
  const lrpByName = new Map(s.routerPorts.map((p) => [p.name, p]))
  const routerOfPort = new Map<string, NbRouterRow>()
  for (const r of s.routers) for (const p of r.portUuids) routerOfPort.set(p, r)
  const switchOf = new Map<string, NbSwitchRow>()
  for (const sw of s.switches) for (const p of sw.portUuids) switchOf.set(p, sw)
  const out: Attachment[] = []
  for (const lsp of s.ports) {
    if (lsp.type !== 'router') continue
    const lrp = lrpByName.get(lsp.options.get(ROUTER_PORT_OPTION) ?? '')
    const sw = switchOf.get(lsp.uuid)
    const router = lrp === undefined ? undefined : routerOfPort.get(lrp.uuid)
    if (lrp === undefined || sw === undefined || router === undefined) continue
    out.push({ sw, lsp, lrp, router })
  }
  return out
}

/** A router port's IPv4 network ("198.18.10.1/24"), '' when it has none (networks is a set: any order). */
export function ipv4NetworkOf(p: NbRouterPortRow): string {
  return p.networks.find((n) => !n.includes(':')) ?? ''
}
