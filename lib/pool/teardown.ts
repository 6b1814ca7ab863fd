/**
 * teardown: give back every Open vSwitch key setup set, on every host (the plugin's unconfigure
 * restores the values they had), and destroy the OVN network only when asked and every host is done.
 */
import { InvalidArgumentError } from '../errors.js'
import { ControllerRunningError, OvnNetworkError, XapiRecordError } from './errors.js'
import type { XapiPool } from './connection.js'
import { toFailure } from './failures.js'
import { findNetwork, DEFAULT_NETWORK_NAME } from './ovn-network.js'
import { hostInfo, selectHosts } from './plan-setup.js'
import { parseChassisChange, parseChassisStatus } from './plugin-replies.js'
import type { NetworkRecord } from './records.js'
import type { TeardownHost, TeardownNetwork, TeardownResult } from './results.js'
import { Run, checkConcurrency, networkInfo, poolInfo, type RunOptions } from './run.js'

export interface TeardownOptions extends RunOptions {
  readonly dryRun?: boolean
  /** Also destroy the OVN network (default: leave it). Needs every host. */
  readonly removeNetwork?: boolean
  /**
   * Stop a running ovn-controller first (the plugin's `service action=stop`). Without it a host
   * whose ovn-controller runs is refused (OVN_CONTROLLER_RUNNING), and a dry run says so and is
   * not ok: given back its keys, ovn-controller would make br-int at once.
   */
  readonly stopController?: boolean
}

/**
 * What network.destroy would refuse (xapi-project/xen-api ocaml/xapi/xapi_network.ml `destroy`:
 * NETWORK_CONTAINS_VIF for VIFs currently attached, NETWORK_CONTAINS_PIF for any PIF), or null.
 */
async function destroyRefusal(pool: XapiPool, network: NetworkRecord): Promise<string | null> {
  if (network.pifs.length > 0)
    return `XAPI would refuse (NETWORK_CONTAINS_PIF): ${network.pifs.length} PIF(s) are on it`
  const attached: string[] = []
  for (const ref of network.vifs) {
    const on = await pool.call('VIF.get_currently_attached', ref)
    if (typeof on !== 'boolean') throw new XapiRecordError('VIF', ref, 'currently_attached', 'is not a boolean')
    if (!on) continue
    const uuid = await pool.call('VIF.get_uuid', ref)
    attached.push(typeof uuid === 'string' ? uuid : ref)
  }
  if (attached.length === 0) return null
  return `XAPI would refuse (NETWORK_CONTAINS_VIF): ${attached.length} VIF(s) plugged: ${attached.join(', ')}; unplug them (or xapi-ovn port detach) first`
}

/**
 * Give back, on every host, every Open vSwitch key setup set (the plugin's unconfigure restores
 * the values they had). The network stays unless `removeNetwork`, which needs every host done.
 */
export async function teardown(pool: XapiPool, options: TeardownOptions = {}): Promise<TeardownResult> {
  const concurrency = checkConcurrency(options.concurrency)
  const dryRun = options.dryRun === true
  const removeNetwork = options.removeNetwork === true
  if (removeNetwork && options.hosts !== undefined && options.hosts.length > 0) {
    throw new InvalidArgumentError(
      'remove-network',
      'true',
      'the network can only be removed together with every host, not with a host list',
    )
  }
  const state = await pool.readState()
  const info = poolInfo(pool, state)
  const selector = options.network ?? DEFAULT_NETWORK_NAME
  let network: NetworkRecord | null = null
  try {
    network = findNetwork(state.networks, selector)
  } catch (err) {
    if (removeNetwork || !(err instanceof OvnNetworkError)) throw err
  }
  const run = new Run(pool, info, 'teardown', options.onProgress)
  const items = selectHosts(state, options.hosts).map((h) => ({ host: hostInfo(state, h) }))
  const args: Record<string, string> = dryRun ? { 'dry-run': 'true' } : {}
  const stopController = options.stopController === true
  const hosts = await run.eachHost(
    items,
    concurrency,
    async ({ host }): Promise<TeardownHost> => {
      // ovn-controller first: once its keys are gone it falls back to br-int and makes it.
      const status = parseChassisStatus(host.name, await run.plugin(host, 'status', {}))
      const running = status.controller.running
      let stopped = false
      if (running && !dryRun) {
        if (!stopController)
          throw new ControllerRunningError(host.name, host.uuid, String(status.controller.pid ?? '?'))
        await run.plugin(host, 'service', { action: 'stop' })
        stopped = true
      }
      const change = parseChassisChange(host.name, 'unconfigure', await run.plugin(host, 'unconfigure', args))
      return { ...change, controllerRunning: running, controllerStopped: stopped }
    },
    (v) => ({ changed: v.changed, passed: null }),
  )
  // A dry run whose real run would be refused on a host is not ok either.
  const wouldRefuse = dryRun && !stopController && hosts.some((h) => h.ok && h.value.controllerRunning === true)

  let net: TeardownNetwork
  const shown = network === null ? null : networkInfo(network)
  if (network === null) net = { action: 'absent', network: null, reason: null }
  else if (!removeNetwork) net = { action: 'kept', network: shown, reason: null }
  else if (!hosts.every((h) => h.ok))
    net = {
      action: 'not-destroyed',
      network: shown,
      reason: 'not every host could be torn down: run teardown again once they are back',
    }
  else if (dryRun) {
    const refusal = await destroyRefusal(pool, network)
    net =
      refusal === null
        ? { action: 'would-destroy', network: shown, reason: null }
        : { action: 'not-destroyed', network: shown, reason: refusal }
  } else {
    try {
      await pool.call('network.destroy', network.ref)
      net = { action: 'destroyed', network: shown, reason: null }
      run.emit({
        type: 'network',
        operation: 'teardown',
        pool: info,
        action: 'destroyed',
        nameLabel: network.nameLabel,
        network: shown,
      })
    } catch (err) {
      net = { action: 'not-destroyed', network: shown, reason: toFailure(err).message }
    }
  }
  const ok = hosts.every((h) => h.ok) && net.action !== 'not-destroyed' && !wouldRefuse
  const changed =
    hosts.some((h) => h.ok && h.value.changed) || net.action === 'destroyed' || net.action === 'would-destroy'
  return { operation: 'teardown', pool: info, dryRun, network: net, hosts, ok, changed }
}
