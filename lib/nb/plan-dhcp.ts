/**
 * Pure: OVN native DHCPv4 for a logical switch. One DHCP_Options row per switch (cidr = the
 * switch's other_config:subnet; options server_id, server_mac, lease_time, router, dns_server,
 * mtu), planned into the SAME transaction as the switch itself (plan-switch.ts planEnsureSwitch).
 *
 * How a switch and its row find each other. The switch's external_ids `xapi-ovn:dhcpv4-options`
 * holds the row's UUID: every port planner already reads switch rows (the pool agent's replica
 * too, lib/agent/nb-replica.ts, which monitors Logical_Switch), so a planner that builds a port
 * sets its `dhcpv4_options` from the switch row alone (plan-ports.ts, lib/agent/plan-sync.ts). A
 * string column cannot hold a named UUID, so a new row is inserted with a UUID we choose (the
 * insert's `uuid` member, ovsdb-server >= 2.13: openvswitch/ovs ovsdb/execution.c
 * `ovsdb_execute_insert`, commit a529e3cd1) and the switch's key is set to it in the same
 * transaction. The row's own external_ids `xapi-ovn:switch` names its switch, for whoever lists
 * DHCP_Options (`ovn-nbctl dhcp-options-list`). A re-run finds the row through the switch's key
 * and updates it in place; a key whose row is gone gets a new row.
 *
 * The guest MTU (option 26): the underlay MTU minus the tunnel's overhead as ovn-controller counts
 * it (ovn-org/ovn controller/physical.c get_tunnel_overhead: lib/ovn-util.h GENEVE_TUNNEL_OVERHEAD
 * 38, VXLAN_TUNNEL_OVERHEAD 30, plus the outer IP header, 20 for IPv4, 40 for IPv6), so 1442 on a
 * 1500-byte IPv4 underlay with Geneve. The figures are lib/show/plan-show.ts's (one constant).
 *
 * ovn-northd answers DHCP for a port only when its row has server_id, server_mac and lease_time
 * and the port's IP (static, or the one northd gave a "dynamic" port) is inside `cidr`
 * (ovn-org/ovn northd/northd.c build_dhcpv4_action); the option names and codes are ovn-nb.xml's
 * DHCP_Options table (router 3, dns_server 6, mtu 26, lease_time 51, server_id 54).
 */
import { Uuid, ovsdbMap } from '../ovsdb/codec.js'
import { op, where, type Operation } from '../ovsdb/operations.js'
import { carriedMtu, TUNNEL_OVERHEAD } from '../show/plan-show.js'
import { InvalidArgumentError } from '../errors.js'
import { ipv4 } from '../chassis/validators.js'
import { isRecord } from '../shape.js'
import type { NbDhcpOptionsRow, NbPortRow, NbSnapshot, NbSwitchRow } from './model.js'

/** Switch external_ids key: the UUID of its DHCP_Options row. */
export const SWITCH_DHCPV4_KEY = 'xapi-ovn:dhcpv4-options'
/** DHCP_Options external_ids key: the name of the switch the row serves. */
export const DHCP_SWITCH_KEY = 'xapi-ovn:switch'
/** Switch other_config key ovn-northd's IPAM skips (ovn-nb.xml Logical_Switch other_config:exclude_ips). */
export const EXCLUDE_IPS = 'exclude_ips'

export const DEFAULT_LEASE_TIME = 3600
export const DEFAULT_UNDERLAY_MTU = 1500
export const DEFAULT_ENCAP = 'geneve'

/** What a caller asks for (all optional): the library's and the CLI's input. */
export interface DhcpSpec {
  /** The default gateway handed out (option 3), inside the subnet; also the DHCP server's address. */
  readonly router?: string
  /** DNS servers (option 6), IPv4. */
  readonly dnsServers?: readonly string[]
  /** Seconds (option 51), 60 to 2^31-1; default 3600. */
  readonly leaseTime?: number
  /** The guest MTU (option 26) as is, 68-65535; excludes underlayMtu/encapType/underlayIpv6. */
  readonly mtu?: number
  /** The tunnel network's MTU (default 1500): the guest MTU is this minus the tunnel overhead. */
  readonly underlayMtu?: number
  /** geneve (default) or vxlan: the chassis' ovn-encap-type. */
  readonly encapType?: string
  /** The tunnel endpoints are IPv6 (40-byte outer header instead of 20). */
  readonly underlayIpv6?: boolean
}

