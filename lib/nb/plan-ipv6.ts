/**
 * Pure: IPv6 on a logical switch, beside its DHCPv4 (plan-dhcp.ts). Three things, all written in
 * the switch's own transaction (plan-switch.ts planEnsureSwitch):
 *
 * - other_config:ipv6_prefix = the /64. ovn-northd's IPAM then gives every `dynamic` port, besides
 *   its IPv4 address from other_config:subnet (when the switch has one), the address made of the
 *   prefix and the port's MAC as an EUI-64 interface identifier, in the port's dynamic_addresses
 *   (ovn-nb.xml Logical_Switch other_config:ipv6_prefix; ovn-org/ovn northd/ipam.c
 *   update_dynamic_addresses, in6_generate_eui64). northd takes only a /64 and ignores any other
 *   length with a warning (northd/ipam.c init_ipam_ipv6_prefix "must be /64"), so we refuse one.
 *
 * - external_ids `xapi-ovn:ipv6-mode` = slaac | dhcpv6-stateless | dhcpv6-stateful: how guests
 *   are meant to get their address. Only a logical ROUTER port sends Router Advertisements in OVN
 *   (ovn-nb.xml Logical_Router_Port ipv6_ra_configs:address_mode, with values slaac,
 *   dhcpv6_stateless, dhcpv6_stateful; a switch has no such column), so the mode is recorded here
 *   for the router code that connects the switch to read (switchIpv6Mode, RA_ADDRESS_MODE) and
 *   set on its router port. A switch without a router sends no RA: its guests get no on-link
 *   prefix nor default route from OVN, and a DHCPv6 client must be told to ask on its own.
 *
 * - for the two DHCPv6 modes, one DHCP_Options row with cidr = the prefix and options
 *   server_id (a MAC: the server's DUID and the source of its replies, from which northd derives
 *   the server's link-local address), dns_server when asked, and dhcpv6_stateless=true for the
 *   stateless mode (ovn-nb.xml DHCP_Options "DHCPv6 options"). Linked exactly like the DHCPv4 row:
 *   the switch's external_ids `xapi-ovn:dhcpv6-options` holds the row's UUID (a UUID we choose for
 *   the insert, plan-dhcp.ts says why), the row's external_ids `xapi-ovn:switch` names the switch,
 *   and every VIF port of the switch gets it in `dhcpv6_options` (plan-ports.ts, the pool agent's
 *   lib/agent/plan-sync.ts). ovn-northd answers a port's DHCPv6 for each of its IPv6 addresses
 *   inside the row's cidr, the static ones and the one it gave a `dynamic` port; stateful replies
 *   carry that address as IA_NA, stateless ones only the options (ovn-org/ovn northd/northd.c
 *   build_dhcpv6_action; a row without server_id is skipped with a warning there).
 *   Switching to slaac deletes the row (the ports' weak references go with it).
 *
 * The OVN facts, with their sources: docs/platform.md, "IPv6 on a logical switch".
 */
import { Uuid } from '../ovsdb/codec.js'
import { op, where, type Operation } from '../ovsdb/operations.js'
import { InvalidArgumentError } from '../errors.js'
import { isRecord } from '../shape.js'
import { DHCP_SWITCH_KEY, linkPortOperations, planDhcpRow, portsToLink } from './plan-dhcp.js'
import { canonicalIpv6, ipv6Groups } from './ipv6-address.js'
import type { NbDhcpOptionsRow, NbSnapshot, NbSwitchRow } from './model.js'

/** Logical_Switch other_config key of ovn-northd's IPv6 IPAM (ovn-nb.xml). */
export const IPV6_PREFIX_KEY = 'ipv6_prefix'
/** Switch external_ids key: how guests get IPv6 (an Ipv6Mode); the router code reads it. */
export const SWITCH_IPV6_MODE_KEY = 'xapi-ovn:ipv6-mode'
/** Switch external_ids key: the UUID of its DHCPv6 DHCP_Options row. */
export const SWITCH_DHCPV6_KEY = 'xapi-ovn:dhcpv6-options'

export const IPV6_MODES = ['slaac', 'dhcpv6-stateless', 'dhcpv6-stateful'] as const
export type Ipv6Mode = (typeof IPV6_MODES)[number]
export const DEFAULT_IPV6_MODE: Ipv6Mode = 'slaac'

/** The Logical_Router_Port ipv6_ra_configs:address_mode value for each mode (ovn-nb.xml). */
export const RA_ADDRESS_MODE: Readonly<Record<Ipv6Mode, string>> = {
  slaac: 'slaac',
  'dhcpv6-stateless': 'dhcpv6_stateless',
  'dhcpv6-stateful': 'dhcpv6_stateful',
}

