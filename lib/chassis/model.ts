/**
 * The chassis rules work on a plain snapshot of the local Open_vSwitch database: the one
 * Open_vSwitch row and every Bridge, Port and Interface, with maps as Map<string, string>.
 * `snapshot.ts` reads it from OVSDB in one transaction; tests and the library can build one by hand.
 */

export interface OvsRow {
  readonly uuid: string
  readonly externalIds: ReadonlyMap<string, string>
  /** The Open_vSwitch row points at an SSL row (ovn-controller would prefer it to its command line). */
  readonly hasSslRow?: boolean
}

export interface BridgeRow {
  readonly uuid: string
  readonly name: string
  readonly externalIds: ReadonlyMap<string, string>
  readonly failMode: string | null
  readonly datapathType: string
  readonly portUuids: readonly string[]
}

export interface PortRow {
  readonly uuid: string
  readonly name: string
  readonly interfaceUuids: readonly string[]
  readonly externalIds: ReadonlyMap<string, string>
}

export interface InterfaceRow {
  readonly uuid: string
  readonly name: string
  readonly type: string
  readonly externalIds: ReadonlyMap<string, string>
  readonly options: ReadonlyMap<string, string>
}

export interface ChassisSnapshot {
  readonly ovs: OvsRow
  readonly bridges: readonly BridgeRow[]
  readonly ports: readonly PortRow[]
  readonly interfaces: readonly InterfaceRow[]
}

/** What a port on the integration bridge is, by the conventions XAPI and OVN follow. */
export type PortKind = 'local' | 'vif' | 'tap' | 'ovn-patch' | 'ovn-tunnel' | 'other'

export interface BridgePort {
  readonly port: PortRow
  readonly interfaces: readonly InterfaceRow[]
  readonly kind: PortKind
}

export function findBridge(s: ChassisSnapshot, name: string): BridgeRow | undefined {
  return s.bridges.find((b) => b.name === name)
}

const VIF_NAME = /^vif[0-9]+\.[0-9]+$/
const TAP_NAME = /^tap[0-9]+\.[0-9]+$/
const TUNNEL_TYPES = new Set(['geneve', 'vxlan', 'stt'])

export function classifyPort(bridge: BridgeRow, port: PortRow, interfaces: readonly InterfaceRow[]): PortKind {
  const first = interfaces[0]
  if (port.name === bridge.name && first?.type === 'internal') return 'local'
  if (interfaces.length === 1 && first !== undefined) {
    if (VIF_NAME.test(port.name) && first.type === '') return 'vif'
    if (TAP_NAME.test(port.name) && first.type === '') return 'tap'
    // ovn-controller names its patch ports patch-<from>-to-<to> and marks them with
    // external_ids:ovn-localnet-port / ovn-l2gateway-port / ovn-l3gateway-port.
    if (first.type === 'patch' && [...port.externalIds.keys()].some((k) => k.startsWith('ovn-'))) return 'ovn-patch'
    if (TUNNEL_TYPES.has(first.type) && port.externalIds.has('ovn-chassis-id')) return 'ovn-tunnel'
  }
  return 'other'
}

/** The ports of a bridge with their interfaces, in name order. */
export function bridgePorts(s: ChassisSnapshot, bridge: BridgeRow): BridgePort[] {
  const ports = new Map(s.ports.map((p) => [p.uuid, p]))
  const ifaces = new Map(s.interfaces.map((i) => [i.uuid, i]))
  const result: BridgePort[] = []
  for (const uuid of bridge.portUuids) {
    const port = ports.get(uuid)
    if (port === undefined) continue
    const interfaces = port.interfaceUuids.map((u) => ifaces.get(u)).filter((i): i is InterfaceRow => i !== undefined)
    result.push({ port, interfaces, kind: classifyPort(bridge, port, interfaces) })
  }
  return result.sort((a, b) => byCodePoint(a.port.name, b.port.name))
}

/**
 * Order strings by code point: deterministic whatever the locale, and cheap. (localeCompare
 * would load ICU's collator: several milliseconds of every plugin call's start-up.)
 */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** The records xapi-ovn keeps in Open_vSwitch external_ids:xapi-ovn-saved. */
export type SavedValues = Record<string, string | null>
