/**
 * OVN northbound operations: the public API of lib/nb. Each write reads a consistent snapshot,
 * lets a pure planner compute ONE transaction (waits as preconditions, named UUIDs for new rows),
 * and sends it. If a precondition fails because someone wrote the same rows meanwhile (a `wait`,
 * or the port name index refusing a name taken since the read, see plan-ports.ts), the whole
 * read-plan-write is redone (up to 3 attempts) and then OVN_CONCURRENT_CHANGE is thrown; nothing
 * is ever half-written. A plan with nothing to do sends nothing, so every write is idempotent.
 * Each call reads each table once (one select per table) and costs O(N) in the ports it names.
 *
 *   const nb = await connectNorthbound(['unix:/run/ovn/ovnnb_db.sock'])
 *   await ensureLogicalSwitch(nb, 'tenant-a', { subnet: '192.0.2.0/24' })
 *   await attachPorts(nb, 'tenant-a', [{ vifUuid, mac: '02:00:00:00:00:01', ips: ['192.0.2.10'] }])
 *   await nb.close()
 *
 * `nb` is anything with `transact(db, ops)` (OvsdbClient); results are plain JSON-friendly
 * objects (maps as records) so the CLI and the plugin can print them as they are.
 */
import { randomUUID } from 'node:crypto'
import { ConcurrentChangeError, InternalError } from '../errors.js'
import { OvsdbClient, type OvsdbClientOptions } from '../ovsdb/client.js'
import { Uuid } from '../ovsdb/codec.js'
import { OvsdbConstraintViolationError, OvsdbWaitFailedError, TransactionError } from '../ovsdb/errors.js'
import { encodeOperation, type Operation } from '../ovsdb/operations.js'
import { NbPortMissingError, NbSwitchMissingError } from './errors.js'
import { NB_DB, findSwitch, portOwners, type NbSnapshot } from './model.js'
import {
  type LocalnetInfo,
  localnetInfos,
  NEW_LOCALNET,
  planDeleteLocalnet,
  planLocalnetPort,
} from './plan-localnet.js'
import { planAttachPorts, planDetachPorts, type PortAction } from './plan-ports.js'
import { NEW_SWITCH, planDeleteSwitch, planEnsureSwitch, type EnsureSwitchPlan } from './plan-switch.js'
import type { DhcpAction } from './plan-dhcp.js'
import { IPV6_PREFIX_KEY, type Ipv6Mode, type Ipv6RowAction } from './plan-ipv6.js'
import { readSnapshot, type NbTransactor, type SnapshotPorts } from './snapshot.js'
import {
  parseLocalnetPort,
  parseSwitchName,
  parseSwitchOptions,
  parseSwitchRef,
  parseVifPorts,
  parseVifUuids,
  type LocalnetPortSpec,
  type SwitchOptions,
  type VifPortSpec,
  parsePortName,
} from './validate-inputs.js'

/** How many times a write is re-read and re-planned when its preconditions fail. */
export const MAX_ATTEMPTS = 3

export type NorthboundConnectOptions = Omit<OvsdbClientOptions, 'database' | 'leaderOnly'> & {
  /** Only use the leader of a clustered OVN_Northbound (default true, like ovn-nbctl). */
  readonly leaderOnly?: boolean
}

/**
 * Connect to OVN_Northbound: `remotes` is one remote, a comma-separated list or an array
 * (unix:, tcp:, ssl:). For a clustered database the servers are tried in order and, by default,
 * only the leader is accepted; servers not connected to their cluster are always skipped.
 */
export function connectNorthbound(
  remotes: string | readonly string[],
  options: NorthboundConnectOptions = {},
): Promise<OvsdbClient> {
  return OvsdbClient.connect(remotes, { ...options, database: NB_DB, leaderOnly: options.leaderOnly ?? true })
}

// ---------------------------------------------------------------------------------------------
// Results

