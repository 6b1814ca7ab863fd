/**
 * VMs on the emulated hosts, as xapi and xenopsd drive them over the host backends: where a VM
 * runs (affinity, else the first live host), start and shutdown, VIF plug and unplug, and the
 * internal bridges that come and go with them (xapi's attach_internal / deregister_vif), and the
 * device-level steps a live migration is made of (`vm-migration.ts`). The VIF, VM and network
 * methods and the emulator's host reboot share it.
 */
import { Codes, XapiApiError } from './api-error.js'
import type { Database } from './database.js'
import type { EmulatedHost } from './emulator.js'
import type { FailMode, VifLockingMode } from './host-backend.js'
import { num, str, stringMap, strings } from './methods/registry.js'
import { NULL_REF } from './values.js'

/** The emulator's hosts, read-only, as the VM code needs them. */
export interface HostDirectory<Guest> {
  get(ref: string): EmulatedHost<Guest> | undefined
  all(): Array<EmulatedHost<Guest>>
  isLive(ref: string): boolean
}

export class VmDevices<Guest> {
  readonly #db: Database
  readonly #hosts: HostDirectory<Guest>
  readonly #guestOf: (vm: string) => Guest | undefined

  constructor(db: Database, hosts: HostDirectory<Guest>, guestOf: (vm: string) => Guest | undefined) {
    this.#db = db
    this.#hosts = hosts
    this.#guestOf = guestOf
  }

