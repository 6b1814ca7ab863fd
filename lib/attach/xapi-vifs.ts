/**
 * The XAPI half of attaching VMs: find VMs, read their VIFs, and create, plug, unplug and destroy
 * VIFs on the OVN network, and write (and undo) the VIF fields the pool agent reads
 * (plan-vif-fields.ts), each as the one XAPI call a user (or Xen Orchestra) would make. Every
 * record read is validated (lib/pool/records.ts); every failure is coded (XapiCallError keeps
 * XAPI's own code, e.g. VM_BAD_POWER_STATE, HOST_OFFLINE, DEVICE_ALREADY_EXISTS).
 */
import { InvalidArgumentError } from '../errors.js'
import { OvnNetworkError, XapiCallError } from '../pool/errors.js'
import { VmAmbiguousError, VmNotFoundError } from './errors.js'
import { DEFAULT_NETWORK_NAME, findNetwork } from '../pool/ovn-network.js'
import {
  parseAllRecords,
  parseNetwork,
  parsePool,
  parseRef,
  parseVif,
  parseVm,
  type NetworkRecord,
  type VifRecord,
  type VmRecord,
} from '../pool/records.js'
import { createdOtherConfig, type VifFields, type VifStep } from './plan-vif-fields.js'
import { looksLikeUuid } from './validate-attach.js'

/** What the attachment code needs of an XAPI session (XapiPool satisfies it). */
export interface XapiCalls {
  call(method: string, ...args: unknown[]): Promise<unknown>
}

function isXapiCode(err: unknown, ...codes: string[]): boolean {
  return err instanceof XapiCallError && codes.includes(err.xapiCode)
}

/** The OVN network (uuid or name_label, default ovn-int); it must exist (setup creates it). */
export async function readOvnNetwork(xapi: XapiCalls, selector: string = DEFAULT_NETWORK_NAME): Promise<NetworkRecord> {
  const networks = parseAllRecords('network', await xapi.call('network.get_all_records'), parseNetwork)
  const network = findNetwork(networks, selector)
  if (network === null)
    throw new OvnNetworkError(
      selector,
      'no network of this pool has this name: run xapi-ovn setup first (it creates the network)',
    )
  return network
}

async function vmRecord(xapi: XapiCalls, ref: string, asked: string): Promise<VmRecord> {
  try {
    return parseVm(ref, await xapi.call('VM.get_record', ref))
  } catch (err) {
    if (isXapiCode(err, 'HANDLE_INVALID')) throw new VmNotFoundError(asked)
    throw err
  }
}

/**
 * The VM `ref` names: an OpaqueRef, a uuid, or a name_label matched by one VM only (templates,
 * snapshots and control domains are never candidates). A control domain or template named
 * outright is refused: it cannot have a guest NIC on OVN.
 */
export async function resolveVm(xapi: XapiCalls, ref: string): Promise<VmRecord> {
  let vm: VmRecord | undefined
  if (ref.startsWith('OpaqueRef:')) {
    vm = await vmRecord(xapi, ref, ref)
  } else {
    if (looksLikeUuid(ref)) {
      try {
        vm = await vmRecord(
          xapi,
          parseRef('VM', 'get_by_uuid', await xapi.call('VM.get_by_uuid', ref.toLowerCase())),
          ref,
        )
      } catch (err) {
        if (!isXapiCode(err, 'UUID_INVALID')) throw err
      }
    }
    if (vm === undefined) {
      const refs = await xapi.call('VM.get_by_name_label', ref)
      if (!Array.isArray(refs)) throw new XapiCallError('VM.get_by_name_label', 'UNEXPECTED_ANSWER', [String(refs)])
      const candidates: VmRecord[] = []
      for (const r of refs) {
        const rec = await vmRecord(xapi, parseRef('VM', 'get_by_name_label', r), ref)
        if (!rec.isATemplate && !rec.isControlDomain) candidates.push(rec)
      }
      if (candidates.length > 1) throw new VmAmbiguousError(ref, candidates.length)
      vm = candidates[0]
      if (vm === undefined) throw new VmNotFoundError(ref)
    }
  }
  if (vm.isControlDomain) throw new InvalidArgumentError('vm', ref, 'is a control domain (dom0), not a guest')
  if (vm.isATemplate) throw new InvalidArgumentError('vm', ref, 'is a template or snapshot, not a VM that can run')
  return vm
}

