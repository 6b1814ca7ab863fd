/**
 * One parser per caller-supplied value of the northbound operations. Each takes what the caller
 * gave (typed `unknown`: the CLI and the plugin hand over parsed JSON) and returns the normalised
 * value, or throws InvalidArgumentError (`OVN_INVALID_ARGUMENT`, params [key, value, reason])
 * naming the exact field, e.g. `ports[3].mac`. Pure; nothing here looks at the database.
 */
import { InvalidArgumentError } from '../errors.js'
import { ipv4, ipv6, isMac, isUuid, nameList, printable } from '../chassis/validators.js'
import { isRecord } from '../shape.js'
import { parseDhcp, type DhcpSpec, type ParsedDhcp } from './plan-dhcp.js'
import { parseIpv6, type Ipv6Spec, type ParsedIpv6 } from './plan-ipv6.js'

/** A VIF to attach, as the pool side knows it from XAPI: the VIF's UUID and MAC. */
export interface VifPortSpec {
  /** XAPI VIF UUID (lower case): the logical switch port's name, and the iface-id the host agent sets. */
  readonly vifUuid: string
  /** The VIF's MAC (XAPI `VIF.MAC`), any case. */
  readonly mac: string
  /**
   * Static addresses (IPv4 and/or IPv6), or 'dynamic' to let ovn-northd assign one from the
   * switch's other_config:subnet. Default [] (the port knows the MAC only).
   */
  readonly ips?: readonly string[] | 'dynamic'
  /** external_ids to set on the port (e.g. the VM's UUID); keys not given are left alone. */
  readonly externalIds?: Readonly<Record<string, string>>
  /**
   * Anti-spoofing (default true): port_security = the port's MAC and static IPs (the MAC alone
   * for dynamic or no addresses), so the VM can send from nothing else. XAPI's own locking_mode
   * is OpenFlow on the bridge, which ovn-controller replaces (docs/platform.md): on an OVN port
   * only OVN enforces it. false: no port_security. A list: exactly this port_security (none, or
   * one entry "<the port's MAC> <ip>...", where 0.0.0.0 stands for DHCP only): `port attach`
   * passes the pool agent's own value (lib/agent/plan-desired.ts), so the two never disagree.
   */
  readonly portSecurity?: boolean | readonly string[]
}

/** A validated VifPortSpec. */
export interface VifPort {
  readonly name: string
  readonly mac: string
  readonly ips: readonly string[] | 'dynamic'
  /** The one `addresses` entry: "<mac> <ip>..." or "<mac> dynamic". */
  readonly address: string
  readonly externalIds: ReadonlyMap<string, string>
  /** The one `port_security` entry ("<mac> <ip>..." or "<mac>"), or null for none. */
  readonly portSecurity: string | null
}

export interface LocalnetPortSpec {
  /**
   * The logical switch port's name, e.g. "provnet-mgmt". Omitted: `provnet-<networkName>`, and a
   * localnet port the switch already has for that network is taken as the one meant.
   */
  readonly name?: string
  /** options:network_name: a physical network name as used in ovn-bridge-mappings (physnet:bridge). */
  readonly networkName: string
  /** VLAN of the provider network (tag_request), 1-4094; omit for an untagged (flat) network. */
  readonly vlan?: number
}

export interface LocalnetPort {
  readonly name: string
  /** The caller named the port (false: the default name). */
  readonly nameGiven: boolean
  readonly networkName: string
  readonly vlan: number | null
}

export interface SwitchOptions {
  /** other_config:subnet, an IPv4 CIDR such as 192.0.2.0/24: ovn-northd assigns "dynamic" addresses from it. */
  readonly subnet?: string
  /** external_ids to set on the switch; keys not given are left alone. */
  readonly externalIds?: Readonly<Record<string, string>>
  /**
   * OVN native DHCPv4 on the subnet (needs `subnet` in the same call): a DHCP_Options row
   * (lib/nb/plan-dhcp.ts) its VIF ports are linked to. `{}` gives the defaults: lease 3600 s,
   * MTU 1442 (a 1500-byte IPv4 underlay with Geneve), no router, no DNS.
   */
  readonly dhcp?: DhcpSpec
  /**
   * IPv6 on the switch (lib/nb/plan-ipv6.ts): other_config:ipv6_prefix (a /64: ovn-northd gives
   * `dynamic` ports an EUI-64 address in it), the mode guests use (slaac by default; recorded for
   * the router port's RAs) and, for the DHCPv6 modes, a DHCPv6 row its VIF ports are linked to.
   */
  readonly ipv6?: Ipv6Spec
}

