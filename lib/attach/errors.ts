/** The errors of VM attachment (lib/attach): which VM, which VIF. */
import { XapiOvnError, truncate } from '../errors.js'

/** No VM of the pool has this uuid, ref or name_label. params: [vm] */
export class VmNotFoundError extends XapiOvnError {
  constructor(vm: string) {
    super(
      'OVN_VM_NOT_FOUND',
      `no VM of this pool is ${JSON.stringify(truncate(vm))} (give its uuid, name_label or OpaqueRef)`,
      [truncate(vm)],
    )
  }
}

/** Several VMs carry this name_label. params: [vm, count] */
export class VmAmbiguousError extends XapiOvnError {
  constructor(vm: string, count: number) {
    super('OVN_VM_AMBIGUOUS', `${count} VMs are named ${JSON.stringify(truncate(vm))}; name the VM by its uuid`, [
      truncate(vm),
      String(count),
    ])
  }
}

/** No VIF of the pool has this uuid. params: [vif] */
export class VifNotFoundError extends XapiOvnError {
  constructor(vif: string) {
    super('OVN_VIF_NOT_FOUND', `no VIF of this pool has uuid ${JSON.stringify(truncate(vif))}`, [truncate(vif)])
  }
}

/**
 * A VIF cannot serve this attachment: the asked device is on another network, the VIF belongs to
 * another VM, or its MAC is not the one asked for. params: [vm, vif or device, reason]
 */
export class VifConflictError extends XapiOvnError {
  constructor(vm: string, vif: string, reason: string) {
    super('OVN_VIF_CONFLICT', `VM ${truncate(vm)}, VIF ${truncate(vif)}: ${reason}`, [
      truncate(vm),
      truncate(vif),
      reason,
    ])
  }
}

/**
 * The northbound write of an attach got no answer and the state could not be read back: the ports
 * may or may not be there. The VIFs are kept (never guess: destroying them could orphan committed
 * ports); running the same attach again settles it, since attach is idempotent. params: [reason]
 */
export class AttachInDoubtError extends XapiOvnError {
  constructor(reason: string) {
    super(
      'OVN_ATTACH_IN_DOUBT',
      `the northbound write got no answer and could not be read back (${reason}): the ports may or may not be written; the VIFs were kept; run the same attach again`,
      [reason],
    )
  }
}

/**
 * The attach would change the addresses of a port whose VIF is plugged: the VM's traffic would
 * change under it (its IP dropped by port security, its peers' ARP caches wrong). Refused unless
 * asked for (`--update`). params: [vif, current addresses, new addresses]
 */
export class PortLiveError extends XapiOvnError {
  constructor(vif: string, from: string, to: string) {
    super(
      'OVN_PORT_LIVE',
      `VIF ${truncate(vif)} is plugged and its port has the addresses "${truncate(from)}": attach would make them "${truncate(to)}"; give --update to change a live port`,
      [truncate(vif), truncate(from), truncate(to)],
    )
  }
}
