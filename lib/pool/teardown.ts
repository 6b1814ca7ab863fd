/**
 * teardown: give back every Open vSwitch key setup set, on every host (the plugin's unconfigure
 * restores the values they had), and destroy the OVN network only when asked and every host is done.
 */
import { InvalidArgumentError } from '../errors.js'
import { OvnNetworkError } from './errors.js'
import type { XapiPool } from './connection.js'
import { toFailure } from './failures.js'
import { findNetwork, DEFAULT_NETWORK_NAME } from './ovn-network.js'
import { hostInfo, selectHosts } from './plan-setup.js'
import { parseChassisChange, type ChassisChange } from './plugin-replies.js'
import type { NetworkRecord } from './records.js'
import type { TeardownNetwork, TeardownResult } from './results.js'
import { Run, checkConcurrency, networkInfo, poolInfo, type RunOptions } from './run.js'

export interface TeardownOptions extends RunOptions {
  readonly dryRun?: boolean
  /** Also destroy the OVN network (default: leave it). Needs every host. */
  readonly removeNetwork?: boolean
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
  const hosts = await run.eachHost(
    items,
    concurrency,
    async ({ host }): Promise<ChassisChange> =>
      parseChassisChange(host.name, 'unconfigure', await run.plugin(host, 'unconfigure', args)),
    (v) => ({ changed: v.changed, passed: null }),
  )

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
  else if (dryRun)
    net = {
      action: 'would-destroy',
      network: shown,
      reason:
        network.vifs.length > 0 ? `${network.vifs.length} VIF(s) are on it: XAPI refuses while any is plugged` : null,
    }
  else {
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
  const ok = hosts.every((h) => h.ok) && net.action !== 'not-destroyed'
  const changed =
    hosts.some((h) => h.ok && h.value.changed) || net.action === 'destroyed' || net.action === 'would-destroy'
  return { operation: 'teardown', pool: info, dryRun, network: net, hosts, ok, changed }
}
