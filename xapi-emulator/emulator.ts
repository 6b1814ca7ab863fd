/**
 * The XAPI emulator's brain, transport-free: sessions, hosts, the object store and the method
 * table with its dispatch. What each method does lives in `methods/*.ts`, each file registering
 * its methods through `MethodRegistry` with only the capabilities it is handed; VMs on hosts are
 * `vm-devices.ts`, Async tasks `async-tasks.ts`. `server.ts` puts it on the wire (JSON-RPC and
 * XML-RPC); `pool.ts` seeds a pool over host backends.
 *
 * Order of checks per call, as XAPI's generated dispatcher: method known
 * (MESSAGE_METHOD_UNKNOWN), parameter count (MESSAGE_PARAMETER_COUNT_MISMATCH), parameter types
 * (FIELD_TYPE_ERROR), session (SESSION_INVALID), then the method itself (HANDLE_INVALID, ...).
 */
import { randomUUID } from 'node:crypto'
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Codes, XapiApiError } from './api-error.js'
import { AsyncTasks } from './async-tasks.js'
import { Database, newRef } from './database.js'
import type { HostBackend } from './host-backend.js'
import { registerClassMethods } from './methods/class-fields.js'
import { registerEventMethods, type ChangeFeed } from './methods/event.js'
import { registerHostMethods } from './methods/host.js'
import { registerNetworkMethods } from './methods/network.js'
import { str, stringMap, type MethodDef, type MethodRegistry, type SessionControl } from './methods/registry.js'
import { registerSessionMethods } from './methods/session.js'
import { registerTaskMethods } from './methods/task.js'
import { registerVifMethods } from './methods/vif.js'
import { registerVmMethods } from './methods/vm.js'
import { T } from './schema.js'
import {
  addBond,
  addNetwork,
  addPif,
  addVlan,
  type BondSeed,
  type NetworkSeed,
  type PifSeed,
  type VlanSeed,
} from './seed-network.js'
import { readParams, type ParamSpec } from './unmarshal.js'
import { NULL_REF, XapiDateTime, type XapiValue } from './values.js'
import { VmDevices } from './vm-devices.js'
import { MigrationHolds, VmMigration, type MigrationHold, type MigrationPhase } from './vm-migration.js'

export type { CallContext, MethodDef, MethodResult } from './methods/registry.js'
export { formatToken } from './methods/event.js'
export type { BondSeed, NetworkSeed, PifSeed, VlanSeed } from './seed-network.js'

export interface EmulatedHost<Guest = unknown> {
  readonly ref: string
  readonly backend: HostBackend<Guest>
  readonly pluginsDir: string
  nextDomid: number
  /**
   * xapi's `active_vifs_to_networks` on this host (ocaml/xapi/xapi_network.ml): VIF ref ->
   * network ref, registered when a VIF is attached here and removed when it goes.
   */
  readonly activeVifs: Map<string, string>
}

export interface EmulatorOptions {
  /** root's password. */
  readonly password: string
  /** The pool's name_label (default `emulated-pool`). */
  readonly poolName?: string
}

export interface VmSeed<Guest = unknown> {
  readonly name_label: string
  /** The guest behind this VM's VIFs, passed to the backend's plugVif as `vm` (a LabVm). */
  readonly guest?: Guest
  readonly domain_type?: 'pv' | 'hvm' | 'pvh'
  readonly affinity?: string
  readonly other_config?: Record<string, string>
}

const SESSION_PARAM: ParamSpec = { name: 'session_id', type: T.ref('session') }