export interface EnsureSwitchResult {
  readonly uuid: string
  readonly name: string
  readonly created: boolean
  readonly changed: boolean
  /** Nothing was written: what a run would do (`dryRun` option). */
  readonly dryRun: boolean
  /** The switch's DHCPv4 (plan-dhcp.ts), when asked for. */
  readonly dhcp: {
    readonly uuid: string
    readonly action: DhcpAction
    readonly cidr: string
    readonly options: Readonly<Record<string, string>>
    /** VIF ports of the switch this run linked to the row. */
    readonly linkedPorts: number
  } | null
  /** The switch's IPv6 (plan-ipv6.ts), when asked for. */
  readonly ipv6: {
    /** other_config:ipv6_prefix. */
    readonly prefix: string
    readonly mode: Ipv6Mode
    /** The DHCPv6 row (DHCPv6 modes), null for slaac. */
    readonly dhcpv6Uuid: string | null
    /** What this run did to the DHCPv6 row ('none': slaac, and there was none). */
    readonly action: Ipv6RowAction
    /** The row's options (server_id: the MAC the server answers from). */
    readonly options: Readonly<Record<string, string>>
    readonly linkedPorts: number
  } | null
}

/** What ensureLogicalSwitch would do (`dryRun`): uuid null when it would create the switch. */
export type EnsureSwitchPreview = Omit<EnsureSwitchResult, 'uuid'> & { readonly uuid: string | null }

export interface DeleteSwitchResult {
  /** False only with ifExists and no such switch. */
  readonly deleted: boolean
  readonly uuid: string | null
  readonly name: string
  /** Ports deleted with the switch (force). */
  readonly portCount: number
  /** Its DHCP_Options row, deleted with it; null when it had none. */
  readonly dhcpUuid: string | null
  /** Its DHCPv6 row (plan-ipv6.ts), deleted with it; null when it had none. */
  readonly dhcpv6Uuid: string | null
  /** Nothing was written: what a run would do. */
  readonly dryRun: boolean
}

export interface SwitchInfo {
  readonly uuid: string
  readonly name: string
  /** other_config:subnet, or null. */
  readonly subnet: string | null
  /** other_config:ipv6_prefix, or null. */
  readonly ipv6Prefix: string | null
  readonly otherConfig: Readonly<Record<string, string>>
  readonly externalIds: Readonly<Record<string, string>>
  readonly portCount: number
}

export interface AttachedPort {
  readonly vifUuid: string
  /** The Logical_Switch_Port row UUID. */
  readonly uuid: string
  /** The addresses entry written: "<mac> <ip>..." or "<mac> dynamic". */
  readonly address: string
  readonly action: PortAction
}

export interface AttachResult {
  readonly switchUuid: string
  readonly switchName: string
  readonly changed: boolean
  readonly ports: readonly AttachedPort[]
}

export interface DetachResult {
  readonly changed: boolean
  readonly removed: readonly {
    readonly vifUuid: string
    readonly uuid: string
    readonly switchName: string
    readonly switchUuid: string
  }[]
  /** VIF UUIDs that had no port. */
  readonly absent: readonly string[]
}

export interface PortInfo {
  readonly uuid: string
  readonly name: string
  readonly switchUuid: string
  readonly switchName: string
  /** '' for a VIF port, 'localnet', 'router', ... */
  readonly type: string
  readonly addresses: readonly string[]
  /** What ovn-northd assigned for a "dynamic" address, or null. */
  readonly dynamicAddresses: string | null
  /** The DHCP_Options row ovn-northd answers this port's DHCPv4 from, or null. */
  readonly dhcpv4Options: string | null
  /** The DHCP_Options row ovn-northd answers this port's DHCPv6 from, or null. */
  readonly dhcpv6Options: string | null
  /** Written by ovn-northd once the port is bound to a chassis; null when it has not said. */
  readonly up: boolean | null
  readonly enabled: boolean | null
  readonly tagRequest: number | null
  readonly tag: number | null
  readonly options: Readonly<Record<string, string>>
  readonly externalIds: Readonly<Record<string, string>>
}

export interface LocalnetResult {
  readonly uuid: string
  readonly name: string
  readonly switchUuid: string
  readonly action: PortAction
}

// ---------------------------------------------------------------------------------------------
// Operations

/**
 * Create logical switch `name` or bring it to `subnet` / `externalIds` (keys not given are kept),
 * with its DHCPv4 row when `options.dhcp` is given (one transaction). `dryRun`: plan only.
 */
export async function ensureLogicalSwitch(
  nb: NbTransactor,
  name: string,
  options?: SwitchOptions,
): Promise<EnsureSwitchResult> {
  const { n, planner, read } = ensureSwitchPlanner(name, options)
  const { plan, results } = await planAndApply(nb, read, planner, `logical switch ${n}`)
  return ensureResult(n, plan, plan.switchUuid ?? insertedUuid(plan.operations, results, NEW_SWITCH), false)
}