  /** The host, which must be live (HOST_OFFLINE [host] otherwise). */
  liveHost(hostRef: string): EmulatedHost<Guest> {
    this.#db.row('host', hostRef)
    const h = this.#hosts.get(hostRef)
    if (h === undefined) throw new XapiApiError(Codes.HANDLE_INVALID, ['host', hostRef])
    if (!this.#hosts.isLive(hostRef)) throw new XapiApiError(Codes.HOST_OFFLINE, [hostRef])
    return h
  }

  requirePowerState(vm: string, expected: 'Running' | 'Halted'): void {
    const actual = str(this.#db.field('VM', vm, 'power_state'))
    if (actual !== expected)
      throw new XapiApiError(Codes.VM_BAD_POWER_STATE, [vm, expected.toLowerCase(), actual.toLowerCase()])
  }

  chooseHost(vm: string): EmulatedHost<Guest> {
    const affinity = str(this.#db.field('VM', vm, 'affinity'))
    const preferred = this.#hosts.get(affinity)
    if (preferred !== undefined && this.#hosts.isLive(affinity)) return preferred
    const live = this.#hosts.all().find((h) => this.#hosts.isLive(h.ref))
    if (live === undefined) throw new XapiApiError('NO_HOSTS_AVAILABLE', [])
    return live
  }

  async startOn(vm: string, h: EmulatedHost<Guest>): Promise<void> {
    // xapi attaches every VIF's network (with_networks_attached_for_vm -> attach_internal)
    // before xenopsd builds the domain: a missing unmanaged bridge fails the start, VM halted.
    for (const vif of this.#db.field('VM', vm, 'VIFs') as string[]) {
      await this.ensureBridge(h, str(this.#db.field('VIF', vif, 'network')))
    }
    const domid = h.nextDomid++
    this.#db.set('VM', vm, { power_state: 'Running', resident_on: h.ref, domid })
    for (const vif of this.#db.field('VM', vm, 'VIFs') as string[]) await this.plugVif(h, vif)
  }

  async shutdown(vm: string): Promise<void> {
    this.requirePowerState(vm, 'Running')
    const host = str(this.#db.field('VM', vm, 'resident_on'))
    const h = this.#hosts.get(host)
    for (const vif of this.#db.field('VM', vm, 'VIFs') as string[]) {
      if (this.#db.field('VIF', vif, 'currently_attached') === true && h !== undefined) await this.unplugVif(h, vif)
    }
    this.#db.set('VM', vm, { power_state: 'Halted', resident_on: NULL_REF, domid: -1 })
  }

  /**
   * xapi's `attach_internal` for `network` on a host (ocaml/xapi/xapi_network.ml): a managed
   * network gets its bridge through the backend, which, as `create_internal_bridge`, leaves an
   * existing bridge alone (networkd's `Bridge.create` gets only `network-uuids`: standalone,
   * then ovs-xapi-sync applies the fail mode). An unmanaged network's bridge is never made:
   * xapi only asks networkd's `Bridge.get_all` whether it exists and raises
   * `BRIDGE_NOT_AVAILABLE [bridge]` when it does not (`attach_internal`, "If not, the only thing
   * that it must do is check whether the bridge exists"): an SDN controller owns that bridge.
   * Networks with PIFs go the same way here, where xapi brings the PIF up instead: their
   * bridge exists already (xenbr0) or is made once, and is never touched again either way.
   */
  async ensureBridge(h: EmulatedHost<Guest>, network: string): Promise<string> {
    const bridge = str(this.#db.field('network', network, 'bridge'))
    if (this.#db.field('network', network, 'managed') === false) {
      if (!(await h.backend.listBridges()).includes(bridge))
        throw new XapiApiError(Codes.BRIDGE_NOT_AVAILABLE, [bridge])
      return bridge
    }
    const uuid = str(this.#db.field('network', network, 'uuid'))
    const failMode = this.#failMode(network)
    await h.backend.createBridge(bridge, { networkUuids: [uuid], ...(failMode !== undefined ? { failMode } : {}) })
    return bridge
  }

  /** xenopsd's vif script + ovs-xapi-sync: bridge (may-exist), then port vif<domid>.<devid>. */
  async plugVif(h: EmulatedHost<Guest>, vif: string): Promise<void> {
    const network = str(this.#db.field('VIF', vif, 'network'))
    await this.ensureBridge(h, network)
    await this.plugVifDevice(h, vif, {
      domid: num(this.#db.field('VM', str(this.#db.field('VIF', vif, 'VM')), 'domid')),
    })
    h.activeVifs.set(vif, network)
    this.#db.set('VIF', vif, { currently_attached: true })
  }

  async unplugVif(h: EmulatedHost<Guest>, vif: string): Promise<void> {
    const vm = str(this.#db.field('VIF', vif, 'VM'))
    await this.unplugVifDevice(h, vif, num(this.#db.field('VM', vm, 'domid')))
    this.#db.set('VIF', vif, { currently_attached: false })
    // xapi deregisters once xenopsd reports the VIF unplugged, i.e. after its port is gone.
    await this.deregisterVif(h, vif)
  }

  /**
   * xapi's `attach_for_vif` (ocaml/xapi/xapi_network.ml), as `with_networks_attached_for_vm`
   * runs it on a migration's destination before xenopsd is called: register the VIF on the host,
   * then `attach_internal` (the bridge).
   */
  async attachForVif(h: EmulatedHost<Guest>, vif: string): Promise<void> {
    const network = str(this.#db.field('VIF', vif, 'network'))
    h.activeVifs.set(vif, network)
    await this.ensureBridge(h, network)
  }

  /**
   * xenopsd's VIF_plug on the host: the device `vif<domid>.<devid>` and, unless the locking mode
   * is `disabled`, its port with xenopsd's ids. No XAPI field changes here: xapi learns of it
   * from xenopsd's events (or, during a migration, not at all: they are suppressed).
   */
  async plugVifDevice(
    h: EmulatedHost<Guest>,
    vif: string,
    options: { readonly domid: number; readonly incoming?: boolean },
  ): Promise<void> {
    const record = this.#db.get('VIF', vif)
    const network = str(record.network)
    const vm = str(record.VM)
    const otherConfig = stringMap(record.other_config)
    const neutron = otherConfig['neutron-port-uuid'] ?? otherConfig['nicira-iface-id']
    const guest = this.#guestOf(vm)
    await h.backend.plugVif({
      domid: options.domid,
      devid: Number(str(record.device)),
      vifUuid: str(record.uuid),
      vmUuid: str(this.#db.field('VM', vm, 'uuid')),
      networkUuid: str(this.#db.field('network', network, 'uuid')),
      bridge: str(this.#db.field('network', network, 'bridge')),
      mac: str(record.MAC),
      lockingMode: this.lockingMode(vif),
      ipv4Allowed: strings(record.ipv4_allowed),
      ipv6Allowed: strings(record.ipv6_allowed),
      ...(this.#db.field('VM', vm, 'domain_type') === 'hvm' ? { hvm: true } : {}),
      ...(neutron !== undefined ? { neutronPortUuid: neutron } : {}),
      ...(guest !== undefined ? { vm: guest } : {}),
      ...(options.incoming === true ? { incoming: true } : {}),
    })
  }

  /** xenopsd's VIF_unplug on the host: the port and the device of `vif<domid>.<devid>` go. */
  async unplugVifDevice(h: EmulatedHost<Guest>, vif: string, domid: number): Promise<void> {
    await h.backend.unplugVif({ domid, devid: Number(str(this.#db.field('VIF', vif, 'device'))) })
  }

  /**
   * The locking mode xapi gives xenopsd (`ocaml/xapi/xapi_xenops.ml`, MD.of_vif):
   * `network_default` becomes the network's `default_locking_mode` (`unlocked` or `disabled`).
   */
  lockingMode(vif: string): VifLockingMode {
    const mode = str(this.#db.field('VIF', vif, 'locking_mode'))
    if (mode === 'locked' || mode === 'unlocked' || mode === 'disabled') return mode
    const network = str(this.#db.field('VIF', vif, 'network'))
    return this.#db.field('network', network, 'default_locking_mode') === 'disabled' ? 'disabled' : 'unlocked'
  }

  /**
   * The network's `vswitch-controller-fail-mode` when it is one ovs-xapi-sync applies (patch
   * 0003 takes only `standalone` or `secure`; anything else, or nothing, leaves fail_mode alone).
   */
  #failMode(network: string): FailMode | undefined {
    const mode = stringMap(this.#db.field('network', network, 'other_config'))['vswitch-controller-fail-mode']
    return mode === 'secure' || mode === 'standalone' ? mode : undefined
  }

  /**
   * xapi's `deregister_vif` (ocaml/xapi/xapi_network.ml): forget the VIF; when it was the last
   * active VIF of an internal network (no PIF anywhere in the pool) on this host, `detach`
   * destroys the bridge of a managed network if `ovs-vsctl list-ifaces` shows nothing on it
   * (ovn-controller's tunnel ports keep it).
   */
  async deregisterVif(h: EmulatedHost<Guest>, vif: string): Promise<void> {
    const network = h.activeVifs.get(vif)
    h.activeVifs.delete(vif)
    if (network === undefined || !this.#db.has('network', network)) return
    if ((this.#db.field('network', network, 'PIFs') as string[]).length > 0) return
    if ([...h.activeVifs.values()].includes(network)) return
    if (this.#db.field('network', network, 'managed') === false) return
    await h.backend.destroyBridgeIfEmpty(str(this.#db.field('network', network, 'bridge')))
  }
}
