/**
 * `xapi-ovn sg attach|detach`: a VM's (or a VIF's) port into or out of a security group, with XAPI
 * as the record the way `port attach` keeps it (attach.ts): the VIF's other_config
 * `xapi-ovn-security-groups` (lib/agent/keys.ts, comma-separated names) is what the pool agent
 * reads, so it is written first, then the ports' membership in ONE northbound transaction
 * (lib/nb/security-groups.ts setPortSecurityGroups: exactly the key's groups, plus the drop group).
 *
 *   await attachSecurityGroup(pool, nb, { group: 'web', vms: ['web1'] })
 *
 * Order, so that a failure leaves nothing half-made:
 * 1. validate; read the OVN network, the VMs' VIFs on it (a VM with none is refused: attach it
 *    first), the northbound (the group must exist, every VIF must have its port, every group the
 *    new key names must exist): nothing is written before all of it holds;
 * 2. write the keys that change (`remove_from_other_config` then `add_to_other_config`, each with
 *    its undo: plan-vif-fields.ts VifStep);
 * 3. the membership transaction; if the server refuses it, the keys are put back. If it got no
 *    answer, the keys stay (they say what was asked): running the same command again settles it.
 * `dryRun` does step 1 and plans step 3 from the same read; nothing is written anywhere.
 */
import { InvalidArgumentError } from '../errors.js'
import { SECURITY_GROUPS_KEY } from '../agent/keys.js'
import { formatSecurityGroupsValue, parseSecurityGroupsValue } from '../agent/plan-desired.js'
import { NbPortMissingError } from '../nb/errors.js'
import { findPortByName } from '../nb/model.js'
import { findSecurityGroup, planSgMembership } from '../nb/plan-security-groups.js'
import { setPortSecurityGroups } from '../nb/security-groups.js'
import { readSnapshot, type NbTransactor } from '../nb/snapshot.js'
import { parseSgName } from '../nb/validate-security-groups.js'
import { parseVifUuids } from '../nb/validate-inputs.js'
import { DEFAULT_NETWORK_NAME } from '../pool/ovn-network.js'
import type { VifRecord, VmRecord } from '../pool/records.js'
import { parseVm } from '../pool/records.js'
import { answeredByServer } from './attach.js'
import { VifConflictError, VifNotFoundError } from './errors.js'
import type { VifStep } from './plan-vif-fields.js'
import {
  findVifByUuid,
  readOvnNetwork,
  readVmVifs,
  resolveVm,
  runVifSteps,
  undoVifSteps,
  type XapiCalls,
} from './xapi-vifs.js'

export interface SecurityGroupAttachOptions {
  /** The security group (it must exist: xapi-ovn sg add). */
  readonly group: string
  /** VMs (uuid, name_label or OpaqueRef): every VIF of each on the OVN network. */
  readonly vms?: readonly string[]
  /** VIFs by uuid. */
  readonly vifs?: readonly string[]
  /** The OVN network (default ovn-int). */
  readonly network?: string
  /** Check and plan, write nothing. */
  readonly dryRun?: boolean
}

export interface SecurityGroupVifChange {
  readonly vifUuid: string
  readonly vmUuid: string
  readonly vmName: string
  /** The key's groups before and after. */
  readonly before: readonly string[]
  readonly after: readonly string[]
}

export interface SecurityGroupAttachResult {
  readonly group: string
  readonly dryRun: boolean
  /** Something was (or, dry, would be) written: a key or a membership. */
  readonly changed: boolean
  readonly vifs: readonly SecurityGroupVifChange[]
  /** Ports whose membership changed (VIF uuids). */
  readonly ports: readonly string[]
}

/** Put the VIFs of these VMs (and these VIFs) in security group `group`. */
export function attachSecurityGroup(
  xapi: XapiCalls,
  nb: NbTransactor,
  options: SecurityGroupAttachOptions,
): Promise<SecurityGroupAttachResult> {
  return changeMembership(xapi, nb, options, 'add')
}

/** Take the VIFs of these VMs (and these VIFs) out of security group `group`. */
export function detachSecurityGroup(
  xapi: XapiCalls,
  nb: NbTransactor,
  options: SecurityGroupAttachOptions,
): Promise<SecurityGroupAttachResult> {
  return changeMembership(xapi, nb, options, 'remove')
}

