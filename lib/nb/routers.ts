/**
 * OVN logical routers, SNAT and floating IPs: the public API (re-exported by lib/nb/index.ts).
 * Each write is northbound.ts's pattern: read ONE consistent snapshot (router-snapshot.ts), plan
 * purely (plan-router*.ts, plan-fip.ts), send ONE guarded transaction; a failed guard re-reads
 * and re-plans (northbound.ts applyPlanned), a plan with nothing to do sends nothing. `dryRun`
 * plans and sends nothing. Only routers xapi-ovn made (external_ids xapi-ovn:managed) are ever
 * changed.
 *
 *   await addLogicalRouter(nb, 'r1')
 *   await attachRouter(nb, 'r1', 'tenant-a')              // 198.18.10.1/24 on tenant-a
 *   await setRouterGateway(nb, 'r1', { switch: 'provider', ip: '198.18.0.10/24', chassis: [gw1, gw2] })
 *   await addFloatingIp(nb, { vifUuid, ip: '198.18.0.50' })
 */
import type { Operation } from '../ovsdb/operations.js'
import { applyPlanned, insertedUuid } from './northbound.js'
import { planAttachRouter, planDetachRouter, type RouterAttachPlan } from './plan-router-attach.js'
import { planRemoveGateway, planRouterGateway, type GatewayPlan } from './plan-router-gateway.js'
import {
  NEW_ROUTER,
  planAddRouter,
  planDeleteRouter,
  routerInfos,
  type RouterInfo,
  type RouterPlan,
} from './plan-router.js'
import { fipInfos, NEW_FIP, planAddFip, planDeleteFip, type FipInfo } from './plan-fip.js'
import { NbRouterMissingError } from './errors.js'
import type { WriteOptions } from './model.js'
import type { RouterSnapshot } from './router-model.js'
import { readRouterSnapshot } from './router-snapshot.js'
import type { NbTransactor } from './snapshot.js'
import {
  parseExternalIp,
  parseFipSpec,
  parseGatewaySpec,
  parseRouterName,
  parseRouterRef,
  type FipSpec,
  type GatewaySpec,
} from './validate-router.js'
import { parseSwitchRef, parseVifUuids } from './validate-inputs.js'

export interface RouterResult {
  readonly uuid: string | null
  readonly name: string
  readonly action: RouterPlan['action']
  readonly dryRun: boolean
}

export interface DeleteRouterResult extends RouterResult {
  readonly deleted: boolean
  readonly switches: readonly string[]
  readonly gateway: boolean
  readonly fips: number
}

export type RouterAttachResult = Omit<RouterAttachPlan, 'operations'> & { readonly dryRun: boolean }
export type GatewayResult = Omit<GatewayPlan, 'operations'> & { readonly dryRun: boolean }
export interface FipResult {
  readonly action: 'created' | 'unchanged'
  readonly fip: Omit<FipInfo, 'uuid'> & { readonly uuid: string | null }
  readonly dryRun: boolean
}
export interface FipDeleteResult {
  readonly removed: readonly FipInfo[]
  readonly dryRun: boolean
}

/** Read, plan, and send unless dryRun: the one path of every router write. */
async function write<P extends { readonly operations: readonly Operation[] }>(
  nb: NbTransactor,
  planner: (s: RouterSnapshot) => P,
  what: string,
  dryRun: boolean,
): Promise<{ plan: P; results: readonly unknown[] }> {
  if (dryRun) return { plan: planner(await readRouterSnapshot(nb)), results: [] }
  return applyPlanned(nb, () => readRouterSnapshot(nb), planner, what)
}

function withoutOps<P extends { readonly operations: unknown }>(plan: P): Omit<P, 'operations'> {
  const { operations: _, ...rest } = plan
  return rest
}

/** Create logical router `name`, marked as xapi-ovn's; an existing one of ours is left as it is. */
export async function addLogicalRouter(
  nb: NbTransactor,
  name: string,
  options: WriteOptions = {},
): Promise<RouterResult> {
  const n = parseRouterName(name, 'name')
  const dryRun = options.dryRun === true
  const { plan, results } = await write(nb, (s) => planAddRouter(s, n), `logical router ${n}`, dryRun)
  const uuid = plan.routerUuid ?? (dryRun ? null : insertedUuid(plan.operations, results, NEW_ROUTER))
  return { uuid, name: n, action: plan.action, dryRun }
}

/** Every logical router (ours and others', `owned` says which), with switches, gateway, SNAT and FIP count. */
export async function listLogicalRouters(nb: NbTransactor): Promise<RouterInfo[]> {
  return routerInfos(await readRouterSnapshot(nb))
}

/**
 * Delete router `ref`. It must have no attached switch, gateway or floating IP unless `force`
 * (then they go with it, one transaction). Missing: OVN_NB_ROUTER_MISSING unless `ifExists`.
 */