/** A validated DhcpSpec, with the values the row carries. */
export interface ParsedDhcp {
  readonly cidr: string
  readonly serverId: string
  readonly serverMac: string
  readonly router: string | null
  readonly dnsServers: readonly string[]
  readonly leaseTime: number
  readonly mtu: number
}

export type DhcpAction = 'created' | 'updated' | 'unchanged'

export interface DhcpPlan {
  /** Waits and writes of the DHCP_Options row and the ports' links (the switch's own writes are the caller's). */
  readonly operations: readonly Operation[]
  /** The row's UUID: the existing one, or the one the insert asks for. */
  readonly uuid: string
  readonly cidr: string
  readonly action: DhcpAction
  /** external_ids the switch must carry (the link). */
  readonly switchExternalIds: ReadonlyMap<string, string>
  /** other_config the switch must carry (the server's address kept out of northd's IPAM). */
  readonly switchOtherConfig: ReadonlyMap<string, string>
  /** VIF ports of the switch whose dhcpv4_options the plan sets. */
  readonly linkedPorts: number
  readonly options: Readonly<Record<string, string>>
}

function bad(key: string, value: unknown, reason: string): never {
  throw new InvalidArgumentError(
    key,
    typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)),
    reason,
  )
}

function intIn(key: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    bad(key, value, `expected an integer from ${min} to ${max}`)
  return value
}

function ipNumber(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0)
}

function ipText(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.')
}

/** An IPv4 host address of `cidr` (not its network or broadcast address). */
function hostIn(key: string, value: unknown, cidr: string): string {
  if (typeof value !== 'string' || ipv4(value) !== null) bad(key, value, 'expected an IPv4 address')
  const [net = '', len = ''] = cidr.split('/')
  const size = 2 ** (32 - Number(len))
  const offset = ipNumber(value) - ipNumber(net)
  if (offset < 0 || offset >= size) bad(key, value, `not inside the switch's subnet ${cidr}`)
  if (offset === 0 || offset === size - 1) bad(key, value, `the network or broadcast address of ${cidr}`)
  return value
}

/**
 * The DHCP server's MAC: locally administered, derived from its IP (0a:58 + the four octets, the
 * scheme ovn-kubernetes uses for its router ports), so it is the same on every run and host.
 */
export function serverMacOf(ip: string): string {
  return ['0a', '58', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':')
}

/** The guest MTU for this underlay: underlay MTU minus ovn-controller's tunnel overhead. */
export function guestMtu(underlayMtu: number, encapType: string, underlayIpv6: boolean): number | null {
  return carriedMtu(encapType, underlayIpv6 ? '::' : '0.0.0.0', underlayMtu)
}

/**
 * Validate a DhcpSpec against the switch's subnet (a parsed CIDR, see validate-inputs.ts
 * parseSubnet). Every field is checked before anything is read or written; a bad one is
 * OVN_INVALID_ARGUMENT naming `dhcp.<field>`.
 */