/** `Guest`: the hosts' guest type (LabVm for LabHost backends). */
export class XapiEmulator<Guest = unknown> {
  readonly db = new Database()
  readonly user = 'root'
  readonly poolRef: string
  readonly #password: string
  readonly #sessions = new Map<string, { uuid: string; user: string }>()
  readonly #hosts = new Map<string, EmulatedHost<Guest>>()
  readonly #methods = new Map<string, MethodDef>()
  readonly #wakers = new Set<() => void>()
  readonly #tempDirs: string[] = []
  /** VM ref -> the guest object handed to the backend's plugVif (a LabVm in the lab). */
  readonly #guests = new Map<string, Guest>()
  /** VMs on the hosts: placement, power, VIF plug/unplug and the bridges that follow. */
  readonly #devices: VmDevices<Guest> = new VmDevices(
    this.db,
    {
      get: (ref) => this.#hosts.get(ref),
      all: () => this.hosts,
      isLive: (ref) => this.isHostLive(ref),
    },
    (vm) => this.#guests.get(vm),
  )
  /** Emulator-only: where tests hold a VM.pool_migrate (`holdMigration`). */
  readonly #migrationHolds = new MigrationHolds()
  readonly #migration: VmMigration<Guest> = new VmMigration(
    this.db,
    {
      get: (ref) => this.#hosts.get(ref),
      all: () => this.hosts,
      isLive: (ref) => this.isHostLive(ref),
    },
    this.#devices,
    this.#migrationHolds,
  )
  readonly #tasks: AsyncTasks = new AsyncTasks(this.db, () => this.db.field('pool', this.poolRef, 'master'))
  #closed = false

  constructor(options: EmulatorOptions) {
    this.#password = options.password
    this.poolRef = this.db.create('pool', { name_label: options.poolName ?? 'emulated-pool' })
    this.db.onChange(() => this.#wake())
    this.#defineMethods()
  }

  // ------------------------------------------------------------------------------------------
  // Calls

  /** Every wire name, as system.listMethods gives it. */
  listMethods(): string[] {
    return [...this.#methods.keys(), 'system.listMethods']
  }

  /** Dispatch one call; throws XapiApiError for every failure XAPI would report. */
  async call(name: string, params: readonly XapiValue[]): Promise<XapiValue> {
    if (name === 'system.listMethods') return this.listMethods()
    const isAsync = name.startsWith('Async.')
    const method = isAsync ? name.slice('Async.'.length) : name
    const def = this.#methods.get(method)
    if (def === undefined || (isAsync && !def.async)) throw new XapiApiError(Codes.MESSAGE_METHOD_UNKNOWN, [name])
    const specs = def.session ? [SESSION_PARAM, ...def.params] : def.params
    let args: XapiValue[]
    try {
      args = readParams(method, specs, params)
    } catch (err) {
      // The count XAPI reports leaves the session out.
      if (err instanceof XapiApiError && err.code === Codes.MESSAGE_PARAMETER_COUNT_MISMATCH && def.session) {
        const [m, expected, received] = err.params
        throw new XapiApiError(err.code, [m as string, String(Number(expected) - 1), String(Number(received) - 1)])
      }
      throw err
    }
    let session = ''
    if (def.session) {
      session = str(args.shift())
      this.#checkSession(session)
    }
    if (!isAsync) return (await def.run({ session, method, task: newRef() }, args)) ?? ''
    return this.#tasks.start(method, (task) => def.run({ session, method, task }, args))
  }

  #checkSession(session: string): void {
    if (!this.#sessions.has(session)) throw new XapiApiError(Codes.SESSION_INVALID, [session])
  }

  // ------------------------------------------------------------------------------------------
  // Hosts and seeding (used by pool.ts and by tests)

  get hosts(): Array<EmulatedHost<Guest>> {
    return [...this.#hosts.values()]
  }

  /** The emulated host by ref or uuid. */
  host(refOrUuid: string): EmulatedHost<Guest> {
    const byRef = this.#hosts.get(refOrUuid)
    if (byRef !== undefined) return byRef
    for (const h of this.#hosts.values()) if (h.backend.uuid === refOrUuid) return h
    throw new Error(`no emulated host ${refOrUuid}`)
  }

  /**
   * Add a host over a backend: host_metrics (live), the host (uuid, name, address from the
   * backend), its control domain, and its plugins directory (`<dir>/xapi.d/plugins`, where
   * `dir` is `options.rundir` or a fresh temporary directory). The first host is the master.
   */
  async addHost(backend: HostBackend<Guest>, options: { rundir?: string } = {}): Promise<string> {
    let root = options.rundir
    if (root === undefined) {
      root = await mkdtemp(join(tmpdir(), 'xapi-emu-host-'))
      this.#tempDirs.push(root)
    }
    const pluginsDir = join(root, 'xapi.d', 'plugins')
    await mkdir(pluginsDir, { recursive: true })
    const metrics = this.db.create('host_metrics', { live: true, last_updated: XapiDateTime.of(new Date()) })
    const ref = this.db.create('host', {
      uuid: backend.uuid,
      name_label: backend.name,
      hostname: backend.name,
      address: this.#address(backend),
      metrics,
      software_version: { product_brand: 'XCP-ng', product_version: '8.3.0', xapi: '24.19', platform_name: 'XCP' },
    })
    const dom0 = this.db.create('VM', {
      name_label: `Control domain on host: ${backend.name}`,
      is_control_domain: true,
      power_state: 'Running',
      domid: 0,
      resident_on: ref,
    })
    this.db.set('host', ref, { control_domain: dom0 })
    this.#hosts.set(ref, { ref, backend, pluginsDir, nextDomid: 1, activeVifs: new Map() })
    if (this.db.field('pool', this.poolRef, 'master') === NULL_REF) this.db.set('pool', this.poolRef, { master: ref })
    return ref
  }

  #address(backend: HostBackend<Guest>): string {
    const ip = backend.managementIp
    if (ip === undefined || ip === '')
      throw new Error(`host ${backend.name} has no management IP yet (give it an uplink first)`)
    return ip
  }

  /** host_metrics.live: an offline host answers HOST_OFFLINE to anything that must run on it. */
  setHostLive(host: string, live: boolean): void {
    const h = this.host(host)
    const metrics = str(this.db.field('host', h.ref, 'metrics'))
    this.db.set('host_metrics', metrics, { live, last_updated: XapiDateTime.of(new Date()) })
  }

  isHostLive(hostRef: string): boolean {
    const metrics = str(this.db.field('host', hostRef, 'metrics'))
    return this.db.field('host_metrics', metrics, 'live') === true
  }

  /**
   * The host reboots (`xe host-reboot`, or a power cut): every VM resident there dies with it
   * (Halted, VIFs detached; nothing is unplugged through the backend, the devices die with the
   * domains), the host is offline while its backend reboots (LabHost.reboot: empty conf.db,
   * networkd's PIF bridges, systemd's services), then xapi starts and runs xapi-autostart-vms
   * (xapi-project/xen-api scripts/xapi-autostart-vms): if the pool's other_config has
   * `auto_poweron=true`, every halted VM whose other_config has `auto_poweron=true` is started
   * (`xe vm-start ... --multiple`, placed as VM.start places it), plugging its VIFs, which makes
   * XAPI create internal bridges again. Returns the refs of the VMs it started.
   */
  async rebootHost(host: string): Promise<string[]> {
    const h = this.host(host)
    for (const vm of this.db.refs('VM')) {
      if (this.db.field('VM', vm, 'resident_on') !== h.ref || this.db.field('VM', vm, 'is_control_domain') === true)
        continue
      for (const vif of this.db.field('VM', vm, 'VIFs') as string[])
        this.db.set('VIF', vif, { currently_attached: false })
      this.db.set('VM', vm, { power_state: 'Halted', resident_on: NULL_REF, domid: -1 })
    }
    this.setHostLive(h.ref, false)
    await h.backend.reboot?.()
    this.setHostLive(h.ref, true)
    const started: string[] = []
    if (stringMap(this.db.field('pool', this.poolRef, 'other_config')).auto_poweron !== 'true') return started
    for (const vm of this.db.refs('VM')) {
      if (this.db.field('VM', vm, 'is_control_domain') === true) continue
      if (this.db.field('VM', vm, 'power_state') !== 'Halted') continue
      if (stringMap(this.db.field('VM', vm, 'other_config')).auto_poweron !== 'true') continue
      await this.#devices.startOn(vm, this.#devices.chooseHost(vm))
      started.push(vm)
    }
    return started
  }

  /** Copy an executable into the host's plugins directory under `name` (mode 0755). */
  async installPlugin(host: string, name: string, sourceFile: string): Promise<string> {
    const dest = join(this.host(host).pluginsDir, name)
    await copyFile(sourceFile, dest)
    await chmod(dest, 0o755)
    return dest
  }

  /** Write `content` as plugin `name` (mode 0755 unless given). */
  async writePlugin(host: string, name: string, content: string, mode = 0o755): Promise<string> {
    const dest = join(this.host(host).pluginsDir, name)
    await writeFile(dest, content, { mode })
    await chmod(dest, mode)
    return dest
  }

  addNetwork(fields: NetworkSeed): string {
    return addNetwork(this.db, fields)
  }

  /** A PIF with its PIF_metrics. MAC defaults to a random local address. */
  addPif(seed: PifSeed): string {
    return addPif(this.db, seed)
  }

  /** A VLAN: the untagged PIF `device` on `network`, over `taggedPif`, with its VLAN record. */
  addVlan(seed: VlanSeed): { pif: string; vlan: string } {
    return addVlan(this.db, seed)
  }

  /** A bond: master PIF `device` on `network` over `slaves` (PIFs of one host). */
  addBond(seed: BondSeed): { pif: string; bond: string } {
    return addBond(this.db, seed)
  }

  addVm(seed: VmSeed<Guest>): string {
    const { domain_type = 'pv', affinity = NULL_REF, other_config = {}, name_label } = seed
    const ref = this.db.create('VM', {
      name_label,
      domain_type,
      affinity,
      other_config,
      HVM_boot_policy: domain_type === 'hvm' ? 'BIOS order' : '',
    })
    if (seed.guest !== undefined) this.#guests.set(ref, seed.guest)
    return ref
  }

  /** Put a guest (a LabVm) behind an existing VM: its VIFs get plugged into it. */
  setGuest(vm: string, guest: Guest): void {
    this.db.row('VM', vm)
    this.#guests.set(vm, guest)
  }

  /**
   * Emulator-only (XAPI has nothing like it): hold the next VM.pool_migrate (of `vm`, when given)
   * when it reaches `phase` (vm-migration.ts), so a test can look at the state in between.
   * `reached` resolves once it is held; `release()` lets it go on. close() releases every hold.
   */
  holdMigration(phase: MigrationPhase, vm?: string): MigrationHold {
    return this.#migrationHolds.hold(phase, vm)
  }

  /**
   * Every session ends at once, as when an administrator logs them out or the pool master
   * changes: calls answer SESSION_INVALID (xapi's session check, emulator.ts above), waiting
   * event.from calls too, and clients must log in again. The data stays.
   */
  dropSessions(): void {
    this.#sessions.clear()
    this.#wake()
  }

  // ------------------------------------------------------------------------------------------
  // Lifecycle

  /** Invalidate every session, release waiting event.from calls, finish running tasks, rm temp dirs. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#sessions.clear()
    this.#wake()
    this.#migrationHolds.releaseAll()
    await this.#tasks.settle()
    await Promise.all(this.#tempDirs.map((d) => rm(d, { recursive: true, force: true })))
  }

  #wake(): void {
    for (const w of [...this.#wakers]) w()
  }

  /** Resolve on the next change (data, sessions, close) or after `ms`. */
  #nextChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        this.#wakers.delete(done)
        resolve()
      }
      const timer = setTimeout(done, Math.max(0, ms))
      this.#wakers.add(done)
    })
  }

  // ------------------------------------------------------------------------------------------
  // Method table

  #define(name: string, def: MethodDef): void {
    this.#methods.set(name, def)
  }

  /** Every method, registered by its file under `methods/` with the capabilities it needs. */
  #defineMethods(): void {
    const registry: MethodRegistry = { define: (name, def) => this.#define(name, def) }
    const db = this.db
    const devices = this.#devices
    const sessions: SessionControl = {
      login: (user, password) => this.#login(user, password),
      logout: (session) => {
        this.#sessions.delete(session)
        this.#wake()
      },
      check: (session) => this.#checkSession(session),
    }
    const changes: ChangeFeed = { nextChange: (ms) => this.#nextChange(ms), isClosed: () => this.#closed }
    registerClassMethods(registry, db)
    registerSessionMethods(registry, { db, poolRef: this.poolRef, sessions })
    registerEventMethods(registry, { db, sessions, changes })
    registerTaskMethods(registry, db)
    registerHostMethods(registry, { liveHost: (ref) => devices.liveHost(ref) })
    registerNetworkMethods(registry, { db, devices })
    registerVifMethods(registry, { db, devices })
    registerVmMethods(registry, { devices, migration: this.#migration })
  }

  #login(user: string, password: string): string {
    // After close() nobody logs in again (the server is going away).
    if (user !== this.user || password !== this.#password || this.#closed) {
      throw new XapiApiError(Codes.SESSION_AUTHENTICATION_FAILED, [user, 'Authentication failure'])
    }
    const ref = `OpaqueRef:${randomUUID()}`
    this.#sessions.set(ref, { uuid: randomUUID(), user })
    return ref
  }
}
