/**
 * `RouterLab`: a lab pool for routers, SNAT and floating IPs with real traffic. Three hosts on
 * the lab underlay, each a chassis on its XAPI bridge `xapi1` with `physnet-mgmt:xenbr0`
 * mapped; host2 and host3 carry `ovn-cms-options=enable-chassis-as-gw` (what `setup
 * --gateway-hosts` sets), host1 does not. A ProviderGateway (198.18.0.1/24) stands on the
 * provider network. lib/nb makes tenant switch `tenant-a` (198.18.10.0/24), the provider switch
 * with its localnet port, router `r1` attached to tenant-a, and the router's gateway at
 * 198.18.0.200/24 on the provider switch, scheduled on the gateway chassis the southbound reports
 * (lib/nb/gateway-chassis-io.ts): host2 priority 100, host3 90. One VM runs on host1 behind the
 * router (198.18.10.11, default route 198.18.10.1).
 *
 * @example
 * ```ts
 * const lab = await RouterLab.build()
 * await lab.vm.ping(lab.gateway.address)        // SNATed to 198.18.0.200 on the gateway chassis
 * await lab.crashActiveGateway()                // host2's ovn-controller and ovs-vswitchd die
 * await lab.destroy()
 * ```
 */
import { join } from 'node:path'
import {
  addLocalnetPort,
  addLogicalRouter,
  attachPorts,
  attachRouter,
  connectNorthbound,
  ensureLogicalSwitch,
  listGatewayChassis,
  setRouterGateway,
} from '../lib/nb/index.js'
import type { OvsdbClient } from '../lib/ovsdb/client.js'
import { connectSouthbound } from '../lib/show/read-sb-io.js'
import { run } from './exec.js'
import type { LabHost } from './host.js'
import { newUuid } from './names.js'
import { centralNbRemotes, handChassis } from './hand-chassis.js'
import { createLabPool, type LabPool } from './pool.js'
import { ProviderGateway } from './provider-gateway.js'
import { sbPortBindings } from './southbound-view.js'
import { LabVm } from './vm.js'
import { waitFor } from './wait.js'

export const ROUTER = 'r1'
export const TENANT = 'tenant-a'
export const TENANT_NET = '198.18.10.0/24'
export const VM_IP = '198.18.10.11'
export const PROVIDER = 'provider'
export const ROUTER_GATEWAY = '198.18.0.200/24'
export const GATEWAY_PORT_REDIRECT = 'cr-lrp-r1-gw'

// Run by this process's node binary in a namespace: a TCP server answering each connection with
// the address it came from (what the other end's NAT made of it), up to `count` connections.
const PEER_SERVER = `const [addr, port, count] = process.argv.slice(1)
let left = Number(count)
const s = require('net').createServer((c) => { c.end(c.remoteAddress); if (--left === 0) s.close() })
s.listen(Number(port), addr, () => process.stdout.write('listening\\n'))`
const PEER_CLIENT = `const [addr, port, deadline] = process.argv.slice(1)
const net = require('net')
function attempt() {
  const c = net.connect(Number(port), addr)
  let out = ''
  c.on('data', (d) => { out += d })
  c.on('end', () => process.stdout.write(out))
  c.on('error', (e) => { if (Date.now() < Number(deadline)) setTimeout(attempt, 200); else { process.stderr.write(e.message); process.exit(1) } })
}
attempt()`

/** Connect from namespace `client` to `address:port` served from namespace `server`: the source address the server saw. */
export async function sourceSeen(opts: {
  readonly server: string
  readonly listen: string
  readonly client: string
  readonly address: string
  readonly port?: number
  readonly timeoutMs?: number
}): Promise<string> {
  const port = String(opts.port ?? 5002)
  const timeoutMs = opts.timeoutMs ?? 20_000
  const served = run(process.execPath, ['-e', PEER_SERVER, opts.listen, port, '1'], {
    netns: opts.server,
    timeoutMs,
    check: false,
  })
  const client = await run(
    process.execPath,
    ['-e', PEER_CLIENT, opts.address, port, String(Date.now() + timeoutMs / 2)],
    {
      netns: opts.client,
      timeoutMs,
      check: false,
    },
  )
  await served
  return client.ok ? client.stdout.trim().replace(/^::ffff:/, '') : `failed: ${client.stderr.trim()}`
}

export class RouterLab {
  readonly pool: LabPool
  readonly gateway: ProviderGateway
  readonly nb: OvsdbClient
  readonly vm: LabVm
  readonly vifUuid: string
  /** The gateway chassis in priority order (host uuids: the lab's system-ids). */
  readonly gatewayChassis: readonly string[]

  private constructor(
    pool: LabPool,
    gateway: ProviderGateway,
    nb: OvsdbClient,
    vm: LabVm,
    vifUuid: string,
    chassis: readonly string[],
  ) {
    this.pool = pool
    this.gateway = gateway
    this.nb = nb
    this.vm = vm
    this.vifUuid = vifUuid
    this.gatewayChassis = chassis
  }