export function parseDhcp(value: unknown, cidr: string): ParsedDhcp {
  if (!isRecord(value)) bad('dhcp', value, 'expected an object')
  const fields = ['router', 'dnsServers', 'leaseTime', 'mtu', 'underlayMtu', 'encapType', 'underlayIpv6']
  for (const k of Object.keys(value)) if (!fields.includes(k)) bad('dhcp', k, `unknown field (${fields.join(', ')})`)
  const router = value.router === undefined ? null : hostIn('dhcp.router', value.router, cidr)
  const dns = value.dnsServers ?? []
  if (!Array.isArray(dns) || dns.length > 8) bad('dhcp.dnsServers', dns, 'expected a list of at most 8 IPv4 addresses')
  const dnsServers = dns.map((d: unknown, i: number) => {
    if (typeof d !== 'string' || ipv4(d) !== null || d === '0.0.0.0' || d === '255.255.255.255')
      bad(`dhcp.dnsServers[${i}]`, d, 'expected an IPv4 host address')
    return d
  })
  const leaseTime =
    value.leaseTime === undefined ? DEFAULT_LEASE_TIME : intIn('dhcp.leaseTime', value.leaseTime, 60, 2 ** 31 - 1)
  let mtu: number
  if (value.mtu !== undefined) {
    for (const k of ['underlayMtu', 'encapType', 'underlayIpv6'])
      if (value[k] !== undefined) bad(`dhcp.${k}`, value[k], 'give either mtu or the underlay (underlayMtu, encapType)')
    mtu = intIn('dhcp.mtu', value.mtu, 68, 65535)
  } else {
    const underlay =
      value.underlayMtu === undefined ? DEFAULT_UNDERLAY_MTU : intIn('dhcp.underlayMtu', value.underlayMtu, 576, 65535)
    const encap = value.encapType ?? DEFAULT_ENCAP
    if (typeof encap !== 'string' || !Object.hasOwn(TUNNEL_OVERHEAD, encap))
      bad('dhcp.encapType', encap, `expected one of ${Object.keys(TUNNEL_OVERHEAD).join(', ')}`)
    const v6 = value.underlayIpv6 ?? false
    if (typeof v6 !== 'boolean') bad('dhcp.underlayIpv6', v6, 'expected true or false')
    const carried = guestMtu(underlay, encap, v6)
    if (carried === null || carried < 68) bad('dhcp.underlayMtu', underlay, 'leaves less than 68 bytes for a guest')
    mtu = carried
  }
  // No router: the server answers from the subnet's first host address, which northd must then
  // not hand to a port (EXCLUDE_IPS); with a router, the router's address is the server's.
  const [net = ''] = cidr.split('/')
  const serverId = router ?? ipText(ipNumber(net) + 1)
  return { cidr, serverId, serverMac: serverMacOf(serverId), router, dnsServers, leaseTime, mtu }
}

/** The DHCP_Options `options` column for a parsed spec (ovn-nb.xml's key names). */
export function dhcpOptionsMap(d: ParsedDhcp): Map<string, string> {
  const m = new Map<string, string>([
    ['server_id', d.serverId],
    ['server_mac', d.serverMac],
    ['lease_time', String(d.leaseTime)],
    ['mtu', String(d.mtu)],
  ])
  if (d.router !== null) m.set('router', d.router)
  // Several addresses are OVN's set syntax, "{a, b}" (ovn-nb.xml DHCP_Options, IP address options).
  if (d.dnsServers.length === 1) m.set('dns_server', d.dnsServers[0] ?? '')
  if (d.dnsServers.length > 1) m.set('dns_server', `{${d.dnsServers.join(', ')}}`)
  return m
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v)
}

/** The DHCP_Options row the switch's key names, when the snapshot holds it. */
export function dhcpRowOf(s: NbSnapshot, sw: NbSwitchRow): NbDhcpOptionsRow | undefined {
  const id = sw.externalIds.get(SWITCH_DHCPV4_KEY)
  return id === undefined ? undefined : s.dhcpOptions?.find((d) => d.uuid === id)
}

/**
 * The `dhcpv4_options` a VIF port on `sw` should carry: the switch's DHCP_Options row, or null
 * when the switch has none. Port planners call this with the switch row only (no DHCP table).
 */
export function portDhcpv4(sw: NbSwitchRow): Uuid | null {
  const id = sw.externalIds.get(SWITCH_DHCPV4_KEY)
  return id !== undefined && Uuid.isValid(id) ? new Uuid(id) : null
}

/**
 * Plan the DHCP_Options row of switch `switchName` (`sw`: its row, null when the same transaction
 * creates it) and the links of its VIF ports. `newUuid` is the UUID a new row gets.
 */
export function planDhcp(
  s: NbSnapshot,
  sw: NbSwitchRow | null,
  switchName: string,
  d: ParsedDhcp,
  newUuid: string,
): DhcpPlan {
  const options = dhcpOptionsMap(d)
  const externalIds = new Map([[DHCP_SWITCH_KEY, switchName]])
  const existing = sw === null ? undefined : dhcpRowOf(s, sw)
  const uuid = existing?.uuid ?? newUuid
  const base = {
    uuid,
    cidr: d.cidr,
    switchExternalIds: new Map([[SWITCH_DHCPV4_KEY, uuid]]),
    switchOtherConfig: new Map([[EXCLUDE_IPS, excludeWith(sw?.otherConfig.get(EXCLUDE_IPS), d.serverId, d.cidr)]]),
    options: Object.fromEntries(options),
  }
  const row = planDhcpRow(existing, uuid, { cidr: d.cidr, options, externalIds })
  const ports = sw === null ? [] : portsToLink(s, sw, uuid, 'v4')
  const operations = [...row.operations, ...linkPortOperations(ports, 'dhcpv4_options', uuid)]
  const action = row.action
  return { ...base, operations, action, linkedPorts: ports.length }
}

