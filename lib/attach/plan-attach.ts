/**
 * Pure: which VIF each VM of an attach request uses, from what XAPI and the northbound database
 * say now. Nothing here calls anything; attach.ts carries the choices out.
 *
 * Per VM, on the OVN network:
 * - `device` given: the VM's VIF with that device. It must be on the OVN network, have the asked
 *   MAC (if one is asked) and have no logical port on another switch. No such device: a VIF is
 *   created with it.
 * - no `device`: a VIF of the VM on the OVN network whose port is already on this switch (a
 *   re-run), else one with no port anywhere (a VIF someone plugged into ovn-int by hand), else a
 *   new VIF on the lowest device number the VM does not use.
 * A VM named twice in one request (with different devices) never gets the same VIF twice.
 */
import { VifConflictError } from './errors.js'
import type { NetworkRecord, VifRecord, VmRecord } from '../pool/records.js'
import type { ParsedVmAttach } from './validate-attach.js'

/** The logical switch holding a port, as the NB snapshot says. */
export interface PortSwitch {
  readonly uuid: string
  readonly name: string
}

export type VifChoice =
  | { readonly kind: 'existing'; readonly vif: VifRecord }
  | { readonly kind: 'create'; readonly device: string; readonly mac: string }

export interface VmChoice {
  readonly spec: ParsedVmAttach
  readonly vm: VmRecord
  readonly choice: VifChoice
}

export interface VmContext {
  readonly spec: ParsedVmAttach
  readonly vm: VmRecord
  /** Every VIF of the VM, on any network. */
  readonly vifs: readonly VifRecord[]
}

function vmLabel(vm: VmRecord): string {
  return vm.nameLabel === '' ? vm.uuid : `${vm.nameLabel} (${vm.uuid})`
}

function sameMac(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}

/**
 * Choose a VIF for every VM. `portSwitch(vifUuid)` is the switch holding the port named after
 * that VIF, or null; `target` is the switch asked for.
 */
export function chooseVifs(
  items: readonly VmContext[],
  network: NetworkRecord,
  target: PortSwitch,
  portSwitch: (vifUuid: string) => PortSwitch | null,
): VmChoice[] {
  /** VM uuid -> devices already given to an earlier item of this request. */
  const taken = new Map<string, Set<string>>()
  return items.map(({ spec, vm, vifs }): VmChoice => {
    const used = taken.get(vm.uuid) ?? new Set<string>()
    taken.set(vm.uuid, used)
    const choice = chooseOne(spec, vm, vifs, network, target, portSwitch, used)
    used.add(choice.kind === 'existing' ? choice.vif.device : choice.device)
    return { spec, vm, choice }
  })
}

function chooseOne(
  spec: ParsedVmAttach,
  vm: VmRecord,
  vifs: readonly VifRecord[],
  network: NetworkRecord,
  target: PortSwitch,
  portSwitch: (vifUuid: string) => PortSwitch | null,
  used: ReadonlySet<string>,
): VifChoice {
  const onOtherSwitch = (vif: VifRecord): PortSwitch | null => {
    const sw = portSwitch(vif.uuid)
    return sw !== null && sw.uuid !== target.uuid ? sw : null
  }
  if (spec.device !== null) {
    if (used.has(spec.device))
      throw new VifConflictError(
        vmLabel(vm),
        `device ${spec.device}`,
        'this request names the same device of the VM twice',
      )
    const vif = vifs.find((v) => v.device === spec.device)
    if (vif === undefined) return { kind: 'create', device: spec.device, mac: spec.mac ?? '' }
    if (vif.network !== network.ref) {
      throw new VifConflictError(
        vmLabel(vm),
        vif.uuid,
        `device ${spec.device} is on another network (${vif.network}), not on ${network.nameLabel}: move it in XAPI or pick another device`,
      )
    }
    if (spec.mac !== null && !sameMac(vif.mac, spec.mac)) {
      throw new VifConflictError(vmLabel(vm), vif.uuid, `its MAC is ${vif.mac}, not ${spec.mac}`)
    }
    const other = onOtherSwitch(vif)
    if (other !== null)
      throw new VifConflictError(
        vmLabel(vm),
        vif.uuid,
        `its port is on logical switch ${other.name} (${other.uuid}): detach it first`,
      )
    return { kind: 'existing', vif }
  }
  const candidates = vifs.filter(
    (v) => v.network === network.ref && !used.has(v.device) && (spec.mac === null || sameMac(v.mac, spec.mac)),
  )
  const here = candidates.find((v) => portSwitch(v.uuid)?.uuid === target.uuid)
  if (here !== undefined) return { kind: 'existing', vif: here }
  const free = candidates.find((v) => portSwitch(v.uuid) === null)
  if (free !== undefined) return { kind: 'existing', vif: free }
  let n = 0
  const devices = new Set([...vifs.map((v) => v.device), ...used])
  while (devices.has(String(n))) n++
  return { kind: 'create', device: String(n), mac: spec.mac ?? '' }
}
