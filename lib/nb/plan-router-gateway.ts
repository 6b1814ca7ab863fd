/**
 * Pure planner: a router's way out, a distributed gateway port on a provider (localnet) switch.
 *
 * What is written, in ONE transaction (ovn-org/ovn ovn-nb.xml, Logical_Router_Port "Distributed
 * Gateway Ports" and HA_Chassis_Group):
 * - a Logical_Router_Port `lrp-<router>-gw` with the gateway address and ha_chassis_group set:
 *   that makes it a distributed gateway port, for which ovn-northd makes a `chassisredirect` port
 *   `cr-lrp-<router>-gw` in the southbound, bound on ONE chassis at a time, where the router's
 *   centralized work is done (SNAT for the tenant subnets, ARP for the gateway address);
 * - an HA_Chassis_Group `<router>-gw` with one HA_Chassis per gateway chassis, priorities 100,
 *   90, 80... in the order given: ovn-controller on each member runs BFD to the others and the
 *   highest-priority chassis that is alive claims the chassisredirect port (ovn-org/ovn
 *   controller/ha-chassis.c, northd/northd.c); kill it and the next one takes over;
 * - on the provider switch a `router` port peering it, with options:nat-addresses=router: the
 *   chassis holding the gateway sends gratuitous ARPs for the gateway and NAT addresses, so the
 *   provider network learns at once where they moved after a failover (ovn-nb.xml
 *   Logical_Switch_Port options:nat-addresses);
 * - SNAT rows for every attached tenant subnet (plan-router.ts planSnats).
 *
 * The gateway chassis are the hosts set up with `ovn-cms-options=enable-chassis-as-gw`
 * (`setup --gateway-hosts`): routers.ts takes them from the southbound's Chassis rows when none
 * are named. Each must map the provider network in ovn-bridge-mappings.
 *
 * Refused before anything is written: a switch without a localnet port, a gateway address
 * outside the provider switch's subnet (when it has one) or used there already (a port, another
 * router, a NAT address), the router's own tenant switch, a gateway on another switch already.
 * The same gateway again changes nothing; another address or chassis list updates it in place.
 */
import { Uuid, namedUuid, ovsdbMap, set } from '../ovsdb/codec.js'
import { op, where, type Operation } from '../ovsdb/operations.js'
import { NbAddressConflictError, NbFipConflictError, NbNotProviderError, NbRouterAttachedError } from './errors.js'
import { findSwitch } from './model.js'
import { ROUTER_ADDRESSES_KEY } from './plan-addresses.js'
import { planSnats, routerStillAsRead, switchPortsAsRead } from './plan-router.js'
import { setKeys } from './plan-switch.js'
import { portIpv4s, portsOfSwitch, tenantSources } from './plan-router-attach.js'
import {
  attachments,
  findOwnedRouter,
  gatewayGroupName,
  gatewayPortName,
  gatewayPortOf,
  ipv4NetworkOf,
  NAT_KIND_FIP,
  NAT_KIND_KEY,
  natsOfRouter,
  ROUTER_KEY,
  ROUTER_PORT_OPTION,
  switchRouterPortName,
  type RouterSnapshot,
} from './router-model.js'
import { chassisPriorities, isHostOf, routerMacOf, type ParsedGateway } from './validate-router.js'

export const NEW_GATEWAY_PORT = 'new_gw_lrp'
export const NEW_GATEWAY_PEER = 'new_gw_lsp'
export const NEW_HA_GROUP = 'new_ha_group'
/** LSP option: which addresses the gateway chassis announces (gratuitous ARP), ovn-nb.xml. */
export const NAT_ADDRESSES_OPTION = 'nat-addresses'

export type GatewayAction = 'created' | 'updated' | 'unchanged' | 'removed'

