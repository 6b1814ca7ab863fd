/**
 * `LabHost`: one emulated XCP-ng/XenServer pool host. A network namespace with its own rundir, a
 * real `ovsdb-server` and `ovs-vswitchd` (and on demand a real `ovn-controller`), an inventory
 * file like /etc/xensource-inventory, and methods that change OVS exactly the way XAPI's daemons
 * do (see docs/platform.md):
 *
 * | method                | acts like                                                           |
 * |-----------------------|---------------------------------------------------------------------|
 * | `create()`            | ovs-ctl start: fresh conf.db, ovsdb-server, `system-id` = host UUID  |
 * | `createBridge()`      | create_internal_bridge: a new bridge standalone + `xs-network-uuids` |
 * | `destroyBridgeIfEmpty()` | deregister_vif: del-br when `list-ifaces` is empty               |
 * | `addUplink()`         | a physical NIC on xenbr0, management IP on the bridge's own port     |
 * | `plugVif()`           | xenopsd's vif script: del-port + add-port `vifD.N` (+ `tapD.N`)      |
 * | `unplugVif()`         | xenopsd's vif script on unplug: del-port, the device disappears     |
 * | `resumeIncomingVif()` | a migrated domain unpaused: the guest's NIC moves here, GARP         |
 * | `xapiSync()`          | one pass of XCP-ng 8.3's ovs-xapi-sync: bridge-id, neutron-port-uuid |
 * | `reboot()`            | a reboot: conf.db on tmpfs recreated empty, networkd's PIF bridges   |
 *
 * `plugVif`, `unplugVif` and `createBridge` run `xapiSync()` afterwards (ovs-xapi-sync is a
 * daemon reacting to every change) unless told `xapiSync: false`.
 *
 * ## Lab deviations (everything else follows the platform)
 * - Bridges get `datapath_type=netdev`: there is no OVS kernel module here, so ovs-vswitchd uses
 *   its userspace datapath. Bridge internal ports are then tap devices.
 * - The emulated NIC of an HVM guest (`tapD.N`) is a Linux tap nobody reads: it exists, has the
 *   ids, but carries no traffic. Traffic goes through `vifD.N`, a veth whose other end is in the
 *   `LabVm` namespace.
 * - Every daemon's files live in the host's rundir: OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR = rundir,
 *   OVN_RUNDIR/OVN_DBDIR/OVN_LOGDIR/OVN_SYSCONFDIR = rundir/ovn, so `ovs-appctl -t ovs-vswitchd`
 *   and `ovn-appctl -t ovn-controller` work inside the host once those variables are set, and
 *   nothing touches /var/run/openvswitch or /etc.
 *
 * What OVN and Geneve over the userspace datapath need here (addresses on a bridge, TX offload
 * off, guest MTU, key order) is written down in lab/README.md.
 *
 * @example
 * ```ts
 * import { LabHost } from './host.js'
 * import { Underlay } from './underlay.js'
 * import { LabVm } from './vm.js'
 * const underlay = await Underlay.create()
 * const host = await LabHost.create({ name: 'host1' })
 * await host.createBridge('xenbr0', { networkUuids: [mgmtNetworkUuid] })
 * await host.addUplink('xenbr0', underlay, { ip: '192.0.2.21/24' })
 * await host.createBridge('xapi1', { networkUuids: [ovnNetworkUuid], failMode: 'secure' })
 * const vm = await LabVm.create({ ip: '198.18.10.1/24' })
 * const vif = await host.plugVif({ domid: 1, devid: 0, vifUuid, vmUuid: vm.uuid,
 *   networkUuid: ovnNetworkUuid, mac: vm.mac, bridge: 'xapi1', vm })
 * console.log(await host.vsctl('get', 'Interface', vif.name, 'external_ids'))
 * const before = await host.dumpConfig()   // ... run a read-only plugin call ...
 * assert.equal(await host.dumpConfig(), before)
 * await host.destroy()
 * ```
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  createNetns,
  killNetns,
  killNetnsSync,
  registerTeardown,
  removeDir,
  removeDirSync,
  type Registration,
} from './cleanup.js'
import { ovsdbProbe } from '../plugin/boot-wait.js'
import { LabDaemon } from './daemon.js'
import {
  atomText,
  canonicalDump,
  type DumpTable,
  parseJsonDump,
  VOLATILE_COLUMNS,
  VOLATILE_EXTERNAL_ID_KEYS,
} from './ovsdb-dump.js'
import { firewallPortPath, installDom0Firewall } from './dom0-firewall.js'
import { emulatedSystemdPaths, installEmulatedSystemd } from './emulated-systemd.js'
import { lockedVifFlows } from './vif-locking-flows.js'
import { type HostAgentSpec, LabHostAgent } from './host-agent-process.js'
import { LabUsageError } from './errors.js'
import { run, type CommandResult, type RunOptions } from './exec.js'
import { assertIfaceName, netnsName, newUuid, tempDirPrefix } from './names.js'
import { disableTxOffload, type Underlay, type UnderlayLink } from './underlay.js'
import type { LabVm } from './vm.js'
import { waitFor } from './wait.js'

export const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema'
export const OVN_CONTROLLER = '/usr/bin/ovn-controller'

export type FailMode = 'standalone' | 'secure'

/** The environment a plugin invocation on this host gets besides PATH. */
export interface HostPluginEnv {
  readonly OVS_RUNDIR: string
  readonly OVN_RUNDIR: string
  readonly XENSOURCE_INVENTORY: string
  readonly XAPI_OVN_PLUGIN_LOG: string
  readonly XAPI_OVN_ETC_DIR: string
  readonly XAPI_OVN_STATE_DIR: string
  readonly XAPI_OVN_FIREWALL_PORT: string
  readonly [key: string]: string
}

export interface LabHostOptions {
  /** Host name (default host<n>); also Open_vSwitch external_ids:hostname. */
  readonly name?: string
  /** Host UUID, INSTALLATION_UUID of the inventory (default random). */
  readonly uuid?: string
}

export interface CreateBridgeOptions {
  /** XAPI network uuid(s) of the bridge (`xs-network-uuids`, joined with ';'). */
  readonly networkUuids: readonly string[]
  /**
   * The network's other_config `vswitch-controller-fail-mode`, as XAPI holds it. networkd never
   * gets it (the bridge is created standalone); ovs-xapi-sync applies it when it first sees the
   * bridge. Absent: ovs-xapi-sync leaves fail_mode alone.
   */
  readonly failMode?: FailMode
  /** Run ovs-xapi-sync afterwards (default true). */
  readonly xapiSync?: boolean
}