/**
 * exclude_ips with the server's address in it: a value someone set is kept and the address added
 * (its syntax is addresses and ranges separated by spaces, ovn-nb.xml other_config:exclude_ips).
 * Single addresses outside the subnet (an earlier subnet's server) are dropped: ovn-northd flags
 * them as an error of the whole list (ovn-org/ovn northd/ipam.c init_ipam_ipv4).
 */
function excludeWith(current: string | undefined, ip: string, cidr: string): string {
  const [net = '', len = ''] = cidr.split('/')
  const inside = (w: string): boolean =>
    ipv4(w) !== null || (ipNumber(w) - ipNumber(net) >= 0 && ipNumber(w) - ipNumber(net) < 2 ** (32 - Number(len)))
  const words = (current ?? '').split(/\s+/).filter((w) => w !== '' && inside(w))
  return words.includes(ip) ? words.join(' ') : [...words, ip].join(' ')
}

/** VIF ports of `sw` not yet linked to row `uuid` (ports of a snapshot read without ports: none). */
export function portsToLink(s: NbSnapshot, sw: NbSwitchRow, uuid: string, family: 'v4' | 'v6'): NbPortRow[] {
  const mine = new Set(sw.portUuids)
  return s.ports.filter(
    (p) => mine.has(p.uuid) && p.type === '' && (family === 'v4' ? p.dhcpv4Options : p.dhcpv6Options) !== uuid,
  )
}

/** Point each port's `column` (dhcpv4_options or dhcpv6_options) at row `uuid`. */
export function linkPortOperations(
  ports: readonly NbPortRow[],
  column: 'dhcpv4_options' | 'dhcpv6_options',
  uuid: string,
): Operation[] {
  return ports.map((p) =>
    op.update('Logical_Switch_Port', [where('_uuid', '==', new Uuid(p.uuid))], { [column]: new Uuid(uuid) }),
  )
}

/**
 * The switch's DHCP_Options row (DHCPv4 here, DHCPv6 in plan-ipv6.ts) brought to `want`: inserted
 * as `uuid` when there is none, else updated under a wait for what was read. The row is
 * xapi-ovn's: its options are exactly what was asked (a --dns dropped goes).
 */
export function planDhcpRow(
  existing: NbDhcpOptionsRow | undefined,
  uuid: string,
  want: {
    readonly cidr: string
    readonly options: ReadonlyMap<string, string>
    readonly externalIds: ReadonlyMap<string, string>
  },
): { readonly operations: Operation[]; readonly action: DhcpAction } {
  const row = { cidr: want.cidr, options: ovsdbMap(want.options), external_ids: ovsdbMap(want.externalIds) }
  if (existing === undefined)
    return { operations: [op.insert('DHCP_Options', row, { uuid: new Uuid(uuid) })], action: 'created' }
  if (
    existing.cidr === want.cidr &&
    sameMap(existing.options, want.options) &&
    sameMap(existing.externalIds, want.externalIds)
  )
    return { operations: [], action: 'unchanged' }
  const at = [where('_uuid', '==', new Uuid(existing.uuid))]
  return {
    operations: [
      op.wait('DHCP_Options', at, ['cidr', 'options', 'external_ids'], '==', [
        { cidr: existing.cidr, options: ovsdbMap(existing.options), external_ids: ovsdbMap(existing.externalIds) },
      ]),
      op.update('DHCP_Options', at, row),
    ],
    action: 'updated',
  }
}

/** Delete the switch's DHCP_Options row with it (no-op when it has none). */
export function planDeleteDhcp(s: NbSnapshot, sw: NbSwitchRow): Operation[] {
  const row = dhcpRowOf(s, sw)
  if (row === undefined) return []
  return [op.delete('DHCP_Options', [where('_uuid', '==', new Uuid(row.uuid))])]
}
