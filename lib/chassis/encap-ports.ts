/**
 * Pure: the dom0 firewall ports each OVN encapsulation needs open for tunnels from other
 * chassis. dom0's iptables rejects everything not listed in RH-Firewall-1-INPUT (docs/platform.md,
 * "dom0 has a firewall"), Geneve included; xapi opens 4789/udp only for its own VXLAN tunnels.
 * Ports: Geneve 6081/udp (RFC 8926), VXLAN 4789/udp (RFC 7348), STT 7471/tcp
 * (draft-davie-stt; what OVS's stt vport listens on).
 */
import { KEY_ENCAP_TYPE } from './keys.js'

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