/** ensureLogicalSwitch's plan without the write (`switch add --dry-run`): the same checks, nothing sent. */
export async function previewLogicalSwitch(
  nb: NbTransactor,
  name: string,
  options?: SwitchOptions,
): Promise<EnsureSwitchPreview> {
  const { n, planner, read } = ensureSwitchPlanner(name, options)
  const plan = planner(await readSnapshot(nb, read.ports, read))
  return ensureResult(n, plan, plan.switchUuid, true)
}

function ensureSwitchPlanner(name: string, options: SwitchOptions | undefined) {
  const n = parseSwitchName(name, 'name')
  const o = parseSwitchOptions(options)
  // The UUIDs new DHCP_Options rows are inserted with (plan-dhcp.ts: the switch's key names it).
  const dhcpUuid = randomUUID()
  const dhcpv6Uuid = randomUUID()
  const planner = (s: NbSnapshot): EnsureSwitchPlan => planEnsureSwitch(s, n, o, dhcpUuid, dhcpv6Uuid)
  // DHCP_Options always read: a switch that has a row keeps it linked; its ports only with dhcp.
  const read = { ports: o.dhcp === null && o.ipv6 === null ? 'none' : 'vif', dhcp: true } as const
  return { n, planner, read }
}

function ensureResult<U extends string | null>(
  name: string,
  plan: EnsureSwitchPlan,
  uuid: U,
  dryRun: boolean,
): Omit<EnsureSwitchResult, 'uuid'> & { readonly uuid: U } {
  const d = plan.dhcp
  return {
    uuid,
    name,
    created: plan.created,
    changed: plan.changed,
    dryRun,
    dhcp:
      d === null
        ? null
        : {
            uuid: d.uuid,
            action: d.action,
            cidr: d.cidr,
            options: d.options,
            linkedPorts: d.linkedPorts,
          },
    ipv6:
      plan.ipv6 === null
        ? null
        : {
            prefix: plan.ipv6.prefix,
            mode: plan.ipv6.mode,
            dhcpv6Uuid: plan.ipv6.dhcpv6Uuid,
            action: plan.ipv6.action,
            options: plan.ipv6.options,
            linkedPorts: plan.ipv6.linkedPorts,
          },
  }
}

/** Every logical switch, by name. */
export async function listLogicalSwitches(nb: NbTransactor): Promise<SwitchInfo[]> {
  const s = await readSnapshot(nb, 'none')
  return s.switches
    .map((sw) => ({
      uuid: sw.uuid,
      name: sw.name,
      subnet: sw.otherConfig.get('subnet') ?? null,
      ipv6Prefix: sw.otherConfig.get(IPV6_PREFIX_KEY) ?? null,
      otherConfig: Object.fromEntries(sw.otherConfig),
      externalIds: Object.fromEntries(sw.externalIds),
      portCount: sw.portUuids.length,
    }))
    .sort((a, b) => compare(a.name, b.name) || compare(a.uuid, b.uuid))
}

/**
 * Delete logical switch `ref` (name or UUID). It must have no ports unless `force` (then its
 * ports go with it). A missing switch is OVN_NB_SWITCH_MISSING unless `ifExists`.
 */
export async function deleteLogicalSwitch(
  nb: NbTransactor,
  ref: string,
  options: { readonly force?: boolean; readonly ifExists?: boolean; readonly dryRun?: boolean } = {},
): Promise<DeleteSwitchResult> {
  const r = parseSwitchRef(ref)
  const force = options.force === true
  const dryRun = options.dryRun === true
  const planner = (s: NbSnapshot) => planDeleteSwitch(s, r, { force })
  try {
    // DHCP_Options read too: the switch's row goes with it (plan-dhcp.ts planDeleteDhcp).
    const plan = dryRun
      ? planner(await readSnapshot(nb, 'none', { dhcp: true }))
      : (await planAndApply(nb, { ports: 'none', dhcp: true }, planner, `logical switch ${r}`)).plan
    return {
      deleted: true,
      uuid: plan.switchUuid,
      name: plan.name,
      portCount: plan.portCount,
      dhcpUuid: plan.dhcpUuid,
      dhcpv6Uuid: plan.dhcpv6Uuid,
      dryRun,
    }
  } catch (e) {
    if (e instanceof NbSwitchMissingError && options.ifExists === true)
      return { deleted: false, uuid: null, name: r, portCount: 0, dhcpUuid: null, dhcpv6Uuid: null, dryRun }
    throw e
  }
}

