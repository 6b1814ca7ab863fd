/**
 * Pure planners: a tenant switch onto an xapi-ovn router and off it again.
 *
 * Attach writes, in ONE transaction, the two halves of the link ovn-nb.xml describes: on the
 * router a Logical_Router_Port (mac, networks = the gateway address with the subnet's prefix
 * length), and on the switch a Logical_Switch_Port of type "router" with options:router-port
 * naming it and addresses ["router"] (the port then answers for the router port's MAC and IPs,
 * ovn-nb.xml Logical_Switch_Port addresses "router"). ovn-northd reserves the router port's
 * addresses in the switch's IPAM, so `--ip dynamic` ports never get the gateway address
 * (ovn-org/ovn northd/ipam.c, router ports' networks are inserted for their peer switch).
 *
 * The gateway address is the one the switch's DHCP hands out as `router` (plan-dhcp.ts), else
 * the subnet's first host address. If the router has a gateway, the switch's subnet gets its
 * SNAT row in the same transaction (plan-router.ts planSnats).
 *
 * Refused before anything is written: a switch without a subnet, a switch attached to a router
 * already (another one, or it is this router's provider switch), a subnet overlapping another
 * one of the router (or the gateway's network), the gateway address held by a port of the switch.
 * Attaching again what is attached changes nothing (but restores a missing SNAT row).
 */
import { Uuid, namedUuid, ovsdbMap, set } from '../ovsdb/codec.js'
import { op, where, type Operation } from '../ovsdb/operations.js'
import { NbAddressConflictError, NbRouterAttachedError, NbSwitchNoSubnetError } from './errors.js'
import { findSwitch, type NbPortRow, type NbSnapshot, type NbSwitchRow } from './model.js'
import { ROUTER_ADDRESSES_KEY } from './plan-addresses.js'
import { setKeys } from './plan-switch.js'
import { DEFAULT_UNDERLAY_MTU, dhcpRowOf, guestMtu } from './plan-dhcp.js'
import { planSnats, routerStillAsRead, switchPortsAsRead, type SnatSource } from './plan-router.js'
import {
  attachments,
  findOwnedRouter,
  gatewayPortOf,
  ipv4NetworkOf,
  NAT_KIND_FIP,
  NAT_KIND_KEY,
  NAT_SWITCH_KEY,
  natsOfRouter,
  ROUTER_KEY,
  ROUTER_PORT_OPTION,
  routerPortName,
  switchRouterPortName,
  type Attachment,
  type NbRouterRow,
  type RouterSnapshot,
} from './router-model.js'
import { IPV6_MODES, RA_ADDRESS_MODE, SWITCH_IPV6_MODE_KEY, switchIpv6Mode } from './plan-ipv6.js'
import {
  cidrRange,
  cidrsOverlap,
  firstHost,
  ipNumber,
  ipText,
  isHostOf,
  routerIpv6Network,
  routerMacOf,
} from './validate-router.js'
import { InvalidArgumentError } from '../errors.js'

export const NEW_ROUTER_PORT = 'new_lrp'
export const NEW_SWITCH_ROUTER_PORT = 'new_router_lsp'

export type AttachAction = 'created' | 'updated' | 'unchanged' | 'removed'

export interface RouterAttachPlan {
  readonly operations: readonly Operation[]
  readonly routerName: string
  readonly switchName: string
  readonly action: AttachAction
  /** The router's address on the switch, "198.18.10.1/24". */
  readonly network: string
  /** Its IPv6 address there ("2001:db8:10::1/64", from the switch's ipv6_prefix), or null. */
  readonly ipv6: string | null
  readonly mac: string
  readonly routerPort: string
  readonly switchPort: string
  /** SNAT rows added and removed by this plan. */
  readonly snatAdded: number
  readonly snatRemoved: number
  /** Floating IPs of the switch's ports removed with a detach. */
  readonly fipsRemoved: number
}

/** The router's address on tenant switch `sw`: its DHCP `router` option, else the subnet's first host. */
export function gatewayAddressOf(s: NbSnapshot, sw: NbSwitchRow, subnet: string): string {
  return dhcpRowOf(s, sw)?.options.get('router') ?? firstHost(subnet)
}

/** The IPv4 addresses a port holds: its static addresses and what ovn-northd gave it. */
export function portIpv4s(p: NbPortRow): string[] {
  const words = [...p.addresses, p.dynamicAddresses ?? ''].flatMap((a) => a.split(/\s+/).slice(1))
  return words.filter((w) => /^\d{1,3}(\.\d{1,3}){3}$/.test(w))
}

