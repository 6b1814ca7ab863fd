/**
 * The XAPI emulator's brain, transport-free: sessions, the object store, the method table and
 * what each method does. `server.ts` puts it on the wire (JSON-RPC and XML-RPC); `pool.ts`
 * seeds a pool over host backends.
 *
 * Order of checks per call, as XAPI's generated dispatcher: method known
 * (MESSAGE_METHOD_UNKNOWN), parameter count (MESSAGE_PARAMETER_COUNT_MISMATCH), parameter types
 * (FIELD_TYPE_ERROR), session (SESSION_INVALID), then the method itself (HANDLE_INVALID, ...).
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Codes, XapiApiError } from './api-error.js'
import { Database } from './database.js'
import type { FailMode, HostBackend } from './host-backend.js'
import { callPlugin } from './plugin-runner.js'
import { CLASSES, T, hasNameLabel, type FieldType } from './schema.js'
import { taskResultText } from './task-result.js'
import { readParams, readValue, type ParamSpec } from './unmarshal.js'
import { NULL_REF, XapiDateTime, XapiDouble, XapiInt32, isStruct, type XapiRecord, type XapiValue } from './values.js'

export interface CallContext {
  /** The session ref ('' for session-less methods). */
  readonly session: string
  /** The method's name without any Async. prefix. */
  readonly method: string
}

export interface MethodDef {
  readonly params: readonly ParamSpec[]
  readonly session: boolean
  /** XAPI offers `Async.<method>` for it. */
  readonly async: boolean
  /** The result; void methods (XAPI's `unit`) answer "". */
  readonly run: (ctx: CallContext, args: XapiValue[]) => MethodResult | Promise<MethodResult>
}

// biome-ignore lint/suspicious/noConfusingVoidType: lets a handler that returns nothing be a plain `void` function
export type MethodResult = XapiValue | undefined | void

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

export interface PifSeed {
  readonly host: string
  readonly network: string
  readonly device: string
  readonly MAC?: string
  readonly MTU?: number
  readonly physical?: boolean
  readonly management?: boolean
  readonly currently_attached?: boolean
  readonly ip_configuration_mode?: 'None' | 'DHCP' | 'Static'
  readonly IP?: string
  readonly netmask?: string
  readonly gateway?: string
  readonly DNS?: string
  readonly VLAN?: number
  readonly other_config?: Record<string, string>
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

function lower(cls: string): string {
  return cls.toLowerCase()
}

function randomMac(): string {
  const b = randomBytes(6)
  b[0] = ((b[0] as number) & 0xfe) | 0x02 // locally administered, unicast
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':')
}

function str(v: XapiValue | undefined): string {
  if (typeof v !== 'string') throw new Error(`expected a string, got ${String(v)}`)
  return v
}

function num(v: XapiValue | undefined): number {
  if (typeof v !== 'number') throw new Error(`expected an int, got ${String(v)}`)
  return v
}

function stringMap(v: XapiValue | undefined): Record<string, string> {
  return isStruct(v) ? (v as Record<string, string>) : {}
}

/** XAPI's event.from token: "<generation>,<message generation>", each 20 digits. */
export function formatToken(generation: number): string {
  return `${String(generation).padStart(20, '0')},${'0'.padStart(20, '0')}`
}

