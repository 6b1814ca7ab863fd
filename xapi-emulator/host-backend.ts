/**
 * What the emulator needs from a host: the few things xapi's own daemons (xcp-networkd,
 * xenopsd's vif script, ovs-xapi-sync) do to the host's Open vSwitch, plus the host's identity
 * and the environment its plugins run with. The lab's `LabHost` (lab/host.ts: real
 * ovsdb-server and ovs-vswitchd in a network namespace) satisfies it as is;
 * `MemoryHostBackend` is a tiny in-memory stand-in for the emulator's own protocol and
 * object-model tests.
 */
import type { PluginExit } from './plugin-runner.js'

export type FailMode = 'standalone' | 'secure'

export interface CreateBridgeRequest {
  /** `external_ids:xs-network-uuids` (VLAN bridges carry two, joined with `;`). */
  readonly networkUuids: readonly string[]
  /**
   * The network's other_config `vswitch-controller-fail-mode` as XAPI holds it (when it is
   * `standalone` or `secure`): what ovs-xapi-sync applies when it first sees the bridge
   * (XCP-ng's patch 0003). networkd never gets it (xapi passes only `network-uuids`), so the
   * bridge is created `standalone` first.
   */
  readonly failMode?: FailMode
}

/**
 * The VIF's locking mode as xapi hands it to xenopsd (`ocaml/xapi/xapi_xenops.ml`, MD.of_vif):
 * `network_default` is already resolved to the network's `default_locking_mode`.
 */
export type VifLockingMode = 'locked' | 'unlocked' | 'disabled'

/** xenopsd's view of a VIF being plugged: port `vif<domid>.<devid>` (+ `tap...` for HVM). */
export interface PlugVifRequest<Guest = unknown> {
  readonly domid: number
  readonly devid: number
  readonly vifUuid: string
  readonly vmUuid: string
  readonly networkUuid: string
  readonly bridge: string
  readonly mac: string
  /** An HVM guest (emulated NIC): xenopsd also plugs `tap<domid>.<devid>`. */
  readonly hvm?: boolean
  /** VIF other_config `neutron-port-uuid` (else `nicira-iface-id`), which 8.3's ovs-xapi-sync copies. */
  readonly neutronPortUuid?: string
  /** The guest behind the VIF, as given to the emulator for this VM (a `LabVm` in the lab). */
  readonly vm?: Guest
  /**
   * `disabled`: setup-vif-rules' `handle_vswitch` (ocaml/xenopsd/scripts/setup-vif-rules) does
   * not add the device to the bridge at all: the device exists, no port. Absent: `unlocked`.
   * `locked`: its OpenFlow rules on the bridge (the lab: lab/vif-locking-flows.ts), from the
   * VIF's MAC and allowed addresses.
   */
  readonly lockingMode?: VifLockingMode
  /** XAPI's ipv4_allowed / ipv6_allowed: what a `locked` VIF may send from. */
  readonly ipv4Allowed?: readonly string[]
  readonly ipv6Allowed?: readonly string[]
  /**
   * The destination of a live migration (xenopsd's VM_receive_memory, VM_restore_vifs): the
   * device and its port are made while the guest still runs on the source; its netfront
   * connects only when the domain is unpaused (`resumeIncomingVif`).
   */
  readonly incoming?: boolean
}

/** `Guest`: what the backend plugs a VIF's far end into (LabHost: `LabVm`). */
export interface HostBackend<Guest = unknown> {
  /** The host's UUID (INSTALLATION_UUID); becomes the host record's uuid. */
  readonly uuid: string
  /** The host name; becomes name_label and hostname. */
  readonly name: string
  /** The management IPv4 address; becomes host.address and the management PIF's IP. */
  readonly managementIp: string | undefined
  /** The network namespace plugins run in; undefined runs them in the emulator's own. */
  readonly netns?: string | undefined
  /** The host's own directory: plugins go to `<rundir>/xapi.d/plugins`. */
  readonly rundir?: string | undefined
  /** The host's test override variables (OVS_RUNDIR, OVN_RUNDIR, XENSOURCE_INVENTORY, ...). */
  env(): Readonly<Record<string, string>>
  /**
   * xapi's `create_internal_bridge` (ocaml/xapi/xapi_network.ml) + xcp-networkd's
   * `Bridge.create` + ovs-xapi-sync: a bridge that exists is left exactly as it is; a new one is
   * made `fail_mode=standalone` with `xs-network-uuids`, then gets the network's fail mode from
   * ovs-xapi-sync.
   */
  createBridge(name: string, options: CreateBridgeRequest): Promise<void>
  /**
   * xapi's `deregister_vif` -> `detach` when the last VIF of a managed internal network left the
   * host: `ovs-vsctl list-ifaces NAME`; empty -> `Bridge.destroy` (del-br), true; any interface
   * (ovn-controller's tunnel ports...) or no such bridge -> nothing, false.
   */
  destroyBridgeIfEmpty(name: string): Promise<boolean>
  /** Delete and re-add port `vif<domid>.<devid>` with xenopsd's external_ids (never iface-id). */
  plugVif(options: PlugVifRequest<Guest>): Promise<unknown>
  /** Remove the port (VIF unplug, VM shutdown, the source's domain after a migration). */
  unplugVif(vif: { readonly domid: number; readonly devid: number }): Promise<void>
  /**
   * A live migration's destination domain is unpaused (xenopsd's VM_unpause after VM_restore):
   * the guest's netfront now uses this host's device `vif<domid>.<devid>` (plugged `incoming`)
   * and announces itself with a gratuitous ARP (docs/platform.md, "Live migration"). Optional: a
   * backend without guests has nothing to do.
   */
  resumeIncomingVif?(vif: { readonly domid: number; readonly devid: number }): Promise<void>
  /** The host reboots: what Open vSwitch and the host's services go through (LabHost.reboot). */
  reboot?(): Promise<void>
  /**
   * A host that is another machine: the master forwards Host.call_plugin to the host's own xapi
   * (xen-api ocaml/xapi/message_forwarding.ml, `call_plugin` -> `do_op_on ~host`), which runs the
   * plugin there, so none of it is the master's CPU. Given the methodCall xapi would write as
   * argv[1] (plugin-runner.ts formatPluginCall), it answers the plugin's exit; xapi's mapping of
   * that exit (interpretPluginOutput) is still the emulator's. Optional: without it the plugin
   * file is exec'd here, as on the master itself (forkexecd.ts).
   */
  forwardPluginCall?(plugin: string, methodCall: string): Promise<PluginExit>
}

