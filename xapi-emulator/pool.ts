/**
 * Build an emulated pool over host backends and serve it.
 *
 * @example
 * ```ts
 * const pool = await createEmulatedPool({ hosts: [hostA, hostB], password: 'secret' })
 * try {
 *   const xapi = createClient({ url: pool.url, auth: { user: 'root', password: 'secret' }, transport: 'json-rpc' })
 *   await xapi.connect()
 *   ...
 * } finally {
 *   await pool.close()
 * }
 * ```
 *
 * Seeded: the pool (master = first host), per backend a host (uuid, name, address from the
 * backend), its host_metrics (live) and control domain, the management network `xenbr0`
 * ("Pool-wide network associated with eth0") with one physical, management PIF `eth0` per host
 * (Static, IP = the host's address, currently_attached), and the VMs asked for (Halted).
 */
import { XapiEmulator, type VmSeed } from './emulator.js'
import type { HostBackend } from './host-backend.js'
import { serveEmulator, type EmulatorServer } from './server.js'

export interface EmulatedPoolOptions<Guest = unknown> {
  readonly hosts: readonly HostBackend<Guest>[]
  /** root's password. */
  readonly password: string
  readonly poolName?: string
  /** Serve HTTPS (self-signed) instead of HTTP. */
  readonly https?: boolean
  /** uuid of the management network `xenbr0` (the lab's xenbr0 carries it in xs-network-uuids). */
  readonly managementNetworkUuid?: string
  /** Netmask of the management PIFs (default 255.255.255.0). */
  readonly managementNetmask?: string
  readonly managementGateway?: string
  /** VMs to create, Halted. */
  readonly vms?: readonly VmSeed<Guest>[]
  /**
   * Where each host's plugins live: `<rundir>/xapi.d/plugins`. Default: the backend's `rundir`
   * property when it has one, else a temporary directory removed by close().
   */
  readonly rundir?: (backend: HostBackend<Guest>) => string | undefined
  /** Extra seeding (PIFs, VLANs, bonds, ...) before the server starts. */
  readonly seed?: (pool: SeedContext<Guest>) => void | Promise<void>
}

export interface PoolHost<Guest = unknown> {
  readonly ref: string
  readonly uuid: string
  readonly backend: HostBackend<Guest>
  /** The management PIF (eth0 on xenbr0). */
  readonly managementPif: string
}

export interface SeedContext<Guest = unknown> {
  readonly emulator: XapiEmulator<Guest>
  readonly hosts: readonly PoolHost<Guest>[]
  readonly managementNetwork: string
}

export interface EmulatedPool<Guest = unknown> extends SeedContext<Guest> {
  readonly url: string
  readonly server: EmulatorServer
  readonly vms: readonly string[]
  /** Host by ref or uuid. */
  host(refOrUuid: string): PoolHost<Guest>
  /** Mark a host offline (host_metrics.live = false) or back online. */
  setHostLive(host: string, live: boolean): void
  /** Copy `sourceFile` to the host's plugins directory as `name`, executable. */
  installPlugin(host: string, name: string, sourceFile: string): Promise<string>
  /** Idempotent: closes the server, invalidates sessions, removes temporary directories. */
  close(): Promise<void>
}

