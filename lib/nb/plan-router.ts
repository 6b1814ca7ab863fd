/**
 * Pure planners for xapi-ovn's logical routers: create, delete, list; and the guards and SNAT
 * bookkeeping every router plan shares (plan-router-attach.ts, plan-router-gateway.ts,
 * plan-fip.ts). Like plan-switch.ts: snapshot + validated arguments -> ONE transaction that
 * starts with `wait`s restating what the plan assumed, or no operations when all is as asked.
 *
 * SNAT, automatic as Neutron's default (enable_snat): each tenant switch attached to a router
 * that has a gateway gets one NAT row {type snat, logical_ip = the switch's subnet, external_ip =
 * the gateway address}; ovn-northd then rewrites the source of traffic leaving through the
 * distributed gateway port, on the chassis the port is active on (ovn-org/ovn ovn-nb.xml, NAT
 * table: "snat" and the distributed router section of Logical_Router_Port). planSnats keeps those
 * rows equal to the attached subnets after whatever the plan changes; NAT rows xapi-ovn did not
 * make (no external_ids `xapi-ovn:nat`) are left alone.
 */
import { OvsdbSet, Uuid, namedUuid, ovsdbMap, set } from '../ovsdb/codec.js'
import { op, where, type Operation } from '../ovsdb/operations.js'
import { NbRouterForeignError, NbRouterNotEmptyError } from './errors.js'
import type { NbSwitchRow } from './model.js'
import {
  attachments,
  findOwnedRouter,
  gatewayPortOf,
  ipv4NetworkOf,
  isOwnedRouter,
  lookupRouter,
  NAT_KIND_FIP,
  NAT_KIND_KEY,
  NAT_KIND_SNAT,
  NAT_SWITCH_KEY,
  natsOfRouter,
  ROUTER_KEY,
  ROUTER_OWNED,
  ROUTER_OWNED_KEY,
  type NbRouterRow,
  type RouterSnapshot,
} from './router-model.js'

/** The uuid-name of a router inserted by planAddRouter. */
export const NEW_ROUTER = 'new_router'

export type RouterAction = 'created' | 'updated' | 'unchanged' | 'deleted'

export interface RouterPlan {
  readonly operations: readonly Operation[]
  readonly routerUuid: string | null
  readonly name: string
  readonly action: RouterAction
}

function uuids(ids: readonly string[]): OvsdbSet {
  return new OvsdbSet(ids.map((u) => new Uuid(u)))
}

/** `wait` that the router row is still exactly as read: name, ports, NAT rows, external_ids. */
export function routerStillAsRead(r: NbRouterRow): Operation {
  return op.wait(
    'Logical_Router',
    [where('_uuid', '==', new Uuid(r.uuid))],
    ['name', 'ports', 'nat', 'external_ids'],
    '==',
    [{ name: r.name, ports: uuids(r.portUuids), nat: uuids(r.natUuids), external_ids: ovsdbMap(r.externalIds) }],
  )
}

/**
 * `wait` that the switch still holds exactly the ports read: a router attach decides from them
 * (no other router port, no port on the gateway address), so one attached meanwhile re-plans.
 */
export function switchPortsAsRead(sw: NbSwitchRow): Operation {
  return op.wait('Logical_Switch', [where('_uuid', '==', new Uuid(sw.uuid))], ['name', 'ports'], '==', [
    { name: sw.name, ports: uuids(sw.portUuids) },
  ])
}

/** Create router `name` (external_ids xapi-ovn:managed=true), or nothing if ours exists; a foreign one is refused. */
export function planAddRouter(s: RouterSnapshot, name: string): RouterPlan {
  const existing = lookupRouter(s, name)
  if (existing !== undefined) {
    if (!isOwnedRouter(existing)) throw new NbRouterForeignError(name)
    return { operations: [], routerUuid: existing.uuid, name, action: 'unchanged' }
  }
  return {
    operations: [
      // No router of that name since our read (two adds at once make one router).
      op.wait('Logical_Router', [where('name', '==', name)], ['name'], '==', []),
      op.insert('Logical_Router', { name, external_ids: ovsdbMap({ [ROUTER_OWNED_KEY]: ROUTER_OWNED }) }, NEW_ROUTER),
      op.comment(`xapi-ovn: create logical router ${name}`),
    ],
    routerUuid: null,
    name,
    action: 'created',
  }
}

