/**
 * VM.pool_migrate, in the order xapi and xenopsd do it (docs/platform.md, "Live migration
 * (VM.pool_migrate)"; xapi-project/xen-api):
 *
 * 1. master, `message_forwarding.ml` `pool_migrate`: `with_vm_operation` checks the operation
 *    (`xapi_vm_lifecycle.ml`: power state, then concurrent operations, then control domain) and
 *    adds `current_operations[task] = pool_migrate`; `reserve_memory_for_vm` checks the
 *    destination (`assert_can_boot_here`: HOST_NOT_LIVE, then HOST_DISABLED unless it is the
 *    VM's own host), adds `vm_migrate` to the destination's `current_operations` and sets
 *    `scheduled_to_be_resident_on` (`allocate_vm_to_host`). Phase `reserved`.
 * 2. source, `xapi_vm_migrate.ml` `pool_migrate`, xenopsd's events for the VM suppressed:
 *    `with_networks_attached_for_vm` on the destination (VIFs registered, bridges made), then
 *    xenopsd's VM_migrate -> the destination's VM_receive_memory: VM_create and
 *    VM_restore_vifs, i.e. every attached VIF plugged there as `vif<new domid>.<device>`,
 *    **before** the memory copy (phase `destination-plugged`: two ports per VIF); then VM_save
 *    (the copy; the source is paused at its end), VM_restore_devices (no VIFs: `migration`),
 *    VM_unpause on the destination (phase `destination-running`); then the source's temporary
 *    domain is shut down: its VIFs unplugged, ports gone; xapi detaches the source's networks
 *    (`detach_local_network_for_vm`: deregister, maybe drop the bridge). Phase `source-removed`.
 * 3. destination, `pool_migrate_complete`: `atomic_set_resident_on` (`resident_on` = the
 *    destination, then `scheduled_to_be_resident_on` cleared), `refresh_vm` (the new domid).
 *    Phase `resident`. Then the reservations and the host operation are cleared, and last
 *    `current_operations` loses the task.
 *
 * VIF `currently_attached` stays true throughout (nothing reports the source's unplug: the
 * events are suppressed). A test can hold a migration at any phase (`MigrationHolds`).
 */
import { Codes, XapiApiError } from './api-error.js'
import type { Database } from './database.js'
import type { EmulatedHost } from './emulator.js'
import { num, str, stringMap } from './methods/registry.js'
import { NULL_REF, type XapiRecord } from './values.js'
import type { HostDirectory, VmDevices } from './vm-devices.js'

/** The points a test can hold a migration at, in the order they are reached. */
export const MIGRATION_PHASES = [
  'reserved',
  'destination-plugged',
  'destination-running',
  'source-removed',
  'resident',
] as const
export type MigrationPhase = (typeof MIGRATION_PHASES)[number]

export interface MigrationPoint {
  readonly phase: MigrationPhase
  readonly vm: string
  /** The task in `current_operations`. */
  readonly task: string
  readonly source: string
  readonly destination: string
  /** The VM's domid on the source, and the destination domain's (-1 before it exists). */
  readonly sourceDomid: number
  readonly destinationDomid: number
}

/** A hold on the next migration (of one VM, when given) reaching a phase. */
export interface MigrationHold {
  /** Resolves when the migration is held there. */
  readonly reached: Promise<MigrationPoint>
  /** Let it go on (idempotent; also done by the emulator's close). */
  release(): void
}