  static async build(
    options: { readonly onStep?: (m: string) => void; readonly timeoutMs?: number } = {},
  ): Promise<RouterLab> {
    const step = options.onStep ?? (() => undefined)
    const timeoutMs = options.timeoutMs ?? 90_000
    const pool = await createLabPool({ hosts: 3 })
    let gateway: ProviderGateway | undefined
    let nb: OvsdbClient | undefined
    let vm: LabVm | undefined
    try {
      gateway = await ProviderGateway.create(pool.underlay)
      const ovnNetwork = newUuid()
      for (const [i, host] of pool.hosts.entries())
        await handChassis(host, {
          ovnNetwork,
          central: pool.central,
          timeoutMs,
          keys: [
            'external_ids:ovn-bridge-mappings="physnet-mgmt:xenbr0"',
            ...(i > 0 ? ['external_ids:ovn-cms-options=enable-chassis-as-gw'] : []),
          ],
        })
      step('3 chassis; host2 and host3 with ovn-cms-options=enable-chassis-as-gw')
      const member = pool.central.members[0]
      nb = await connectNorthbound(centralNbRemotes(pool.central), { timeoutMs: 20_000 })
      const sb = await connectSouthbound(`unix:${join(member?.dir ?? '', 'ovnsb_db.sock')}`)
      const chassis = await waitFor('both gateway chassis in the southbound', async () => {
        const found = (await listGatewayChassis(sb)).map((c) => c.name)
        return found.length === 2 ? found : undefined
      })
      await sb.close()
      await ensureLogicalSwitch(nb, TENANT, { subnet: TENANT_NET })
      await ensureLogicalSwitch(nb, PROVIDER, { subnet: '198.18.0.0/24' })
      await addLocalnetPort(nb, PROVIDER, { networkName: 'physnet-mgmt' })
      await addLogicalRouter(nb, ROUTER)
      await attachRouter(nb, ROUTER, TENANT)
      await setRouterGateway(nb, ROUTER, { switch: PROVIDER, ip: ROUTER_GATEWAY, chassis })
      step(`router ${ROUTER}: ${TENANT} at 198.18.10.1, gateway ${ROUTER_GATEWAY} on ${chassis.join(' > ')}`)

      vm = await LabVm.create({ name: 'tenant-vm', ip: `${VM_IP}/24` })
      const vifUuid = newUuid()
      await attachPorts(nb, TENANT, [{ vifUuid, mac: vm.mac, ips: [VM_IP] }])
      const host1 = pool.hosts[0] as LabHost
      await host1.plugVif({
        domid: 30,
        devid: 0,
        vifUuid,
        vmUuid: vm.uuid,
        networkUuid: ovnNetwork,
        mac: vm.mac,
        bridge: 'xapi1',
        vm,
      })
      // The guest's default route: the router's address on its subnet (its NIC exists once plugged).
      await vm.exec('ip', ['route', 'add', 'default', 'via', '198.18.10.1'])
      const lab = new RouterLab(pool, gateway, nb, vm, vifUuid, chassis)
      await waitFor(
        'the VM port and the gateway bound',
        async () => {
          const b = await sbPortBindings(pool.central)
          return b.get(vifUuid)?.chassis === host1.uuid && b.get(GATEWAY_PORT_REDIRECT)?.chassis === chassis[0]
        },
        { timeoutMs },
      )
      step(`VM ${VM_IP} on host1; the gateway active on ${chassis[0]}`)
      return lab
    } catch (err) {
      await vm?.destroy()
      await nb?.close().catch(() => undefined)
      await gateway?.destroy()
      await pool.destroy()
      throw err
    }
  }

  /** The chassis the gateway's chassisredirect port is bound on now ('' when none). */
  async activeGateway(): Promise<string> {
    return (await sbPortBindings(this.pool.central)).get(GATEWAY_PORT_REDIRECT)?.chassis ?? ''
  }

  /** The host whose chassis is `name`. */
  host(name: string): LabHost {
    const h = this.pool.hosts.find((x) => x.uuid === name)
    if (h === undefined) throw new Error(`no lab host has chassis ${name}`)
    return h
  }

  /**
   * The active gateway chassis dies: its ovn-controller and ovs-vswitchd are killed (SIGKILL),
   * so its flows, its BFD sessions and its datapath go. (ovn-controller alone dying leaves the
   * flows and BFD in ovs-vswitchd: the gateway keeps forwarding and stays where it is, by OVN's
   * design.) Returns the chassis killed.
   */
  async crashActiveGateway(): Promise<string> {
    const active = await this.activeGateway()
    const host = this.host(active)
    host.ovnController?.kill('SIGKILL')
    host.vswitchd?.kill('SIGKILL')
    return active
  }

  async destroy(): Promise<void> {
    await this.vm.destroy()
    await this.nb.close().catch(() => undefined)
    await this.gateway.destroy()
    await this.pool.destroy()
  }
}
