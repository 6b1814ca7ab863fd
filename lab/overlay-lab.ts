/**
 * `OverlayLab`: the whole lab, built the way a user brings OVN to a real pool. Used by the lab
 * CLI (`npm run lab`, lab/cli.ts) and by the end-to-end test, so both prove the same thing.
 *
 * What `OverlayLab.build({ hosts })` does, in order:
 * 1. an underlay switch, an OVN central (3-member RAFT NB and SB + ovn-northd by default) and N
 *    hosts, each with xenbr0 carrying its uplink and management IP 192.0.2.21, .22, ...;
 * 2. a provider gateway on the underlay (198.18.0.1/24): the provider network's router;
 * 3. the XAPI emulator over the hosts, the ovn-chassis plugin (dist/ovn-chassis) installed in
 *    every host's plugins directory, and one VM per host whose guest is a network namespace;
 * 4. as the user, over HTTP with the unmodified xen-api client: the pool driver's `setup`
 *    (network ovn-int with fail mode secure, attached on every host, plugin `configure` with
 *    ovn-remote = every SB member, geneve on the management IP, physnet-mgmt:xenbr0);
 * 5. ovn-controller started on every host, after setup (lab deviation: the lab starts it itself;
 *    on a real host `xapi-ovn service start` does, through systemd, which the lab emulates for
 *    fn=service in lab/emulated-systemd.ts);
 * 6. as the user, over OVN_Northbound (the central's unix sockets: the lab's own addresses are
 *    not reachable from outside its namespaces): logical switches `tenant-a` (198.18.10.0/24,
 *    overlay only) and `provider` (with localnet port `provnet-mgmt` on physnet-mgmt);
 * 7. the VMs started through XAPI (`VM.start_on` its host), then attached with lib/attach: one
 *    call per switch for all VMs (ONE northbound transaction each); device 0 on tenant-a
 *    (198.18.10.11, .12, ...), device 1 on provider (198.18.0.11, .12, ..., addressed inside the
 *    guest like any guest OS would);
 * 8. waits until every port is bound (SB Port_Binding chassis = the VM's host).
 *
 * Two switches, not one: a switch with a localnet port sends traffic between chassis through the
 * physical network, not through Geneve. tenant-a stays pure overlay, so VM-to-VM pings on it
 * prove the tunnels.
 *
 * Everything is registered with the lab's cleanup (lab/cleanup.ts): `destroy()` removes it,
 * and so does the owning process's exit or SIGTERM.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  attachVms,
  detachVms,
  type AttachVmsResult,
  type DetachVmsResult,
  type VmAttachSpec,
} from '../lib/attach/index.js'
import { addLocalnetPort, connectNorthbound, ensureLogicalSwitch, listPorts } from '../lib/nb/index.js'
import type { OvsdbClient } from '../lib/ovsdb/client.js'
import type { IntegrationMode } from '../lib/chassis/keys.js'
import { XapiPool, setup, type SetupResult } from '../lib/pool/index.js'
import { DEFAULT_NETWORK_NAME } from '../lib/pool/ovn-network.js'
import { createEmulatedPool, type EmulatedPool } from '../xapi-emulator/index.js'
import { vifRecord } from '../xapi-emulator/testing.js'
import { SWITCH_KEY } from '../lib/agent/keys.js'
import { LabError, LabUsageError } from './errors.js'
import type { LabHost } from './host.js'
import { createLabPool, type LabPool } from './pool.js'
import { centralNbRemotes } from './hand-chassis.js'
import { ProviderGateway } from './provider-gateway.js'
import { sbPortBindings } from './southbound-view.js'
import { LabVm } from './vm.js'
import { waitFor } from './wait.js'

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const PLUGIN_FILE = join(REPO_ROOT, 'dist', 'ovn-chassis')
export const TENANT_SWITCH = 'tenant-a'
export const TENANT_SUBNET = '198.18.10.0/24'
export const PROVIDER_SWITCH = 'provider'
export const PROVIDER_PORT = 'provnet-mgmt'
export const PHYSNET = 'physnet-mgmt'
export const BRIDGE_MAPPINGS = `${PHYSNET}:xenbr0`
export const DEFAULT_PASSWORD = 'lab-secret'

export interface OverlayLabOptions {
  /** Pool hosts (1..200). */
  readonly hosts: number
  /** RAFT central (default true). */
  readonly clustered?: boolean
  /** root's password on the emulated XAPI (default xapi-ovn-lab). */
  readonly password?: string
  /** Start one VM per host and attach it (default true). */
  readonly vms?: boolean
  /** Progress lines for people. */
  readonly onStep?: (message: string) => void
  /** Deadline of each wait (binding, connection), ms (default 90 s). */
  readonly timeoutMs?: number
  /** setup's integration mode (default xapi-bridge; unmanaged and reconcile are experimental). */
  readonly integrationMode?: IntegrationMode
}