/**
 * Create or update the logical switch ports of these XAPI VIFs on switch `switchRef`, all in one
 * transaction. Each port is named after its VIF UUID, so it binds where XAPI plugs the VIF.
 * Re-running with the same arguments writes nothing.
 */
export async function attachPorts(
  nb: NbTransactor,
  switchRef: string,
  ports: readonly VifPortSpec[],
): Promise<AttachResult> {
  const r = parseSwitchRef(switchRef)
  const parsed = parseVifPorts(ports)
  const { plan, results } = await planAndApply(
    nb,
    'vif',
    (s) => planAttachPorts(s, r, parsed),
    `ports on logical switch ${r}`,
  )
  const inserted = insertedUuids(plan.operations, results)
  return {
    switchUuid: plan.switchUuid,
    switchName: plan.switchName,
    changed: plan.changed,
    ports: plan.ports.map((p) => ({
      vifUuid: p.vifUuid,
      uuid: p.uuid ?? uuidInserted(inserted, p.uuidName ?? ''),
      address: p.address,
      action: p.action,
    })),
  }
}

/** Remove the ports of these VIFs from whatever switch holds them; VIFs without a port are reported as absent. */
export async function detachPorts(nb: NbTransactor, vifUuids: readonly string[]): Promise<DetachResult> {
  const names = parseVifUuids(vifUuids)
  const { plan } = await planAndApply(nb, 'detach', (s) => planDetachPorts(s, names), 'VIF ports')
  return {
    changed: plan.changed,
    removed: plan.removed.map((p) => ({
      vifUuid: p.vifUuid,
      uuid: p.uuid,
      switchName: p.switchName,
      switchUuid: p.switchUuid,
    })),
    absent: [...plan.absent],
  }
}

/** The ports of switch `switchRef` (name or UUID), or of every switch; sorted by switch and port name. */
export async function listPorts(nb: NbTransactor, switchRef?: string): Promise<PortInfo[]> {
  const r = switchRef === undefined ? undefined : parseSwitchRef(switchRef)
  const s = await readSnapshot(nb, 'all')
  const only = r === undefined ? undefined : findSwitch(s, r)
  return portInfos(s)
    .filter((p) => only === undefined || p.switchUuid === only.uuid)
    .sort((a, b) => compare(a.switchName, b.switchName) || compare(a.name, b.name))
}

/**
 * Create or update localnet port `spec.name` on switch `switchRef`: type localnet, addresses
 * ["unknown"], options:network_name = spec.networkName (a physnet of the chassis'
 * ovn-bridge-mappings), tag_request = spec.vlan (none: untagged).
 */
export async function addLocalnetPort(
  nb: NbTransactor,
  switchRef: string,
  spec: LocalnetPortSpec,
): Promise<LocalnetResult> {
  const r = parseSwitchRef(switchRef)
  const port = parseLocalnetPort(spec)
  const { plan, results } = await planAndApply(
    nb,
    'all',
    (s) => planLocalnetPort(s, r, port),
    `localnet port ${port.name}`,
  )
  return {
    uuid: plan.uuid ?? insertedUuid(plan.operations, results, NEW_LOCALNET),
    name: plan.name ?? port.name,
    switchUuid: plan.switchUuid,
    action: plan.action,
  }
}

/** Every localnet port: its switch, physical network and VLAN; sorted by switch and name. */
export async function listLocalnetPorts(nb: NbTransactor): Promise<LocalnetInfo[]> {
  return localnetInfos(await readSnapshot(nb, 'all'))
}

export interface LocalnetDeleteResult {
  /** The port removed; null when none had that name. */
  readonly removed: LocalnetInfo | null
}

/**
 * Remove localnet port `name` (ONE guarded transaction). None of that name: `removed: null`, or
 * OVN_NB_PORT_MISSING unless `ifExists`. A port of that name that is not a localnet port is refused.
 */
export async function deleteLocalnetPort(
  nb: NbTransactor,
  name: string,
  options: { readonly ifExists?: boolean } = {},
): Promise<LocalnetDeleteResult> {
  const portName = parsePortName(name)
  const { plan } = await planAndApply(nb, 'all', (s) => planDeleteLocalnet(s, portName), `localnet port ${portName}`)
  if (plan.removed === null && options.ifExists !== true) throw new NbPortMissingError(portName)
  return { removed: plan.removed }
}