export interface DeleteRouterPlan extends RouterPlan {
  /** Tenant switches it was attached to (their `router` ports removed with it). */
  readonly switches: readonly string[]
  readonly gateway: boolean
  readonly fips: number
}

/**
 * Delete router `ref` (ours only). With attached switches, a gateway or floating IPs and without
 * `force`: NbRouterNotEmptyError. With force: the `router` ports on the switches, the gateway's
 * HA_Chassis_Group (a root row) and the router go in one transaction; its router ports, NAT rows
 * and HA_Chassis go with their last reference.
 */
export function planDeleteRouter(
  s: RouterSnapshot,
  ref: string,
  options: { readonly force: boolean },
): DeleteRouterPlan {
  const r = findOwnedRouter(s, ref)
  const links = attachments(s).filter((a) => a.router.uuid === r.uuid)
  const gw = gatewayPortOf(s, r)
  const fips = natsOfRouter(s, r).filter((n) => n.externalIds.get(NAT_KIND_KEY) === NAT_KIND_FIP).length
  const tenants = links.filter((l) => l.lrp.uuid !== gw?.uuid)
  const what = [
    ...(tenants.length > 0 ? [`${tenants.length} attached switch(es)`] : []),
    ...(gw === undefined ? [] : ['a gateway']),
    ...(fips > 0 ? [`${fips} floating IP(s)`] : []),
  ]
  if (what.length > 0 && !options.force) throw new NbRouterNotEmptyError(ref, what.join(', '))
  const self = [where('_uuid', '==', new Uuid(r.uuid))]
  const operations: Operation[] = [routerStillAsRead(r)]
  for (const l of links) {
    operations.push(
      switchPortsAsRead(l.sw),
      op.mutate(
        'Logical_Switch',
        [where('_uuid', '==', new Uuid(l.sw.uuid))],
        [['ports', 'delete', set(new Uuid(l.lsp.uuid))]],
      ),
    )
  }
  const group = gw?.haChassisGroup ?? null
  // The LRP referencing the group goes with the router in this same transaction; the group after.
  operations.push(op.delete('Logical_Router', self))
  // The gateway port is deleted outright (not left to garbage collection) so the group can go.
  if (gw !== undefined) operations.push(op.delete('Logical_Router_Port', [where('_uuid', '==', new Uuid(gw.uuid))]))
  if (group !== null) operations.push(op.delete('HA_Chassis_Group', [where('_uuid', '==', new Uuid(group))]))
  operations.push(
    op.comment(`xapi-ovn: delete logical router ${r.name}${what.length > 0 ? ` with ${what.join(', ')}` : ''}`),
  )
  return {
    operations,
    routerUuid: r.uuid,
    name: r.name,
    action: 'deleted',
    switches: tenants.map((l) => l.sw.name),
    gateway: gw !== undefined,
    fips,
  }
}

/** One attached switch of a router, as listed. */
export interface RouterSwitchInfo {
  readonly switchName: string
  readonly switchUuid: string
  /** The router's address on it, "198.18.10.1/24". */
  readonly network: string
  /** Its IPv6 address there (from the switch's ipv6_prefix), or null. */
  readonly ipv6: string | null
  readonly routerPort: string
}

export interface RouterGatewayInfo {
  readonly switchName: string
  readonly network: string
  readonly routerPort: string
  readonly chassis: readonly { readonly name: string; readonly priority: number }[]
}

export interface RouterInfo {
  readonly uuid: string
  readonly name: string
  /** xapi-ovn made it (only those are ever changed). */
  readonly owned: boolean
  readonly switches: readonly RouterSwitchInfo[]
  readonly gateway: RouterGatewayInfo | null
  /** SNAT rows (one per attached subnet while there is a gateway). */
  readonly snat: readonly { readonly logicalIp: string; readonly externalIp: string }[]
  readonly fips: number
}

