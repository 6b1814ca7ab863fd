/**
 * One parser per caller-supplied value of the router operations (routers.ts), like
 * validate-inputs.ts: `unknown` in, the normalised value out, or InvalidArgumentError
 * (`OVN_INVALID_ARGUMENT`) naming the field. Pure; IPv4 arithmetic for the planners too.
 */
import { InvalidArgumentError } from '../errors.js'
import { ipv4, isUuid, printable } from '../chassis/validators.js'
import { isRecord } from '../shape.js'
import { parseIp, parseSubnet } from './validate-inputs.js'
import { formatIpv6, ipv6Groups } from './ipv6-address.js'

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/
/** HA_Chassis priority is 0-32767 (ovn-nb.ovsschema); the first chassis gets the highest we give. */
export const TOP_PRIORITY = 100
export const MAX_GATEWAY_CHASSIS = 10

function bad(key: string, value: unknown, reason: string): never {
  throw new InvalidArgumentError(
    key,
    typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)),
    reason,
  )
}

function str(key: string, value: unknown): string {
  if (typeof value !== 'string') bad(key, value, 'expected a string')
  return value
}

/** The name of a router to create: letters, digits, "_", ".", ":", "-" (max 64), not UUID-shaped. */
export function parseRouterName(value: unknown, key = 'router'): string {
  const v = str(key, value)
  if (!NAME.test(v))
    bad(key, v, 'router names are 1-64 letters, digits, "_", ".", ":" or "-", starting with a letter, digit or "_"')
  if (isUuid(v.toLowerCase())) bad(key, v, 'a router name must not look like a UUID (UUIDs name routers by their row)')
  return v
}

/** A reference to an existing router (name or row UUID): printable, non-empty. */
export function parseRouterRef(value: unknown, key = 'router'): string {
  const v = str(key, value)
  if (v.length === 0 || v.length > 256) bad(key, v, 'expected a router name or UUID (1-256 characters)')
  const reason = printable(v)
  if (reason !== null) bad(key, v, reason)
  return v
}

export function ipNumber(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0)
}

export function ipText(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.')
}

/** An IPv4 CIDR as numbers: its network address and size. */
export function cidrRange(cidr: string): { readonly net: number; readonly size: number; readonly prefix: number } {
  const [net = '', len = ''] = cidr.split('/')
  const prefix = Number(len)
  return { net: ipNumber(net), size: 2 ** (32 - prefix), prefix }
}

/** `ip` is a host address of `cidr` (not its network or broadcast address). */
export function isHostOf(ip: string, cidr: string): boolean {
  const { net, size } = cidrRange(cidr)
  const offset = ipNumber(ip) - net
  return offset > 0 && offset < size - 1
}

export function cidrsOverlap(a: string, b: string): boolean {
  const x = cidrRange(a)
  const y = cidrRange(b)
  return x.net < y.net + y.size && y.net < x.net + x.size
}

/** The subnet's first host address: the gateway address by custom (and ovn-nbctl's examples). */
export function firstHost(cidr: string): string {
  return ipText(cidrRange(cidr).net + 1)
}

/**
 * A router port's MAC, from its IPv4 address: locally administered 0a:58 + the four octets (the
 * scheme plan-dhcp.ts serverMacOf uses, so a DHCP server answering from the gateway address has
 * the gateway's own MAC). Unique on a switch as long as the addresses are.
 */
export function routerMacOf(ip: string): string {
  return ['0a', '58', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':')
}

/** A gateway address with its prefix length, "198.18.0.10/24": the address, and the network it is in. */
export interface GatewayAddress {
  readonly ip: string
  readonly prefix: number
  /** "198.18.0.10/24", as Logical_Router_Port networks spells it. */
  readonly network: string
  /** The network's CIDR, "198.18.0.0/24". */
  readonly cidr: string
}

export function parseGatewayAddress(value: unknown, key = 'ip'): GatewayAddress {
  const v = str(key, value)
  const [ip = '', len, ...rest] = v.split('/')
  if (len === undefined || rest.length > 0 || ipv4(ip) !== null || !/^[0-9]{1,2}$/.test(len))
    bad(key, v, 'expected an IPv4 address with its prefix length, such as 198.18.0.10/24')
  const prefix = Number(len)
  if (prefix < 1 || prefix > 30) bad(key, v, 'the prefix length must be 1-30')
  const size = 2 ** (32 - prefix)
  const cidr = `${ipText(ipNumber(ip) - (ipNumber(ip) % size))}/${prefix}`
  if (!isHostOf(ip, cidr)) bad(key, v, `the network or broadcast address of ${cidr}`)
  return { ip, prefix, network: `${ip}/${prefix}`, cidr: parseSubnet(cidr, key) }
}

