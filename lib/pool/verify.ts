/**
 * verify: the plugin's checks on every host (each may wait for them to pass), plus the OVN
 * network's own checks (it exists, its bridge is fail-mode secure).
 */
import type { Check } from '../chassis/verify.js'
import { OvnNetworkError } from './errors.js'
import type { PoolState, XapiPool } from './connection.js'
import { findNetwork, hasSecureFailMode, DEFAULT_NETWORK_NAME, FAIL_MODE_KEY } from './ovn-network.js'
import { hostInfo, selectHosts } from './plan-setup.js'
import { parseChassisVerify } from './plugin-replies.js'
import type { NetworkRecord } from './records.js'
import type { VerifyResult } from './results.js'
import { Run, checkConcurrency, checkWait, networkInfo, poolInfo, type RunOptions } from './run.js'

export interface VerifyOptions extends RunOptions {
  /** Seconds each host may wait for its checks to pass (0-600, default 0). */
  readonly wait?: number
}

function networkChecks(state: PoolState, selector: string): { network: NetworkRecord | null; checks: Check[] } {
  let network: NetworkRecord | null
  try {
    network = findNetwork(state.networks, selector)
  } catch (err) {
    if (!(err instanceof OvnNetworkError)) throw err
    return {
      network: null,
      checks: [
        {
          id: 'network.usable',
          status: 'fail',
          message: err.message,
          hint: 'name the OVN network by uuid with --network, or run xapi-ovn setup',
        },
      ],
    }
  }
  if (network === null) {
    return {
      network,
      checks: [
        {
          id: 'network.exists',
          status: 'fail',
          message: `no network named ${selector} in this pool`,
          hint: 'run xapi-ovn setup (it creates the network), or name it with --network',
        },
      ],
    }
  }
  const checks: Check[] = [
    {
      id: 'network.exists',
      status: 'pass',
      message: `network ${network.nameLabel} (${network.uuid}) has bridge ${network.bridge} and no PIF`,
      hint: null,
    },
  ]
  checks.push(
    network.managed === false
      ? {
          // An unmanaged network (the unmanaged integration mode): XAPI never makes its bridge, so
          // its fail mode is not XAPI's to apply; the host agent makes br-int secure.
          id: 'network.fail-mode',
          status: 'pass',
          message: `unmanaged network on ${network.bridge}: XAPI never makes the bridge; the host agent makes it fail_mode=secure`,
          hint: null,
        }
      : hasSecureFailMode(network)
        ? { id: 'network.fail-mode', status: 'pass', message: `other_config ${FAIL_MODE_KEY}=secure`, hint: null }
        : {
            id: 'network.fail-mode',
            status: 'fail',
            message: `other_config ${FAIL_MODE_KEY} is ${network.otherConfig[FAIL_MODE_KEY] ?? 'absent'}: XAPI creates the bridge in standalone mode, flooding until ovn-controller takes it`,
            hint: `run xapi-ovn setup again: it sets other_config ${FAIL_MODE_KEY}=secure on the network`,
          },
  )
  return { network, checks }
}

/** Run the plugin's checks on every host (waiting up to `wait` seconds each), plus the network's. */
export async function verify(pool: XapiPool, options: VerifyOptions = {}): Promise<VerifyResult> {
  const concurrency = checkConcurrency(options.concurrency)
  const wait = checkWait(options.wait)
  const state = await pool.readState()
  const info = poolInfo(pool, state)
  const { network, checks } = networkChecks(state, options.network ?? DEFAULT_NETWORK_NAME)
  const run = new Run(pool, info, 'verify', options.onProgress)
  const items = selectHosts(state, options.hosts).map((h) => ({ host: hostInfo(state, h) }))
  const args: Record<string, string> = wait > 0 ? { wait: String(wait) } : {}
  const hosts = await run.eachHost(
    items,
    concurrency,
    async ({ host }) => parseChassisVerify(host.name, await run.plugin(host, 'verify', args)),
    (v) => ({ changed: null, passed: v.ok }),
  )
  const ok = checks.every((c) => c.status !== 'fail') && hosts.every((h) => h.ok && h.value.ok)
  return { operation: 'verify', pool: info, network: network === null ? null : networkInfo(network), checks, hosts, ok }
}
