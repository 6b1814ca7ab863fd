/**
 * What the emulator needs from a host: the few things xapi's own daemons (xcp-networkd,
 * xenopsd's vif script, ovs-xapi-sync) do to the host's Open vSwitch, plus the host's identity
 * and the environment its plugins run with. The lab's `LabHost` (lab/host.ts: real
 * ovsdb-server and ovs-vswitchd in a network namespace) satisfies it as is;
 * `MemoryHostBackend` is a tiny in-memory stand-in for the emulator's own protocol and
 * object-model tests.
 */

export type FailMode = 'standalone' | 'secure'

export interface CreateBridgeRequest {
  /** `external_ids:xs-network-uuids` (VLAN bridges carry two, joined with `;`). */
  readonly networkUuids: readonly string[]
  /** From the network's other_config `vswitch-controller-fail-mode`; `standalone` otherwise. */
  readonly failMode: FailMode
}

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
  /** `ovs-vsctl --may-exist add-br` as xcp-networkd does it. */
  createBridge(name: string, options: CreateBridgeRequest): Promise<void>
  /** Delete and re-add port `vif<domid>.<devid>` with xenopsd's external_ids (never iface-id). */
  plugVif(options: PlugVifRequest<Guest>): Promise<unknown>
  /** Remove the port (VIF unplug, VM shutdown). */
  unplugVif(vif: { readonly domid: number; readonly devid: number }): Promise<void>
  /** The host reboots: what Open vSwitch and the host's services go through (LabHost.reboot). */
  reboot?(): Promise<void>
}

export interface MemoryPort extends PlugVifRequest {
  readonly name: string
}

export interface MemoryBridge {
  readonly name: string
  readonly networkUuids: readonly string[]
  readonly failMode: FailMode
  readonly ports: Map<string, MemoryPort>
}

/** A host with no Open vSwitch behind it: bridges and ports are kept in maps for assertions. */
export class MemoryHostBackend implements HostBackend {
  readonly uuid: string
  readonly name: string
  readonly managementIp: string
  readonly netns = undefined
  readonly rundir = undefined
  readonly bridges = new Map<string, MemoryBridge>()
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
    // --may-exist add-br, then `set Bridge` of fail_mode and xs-network-uuids; ports are kept.
    const ports = this.bridges.get(name)?.ports ?? new Map<string, MemoryPort>()
    this.bridges.set(name, { name, networkUuids: [...options.networkUuids], failMode: options.failMode, ports })
  }

  async plugVif(options: PlugVifRequest): Promise<MemoryPort> {
    const bridge = this.bridges.get(options.bridge)
    if (bridge === undefined) throw new Error(`no bridge ${options.bridge} on ${this.name}`)
    const name = `vif${options.domid}.${options.devid}`
    for (const b of this.bridges.values()) b.ports.delete(name)
    const port: MemoryPort = { ...options, name }
    bridge.ports.set(name, port)
    return port
  }

  async unplugVif(vif: { readonly domid: number; readonly devid: number }): Promise<void> {
    const name = `vif${vif.domid}.${vif.devid}`
    for (const b of this.bridges.values()) b.ports.delete(name)
  }

  /** A reboot: the OVS database is empty again (docs/platform.md, "conf.db lives on tmpfs"). */
  async reboot(): Promise<void> {
    this.bridges.clear()
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
