/**
 * Pure: the dom0 firewall ports each OVN encapsulation needs open for tunnels from other
 * chassis. dom0's iptables rejects everything not listed in RH-Firewall-1-INPUT (docs/platform.md,
 * "dom0 has a firewall"), Geneve included; xapi opens 4789/udp only for its own VXLAN tunnels.
 * Ports: Geneve 6081/udp (RFC 8926), VXLAN 4789/udp (RFC 7348), STT 7471/tcp
 * (draft-davie-stt; what OVS's stt vport listens on).
 */
import { KEY_ENCAP_TYPE, SAVED_KEY } from './keys.js'

export type FirewallProtocol = 'udp' | 'tcp'

export interface FirewallPort {
  readonly port: number
  readonly protocol: FirewallProtocol
}

const ENCAP_PORTS: Readonly<Record<string, FirewallPort>> = {
  geneve: { port: 6081, protocol: 'udp' },
  vxlan: { port: 4789, protocol: 'udp' },
  stt: { port: 7471, protocol: 'tcp' },
}

/** The ports the `ovn-encap-type` value (comma-separated) needs, in a stable order. */
export function encapPorts(encapType: string | undefined): FirewallPort[] {
  if (encapType === undefined) return []
  const out: FirewallPort[] = []
  for (const t of encapType.split(',')) {
    const p = ENCAP_PORTS[t.trim()]
    if (p !== undefined && !out.some((o) => o.port === p.port && o.protocol === p.protocol)) out.push(p)
  }
  return out.sort((a, b) => a.port - b.port)
}

/** The ports of a configured chassis (its Open_vSwitch external_ids). */
export function encapPortsOf(externalIds: ReadonlyMap<string, string>): FirewallPort[] {
  return encapPorts(externalIds.get(KEY_ENCAP_TYPE))
}

export function portLabel(p: FirewallPort): string {
  return `${p.port}/${p.protocol}`
}

/**
 * The ports xapi-ovn keeps open for this chassis: those of its encap types while xapi-ovn's
 * configuration is on the row (SAVED_KEY, which configure always writes), none otherwise. The host
 * agent opens exactly these and verify expects exactly these, so the two never disagree.
 */
export function wantedFirewallPorts(externalIds: ReadonlyMap<string, string>): FirewallPort[] {
  return externalIds.has(SAVED_KEY) ? encapPortsOf(externalIds) : []
}

/** The chain xapi's firewall-port opens ports in (port 80 aside, which no encapsulation uses). */
export const XAPI_INPUT_CHAIN = 'xapi-INPUT'

/**
 * Pure: is this `iptables -S` line an ACCEPT of port `p` in xapi-INPUT? firewall-port's rule
 * shows as `-A xapi-INPUT -p udp -m conntrack --ctstate NEW -m udp --dport 6081 -j ACCEPT`; any
 * ACCEPT of that protocol and destination port counts, however it was written.
 */
export function isAcceptRule(line: string, p: FirewallPort): boolean {
  const t = line.trim().split(/\s+/)
  const after = (flag: string): string | undefined => {
    const i = t.indexOf(flag)
    return i >= 0 ? t[i + 1] : undefined
  }
  return (
    t[0] === '-A' &&
    t[1] === XAPI_INPUT_CHAIN &&
    after('-p') === p.protocol &&
    after('--dport') === String(p.port) &&
    after('-j') === 'ACCEPT'
  )
}

/**
 * Pure: the `iptables -S xapi-INPUT` lines that can accept a packet: those before the chain's
 * unconditional RETURN (firewall-port inserts its rules ahead of it; one appended after it is
 * never reached).
 */
export function effectiveRules(lines: readonly string[]): string[] {
  const out: string[] = []
  for (const l of lines) {
    if (l.trim() === `-A ${XAPI_INPUT_CHAIN} -j RETURN`) break
    out.push(l)
  }
  return out
}