// ---------------------------------------------------------------------------------------------
// Plumbing

/** Port rows with the switch holding them (rows no switch holds are skipped). */
export function portInfos(s: NbSnapshot): PortInfo[] {
  const owners = portOwners(s)
  const out: PortInfo[] = []
  for (const p of s.ports) {
    const sw = owners.get(p.uuid)
    if (sw === undefined) continue
    out.push({
      uuid: p.uuid,
      name: p.name,
      switchUuid: sw.uuid,
      switchName: sw.name,
      type: p.type,
      addresses: [...p.addresses],
      dynamicAddresses: p.dynamicAddresses,
      dhcpv4Options: p.dhcpv4Options,
      dhcpv6Options: p.dhcpv6Options,
      up: p.up,
      enabled: p.enabled,
      tagRequest: p.tagRequest,
      tag: p.tag,
      options: Object.fromEntries(p.options),
      externalIds: Object.fromEntries(p.externalIds),
    })
  }
  return out
}

/**
 * Read, plan, write; on a failed precondition start over (MAX_ATTEMPTS in all), then
 * ConcurrentChangeError. Planner errors (missing switch, conflicts) are thrown as they are.
 * A failed precondition is a failed `wait`, or a constraint violation: the port name index
 * refusing an insert because another client took the name since our read (plan-ports.ts). The
 * fresh read then shows that port, so the plan differs; a constraint violation that the very
 * same plan meets again is no race but the caller's to see, and is thrown as it is.
 */
export async function planAndApply<P extends { readonly operations: readonly Operation[] }>(
  nb: NbTransactor,
  read: SnapshotPorts | { readonly ports: SnapshotPorts; readonly dhcp: boolean; readonly portGroups?: boolean },
  planner: (s: NbSnapshot) => P,
  what: string,
): Promise<{ plan: P; results: readonly unknown[] }> {
  const ports = typeof read === 'string' ? read : read.ports
  const dhcp = typeof read === 'string' ? false : read.dhcp
  const portGroups = typeof read === 'string' ? false : read.portGroups === true
  return applyPlanned(nb, () => readSnapshot(nb, ports, { dhcp, portGroups }), planner, what)
}

/** planAndApply over any snapshot reader (the router operations read more tables: routers.ts). */
export async function applyPlanned<S, P extends { readonly operations: readonly Operation[] }>(
  nb: NbTransactor,
  read: () => Promise<S>,
  planner: (s: S) => P,
  what: string,
): Promise<{ plan: P; results: readonly unknown[] }> {
  let refused: string | undefined
  for (let attempt = 1; ; attempt++) {
    const plan = planner(await read())
    if (plan.operations.length === 0) return { plan, results: [] }
    try {
      return { plan, results: await nb.transact(NB_DB, plan.operations) }
    } catch (e) {
      if (e instanceof TransactionError && e.cause instanceof OvsdbConstraintViolationError) {
        const wire = JSON.stringify(plan.operations.map((o) => encodeOperation(o)))
        if (wire === refused) throw e
        refused = wire
      } else if (!(e instanceof OvsdbWaitFailedError)) {
        throw e
      }
      if (attempt >= MAX_ATTEMPTS) {
        throw new ConcurrentChangeError(
          `${what} kept changing while we wrote (${MAX_ATTEMPTS} attempts); run the call again`,
        )
      }
    }
  }
}

/** uuid-name -> the UUID the server gave that inserted row, for every insert of a transaction. */
export function insertedUuids(operations: readonly Operation[], results: readonly unknown[]): Map<string, string> {
  const out = new Map<string, string>()
  operations.forEach((o, i) => {
    if (o.op !== 'insert' || o.uuidName === undefined) return
    const r = results[i]
    const uuid = r !== null && typeof r === 'object' && 'uuid' in r ? r.uuid : undefined
    if (uuid instanceof Uuid) out.set(o.uuidName, uuid.value)
  })
  return out
}

function uuidInserted(inserted: ReadonlyMap<string, string>, uuidName: string): string {
  const uuid = inserted.get(uuidName)
  if (uuid === undefined) throw new InternalError(`no insert result for ${uuidName}`)
  return uuid
}

/** The UUID the server gave the row inserted as `uuidName`. */
export function insertedUuid(operations: readonly Operation[], results: readonly unknown[], uuidName: string): string {
  return uuidInserted(insertedUuids(operations, results), uuidName)
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
