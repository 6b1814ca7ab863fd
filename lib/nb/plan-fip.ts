/**
 * Pure planners for floating IPs: one NAT row {type dnat_and_snat, external_ip = the floating
 * address, logical_ip = the VM port's IPv4 address} on the router that routes the port's switch.
 * Traffic to the floating address lands on the VM, and the VM's own traffic out leaves from it
 * (not from the router's SNAT address).
 *
 * Distributed by default. With the row's logical_port (the VIF's port name) and external_mac
 * set, ovn-northd does the NAT on the chassis the VM runs on, which answers ARP for the floating
 * address with external_mac and puts the traffic straight on the provider network through its
 * own localnet port; without external_mac it is done centrally on the gateway chassis (ovn-org/ovn
 * ovn-nb.xml, NAT columns external_mac and logical_port: both are needed "for the NAT rule to be
 * processed in a distributed manner on all chassis"; northd/northd.c build_lrouter_nat_defrag
 * and the "is_distributed" NAT checks). We choose distributed, as Neutron does when
 * enable_distributed_floating_ip is set, because a floating IP's traffic then never crosses the
 * overlay to the gateway chassis and survives a gateway failover untouched; the price is that
 * every host running such a VM must map the provider network (setup --bridge-mappings, which
 * xapi-ovn sets pool-wide). `centralized` keeps the row without external_mac for pools where only
 * the gateway hosts reach the provider network.
 *
 * external_mac is derived from the floating address (0a:58 + its octets, validate-router.ts
 * routerMacOf): the same on every run and unique on the provider switch as long as addresses are.
 */
import { Uuid, namedUuid, ovsdbMap, set } from '../ovsdb/codec.js'
import { op, where, type Operation } from '../ovsdb/operations.js'
import {
  NbAddressConflictError,
  NbFipConflictError,
  NbPortConflictError,
  NbPortMissingError,
  NbRouterNoGatewayError,
} from './errors.js'
import { findPortByName, portOwners } from './model.js'
import { compareText, routerStillAsRead } from './plan-router.js'
import { portIpv4s, portsOfSwitch } from './plan-router-attach.js'
import { portStillAsRead } from './plan-ports.js'
import {
  attachments,
  gatewayPortOf,
  ipv4NetworkOf,
  isOwnedRouter,
  NAT_KIND_FIP,
  NAT_KIND_KEY,
  natsOfRouter,
  ROUTER_KEY,
  type NbNatRow,
  type NbRouterRow,
  type RouterSnapshot,
} from './router-model.js'
import { isHostOf, routerMacOf, type ParsedFip } from './validate-router.js'
import { networkOfAddress } from './plan-router-attach.js'

export const NEW_FIP = 'new_fip'

export interface FipInfo {
  /** The floating (external) address. */
  readonly ip: string
  /** The VM port's address it maps to. */
  readonly logicalIp: string
  /** The VIF UUID (the port's name). */
  readonly vifUuid: string
  readonly routerName: string
  readonly uuid: string
  /** external_mac, when distributed; null when centralized on the gateway chassis. */
  readonly externalMac: string | null
  readonly distributed: boolean
}

export interface FipPlan {
  readonly operations: readonly Operation[]
  readonly action: 'created' | 'unchanged'
  readonly fip: Omit<FipInfo, 'uuid'> & { readonly uuid: string | null }
}

function fipOf(n: NbNatRow, r: NbRouterRow): FipInfo {
  return {
    ip: n.externalIp,
    logicalIp: n.logicalIp,
    vifUuid: n.logicalPort ?? '',
    routerName: r.name,
    uuid: n.uuid,
    externalMac: n.externalMac,
    distributed: n.externalMac !== null && n.logicalPort !== null,
  }
}

/** Every floating IP of xapi-ovn's routers, by address. */
export function fipInfos(s: RouterSnapshot): FipInfo[] {
  return s.routers
    .filter(isOwnedRouter)
    .flatMap((r) =>
      natsOfRouter(s, r)
        .filter((n) => n.externalIds.get(NAT_KIND_KEY) === NAT_KIND_FIP)
        .map((n) => fipOf(n, r)),
    )
    .sort((a, b) => compareText(a.ip, b.ip) || compareText(a.vifUuid, b.vifUuid))
}

