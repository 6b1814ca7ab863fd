/**
 * Attach VMs to an OVN logical switch, and detach them: the XAPI half (a VIF on the OVN network,
 * plugged when the VM runs) composed with the northbound half (a logical switch port named after
 * the VIF UUID, with the VIF's MAC and the given addresses). XAPI's OVS integration sets
 * `iface-id = <VIF uuid>` on the port it plugs, so the VM binds on whatever host runs it.
 *
 *   const pool = await XapiPool.connect({ url, password })
 *   const nb = await connectNorthbound('tcp:192.0.2.10:6641,tcp:192.0.2.11:6641')
 *   await attachVms(pool, nb, { switch: 'tenant-a', vms: [{ vm: 'web1', ips: ['198.18.10.11'] }] })
 *   await detachVms(pool, nb, { vms: ['web1'] })
 *
 * XAPI is the record of what each port is: attach writes, on every VIF it attaches, the fields the
 * pool agent reads (other_config `xapi-ovn-switch` and `xapi-ovn-addresses`, ipv4_allowed,
 * ipv6_allowed, other_config xapi-ovn-port-security: plan-vif-fields.ts), and builds the port from them with the agent's
 * own rule (lib/agent/plan-desired.ts `desiredPort`), so the CLI and the agent never disagree.
 * The one thing attach leaves out is options:requested-chassis: where a VM runs changes after
 * attach returns, and only a running agent can follow it (a pinned chassis left behind by a
 * one-shot command would stop the port binding after a migration).
 *
 * Order of attach, chosen so that a failure leaves nothing half-made:
 * 1. validate every input, read the OVN network, the VMs, their VIFs, the pool and the switch
 *    (nothing is written before the switch is known to exist and every VM to be usable);
 * 2. write the VIFs' fields (found VIFs: only the fields that differ, one call each) and create
 *    the VIFs that are missing, with their fields (XAPI);
 * 3. write every port in ONE northbound transaction; if it fails, the fields changed in step 2
 *    are put back and the VIFs created there are destroyed again;
 * 4. plug the VIFs of running VMs (XAPI). The port exists by then, so ovn-controller binds the
 *    VIF the moment XAPI puts it on the bridge. A plug failure is thrown after the ports are
 *    written: running attach again finishes the job (every step is idempotent).
 *
 * Detach removes the ports first (ONE transaction: traffic stops at once), then unplugs and
 * destroys the VIFs (unless `keepVifs`: then the VIFs lose `xapi-ovn-switch` and
 * `xapi-ovn-addresses` before the ports go, so the agent does not make their ports again).
 */
import { errorText } from '../error-text.js'
import { ConcurrentChangeError, isArgumentErrorCode, XapiOvnError } from '../errors.js'
import { OvsdbWaitFailedError, TransactionError } from '../ovsdb/errors.js'
import { NB_ERROR_CODES, NbSwitchNoSubnetError } from '../nb/errors.js'
import { findPortByName, findSwitch, portOwners } from '../nb/model.js'
import { attachPorts, detachPorts, listPorts, type AttachedPort, type PortInfo } from '../nb/northbound.js'
import { readSnapshot, type NbTransactor } from '../nb/snapshot.js'
import { checkAttachAddresses } from '../nb/plan-addresses.js'
import { parseVifPorts, type VifPortSpec } from '../nb/validate-inputs.js'
import { AttachInDoubtError, PortLiveError, VifConflictError } from './errors.js'
import { desiredPort, type DesiredPort } from '../agent/plan-desired.js'
import { mapBounded } from '../pool/bounded.js'
import { DEFAULT_NETWORK_NAME } from '../pool/ovn-network.js'
import {
  parseAllRecords,
  parseHost,
  parseVif,
  parseVm,
  type HostRecord,
  type NetworkRecord,
  type PowerState,
  type VifRecord,
  type VmRecord,
} from '../pool/records.js'
import { chooseVifs, type PortSwitch, type VmContext } from './plan-attach.js'
import {
  fieldsOf,
  planFieldSteps,
  planUnclaimSteps,
  wantedFields,
  withFields,
  type VifStep,
} from './plan-vif-fields.js'
import {
  parseAttachOptions,
  parseDetachOptions,
  type AttachVmsOptions,
  type DetachVmsOptions,
} from './validate-attach.js'
import {
  createVif,
  findVifByUuid,
  plugVif,
  readOvnNetwork,
  readPoolUuid,
  readVmVifs,
  removeVif,
  resolveVm,
  runVifSteps,
  undoVifSteps,
  type XapiCalls,
} from './xapi-vifs.js'

