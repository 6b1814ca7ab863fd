/**
 * Pure: the address checks of an attach, before any write (issue 14's safety rails).
 * - A static IPv4 address must lie in the switch's `other_config:subnet` when it has one: ovn-northd
 *   hands out dynamic addresses from that subnet, and a port outside it is unreachable through the
 *   switch's router port and DHCP.
 * - A static IPv6 address must lie in the switch's `other_config:ipv6_prefix` (a /64,
 *   plan-ipv6.ts) when it has one: DHCPv6 answers only addresses inside the row's cidr
 *   (ovn-org/ovn northd/northd.c build_dhcpv6_action), and the router port's RAs announce that
 *   prefix alone as on-link.
 * - No IP twice on one switch: another port's static addresses or the dynamic addresses ovn-northd
 *   gave it (`dynamic_addresses`, IPv4 and the EUI-64 IPv6 one), nor twice in one request. Two
 *   ports with one IP on one L2 segment answer ARP (or IPv6 neighbour solicitations) for each
 *   other. IPv6 addresses are compared in their RFC 5952 spelling (2001:db8:0::1 is 2001:db8::1).
 *   A port that is re-attached keeps its own IP.
 */
import { NbAddressConflictError } from './errors.js'
import { canonicalIpv6, inIpv6Prefix64 } from './ipv6-address.js'
import { IPV6_PREFIX_KEY } from './plan-ipv6.js'
import type { NbPortRow, NbSwitchRow } from './model.js'
import type { VifPort } from './validate-inputs.js'

function ipv4ToInt(ip: string): number | null {
  const parts = ip.split('.')
  if (parts.length !== 4) return null
  let n = 0
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > 255) return null
    n = n * 256 + Number(p)
  }
  return n
}

/** Whether IPv4 `ip` is inside `cidr` (a.b.c.d/len); null when either is not IPv4. */
export function inIpv4Subnet(ip: string, cidr: string): boolean | null {
  const [base, lenText] = cidr.split('/')
  const len = Number(lenText)
  const a = ipv4ToInt(ip)
  const b = base === undefined ? null : ipv4ToInt(base)
  if (a === null || b === null || !Number.isInteger(len) || len < 0 || len > 32) return null
  const size = 2 ** (32 - len)
  return Math.floor(a / size) === Math.floor(b / size)
}

/**
 * Port external_ids: the addresses of the router port a `router` port peers (space-separated), as
 * xapi-ovn's router attach and gateway write it (plan-router-attach.ts): its `addresses` say only
 * "router", so this is how a VIF attach sees that the gateway address is taken.
 */
export const ROUTER_ADDRESSES_KEY = 'xapi-ovn:router-addresses'

/** The IPs a port holds: its static addresses ("mac ip ...") and ovn-northd's dynamic one (a router port: its peer's). */
export function portIps(p: NbPortRow): string[] {
  const entries = [...p.addresses, ...(p.dynamicAddresses === null ? [] : [p.dynamicAddresses])]
  const own = entries.flatMap((e) => e.split(/\s+/).slice(1)).filter((x) => x !== '' && x !== 'dynamic')
  const routed =
    p.type === 'router' ? (p.externalIds.get(ROUTER_ADDRESSES_KEY) ?? '').split(' ').filter((x) => x !== '') : []
  return [...own, ...routed]
}

/** One spelling per address: RFC 5952 for IPv6, IPv4 as is (the agent's duplicate check too). */
export function ipKey(ip: string): string {
  return canonicalIpv6(ip) ?? ip
}

export function checkAttachAddresses(
  sw: NbSwitchRow,
  ports: readonly Pick<VifPort, 'name' | 'ips'>[],
  onSwitch: readonly NbPortRow[],
): void {
  const subnet = sw.otherConfig.get('subnet')
  const prefix = sw.otherConfig.get(IPV6_PREFIX_KEY)
  const asked = new Set(ports.map((p) => p.name))
  const used = new Map<string, string>()
  for (const p of onSwitch) {
    if (asked.has(p.name)) continue
    for (const ip of portIps(p)) used.set(ipKey(ip), p.name)
  }
  for (const port of ports) {
    if (port.ips === 'dynamic') continue
    for (const ip of port.ips) {
      if (subnet !== undefined && inIpv4Subnet(ip, subnet) === false) {
        throw new NbAddressConflictError(ip, sw.name, `it is outside the switch's subnet ${subnet}`)
      }
      if (prefix !== undefined && inIpv6Prefix64(ip, prefix) === false) {
        throw new NbAddressConflictError(ip, sw.name, `it is outside the switch's IPv6 prefix ${prefix}`)
      }
      const holder = used.get(ipKey(ip))
      if (holder !== undefined) throw new NbAddressConflictError(ip, sw.name, `port ${holder} already has it`)
      used.set(ipKey(ip), port.name)
    }
  }
}