export interface GatewayPlan {
  readonly operations: readonly Operation[]
  readonly routerName: string
  readonly switchName: string
  readonly action: GatewayAction
  readonly network: string
  readonly mac: string
  readonly routerPort: string
  readonly chassis: readonly { readonly chassis: string; readonly priority: number }[]
  readonly snatAdded: number
  readonly snatRemoved: number
  readonly fipsRemoved: number
}

function haChassisOps(chassis: readonly { chassis: string; priority: number }[]): {
  ops: Operation[]
  names: string[]
} {
  const names = chassis.map((_, i) => `ha_chassis_${i}`)
  const ops = chassis.map((c, i) =>
    op.insert('HA_Chassis', { chassis_name: c.chassis, priority: c.priority }, names[i] ?? `ha_chassis_${i}`),
  )
  return { ops, names }
}

export function planRouterGateway(s: RouterSnapshot, routerRef: string, g: ParsedGateway): GatewayPlan {
  const r = findOwnedRouter(s, routerRef)
  const provider = findSwitch(s, g.switchRef)
  const ports = portsOfSwitch(s, provider)
  if (!ports.some((p) => p.type === 'localnet')) throw new NbNotProviderError(provider.name)
  const links = attachments(s)
  const gw = gatewayPortOf(s, r)
  const gwLink = gw === undefined ? undefined : links.find((a) => a.lrp.uuid === gw.uuid)
  const tenant = links.find((a) => a.router.uuid === r.uuid && a.sw.uuid === provider.uuid && a.lrp.uuid !== gw?.uuid)
  if (tenant !== undefined)
    throw new NbRouterAttachedError(
      provider.name,
      r.name,
      'the switch is a tenant switch of this router (router detach it first)',
    )
  if (gwLink !== undefined && gwLink.sw.uuid !== provider.uuid)
    throw new NbRouterAttachedError(
      provider.name,
      r.name,
      `the router's gateway is on switch ${gwLink.sw.name} already (router gateway --remove first)`,
    )
  const { ip, network, cidr } = g.address
  const subnet = provider.otherConfig.get('subnet')
  if (subnet !== undefined && subnet !== cidr)
    throw new NbAddressConflictError(network, provider.name, `outside the provider switch's subnet ${subnet}`)
  // Who else has that address on the provider network: its ports, other routers' ports, NAT rows.
  const ownGw = gw === undefined ? undefined : ipv4NetworkOf(gw).split('/')[0]
  const port = ports.find((p) => portIpv4s(p).includes(ip))
  if (port !== undefined) throw new NbAddressConflictError(ip, provider.name, `port ${port.name} has it`)
  const router = links.find(
    (a) => a.sw.uuid === provider.uuid && a.lrp.uuid !== gw?.uuid && a.lrp.networks.some((n) => n.split('/')[0] === ip),
  )
  if (router !== undefined)
    throw new NbAddressConflictError(ip, provider.name, `router ${router.router.name} has it (port ${router.lrp.name})`)
  const nat = s.nats.find((n) => n.externalIp === ip && !(n.type === 'snat' && n.externalIp === ownGw))
  if (nat !== undefined)
    throw new NbAddressConflictError(ip, provider.name, `a ${nat.type} NAT row has it as external address`)
  const fips = natsOfRouter(s, r).filter((n) => n.externalIds.get(NAT_KIND_KEY) === NAT_KIND_FIP)
  const outside = fips.find((f) => !isHostOf(f.externalIp, cidr))
  if (outside !== undefined)
    throw new NbFipConflictError(
      outside.externalIp,
      `the router's floating IP would be outside the new gateway network ${cidr}`,
    )

  const chassis = chassisPriorities(g.chassis)
  const mac = routerMacOf(ip)
  const lrpName = gatewayPortName(r.name)
  const snat = planSnats(s, r, tenantSources(s, r), ip)
  const base = {
    routerName: r.name,
    switchName: provider.name,
    network,
    mac,
    routerPort: lrpName,
    chassis,
    snatAdded: snat.added,
    snatRemoved: snat.removed,
    fipsRemoved: 0,
  }
  const tags = ovsdbMap({ [ROUTER_KEY]: r.name })
  const self = [where('_uuid', '==', new Uuid(r.uuid))]

  if (gw === undefined) {
    const groupName = gatewayGroupName(r.name)
    const clash = s.haGroups.find((h) => h.name === groupName)
    if (clash !== undefined)
      throw new NbRouterAttachedError(
        provider.name,
        r.name,
        `an HA_Chassis_Group named ${groupName} exists and is not this router's`,
      )
    const ha = haChassisOps(chassis)
    const peer = switchRouterPortName(r.name, provider.name)
    return {
      ...base,
      action: 'created',
      operations: [
        routerStillAsRead(r),
        switchPortsAsRead(provider),
        ...ha.ops,
        op.insert(
          'HA_Chassis_Group',
          { name: groupName, ha_chassis: set(...ha.names.map(namedUuid)), external_ids: tags },
          NEW_HA_GROUP,
        ),
        op.insert(
          'Logical_Router_Port',
          { name: lrpName, mac, networks: set(network), ha_chassis_group: namedUuid(NEW_HA_GROUP), external_ids: tags },
          NEW_GATEWAY_PORT,
        ),
        op.mutate('Logical_Router', self, [['ports', 'insert', set(namedUuid(NEW_GATEWAY_PORT))]]),
        op.insert(
          'Logical_Switch_Port',
          {
            name: peer,
            type: 'router',
            addresses: set('router'),
            options: ovsdbMap({ [ROUTER_PORT_OPTION]: lrpName, [NAT_ADDRESSES_OPTION]: 'router' }),
            external_ids: ovsdbMap({ [ROUTER_KEY]: r.name, [ROUTER_ADDRESSES_KEY]: ip }),
          },
          NEW_GATEWAY_PEER,
        ),
        op.mutate(
          'Logical_Switch',
          [where('_uuid', '==', new Uuid(provider.uuid))],
          [['ports', 'insert', set(namedUuid(NEW_GATEWAY_PEER))]],
        ),
        ...snat.operations,
        op.comment(`xapi-ovn: gateway of router ${r.name} on ${provider.name} at ${network}`),
      ],
    }
  }

  // A gateway on this switch already: bring its address and chassis to what is asked.
  const group = gw.haChassisGroup === null ? undefined : s.haGroups.find((h) => h.uuid === gw.haChassisGroup)
  const members = new Set(group?.haChassis ?? [])
  const current = s.haChassis
    .filter((c) => members.has(c.uuid))
    .sort((a, b) => b.priority - a.priority)
    .map((c) => `${c.chassisName}=${c.priority}`)
  const sameChassis =
    group !== undefined && current.join(',') === chassis.map((c) => `${c.chassis}=${c.priority}`).join(',')
  const sameAddress = gw.networks.length === 1 && gw.networks[0] === network && gw.mac === mac
  const operations: Operation[] = []
  if (!sameAddress) {
    operations.push(
      op.update('Logical_Router_Port', [where('_uuid', '==', new Uuid(gw.uuid))], { networks: set(network), mac }),
    )
    // The peer's record of the address, which VIF attaches check (plan-addresses.ts).
    if (gwLink !== undefined)
      operations.push(
        op.mutate(
          'Logical_Switch_Port',
          [where('_uuid', '==', new Uuid(gwLink.lsp.uuid))],
          setKeys('external_ids', new Map([[ROUTER_ADDRESSES_KEY, ip]])),
        ),
      )
  }
  if (!sameChassis) {
    const ha = haChassisOps(chassis)
    operations.push(...ha.ops)
    if (group === undefined) {
      operations.push(
        op.insert(
          'HA_Chassis_Group',
          { name: gatewayGroupName(r.name), ha_chassis: set(...ha.names.map(namedUuid)), external_ids: tags },
          NEW_HA_GROUP,
        ),
        // gateway_chassis (the older way) and an HA group are exclusive: the group wins.
        op.update('Logical_Router_Port', [where('_uuid', '==', new Uuid(gw.uuid))], {
          ha_chassis_group: namedUuid(NEW_HA_GROUP),
          gateway_chassis: set(),
        }),
      )
    } else {
      // The old HA_Chassis rows go with their last reference (not root rows).
      operations.push(
        op.wait('HA_Chassis_Group', [where('_uuid', '==', new Uuid(group.uuid))], ['ha_chassis'], '==', [
          { ha_chassis: set(...group.haChassis.map((u) => new Uuid(u))) },
        ]),
        op.update('HA_Chassis_Group', [where('_uuid', '==', new Uuid(group.uuid))], {
          ha_chassis: set(...ha.names.map(namedUuid)),
        }),
      )
    }
  }
  operations.push(...snat.operations)
  if (operations.length === 0) return { ...base, action: 'unchanged', operations: [] }
  return {
    ...base,
    action: 'updated',
    operations: [
      routerStillAsRead(r),
      ...operations,
      op.comment(`xapi-ovn: update gateway of router ${r.name} to ${network}`),
    ],
  }
}

