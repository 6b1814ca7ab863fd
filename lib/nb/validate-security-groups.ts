/**
 * One parser per caller-supplied value of the security group operations (security-groups.ts):
 * a group's name, one rule (direction, protocol, port range, remote CIDR or group, ip4/ip6), a
 * list of group names. Each takes `unknown` (the CLI and programs hand over what they got) and
 * returns the normalised value or throws InvalidArgumentError (`OVN_INVALID_ARGUMENT`, params
 * [key, value, reason]) naming the field. Pure: nothing here looks at the database, so a bad CIDR
 * or a port range of 0, above 65535 or reversed is refused before anything is read or written.
 *
 * A rule is modelled on a Neutron security group rule (openstack/neutron
 * neutron/common/ovn/acl.py `_add_sg_rule_acl_for_port_group`): direction ingress (traffic to the
 * group's ports) or egress (from them), ethertype IPv4 or IPv6, a protocol with a destination port
 * range for tcp/udp, and at most one remote: a CIDR or another group.
 */
import { isIPv6 } from 'node:net'
import { InvalidArgumentError } from '../errors.js'
import { ipv4 } from '../chassis/validators.js'
import { isRecord } from '../shape.js'

export type SgDirection = 'ingress' | 'egress'
export type SgProtocol = 'tcp' | 'udp' | 'icmp' | 'any'
export type SgFamily = 'ip4' | 'ip6'

/** A security group rule as a caller gives it. */
export interface SecurityGroupRuleSpec {
  /** ingress: traffic to the group's ports; egress: traffic they send. */
  readonly direction: SgDirection
  /** Default 'any' (every IP protocol of the family). */
  readonly protocol?: SgProtocol
  /** Destination port or range, tcp/udp only: 22, "22" or "8000-8080" (1-65535, low first). */
  readonly ports?: number | string
  /** The peer's addresses: source for ingress, destination for egress (host bits zero). */
  readonly remoteCidr?: string
  /** The peer is every port of this security group (its address set, kept by ovn-northd). */
  readonly remoteGroup?: string
  /** Default: the remote CIDR's family, else ip4. */
  readonly family?: SgFamily
}

/** A validated rule. `remote` is at most one of a CIDR and a group. */
export interface SgRule {
  readonly direction: SgDirection
  readonly protocol: SgProtocol
  readonly ports: { readonly min: number; readonly max: number } | null
  readonly remote:
    | { readonly kind: 'cidr'; readonly cidr: string }
    | { readonly kind: 'group'; readonly group: string }
    | null
  readonly family: SgFamily
}

// A group's name becomes part of a Port_Group name, which ACL matches name as `@<name>` and whose
// address sets are `$<name>_ip4` / `$<name>_ip6`: OVN's lexer takes [a-zA-Z_.][a-zA-Z_.0-9]*
// there (ovn-org/ovn ovn-nb.xml, Port_Group name). "." is left out: it reads like a field access.
const SG_NAME = /^[A-Za-z][A-Za-z0-9_]{0,47}$/

function bad(key: string, value: unknown, reason: string): never {
  throw new InvalidArgumentError(
    key,
    typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)),
    reason,
  )
}

/** A security group name: a letter, then up to 47 letters, digits or "_". */
export function parseSgName(value: unknown, key = 'group'): string {
  if (typeof value !== 'string') bad(key, value, 'expected a string')
  if (!SG_NAME.test(value))
    bad(key, value, 'security group names are a letter then up to 47 letters, digits or "_" (OVN port group names)')
  return value
}

/** A list of security group names, duplicates dropped, order kept. */
export function parseSgNames(value: unknown, key = 'groups'): string[] {
  if (!Array.isArray(value)) bad(key, value, 'expected an array of security group names')
  return [...new Set(value.map((v: unknown, i: number) => parseSgName(v, `${key}[${i}]`)))]
}

/** "22", 22 or "8000-8080" -> {min, max}, each 1-65535, min <= max. */
export function parsePortRange(value: unknown, key = 'ports'): { min: number; max: number } {
  const text = typeof value === 'number' ? String(value) : value
  if (typeof text !== 'string') bad(key, value, 'expected a port or a range such as 8000-8080')
  const m = /^([0-9]{1,5})(?:-([0-9]{1,5}))?$/.exec(text)
  if (m === null) bad(key, text, 'expected a port or a range such as 8000-8080')
  const min = Number(m[1])
  const max = m[2] === undefined ? min : Number(m[2])
  if (min < 1 || max < 1) bad(key, text, 'port 0 is not a destination port (ports are 1-65535)')
  if (min > 65535 || max > 65535) bad(key, text, 'ports are 1-65535')
  if (min > max) bad(key, text, 'the range is reversed (give the lower port first)')
  return { min, max }
}