export interface MemoryPort extends PlugVifRequest {
  readonly name: string
}

export interface MemoryBridge {
  readonly name: string
  readonly networkUuids: readonly string[]
  readonly failMode: FailMode
  /** VIF ports, by name. */
  readonly ports: Map<string, MemoryPort>
  /** Other interfaces a test puts on the bridge (an ovn-controller tunnel port, ...). */
  readonly interfaces: Set<string>
}

/** A host with no Open vSwitch behind it: bridges and ports are kept in maps for assertions. */
export class MemoryHostBackend implements HostBackend {
  readonly uuid: string
  readonly name: string
  readonly managementIp: string
  readonly netns = undefined
  readonly rundir = undefined
  readonly bridges = new Map<string, MemoryBridge>()
  /** Devices plugged with locking mode `disabled`: they exist, on no bridge (by name). */
  readonly offBridge = new Map<string, MemoryPort>()
  /** Incoming devices whose guest connected (`resumeIncomingVif`), by name. */
  readonly resumed = new Set<string>()
  readonly #env: Record<string, string>

  constructor(options: { uuid: string; name: string; managementIp: string; env?: Record<string, string> }) {
    this.uuid = options.uuid
    this.name = options.name
    this.managementIp = options.managementIp
    this.#env = { ...options.env }
  }

  env(): Readonly<Record<string, string>> {
    return { ...this.#env }
  }

  async createBridge(name: string, options: CreateBridgeRequest): Promise<void> {
    // create_internal_bridge skips a bridge that exists: nothing of it is set again.
    if (this.bridges.has(name)) return
    // networkd makes it standalone and ovs-xapi-sync applies the network's mode on first sight;
    // without a switch behind it nothing can see the standalone window, so only the end state.
    this.bridges.set(name, {
      name,
      networkUuids: [...options.networkUuids],
      failMode: options.failMode ?? 'standalone',
      ports: new Map(),
      interfaces: new Set(),
    })
  }

  async destroyBridgeIfEmpty(name: string): Promise<boolean> {
    const bridge = this.bridges.get(name)
    if (bridge === undefined || bridge.ports.size > 0 || bridge.interfaces.size > 0) return false
    this.bridges.delete(name)
    return true
  }

  async plugVif(options: PlugVifRequest): Promise<MemoryPort> {
    const bridge = this.bridges.get(options.bridge)
    if (bridge === undefined) throw new Error(`no bridge ${options.bridge} on ${this.name}`)
    const name = `vif${options.domid}.${options.devid}`
    for (const b of this.bridges.values()) b.ports.delete(name)
    this.offBridge.delete(name)
    this.resumed.delete(name)
    const port: MemoryPort = { ...options, name }
    if (options.lockingMode === 'disabled') this.offBridge.set(name, port)
    else bridge.ports.set(name, port)
    return port
  }

  async unplugVif(vif: { readonly domid: number; readonly devid: number }): Promise<void> {
    const name = `vif${vif.domid}.${vif.devid}`
    for (const b of this.bridges.values()) b.ports.delete(name)
    this.offBridge.delete(name)
    this.resumed.delete(name)
  }

  async resumeIncomingVif(vif: { readonly domid: number; readonly devid: number }): Promise<void> {
    this.resumed.add(`vif${vif.domid}.${vif.devid}`)
  }

  /** A reboot: the OVS database is empty again (docs/platform.md, "conf.db lives on tmpfs"). */
  async reboot(): Promise<void> {
    this.bridges.clear()
    this.offBridge.clear()
    this.resumed.clear()
  }

  /** The port `name` wherever it is, for assertions. */
  port(name: string): MemoryPort | undefined {
    for (const b of this.bridges.values()) {
      const p = b.ports.get(name)
      if (p !== undefined) return p
    }
    return undefined
  }
}