export async function createEmulatedPool<Guest = unknown>(
  options: EmulatedPoolOptions<Guest>,
): Promise<EmulatedPool<Guest>> {
  if (options.hosts.length === 0) throw new Error('an emulated pool needs at least one host')
  const emulator = new XapiEmulator<Guest>({
    password: options.password,
    ...(options.poolName !== undefined ? { poolName: options.poolName } : {}),
  })
  let server: EmulatorServer | undefined
  try {
    const managementNetwork = emulator.addNetwork({
      name_label: 'Pool-wide network associated with eth0',
      bridge: 'xenbr0',
      ...(options.managementNetworkUuid !== undefined ? { uuid: options.managementNetworkUuid } : {}),
    })
    const hosts: Array<PoolHost<Guest>> = []
    for (const backend of options.hosts) {
      const rundir = options.rundir?.(backend) ?? backend.rundir
      const ref = await emulator.addHost(backend, rundir !== undefined ? { rundir } : {})
      const managementPif = emulator.addPif({
        host: ref,
        network: managementNetwork,
        device: 'eth0',
        physical: true,
        management: true,
        currently_attached: true,
        ip_configuration_mode: 'Static',
        IP: emulator.db.field('host', ref, 'address') as string,
        netmask: options.managementNetmask ?? '255.255.255.0',
        gateway: options.managementGateway ?? '',
      })
      hosts.push({ ref, uuid: backend.uuid, backend, managementPif })
    }
    const vms = (options.vms ?? []).map((vm) => emulator.addVm(vm))
    const context: SeedContext<Guest> = { emulator, hosts, managementNetwork }
    await options.seed?.(context)
    server = await serveEmulator(emulator, options.https === true ? { https: true } : {})
    const served = server
    return {
      ...context,
      url: served.url,
      server: served,
      vms,
      host: (refOrUuid) => {
        const h = hosts.find((x) => x.ref === refOrUuid || x.uuid === refOrUuid)
        if (h === undefined) throw new Error(`no host ${refOrUuid} in the emulated pool`)
        return h
      },
      setHostLive: (host, live) => emulator.setHostLive(host, live),
      installPlugin: (host, name, file) => emulator.installPlugin(host, name, file),
      close: () => served.close(),
    }
  } catch (err) {
    if (server !== undefined) await server.close()
    else await emulator.close()
    throw err
  }
}

/**
 * A ready-made layout for transport-PIF choice, per host i (1-based): `eth1` physical and
 * unconfigured; `eth2` + `eth3` bonded as `bond0` with a Static IP 198.18.0.i/24; VLAN 100 over
 * `eth1` with a Static IP 198.18.1.i/24. Returns the refs per host.
 */
export function seedTransportPifs<Guest>(
  pool: SeedContext<Guest>,
): Array<{ eth1: string; eth2: string; eth3: string; bond: string; bondPif: string; vlanPif: string }> {
  const { emulator } = pool
  const physical = (name: string): string =>
    emulator.addNetwork({ name_label: `Pool-wide network associated with ${name}`, bridge: `xenbr${name.slice(3)}` })
  const net1 = physical('eth1')
  const net2 = physical('eth2')
  const net3 = physical('eth3')
  const bondNet = emulator.addNetwork({ name_label: 'Bond 2+3', bridge: 'xapi100' })
  const vlanNet = emulator.addNetwork({ name_label: 'VLAN 100', bridge: 'xapi101' })
  return pool.hosts.map((h, i) => {
    const eth1 = emulator.addPif({
      host: h.ref,
      network: net1,
      device: 'eth1',
      physical: true,
      currently_attached: true,
    })
    const eth2 = emulator.addPif({
      host: h.ref,
      network: net2,
      device: 'eth2',
      physical: true,
      currently_attached: false,
    })
    const eth3 = emulator.addPif({
      host: h.ref,
      network: net3,
      device: 'eth3',
      physical: true,
      currently_attached: false,
    })
    const { pif: bondPif, bond } = emulator.addBond({
      slaves: [eth2, eth3],
      device: 'bond0',
      network: bondNet,
      ip: { ip_configuration_mode: 'Static', IP: `198.18.0.${i + 1}`, netmask: '255.255.255.0' },
    })
    const { pif: vlanPif } = emulator.addVlan({
      taggedPif: eth1,
      tag: 100,
      network: vlanNet,
      ip: { ip_configuration_mode: 'Static', IP: `198.18.1.${i + 1}`, netmask: '255.255.255.0' },
    })
    return { eth1, eth2, eth3, bond, bondPif, vlanPif }
  })
}