export async function deleteLogicalRouter(
  nb: NbTransactor,
  ref: string,
  options: WriteOptions & { readonly force?: boolean; readonly ifExists?: boolean } = {},
): Promise<DeleteRouterResult> {
  const r = parseRouterRef(ref)
  const dryRun = options.dryRun === true
  try {
    const { plan } = await write(
      nb,
      (s) => planDeleteRouter(s, r, { force: options.force === true }),
      `logical router ${r}`,
      dryRun,
    )
    return { ...withoutOps(plan), uuid: plan.routerUuid, deleted: true, dryRun }
  } catch (e) {
    if (e instanceof NbRouterMissingError && options.ifExists === true)
      return { uuid: null, name: r, action: 'unchanged', deleted: false, switches: [], gateway: false, fips: 0, dryRun }
    throw e
  }
}

/** Attach tenant switch `switchRef` to router `routerRef` (its gateway address; SNAT if the router has a gateway). */
export async function attachRouter(
  nb: NbTransactor,
  routerRef: string,
  switchRef: string,
  options: WriteOptions = {},
): Promise<RouterAttachResult> {
  const r = parseRouterRef(routerRef)
  const sw = parseSwitchRef(switchRef)
  const dryRun = options.dryRun === true
  const { plan } = await write(nb, (s) => planAttachRouter(s, r, sw), `router ${r} on switch ${sw}`, dryRun)
  return { ...withoutOps(plan), dryRun }
}

/** Take tenant switch `switchRef` off router `routerRef` (with its SNAT row and its ports' floating IPs). */
export async function detachRouter(
  nb: NbTransactor,
  routerRef: string,
  switchRef: string,
  options: WriteOptions = {},
): Promise<RouterAttachResult> {
  const r = parseRouterRef(routerRef)
  const sw = parseSwitchRef(switchRef)
  const dryRun = options.dryRun === true
  const { plan } = await write(nb, (s) => planDetachRouter(s, r, sw), `router ${r} on switch ${sw}`, dryRun)
  return { ...withoutOps(plan), dryRun }
}

/** Give router `routerRef` its gateway on a provider switch, scheduled on `spec.chassis` (priority order). */
export async function setRouterGateway(
  nb: NbTransactor,
  routerRef: string,
  spec: GatewaySpec,
  options: WriteOptions = {},
): Promise<GatewayResult> {
  const r = parseRouterRef(routerRef)
  const g = parseGatewaySpec(spec)
  parseSwitchRef(g.switchRef)
  const dryRun = options.dryRun === true
  const { plan } = await write(nb, (s) => planRouterGateway(s, r, g), `gateway of router ${r}`, dryRun)
  return { ...withoutOps(plan), dryRun }
}

/** Remove router `routerRef`'s gateway, its SNAT rows and floating IPs. */
export async function removeRouterGateway(
  nb: NbTransactor,
  routerRef: string,
  options: WriteOptions = {},
): Promise<GatewayResult> {
  const r = parseRouterRef(routerRef)
  const dryRun = options.dryRun === true
  const { plan } = await write(nb, (s) => planRemoveGateway(s, r), `gateway of router ${r}`, dryRun)
  return { ...withoutOps(plan), dryRun }
}

/** Map floating IP `spec.ip` to the port of VIF `spec.vifUuid` (a dnat_and_snat NAT row, plan-fip.ts). */
export async function addFloatingIp(nb: NbTransactor, spec: FipSpec, options: WriteOptions = {}): Promise<FipResult> {
  const f = parseFipSpec(spec)
  const dryRun = options.dryRun === true
  const { plan, results } = await write(nb, (s) => planAddFip(s, f), `floating IP ${f.ip}`, dryRun)
  const uuid = plan.fip.uuid ?? (dryRun ? null : insertedUuid(plan.operations, results, NEW_FIP))
  return { action: plan.action, fip: { ...plan.fip, uuid }, dryRun }
}

/** Remove the floating IP of address `by.ip` or of VIF `by.vifUuid`; none such: `removed: []`. */
export async function deleteFloatingIp(
  nb: NbTransactor,
  by: { readonly ip?: string; readonly vifUuid?: string },
  options: WriteOptions = {},
): Promise<FipDeleteResult> {
  const ip = by.ip === undefined ? undefined : parseExternalIp(by.ip)
  const vifUuid = by.vifUuid === undefined ? undefined : parseVifUuids([by.vifUuid], 'vifUuid')[0]
  const dryRun = options.dryRun === true
  const { plan } = await write(
    nb,
    (s) => planDeleteFip(s, { ...(ip === undefined ? {} : { ip }), ...(vifUuid === undefined ? {} : { vifUuid }) }),
    'floating IPs',
    dryRun,
  )
  return { removed: plan.removed, dryRun }
}

/** Every floating IP of xapi-ovn's routers. */
export async function listFloatingIps(nb: NbTransactor): Promise<FipInfo[]> {
  return fipInfos(await readRouterSnapshot(nb))
}