/** The key steps that bring a VIF's value from `before` to `after` (none when equal). */
export function securityGroupSteps(before: string | undefined, after: readonly string[]): VifStep[] {
  const now = after.length === 0 ? undefined : formatSecurityGroupsValue(after)
  if (before === now) return []
  const steps: VifStep[] = []
  if (before !== undefined)
    steps.push({
      call: { method: 'VIF.remove_from_other_config', args: [SECURITY_GROUPS_KEY] },
      undo: { method: 'VIF.add_to_other_config', args: [SECURITY_GROUPS_KEY, before] },
    })
  if (now !== undefined)
    steps.push({
      call: { method: 'VIF.add_to_other_config', args: [SECURITY_GROUPS_KEY, now] },
      undo: { method: 'VIF.remove_from_other_config', args: [SECURITY_GROUPS_KEY] },
    })
  return steps
}

async function changeMembership(
  xapi: XapiCalls,
  nb: NbTransactor,
  options: SecurityGroupAttachOptions,
  how: 'add' | 'remove',
): Promise<SecurityGroupAttachResult> {
  const group = parseSgName(options.group)
  const vms = options.vms ?? []
  const vifUuids = parseVifUuids(options.vifs ?? [], 'vifs')
  if (vms.length === 0 && vifUuids.length === 0) throw new InvalidArgumentError('vms', '', 'give a VM or a VIF')
  const network = await readOvnNetwork(xapi, options.network ?? DEFAULT_NETWORK_NAME)
  const targets = new Map<string, { vif: VifRecord; vm: VmRecord }>()
  for (const ref of vms) {
    const vm = await resolveVm(xapi, ref)
    const onOvn = (await readVmVifs(xapi, vm)).filter((v) => v.network === network.ref)
    if (onOvn.length === 0)
      throw new VifConflictError(
        vm.uuid,
        '-',
        `the VM has no VIF on ${network.nameLabel}: attach it first (xapi-ovn port attach)`,
      )
    for (const vif of onOvn) targets.set(vif.uuid, { vif, vm })
  }
  for (const uuid of vifUuids) {
    const vif = await findVifByUuid(xapi, uuid)
    if (vif === null) throw new VifNotFoundError(uuid)
    if (vif.network !== network.ref)
      throw new VifConflictError(vif.vm, uuid, `the VIF is on another network, not on ${network.nameLabel}`)
    targets.set(uuid, { vif, vm: parseVm(vif.vm, await xapi.call('VM.get_record', vif.vm)) })
  }

  const snapshot = await readSnapshot(nb, 'detach', { portGroups: true })
  // The group must exist to be attached; a detach of a group gone from the northbound still
  // takes the name out of the key.
  if (how === 'add') findSecurityGroup(snapshot, group)
  const changes: (SecurityGroupVifChange & { readonly vif: VifRecord; readonly raw: string | undefined })[] = []
  for (const [uuid, { vif, vm }] of targets) {
    if (findPortByName(snapshot, uuid) === undefined) throw new NbPortMissingError(uuid)
    const raw = vif.otherConfig[SECURITY_GROUPS_KEY]
    const before = parseSecurityGroupsValue(raw)
    const after = how === 'add' ? [...new Set([...before, group])] : before.filter((g) => g !== group)
    changes.push({ vifUuid: uuid, vmUuid: vm.uuid, vmName: vm.nameLabel, before, after, vif, raw })
  }
  const wants = changes.map((c) => ({ port: c.vifUuid, groups: c.after }))
  // Every group the new keys name must exist (planSgMembership refuses otherwise): checked here.
  const planned = planSgMembership(snapshot, wants)
  const keySteps = changes.map((c) => ({ vif: c.vif, steps: securityGroupSteps(c.raw, c.after) }))
  const result = (ports: readonly string[], dryRun: boolean): SecurityGroupAttachResult => ({
    group,
    dryRun,
    changed: ports.length > 0 || keySteps.some((k) => k.steps.length > 0),
    vifs: changes.map(({ vifUuid, vmUuid, vmName, before, after }) => ({ vifUuid, vmUuid, vmName, before, after })),
    ports,
  })
  if (options.dryRun === true) return result(planned.changed, true)

  const done: { ref: string; step: VifStep }[] = []
  try {
    for (const k of keySteps) await runVifSteps(xapi, k.vif, k.steps, done)
  } catch (err) {
    await undoVifSteps(xapi, done)
    throw err
  }
  try {
    const written = await setPortSecurityGroups(nb, wants)
    return result(written.changed, false)
  } catch (err) {
    if (answeredByServer(err)) await undoVifSteps(xapi, done)
    throw err
  }
}
