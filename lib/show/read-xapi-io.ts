/**
 * `show`'s XAPI snapshot: pool, hosts, PIFs (with their network's MTU), every VM and VIF, read
 * with get_all_records (seven calls whatever the pool's size, lib/pool/connection.ts readState
 * and the parsers of lib/pool/records.ts), and, unless told not to, each live host's integration
 * bridge ports from the ovn-chassis plugin's `status` (the only place ovn-installed is seen: it
 * is in the host's local OVSDB), `concurrency` hosts at a time. A host whose plugin cannot be
 * asked is recorded with the reason; it does not stop the others.
 */
import { errorText } from '../error-text.js'
import { mapBounded } from '../pool/bounded.js'
import type { XapiPool } from '../pool/connection.js'
import { toFailure } from '../pool/failures.js'
import { DEFAULT_NETWORK_NAME, findNetwork } from '../pool/ovn-network.js'
import { hostInfo } from '../pool/plan-setup.js'
import { PLUGIN, parseChassisStatus } from '../pool/plugin-replies.js'
import { parseAllRecords, parseVif, parseVm } from '../pool/records.js'
import { checkConcurrency } from '../pool/run.js'
import type { HostPortsRead, XapiHost, XapiSnapshot } from './model.js'

export interface ReadXapiOptions {
  /** The OVN network, uuid or name (default ovn-int). */
  readonly network?: string
  /** Ask each host's plugin for its ports (default true). */
  readonly hostPorts?: boolean
  readonly concurrency?: number
}

export async function readXapiSnapshot(pool: XapiPool, options: ReadXapiOptions = {}): Promise<XapiSnapshot> {
  const concurrency = checkConcurrency(options.concurrency)
  const [state, vmRecords, vifRecords] = await Promise.all([
    pool.readState(),
    pool.call('VM.get_all_records'),
    pool.call('VIF.get_all_records'),
  ])
  const net = findNetwork(state.networks, options.network ?? DEFAULT_NETWORK_NAME)
  const hosts = [...state.hosts.values()].map((h) => {
    const info = hostInfo(state, h)
    return { ref: h.ref, uuid: h.uuid, name: info.name, hostname: h.hostname, address: h.address, live: info.live }
  })
  const pifs = [...state.pifs.values()]
    .filter((p) => p.ip !== '' || p.ipv6.length > 0)
    .map((p) => ({
      host: p.host,
      device: p.device,
      ip: p.ip,
      ipv6: p.ipv6.map((a) => a.replace(/\/[0-9]+$/, '')),
      networkMtu: state.networks.get(p.network)?.mtu ?? 1500,
    }))
  const vms = [...parseAllRecords('VM', vmRecords, parseVm).values()].map((v) => ({
    ref: v.ref,
    uuid: v.uuid,
    name: v.nameLabel,
    powerState: v.powerState,
    residentOn: v.residentOn,
    isControlDomain: v.isControlDomain,
    isTemplate: v.isATemplate,
  }))
  const vifs = [...parseAllRecords('VIF', vifRecords, parseVif).values()].map((v) => ({
    ref: v.ref,
    uuid: v.uuid,
    device: v.device,
    network: v.network,
    vm: v.vm,
    mac: v.mac.toLowerCase(),
    currentlyAttached: v.currentlyAttached,
  }))
  let hostPorts: Map<string, HostPortsRead> | null = null
  if (options.hostPorts !== false) {
    const reads = await mapBounded(
      hosts,
      concurrency,
      async (h): Promise<[string, HostPortsRead]> => [h.ref, await readHostPorts(pool, h)],
    )
    hostPorts = new Map(reads)
  }
  return {
    pool: { uuid: state.pool.uuid, name: state.pool.nameLabel, url: pool.url },
    network:
      net === null ? null : { ref: net.ref, uuid: net.uuid, name: net.nameLabel, bridge: net.bridge, mtu: net.mtu },
    hosts,
    pifs,
    vms,
    vifs,
    hostPorts,
  }
}

/** One host's integration bridge ports from its plugin's `status`, or why they could not be read. */
async function readHostPorts(pool: XapiPool, h: XapiHost): Promise<HostPortsRead> {
  if (!h.live) return { ok: false, reason: 'the host is not live' }
  try {
    const status = parseChassisStatus(h.name, await pool.call('host.call_plugin', h.ref, PLUGIN, 'status', {}))
    return {
      ok: true,
      ports: status.ports.map((p) => ({
        name: p.name,
        ifaceId: p.ifaceId,
        vifUuid: p.vifUuid,
        ovnInstalled: p.ovnInstalled,
      })),
    }
  } catch (err) {
    const f = toFailure(err)
    return { ok: false, reason: `${f.code}: ${f.message || errorText(err)}` }
  }
}