/** Gateway chassis names (ovn-controller's system-id), in priority order, at least one, none twice. */
export function parseChassisList(value: unknown, key = 'chassis'): string[] {
  if (!Array.isArray(value) || value.length === 0)
    bad(key, value, 'expected at least one chassis name (system-id), highest priority first')
  if (value.length > MAX_GATEWAY_CHASSIS) bad(key, value, `at most ${MAX_GATEWAY_CHASSIS} gateway chassis`)
  const seen = new Set<string>()
  return value.map((c: unknown, i: number) => {
    const name = str(`${key}[${i}]`, c)
    const reason = name === '' || name.length > 256 ? 'expected a chassis name (1-256 characters)' : printable(name)
    if (reason !== null) bad(`${key}[${i}]`, name, reason)
    if (seen.has(name)) bad(`${key}[${i}]`, name, 'listed twice')
    seen.add(name)
    return name
  })
}

/** HA_Chassis priorities for chassis in order: 100, 90, 80, ... (ovn-northd makes the highest active). */
export function chassisPriorities(
  chassis: readonly string[],
): { readonly chassis: string; readonly priority: number }[] {
  return chassis.map((c, i) => ({ chassis: c, priority: TOP_PRIORITY - 10 * i }))
}

/** What `routerGateway` takes. */
export interface GatewaySpec {
  /** The provider switch (name or UUID): it must have a localnet port. */
  readonly switch: string
  /** The router's address there with its prefix length, e.g. 198.18.0.10/24. */
  readonly ip: string
  /** Gateway chassis (system-id), highest priority first. */
  readonly chassis: readonly string[]
}

export interface ParsedGateway {
  readonly switchRef: string
  readonly address: GatewayAddress
  readonly chassis: readonly string[]
}

export function parseGatewaySpec(value: unknown): ParsedGateway {
  if (!isRecord(value)) bad('gateway', value, 'expected {switch, ip, chassis}')
  for (const k of Object.keys(value))
    if (!['switch', 'ip', 'chassis'].includes(k)) bad('gateway', k, 'unknown field (switch, ip, chassis)')
  const switchRef = str('switch', value.switch)
  if (switchRef === '') bad('switch', switchRef, 'empty switch name')
  return { switchRef, address: parseGatewayAddress(value.ip), chassis: parseChassisList(value.chassis) }
}

/** What `addFloatingIp` takes: the VIF (its port's name) and the external address. */
export interface FipSpec {
  readonly vifUuid: string
  readonly ip: string
  /**
   * false (default): distributed, NAT done on the VM's own chassis (logical_port + external_mac);
   * true: centralized on the gateway chassis (no external_mac). See plan-fip.ts.
   */
  readonly centralized?: boolean
}

export interface ParsedFip {
  readonly vifUuid: string
  readonly ip: string
  readonly centralized: boolean
}

export function parseFipSpec(value: unknown): ParsedFip {
  if (!isRecord(value)) bad('fip', value, 'expected {vifUuid, ip}')
  for (const k of Object.keys(value))
    if (!['vifUuid', 'ip', 'centralized'].includes(k)) bad('fip', k, 'unknown field (vifUuid, ip, centralized)')
  const vifUuid = str('vifUuid', value.vifUuid)
  if (!isUuid(vifUuid)) bad('vifUuid', vifUuid, 'expected the lower-case UUID of a XAPI VIF')
  const ip = parseExternalIp(value.ip)
  const c = value.centralized ?? false
  if (typeof c !== 'boolean') bad('centralized', c, 'expected true or false')
  return { vifUuid, ip, centralized: c }
}

/** An external (floating) IPv4 address, without prefix length. */
export function parseExternalIp(value: unknown, key = 'ip'): string {
  const ip = parseIp(value, key)
  if (ipv4(ip) !== null) bad(key, ip, 'floating IPs are IPv4 addresses')
  return ip
}

/**
 * The router's IPv6 address on a switch with other_config:ipv6_prefix (ovn-nb.xml: a /64 prefix,
 * "2001:db8:10::" or "2001:db8:10::/64"): the prefix's first address with /64, as
 * Logical_Router_Port networks spells it, e.g. "2001:db8:10::1/64". Anything else is
 * OVN_INVALID_ARGUMENT naming the switch's key.
 */
export function routerIpv6Network(prefix: string, key = 'ipv6_prefix'): string {
  const [ip = '', len, ...rest] = prefix.split('/')
  const groups = ipv6Groups(ip)
  if (groups === null || rest.length > 0 || (len !== undefined && len !== '64'))
    bad(key, prefix, 'expected a /64 IPv6 prefix such as 2001:db8:10:: (ovn-northd takes /64 only)')
  if (groups.slice(4).some((g) => g !== 0)) bad(key, prefix, 'the interface bits of a /64 prefix must be zero')
  return `${formatIpv6([...groups.slice(0, 7), 1])}/64`
}