/** Emulator-only: holds that tests set, which running migrations wait on. */
export class MigrationHolds {
  /** Set and not yet released; `taken` once a migration waits on it (it matches no other). */
  readonly #holds = new Set<{
    readonly phase: MigrationPhase
    readonly vm: string | undefined
    readonly arrive: (p: MigrationPoint) => void
    readonly released: Promise<void>
    readonly release: () => void
    taken: boolean
  }>()

  hold(phase: MigrationPhase, vm?: string): MigrationHold {
    let arrive: (p: MigrationPoint) => void = () => {}
    let resolveRelease: () => void = () => {}
    const reached = new Promise<MigrationPoint>((resolve) => {
      arrive = resolve
    })
    const released = new Promise<void>((resolve) => {
      resolveRelease = resolve
    })
    const release = (): void => {
      this.#holds.delete(entry)
      resolveRelease()
    }
    const entry = { phase, vm, arrive, released, release, taken: false }
    this.#holds.add(entry)
    return { reached, release }
  }

  /** Called by the migration at each phase: waits while a hold on it is not released. */
  async pass(point: MigrationPoint): Promise<void> {
    for (const h of this.#holds) {
      if (h.taken || h.phase !== point.phase || (h.vm !== undefined && h.vm !== point.vm)) continue
      h.taken = true
      h.arrive(point)
      await h.released
      return
    }
  }

  /** Release every hold, waited on or not (the emulator's close). */
  releaseAll(): void {
    for (const h of [...this.#holds]) h.release()
  }
}

export class VmMigration<Guest> {
  readonly #db: Database
  readonly #hosts: HostDirectory<Guest>
  readonly #devices: VmDevices<Guest>
  readonly #holds: MigrationHolds

  constructor(db: Database, hosts: HostDirectory<Guest>, devices: VmDevices<Guest>, holds: MigrationHolds) {
    this.#db = db
    this.#hosts = hosts
    this.#devices = devices
    this.#holds = holds
  }

  /** VM.pool_migrate(vm, host, options) run under `task`. */
  async poolMigrate(task: string, vm: string, destinationRef: string): Promise<void> {
    const db = this.#db
    db.row('VM', vm)
    db.row('host', destinationRef)
    this.#assertOperationValid(vm)
    const source = str(db.field('VM', vm, 'resident_on'))
    this.#setOperation('VM', vm, task, 'pool_migrate')
    try {
      await this.#reserved(task, vm, source, destinationRef)
    } finally {
      // with_vm_operation's finally: the operation goes last.
      this.#setOperation('VM', vm, task, undefined)
    }
  }

  /** `xapi_vm_lifecycle.ml` get_operation_error for `pool_migrate`, in its order. */
  #assertOperationValid(vm: string): void {
    const db = this.#db
    const state = str(db.field('VM', vm, 'power_state'))
    if (state !== 'Running') throw new XapiApiError(Codes.VM_BAD_POWER_STATE, [vm, 'running', state.toLowerCase()])
    const ops = Object.entries(stringMap(db.field('VM', vm, 'current_operations')))
    if (ops.length > 0) {
      // report_concurrent_operations_error: one operation as is, several as {a,b}.
      const refs = ops.length === 1 ? (ops[0]?.[0] ?? '') : `{${ops.map(([r]) => r).join(',')}}`
      const names = ops.length === 1 ? (ops[0]?.[1] ?? '') : `{${ops.map(([, o]) => o).join(',')}}`
      throw new XapiApiError(Codes.OTHER_OPERATION_IN_PROGRESS, ['VM', vm, names, refs])
    }
    if (db.field('VM', vm, 'is_control_domain') === true)
      throw new XapiApiError(Codes.OPERATION_NOT_ALLOWED, ['This operation is not allowed on a control domain'])
  }

  /** reserve_memory_for_vm around the forwarded migration. */
  async #reserved(task: string, vm: string, source: string, destination: string): Promise<void> {
    const db = this.#db
    // assert_can_boot_here (xapi_vm_helpers.ml): live first, then enabled unless local.
    if (!this.#hosts.isLive(destination)) throw new XapiApiError(Codes.HOST_NOT_LIVE, [])
    if (source !== destination && db.field('host', destination, 'enabled') !== true)
      throw new XapiApiError(Codes.HOST_DISABLED, [destination])
    // allocate_vm_to_host: the host operation, then scheduled_to_be_resident_on.
    this.#setOperation('host', destination, task, 'vm_migrate')
    db.set('VM', vm, { scheduled_to_be_resident_on: destination })
    try {
      await this.#migrate(task, vm, source, destination)
    } finally {
      // finally_clear_host_operation, clear_reservations.
      this.#setOperation('host', destination, task, undefined)
      if (db.has('VM', vm) && db.field('VM', vm, 'scheduled_to_be_resident_on') !== NULL_REF)
        db.set('VM', vm, { scheduled_to_be_resident_on: NULL_REF })
    }
  }

  /** Forwarded to the source (do_op_on resident_on): xapi_vm_migrate.pool_migrate, then _complete. */
  async #migrate(task: string, vm: string, sourceRef: string, destinationRef: string): Promise<void> {
    const db = this.#db
    const src = this.#devices.liveHost(sourceRef)
    const dst = this.#devices.liveHost(destinationRef)
    const sourceDomid = num(db.field('VM', vm, 'domid'))
    const vifs = (db.field('VM', vm, 'VIFs') as string[]).filter(
      (v) => db.field('VIF', v, 'currently_attached') === true,
    )
    const at = { vm, task, source: sourceRef, destination: destinationRef, sourceDomid }
    await this.#holds.pass({ phase: 'reserved', ...at, destinationDomid: -1 })
    // with_networks_attached_for_vm ~host:destination (Network.attach_for_vm there).
    for (const vif of vifs) await this.#devices.attachForVif(dst, vif)
    // xenopsd, destination: VM_create (a new domain), VM_restore_vifs, before the memory copy.
    const destinationDomid = dst.nextDomid++
    const pass = (phase: MigrationPhase): Promise<void> => this.#holds.pass({ phase, ...at, destinationDomid })
    try {
      for (const vif of vifs) await this.#devices.plugVifDevice(dst, vif, { domid: destinationDomid, incoming: true })
      await pass('destination-plugged')
      // VM_save (the memory copy, the source paused at its end), VM_restore_devices, VM_unpause.
      for (const vif of vifs) await this.#resume(dst, vif, destinationDomid)
    } catch (err) {
      // VM_receive_memory's cleanup (VM_shutdown of the new domain) and
      // with_networks_attached_for_vm's detach on the destination; the VM stays on the source.
      for (const vif of vifs) {
        await this.#devices.unplugVifDevice(dst, vif, destinationDomid).catch(() => undefined)
        if (sourceRef !== destinationRef) await this.#devices.deregisterVif(dst, vif).catch(() => undefined)
      }
      throw err
    }
    await pass('destination-running')
    // xenopsd, source: the temporary source domain's VM_shutdown unplugs its VIFs.
    for (const vif of vifs) await this.#devices.unplugVifDevice(src, vif, sourceDomid)
    // detach_local_network_for_vm (a localhost migration keeps its networks).
    if (sourceRef !== destinationRef) for (const vif of vifs) await this.#devices.deregisterVif(src, vif)
    await pass('source-removed')
    // pool_migrate_complete on the destination: atomic_set_resident_on (two writes), refresh_vm.
    db.set('VM', vm, { resident_on: destinationRef })
    db.set('VM', vm, { scheduled_to_be_resident_on: NULL_REF })
    db.set('VM', vm, { domid: destinationDomid })
    await pass('resident')
  }

  async #resume(h: EmulatedHost<Guest>, vif: string, domid: number): Promise<void> {
    const devid = Number(str(this.#db.field('VIF', vif, 'device')))
    await h.backend.resumeIncomingVif?.({ domid, devid })
  }

  /** `current_operations[task] = op`, or the task removed (undefined). */
  #setOperation(cls: 'VM' | 'host', ref: string, task: string, op: string | undefined): void {
    if (!this.#db.has(cls, ref)) return
    const ops: XapiRecord = { ...stringMap(this.#db.field(cls, ref, 'current_operations')) }
    if (op === undefined) delete ops[task]
    else ops[task] = op
    this.#db.set(cls, ref, { current_operations: ops })
  }
}