export { VM_UUID_KEY } from '../agent/keys.js'

/** VIF.plug calls attachVms has in flight at once (each is one XAPI connection; xapi takes 800). */
const PLUG_CONCURRENCY = 32

export interface NetworkSummary {
  readonly uuid: string
  readonly nameLabel: string
  readonly bridge: string
}

export interface VmSummary {
  readonly uuid: string
  readonly name: string
  readonly powerState: PowerState
}

export interface VifSummary {
  readonly uuid: string
  readonly ref: string
  readonly device: string
  readonly mac: string
}

export type PlugOutcome = 'plugged' | 'already-plugged' | 'vm-not-running' | 'not-asked'

export interface VmAttachment {
  readonly vm: VmSummary
  readonly vif: VifSummary
  readonly vifAction: 'created' | 'found'
  readonly plug: PlugOutcome
  readonly port: AttachedPort
}

export interface AttachVmsResult {
  readonly network: NetworkSummary
  readonly switchUuid: string
  readonly switchName: string
  /** Something was created, updated or plugged. */
  readonly changed: boolean
  readonly attachments: readonly VmAttachment[]
}

export interface VifDetachment {
  readonly vifUuid: string
  /** The VM the VIF belonged to (null when XAPI no longer has the VIF). */
  readonly vm: VmSummary | null
  /** The logical switch port removed, or null when the VIF had none. */
  readonly port: { readonly uuid: string; readonly switchName: string; readonly switchUuid: string } | null
  readonly unplugged: boolean
  readonly destroyed: boolean
  /** A kept VIF lost other_config `xapi-ovn-switch` / `xapi-ovn-addresses` (so no agent re-makes its port). */
  readonly keysRemoved: boolean
}

export interface DetachVmsResult {
  readonly network: NetworkSummary
  readonly changed: boolean
  readonly detached: readonly VifDetachment[]
}

export interface VmPortInfo extends PortInfo {
  /** XAPI's view of the VIF behind a VIF port; null for other ports, or when XAPI has no such VIF. */
  readonly xapi: {
    readonly vif: VifSummary & { readonly currentlyAttached: boolean }
    readonly vm: VmSummary
    /** name_label of the host the VM runs on, or null. */
    readonly host: string | null
  } | null
}

function networkSummary(n: NetworkRecord): NetworkSummary {
  return { uuid: n.uuid, nameLabel: n.nameLabel, bridge: n.bridge }
}

function vmSummary(vm: VmRecord): VmSummary {
  return { uuid: vm.uuid, name: vm.nameLabel, powerState: vm.powerState }
}

function vifSummary(v: VifRecord): VifSummary {
  return { uuid: v.uuid, ref: v.ref, device: v.device, mac: v.mac.toLowerCase() }
}

/** The northbound planners' refusals (lib/nb/errors.ts): raised before anything is sent. */
const NB_REFUSALS: ReadonlySet<string> = new Set(NB_ERROR_CODES.values())

/**
 * The server answered: the transaction did not commit (a refused operation, a failed wait, a
 * refusal before sending). Anything else (a timeout, a dropped connection) leaves it in doubt.
 */
export function answeredByServer(err: unknown): boolean {
  if (err instanceof TransactionError || err instanceof OvsdbWaitFailedError) return true
  return (
    err instanceof XapiOvnError &&
    (NB_REFUSALS.has(err.code) || isArgumentErrorCode(err.code) || err instanceof ConcurrentChangeError)
  )
}

/**
 * After a write without an answer: read the switch back. Its one transaction is atomic, so either
 * every port is on the switch as planned (written) or the write did not commit.
 */
async function readBack(
  nb: NbTransactor,
  switchUuid: string,
  specs: readonly VifPortSpec[],
): Promise<'written' | 'not-written' | { readonly unreadable: string }> {
  let s: Awaited<ReturnType<typeof readSnapshot>>
  try {
    s = await readSnapshot(nb, 'vif')
  } catch (err) {
    return { unreadable: errorText(err) }
  }
  const owners = portOwners(s)
  const planned = parseVifPorts(specs)
  const all = planned.every((p) => {
    const row = findPortByName(s, p.name)
    return row !== undefined && owners.get(row.uuid)?.uuid === switchUuid && row.addresses.join('\n') === p.address
  })
  return all ? 'written' : 'not-written'
}

