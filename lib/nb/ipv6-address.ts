/**
 * Pure IPv6 address arithmetic for the northbound planners: text <-> eight 16-bit groups, the
 * RFC 5952 text (one spelling per address, so "2001:db8:0::1" and "2001:DB8::1" compare equal),
 * /64 prefix membership, and the EUI-64 address ovn-northd derives from a port's MAC
 * (ovn-org/ovn northd/ipam.c update_dynamic_addresses calls openvswitch/ovs lib/packets.h
 * in6_generate_eui64: the prefix's 64 bits, then the MAC with its universal/local bit flipped and
 * ff:fe in the middle, RFC 4291 appendix A).
 */
import { ipv6 } from '../chassis/validators.js'

/** The eight 16-bit groups of an IPv6 address, or null when `text` is not one (no zone, no dotted tail). */
export function ipv6Groups(text: string): number[] | null {
  if (ipv6(text) !== null || text.includes('.')) return null
  const halves = text.toLowerCase().split('::')
  const part = (s: string | undefined): number[] =>
    s === undefined || s === '' ? [] : s.split(':').map((g) => parseInt(g, 16))
  const head = part(halves[0])
  const tail = part(halves[1])
  if (halves.length === 1) return head
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail]
}

/** RFC 5952 text of eight groups: lower case, no leading zeros, the longest run (>= 2) of zero groups as "::". */
export function formatIpv6(groups: readonly number[]): string {
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) {
      best = i
      bestLen = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (best < 0) return hex.join(':')
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`
}

/** The RFC 5952 spelling of an IPv6 address; null when it is not one. */
export function canonicalIpv6(text: string): string | null {
  const g = ipv6Groups(text)
  return g === null ? null : formatIpv6(g)
}

/** Whether IPv6 `ip` lies in the /64 whose first four groups are `prefix`'s. Null when either is not IPv6. */
export function inIpv6Prefix64(ip: string, prefix: string): boolean | null {
  const a = ipv6Groups(ip)
  const b = ipv6Groups(prefix.split('/')[0] ?? '')
  if (a === null || b === null) return null
  return a.slice(0, 4).every((g, i) => g === b[i])
}

/** The address ovn-northd gives a `dynamic` port with MAC `mac` on a switch with ipv6_prefix `prefix` (a /64). */
export function eui64Address(prefix: string, mac: string): string {
  const net = ipv6Groups(prefix.split('/')[0] ?? '')
  if (net === null) throw new TypeError(`not an IPv6 prefix: ${prefix}`)
  const b = mac.split(':').map((x) => parseInt(x, 16))
  const [b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0] = b
  const iid = [((b0 ^ 0x02) << 8) | b1, (b2 << 8) | 0xff, 0xfe00 | b3, (b4 << 8) | b5]
  return formatIpv6([...net.slice(0, 4), ...iid])
}