/** A VM of the lab: its XAPI record and its guest namespace. */
export interface LabGuest {
  readonly name: string
  /** XAPI VM ref and uuid. */
  readonly ref: string
  readonly uuid: string
  readonly guest: LabVm
  readonly host: LabHost
  /** Address on tenant-a (no prefix length). */
  readonly tenantIp: string
  /** Address on the provider network (no prefix length). */
  readonly providerIp: string
  /** VIF uuids, filled in by attach. */
  tenantVif: string | null
  providerVif: string | null
}

export class OverlayLab {
  readonly pool: LabPool
  readonly xapi: EmulatedPool
  readonly gateway: ProviderGateway
  readonly password: string
  /** The central's NB unix sockets, every member (what `--nb` takes in the lab). */
  readonly nbRemotes: readonly string[]
  readonly guests: LabGuest[] = []
  readonly timeoutMs: number
  readonly integrationMode: IntegrationMode | undefined
  #session: Promise<XapiPool> | undefined
  #nb: OvsdbClient | undefined
  #setup: SetupResult | undefined
  #onStep: (message: string) => void
  #vmCount = 0
  #destroyed = false

  private constructor(pool: LabPool, xapi: EmulatedPool, gateway: ProviderGateway, options: OverlayLabOptions) {
    this.pool = pool
    this.xapi = xapi
    this.gateway = gateway
    this.password = options.password ?? DEFAULT_PASSWORD
    this.nbRemotes = centralNbRemotes(pool.central)
    this.timeoutMs = options.timeoutMs ?? 90_000
    this.integrationMode = options.integrationMode
    this.#onStep = options.onStep ?? (() => undefined)
  }

  static async build(options: OverlayLabOptions): Promise<OverlayLab> {
    const step = options.onStep ?? (() => undefined)
    const clustered = options.clustered ?? true
    step(
      `underlay, OVN central (${clustered ? '3-member RAFT NB and SB' : 'standalone'} + ovn-northd) and ${options.hosts} host(s) with xenbr0`,
    )
    const pool = await createLabPool({ hosts: options.hosts, clustered })
    let gateway: ProviderGateway | undefined
    let xapi: EmulatedPool | undefined
    let lab: OverlayLab | undefined
    try {
      gateway = await ProviderGateway.create(pool.underlay)
      step(`provider gateway ${gateway.ip} on the underlay`)
      xapi = await createEmulatedPool({
        hosts: pool.hosts,
        password: options.password ?? DEFAULT_PASSWORD,
        managementNetworkUuid: pool.managementNetworkUuid,
        poolName: 'xapi-ovn-lab',
      })
      for (const h of xapi.hosts) await xapi.installPlugin(h.ref, 'ovn-chassis', PLUGIN_FILE)
      step(`XAPI emulator at ${xapi.url}, plugin ovn-chassis installed on every host`)
      lab = new OverlayLab(pool, xapi, gateway, options)
      await lab.#bringUp(options.vms !== false)
      return lab
    } catch (err) {
      if (lab !== undefined) await lab.destroy()
      else {
        await xapi?.close()
        await gateway?.destroy()
        await pool.destroy()
      }
      throw err
    }
  }