type DoneSteps = { ref: string; step: VifStep }[]

/**
 * Put back the VIF fields this call changed and destroy the VIFs it created, best effort (the
 * original failure is what the caller sees).
 */
async function rollback(xapi: XapiCalls, created: readonly VifRecord[], done: DoneSteps): Promise<void> {
  await undoVifSteps(xapi, done)
  for (const vif of [...created].reverse()) await removeVif(xapi, vif).catch(() => undefined)
}

/**
 * Attach has no host placement to give (see the header): the agent's rule run without hosts
 * names no requested-chassis.
 */
const NO_HOSTS: ReadonlyMap<string, HostRecord> = new Map()

/** The agent's port as lib/nb writes it: the same addresses, port_security and external_ids. */
function portSpec(p: DesiredPort): VifPortSpec {
  return {
    vifUuid: p.name,
    mac: p.mac,
    ips: p.ips,
    externalIds: Object.fromEntries(p.externalIds),
    portSecurity: p.portSecurity,
  }
}

/**
 * Attach every VM of `options.vms` to logical switch `options.switch`: one VIF each on the OVN
 * network (found or created), all ports in one northbound transaction, VIFs of running VMs
 * plugged. Running it again with the same arguments changes nothing.
 */
export async function attachVms(
  xapi: XapiCalls,
  nb: NbTransactor,
  options: AttachVmsOptions,
): Promise<AttachVmsResult> {
  const o = parseAttachOptions(options)
  const network = await readOvnNetwork(xapi, o.network ?? DEFAULT_NETWORK_NAME)
  const items: VmContext[] = []
  for (const spec of o.vms) {
    const vm = await resolveVm(xapi, spec.vm)
    items.push({ spec, vm, vifs: await readVmVifs(xapi, vm) })
  }
  const snapshot = await readSnapshot(nb, 'vif')
  const target = findSwitch(snapshot, o.switch)
  if (
    o.vms.some((v) => v.ips === 'dynamic') &&
    !target.otherConfig.has('subnet') &&
    !target.otherConfig.has('ipv6_prefix')
  ) {
    throw new NbSwitchNoSubnetError(o.switch)
  }
  const owners = portOwners(snapshot)
  const portSwitch = (vifUuid: string): PortSwitch | null => {
    const port = findPortByName(snapshot, vifUuid)
    const sw = port === undefined ? undefined : owners.get(port.uuid)
    return sw === undefined ? null : { uuid: sw.uuid, name: sw.name }
  }
  const choices = chooseVifs(items, network, { uuid: target.uuid, name: target.name }, portSwitch)
  const poolUuid = await readPoolUuid(xapi)
  const agentView = { poolUuid, hosts: NO_HOSTS }
  // Each choice with the fields its VIF gets. A found VIF the agent's rule refuses (its MAC, say)
  // is refused here, before anything is written.
  const planned = choices.map((c) => ({ ...c, fields: wantedFields(o.switch, c.spec.ips, o.portSecurity) }))
  // The addresses against the switch (its subnet, its IPv6 prefix, the other ports' IPs) now, before
  // XAPI is written; the northbound plan checks them again on the rows it commits on.
  const byUuid = new Map(snapshot.ports.map((p) => [p.uuid, p]))
  checkAttachAddresses(
    target,
    planned.map((p, i) => ({
      name: p.choice.kind === 'existing' ? p.choice.vif.uuid : `new VIF ${i}`,
      ips: p.spec.ips,
    })),
    target.portUuids.flatMap((u) => byUuid.get(u) ?? []),
  )
  for (const p of planned) {
    if (p.choice.kind !== 'existing') continue
    const wanted = desiredPort(agentView, network, p.vm, withFields(p.choice.vif, p.fields))
    // A plugged VIF's port that would get other addresses: only when asked (OVN_PORT_LIVE).
    const current = findPortByName(snapshot, p.choice.vif.uuid)
    const from = current?.addresses.join(' ') ?? ''
    if (!o.update && p.choice.vif.currentlyAttached && current !== undefined && from !== '' && from !== wanted.address)
      throw new PortLiveError(p.choice.vif.uuid, from, wanted.address)
  }

  const created: VifRecord[] = []
  const done: DoneSteps = []
  /** Each VIF as XAPI holds it after step 2, with its VM, in request order. */
  const vifs: { readonly vm: VmRecord; readonly vif: VifRecord }[] = []
  let ports: VifPortSpec[]
  try {
    for (const p of planned) {
      if (p.choice.kind === 'existing') {
        await runVifSteps(xapi, p.choice.vif, planFieldSteps(fieldsOf(p.choice.vif), p.fields), done)
        vifs.push({ vm: p.vm, vif: withFields(p.choice.vif, p.fields) })
      } else {
        const { device, mac } = p.choice
        const vif = await createVif(xapi, { vm: p.vm, network, device, mac, fields: p.fields })
        created.push(vif)
        vifs.push({ vm: p.vm, vif })
      }
    }
    ports = vifs.map(({ vm, vif }) => portSpec(desiredPort(agentView, network, vm, vif)))
  } catch (err) {
    await rollback(xapi, created, done)
    throw err
  }

  let written: Awaited<ReturnType<typeof attachPorts>>
  try {
    written = await attachPorts(nb, target.uuid, ports)
  } catch (err) {
    // A refusal wrote nothing. A write that got no answer may have committed: read back, never
    // guess (destroying the VIFs of committed ports would orphan them).
    const outcome = answeredByServer(err) ? 'not-written' : await readBack(nb, target.uuid, ports)
    if (outcome === 'not-written') {
      await rollback(xapi, created, done)
      throw err
    }
    if (outcome !== 'written') throw new AttachInDoubtError(outcome.unreadable)
    // It committed: plan again (nothing to change) for the ports' rows.
    written = await attachPorts(nb, target.uuid, ports)
  }

  const createdSet = new Set<VifRecord>(created)
  // The VIFs are plugged at once, PLUG_CONCURRENCY at a time: XAPI marks only the VIF for
  // VIF.plug and forwards it to the VM's host (xen-api ocaml/xapi/message_forwarding.ml, VIF.plug:
  // with_vif_marked, forward_vif_op), so plugs of different VIFs do not wait on each other there;
  // one at a time, 20 plugs took 2 s of the lab's 10 hosts (issue 13). After a failed plug no new
  // one starts, those in flight finish, and the first failure is thrown.
  const attachments = await mapBounded(vifs, PLUG_CONCURRENCY, async ({ vm, vif }, i): Promise<VmAttachment> => {
    let plug: PlugOutcome
    if (!o.plug) plug = 'not-asked'
    else if (vm.powerState !== 'Running') plug = 'vm-not-running'
    else if (vif.currentlyAttached) plug = 'already-plugged'
    else {
      await plugVif(xapi, vif)
      plug = 'plugged'
    }
    return {
      vm: vmSummary(vm),
      vif: vifSummary(vif),
      vifAction: createdSet.has(vif) ? 'created' : 'found',
      plug,
      port: written.ports[i] as AttachedPort,
    }
  })
  return {
    network: networkSummary(network),
    switchUuid: written.switchUuid,
    switchName: written.switchName,
    changed: written.changed || created.length > 0 || done.length > 0 || attachments.some((a) => a.plug === 'plugged'),
    attachments,
  }
}