export function planAddFip(s: RouterSnapshot, f: ParsedFip): FipPlan {
  const port = findPortByName(s, f.vifUuid)
  if (port === undefined) throw new NbPortMissingError(f.vifUuid)
  const sw = portOwners(s).get(port.uuid)
  if (sw === undefined) throw new NbPortMissingError(f.vifUuid)
  if (port.type !== '') throw new NbPortConflictError(f.vifUuid, sw.name, `it is a ${port.type} port, not a VIF port`)
  const link = attachments(s).find((a) => a.sw.uuid === sw.uuid && isOwnedRouter(a.router))
  if (link === undefined)
    throw new NbRouterNoGatewayError(f.vifUuid, `its switch ${sw.name} is attached to no xapi-ovn router`)
  const r = link.router
  const gw = gatewayPortOf(s, r)
  const gwNet = gw === undefined ? undefined : ipv4NetworkOf(gw) || undefined
  if (gw === undefined || gwNet === undefined)
    throw new NbRouterNoGatewayError(f.vifUuid, `router ${r.name} has no gateway (xapi-ovn router gateway)`)
  const gwLink = attachments(s).find((a) => a.lrp.uuid === gw.uuid)
  const providerName = gwLink?.sw.name ?? ''
  const logicalIp = portIpv4s(port)[0]
  const mine = fipInfos(s).find((x) => x.vifUuid === f.vifUuid)
  if (mine !== undefined) {
    if (mine.ip === f.ip && mine.distributed === !f.centralized)
      return { operations: [], action: 'unchanged', fip: mine }
    throw new NbFipConflictError(f.ip, `port ${f.vifUuid} has floating IP ${mine.ip} already (fip del it first)`)
  }
  if (logicalIp === undefined) throw new NbFipConflictError(f.ip, `port ${f.vifUuid} has no IPv4 address to map it to`)
  const cidr = networkOfAddress(gwNet)
  if (!isHostOf(f.ip, cidr))
    throw new NbAddressConflictError(
      f.ip,
      providerName,
      `outside the provider network ${cidr} of router ${r.name}'s gateway`,
    )
  if (gwNet.split('/')[0] === f.ip) throw new NbFipConflictError(f.ip, `it is router ${r.name}'s gateway address`)
  const used = s.nats.find((n) => n.externalIp === f.ip)
  if (used !== undefined)
    throw new NbFipConflictError(
      f.ip,
      `a ${used.type} NAT row has it already${used.logicalPort === null ? '' : ` (port ${used.logicalPort})`}`,
    )
  const held = gwLink === undefined ? undefined : portsOfSwitch(s, gwLink.sw).find((p) => portIpv4s(p).includes(f.ip))
  if (held !== undefined) throw new NbAddressConflictError(f.ip, providerName, `port ${held.name} has it`)
  const other = attachments(s).find(
    (a) => a.sw.uuid === gwLink?.sw.uuid && a.lrp.networks.some((n) => n.split('/')[0] === f.ip),
  )
  if (other !== undefined) throw new NbAddressConflictError(f.ip, providerName, `router ${other.router.name} has it`)
  const externalMac = f.centralized ? null : routerMacOf(f.ip)
  return {
    action: 'created',
    fip: {
      ip: f.ip,
      logicalIp,
      vifUuid: f.vifUuid,
      routerName: r.name,
      uuid: null,
      externalMac,
      distributed: externalMac !== null,
    },
    operations: [
      routerStillAsRead(r),
      // The port's address is what the row maps to: it must not change under us.
      portStillAsRead(port, ['name', 'type', 'addresses']),
      op.insert(
        'NAT',
        {
          type: 'dnat_and_snat',
          external_ip: f.ip,
          logical_ip: logicalIp,
          logical_port: f.vifUuid,
          external_mac: externalMac === null ? set() : externalMac,
          external_ids: ovsdbMap({ [ROUTER_KEY]: r.name, [NAT_KIND_KEY]: NAT_KIND_FIP }),
        },
        NEW_FIP,
      ),
      op.mutate(
        'Logical_Router',
        [where('_uuid', '==', new Uuid(r.uuid))],
        [['nat', 'insert', set(namedUuid(NEW_FIP))]],
      ),
      op.comment(`xapi-ovn: floating IP ${f.ip} -> ${logicalIp} (port ${f.vifUuid}) on router ${r.name}`),
    ],
  }
}

/** Remove the floating IP(s) matching `by` (its address or its VIF). None: nothing to do (removed []). */
export function planDeleteFip(
  s: RouterSnapshot,
  by: { readonly ip?: string; readonly vifUuid?: string },
): { readonly operations: readonly Operation[]; readonly removed: readonly FipInfo[] } {
  const gone = fipInfos(s).filter((f) => f.ip === by.ip || f.vifUuid === by.vifUuid)
  if (gone.length === 0) return { operations: [], removed: [] }
  const operations: Operation[] = []
  for (const r of s.routers) {
    const mine = gone.filter((f) => r.natUuids.includes(f.uuid))
    if (mine.length === 0) continue
    operations.push(
      routerStillAsRead(r),
      op.mutate(
        'Logical_Router',
        [where('_uuid', '==', new Uuid(r.uuid))],
        [['nat', 'delete', set(...mine.map((f) => new Uuid(f.uuid)))]],
      ),
    )
  }
  operations.push(op.comment(`xapi-ovn: remove floating IP(s) ${gone.map((f) => f.ip).join(', ')}`))
  return { operations, removed: gone }
}