export interface UplinkOptions {
  /** Address with prefix length for the bridge's internal port, e.g. '192.0.2.21/24'. */
  readonly ip: string
  /** Name of the NIC in the host (default eth<n>). */
  readonly device?: string
  /** MTU of the NIC and the bridge port (default 1500). */
  readonly mtu?: number
}

export interface Uplink {
  readonly bridge: string
  readonly device: string
  readonly ip: string
  readonly link: UnderlayLink
}

export interface PlugVifOptions {
  readonly domid: number
  readonly devid: number
  readonly vifUuid: string
  readonly vmUuid: string
  readonly networkUuid: string
  readonly bridge: string
  /** MAC of the guest NIC (`attached-mac`); default: the VM's MAC, else required. */
  readonly mac?: string
  /** An HVM guest with an emulated NIC: also plug `tap<domid>.<devid>`. */
  readonly hvm?: boolean
  /**
   * VIF other_config `neutron-port-uuid` (else `nicira-iface-id`): what XCP-ng's ovs-xapi-sync
   * copies into the vif Interface's `neutron-port-uuid` (never into iface-id).
   */
  readonly neutronPortUuid?: string
  /** The guest: its end of the veth becomes `eth<devid>` in the VM namespace. */
  readonly vm?: LabVm
  /** Address for the guest NIC (default: the VM's ip for devid 0, none otherwise). */
  readonly ip?: string
  /** Guest NIC MTU (default: the VM's). */
  readonly mtu?: number
  /** Run ovs-xapi-sync afterwards (default true). */
  readonly xapiSync?: boolean
  /**
   * setup-vif-rules' `handle_vswitch`: `disabled` makes the device but adds no port to the bridge;
   * `locked` adds its OpenFlow rules to the bridge (lab/vif-locking-flows.ts); default `unlocked`.
   */
  readonly lockingMode?: 'locked' | 'unlocked' | 'disabled'
  /** What a `locked` VIF may send from (XAPI's ipv4_allowed / ipv6_allowed). */
  readonly ipv4Allowed?: readonly string[]
  readonly ipv6Allowed?: readonly string[]
  /**
   * A live migration's destination: the device and port are made, but the guest end waits in
   * the VM namespace as `eth<devid>n`, down, until `resumeIncomingVif` (the domain unpaused).
   */
  readonly incoming?: boolean
}

/** A plugged VIF. */
export interface LabVif {
  /** The OVS port / device name, `vif<domid>.<devid>`. */
  readonly name: string
  /** `tap<domid>.<devid>` for HVM guests. */
  readonly tap: string | undefined
  readonly bridge: string
  readonly domid: number
  readonly devid: number
  readonly vifUuid: string
  readonly vmUuid: string
  readonly networkUuid: string
  readonly mac: string
  /** The iface-id the host agent gives it: the VIF uuid (nobody else sets one on 8.3). */
  readonly ifaceId: string
  readonly vm: LabVm | undefined
  /** The guest end's name (in the VM namespace, or in the host namespace when there is no VM). */
  readonly peer: string
  /** False when its locking mode is `disabled`: the device exists, no port on the bridge. */
  readonly onBridge: boolean
}

export interface StartOvnControllerOptions {
  /** Extra command-line arguments (e.g. `--ovn-controller-ssl-*`, `-vjsonrpc:dbg`). */
  readonly args?: readonly string[]
  /** Wait for `connection-status` to be `connected` to the SB (default false). */
  readonly waitConnected?: boolean
  readonly timeoutMs?: number
}

export interface StopOvnControllerOptions {
  /**
   * true: `ovn-appctl exit` (ovn-controller removes its Chassis and cleans its bindings, like a
   * service stop); false (default): SIGTERM, like `exit --restart` (state is kept).
   */
  readonly cleanup?: boolean
}

export { VOLATILE_COLUMNS, VOLATILE_EXTERNAL_ID_KEYS } from './ovsdb-dump.js'

let hostCounter = 0

/** `"v"` quoted for ovs-vsctl's value syntax (C-like string), so ':' ';' ',' '=' stay literal. */
export function vsctlQuote(value: string): string {
  return JSON.stringify(value)
}

function vifDevice(domid: number, devid: number, kind: 'vif' | 'tap'): string {
  if (!Number.isSafeInteger(domid) || domid < 0 || !Number.isSafeInteger(devid) || devid < 0) {
    throw new LabUsageError(`bad domid/devid ${domid}.${devid}`)
  }
  return assertIfaceName(`${kind}${domid}.${devid}`)
}

export class LabHost {
  readonly name: string
  readonly uuid: string
  readonly netns: string
  /** OVS_RUNDIR: conf.db, db.sock, pidfiles, unixctl sockets, logs, inventory. */
  readonly rundir: string
  /** OVN_RUNDIR: ovn-controller's pidfile, log and unixctl socket. */
  readonly ovnRundir: string
  readonly dbPath: string
  readonly dbSock: string
  /** `unix:<rundir>/db.sock` */
  readonly dbRemote: string
  readonly inventoryPath: string
  readonly pluginLogPath: string
  /** Address (without prefix) of the first uplink: the management IP. */
  managementIp: string | undefined
  readonly uplinks: Uplink[] = []

  #ovsdb: LabDaemon | undefined
  #vswitchd: LabDaemon | undefined
  #ovnController: LabDaemon | undefined
  #hostAgent: LabHostAgent | undefined
  #controllerBoot: Promise<void> | undefined
  /** Bridge name -> its xs-network-uuids, as xcp-networkd knows them (to bring PIF bridges back at boot). */
  readonly #bridgeNetworks = new Map<string, readonly string[]>()
  readonly #vifs = new Map<string, LabVif>()
  /** Ports plugged `locked`: where their setup-vif-rules rules are (removed at unplug). */
  readonly #lockedPorts = new Map<string, { readonly bridge: string; readonly ofport: number }>()
  /** Incoming VIFs (a migration's destination) whose guest end waits: what it gets on resume. */
  readonly #incoming = new Map<string, { mac: string; ip: string | undefined; mtu: number | undefined }>()
  /** Bridge name -> fail mode of its XAPI network (what ovs-xapi-sync applies on first sight). */
  readonly #networkFailMode = new Map<string, FailMode>()
  /** Bridges ovs-xapi-sync has seen. */
  readonly #syncSeen = new Set<string>()
  /** xs-vif-uuid -> the VIF other_config neutron-port-uuid (or nicira-iface-id) XAPI has. */
  readonly #neutronPortUuids = new Map<string, string>()
  #registration: Registration
  #destroyed = false

