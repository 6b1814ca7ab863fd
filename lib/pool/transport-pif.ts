/**
 * Choose each host's tunnel endpoint (ovn-encap-ip) from its PIFs. Pure.
 *
 * By default the management PIF; otherwise the PIF on a given network, the PIF of a given device
 * (and VLAN), or the PIF of a given VLAN. The PIF must be able to carry the underlay the way the
 * XAPI/Xen Orchestra SDN rules have it: physical, a VLAN or a bond master (never a bond slave),
 * currently attached, with an IP configuration and an address. Anything else is
 * OVN_NO_TRANSPORT_PIF [host, pif, reason].
 *
 * Address family: `auto` follows the PIF's primary_address_type and falls back to the other
 * family; `IPv4`/`IPv6` insist on one. IPv6 addresses come from the PIF's `IPv6` list (with their
 * prefix length, which is dropped); link-local addresses (fe80::/10) are never used.
 */
import { InvalidArgumentError } from '../errors.js'
import { NoTransportPifError } from './errors.js'
import { ipv4, ipv6, isUuid } from '../chassis/validators.js'
import type { HostRecord, NetworkRecord, PifRecord } from './records.js'

/** How the caller names the transport PIF. */
export type TransportChoice =
  | { readonly by: 'management' }
  | { readonly by: 'network'; readonly network: string }
  | { readonly by: 'device'; readonly device: string; readonly vlan?: number }
  | { readonly by: 'vlan'; readonly vlan: number }

/** A choice with its network resolved to a ref (resolveTransportChoice). */
export type ResolvedTransportChoice =
  | { readonly by: 'management' }
  | { readonly by: 'network'; readonly networkRef: string; readonly label: string }
  | { readonly by: 'device'; readonly device: string; readonly vlan?: number }
  | { readonly by: 'vlan'; readonly vlan: number }

export type AddressFamily = 'auto' | 'IPv4' | 'IPv6'

export interface TransportEndpoint {
  readonly pifRef: string
  readonly pifUuid: string
  readonly device: string
  /** -1 when not a VLAN. */
  readonly vlan: number
  readonly kind: 'physical' | 'vlan' | 'bond'
  readonly networkRef: string
  readonly ip: string
  readonly family: 'IPv4' | 'IPv6'
}

export const MANAGEMENT: TransportChoice = { by: 'management' }

/** Human words for a choice, for messages ("the management PIF", "VLAN 100 on eth1"). */
export function describeChoice(choice: TransportChoice | ResolvedTransportChoice): string {
  switch (choice.by) {
    case 'management':
      return 'the management PIF'
    case 'network':
      return `the PIF on network ${'label' in choice ? choice.label : choice.network}`
    case 'device':
      return choice.vlan === undefined
        ? `the PIF of device ${choice.device}`
        : `the PIF of VLAN ${choice.vlan} on ${choice.device}`
    case 'vlan':
      return `the PIF of VLAN ${choice.vlan}`
  }
}

/**
 * Check a choice and resolve a network given by uuid or name_label. An unknown or ambiguous
 * network, or a malformed device/VLAN, is the caller's mistake: InvalidArgumentError.
 */
export function resolveTransportChoice(
  choice: TransportChoice,
  networks: ReadonlyMap<string, NetworkRecord>,
): ResolvedTransportChoice {
  switch (choice.by) {
    case 'management':
      return choice
    case 'network': {
      const { network } = choice
      const all = [...networks.values()]
      const byUuid = isUuid(network) ? all.filter((n) => n.uuid === network) : []
      const matches = byUuid.length > 0 ? byUuid : all.filter((n) => n.nameLabel === network)
      if (matches.length === 0)
        throw new InvalidArgumentError('transport-network', network, 'no network of this pool has that uuid or name')
      if (matches.length > 1)
        throw new InvalidArgumentError(
          'transport-network',
          network,
          `${matches.length} networks have that name; give the uuid (${matches.map((n) => n.uuid).join(', ')})`,
        )
      const found = matches[0] as NetworkRecord
      return { by: 'network', networkRef: found.ref, label: found.nameLabel === '' ? found.uuid : found.nameLabel }
    }
    case 'device':
      if (!/^[A-Za-z0-9_.-]{1,15}$/.test(choice.device))
        throw new InvalidArgumentError(
          'transport-device',
          choice.device,
          'expected a device name such as eth1 or bond0',
        )
      if (choice.vlan !== undefined) checkVlan(choice.vlan)
      return choice
    case 'vlan':
      checkVlan(choice.vlan)
      return choice
  }
}

