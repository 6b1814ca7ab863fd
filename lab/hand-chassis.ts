/**
 * Chassis made by hand, for the lab's tests of OVN itself below xapi-ovn setup (DHCP, IPv6,
 * security groups, routers, Geneve): each host's XAPI bridge `xapi1` of one OVN network, the
 * Open_vSwitch keys configure would write (system-id, ovn-remote on the central's first SB
 * member, Geneve from the management address, ovn-bridge, netdev for the userspace datapath),
 * then ovn-controller connected. Tests of setup itself go through OverlayLab instead.
 */
import { join } from 'node:path'
import { connectNorthbound } from '../lib/nb/index.js'
import type { OvsdbClient } from '../lib/ovsdb/client.js'
import type { OvnCentral } from './central.js'
import type { LabHost } from './host.js'
import type { LabVm } from './vm.js'
import { waitFor } from './wait.js'
import { newUuid } from './names.js'
import { createLabPool, type LabPool } from './pool.js'

export interface HandChassisOptions {
  /** The OVN network's uuid (xs-network-uuids of xapi1). */
  readonly ovnNetwork: string
  readonly central: OvnCentral
  /** More `external_ids:KEY=VALUE` words for this host (ovn-bridge-mappings, ovn-cms-options...). */
  readonly keys?: readonly string[]
  readonly timeoutMs?: number
}

/** Make `host` a chassis on xapi1 and start its ovn-controller (connected to the southbound). */
export async function handChassis(host: LabHost, o: HandChassisOptions): Promise<void> {
  await host.createBridge('xapi1', { networkUuids: [o.ovnNetwork], failMode: 'secure' })
  await host.vsctl(
    'set',
    'Open_vSwitch',
    '.',
    `external_ids:system-id="${host.uuid}"`,
    `external_ids:hostname="${host.name}"`,
    `external_ids:ovn-remote="tcp:${o.central.ips[0] as string}:6642"`,
    'external_ids:ovn-encap-type=geneve',
    `external_ids:ovn-encap-ip="${host.managementIp as string}"`,
    'external_ids:ovn-bridge=xapi1',
    'external_ids:ovn-bridge-datapath-type=netdev',
    ...(o.keys ?? []),
  )
  await host.startOvnController({
    waitConnected: true,
    ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
  })
}

/** Every NB member of the central as a unix remote (what `--nb` takes in the lab). */
export function centralNbRemotes(central: OvnCentral): string[] {
  return central.members.map((m) => `unix:${join(m.dir, 'ovnnb_db.sock')}`)
}

interface AfterHook {
  after(fn: () => unknown): void
}

/**
 * A lab pool of two hand-made chassis and a northbound client, undone after the test: what the
 * DHCP, IPv6 and security-group tests start from.
 */
export async function twoHandChassis(
  t: AfterHook,
): Promise<{ pool: LabPool; hosts: [LabHost, LabHost]; nb: OvsdbClient; ovnNetwork: string }> {
  const pool = await createLabPool({ hosts: 2 })
  t.after(() => pool.destroy())
  const hosts = pool.hosts as [LabHost, LabHost]
  const ovnNetwork = newUuid()
  for (const host of hosts) await handChassis(host, { ovnNetwork, central: pool.central })
  const nb = await connectNorthbound(centralNbRemotes(pool.central), { timeoutMs: 20_000 })
  t.after(() => nb.close())
  return { pool, hosts, nb, ovnNetwork }
}

/**
 * Plug guest `vm`'s VIF (device 0 of domain `domid`, VIF `vifUuid`) on `host`'s xapi1 as
 * xenopsd does, then wait until ovn-controller has installed its flows (Interface
 * external_ids:ovn-installed): the port carries traffic from then on.
 */
export async function plugUntilInstalled(
  host: LabHost,
  o: {
    readonly vm: LabVm
    readonly vifUuid: string
    readonly domid: number
    readonly ovnNetwork: string
    readonly timeoutMs?: number
  },
): Promise<void> {
  const vif = await host.plugVif({
    domid: o.domid,
    devid: 0,
    vifUuid: o.vifUuid,
    vmUuid: o.vm.uuid,
    networkUuid: o.ovnNetwork,
    mac: o.vm.mac,
    bridge: 'xapi1',
    vm: o.vm,
  })
  await waitFor(
    `ovn-installed on ${host.name} ${vif.name}`,
    async () => {
      const v = await host.vsctl('--if-exists', 'get', 'Interface', vif.name, 'external_ids:ovn-installed')
      return v === '"true"' || v === 'true'
    },
    { timeoutMs: o.timeoutMs ?? 90_000 },
  )
}