  private constructor(opts: LabHostOptions, netns: string, rundir: string) {
    hostCounter += 1
    this.name = opts.name ?? `host${hostCounter}`
    this.uuid = opts.uuid ?? newUuid()
    this.netns = netns
    this.rundir = rundir
    this.ovnRundir = join(rundir, 'ovn')
    this.dbPath = join(rundir, 'conf.db')
    this.dbSock = join(rundir, 'db.sock')
    this.dbRemote = `unix:${this.dbSock}`
    this.inventoryPath = join(rundir, 'xensource-inventory')
    this.pluginLogPath = join(rundir, 'xapi-ovn-plugin.log')
    this.#registration = registerTeardown(`host ${this.name} netns ${netns} rundir ${rundir}`, () => {
      killNetnsSync(netns)
      removeDirSync(rundir)
    })
  }

  /** Create the namespace, rundir, inventory and conf.db, and start ovsdb-server + ovs-vswitchd. */
  static async create(opts: LabHostOptions = {}): Promise<LabHost> {
    const ns = netnsName('h')
    const rundir = mkdtempSync(tempDirPrefix('h'))
    let host: LabHost | undefined
    try {
      await createNetns(ns)
      host = new LabHost(opts, ns, rundir)
      await installDom0Firewall(host)
      mkdirSync(host.ovnRundir)
      mkdirSync(join(host.ovnRundir, 'etc'))
      installEmulatedSystemd(rundir, host.daemonEnv())
      host.#writeInventory()
      await run('ovsdb-tool', ['create', host.dbPath, VSWITCH_SCHEMA])
      await host.#startOvs()
      return host
    } catch (err) {
      if (host !== undefined) await host.destroy()
      else {
        await killNetns(ns)
        await removeDir(rundir)
      }
      throw err
    }
  }

  #writeInventory(): void {
    const lines = {
      PRODUCT_BRAND: 'XCP-ng',
      PRODUCT_VERSION: '8.3.0',
      PLATFORM_NAME: 'XCP',
      BUILD_NUMBER: 'lab',
      INSTALLATION_UUID: this.uuid,
      CONTROL_DOMAIN_UUID: newUuid(),
      MANAGEMENT_INTERFACE: 'xenbr0',
      MANAGEMENT_ADDRESS_TYPE: 'IPv4',
    }
    writeFileSync(
      this.inventoryPath,
      Object.entries(lines)
        .map(([k, v]) => `${k}='${v}'\n`)
        .join(''),
    )
  }

  /** Environment of every OVS/OVN daemon and tool run for this host. */
  daemonEnv(): Record<string, string> {
    return {
      OVS_RUNDIR: this.rundir,
      OVS_DBDIR: this.rundir,
      OVS_LOGDIR: this.rundir,
      OVS_SYSCONFDIR: this.rundir,
      OVN_RUNDIR: this.ovnRundir,
      OVN_DBDIR: this.ovnRundir,
      OVN_LOGDIR: this.ovnRundir,
      OVN_SYSCONFDIR: join(this.ovnRundir, 'etc'),
    }
  }

  /** The environment a plugin invocation on this host must get besides PATH. */
  env(): HostPluginEnv {
    return {
      OVS_RUNDIR: this.rundir,
      OVN_RUNDIR: this.ovnRundir,
      XENSOURCE_INVENTORY: this.inventoryPath,
      XAPI_OVN_PLUGIN_LOG: this.pluginLogPath,
      // Where configure writes SSL material and ovn-controller's options file (default /etc/ovn).
      XAPI_OVN_ETC_DIR: join(this.rundir, 'etc-ovn'),
      // /etc/xapi-ovn: the persisted chassis configuration; like /etc it survives reboot().
      XAPI_OVN_STATE_DIR: join(this.rundir, 'etc-xapi-ovn'),
      // /var/cache/xapi-ovn: the plugin's V8 code cache (plugin/code-cache.ts), per host.
      XAPI_OVN_CODE_CACHE_DIR: join(this.rundir, 'var-cache-xapi-ovn'),
      // xapi's firewall-port plugin, emulated by lab/dom0-firewall.ts.
      XAPI_OVN_FIREWALL_PORT: firewallPortPath(this.rundir),
      // systemd for fn=service (ovn-controller.service), emulated by lab/emulated-systemd.ts.
      XAPI_OVN_SYSTEMD_DIR: emulatedSystemdPaths(this.rundir).runtimeDir,
      XAPI_OVN_SYSTEMD_PATH: emulatedSystemdPaths(this.rundir).binDir,
    }
  }

  async #startOvs(): Promise<void> {
    // As ovs-ctl starts it: the unix socket, managers and SSL taken from the database.
    this.#ovsdb = await LabDaemon.start({
      program: 'ovsdb-server',
      label: `${this.name} ovsdb-server`,
      netns: this.netns,
      env: this.daemonEnv(),
      pidfile: join(this.rundir, 'ovsdb-server.pid'),
      logFile: join(this.rundir, 'ovsdb-server.log'),
      args: [
        this.dbPath,
        `--remote=punix:${this.dbSock}`,
        '--remote=db:Open_vSwitch,Open_vSwitch,manager_options',
        '--private-key=db:Open_vSwitch,SSL,private_key',
        '--certificate=db:Open_vSwitch,SSL,certificate',
        '--bootstrap-ca-cert=db:Open_vSwitch,SSL,ca_cert',
      ],
    })
    await this.#setSystemIds()
    await this.#startVswitchd()
  }

  /** What ovs-ctl does on every start (set_system_ids / set_hostname). */
  async #setSystemIds(): Promise<void> {
    await this.vsctl(
      '--no-wait',
      '--',
      'init',
      '--',
      'set',
      'Open_vSwitch',
      '.',
      `external_ids:system-id=${vsctlQuote(this.uuid)}`,
      `external_ids:hostname=${vsctlQuote(this.name)}`,
      `external_ids:rundir=${vsctlQuote(this.rundir)}`,
      `external_ids:xs-system-uuid=${vsctlQuote(this.uuid)}`,
    )
  }

  async #startVswitchd(): Promise<void> {
    this.#vswitchd = await LabDaemon.start({
      program: 'ovs-vswitchd',
      label: `${this.name} ovs-vswitchd`,
      netns: this.netns,
      env: this.daemonEnv(),
      pidfile: join(this.rundir, 'ovs-vswitchd.pid'),
      logFile: join(this.rundir, 'ovs-vswitchd.log'),
      args: [this.dbRemote],
    })
  }

  // -------------------------------------------------------------------------------------------
  // Running things on the host

  /** Run a command inside the host namespace with the daemons' environment. */
  exec(file: string, args: readonly string[] = [], opts: RunOptions = {}): Promise<CommandResult> {
    return run(file, args, { ...opts, netns: this.netns, env: { ...this.daemonEnv(), ...opts.env } })
  }

  /** `ovs-vsctl --db=unix:<rundir>/db.sock ARGS`; resolves with stdout (trailing newline removed). */
  async vsctl(...args: string[]): Promise<string> {
    const r = await run('ovs-vsctl', [`--db=${this.dbRemote}`, '--timeout=30', ...args], { env: this.daemonEnv() })
    return r.stdout.replace(/\n$/, '')
  }

  /** `ovs-appctl -t <rundir>/ovs-vswitchd.<pid>.ctl ARGS` (e.g. 'ovs/route/show', 'tnl/arp/show'). */
  async appctl(...args: string[]): Promise<string> {
    const vswitchd = this.#requireDaemon(this.#vswitchd, 'ovs-vswitchd')
    const r = await run('ovs-appctl', ['-t', join(this.rundir, `ovs-vswitchd.${vswitchd.pid}.ctl`), ...args], {
      env: this.daemonEnv(),
    })
    return r.stdout
  }

  /** `ovs-ofctl ARGS` against this host's bridges (e.g. `dump-flows xapi1`). */
  async ofctl(...args: string[]): Promise<string> {
    return (await this.exec('ovs-ofctl', args)).stdout
  }

  #requireDaemon(d: LabDaemon | undefined, what: string): LabDaemon {
    if (d === undefined || !d.isRunning()) throw new LabUsageError(`${what} is not running on ${this.name}`)
    return d
  }

  get ovsdbServer(): LabDaemon | undefined {
    return this.#ovsdb
  }

  get vswitchd(): LabDaemon | undefined {
    return this.#vswitchd
  }

  // -------------------------------------------------------------------------------------------
  // xcp-networkd

  /**
   * Create a bridge as XAPI does for an internal network: xapi's `create_internal_bridge`
   * (ocaml/xapi/xapi_network.ml) skips a bridge that exists, so an existing one (made earlier,
   * or re-created by ovn-controller without XAPI's ids) is left exactly as it is; otherwise
   * xcp-networkd's `Bridge.create` gets only `network-uuids` and makes it `fail_mode=standalone`
   * with `external_ids:xs-network-uuids` (ocaml/networkd/bin/network_server.ml). Lab deviation:
   * `datapath_type=netdev`. The bridge's internal port is brought up. Then ovs-xapi-sync runs,
   * which applies the network's `vswitch-controller-fail-mode` (`opts.failMode`, what XAPI holds)
   * to a bridge it sees for the first time; with `xapiSync: false` the bridge stays standalone,
   * the window a real host has too.
   */
  async createBridge(name: string, opts: CreateBridgeOptions): Promise<void> {
    assertIfaceName(name)
    if (opts.networkUuids.length === 0) throw new LabUsageError('createBridge needs at least one network uuid')
    // XAPI's network record, which ovs-xapi-sync reads by bridge name (patch 0003).
    this.#bridgeNetworks.set(name, [...opts.networkUuids])
    if (opts.failMode === undefined) this.#networkFailMode.delete(name)
    else this.#networkFailMode.set(name, opts.failMode)
    if (!(await this.#bridgeExists(name))) {
      await this.vsctl(
        '--',
        'add-br',
        name,
        '--',
        'set',
        'Bridge',
        name,
        'fail_mode=standalone',
        'datapath_type=netdev',
        `external_ids:xs-network-uuids=${vsctlQuote(opts.networkUuids.join(';'))}`,
      )
      await waitFor(
        `bridge ${name} device in ${this.name}`,
        async () => (await run('ip', ['link', 'show', name], { netns: this.netns, check: false })).ok,
        { timeoutMs: 10_000 },
      )
      await run('ip', ['link', 'set', name, 'up'], { netns: this.netns })
    }
    if (opts.xapiSync !== false) await this.xapiSync()
  }

  /**
   * xapi's `deregister_vif` -> `detach` after the last VIF of an internal network left this host
   * (ocaml/xapi/xapi_network.ml): `ovs-vsctl list-ifaces NAME` (networkd's
   * `Bridge.get_interfaces`); empty -> networkd's `Bridge.destroy` (del-br), true. Any interface
   * left (ovn-controller's tunnel ports, a port someone added) or no such bridge: nothing, false.
   * Then ovs-xapi-sync runs (it forgets the bridge, so a re-created one is new to it).
   */
  async destroyBridgeIfEmpty(name: string, opts: { xapiSync?: boolean } = {}): Promise<boolean> {
    assertIfaceName(name)
    if (!(await this.#bridgeExists(name))) return false
    if ((await this.vsctl('list-ifaces', name)) !== '') return false
    await this.vsctl('--', '--if-exists', 'del-br', name)
    if (opts.xapiSync !== false) await this.xapiSync()
    return true
  }

  async #bridgeExists(name: string): Promise<boolean> {
    return (await this.bridges()).includes(name)
  }

  /** xcp-networkd's `Bridge.get_all` (the emulator's unmanaged-network check): `list-br`. */
  async listBridges(): Promise<readonly string[]> {
    return this.bridges()
  }

  /** Names of all bridges (`ovs-vsctl list-br`). */
  async bridges(): Promise<string[]> {
    const out = await this.vsctl('list-br')
    return out === '' ? [] : out.split('\n')
  }

  /**
   * Plug a physical NIC into `bridge` and cable it to the underlay: a veth (`eth<n>` here) whose
   * other end is a port of the underlay switch, added to the bridge; the address goes on the
   * bridge's internal port, like the management interface on xenbr0. The first uplink's address
   * becomes `managementIp`.
   */
  async addUplink(bridge: string, underlay: Underlay, opts: UplinkOptions): Promise<Uplink> {
    const device = assertIfaceName(opts.device ?? `eth${this.uplinks.length}`)
    const link = await underlay.attach(this.netns, device, opts.mtu === undefined ? {} : { mtu: opts.mtu })
    await this.vsctl('--', '--may-exist', 'add-port', bridge, device)
    await this.#bridgeTakesNicMac(bridge, device)
    await disableTxOffload(this.netns, bridge)
    if (opts.mtu !== undefined) await run('ip', ['link', 'set', bridge, 'mtu', String(opts.mtu)], { netns: this.netns })
    await run('ip', ['addr', 'add', opts.ip, 'dev', bridge], { netns: this.netns })
    await run('ip', ['link', 'set', bridge, 'up'], { netns: this.netns })
    const uplink: Uplink = { bridge, device, ip: opts.ip, link }
    this.uplinks.push(uplink)
    this.managementIp ??= opts.ip.split('/')[0]
    return uplink
  }

  /**
   * xcp-networkd gives a PIF's bridge the PIF's MAC (xapi-project/xen-api ocaml/xapi/nm.ml passes
   * `bridge_mac = PIF.MAC`; ocaml/networkd/lib/network_utils.ml `Ovs.create_bridge` sets
   * `other-config:hwaddr`), so the management address keeps its MAC across reboots and the other
   * chassis' tunnel neighbour entries stay right. (A random MAC per boot left the userspace
   * datapath's tnl/arp cache of the other hosts stale until the rebooted host spoke first.)
   */
  async #bridgeTakesNicMac(bridge: string, device: string): Promise<void> {
    const link = await run('ip', ['-o', 'link', 'show', device], { netns: this.netns })
    const mac = /link\/ether ([0-9a-f:]{17})/.exec(link.stdout)?.[1]
    if (mac === undefined) throw new LabUsageError(`no MAC on ${device} in ${this.name}`)
    await this.vsctl('set', 'Bridge', bridge, `other_config:hwaddr=${vsctlQuote(mac)}`)
  }

  // -------------------------------------------------------------------------------------------
  // xenopsd's vif script

  /**
   * Plug a VIF like xenopsd: create the device (a veth `vif<domid>.<devid>`; its other end is
   * `eth<devid>` in `vm`'s namespace), then one ovs-vsctl transaction deleting and re-adding the
   * port with Interface external_ids xs-vm-uuid, xs-vif-uuid, xs-network-uuid, attached-mac. For
   * `hvm`, the same for `tap<domid>.<devid>`. Then ovs-xapi-sync runs (see xapiSync: no
   * iface-id; the host agent writes that).
   */
  async plugVif(opts: PlugVifOptions): Promise<LabVif> {
    const name = vifDevice(opts.domid, opts.devid, 'vif')
    const tap = opts.hvm === true ? vifDevice(opts.domid, opts.devid, 'tap') : undefined
    const mac = opts.mac ?? opts.vm?.mac
    if (mac === undefined) throw new LabUsageError('plugVif needs a mac (or a vm)')
    if (this.#vifs.has(name)) await this.#removeVifDevices(this.#vifs.get(name) as LabVif)

    // The device, as the backend creates it: host end 'vifD.N' (Xen's fe:ff:ff:ff:ff:ff MAC).
    // An incoming one's guest end waits beside the guest's current NIC (resumeIncomingVif).
    const incoming = opts.incoming === true && opts.vm !== undefined
    const peer =
      opts.vm === undefined
        ? assertIfaceName(`${name}p`)
        : assertIfaceName(incoming ? `eth${opts.devid}n` : `eth${opts.devid}`)
    const peerArgs = opts.vm !== undefined ? ['netns', opts.vm.netns] : []
    await run('ip', ['link', 'add', name, 'type', 'veth', 'peer', 'name', peer, ...peerArgs], { netns: this.netns })
    await run('ip', ['link', 'set', name, 'address', 'fe:ff:ff:ff:ff:ff'], { netns: this.netns })
    await disableTxOffload(this.netns, name)
    await run('ip', ['link', 'set', name, 'up'], { netns: this.netns })
    if (opts.vm !== undefined) {
      const ip = opts.ip ?? (opts.devid === 0 ? opts.vm.ip : undefined)
      if (incoming) this.#incoming.set(name, { mac, ip, mtu: opts.mtu })
      else await opts.vm.configureNic(peer, { mac, ip, mtu: opts.mtu })
    } else {
      await disableTxOffload(this.netns, peer)
      await run('ip', ['link', 'set', peer, 'address', mac, 'up'], { netns: this.netns })
    }
    if (tap !== undefined) {
      await run('ip', ['tuntap', 'add', 'dev', tap, 'mode', 'tap'], { netns: this.netns })
      await run('ip', ['link', 'set', tap, 'up'], { netns: this.netns })
    }

    const ifaceId = opts.vifUuid
    if (opts.neutronPortUuid !== undefined) this.#neutronPortUuids.set(opts.vifUuid, opts.neutronPortUuid)
    const vif: LabVif = {
      name,
      tap,
      bridge: opts.bridge,
      domid: opts.domid,
      devid: opts.devid,
      vifUuid: opts.vifUuid,
      vmUuid: opts.vmUuid,
      networkUuid: opts.networkUuid,
      mac,
      ifaceId,
      vm: opts.vm,
      peer,
      onBridge: opts.lockingMode !== 'disabled',
    }
    this.#vifs.set(name, vif)

    for (const dev of tap === undefined ? [name] : [name, tap]) {
      // setup-vif-rules `handle_vswitch`: a `disabled` VIF is not added to the bridge at all.
      if (!vif.onBridge) {
        await this.vsctl('--', '--if-exists', 'del-port', dev)
        continue
      }
      await this.vsctl(
        '--',
        '--if-exists',
        'del-port',
        dev,
        '--',
        'add-port',
        opts.bridge,
        dev,
        '--',
        'set',
        'Interface',
        dev,
        `external_ids:xs-vm-uuid=${vsctlQuote(opts.vmUuid)}`,
        `external_ids:xs-vif-uuid=${vsctlQuote(opts.vifUuid)}`,
        `external_ids:xs-network-uuid=${vsctlQuote(opts.networkUuid)}`,
        `external_ids:attached-mac=${vsctlQuote(mac)}`,
      )
    }
    if (opts.lockingMode === 'locked') {
      for (const dev of tap === undefined ? [name] : [name, tap]) {
        const ofport = await waitFor(`an ofport for ${dev}`, async () => {
          const n = Number((await this.vsctl('get', 'Interface', dev, 'ofport')).trim())
          return Number.isInteger(n) && n > 0 ? n : undefined
        })
        const rules = { ofport, mac, ipv4Allowed: opts.ipv4Allowed ?? [], ipv6Allowed: opts.ipv6Allowed ?? [] }
        for (const flow of lockedVifFlows(rules)) await this.ofctl('add-flow', opts.bridge, flow)
        this.#lockedPorts.set(dev, { bridge: opts.bridge, ofport })
      }
    }
    if (opts.xapiSync !== false) await this.xapiSync()
    return vif
  }

  /**
   * A live migration's destination domain is unpaused: the guest's netfront moves to this host's
   * `vif<domid>.<devid>` (plugged `incoming`): its old NIC (the source's device, removed later by
   * the source's unplug) loses its address and goes down, the waiting end becomes
   * `eth<devid>` with the same MAC, address and MTU, and the guest sends a gratuitous ARP, as
   * Linux netfront does (docs/platform.md, "Live migration (VM.pool_migrate)").
   */
  async resumeIncomingVif(vif: { readonly domid: number; readonly devid: number }): Promise<void> {
    const name = vifDevice(vif.domid, vif.devid, 'vif')
    const known = this.#vifs.get(name)
    const nic = this.#incoming.get(name)
    if (known?.vm === undefined || nic === undefined) return
    this.#incoming.delete(name)
    const dev = await known.vm.adoptNic(known.peer, vif.devid, nic)
    this.#vifs.set(name, { ...known, peer: dev })
  }

  /** The VIFs plugged on this host now. */
  vifs(): LabVif[] {
    return [...this.#vifs.values()]
  }

  /**
   * Unplug like xenopsd: `--if-exists del-port` of vifD.N (and tapD.N) and the devices disappear
   * (the guest end leaves the VM namespace with them). Then ovs-xapi-sync runs.
   */
  async unplugVif(vif: LabVif | { domid: number; devid: number }, opts: { xapiSync?: boolean } = {}): Promise<void> {
    const name = vifDevice(vif.domid, vif.devid, 'vif')
    const known = this.#vifs.get(name)
    const tap = known?.tap ?? vifDevice(vif.domid, vif.devid, 'tap')
    // setup-vif-rules' "clear": a locked VIF's rules go with it (they match its ofport).
    for (const dev of [name, tap]) {
      const locked = this.#lockedPorts.get(dev)
      if (locked === undefined) continue
      await this.ofctl('del-flows', locked.bridge, `in_port=${locked.ofport}`)
      this.#lockedPorts.delete(dev)
    }
    await this.vsctl('--', '--if-exists', 'del-port', name, '--', '--if-exists', 'del-port', tap)
    if (known !== undefined) await this.#removeVifDevices(known)
    else {
      await run('ip', ['link', 'del', name], { netns: this.netns, check: false })
      await run('ip', ['link', 'del', tap], { netns: this.netns, check: false })
    }
    if (opts.xapiSync !== false) await this.xapiSync()
  }

  /**
   * An HVM guest's PV drivers took over: xenopsd removes the emulated NIC (`tapD.N`) and the vif
   * carries the traffic (the host agent moves the iface-id onto it).
   */
  async unplugTap(vif: LabVif, opts: { xapiSync?: boolean } = {}): Promise<LabVif> {
    if (vif.tap === undefined) return vif
    await this.vsctl('--', '--if-exists', 'del-port', vif.tap)
    await run('ip', ['link', 'del', vif.tap], { netns: this.netns, check: false })
    const updated: LabVif = { ...vif, tap: undefined }
    this.#vifs.set(vif.name, updated)
    if (opts.xapiSync !== false) await this.xapiSync()
    return updated
  }

  async #removeVifDevices(vif: LabVif): Promise<void> {
    this.#incoming.delete(vif.name)
    await run('ip', ['link', 'del', vif.name], { netns: this.netns, check: false })
    if (vif.tap !== undefined) await run('ip', ['link', 'del', vif.tap], { netns: this.netns, check: false })
    this.#vifs.delete(vif.name)
  }

  // -------------------------------------------------------------------------------------------
  // ovs-xapi-sync

  /**
   * One pass of the ovs-xapi-sync XCP-ng 8.3 ships (xcp-ng-rpms/openvswitch: upstream's
   * xenserver/usr_share_openvswitch_scripts_ovs-xapi-sync with patch
   * 0002-O3eng-applied-patch-on-top-of-the-NSX-OVS and 0003-update-bridge-fail-mode-settings-
   * when-bridge-comes-up), in one ovs-vsctl transaction, writing only what differs:
   * - Bridge: on first sight, fail_mode from its network (see createBridge); `bridge-id` = first
   *   of `xs-network-uuids`.
   * - Interface `vif*`: `neutron-port-uuid` when the VIF has one in XAPI. Nothing else: no
   *   iface-id (docs/platform.md, "Nothing sets iface-id"), no vm-id, no iface-status.
   */
  async xapiSync(): Promise<void> {
    const ops: string[] = []
    const bridges = await this.#listRows('Bridge', ['name', 'external_ids', 'fail_mode'])
    for (const row of bridges) {
      const name = String(row.name)
      const ids = asMap(row.external_ids)
      if (!this.#syncSeen.has(name)) {
        // Patch 0003 (update bridge fail mode settings when bridge comes up): the network's
        // vswitch-controller-fail-mode, applied once when the bridge first appears.
        this.#syncSeen.add(name)
        const mode = this.#networkFailMode.get(name)
        if (mode !== undefined && row.fail_mode !== mode) ops.push('--', 'set', 'Bridge', name, `fail_mode=${mode}`)
      }
      const networks = ids.get('xs-network-uuids')
      const bridgeId = networks === undefined || networks === '' ? undefined : networks.split(';')[0]
      if (bridgeId !== undefined) ops.push(...mapKeyOps('Bridge', name, ids, 'bridge-id', bridgeId))
    }
    for (const name of this.#syncSeen) if (!bridges.some((b) => b.name === name)) this.#syncSeen.delete(name)

    // Patch 0002: on vif* Interfaces only neutron-port-uuid, from the VIF's other_config
    // (neutron-port-uuid, else nicira-iface-id), set when XAPI has one and never removed.
    // No iface-id, vm-id, iface-status, nor the tap copy of upstream OVS.
    const ifaces = await this.#listRows('Interface', ['name', 'external_ids'])
    for (const row of ifaces) {
      const name = String(row.name)
      if (!name.startsWith('vif')) continue
      const ids = asMap(row.external_ids)
      const xvu = ids.get('xs-vif-uuid')
      const neutron = xvu === undefined ? undefined : this.#neutronPortUuids.get(xvu)
      if (neutron !== undefined) ops.push(...mapKeyOps('Interface', name, ids, 'neutron-port-uuid', neutron))
    }
    if (ops.length > 0) await this.vsctl(...ops)
  }

  async #listRows(
    table: string,
    columns: readonly string[],
  ): Promise<Record<string, string | Map<string, string> | string[]>[]> {
    const out = await this.vsctl('--format=json', `--columns=${columns.join(',')}`, 'list', table)
    const parsed = JSON.parse(out) as { headings: string[]; data: unknown[][] }
    return parsed.data.map((row) => {
      const rec: Record<string, string | Map<string, string> | string[]> = {}
      parsed.headings.forEach((h, i) => {
        rec[h] = decodeVsctlJson(row[i])
      })
      return rec
    })
  }

  // -------------------------------------------------------------------------------------------
  // Boot

  /**
   * A reboot of an XCP-ng 8.3 host, as far as Open vSwitch and our services see it
   * (docs/platform.md, "conf.db lives on tmpfs"):
   * 1. shutdown: the host agent and ovn-controller are stopped as systemd stops them
   *    (ovn-controller `exit`: it removes its chassis), then ovs-vswitchd and ovsdb-server; every
   *    VIF device goes (no guest survives);
   * 2. boot: conf.db is created EMPTY (it lives on /run), ovs-ctl sets only its own keys
   *    (system-id, xs-system-uuid, hostname, rundir), ovsdb-server and ovs-vswitchd start;
   * 3. xcp-networkd brings back the bridges of attached PIFs (xenbr0 with its NIC — hardware,
   *    still there — and the management address). Internal networks' bridges do NOT come back:
   *    XAPI creates them when it attaches the network or plugs a VIF (the emulator's job);
   * 4. systemd starts the host agent again if it ran (the RPM enables it), and ovn-controller
   *    once the drop-in's ovn-wait-bridge says the integration bridge is XAPI's
   *    (`ovnControllerBooted()` resolves then).
   * Files under the rundir other than conf.db (the inventory, /etc/ovn, /etc/xapi-ovn) are
   * persistent storage and stay.
   */
  async reboot(): Promise<void> {
    const hadAgent = this.#hostAgent?.isRunning() === true
    const hadController = this.#ovnController?.isRunning() === true
    await this.stopHostAgent()
    await this.stopOvnController({ cleanup: true })
    await this.#vswitchd?.stop()
    await this.#ovsdb?.stop()
    for (const vif of this.vifs()) await this.#removeVifDevices(vif)
    this.#syncSeen.clear()
    this.#networkFailMode.clear()
    // /run is tmpfs: the database and every pidfile and control socket are gone at boot.
    for (const dir of [this.rundir, this.ovnRundir]) {
      for (const f of readdirSync(dir)) {
        if (f === 'conf.db' || f === '.conf.db.~lock~' || f.endsWith('.pid') || f.endsWith('.ctl'))
          rmSync(join(dir, f), { force: true })
      }
    }
    await run('ovsdb-tool', ['create', this.dbPath, VSWITCH_SCHEMA])
    await this.#startOvs()
    const uplinks = this.uplinks.splice(0)
    this.managementIp = undefined
    for (const u of uplinks) {
      await this.createBridge(u.bridge, { networkUuids: this.#bridgeNetworks.get(u.bridge) ?? [] })
      await this.vsctl('--', '--may-exist', 'add-port', u.bridge, u.device)
      await this.#bridgeTakesNicMac(u.bridge, u.device)
      await disableTxOffload(this.netns, u.bridge)
      await run('ip', ['addr', 'replace', u.ip, 'dev', u.bridge], { netns: this.netns })
      await run('ip', ['link', 'set', u.bridge, 'up'], { netns: this.netns })
      this.uplinks.push(u)
      this.managementIp ??= u.ip.split('/')[0]
    }
    // xapi-ovn-br-int.service (the RPM's, Before=xapi.service): br-int of an experimental
    // integration mode exists before the emulator's xapi starts a VM here.
    if (hadAgent) await LabHostAgent.runBootBridge(this.#agentSpec('xapi-ovn-br-int'))
    if (hadAgent) this.startHostAgent()
    this.#controllerBoot = hadController ? this.#startOvnControllerWhenReady() : undefined
  }

  /**
   * ovn-controller.service with our drop-in: ExecStartPre ovn-wait-bridge (plugin/boot-wait.ts,
   * the same judgement) until the integration bridge is XAPI's, systemd restarting it without
   * end; then ovn-controller.
   */
  async #startOvnControllerWhenReady(): Promise<void> {
    const probe = ovsdbProbe(this.dbRemote, this.env().XAPI_OVN_STATE_DIR)
    for (;;) {
      if (this.#destroyed) return
      if ((await probe()).state === 'ready') break
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    await this.startOvnController({ waitConnected: true })
  }

  /**
   * `systemctl restart openvswitch` without a reboot: ovs-vswitchd and ovsdb-server stop and
   * start again on the same conf.db (docs/platform.md: only a reboot empties it).
   */
  async restartOvs(): Promise<void> {
    await this.#vswitchd?.stop()
    await this.#ovsdb?.stop()
    await this.#startOvs()
  }

  /** Resolves once ovn-controller has started after the last reboot (if it ran before it). */
  async ovnControllerBooted(): Promise<void> {
    await this.#controllerBoot
  }

  // -------------------------------------------------------------------------------------------
  // The host agent (xapi-ovn-agent.service of our RPM)

  /**
   * Start dist/xapi-ovn-host-agent in the host namespace with this host's paths, as systemd
   * starts xapi-ovn-agent.service at boot. Its log is `<rundir>/xapi-ovn-agent.log`.
   */
  startHostAgent(): LabHostAgent {
    if (this.#hostAgent?.isRunning() === true) throw new LabUsageError(`the host agent already runs on ${this.name}`)
    this.#hostAgent = LabHostAgent.start(this.#agentSpec('xapi-ovn-agent'))
    return this.#hostAgent
  }

  #agentSpec(unit: string): HostAgentSpec {
    return {
      netns: this.netns,
      env: { ...this.daemonEnv(), ...this.env() },
      logFile: join(this.rundir, `${unit}.log`),
      label: `${this.name} ${unit === 'xapi-ovn-agent' ? 'xapi-ovn host agent' : unit}`,
    }
  }

  get hostAgent(): LabHostAgent | undefined {
    return this.#hostAgent
  }

  /** Stop the host agent (a service stop). Idempotent. */
  async stopHostAgent(): Promise<void> {
    await this.#hostAgent?.stop()
    this.#hostAgent = undefined
  }

  // -------------------------------------------------------------------------------------------
  // ovn-controller

  /**
   * Start the real /usr/bin/ovn-controller inside the namespace, on `unix:<rundir>/db.sock`, with
   * OVN_RUNDIR=<rundir>/ovn (pidfile `ovn-controller.pid`, log `ovn-controller.log`, unixctl
   * `ovn-controller.<pid>.ctl` there). Set the Open_vSwitch OVN keys first (see docs/platform.md).
   */
  async startOvnController(opts: StartOvnControllerOptions = {}): Promise<LabDaemon> {
    if (this.#ovnController?.isRunning() === true)
      throw new LabUsageError(`ovn-controller already runs on ${this.name}`)
    this.#ovnController = await LabDaemon.start({
      program: OVN_CONTROLLER,
      label: `${this.name} ovn-controller`,
      netns: this.netns,
      env: this.daemonEnv(),
      pidfile: join(this.ovnRundir, 'ovn-controller.pid'),
      logFile: join(this.ovnRundir, 'ovn-controller.log'),
      args: [this.dbRemote, ...(opts.args ?? [])],
      timeoutMs: opts.timeoutMs,
    })
    if (opts.waitConnected === true) {
      await waitFor(
        `${this.name} ovn-controller connected to the SB`,
        async () => (await this.ovnAppctl('connection-status')).trim() === 'connected',
        {
          timeoutMs: opts.timeoutMs ?? 60_000,
        },
      )
    }
    return this.#ovnController
  }

  get ovnController(): LabDaemon | undefined {
    return this.#ovnController
  }

  /** `ovn-appctl -t <ovn rundir>/ovn-controller.<pid>.ctl ARGS` (e.g. 'connection-status'). */
  async ovnAppctl(...args: string[]): Promise<string> {
    const controller = this.#requireDaemon(this.#ovnController, 'ovn-controller')
    const r = await run('ovn-appctl', ['-t', join(this.ovnRundir, `ovn-controller.${controller.pid}.ctl`), ...args], {
      env: this.daemonEnv(),
    })
    return r.stdout
  }

  /** Stop ovn-controller (see StopOvnControllerOptions). Idempotent. */
  async stopOvnController(opts: StopOvnControllerOptions = {}): Promise<void> {
    const controller = this.#ovnController
    if (controller === undefined) return
    if (opts.cleanup === true && controller.isRunning()) {
      await this.ovnAppctl('exit').catch(() => undefined)
      await waitFor(`${this.name} ovn-controller exit`, () => !controller.isRunning(), { timeoutMs: 30_000 }).catch(
        () => undefined,
      )
    }
    await controller.stop()
    this.#ovnController = undefined
  }

  // -------------------------------------------------------------------------------------------
  // Database dumps

  /**
   * The whole Open_vSwitch database as stable text: tables by name, rows by _uuid, columns by
   * name, sets and maps sorted, one line per row (`Table _uuid {"col":value,...}`). Two dumps are
   * equal exactly when the database content is. Live interfaces change it on their own (see
   * `dumpConfig`).
   */
  async dumpDb(): Promise<string> {
    return canonicalDump(await this.#dumpJson(), () => false)
  }

  /**
   * Like `dumpDb()` but without what changes on its own in a running switch:
   * - `VOLATILE_COLUMNS`: statistics, status, ofport, link state/speed/resets, mtu, mac_in_use,
   *   ifindex, error, datapath_id/version, iface_types/datapath_types, cur_cfg and next_cfg
   *   (sequence numbers: every waiting ovs-vsctl bumps next_cfg, even when it writes nothing new);
   * - `VOLATILE_EXTERNAL_ID_KEYS`: what ovn-controller stamps on its own clock (ovn-nb-cfg,
   *   ovn-nb-cfg-ts, ovn-startup-ts, ovn-installed-ts).
   * Everything else (external_ids, other_config, fail_mode, ports, ...) is kept, so it is the
   * dump for "this call changed nothing" checks, also while ovn-controller runs.
   */
  async dumpConfig(): Promise<string> {
    return canonicalDump(
      await this.#dumpJson(),
      (table, column) => VOLATILE_COLUMNS[table]?.includes(column) === true,
      VOLATILE_EXTERNAL_ID_KEYS,
    )
  }

  async #dumpJson(): Promise<DumpTable[]> {
    const r = await run('ovsdb-client', ['--format=json', 'dump', this.dbRemote, 'Open_vSwitch'], {
      env: this.daemonEnv(),
    })
    return parseJsonDump(r.stdout)
  }

  // -------------------------------------------------------------------------------------------

  /** Stop ovn-controller, ovs-vswitchd, ovsdb-server; delete the namespace and the rundir. Idempotent. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return
    this.#destroyed = true
    await this.#hostAgent?.stop()
    for (const d of [this.#ovnController, this.#vswitchd, this.#ovsdb]) await d?.stop()
    await killNetns(this.netns)
    await removeDir(this.rundir)
    this.#registration.release()
  }
}

// ---------------------------------------------------------------------------------------------
// ovs-vsctl / ovsdb-client JSON helpers

function asMap(v: unknown): Map<string, string> {
  return v instanceof Map ? v : new Map()
}

/** ovs-vsctl ops turning `current[key]` into `value` (nothing when equal). */
function mapKeyOps(
  table: string,
  record: string,
  current: Map<string, string>,
  key: string,
  value: string | undefined,
): string[] {
  if (current.get(key) === value) return []
  if (value === undefined) return ['--', 'remove', table, record, 'external_ids', vsctlQuote(key)]
  return ['--', 'set', table, record, `external_ids:${vsctlQuote(key)}=${vsctlQuote(value)}`]
}

/** Decode one ovs-vsctl --format=json cell: strings, ["map",...] -> Map, ["set",...] -> string[]. */
function decodeVsctlJson(cell: unknown): string | Map<string, string> | string[] {
  if (!Array.isArray(cell)) return String(cell)
  const [tag, body] = cell as [string, unknown]
  if (tag === 'map') return new Map((body as [unknown, unknown][]).map(([k, v]) => [String(k), String(atomText(v))]))
  if (tag === 'set') return (body as unknown[]).map((v) => String(atomText(v)))
  return String(atomText(cell))
}