/** The subnets SNATed for router `r`: its tenant switches (minus `without`, plus `plus`). */
export function tenantSources(
  s: RouterSnapshot,
  r: NbRouterRow,
  options: { readonly without?: string; readonly plus?: SnatSource } = {},
): SnatSource[] {
  const gw = gatewayPortOf(s, r)
  const out = attachments(s)
    .filter((a) => a.router.uuid === r.uuid && a.lrp.uuid !== gw?.uuid && a.sw.uuid !== options.without)
    .flatMap((a) => {
      const cidr = a.sw.otherConfig.get('subnet')
      return cidr === undefined ? [] : [{ switchName: a.sw.name, cidr }]
    })
  return options.plus === undefined ? out : [...out, options.plus]
}

/** The gateway port's address (no prefix), or null when the router has none. */
export function gatewayIpOf(s: RouterSnapshot, r: NbRouterRow): string | null {
  const gw = gatewayPortOf(s, r)
  const net = gw === undefined ? undefined : ipv4NetworkOf(gw) || undefined
  return net === undefined ? null : (net.split('/')[0] ?? null)
}

export function planAttachRouter(s: RouterSnapshot, routerRef: string, switchRef: string): RouterAttachPlan {
  const r = findOwnedRouter(s, routerRef)
  const sw = findSwitch(s, switchRef)
  const subnet = sw.otherConfig.get('subnet')
  if (subnet === undefined) throw new NbSwitchNoSubnetError(sw.name)
  const links = attachments(s)
  const here = links.find((a) => a.sw.uuid === sw.uuid)
  const gw = gatewayPortOf(s, r)
  const gwIp = gatewayIpOf(s, r)
  const source = { switchName: sw.name, cidr: subnet }
  if (here !== undefined) {
    if (here.router.uuid !== r.uuid)
      throw new NbRouterAttachedError(sw.name, r.name, `the switch is attached to router ${here.router.name} already`)
    if (here.lrp.uuid === gw?.uuid)
      throw new NbRouterAttachedError(sw.name, r.name, "the switch is the router's provider (gateway) switch")
    // Attached already: nothing to write but a SNAT row that went missing, and the IPv6 side
    // when the switch's ipv6_prefix or mode changed since (another command writes those keys).
    const snat = planSnats(s, r, tenantSources(s, r), gwIp)
    const v4 = here.lrp.networks.find((n) => !n.includes(':')) ?? ''
    const v6 = ipv6Of(s, sw)
    const networks = [v4, ...(v6 === null ? [] : [v6.network])]
    const ra = v6?.ra ?? new Map<string, string>()
    const same =
      networks.length === here.lrp.networks.length &&
      networks.every((n) => here.lrp.networks.includes(n)) &&
      ra.size === here.lrp.ipv6RaConfigs.size &&
      [...ra].every(([k, v]) => here.lrp.ipv6RaConfigs.get(k) === v)
    const plan = result(r, sw, v4, here.lrp.mac, here, snat, same ? 'unchanged' : 'updated', v6?.network ?? null)
    if (same) return plan
    return {
      ...plan,
      operations: [
        routerStillAsRead(r),
        op.update('Logical_Router_Port', [where('_uuid', '==', new Uuid(here.lrp.uuid))], {
          networks: set(...networks),
          ipv6_ra_configs: ovsdbMap(ra),
        }),
        op.mutate(
          'Logical_Switch_Port',
          [where('_uuid', '==', new Uuid(here.lsp.uuid))],
          setKeys(
            'external_ids',
            new Map([[ROUTER_ADDRESSES_KEY, networks.map((n) => n.split('/')[0] ?? '').join(' ')]]),
          ),
        ),
        ...snat.operations,
        op.comment(`xapi-ovn: update router ${r.name}'s port on switch ${sw.name} (IPv6)`),
      ],
    }
  }
  for (const other of links.filter((a) => a.router.uuid === r.uuid)) {
    const theirs = ipv4NetworkOf(other.lrp)
    const cidr = theirs.includes('/') ? networkOfAddress(theirs) : ''
    if (cidr !== '' && cidrsOverlap(cidr, subnet))
      throw new NbAddressConflictError(
        subnet,
        sw.name,
        `overlaps ${cidr} of switch ${other.sw.name}, also on router ${r.name} (a router routes each address one way)`,
      )
  }
  const ip = gatewayAddressOf(s, sw, subnet)
  if (!isHostOf(ip, subnet))
    throw new NbAddressConflictError(ip, sw.name, `the gateway address is not a host address of the subnet ${subnet}`)
  const owner = portsOfSwitch(s, sw).find((p) => portIpv4s(p).includes(ip))
  if (owner !== undefined)
    throw new NbAddressConflictError(
      ip,
      sw.name,
      `the gateway address is port ${owner.name}'s (give that port another address)`,
    )
  const network = `${ip}/${cidrRange(subnet).prefix}`
  const v6 = ipv6Of(s, sw)
  const mac = routerMacOf(ip)
  const lrpName = routerPortName(r.name, sw.name)
  const lspName = switchRouterPortName(r.name, sw.name)
  const tags = { [ROUTER_KEY]: r.name, [NAT_SWITCH_KEY]: sw.name }
  const snat = planSnats(s, r, tenantSources(s, r, { plus: source }), gwIp)
  const operations: Operation[] = [
    routerStillAsRead(r),
    switchPortsAsRead(sw),
    // The port names are unique (their tables' name index): one taken since our read makes the
    // commit fail as a constraint violation, and routers.ts re-reads and re-plans.
    op.insert(
      'Logical_Router_Port',
      {
        name: lrpName,
        mac,
        networks: set(network, ...(v6 === null ? [] : [v6.network])),
        ...(v6 === null ? {} : { ipv6_ra_configs: ovsdbMap(v6.ra) }),
        external_ids: ovsdbMap(tags),
      },
      NEW_ROUTER_PORT,
    ),
    op.mutate(
      'Logical_Router',
      [where('_uuid', '==', new Uuid(r.uuid))],
      [['ports', 'insert', set(namedUuid(NEW_ROUTER_PORT))]],
    ),
    op.insert(
      'Logical_Switch_Port',
      {
        name: lspName,
        type: 'router',
        addresses: set('router'),
        options: ovsdbMap({ [ROUTER_PORT_OPTION]: lrpName }),
        external_ids: ovsdbMap({
          ...tags,
          [ROUTER_ADDRESSES_KEY]: [ip, ...(v6 === null ? [] : [v6.network.split('/')[0] ?? ''])].join(' '),
        }),
      },
      NEW_SWITCH_ROUTER_PORT,
    ),
    op.mutate(
      'Logical_Switch',
      [where('_uuid', '==', new Uuid(sw.uuid))],
      [['ports', 'insert', set(namedUuid(NEW_SWITCH_ROUTER_PORT))]],
    ),
    ...snat.operations,
    op.comment(`xapi-ovn: attach logical switch ${sw.name} to router ${r.name} at ${network}`),
  ]
  return {
    operations,
    routerName: r.name,
    switchName: sw.name,
    action: 'created',
    network,
    ipv6: v6?.network ?? null,
    mac,
    routerPort: lrpName,
    switchPort: lspName,
    snatAdded: snat.added,
    snatRemoved: snat.removed,
    fipsRemoved: 0,
  }
}