/** Every logical router, ours and others' (flagged), by name. */
export function routerInfos(s: RouterSnapshot): RouterInfo[] {
  const links = attachments(s)
  return s.routers
    .map((r): RouterInfo => {
      const gw = gatewayPortOf(s, r)
      const mine = links.filter((l) => l.router.uuid === r.uuid)
      const gwLink = gw === undefined ? undefined : mine.find((l) => l.lrp.uuid === gw.uuid)
      const group = gw?.haChassisGroup == null ? undefined : s.haGroups.find((g) => g.uuid === gw.haChassisGroup)
      const members = new Set(group?.haChassis ?? [])
      const nats = natsOfRouter(s, r)
      return {
        uuid: r.uuid,
        name: r.name,
        owned: isOwnedRouter(r),
        switches: mine
          .filter((l) => l.lrp.uuid !== gw?.uuid)
          .map((l) => ({
            switchName: l.sw.name,
            switchUuid: l.sw.uuid,
            network: ipv4NetworkOf(l.lrp),
            ipv6: l.lrp.networks.find((n) => n.includes(':')) ?? null,
            routerPort: l.lrp.name,
          }))
          .sort((a, b) => compareText(a.switchName, b.switchName)),
        gateway:
          gw === undefined
            ? null
            : {
                switchName: gwLink?.sw.name ?? '',
                network: ipv4NetworkOf(gw),
                routerPort: gw.name,
                chassis: s.haChassis
                  .filter((c) => members.has(c.uuid))
                  .map((c) => ({ name: c.chassisName, priority: c.priority }))
                  .sort((a, b) => b.priority - a.priority || compareText(a.name, b.name)),
              },
        snat: nats
          .filter((n) => n.type === 'snat')
          .map((n) => ({ logicalIp: n.logicalIp, externalIp: n.externalIp }))
          .sort((a, b) => compareText(a.logicalIp, b.logicalIp)),
        fips: nats.filter((n) => n.type === 'dnat_and_snat').length,
      }
    })
    .sort((a, b) => compareText(a.name, b.name) || compareText(a.uuid, b.uuid))
}

/** A subnet that should be SNATed: the attached switch and its CIDR. */
export interface SnatSource {
  readonly switchName: string
  readonly cidr: string
}

/**
 * The operations that bring router `r`'s xapi-ovn SNAT rows to exactly one per `sources` entry,
 * translated to `externalIp` (none at all when it is null: no gateway). Rows already right are
 * kept; `tag` makes the uuid-names of inserted rows unique within the transaction.
 */
export function planSnats(
  s: RouterSnapshot,
  r: NbRouterRow,
  sources: readonly SnatSource[],
  externalIp: string | null,
  tag = 'snat',
): { readonly operations: Operation[]; readonly added: number; readonly removed: number } {
  const ours = natsOfRouter(s, r).filter((n) => n.externalIds.get(NAT_KIND_KEY) === NAT_KIND_SNAT)
  const wanted = externalIp === null ? [] : sources
  const operations: Operation[] = []
  const self = [where('_uuid', '==', new Uuid(r.uuid))]
  const keep = new Set<string>()
  let added = 0
  wanted.forEach((src, i) => {
    const same = ours.find((n) => n.logicalIp === src.cidr && n.externalIp === externalIp && n.type === 'snat')
    if (same !== undefined) {
      keep.add(same.uuid)
      return
    }
    const name = `${tag}_${i}`
    operations.push(
      op.insert(
        'NAT',
        {
          type: 'snat',
          logical_ip: src.cidr,
          external_ip: externalIp ?? '',
          external_ids: ovsdbMap({
            [ROUTER_KEY]: r.name,
            [NAT_KIND_KEY]: NAT_KIND_SNAT,
            [NAT_SWITCH_KEY]: src.switchName,
          }),
        },
        name,
      ),
      op.mutate('Logical_Router', self, [['nat', 'insert', set(namedUuid(name))]]),
    )
    added++
  })
  const gone = ours.filter((n) => !keep.has(n.uuid))
  if (gone.length > 0)
    operations.push(op.mutate('Logical_Router', self, [['nat', 'delete', uuids(gone.map((n) => n.uuid))]]))
  return { operations, added, removed: gone.length }
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
