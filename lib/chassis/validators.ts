/**
 * One parser per value format. Each takes the raw string and returns a reason it is wrong, or
 * null when it is well-formed. Pure and shared by the plugin (configure arguments, verify checks
 * of what is in OVSDB) and the pool driver (validate before any host is touched).
 */
import { isIPv6 } from 'node:net'

export type Validator = (value: string) => string | null

const BRIDGE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/
const HOSTNAME_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
// Either case: OVS, OVN and XAPI all accept and keep upper-case hex digits.
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i

export function isUuid(value: string): boolean {
  return UUID.test(value)
}

/** An Ethernet address written as six colon-separated hex pairs, in either case. */
export function isMac(value: string): boolean {
  return MAC.test(value)
}

/** An OVS bridge name that is also a valid Linux interface name (IFNAMSIZ 16, so 15 chars). */
export const bridgeName: Validator = (v) => {
  if (v.length === 0) return 'empty bridge name'
  if (v.length > 15) return 'bridge names are at most 15 characters (Linux interface name)'
  if (!BRIDGE_NAME.test(v)) return 'bridge names use only letters, digits, "_", "." and "-"'
  return null
}

export const uuid: Validator = (v) => (isUuid(v) ? null : 'expected a lower-case UUID')

export function ipv4(v: string): string | null {
  const parts = v.split('.')
  if (parts.length !== 4) return 'expected an IPv4 address'
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return 'expected an IPv4 address'
  }
  return null
}

/** IPv6 without a zone index (ovn-controller and OVSDB remotes take plain addresses). */
export function ipv6(v: string): string | null {
  return !v.includes('%') && isIPv6(v) ? null : 'expected an IPv6 address'
}

export const ipAddress: Validator = (v) =>
  ipv4(v) === null || ipv6(v) === null ? null : 'expected an IPv4 or IPv6 address'

/** One OVSDB remote as ovn-controller accepts it for ovn-remote: tcp:IP:PORT, ssl:IP:PORT, unix:PATH. */
export function ovsdbRemote(v: string): string | null {
  const m = /^(tcp|ssl):(.+):([0-9]{1,5})$/.exec(v)
  if (m) {
    let host = m[2] ?? ''
    if (host.startsWith('[') && host.endsWith(']')) {
      host = host.slice(1, -1)
      if (ipv6(host) !== null) return `${v}: expected an IPv6 address inside [ ]`
    } else if (ipv4(host) !== null) {
      return `${v}: expected IP:PORT with a numeric address (IPv6 in [ ])`
    }
    const port = Number(m[3])
    if (port < 1 || port > 65535) return `${v}: port must be 1-65535`
    return null
  }
  if (v.startsWith('unix:')) {
    const path = v.slice(5)
    if (!path.startsWith('/')) return `${v}: unix: needs an absolute path`
    if (!/^[A-Za-z0-9_./+-]+$/.test(path) || path.length > 107)
      return `${v}: unsupported characters or length in socket path`
    return null
  }
  return `${v}: expected tcp:IP:PORT, ssl:IP:PORT or unix:PATH`
}

export const ovsdbRemoteList: Validator = (v) => {
  if (v.length === 0) return 'empty remote list'
  const seen = new Set<string>()
  for (const r of v.split(',')) {
    const reason = ovsdbRemote(r)
    if (reason !== null) return reason
    if (seen.has(r)) return `${r} is listed twice`
    seen.add(r)
  }
  return null
}

export const encapTypes: Validator = (v) => {
  const types = v.split(',')
  const allowed = new Set(['geneve', 'vxlan', 'stt'])
  for (const t of types)
    if (!allowed.has(t)) return `unsupported encapsulation ${JSON.stringify(t)} (geneve, vxlan or stt)`
  if (new Set(types).size !== types.length) return 'an encapsulation is listed twice'
  return null
}

/** physnet:bridge[,physnet:bridge...] with distinct physical network names. */
export const bridgeMappings: Validator = (v) => {
  if (v === '') return null
  const seen = new Set<string>()
  for (const pair of v.split(',')) {
    const [net, bridge, ...rest] = pair.split(':')
    if (net === undefined || bridge === undefined || rest.length > 0)
      return `${JSON.stringify(pair)} is not physnet:bridge`
    if (!NAME.test(net)) return `physical network name ${JSON.stringify(net)} uses unsupported characters`
    const reason = bridgeName(bridge)
    if (reason !== null) return `${JSON.stringify(bridge)}: ${reason}`
    if (seen.has(net)) return `physical network ${net} is mapped twice`
    seen.add(net)
  }
  return null
}

export function parseMappings(v: string): { network: string; bridge: string }[] {
  if (v === '') return []
  return v.split(',').map((pair) => {
    const [network = '', bridge = ''] = pair.split(':')
    return { network, bridge }
  })
}

export const chassisMacMappings: Validator = (v) => {
  for (const pair of v.split(',')) {
    const i = pair.indexOf(':')
    const net = pair.slice(0, i)
    const mac = pair.slice(i + 1)
    if (i <= 0 || !NAME.test(net) || !MAC.test(mac)) return `${JSON.stringify(pair)} is not physnet:MAC`
  }
  return null
}

export const boolean: Validator = (v) => (v === 'true' || v === 'false' ? null : 'expected true or false')

export function integer(min: number, max: number): Validator {
  return (v) => {
    if (!/^(0|[1-9][0-9]{0,15})$/.test(v)) return 'expected a whole number'
    const n = Number(v)
    if (n < min || n > max) return `expected a number from ${min} to ${max}`
    return null
  }
}

/** ovn-remote-probe-interval: 0 disables, otherwise at least 1000 ms (ovn-controller's floor). */
export const probeIntervalMs: Validator = (v) => {
  const reason = integer(0, 2147483647)(v)
  if (reason !== null) return reason
  return v === '0' || Number(v) >= 1000 ? null : 'expected 0 (disabled) or at least 1000 milliseconds'
}

export const hostname: Validator = (v) => {
  if (v.length === 0 || v.length > 253) return 'expected a host name of 1-253 characters'
  for (const label of v.split('.'))
    if (!HOSTNAME_LABEL.test(label)) return 'expected a host name (letters, digits, "-", dot-separated)'
  return null
}

/** A comma-separated list of names (transport zones). */
export const nameList: Validator = (v) => {
  for (const n of v.split(','))
    if (!NAME.test(n)) return `${JSON.stringify(n)} is not a name (letters, digits, "_", ".", "-")`
  return null
}

/** ovn-cms-options: comma-separated `key` or `key=value`, e.g. enable-chassis-as-gw,availability-zones=az0:az1. */
export const cmsOptions: Validator = (v) => {
  for (const item of v.split(',')) {
    if (!/^[A-Za-z0-9_.-]+(=[A-Za-z0-9_.:-]*)?$/.test(item)) return `${JSON.stringify(item)} is not key or key=value`
  }
  return null
}

export const encapTos: Validator = (v) => (v === 'inherit' ? null : integer(0, 255)(v))

export const datapathType: Validator = (v) => (v === 'system' || v === 'netdev' ? null : 'expected system or netdev')

/** Reject anything that is not printable text: arguments reach OVSDB and logs. */
export function printable(v: string): string | null {
  // eslint-disable-next-line no-control-regex
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this check's job
  return /[\u0000-\u001f\u007f]/.test(v) ? 'control characters are not allowed' : null
}