/**
 * Take switch `switchRef` off router `routerRef`: both halves of the link, the subnet's SNAT row,
 * and the floating IPs of the switch's ports (they could no longer be reached). Not attached:
 * nothing to do (action unchanged); attached to another router: refused.
 */
export function planDetachRouter(s: RouterSnapshot, routerRef: string, switchRef: string): RouterAttachPlan {
  const r = findOwnedRouter(s, routerRef)
  const sw = findSwitch(s, switchRef)
  const here = attachments(s).find((a) => a.sw.uuid === sw.uuid && a.router.uuid === r.uuid)
  const gw = gatewayPortOf(s, r)
  if (here === undefined) {
    const other = attachments(s).find((a) => a.sw.uuid === sw.uuid)
    if (other !== undefined)
      throw new NbRouterAttachedError(
        sw.name,
        r.name,
        `the switch is attached to router ${other.router.name}, not this one`,
      )
    return {
      operations: [],
      routerName: r.name,
      switchName: sw.name,
      action: 'unchanged',
      network: '',
      ipv6: null,
      mac: '',
      routerPort: routerPortName(r.name, sw.name),
      switchPort: switchRouterPortName(r.name, sw.name),
      snatAdded: 0,
      snatRemoved: 0,
      fipsRemoved: 0,
    }
  }
  if (here.lrp.uuid === gw?.uuid)
    throw new NbRouterAttachedError(
      sw.name,
      r.name,
      "it is the router's provider (gateway) switch, not a tenant switch",
    )
  const snat = planSnats(s, r, tenantSources(s, r, { without: sw.uuid }), gatewayIpOf(s, r))
  const ports = new Set(portsOfSwitch(s, sw).map((p) => p.name))
  const fips = natsOfRouter(s, r).filter(
    (n) => n.externalIds.get(NAT_KIND_KEY) === NAT_KIND_FIP && n.logicalPort !== null && ports.has(n.logicalPort),
  )
  const self = [where('_uuid', '==', new Uuid(r.uuid))]
  const operations: Operation[] = [
    routerStillAsRead(r),
    switchPortsAsRead(sw),
    op.mutate(
      'Logical_Switch',
      [where('_uuid', '==', new Uuid(sw.uuid))],
      [['ports', 'delete', set(new Uuid(here.lsp.uuid))]],
    ),
    op.mutate('Logical_Router', self, [['ports', 'delete', set(new Uuid(here.lrp.uuid))]]),
    ...snat.operations,
    ...(fips.length === 0
      ? []
      : [op.mutate('Logical_Router', self, [['nat', 'delete', set(...fips.map((f) => new Uuid(f.uuid)))]])]),
    op.comment(`xapi-ovn: detach logical switch ${sw.name} from router ${r.name}`),
  ]
  return {
    ...result(
      r,
      sw,
      ipv4NetworkOf(here.lrp),
      here.lrp.mac,
      here,
      snat,
      'removed',
      here.lrp.networks.find((n) => n.includes(':')) ?? null,
    ),
    operations,
    fipsRemoved: fips.length,
  }
}