/** Every VIF of the VM, by device order. */
export async function readVmVifs(xapi: XapiCalls, vm: VmRecord): Promise<VifRecord[]> {
  const vifs: VifRecord[] = []
  for (const ref of vm.vifs) {
    try {
      vifs.push(parseVif(ref, await xapi.call('VIF.get_record', ref)))
    } catch (err) {
      // Destroyed between the two reads: it is not a VIF of the VM any more.
      if (!isXapiCode(err, 'HANDLE_INVALID')) throw err
    }
  }
  return vifs.sort((a, b) => Number(a.device) - Number(b.device) || (a.device < b.device ? -1 : 1))
}

/** The VIF with this uuid, or null when XAPI has none. */
export async function findVifByUuid(xapi: XapiCalls, uuid: string): Promise<VifRecord | null> {
  let ref: string
  try {
    ref = parseRef('VIF', 'get_by_uuid', await xapi.call('VIF.get_by_uuid', uuid))
  } catch (err) {
    if (isXapiCode(err, 'UUID_INVALID')) return null
    throw err
  }
  try {
    return parseVif(ref, await xapi.call('VIF.get_record', ref))
  } catch (err) {
    if (isXapiCode(err, 'HANDLE_INVALID')) return null
    throw err
  }
}

export interface NewVif {
  readonly vm: VmRecord
  readonly network: NetworkRecord
  readonly device: string
  /** '' lets XAPI generate one. */
  readonly mac: string
  /** The fields that say what its port is (plan-vif-fields.ts), set by the create itself. */
  readonly fields: VifFields
}

/**
 * `VIF.create` with every field XAPI's constructor takes (as Xen Orchestra sends them), the MTU
 * of the network, then read back (XAPI fills in the uuid and a generated MAC).
 */
export async function createVif(xapi: XapiCalls, v: NewVif): Promise<VifRecord> {
  const ref = parseRef(
    'VIF',
    'create',
    await xapi.call('VIF.create', {
      device: v.device,
      network: v.network.ref,
      VM: v.vm.ref,
      MAC: v.mac,
      MTU: v.network.mtu,
      other_config: createdOtherConfig(v.fields),
      qos_algorithm_type: '',
      qos_algorithm_params: {},
      ipv4_allowed: v.fields.ipv4Allowed,
      ipv6_allowed: v.fields.ipv6Allowed,
    }),
  )
  return parseVif(ref, await xapi.call('VIF.get_record', ref))
}

/** The pool's uuid: the agent's ports carry it (lib/agent/keys.ts POOL_UUID_KEY). */
export async function readPoolUuid(xapi: XapiCalls): Promise<string> {
  const pools = parseAllRecords('pool', await xapi.call('pool.get_all_records'), parsePool)
  const pool = [...pools.values()][0]
  if (pool === undefined) throw new XapiCallError('pool.get_all_records', 'NO_POOL', [])
  return pool.uuid
}

/**
 * Run `steps` on the VIF in order. Each step that ran is pushed onto `done` (with the VIF's
 * ref) as soon as XAPI accepted it, so a failure part-way is undone exactly (undoVifSteps).
 */
export async function runVifSteps(
  xapi: XapiCalls,
  vif: VifRecord,
  steps: readonly VifStep[],
  done: { ref: string; step: VifStep }[],
): Promise<void> {
  for (const step of steps) {
    await xapi.call(step.call.method, vif.ref, ...step.call.args)
    done.push({ ref: vif.ref, step })
  }
}

/** Undo the steps that ran, last first, best effort: the caller reports the first failure. */
export async function undoVifSteps(xapi: XapiCalls, done: readonly { ref: string; step: VifStep }[]): Promise<void> {
  for (const { ref, step } of [...done].reverse())
    await xapi.call(step.undo.method, ref, ...step.undo.args).catch(() => undefined)
}

export async function plugVif(xapi: XapiCalls, vif: VifRecord): Promise<void> {
  await xapi.call('VIF.plug', vif.ref)
}

/**
 * Unplug (when attached) and destroy a VIF. A VIF that is already unplugged, or already gone, is
 * not an error: detaching twice gives the same result.
 */
export async function removeVif(xapi: XapiCalls, vif: VifRecord): Promise<{ unplugged: boolean; destroyed: boolean }> {
  let unplugged = false
  try {
    const attached = await xapi.call('VIF.get_currently_attached', vif.ref)
    if (attached === true || attached === 'true') {
      try {
        await xapi.call('VIF.unplug', vif.ref)
      } catch (err) {
        if (!isXapiCode(err, 'DEVICE_ALREADY_DETACHED')) throw err
      }
      unplugged = true
    }
    await xapi.call('VIF.destroy', vif.ref)
    return { unplugged, destroyed: true }
  } catch (err) {
    if (isXapiCode(err, 'HANDLE_INVALID')) return { unplugged, destroyed: false }
    throw err
  }
}
