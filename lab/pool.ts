/**
 * `createLabPool`: the usual lab topology in one call. An underlay switch, an OVN central on it
 * (standalone on 192.0.2.10, or a 3-member RAFT cluster on 192.0.2.10-12), and N hosts, each with
 * `xenbr0` (the management network, created like xcp-networkd) cabled to the underlay, with
 * management IP 192.0.2.21, .22, ... /24 on xenbr0's internal port.
 *
 * No XAPI here and no OVN configuration on the hosts: the XAPI emulator and the plugin build on
 * this. `destroy()` tears down hosts, central and underlay (idempotent); everything is also
 * registered with cleanup.ts, so a crashed test still leaves nothing behind.
 *
 * @example
 * ```ts
 * import { createLabPool } from './pool.js'
 * const pool = await createLabPool({ hosts: 2, clustered: false })
 * t.after(() => pool.destroy())
 * const [a, b] = pool.hosts
 * await a.exec('ping', ['-c1', b.managementIp!])
 * await pool.central.nbctl('ls-add', 'net1')
 * ```
 */
import { OvnCentral } from './central.js'
import { LabUsageError } from './errors.js'
import { LabHost } from './host.js'
import { newUuid } from './names.js'
import { Underlay } from './underlay.js'

export interface LabPoolOptions {
  /** Number of hosts (1..200). */
  readonly hosts: number
  /** A 3-member RAFT central instead of a standalone one (default false). */
  readonly clustered?: boolean
  /**
   * Start xapi-ovn's host agent on every host, as systemd does on a host with our RPM (default
   * true): on XCP-ng 8.3 nothing else writes iface-id, so without it no VIF binds.
   */
  readonly hostAgent?: boolean
  /** XAPI uuid of the management network on xenbr0 (default random). */
  readonly managementNetworkUuid?: string
}

export interface LabPool {
  readonly underlay: Underlay
  readonly central: OvnCentral
  readonly hosts: readonly LabHost[]
  /** The network uuid recorded in xenbr0's `xs-network-uuids` on every host. */
  readonly managementNetworkUuid: string
  /** Tear everything down (hosts, central, underlay). Idempotent. */
  destroy(): Promise<void>
}

/** Management address of host `index` (0-based): 192.0.2.21, .22, ... */
export function managementIp(index: number): string {
  return `192.0.2.${21 + index}`
}

export async function createLabPool(opts: LabPoolOptions): Promise<LabPool> {
  if (!Number.isInteger(opts.hosts) || opts.hosts < 1 || opts.hosts > 200)
    throw new LabUsageError(`hosts must be 1..200, got ${opts.hosts}`)
  const managementNetworkUuid = opts.managementNetworkUuid ?? newUuid()
  const hosts: LabHost[] = []
  let underlay: Underlay | undefined
  let central: OvnCentral | undefined
  let destroyed = false
  const destroy = async (): Promise<void> => {
    if (destroyed) return
    destroyed = true
    for (const h of [...hosts].reverse()) await h.destroy()
    await central?.destroy()
    await underlay?.destroy()
  }
  try {
    underlay = await Underlay.create()
    const cable = underlay
    // The central and every host are independent of each other until setup, so they are made at
    // once: most of a host's start is waiting for its daemons (issue 13: 10 hosts took 3 s one
    // after the other). Each host is kept, in order, as soon as it exists, so that a failure
    // anywhere destroys everything made so far, once every start has settled.
    const made: (LabHost | undefined)[] = Array.from({ length: opts.hosts }, () => undefined)
    const [centralStart, ...hostStarts] = await Promise.allSettled([
      OvnCentral.create({ underlay: cable, clustered: opts.clustered === true }),
      ...made.map(async (_, i) => {
        const host = await LabHost.create({ name: `host${i + 1}` })
        made[i] = host
        await host.createBridge('xenbr0', { networkUuids: [managementNetworkUuid] })
        await host.addUplink('xenbr0', cable, { ip: `${managementIp(i)}/24` })
        if (opts.hostAgent !== false) host.startHostAgent()
      }),
    ])
    if (centralStart.status === 'fulfilled') central = centralStart.value
    for (const h of made) if (h !== undefined) hosts.push(h)
    for (const r of hostStarts) if (r.status === 'rejected') throw r.reason
    if (centralStart.status === 'rejected') throw centralStart.reason
    return { underlay, central: centralStart.value, hosts, managementNetworkUuid, destroy }
  } catch (err) {
    await destroy()
    throw err
  }
}
