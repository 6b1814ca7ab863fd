/**
 * status: every host's chassis as its plugin reports it, where setup would put its tunnel, and
 * the VIFs on the OVN network with where the southbound binds their port (sb-bindings-io.ts: the
 * SB Port_Binding's chassis, compared with the host XAPI says) and whether ovn-controller
 * installed it there. Changes nothing.
 */
import { XapiCallError } from './errors.js'
import { mapBounded } from './bounded.js'
import type { PoolState, XapiPool } from './connection.js'
import { toFailure } from './failures.js'
import { findNetwork, DEFAULT_NETWORK_NAME } from './ovn-network.js'
import { hostInfo, selectHosts } from './plan-setup.js'
import { parseChassisStatus, type ChassisStatus } from './plugin-replies.js'
import { parseVif, parseVm, type NetworkRecord } from './records.js'
import type { HostOutcome, StatusHost, StatusResult, StatusVif, TransportInfo } from './results.js'
import { Run, checkConcurrency, networkInfo, poolInfo, transportInfo, type RunOptions } from './run.js'
import {
  chooseTransportPif,
  resolveTransportChoice,
  MANAGEMENT,
  type AddressFamily,
  type TransportChoice,
} from './transport-pif.js'
import { KEY_BRIDGE, KEY_REMOTE } from '../chassis/keys.js'
import { bindingRemotes, readBindings } from './sb-bindings-io.js'
import type { SslOptions } from '../ovsdb/remote.js'

export interface StatusOptions extends RunOptions {
  /** The southbound to read bindings from (default: the chassis' own ovn-remote). */
  readonly southbound?: string
  /** The client credential for an ssl: southbound (without it, an ssl: ovn-remote is not read). */
  readonly southboundSsl?: SslOptions
  /** The transport choice to report per host (default the management PIF). */
  readonly transport?: TransportChoice
  readonly addressFamily?: AddressFamily
}

/** Every host's chassis as its plugin sees it, where setup would put its tunnel, and the VIFs on the OVN network. */
export async function status(pool: XapiPool, options: StatusOptions = {}): Promise<StatusResult> {
  const concurrency = checkConcurrency(options.concurrency)
  const state = await pool.readState()
  const info = poolInfo(pool, state)
  const network = findNetwork(state.networks, options.network ?? DEFAULT_NETWORK_NAME)
  const choice = resolveTransportChoice(options.transport ?? MANAGEMENT, state.networks)
  const run = new Run(pool, info, 'status', options.onProgress)
  const items = selectHosts(state, options.hosts).map((h) => ({ host: hostInfo(state, h), record: h }))
  const hosts = await run.eachHost(
    items,
    concurrency,
    async ({ host, record }): Promise<StatusHost> => {
      const chassis: ChassisStatus = parseChassisStatus(host.name, await run.plugin(host, 'status', {}))
      let transport: TransportInfo | null = null
      let transportProblem: string | null = null
      try {
        transport = transportInfo(
          chooseTransportPif(record, state.pifs.values(), choice, options.addressFamily ?? 'auto'),
        )
      } catch (err) {
        transportProblem = toFailure(err).message
      }
      return {
        chassis,
        transport,
        transportProblem,
        onOvnNetwork: network !== null && chassis.keys[KEY_BRIDGE] === network.bridge,
      }
    },
    () => ({ changed: null, passed: null }),
  )
  const where = bindingRemotes(
    options.southbound,
    hosts.flatMap((h) => (h.ok ? [h.value.chassis.keys[KEY_REMOTE] ?? ''] : [])),
    options.southboundSsl !== undefined,
  )
  let bindings: ReadonlyMap<string, string> | null = null
  let bindingsProblem: string | null = null
  if ('none' in where) bindingsProblem = where.none
  else {
    try {
      bindings = await readBindings(
        where.remotes,
        options.southboundSsl === undefined ? {} : { ssl: options.southboundSsl },
      )
    } catch (err) {
      bindingsProblem = `the southbound at ${where.remotes} could not be read: ${toFailure(err).message}`
    }
  }
  const vifs = network === null ? [] : await readVifs(pool, state, network, hosts, concurrency, bindings)
  return {
    operation: 'status',
    pool: info,
    network: network === null ? null : { ...networkInfo(network), vifs },
    bindingsProblem,
    hosts,
    ok: hosts.every((h) => h.ok),
  }
}

async function readVifs(
  pool: XapiPool,
  state: PoolState,
  network: NetworkRecord,
  hosts: readonly HostOutcome<StatusHost>[],
  concurrency: number,
  bindings: ReadonlyMap<string, string> | null,
): Promise<StatusVif[]> {
  const read = await mapBounded(network.vifs, concurrency, async (ref): Promise<StatusVif | null> => {
    let vif: ReturnType<typeof parseVif>
    let vm: ReturnType<typeof parseVm>
    try {
      vif = parseVif(ref, await pool.call('VIF.get_record', ref))
      vm = parseVm(vif.vm, await pool.call('VM.get_record', vif.vm))
    } catch (err) {
      // Gone between the two reads: nothing to report.
      if (err instanceof XapiCallError && err.xapiCode === 'HANDLE_INVALID') return null
      throw err
    }
    const hostRecord = vm.residentOn === null ? undefined : state.hosts.get(vm.residentOn)
    const outcome = hostRecord === undefined ? undefined : hosts.find((h) => h.host.ref === hostRecord.ref)
    const port =
      outcome?.ok === true
        ? outcome.value.chassis.ports.find((p) => p.vifUuid === vif.uuid || p.ifaceId === vif.uuid)
        : undefined
    return {
      uuid: vif.uuid,
      device: vif.device,
      mac: vif.mac,
      vmUuid: vm.uuid,
      vmName: vm.nameLabel,
      powerState: vm.powerState,
      currentlyAttached: vif.currentlyAttached,
      host: hostRecord === undefined ? null : hostInfo(state, hostRecord).name,
      ovnInstalled: outcome?.ok === true ? port?.ovnInstalled === true : null,
      boundOn: bindings === null ? null : (bindings.get(vif.uuid) ?? ''),
      ovnBound: bindings === null ? null : hostRecord !== undefined && bindings.get(vif.uuid) === hostRecord.uuid,
    }
  })
  return read.filter((v): v is StatusVif => v !== null)
}