/** What a caller asks for: the library's and the CLI's input. */
export interface Ipv6Spec {
  /** A /64 such as 2001:db8:5::/64 (host bits zero). */
  readonly prefix: string
  /** Default slaac (no DHCPv6 row). */
  readonly mode?: Ipv6Mode
  /** DNS servers DHCPv6 hands out (option 23), IPv6; DHCPv6 modes only. */
  readonly dnsServers?: readonly string[]
}

/** A validated Ipv6Spec. */
export interface ParsedIpv6 {
  /** The prefix in RFC 5952 text, e.g. 2001:db8:5::/64. */
  readonly prefix: string
  readonly mode: Ipv6Mode
  readonly dnsServers: readonly string[]
  /** The DHCPv6 server's MAC (server_id), null for slaac. */
  readonly serverId: string | null
}

export type Ipv6RowAction = 'created' | 'updated' | 'unchanged' | 'deleted' | 'none'

export interface Ipv6Plan {
  /** Writes of the DHCPv6 row and the ports' links (the switch's own writes are the caller's). */
  readonly operations: readonly Operation[]
  readonly prefix: string
  readonly mode: Ipv6Mode
  /** The DHCPv6 row's UUID (null: none, or deleted). */
  readonly dhcpv6Uuid: string | null
  readonly action: Ipv6RowAction
  readonly switchOtherConfig: ReadonlyMap<string, string>
  readonly switchExternalIds: ReadonlyMap<string, string>
  /** Switch external_ids keys to remove (the link of a deleted row). */
  readonly switchExternalIdsDropped: readonly string[]
  /** VIF ports of the switch whose dhcpv6_options the plan sets. */
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

/** A global unicast /64 prefix, host bits zero -> its RFC 5952 text with /64. */
export function parseIpv6Prefix(value: unknown, key = 'ipv6.prefix'): string {
  if (typeof value !== 'string') return bad(key, value, 'expected an IPv6 /64 such as 2001:db8:5::/64')
  const [addr = '', len, ...rest] = value.split('/')
  const g = ipv6Groups(addr)
  if (g === null || len === undefined || rest.length > 0 || !/^[0-9]{1,3}$/.test(len))
    bad(key, value, 'expected an IPv6 /64 such as 2001:db8:5::/64')
  if (Number(len) !== 64)
    bad(key, value, 'the prefix length must be 64 (ovn-northd builds EUI-64 addresses on a /64 only)')
  if (g.slice(4).some((x) => x !== 0))
    bad(key, value, 'host bits must be zero (name the network, not an address in it)')
  const first = g[0] ?? 0
  if (first >= 0xff00 || (first & 0xffc0) === 0xfe80 || g.slice(0, 4).every((x) => x === 0))
    bad(key, value, 'expected a unicast prefix (not link-local, multicast or ::)')
  return `${canonicalIpv6(addr) ?? addr}/64`
}

/**
 * The DHCPv6 server's MAC for a prefix: locally administered, 0a:59 and the prefix's last four
 * bytes before the interface identifier, so it is the same on every run and host (and differs
 * from the DHCPv4 server's 0a:58 one, plan-dhcp.ts serverMacOf).
 */
export function dhcpv6ServerMacOf(prefix: string): string {
  const g = ipv6Groups(prefix.split('/')[0] ?? '') ?? []
  const bytes = [g[2] ?? 0, g[3] ?? 0].flatMap((x) => [x >> 8, x & 0xff])
  return ['0a', '59', ...bytes.map((b) => b.toString(16).padStart(2, '0'))].join(':')
}

/** Validate an Ipv6Spec; a bad field is OVN_INVALID_ARGUMENT naming `ipv6.<field>`. */
export function parseIpv6(value: unknown): ParsedIpv6 {
  if (!isRecord(value)) bad('ipv6', value, 'expected an object')
  const fields = ['prefix', 'mode', 'dnsServers']
  for (const k of Object.keys(value)) if (!fields.includes(k)) bad('ipv6', k, `unknown field (${fields.join(', ')})`)
  const prefix = parseIpv6Prefix(value.prefix)
  const mode = value.mode ?? DEFAULT_IPV6_MODE
  const isMode = (m: unknown): m is Ipv6Mode => IPV6_MODES.some((x) => x === m)
  if (!isMode(mode)) return bad('ipv6.mode', mode, `expected one of ${IPV6_MODES.join(', ')}`)
  const dns = value.dnsServers ?? []
  if (!Array.isArray(dns) || dns.length > 8) bad('ipv6.dnsServers', dns, 'expected a list of at most 8 IPv6 addresses')
  if (dns.length > 0 && mode === 'slaac')
    bad('ipv6.dnsServers', dns, 'DNS servers are handed out by DHCPv6: give a dhcpv6-stateless or dhcpv6-stateful mode')
  const dnsServers = dns.map((d: unknown, i: number) => {
    const c = typeof d === 'string' ? canonicalIpv6(d) : null
    if (c === null || c === '::' || c.startsWith('ff'))
      bad(`ipv6.dnsServers[${i}]`, d, 'expected an IPv6 unicast address')
    return c
  })
  return { prefix, mode, dnsServers, serverId: mode === 'slaac' ? null : dhcpv6ServerMacOf(prefix) }
}

/** The DHCPv6 row's `options` (ovn-nb.xml key names); empty for slaac. */
export function dhcpv6OptionsMap(p: ParsedIpv6): Map<string, string> {
  const m = new Map<string, string>()
  if (p.serverId === null) return m
  m.set('server_id', p.serverId)
  if (p.mode === 'dhcpv6-stateless') m.set('dhcpv6_stateless', 'true')
  // Several addresses are OVN's set syntax, "{a, b}" (ovn-nb.xml DHCPv6 options).
  if (p.dnsServers.length === 1) m.set('dns_server', p.dnsServers[0] ?? '')
  if (p.dnsServers.length > 1) m.set('dns_server', `{${p.dnsServers.join(', ')}}`)
  return m
}

/** The switch's IPv6 mode as recorded (the router code reads this), or null when it has none. */
export function switchIpv6Mode(sw: NbSwitchRow): Ipv6Mode | null {
  const m = sw.externalIds.get(SWITCH_IPV6_MODE_KEY)
  return IPV6_MODES.find((x) => x === m) ?? null
}

/** The DHCPv6 row the switch's key names, when the snapshot holds it. */
export function dhcpv6RowOf(s: NbSnapshot, sw: NbSwitchRow): NbDhcpOptionsRow | undefined {
  const id = sw.externalIds.get(SWITCH_DHCPV6_KEY)
  return id === undefined ? undefined : s.dhcpOptions?.find((d) => d.uuid === id)
}

/** The `dhcpv6_options` a VIF port on `sw` should carry, or null (port planners: the switch row only). */
export function portDhcpv6(sw: NbSwitchRow): Uuid | null {
  const id = sw.externalIds.get(SWITCH_DHCPV6_KEY)
  return id !== undefined && Uuid.isValid(id) ? new Uuid(id) : null
}

/**
 * Plan the IPv6 of switch `switchName` (`sw`: its row, null when the same transaction creates it):
 * its keys, its DHCPv6 row (created, updated in place, or deleted for slaac) and the links of its
 * VIF ports. `newUuid` is the UUID a new row gets.
 */
export function planIpv6(
  s: NbSnapshot,
  sw: NbSwitchRow | null,
  switchName: string,
  p: ParsedIpv6,
  newUuid: string,
): Ipv6Plan {
  const existing = sw === null ? undefined : dhcpv6RowOf(s, sw)
  const options = dhcpv6OptionsMap(p)
  const base = {
    prefix: p.prefix,
    mode: p.mode,
    switchOtherConfig: new Map([[IPV6_PREFIX_KEY, p.prefix]]),
    options: Object.fromEntries(options),
  }
  const operations: Operation[] = []
  if (p.serverId === null) {
    // slaac: no DHCPv6. A row of an earlier DHCPv6 mode goes, and the switch's link with it.
    const linked = sw?.externalIds.has(SWITCH_DHCPV6_KEY) === true
    if (existing !== undefined)
      operations.push(op.delete('DHCP_Options', [where('_uuid', '==', new Uuid(existing.uuid))]))
    return {
      ...base,
      operations,
      dhcpv6Uuid: null,
      action: existing === undefined ? 'none' : 'deleted',
      switchExternalIds: new Map([[SWITCH_IPV6_MODE_KEY, p.mode]]),
      switchExternalIdsDropped: linked ? [SWITCH_DHCPV6_KEY] : [],
      linkedPorts: 0,
    }
  }
  const externalIds = new Map([[DHCP_SWITCH_KEY, switchName]])
  const uuid = existing?.uuid ?? newUuid
  // The same row planning and port links as DHCPv4's (plan-dhcp.ts).
  const row = planDhcpRow(existing, uuid, { cidr: p.prefix, options, externalIds })
  operations.push(...row.operations)
  const action: Ipv6RowAction = row.action
  const ports = sw === null ? [] : portsToLink(s, sw, uuid, 'v6')
  operations.push(...linkPortOperations(ports, 'dhcpv6_options', uuid))
  return {
    ...base,
    operations,
    dhcpv6Uuid: uuid,
    action,
    switchExternalIds: new Map([
      [SWITCH_IPV6_MODE_KEY, p.mode],
      [SWITCH_DHCPV6_KEY, uuid],
    ]),
    switchExternalIdsDropped: [],
    linkedPorts: ports.length,
  }
}

/** Delete the switch's DHCPv6 row with it (no-op when it has none). */
export function planDeleteDhcpv6(s: NbSnapshot, sw: NbSwitchRow): Operation[] {
  const row = dhcpv6RowOf(s, sw)
  return row === undefined ? [] : [op.delete('DHCP_Options', [where('_uuid', '==', new Uuid(row.uuid))])]
}