/**
 * Remove router `routerRef`'s gateway: the gateway port, its peer on the provider switch, the
 * HA_Chassis_Group, every SNAT row and floating IP of the router (nothing is reachable without a
 * way out). No gateway: nothing to do.
 */
export function planRemoveGateway(s: RouterSnapshot, routerRef: string): GatewayPlan {
  const r = findOwnedRouter(s, routerRef)
  const gw = gatewayPortOf(s, r)
  const link = gw === undefined ? undefined : attachments(s).find((a) => a.lrp.uuid === gw.uuid)
  const none = {
    routerName: r.name,
    switchName: link?.sw.name ?? '',
    network: gw === undefined ? '' : ipv4NetworkOf(gw),
    mac: gw?.mac ?? '',
    routerPort: gateway(r.name),
    chassis: [],
    snatAdded: 0,
    snatRemoved: 0,
    fipsRemoved: 0,
  }
  if (gw === undefined) return { ...none, action: 'unchanged', operations: [] }
  const snat = planSnats(s, r, [], null)
  const fips = natsOfRouter(s, r).filter((n) => n.externalIds.get(NAT_KIND_KEY) === NAT_KIND_FIP)
  const self = [where('_uuid', '==', new Uuid(r.uuid))]
  const operations: Operation[] = [routerStillAsRead(r)]
  if (link !== undefined)
    operations.push(
      switchPortsAsRead(link.sw),
      op.mutate(
        'Logical_Switch',
        [where('_uuid', '==', new Uuid(link.sw.uuid))],
        [['ports', 'delete', set(new Uuid(link.lsp.uuid))]],
      ),
    )
  operations.push(
    op.mutate('Logical_Router', self, [['ports', 'delete', set(new Uuid(gw.uuid))]]),
    // Deleted outright, not left to garbage collection: ovsdb-server checks the references to a
    // deleted row (the HA group below) before it collects unreferenced rows.
    op.delete('Logical_Router_Port', [where('_uuid', '==', new Uuid(gw.uuid))]),
    ...snat.operations,
  )
  if (fips.length > 0)
    operations.push(op.mutate('Logical_Router', self, [['nat', 'delete', set(...fips.map((f) => new Uuid(f.uuid)))]]))
  if (gw.haChassisGroup !== null)
    operations.push(op.delete('HA_Chassis_Group', [where('_uuid', '==', new Uuid(gw.haChassisGroup))]))
  operations.push(op.comment(`xapi-ovn: remove the gateway of router ${r.name}`))
  return { ...none, action: 'removed', operations, snatRemoved: snat.removed, fipsRemoved: fips.length }
}

function gateway(router: string): string {
  return gatewayPortName(router)
}