function checkVlan(vlan: number): void {
  if (!Number.isInteger(vlan) || vlan < 0 || vlan > 4094)
    throw new InvalidArgumentError('transport-vlan', String(vlan), 'expected a VLAN tag from 0 to 4094')
}

function hostLabel(host: HostRecord): string {
  return host.nameLabel === '' ? host.uuid : host.nameLabel
}

function candidates(pifs: readonly PifRecord[], choice: ResolvedTransportChoice): PifRecord[] {
  switch (choice.by) {
    case 'management':
      return pifs.filter((p) => p.management)
    case 'network':
      return pifs.filter((p) => p.network === choice.networkRef)
    case 'device':
      return pifs.filter((p) => p.device === choice.device && p.vlan === (choice.vlan ?? -1))
    case 'vlan':
      return pifs.filter((p) => p.vlan === choice.vlan)
  }
}

/** The PIF's usable address of one family, or a reason there is none. */
function addressOf(pif: PifRecord, family: 'IPv4' | 'IPv6'): { ip: string } | { reason: string } {
  if (family === 'IPv4') {
    if (pif.ipConfigurationMode === 'None') return { reason: 'no IPv4 configuration (ip_configuration_mode None)' }
    if (pif.ip === '')
      return { reason: `no IPv4 address (ip_configuration_mode ${pif.ipConfigurationMode}, no address yet)` }
    if (ipv4(pif.ip) !== null) return { reason: `IP ${JSON.stringify(pif.ip)} is not an IPv4 address` }
    return { ip: pif.ip }
  }
  if (pif.ipv6ConfigurationMode === 'None') return { reason: 'no IPv6 configuration (ipv6_configuration_mode None)' }
  for (const entry of pif.ipv6) {
    const address = entry.split('/')[0] ?? ''
    if (ipv6(address) !== null) continue
    if (/^fe[89ab]/i.test(address)) continue
    return { ip: address.toLowerCase() }
  }
  return { reason: `no global IPv6 address (ipv6_configuration_mode ${pif.ipv6ConfigurationMode})` }
}

function kindOf(pif: PifRecord): TransportEndpoint['kind'] | null {
  if (pif.bondMasterOf.length > 0) return 'bond'
  if (pif.vlan >= 0) return 'vlan'
  if (pif.physical) return 'physical'
  return null
}

/**
 * The transport endpoint of `host`: its PIF picked by `choice` and that PIF's address. `pifs`
 * may hold every PIF of the pool; only this host's are considered.
 */
export function chooseTransportPif(
  host: HostRecord,
  pifs: Iterable<PifRecord>,
  choice: ResolvedTransportChoice,
  family: AddressFamily = 'auto',
): TransportEndpoint {
  const name = hostLabel(host)
  const own = [...pifs].filter((p) => p.host === host.ref)
  const found = candidates(own, choice)
  if (found.length === 0)
    throw new NoTransportPifError(name, '', `${describeChoice(choice)} does not exist on this host`)
  if (found.length > 1) {
    const list = found.map((p) => `${p.device}${p.vlan >= 0 ? `.${p.vlan}` : ''} (${p.uuid})`).join(', ')
    throw new NoTransportPifError(
      name,
      '',
      `${describeChoice(choice)} is ambiguous: ${list}; choose by network or device`,
    )
  }
  const pif = found[0] as PifRecord
  const label = `${pif.device}${pif.vlan >= 0 ? ` VLAN ${pif.vlan}` : ''} ${pif.uuid}`
  if (pif.bondSlaveOf !== null)
    throw new NoTransportPifError(name, pif.uuid, `${label} is a bond slave; use the bond master`)
  const kind = kindOf(pif)
  if (kind === null)
    throw new NoTransportPifError(name, pif.uuid, `${label} is neither a physical NIC, a VLAN nor a bond master`)
  if (!pif.currentlyAttached)
    throw new NoTransportPifError(name, pif.uuid, `${label} is not currently attached (plug it in XAPI: PIF.plug)`)
  const order: ('IPv4' | 'IPv6')[] =
    family === 'auto' ? (pif.primaryAddressType === 'IPv6' ? ['IPv6', 'IPv4'] : ['IPv4', 'IPv6']) : [family]
  const reasons: string[] = []
  for (const f of order) {
    const a = addressOf(pif, f)
    if ('ip' in a)
      return {
        pifRef: pif.ref,
        pifUuid: pif.uuid,
        device: pif.device,
        vlan: pif.vlan,
        kind,
        networkRef: pif.network,
        ip: a.ip,
        family: f,
      }
    reasons.push(a.reason)
  }
  throw new NoTransportPifError(
    name,
    pif.uuid,
    `${label} has ${reasons.join(' and ')}; give it an IP in XAPI (PIF.reconfigure_ip)`,
  )
}