/**
 * Detach VMs (their VIFs on the OVN network, or only those whose port is on `switch`) and VIFs
 * named by uuid: their ports go in one northbound transaction, then the VIFs are unplugged and
 * destroyed (unless `keepVifs`). Detaching what is not attached is not an error.
 */
export async function detachVms(
  xapi: XapiCalls,
  nb: NbTransactor,
  options: DetachVmsOptions,
): Promise<DetachVmsResult> {
  const o = parseDetachOptions(options)
  const network = await readOvnNetwork(xapi, o.network ?? DEFAULT_NETWORK_NAME)
  const targets = new Map<string, { vif: VifRecord | null; vm: VmRecord | null; explicit: boolean }>()
  for (const ref of o.vms) {
    const vm = await resolveVm(xapi, ref)
    for (const vif of await readVmVifs(xapi, vm)) {
      if (vif.network === network.ref && !targets.has(vif.uuid)) targets.set(vif.uuid, { vif, vm, explicit: false })
    }
  }
  for (const uuid of o.vifs) {
    const vif = await findVifByUuid(xapi, uuid)
    if (vif !== null && vif.network !== network.ref) {
      throw new VifConflictError(
        vif.vm,
        uuid,
        `the VIF is on another network (${vif.network}), not on ${network.nameLabel}: it is not an OVN attachment`,
      )
    }
    const vm = vif === null ? null : parseVm(vif.vm, await xapi.call('VM.get_record', vif.vm))
    targets.set(uuid, { vif, vm, explicit: true })
  }

  const snapshot = await readSnapshot(nb, 'detach')
  const owners = portOwners(snapshot)
  if (o.switch !== undefined) {
    const sw = findSwitch(snapshot, o.switch)
    for (const [uuid, t] of [...targets]) {
      const port = findPortByName(snapshot, uuid)
      const owner = port === undefined ? undefined : owners.get(port.uuid)
      if (owner?.uuid === sw.uuid) continue
      if (t.explicit && owner !== undefined) {
        throw new VifConflictError(
          t.vm?.uuid ?? '',
          uuid,
          `its port is on logical switch ${owner.name}, not on ${sw.name}`,
        )
      }
      // A VM's other VIFs (ports elsewhere or none) are not this switch's business.
      if (!t.explicit) targets.delete(uuid)
    }
  }

  // A kept VIF loses the keys that name its port before the port goes: an agent reading XAPI in
  // between then finds no switch for it and leaves the port alone, instead of making it again.
  const done: DoneSteps = []
  const unclaimed = new Set<string>()
  try {
    if (o.keepVifs)
      for (const [uuid, t] of targets) {
        if (t.vif === null) continue
        const steps = planUnclaimSteps(t.vif)
        await runVifSteps(xapi, t.vif, steps, done)
        if (steps.length > 0) unclaimed.add(uuid)
      }
  } catch (err) {
    await undoVifSteps(xapi, done)
    throw err
  }
  let removed: Awaited<ReturnType<typeof detachPorts>>
  try {
    removed =
      targets.size === 0 ? { changed: false, removed: [], absent: [] } : await detachPorts(nb, [...targets.keys()])
  } catch (err) {
    // Not removed: the ports stay, so do their keys. In doubt: the keys stay removed (the next
    // detach finishes; a port without them is left alone by the agent).
    if (answeredByServer(err)) await undoVifSteps(xapi, done)
    throw err
  }
  const removedByVif = new Map(removed.removed.map((r) => [r.vifUuid, r]))
  const detached: VifDetachment[] = []
  for (const [uuid, t] of targets) {
    const port = removedByVif.get(uuid)
    let outcome = { unplugged: false, destroyed: false }
    if (!o.keepVifs && t.vif !== null) outcome = await removeVif(xapi, t.vif)
    detached.push({
      vifUuid: uuid,
      vm: t.vm === null ? null : vmSummary(t.vm),
      port: port === undefined ? null : { uuid: port.uuid, switchName: port.switchName, switchUuid: port.switchUuid },
      ...outcome,
      keysRemoved: unclaimed.has(uuid),
    })
  }
  return {
    network: networkSummary(network),
    changed: removed.changed || unclaimed.size > 0 || detached.some((d) => d.unplugged || d.destroyed),
    detached,
  }
}