function parseToken(token: string): number {
  if (token === '') return 0
  const m = /^([0-9]+)(,[0-9]+)?$/.exec(token)
  if (m === null) throw new XapiApiError(Codes.EVENT_FROM_TOKEN_PARSE_FAILURE, [token])
  return Number(m[1])
}

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
  readonly #running = new Set<Promise<unknown>>()
  /** VM ref -> the guest object handed to the backend's plugVif (a LabVm in the lab). */
  readonly #guests = new Map<string, Guest>()
  #closed = false

  constructor(options: EmulatorOptions) {
    this.#password = options.password
    this.poolRef = this.db.create('pool', { name_label: options.poolName ?? 'emulated-pool' })
    this.db.onChange(() => this.#wake())
    this.#defineClassMethods()
    this.#defineCustomMethods()
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
    const ctx: CallContext = { session, method }
    if (!isAsync) return (await def.run(ctx, args)) ?? ''
    return this.#startTask(method, () => def.run(ctx, args))
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
      await this.#startOn(vm, this.#chooseHost(vm))
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

  addNetwork(fields: {
    name_label: string
    bridge: string
    uuid?: string
    MTU?: number
    other_config?: Record<string, string>
  }): string {
    return this.db.create('network', { name_description: '', ...fields })
  }

  /** A PIF with its PIF_metrics. MAC defaults to a random local address. */
  addPif(seed: PifSeed): string {
    this.db.row('host', seed.host)
    this.db.row('network', seed.network)
    const metrics = this.db.create('PIF_metrics', { carrier: seed.currently_attached ?? true })
    const { MAC, ...rest } = seed
    return this.db.create('PIF', { ...rest, MAC: MAC ?? randomMac(), metrics })
  }

  /** A VLAN: the untagged PIF `device` on `network`, over `taggedPif`, with its VLAN record. */
  addVlan(seed: {
    taggedPif: string
    tag: number
    network: string
    currently_attached?: boolean
    ip?: Partial<PifSeed>
  }): { pif: string; vlan: string } {
    const tagged = this.db.get('PIF', seed.taggedPif)
    const pif = this.addPif({
      ...seed.ip,
      host: str(tagged.host),
      network: seed.network,
      device: str(tagged.device),
      MAC: str(tagged.MAC),
      VLAN: seed.tag,
      physical: false,
      currently_attached: seed.currently_attached ?? true,
    })
    const vlan = this.db.create('VLAN', { tagged_PIF: seed.taggedPif, untagged_PIF: pif, tag: seed.tag })
    this.db.set('PIF', pif, { VLAN_master_of: vlan })
    return { pif, vlan }
  }

  /** A bond: master PIF `device` on `network` over `slaves` (PIFs of one host). */
  addBond(seed: {
    slaves: readonly string[]
    device: string
    network: string
    mode?: 'balance-slb' | 'active-backup' | 'lacp'
    ip?: Partial<PifSeed>
  }): { pif: string; bond: string } {
    const first = seed.slaves[0]
    if (first === undefined) throw new Error('a bond needs slaves')
    const slave = this.db.get('PIF', first)
    const pif = this.addPif({
      ...seed.ip,
      host: str(slave.host),
      network: seed.network,
      device: seed.device,
      MAC: str(slave.MAC),
      physical: false,
      currently_attached: true,
    })
    const bond = this.db.create('Bond', {
      master: pif,
      mode: seed.mode ?? 'balance-slb',
      primary_slave: first,
      links_up: seed.slaves.length,
    })
    for (const s of seed.slaves) this.db.set('PIF', s, { bond_slave_of: bond })
    return { pif, bond }
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

  // ------------------------------------------------------------------------------------------
  // Lifecycle

  /** Invalidate every session, release waiting event.from calls, finish running tasks, rm temp dirs. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#sessions.clear()
    this.#wake()
    await Promise.allSettled([...this.#running])
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
  // Tasks

  #startTask(method: string, work: () => MethodResult | Promise<MethodResult>): string {
    const task = this.db.create('task', {
      name_label: `Async.${method}`,
      created: XapiDateTime.of(new Date()),
      status: 'pending',
      resident_on: this.db.field('pool', this.poolRef, 'master'),
    })
    const finish = (fields: XapiRecord): void => {
      if (!this.db.has('task', task)) return // destroyed meanwhile
      this.db.set('task', task, { progress: new XapiDouble(1), finished: XapiDateTime.of(new Date()), ...fields })
    }
    const running = (async () => {
      // Let the caller get the task ref before anything happens, as with XAPI's thread.
      await new Promise((r) => setImmediate(r))
      try {
        const result = await work()
        finish({ status: 'success', result: taskResultText(result ?? undefined) })
      } catch (err) {
        const e =
          err instanceof XapiApiError
            ? err
            : new XapiApiError(Codes.INTERNAL_ERROR, [String((err as Error)?.message ?? err)])
        finish({ status: 'failure', error_info: e.description })
      }
    })()
    this.#running.add(running)
    void running.finally(() => this.#running.delete(running))
    return task
  }

  // ------------------------------------------------------------------------------------------
  // Method table

  #define(name: string, def: MethodDef): void {
    this.#methods.set(name, def)
  }

  #defineClassMethods(): void {
    for (const spec of Object.values(CLASSES)) {
      const cls = spec.name
      const self: ParamSpec = { name: 'self', type: T.ref(cls) }
      const base = { session: true, async: false }
      this.#define(`${cls}.get_all`, { ...base, params: [], run: () => this.db.refs(cls) })
      this.#define(`${cls}.get_all_records`, {
        ...base,
        params: [],
        run: () => Object.fromEntries(this.db.all(cls).map((r) => [r.ref, this.db.get(cls, r.ref)])),
      })
      this.#define(`${cls}.get_record`, { ...base, params: [self], run: (_c, [ref]) => this.db.get(cls, str(ref)) })
      this.#define(`${cls}.get_by_uuid`, {
        ...base,
        params: [{ name: 'uuid', type: T.string }],
        run: (_c, [uuid]) => this.db.byUuid(cls, str(uuid)),
      })
      if (hasNameLabel(cls)) {
        this.#define(`${cls}.get_by_name_label`, {
          ...base,
          params: [{ name: 'label', type: T.string }],
          run: (_c, [label]) =>
            this.db
              .all(cls)
              .filter((r) => r.record.name_label === label)
              .map((r) => r.ref),
        })
      }
      for (const [field, fspec] of Object.entries(spec.fields)) {
        this.#define(`${cls}.get_${field}`, {
          ...base,
          params: [self],
          run: (_c, [ref]) => this.db.field(cls, str(ref), field),
        })
        if (fspec.rw !== true) continue
        this.#define(`${cls}.set_${field}`, {
          ...base,
          params: [self, { name: 'value', type: fspec.type }],
          run: (_c, [ref, value]) => {
            this.db.set(cls, str(ref), { [field]: value as XapiValue })
          },
        })
        if (fspec.type.kind === 'map') this.#defineMapOps(cls, field, fspec.type.of)
        if (fspec.type.kind === 'set') this.#defineSetOps(cls, field, fspec.type.of)
      }
    }
  }

  #defineMapOps(cls: string, field: string, valueType: FieldType): void {
    const self: ParamSpec = { name: 'self', type: T.ref(cls) }
    const key: ParamSpec = { name: 'key', type: T.string }
    this.#define(`${cls}.add_to_${field}`, {
      session: true,
      async: false,
      params: [self, key, { name: 'value', type: valueType }],
      run: (_c, [ref, k, value]) => {
        const current = stringMap(this.db.field(cls, str(ref), field))
        if (str(k) in current) throw new XapiApiError(Codes.MAP_DUPLICATE_KEY, [cls, field, str(ref), str(k)])
        this.db.set(cls, str(ref), { [field]: { ...current, [str(k)]: value as XapiValue } })
      },
    })
    this.#define(`${cls}.remove_from_${field}`, {
      session: true,
      async: false,
      params: [self, key],
      run: (_c, [ref, k]) => {
        const current = stringMap(this.db.field(cls, str(ref), field))
        if (!(str(k) in current)) return // XAPI: removing a missing key is not an error
        const { [str(k)]: _gone, ...rest } = current
        this.db.set(cls, str(ref), { [field]: rest })
      },
    })
  }

  #defineSetOps(cls: string, field: string, itemType: FieldType): void {
    const self: ParamSpec = { name: 'self', type: T.ref(cls) }
    const value: ParamSpec = { name: 'value', type: itemType }
    const items = (ref: string): XapiValue[] => this.db.field(cls, ref, field) as XapiValue[]
    this.#define(`${cls}.add_${field}`, {
      session: true,
      async: false,
      params: [self, value],
      run: (_c, [ref, v]) => {
        const current = items(str(ref))
        if (!current.includes(v as XapiValue)) this.db.set(cls, str(ref), { [field]: [...current, v as XapiValue] })
      },
    })
    this.#define(`${cls}.remove_${field}`, {
      session: true,
      async: false,
      params: [self, value],
      run: (_c, [ref, v]) => {
        const current = items(str(ref))
        if (current.includes(v as XapiValue)) this.db.set(cls, str(ref), { [field]: current.filter((x) => x !== v) })
      },
    })
  }

  #defineCustomMethods(): void {
    const s = { session: true }
    // session
    this.#define('session.login_with_password', {
      session: false,
      async: false,
      params: [
        { name: 'uname', type: T.string },
        { name: 'pwd', type: T.string },
        { name: 'version', type: T.string, default: '' },
        { name: 'originator', type: T.string, default: '' },
      ],
      run: (_c, [uname, pwd]) => {
        // After close() nobody logs in again (the server is going away).
        if (uname !== this.user || pwd !== this.#password || this.#closed) {
          throw new XapiApiError(Codes.SESSION_AUTHENTICATION_FAILED, [str(uname), 'Authentication failure'])
        }
        const ref = `OpaqueRef:${randomUUID()}`
        this.#sessions.set(ref, { uuid: randomUUID(), user: str(uname) })
        return ref
      },
    })
    this.#define('session.logout', {
      ...s,
      async: false,
      params: [],
      run: (ctx) => {
        this.#sessions.delete(ctx.session)
        this.#wake()
      },
    })
    this.#define('session.get_this_host', {
      ...s,
      async: false,
      params: [{ name: 'self', type: T.ref('session') }],
      run: (_c, [ref]) => {
        this.#checkSession(str(ref))
        return this.db.field('pool', this.poolRef, 'master')
      },
    })

    // events
    this.#define('event.from', {
      ...s,
      async: false,
      params: [
        { name: 'classes', type: T.strings },
        { name: 'token', type: T.string },
        { name: 'timeout', type: T.float },
      ],
      run: (ctx, [classes, token, timeout]) =>
        this.#eventFrom(ctx.session, classes as string[], str(token), (timeout as XapiDouble).value),
    })
    this.#define('event.inject', {
      ...s,
      async: false,
      params: [
        { name: 'class', type: T.string },
        { name: 'ref', type: T.string },
      ],
      run: (_c, [cls, ref]) => {
        const name = Object.keys(CLASSES).find((c) => lower(c) === lower(str(cls)))
        if (name === undefined) throw new XapiApiError(Codes.HANDLE_INVALID, [str(cls), str(ref)])
        const generation = this.db.touch(name, str(ref))
        return formatToken(generation - 1)
      },
    })

    // tasks
    this.#define('task.create', {
      ...s,
      async: false,
      params: [
        { name: 'label', type: T.string },
        { name: 'description', type: T.string },
      ],
      run: (_c, [label, description]) =>
        this.db.create('task', {
          name_label: label as string,
          name_description: description as string,
          created: XapiDateTime.of(new Date()),
        }),
    })
    this.#define('task.destroy', {
      ...s,
      async: false,
      params: [{ name: 'self', type: T.ref('task') }],
      run: (_c, [ref]) => {
        this.db.delete('task', str(ref))
      },
    })
    this.#define('task.cancel', {
      ...s,
      async: true,
      params: [{ name: 'task', type: T.ref('task') }],
      run: (_c, [ref]) => {
        if (this.db.field('task', str(ref), 'status') === 'pending')
          this.db.set('task', str(ref), { status: 'cancelling' })
      },
    })

    // host
    this.#define('host.call_plugin', {
      ...s,
      async: true,
      params: [
        { name: 'host', type: T.ref('host') },
        { name: 'plugin', type: T.string },
        { name: 'fn', type: T.string },
        { name: 'args', type: T.stringMap },
      ],
      run: async (ctx, [host, plugin, fn, args]) => {
        const h = this.#liveHost(str(host))
        return callPlugin(
          { pluginsDir: h.pluginsDir, netns: h.backend.netns, env: h.backend.env() },
          ctx.session,
          str(plugin),
          str(fn),
          stringMap(args),
        )
      },
    })

    // network
    this.#define('network.create', {
      ...s,
      async: true,
      params: [{ name: 'args', type: { kind: 'struct' } }],
      run: (_c, [record]) => this.#networkCreate(record as XapiRecord),
    })
    this.#define('network.destroy', {
      ...s,
      async: true,
      params: [{ name: 'self', type: T.ref('network') }],
      run: (_c, [ref]) => {
        const net = this.db.get('network', str(ref))
        const pifs = net.PIFs as string[]
        if (pifs.length > 0) throw new XapiApiError(Codes.NETWORK_CONTAINS_PIF, [JSON.stringify(pifs)])
        const attached = (net.VIFs as string[]).filter((v) => this.db.field('VIF', v, 'currently_attached') === true)
        if (attached.length > 0) throw new XapiApiError(Codes.NETWORK_CONTAINS_VIF, attached)
        for (const vif of net.VIFs as string[]) this.db.delete('VIF', vif)
        // Host bridges stay: network.destroy never removes them.
        this.db.delete('network', str(ref))
      },
    })
    this.#define('network.attach', {
      ...s,
      async: true,
      params: [
        { name: 'network', type: T.ref('network') },
        { name: 'host', type: T.ref('host') },
      ],
      run: async (_c, [network, host]) => {
        this.db.row('network', str(network))
        const h = this.#liveHost(str(host))
        await this.#ensureBridge(h, str(network))
      },
    })

    // VIF
    this.#define('VIF.create', {
      ...s,
      async: true,
      params: [{ name: 'args', type: { kind: 'struct' } }],
      run: (_c, [record]) => this.#vifCreate(record as XapiRecord),
    })
    this.#define('VIF.destroy', {
      ...s,
      async: true,
      params: [{ name: 'self', type: T.ref('VIF') }],
      run: (_c, [ref]) => {
        if (this.db.field('VIF', str(ref), 'currently_attached') === true) {
          throw new XapiApiError(Codes.OPERATION_NOT_ALLOWED, ['VIF is currently attached'])
        }
        this.db.delete('VIF', str(ref))
      },
    })
    this.#define('VIF.plug', {
      ...s,
      async: true,
      params: [{ name: 'self', type: T.ref('VIF') }],
      run: async (_c, [ref]) => {
        const vif = this.db.get('VIF', str(ref))
        if (vif.currently_attached === true) throw new XapiApiError(Codes.DEVICE_ALREADY_ATTACHED, [str(ref)])
        const vm = str(vif.VM)
        this.#requirePowerState(vm, 'Running')
        const h = this.#liveHost(str(this.db.field('VM', vm, 'resident_on')))
        await this.#plugVif(h, str(ref))
      },
    })
    for (const name of ['VIF.unplug', 'VIF.unplug_force']) {
      this.#define(name, {
        ...s,
        async: true,
        params: [{ name: 'self', type: T.ref('VIF') }],
        run: async (_c, [ref]) => {
          const vif = this.db.get('VIF', str(ref))
          if (vif.currently_attached !== true) throw new XapiApiError(Codes.DEVICE_ALREADY_DETACHED, [str(ref)])
          const h = this.#liveHost(str(this.db.field('VM', str(vif.VM), 'resident_on')))
          await this.#unplugVif(h, str(ref))
        },
      })
    }

    // VM power
    this.#define('VM.start', {
      ...s,
      async: true,
      params: [
        { name: 'vm', type: T.ref('VM') },
        { name: 'start_paused', type: T.bool },
        { name: 'force', type: T.bool },
      ],
      run: async (_c, [vm]) => {
        this.#requirePowerState(str(vm), 'Halted')
        await this.#startOn(str(vm), this.#chooseHost(str(vm)))
      },
    })
    this.#define('VM.start_on', {
      ...s,
      async: true,
      params: [
        { name: 'vm', type: T.ref('VM') },
        { name: 'host', type: T.ref('host') },
        { name: 'start_paused', type: T.bool },
        { name: 'force', type: T.bool },
      ],
      run: async (_c, [vm, host]) => {
        this.#requirePowerState(str(vm), 'Halted')
        await this.#startOn(str(vm), this.#liveHost(str(host)))
      },
    })
    for (const name of ['VM.shutdown', 'VM.clean_shutdown', 'VM.hard_shutdown']) {
      this.#define(name, {
        ...s,
        async: true,
        params: [{ name: 'vm', type: T.ref('VM') }],
        run: async (_c, [vm]) => this.#shutdown(str(vm)),
      })
    }
  }

  // ------------------------------------------------------------------------------------------
  // Method bodies

  async #eventFrom(session: string, classes: string[], token: string, timeoutSeconds: number): Promise<XapiValue> {
    const since = parseToken(token)
    const wanted = classes.map((c) => {
      const slash = c.indexOf('/')
      return slash < 0 ? { cls: lower(c), ref: undefined } : { cls: lower(c.slice(0, slash)), ref: c.slice(slash + 1) }
    })
    const filter = (cls: string, ref: string): boolean =>
      wanted.some((w) => (w.cls === '*' || w.cls === lower(cls)) && (w.ref === undefined || w.ref === ref))
    const deadline = Date.now() + Math.max(0, timeoutSeconds) * 1000
    for (;;) {
      this.#checkSession(session)
      const events = this.db.eventsSince(since, filter)
      const now = Date.now()
      if (events.length > 0 || now >= deadline || this.#closed) {
        const counts: Record<string, XapiValue> = {}
        for (const cls of Object.keys(CLASSES)) {
          if (wanted.some((w) => w.cls === '*' || w.cls === lower(cls)))
            counts[lower(cls)] = new XapiInt32(this.db.count(cls))
        }
        const timestamp = XapiDateTime.of(new Date())
        return {
          events: events.map((e) => {
            const ev: Record<string, XapiValue> = {
              id: e.id,
              timestamp,
              class: lower(e.cls),
              operation: e.operation,
              ref: e.ref,
            }
            if (e.snapshot !== undefined) ev.snapshot = e.snapshot
            return ev
          }),
          valid_ref_counts: counts,
          token: formatToken(this.db.generation),
        }
      }
      await this.#nextChange(deadline - now)
    }
  }

  #networkCreate(record: XapiRecord): string {
    const field = (name: string, type: FieldType, fallback?: XapiValue): XapiValue => {
      const value = record[name]
      if (value === undefined) {
        if (fallback === undefined) {
          throw new XapiApiError(Codes.INTERNAL_ERROR, [`Server_helpers.Dispatcher_FieldNotFound("${name}")`])
        }
        return fallback
      }
      return readValue(name, type, value)
    }
    const name_label = field('name_label', T.string)
    const name_description = field('name_description', T.string, '')
    const MTU = field('MTU', T.int, 1500)
    const other_config = field('other_config', T.stringMap, {})
    const tags = field('tags', T.strings, [])
    const managed = field('managed', T.bool, true)
    let bridge = str(field('bridge', T.string, ''))
    const used = new Set(this.db.all('network').map((r) => r.record.bridge))
    if (bridge === '') {
      let n = 0
      while (used.has(`xapi${n}`)) n++
      bridge = `xapi${n}`
    } else if (used.has(bridge)) {
      throw new XapiApiError(Codes.BRIDGE_NAME_EXISTS, [bridge])
    }
    return this.db.create('network', { name_label, name_description, MTU, other_config, tags, managed, bridge })
  }

  #vifCreate(record: XapiRecord): string {
    const required = (name: string, type: FieldType): XapiValue => {
      const value = record[name]
      if (value === undefined)
        throw new XapiApiError(Codes.INTERNAL_ERROR, [`Server_helpers.Dispatcher_FieldNotFound("${name}")`])
      return readValue(name, type, value)
    }
    const optional = (name: string, type: FieldType, fallback: XapiValue): XapiValue =>
      record[name] === undefined ? fallback : readValue(name, type, record[name] as XapiValue)
    const device = str(required('device', T.string))
    const network = str(required('network', T.ref('network')))
    const vm = str(required('VM', T.ref('VM')))
    this.db.row('network', network)
    this.db.row('VM', vm)
    if (!/^[0-9]+$/.test(device)) throw new XapiApiError(Codes.INVALID_VALUE, ['device', device])
    const siblings = (this.db.field('VM', vm, 'VIFs') as string[]).map((v) => this.db.field('VIF', v, 'device'))
    if (siblings.includes(device)) throw new XapiApiError(Codes.DEVICE_ALREADY_EXISTS, [device])
    let MAC = str(optional('MAC', T.string, ''))
    const MAC_autogenerated = MAC === ''
    if (MAC_autogenerated) MAC = randomMac()
    return this.db.create('VIF', {
      device,
      network,
      VM: vm,
      MAC,
      MAC_autogenerated,
      MTU: optional('MTU', T.int, num(this.db.field('network', network, 'MTU'))),
      other_config: optional('other_config', T.stringMap, {}),
      qos_algorithm_type: optional('qos_algorithm_type', T.string, ''),
      qos_algorithm_params: optional('qos_algorithm_params', T.stringMap, {}),
      locking_mode: optional(
        'locking_mode',
        T.enum('network_default', 'locked', 'unlocked', 'disabled'),
        'network_default',
      ),
      ipv4_allowed: optional('ipv4_allowed', T.strings, []),
      ipv6_allowed: optional('ipv6_allowed', T.strings, []),
    })
  }

  /** The host, which must be live (HOST_OFFLINE [host] otherwise). */
  #liveHost(hostRef: string): EmulatedHost<Guest> {
    this.db.row('host', hostRef)
    const h = this.#hosts.get(hostRef)
    if (h === undefined) throw new XapiApiError(Codes.HANDLE_INVALID, ['host', hostRef])
    if (!this.isHostLive(hostRef)) throw new XapiApiError(Codes.HOST_OFFLINE, [hostRef])
    return h
  }

  /**
   * The network's `vswitch-controller-fail-mode` when it is one ovs-xapi-sync applies (patch
   * 0003 takes only `standalone` or `secure`; anything else, or nothing, leaves fail_mode alone).
   */
  #failMode(network: string): FailMode | undefined {
    const mode = stringMap(this.db.field('network', network, 'other_config'))['vswitch-controller-fail-mode']
    return mode === 'secure' || mode === 'standalone' ? mode : undefined
  }

  /**
   * xapi's `attach_internal` for `network` on a host (ocaml/xapi/xapi_network.ml): a managed
   * network gets its bridge through the backend, which, as `create_internal_bridge`, leaves an
   * existing bridge alone (networkd's `Bridge.create` gets only `network-uuids`: standalone,
   * then ovs-xapi-sync applies the fail mode). An unmanaged network's bridge is never made:
   * xapi only checks that it exists (not modelled: no BRIDGE_NOT_AVAILABLE, see README.md).
   * Networks with PIFs go the same way here, where xapi brings the PIF up instead: their
   * bridge exists already (xenbr0) or is made once, and is never touched again either way.
   */
  async #ensureBridge(h: EmulatedHost<Guest>, network: string): Promise<string> {
    const bridge = str(this.db.field('network', network, 'bridge'))
    if (this.db.field('network', network, 'managed') === false) return bridge
    const uuid = str(this.db.field('network', network, 'uuid'))
    const failMode = this.#failMode(network)
    await h.backend.createBridge(bridge, { networkUuids: [uuid], ...(failMode !== undefined ? { failMode } : {}) })
    return bridge
  }

  /**
   * xapi's `deregister_vif` (ocaml/xapi/xapi_network.ml): forget the VIF; when it was the last
   * active VIF of an internal network (no PIF anywhere in the pool) on this host, `detach`
   * destroys the bridge of a managed network if `ovs-vsctl list-ifaces` shows nothing on it
   * (ovn-controller's tunnel ports keep it).
   */
  async #deregisterVif(h: EmulatedHost<Guest>, vif: string): Promise<void> {
    const network = h.activeVifs.get(vif)
    h.activeVifs.delete(vif)
    if (network === undefined || !this.db.has('network', network)) return
    if ((this.db.field('network', network, 'PIFs') as string[]).length > 0) return
    if ([...h.activeVifs.values()].includes(network)) return
    if (this.db.field('network', network, 'managed') === false) return
    await h.backend.destroyBridgeIfEmpty(str(this.db.field('network', network, 'bridge')))
  }

  #requirePowerState(vm: string, expected: 'Running' | 'Halted'): void {
    const actual = str(this.db.field('VM', vm, 'power_state'))
    if (actual !== expected)
      throw new XapiApiError(Codes.VM_BAD_POWER_STATE, [vm, expected.toLowerCase(), actual.toLowerCase()])
  }

  #chooseHost(vm: string): EmulatedHost<Guest> {
    const affinity = str(this.db.field('VM', vm, 'affinity'))
    if (this.#hosts.has(affinity) && this.isHostLive(affinity)) return this.#hosts.get(affinity) as EmulatedHost<Guest>
    const live = this.hosts.find((h) => this.isHostLive(h.ref))
    if (live === undefined) throw new XapiApiError('NO_HOSTS_AVAILABLE', [])
    return live
  }

  async #startOn(vm: string, h: EmulatedHost<Guest>): Promise<void> {
    const domid = h.nextDomid++
    this.db.set('VM', vm, { power_state: 'Running', resident_on: h.ref, domid })
    for (const vif of this.db.field('VM', vm, 'VIFs') as string[]) await this.#plugVif(h, vif)
  }

  async #shutdown(vm: string): Promise<void> {
    this.#requirePowerState(vm, 'Running')
    const host = str(this.db.field('VM', vm, 'resident_on'))
    const h = this.#hosts.get(host)
    for (const vif of this.db.field('VM', vm, 'VIFs') as string[]) {
      if (this.db.field('VIF', vif, 'currently_attached') === true && h !== undefined) await this.#unplugVif(h, vif)
    }
    this.db.set('VM', vm, { power_state: 'Halted', resident_on: NULL_REF, domid: -1 })
  }

  /** xenopsd's vif script + ovs-xapi-sync: bridge (may-exist), then port vif<domid>.<devid>. */
  async #plugVif(h: EmulatedHost<Guest>, vif: string): Promise<void> {
    const record = this.db.get('VIF', vif)
    const network = str(record.network)
    const vm = str(record.VM)
    const bridge = await this.#ensureBridge(h, network)
    const otherConfig = stringMap(record.other_config)
    const neutron = otherConfig['neutron-port-uuid'] ?? otherConfig['nicira-iface-id']
    const guest = this.#guests.get(vm)
    await h.backend.plugVif({
      domid: num(this.db.field('VM', vm, 'domid')),
      devid: Number(str(record.device)),
      vifUuid: str(record.uuid),
      vmUuid: str(this.db.field('VM', vm, 'uuid')),
      networkUuid: str(this.db.field('network', network, 'uuid')),
      bridge,
      mac: str(record.MAC),
      ...(this.db.field('VM', vm, 'domain_type') === 'hvm' ? { hvm: true } : {}),
      ...(neutron !== undefined ? { neutronPortUuid: neutron } : {}),
      ...(guest !== undefined ? { vm: guest } : {}),
    })
    h.activeVifs.set(vif, network)
    this.db.set('VIF', vif, { currently_attached: true })
  }

  async #unplugVif(h: EmulatedHost<Guest>, vif: string): Promise<void> {
    const vm = str(this.db.field('VIF', vif, 'VM'))
    await h.backend.unplugVif({
      domid: num(this.db.field('VM', vm, 'domid')),
      devid: Number(str(this.db.field('VIF', vif, 'device'))),
    })
    this.db.set('VIF', vif, { currently_attached: false })
    // xapi deregisters once xenopsd reports the VIF unplugged, i.e. after its port is gone.
    await this.#deregisterVif(h, vif)
  }
}
