/**
 * service: the plugin's fn=service on every host (README, "The host plugin", `service`): look at,
 * start, stop or restart ovn-controller's systemd unit pool-wide, each host's unit state after the
 * action reported as the plugin answers it (checked field by field). A host without systemd, or
 * whose systemctl refused, is that host's failure (OVN_SYSTEMD_UNAVAILABLE, OVN_SERVICE_FAILED)
 * and does not stop the others.
 */
import { InvalidArgumentError } from '../errors.js'
import type { XapiPool } from './connection.js'
import { hostInfo, selectHosts } from './plan-setup.js'
import { parseServiceState, type ServiceState } from './plugin-replies.js'
import type { HostOutcome, PoolInfo } from './results.js'
import { Run, checkConcurrency, poolInfo, type RunOptions } from './run.js'

/** The actions the pool-wide command offers (the plugin also has enable and disable). */
export const POOL_SERVICE_ACTIONS = ['status', 'start', 'stop', 'restart'] as const
export type PoolServiceAction = (typeof POOL_SERVICE_ACTIONS)[number]

export interface PoolServiceOptions extends RunOptions {
  readonly action: PoolServiceAction
  /** start/stop/restart: queue the job and answer at once (the plugin's no-block=true). */
  readonly noBlock?: boolean
}

export interface ServiceResult {
  readonly operation: 'service'
  readonly pool: PoolInfo
  readonly action: PoolServiceAction
  readonly hosts: readonly HostOutcome<ServiceState>[]
  /**
   * Every host answered, and after start or restart (waited for) every unit is active; after stop
   * none is.
   */
  readonly ok: boolean
}

/** Whether a host's unit is where `action` should have left it (status: any state will do). */
export function serviceReached(action: PoolServiceAction, state: ServiceState, noBlock: boolean): boolean {
  if (action === 'status' || noBlock) return true
  return action === 'stop' ? !state.active : state.active
}

export async function service(pool: XapiPool, options: PoolServiceOptions): Promise<ServiceResult> {
  const concurrency = checkConcurrency(options.concurrency)
  const { action } = options
  if (!(POOL_SERVICE_ACTIONS as readonly string[]).includes(action))
    throw new InvalidArgumentError('action', String(action), `expected one of ${POOL_SERVICE_ACTIONS.join(', ')}`)
  const noBlock = options.noBlock === true
  if (noBlock && action === 'status')
    throw new InvalidArgumentError('no-block', 'true', 'only start, stop and restart queue a job')
  const state = await pool.readState()
  const info = poolInfo(pool, state)
  const run = new Run(pool, info, 'service', options.onProgress)
  const items = selectHosts(state, options.hosts).map((h) => ({ host: hostInfo(state, h) }))
  const args: Record<string, string> = { action, ...(noBlock ? { 'no-block': 'true' } : {}) }
  const hosts = await run.eachHost(
    items,
    concurrency,
    async ({ host }) => parseServiceState(host.name, await run.plugin(host, 'service', args)),
    (v) => ({ changed: null, passed: serviceReached(action, v, noBlock) }),
  )
  const ok = hosts.every((h) => h.ok && serviceReached(action, h.value, noBlock))
  return { operation: 'service', pool: info, action, hosts, ok }
}