/**
 * The ports of switch `switchRef` (or of every switch), each VIF port joined with XAPI's view of
 * its VIF, VM and host when `xapi` is given (read in three calls, whatever the number of ports).
 */
export async function listVmPorts(nb: NbTransactor, xapi: XapiCalls | null, switchRef?: string): Promise<VmPortInfo[]> {
  const ports = await listPorts(nb, switchRef)
  if (xapi === null) return ports.map((p) => ({ ...p, xapi: null }))
  const [vifRecords, vmRecords, hostRecords] = await Promise.all([
    xapi.call('VIF.get_all_records'),
    xapi.call('VM.get_all_records'),
    xapi.call('host.get_all_records'),
  ])
  const vifs = new Map([...parseAllRecords('VIF', vifRecords, parseVif).values()].map((v) => [v.uuid, v]))
  const vms = parseAllRecords('VM', vmRecords, parseVm)
  const hosts = parseAllRecords('host', hostRecords, parseHost)
  return ports.map((p): VmPortInfo => {
    const vif = p.type === '' ? vifs.get(p.name) : undefined
    const vm = vif === undefined ? undefined : vms.get(vif.vm)
    if (vif === undefined || vm === undefined) return { ...p, xapi: null }
    const host = vm.residentOn === null ? undefined : hosts.get(vm.residentOn)
    return {
      ...p,
      xapi: {
        vif: { ...vifSummary(vif), currentlyAttached: vif.currentlyAttached },
        vm: vmSummary(vm),
        host: host === undefined ? null : host.nameLabel || host.hostname,
      },
    }
  })
}