/** The 128 bits of an IPv6 address (already checked by isIPv6, no embedded IPv4). */
function ipv6Bits(ip: string): bigint {
  const [head = '', tail] = ip.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n)
}

/** An IPv4 or IPv6 CIDR with its host bits zero; IPv6 in lower case. Returns it and its family. */
export function parseCidr(value: unknown, key = 'remoteCidr'): { cidr: string; family: SgFamily } {
  if (typeof value !== 'string') bad(key, value, 'expected a CIDR such as 192.0.2.0/24')
  const slash = value.indexOf('/')
  const ip = slash < 0 ? value : value.slice(0, slash)
  const len = slash < 0 ? '' : value.slice(slash + 1)
  if (!/^[0-9]{1,3}$/.test(len)) bad(key, value, 'expected a CIDR with a prefix length, such as 192.0.2.0/24')
  const prefix = Number(len)
  if (ipv4(ip) === null) {
    if (prefix > 32) bad(key, value, 'an IPv4 prefix length is 0-32')
    const n = ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0)
    if (n % 2 ** (32 - prefix) !== 0) bad(key, value, 'host bits must be zero (name the network, not an address in it)')
    return { cidr: value, family: 'ip4' }
  }
  if (!isIPv6(ip) || ip.includes('%')) bad(key, value, 'expected an IPv4 or IPv6 CIDR')
  if (ip.includes('.')) bad(key, value, 'IPv4-mapped IPv6 forms are not accepted; give the IPv4 CIDR')
  if (prefix > 128) bad(key, value, 'an IPv6 prefix length is 0-128')
  const hostMask = (1n << BigInt(128 - prefix)) - 1n
  if ((ipv6Bits(ip) & hostMask) !== 0n)
    bad(key, value, 'host bits must be zero (name the network, not an address in it)')
  return { cidr: `${ip.toLowerCase()}/${prefix}`, family: 'ip6' }
}

const RULE_FIELDS = ['direction', 'protocol', 'ports', 'remoteCidr', 'remoteGroup', 'family']

/** A rule: every field checked, then how they combine (ports need tcp/udp; one remote; one family). */
export function parseSgRule(value: unknown, key = 'rule'): SgRule {
  if (!isRecord(value)) bad(key, value, 'expected {direction, protocol?, ports?, remoteCidr? | remoteGroup?, family?}')
  for (const f of Object.keys(value))
    if (!RULE_FIELDS.includes(f)) bad(key, f, `unknown field (${RULE_FIELDS.join(', ')})`)
  const direction = value.direction
  if (direction !== 'ingress' && direction !== 'egress')
    bad(`${key}.direction`, direction, 'expected ingress or egress')
  const protocol = value.protocol ?? 'any'
  if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'icmp' && protocol !== 'any')
    bad(`${key}.protocol`, protocol, 'expected tcp, udp, icmp or any')
  const ports = value.ports === undefined ? null : parsePortRange(value.ports, `${key}.ports`)
  if (ports !== null && protocol !== 'tcp' && protocol !== 'udp')
    bad(`${key}.ports`, value.ports, `a port range needs protocol tcp or udp (not ${protocol})`)
  if (value.remoteCidr !== undefined && value.remoteGroup !== undefined)
    bad(`${key}.remoteGroup`, value.remoteGroup, 'give a remote CIDR or a remote group, not both')
  const cidr = value.remoteCidr === undefined ? null : parseCidr(value.remoteCidr, `${key}.remoteCidr`)
  const group = value.remoteGroup === undefined ? null : parseSgName(value.remoteGroup, `${key}.remoteGroup`)
  const given = value.family
  if (given !== undefined && given !== 'ip4' && given !== 'ip6') bad(`${key}.family`, given, 'expected ip4 or ip6')
  const family: SgFamily = given ?? cidr?.family ?? 'ip4'
  if (cidr !== null && cidr.family !== family)
    bad(`${key}.remoteCidr`, cidr.cidr, `is an ${cidr.family === 'ip4' ? 'IPv4' : 'IPv6'} CIDR in an ${family} rule`)
  return {
    direction,
    protocol,
    ports,
    remote: cidr !== null ? { kind: 'cidr', cidr: cidr.cidr } : group !== null ? { kind: 'group', group } : null,
    family,
  }
}

/** A validated rule as the spec that names it (parseSgRule(ruleSpecOf(r)) is r). */
export function ruleSpecOf(r: SgRule): SecurityGroupRuleSpec {
  return {
    direction: r.direction,
    protocol: r.protocol,
    ...(r.ports === null ? {} : { ports: r.ports.min === r.ports.max ? r.ports.min : `${r.ports.min}-${r.ports.max}` }),
    ...(r.remote?.kind === 'cidr' ? { remoteCidr: r.remote.cidr } : {}),
    ...(r.remote?.kind === 'group' ? { remoteGroup: r.remote.group } : {}),
    family: r.family,
  }
}