  async #bringUp(withVms: boolean): Promise<void> {
    const session = await this.session()
    this.#onStep(
      `xapi-ovn setup over xen-api (${this.xapi.url}): ovn-remote ${this.pool.central.sbRemote}, ${BRIDGE_MAPPINGS}`,
    )
    const result = await setup(session, {
      ovnRemote: this.pool.central.sbRemote,
      bridgeMappings: BRIDGE_MAPPINGS,
      chassisKeys: { 'ovn-bridge-datapath-type': 'netdev' },
      ...(this.integrationMode !== undefined ? { integrationMode: this.integrationMode } : {}),
    })
    this.#setup = result
    const failed = result.hosts.filter((h) => !h.ok)
    if (!result.ok || failed.length > 0) {
      throw new LabError(
        'LAB_SETUP_FAILED',
        `xapi-ovn setup failed on ${failed.map((h) => `${h.host.name}: ${h.ok ? '' : `${h.error.code} ${h.error.message}`}`).join('; ')}`,
      )
    }
    this.#onStep(
      `ovn-controller started on every host (after setup: it adopts ${result.network.network?.bridge ?? 'the OVN bridge'}, no br-int)`,
    )
    // Each host's own daemon, started side by side (on a real pool each host boots its own).
    await Promise.all(
      this.pool.hosts.map((host) => host.startOvnController({ waitConnected: true, timeoutMs: this.timeoutMs })),
    )

    const nb = await this.nb()
    await ensureLogicalSwitch(nb, TENANT_SWITCH, { subnet: TENANT_SUBNET })
    await ensureLogicalSwitch(nb, PROVIDER_SWITCH)
    await addLocalnetPort(nb, PROVIDER_SWITCH, { name: PROVIDER_PORT, networkName: PHYSNET })
    this.#onStep(
      `logical switches ${TENANT_SWITCH} (${TENANT_SUBNET}) and ${PROVIDER_SWITCH} (localnet ${PROVIDER_PORT} on ${PHYSNET})`,
    )
    if (withVms) await this.addGuests(this.pool.hosts)
  }

  /** The user's XAPI session (xen-api over HTTP to the emulator). */
  async session(): Promise<XapiPool> {
    // One connection however many callers ask at once (addGuests starts every VM together); a
    // failed connect is not kept, so the next call tries again.
    if (this.#session === undefined) {
      const connecting = XapiPool.connect({ url: this.xapi.url, password: this.password, transport: 'json-rpc' })
      this.#session = connecting
      connecting.catch(() => {
        if (this.#session === connecting) this.#session = undefined
      })
    }
    return this.#session
  }

  /** The user's OVN_Northbound connection (leader of the NB cluster). */
  async nb(): Promise<OvsdbClient> {
    if (this.#nb === undefined || this.#nb.closed)
      this.#nb = await connectNorthbound(this.nbRemotes, { timeoutMs: 30_000 })
    return this.#nb
  }

  get setupResult(): SetupResult | undefined {
    return this.#setup
  }

  /**
   * One new VM per given host: the guest namespace, the VM record, `VM.start_on` that host,
   * then one attach per switch for all of them (device 0 on tenant-a, device 1 on provider),
   * then wait until every port is bound to its host's chassis.
   */
  async addGuests(hosts: readonly LabHost[]): Promise<LabGuest[]> {
    // Every VM at once (issue 13: the lab's 10 hosts within 8 s); kept in the hosts' order.
    const starts = await Promise.allSettled(hosts.map((host) => this.#newGuest(host)))
    const added = starts.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    this.guests.push(...added)
    for (const r of starts) if (r.status === 'rejected') throw r.reason
    this.#onStep(`VM(s) ${added.map((g) => `${g.name} on ${g.host.name}`).join(', ')} started through XAPI`)
    const tenant = await this.attach(
      TENANT_SWITCH,
      added.map((g) => ({ vm: g.uuid, ips: [g.tenantIp], device: '0' })),
    )
    const provider = await this.attach(
      PROVIDER_SWITCH,
      added.map((g) => ({ vm: g.uuid, ips: [g.providerIp], device: '1' })),
    )
    for (const [i, g] of added.entries()) {
      g.tenantVif = tenant.attachments[i]?.vif.uuid ?? null
      g.providerVif = provider.attachments[i]?.vif.uuid ?? null
    }
    // The guest OS configures its second NIC (XAPI plugs devices; addresses are the guest's).
    await Promise.all(added.map((g) => g.guest.exec('ip', ['addr', 'replace', `${g.providerIp}/24`, 'dev', 'eth1'])))
    this.#onStep(
      `attached: ${added.map((g) => `${g.name} eth0 ${g.tenantIp} (${TENANT_SWITCH}), eth1 ${g.providerIp} (${PROVIDER_SWITCH})`).join('; ')}`,
    )
    await this.waitBound(added)
    this.#onStep(`every port bound to its host's chassis`)
    return added
  }

  /**
   * A new VM running on `host`, attached to nothing yet: its guest namespace (vmN, tenant address
   * 198.18.10.(10+N) on its first NIC), its XAPI record, and `VM.start_on` that host.
   */
  async startGuest(host: LabHost): Promise<LabGuest> {
    const entry = await this.#newGuest(host)
    this.guests.push(entry)
    return entry
  }

  /** startGuest without keeping the guest in `guests`; its number is taken before anything waits. */
  async #newGuest(host: LabHost): Promise<LabGuest> {
    this.#vmCount += 1
    const n = this.#vmCount
    const session = await this.session()
    const name = `vm${n}`
    const tenantIp = `198.18.10.${10 + n}`
    const guest = await LabVm.create({ name, ip: `${tenantIp}/24` })
    try {
      return await this.#startVm(session, host, { n, name, tenantIp, guest })
    } catch (err) {
      // Not in `guests` yet, so destroy() would not find it.
      await guest.destroy()
      throw err
    }
  }

  async #startVm(
    session: XapiPool,
    host: LabHost,
    { n, name, tenantIp, guest }: { n: number; name: string; tenantIp: string; guest: LabVm },
  ): Promise<LabGuest> {
    // auto_poweron (with the pool's, see rebootHost) and affinity: back on its host after a reboot.
    const ref = this.xapi.emulator.addVm({
      name_label: name,
      guest,
      affinity: this.xapi.host(host.uuid).ref,
      other_config: { auto_poweron: 'true' },
    })
    const uuid = (await session.call('VM.get_uuid', ref)) as string
    const entry: LabGuest = {
      name,
      ref,
      uuid,
      guest,
      host,
      tenantIp,
      providerIp: `198.18.0.${10 + n}`,
      tenantVif: null,
      providerVif: null,
    }
    await session.call('VM.start_on', ref, this.xapi.host(host.uuid).ref, false, false)
    return entry
  }

  /**
   * Reboot `host` as XCP-ng 8.3 reboots (xapi-emulator rebootHost + LabHost.reboot): its VMs die,
   * conf.db comes back empty, xapi starts the auto_poweron VMs again (the operator has set the
   * pool's `other_config:auto_poweron=true`, as XCP-ng requires), their plugs re-create the OVN
   * network's bridge; the host agent re-applies the chassis and writes iface-id, ovn-controller
   * starts once the bridge is XAPI's. Nobody calls xapi-ovn. Resolves once the host's guests are
   * bound to its chassis again.
   */
  async rebootHost(host: LabHost): Promise<LabGuest[]> {
    const session = await this.session()
    const [pool] = (await session.call('pool.get_all')) as string[]
    await session.call('pool.remove_from_other_config', pool, 'auto_poweron')
    await session.call('pool.add_to_other_config', pool, 'auto_poweron', 'true')
    const started = new Set(await this.xapi.emulator.rebootHost(this.xapi.host(host.uuid).ref))
    const back = this.guests.filter((g) => started.has(g.ref) && g.host === host)
    // The guest OS configures its second NIC at boot, as it did the first time (addGuests).
    for (const g of back)
      if (g.providerVif !== null) await g.guest.exec('ip', ['addr', 'replace', `${g.providerIp}/24`, 'dev', 'eth1'])
    await host.ovnControllerBooted()
    await this.waitBound(back)
    return back
  }

  /** lib/attach's attachVms with the lab's session and NB connection. */
  async attach(switchName: string, vms: readonly VmAttachSpec[]): Promise<AttachVmsResult> {
    return attachVms(await this.session(), await this.nb(), { switch: switchName, vms })
  }

  /**
   * A plugged VIF on the OVN network whose XAPI fields say what its port is (other_config
   * xapi-ovn-switch, the guest's tenant IP allowed) and no port written: what `xapi-ovn agent`
   * alone turns into a port (lib/agent/plan-desired.ts). Returns the VIF uuid.
   */
  async plugAgentVif(guest: LabGuest, switchName: string): Promise<string> {
    const session = await this.session()
    const network = ((await session.call('network.get_by_name_label', DEFAULT_NETWORK_NAME)) as string[])[0]
    if (network === undefined)
      throw new LabUsageError(`no network ${DEFAULT_NETWORK_NAME}: the lab's setup did not run`)
    const ref = (await session.call(
      'VIF.create',
      vifRecord(network, guest.ref, '0', {
        other_config: { [SWITCH_KEY]: switchName },
        ipv4_allowed: [guest.tenantIp],
      }),
    )) as string
    await session.call('VIF.plug', ref)
    return (await session.call('VIF.get_uuid', ref)) as string
  }

  /** lib/attach's detachVms for these guests (ports, then VIFs). */
  async detach(guests: readonly LabGuest[]): Promise<DetachVmsResult> {
    const result = await detachVms(await this.session(), await this.nb(), { vms: guests.map((g) => g.uuid) })
    for (const g of guests) {
      g.tenantVif = null
      g.providerVif = null
    }
    return result
  }

  /** Wait until every VIF port of these guests is up in NB and bound to its host's chassis in SB. */
  async waitBound(guests: readonly LabGuest[]): Promise<void> {
    const wanted = guests.flatMap((g) =>
      [g.tenantVif, g.providerVif]
        .filter((v): v is string => v !== null)
        .map((vif) => ({ vif, chassis: g.host.uuid, name: g.name })),
    )
    await waitFor(
      `ports of ${guests.map((g) => g.name).join(', ')} bound to their hosts' chassis`,
      async () => {
        const bindings = await sbPortBindings(this.pool.central)
        if (!wanted.every((w) => bindings.get(w.vif)?.chassis === w.chassis)) return false
        const ports = await listPorts(await this.nb())
        return wanted.every((w) => ports.find((p) => p.name === w.vif)?.up === true)
      },
      { timeoutMs: this.timeoutMs },
    )
  }

  /** Bridges of every host that are called br-int (there must be none). */
  async strayBrInt(): Promise<string[]> {
    const found: string[] = []
    for (const h of this.pool.hosts) if ((await h.bridges()).includes('br-int')) found.push(h.name)
    return found
  }

  /** Tear everything down (NB connection, XAPI session and server, guests, gateway, pool). Idempotent. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return
    this.#destroyed = true
    await this.#nb?.close().catch(() => undefined)
    await (await this.#session?.catch(() => undefined))?.close()
    await this.xapi.close()
    for (const g of this.guests) await g.guest.destroy()
    await this.gateway.destroy()
    await this.pool.destroy()
  }
}