export interface ParsedSwitchOptions {
  readonly subnet: string | null
  readonly externalIds: ReadonlyMap<string, string>
  readonly dhcp: ParsedDhcp | null
  readonly ipv6: ParsedIpv6 | null
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/
const MAX_EXTERNAL_ID = 256

function bad(key: string, value: unknown, reason: string): never {
  throw new InvalidArgumentError(key, typeof value === 'string' ? value : describe(value), reason)
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

function str(key: string, value: unknown): string {
  if (typeof value !== 'string') bad(key, value, 'expected a string')
  return value
}

/** The name of a switch to create: letters, digits, "_", ".", ":", "-" (max 64), not UUID-shaped. */
export function parseSwitchName(value: unknown, key = 'switch'): string {
  const v = str(key, value)
  if (!NAME.test(v))
    bad(key, v, 'switch names are 1-64 letters, digits, "_", ".", ":" or "-", starting with a letter, digit or "_"')
  if (isUuid(v.toLowerCase()))
    bad(key, v, 'a switch name must not look like a UUID (UUIDs name switches by their row UUID)')
  return v
}

/** A reference to an existing switch (name or row UUID): any printable, non-empty text. */
export function parseSwitchRef(value: unknown, key = 'switch'): string {
  const v = str(key, value)
  if (v.length === 0) bad(key, v, 'empty switch name')
  if (v.length > 256) bad(key, v, 'switch names are at most 256 characters')
  const reason = printable(v)
  if (reason !== null) bad(key, v, reason)
  return v
}

/** An IPv4 CIDR with its host bits zero and room for hosts (/1 to /30). */
export function parseSubnet(value: unknown, key = 'subnet'): string {
  const v = str(key, value)
  const slash = v.indexOf('/')
  if (slash < 0) bad(key, v, 'expected an IPv4 CIDR such as 192.0.2.0/24')
  const ip = v.slice(0, slash)
  const len = v.slice(slash + 1)
  if (ipv4(ip) !== null || !/^[0-9]{1,2}$/.test(len)) bad(key, v, 'expected an IPv4 CIDR such as 192.0.2.0/24')
  const prefix = Number(len)
  if (prefix < 1 || prefix > 30) bad(key, v, 'the prefix length must be 1-30 (ovn-northd needs addresses to hand out)')
  const n = ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0)
  const hostBits = 2 ** (32 - prefix)
  if (n % hostBits !== 0) bad(key, v, 'host bits must be zero (name the network, not an address in it)')
  return v
}

/** A string->string map to write into external_ids: printable keys and values. */
export function parseExternalIds(value: unknown, key = 'externalIds'): Map<string, string> {
  const out = new Map<string, string>()
  if (value === undefined) return out
  if (!isRecord(value)) bad(key, value, 'expected an object of strings')
  for (const [k, v] of Object.entries(value)) {
    if (k.length === 0 || k.length > MAX_EXTERNAL_ID || printable(k) !== null)
      bad(key, k, `keys must be 1-${MAX_EXTERNAL_ID} printable characters`)
    const s = str(`${key}.${k}`, v)
    if (s.length > MAX_EXTERNAL_ID * 4) bad(`${key}.${k}`, s, `values are at most ${MAX_EXTERNAL_ID * 4} characters`)
    const reason = printable(s)
    if (reason !== null) bad(`${key}.${k}`, s, reason)
    out.set(k, s)
  }
  return out
}

export function parseSwitchOptions(value: unknown): ParsedSwitchOptions {
  if (value === undefined) return { subnet: null, externalIds: new Map(), dhcp: null, ipv6: null }
  if (!isRecord(value)) bad('options', value, 'expected an object')
  const o = value
  for (const k of Object.keys(o))
    if (!['subnet', 'externalIds', 'dhcp', 'ipv6'].includes(k))
      bad('options', k, 'unknown option (subnet, externalIds, dhcp, ipv6)')
  const subnet = o.subnet === undefined ? null : parseSubnet(o.subnet)
  if (o.dhcp !== undefined && subnet === null)
    bad('dhcp', o.dhcp, 'DHCP needs the subnet in the same call (it is the DHCP_Options cidr)')
  return {
    subnet,
    externalIds: parseExternalIds(o.externalIds),
    dhcp: o.dhcp === undefined || subnet === null ? null : parseDhcp(o.dhcp, subnet),
    ipv6: o.ipv6 === undefined ? null : parseIpv6(o.ipv6),
  }
}

/** A unicast Ethernet address, normalised to lower case. */
export function parseMac(value: unknown, key = 'mac'): string {
  const v = str(key, value).toLowerCase()
  if (!isMac(v)) bad(key, v, 'expected a MAC address like 02:00:00:00:00:01')
  if (parseInt(v.slice(0, 2), 16) & 1) bad(key, v, 'a port address must be unicast (multicast bit set)')
  if (v === '00:00:00:00:00:00') bad(key, v, 'the all-zero MAC is not a port address')
  return v
}

/** An IPv4 or IPv6 host address (no prefix length, no zone), IPv6 in lower case. */
export function parseIp(value: unknown, key = 'ip'): string {
  const v = str(key, value)
  if (ipv4(v) === null) {
    if (v === '0.0.0.0' || v === '255.255.255.255') bad(key, v, 'not a host address')
    return v
  }
  if (ipv6(v) === null) {
    if (v.includes('.')) bad(key, v, 'IPv4-mapped IPv6 forms are not accepted; give the IPv4 address')
    return v.toLowerCase()
  }
  return bad(key, v, 'expected an IPv4 or IPv6 address without prefix length')
}

/** "<mac> <ip>..." or "<mac> dynamic": the Logical_Switch_Port addresses entry. */
export function formatAddress(mac: string, ips: readonly string[] | 'dynamic'): string {
  return ips === 'dynamic' ? `${mac} dynamic` : [mac, ...ips].join(' ')
}

/** Validate a list of VIF ports: each field, then no VIF, MAC or IP twice within the request. */
export function parseVifPorts(value: unknown, key = 'ports'): VifPort[] {
  if (!Array.isArray(value)) bad(key, value, 'expected an array of {vifUuid, mac, ips}')
  const seenVif = new Map<string, number>()
  const seenMac = new Map<string, number>()
  const seenIp = new Map<string, number>()
  return value.map((item: unknown, i: number): VifPort => {
    const k = `${key}[${i}]`
    if (!isRecord(item)) bad(k, item, 'expected {vifUuid, mac, ips}')
    const o = item
    for (const f of Object.keys(o))
      if (!['vifUuid', 'mac', 'ips', 'externalIds', 'portSecurity'].includes(f))
        bad(k, f, 'unknown field (vifUuid, mac, ips, externalIds, portSecurity)')
    const name = str(`${k}.vifUuid`, o.vifUuid)
    if (!isUuid(name)) bad(`${k}.vifUuid`, name, 'expected the lower-case UUID of a XAPI VIF')
    const mac = parseMac(o.mac, `${k}.mac`)
    let ips: string[] | 'dynamic'
    const rawIps = o.ips
    if (rawIps === undefined) {
      ips = []
    } else if (rawIps === 'dynamic') {
      ips = 'dynamic'
    } else if (Array.isArray(rawIps)) {
      ips = rawIps.map((ip: unknown, j: number) => parseIp(ip, `${k}.ips[${j}]`))
    } else {
      bad(`${k}.ips`, rawIps, 'expected an array of IP addresses or "dynamic"')
    }
    const dupe = (seen: Map<string, number>, v: string, field: string): void => {
      const first = seen.get(v)
      if (first !== undefined) bad(field, v, `also given for ${key}[${first}]`)
      seen.set(v, i)
    }
    dupe(seenVif, name, `${k}.vifUuid`)
    dupe(seenMac, mac, `${k}.mac`)
    if (ips !== 'dynamic') {
      const own = new Set<string>()
      ips.forEach((ip, j) => {
        if (own.has(ip)) bad(`${k}.ips[${j}]`, ip, 'listed twice')
        own.add(ip)
        dupe(seenIp, ip, `${k}.ips[${j}]`)
      })
    }
    return {
      name,
      mac,
      ips,
      address: formatAddress(mac, ips),
      externalIds: parseExternalIds(o.externalIds, `${k}.externalIds`),
      portSecurity: parsePortSecurity(o.portSecurity, mac, ips, `${k}.portSecurity`),
    }
  })
}

/** A VifPortSpec's portSecurity -> the one port_security entry, or null for none. */
function parsePortSecurity(
  value: unknown,
  mac: string,
  ips: readonly string[] | 'dynamic',
  key: string,
): string | null {
  if (value === undefined || value === true) return formatAddress(mac, ips === 'dynamic' ? [] : ips)
  if (value === false) return null
  if (!Array.isArray(value)) return bad(key, value, 'expected true or false')
  if (value.length === 0) return null
  const [entry] = value
  if (value.length > 1 || typeof entry !== 'string') bad(key, value, 'expected at most one port_security entry')
  const [own, ...addrs] = entry.split(' ')
  if (own !== mac) bad(key, entry, `expected the port's MAC ${mac} first`)
  for (const a of addrs) if (a !== '0.0.0.0') parseIp(a, key)
  return entry
}

/** A list of VIF UUIDs (for detach): lower-case UUIDs, duplicates dropped. */
export function parseVifUuids(value: unknown, key = 'vifUuids'): string[] {
  if (!Array.isArray(value)) bad(key, value, 'expected an array of VIF UUIDs')
  // A Set keeps first-seen order and drops duplicates in O(1) each (issue 13: an array's
  // `includes` made 20,000 VIFs cost 7.8 s).
  const out = new Set<string>()
  value.forEach((v: unknown, i: number) => {
    const s = str(`${key}[${i}]`, v)
    if (!isUuid(s)) bad(`${key}[${i}]`, s, 'expected the lower-case UUID of a XAPI VIF')
    out.add(s)
  })
  return [...out]
}

/**
 * A physical network name as ovn-bridge-mappings spells it (the `physnet` of physnet:bridge,
 * same rule as lib/chassis/validators.ts): letters, digits, "_", ".", "-".
 */
export function parseNetworkName(value: unknown, key = 'networkName'): string {
  const v = str(key, value)
  const reason = v === '' || v.includes(',') ? 'expected one physical network name' : nameList(v)
  if (reason !== null) bad(key, v, `${reason} (it must match a physnet of ovn-bridge-mappings)`)
  return v
}

/** A localnet (non-VIF) logical switch port name. */
export function parsePortName(value: unknown, key = 'name'): string {
  const name = str(key, value)
  if (!NAME.test(name)) bad(key, name, 'port names are 1-64 letters, digits, "_", ".", ":" or "-"')
  if (isUuid(name.toLowerCase())) bad(key, name, 'UUID-shaped port names are reserved for VIF ports')
  return name
}

export function parseLocalnetPort(value: unknown): LocalnetPort {
  if (!isRecord(value)) bad('port', value, 'expected {name, networkName, vlan?}')
  const o = value
  for (const f of Object.keys(o))
    if (!['name', 'networkName', 'vlan'].includes(f)) bad('port', f, 'unknown field (name, networkName, vlan)')
  const networkName = parseNetworkName(o.networkName)
  const nameGiven = o.name !== undefined
  const name = parsePortName(nameGiven ? o.name : `provnet-${networkName}`)
  let vlan: number | null = null
  if (o.vlan !== undefined) {
    const v = o.vlan
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 4094)
      bad('vlan', v, 'expected a VLAN id from 1 to 4094')
    vlan = v
  }
  return { name, nameGiven, networkName, vlan }
}