function result(
  r: NbRouterRow,
  sw: NbSwitchRow,
  network: string,
  mac: string,
  link: Attachment,
  snat: { readonly operations: Operation[]; readonly added: number; readonly removed: number },
  action: AttachAction,
  ipv6: string | null = null,
): RouterAttachPlan {
  return {
    operations:
      snat.operations.length === 0
        ? []
        : [
            routerStillAsRead(r),
            ...snat.operations,
            op.comment(`xapi-ovn: SNAT of switch ${sw.name} on router ${r.name}`),
          ],
    routerName: r.name,
    switchName: sw.name,
    action,
    network,
    ipv6,
    mac,
    routerPort: link.lrp.name,
    switchPort: link.lsp.name,
    snatAdded: snat.added,
    snatRemoved: snat.removed,
    fipsRemoved: 0,
  }
}

/**
 * IPv6 on the router port of a switch with other_config:ipv6_prefix: the prefix's first address,
 * and router advertisements (ovn-nb.xml Logical_Router_Port ipv6_ra_configs): address_mode from
 * the switch's `xapi-ovn:ipv6-mode` (default slaac, ovn-northd's own default when the key is
 * there), send_periodic so hosts learn the router without soliciting, and mtu: the guest MTU of
 * the overlay (the switch's DHCPv4 MTU when it has a DHCPv4 row, else Geneve over a 1500-byte IPv4
 * underlay, plan-dhcp.ts guestMtu: 1442), so an IPv6-only guest does not send 1500-byte frames into
 * the tunnel, as Neutron sets it from the network's MTU. ovn-northd then answers router
 * solicitations and sends RAs from the port (northd/northd.c build_ND_RA_flows_for_lrouter).
 */
export function ipv6Of(
  s: NbSnapshot,
  sw: NbSwitchRow,
): { readonly network: string; readonly ra: Map<string, string> } | null {
  const prefix = sw.otherConfig.get('ipv6_prefix')
  if (prefix === undefined) return null
  // The mode as `switch add --ipv6-mode` records it (plan-ipv6.ts), in ipv6_ra_configs' words.
  const recorded = sw.externalIds.get(SWITCH_IPV6_MODE_KEY)
  const mode = switchIpv6Mode(sw) ?? (recorded === undefined ? 'slaac' : null)
  if (mode === null)
    throw new InvalidArgumentError(
      SWITCH_IPV6_MODE_KEY,
      recorded ?? '',
      `the switch's IPv6 mode must be one of ${IPV6_MODES.join(', ')}`,
    )
  return {
    network: routerIpv6Network(prefix),
    ra: new Map([
      ['address_mode', RA_ADDRESS_MODE[mode]],
      ['send_periodic', 'true'],
      ['mtu', dhcpRowOf(s, sw)?.options.get('mtu') ?? String(guestMtu(DEFAULT_UNDERLAY_MTU, 'geneve', false) ?? 1442)],
    ]),
  }
}

/** "198.18.10.1/24" -> "198.18.10.0/24". */
export function networkOfAddress(address: string): string {
  const [ip = '', len = ''] = address.split('/')
  const n = ipNumber(ip)
  return `${ipText(n - (n % 2 ** (32 - Number(len))))}/${len}`
}

export function portsOfSwitch(s: NbSnapshot, sw: NbSwitchRow): NbPortRow[] {
  const mine = new Set(sw.portUuids)
  return s.ports.filter((p) => mine.has(p.uuid))
}
