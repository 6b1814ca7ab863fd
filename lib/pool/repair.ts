/**
 * repair: the plugin's fn=repair on every host (README, "The host plugin", `repair`): each host
 * removes what it can by itself (a stray br-int an early ovn-controller made) and says what is
 * left for XAPI or the operator. `dryRun` asks each host what it would do.
 */
import type { XapiPool } from './connection.js'
import { hostInfo, selectHosts } from './plan-setup.js'
import { parseChassisRepair, type ChassisRepair } from './plugin-replies.js'
import type { HostOutcome, PoolInfo } from './results.js'
import { Run, checkConcurrency, poolInfo, type RunOptions } from './run.js'

export interface RepairOptions extends RunOptions {
  readonly dryRun?: boolean
}

export interface RepairResult {
  readonly operation: 'repair'
  readonly pool: PoolInfo
  readonly dryRun: boolean
  readonly hosts: readonly HostOutcome<ChassisRepair>[]
  /** Every host answered and none has anything left that repair cannot mend. */
  readonly ok: boolean
  /** Some host changed (dry run: would change). */
  readonly changed: boolean
}

export async function repair(pool: XapiPool, options: RepairOptions = {}): Promise<RepairResult> {
  const concurrency = checkConcurrency(options.concurrency)
  const dryRun = options.dryRun === true
  const state = await pool.readState()
  const info = poolInfo(pool, state)
  const run = new Run(pool, info, 'repair', options.onProgress)
  const items = selectHosts(state, options.hosts).map((h) => ({ host: hostInfo(state, h) }))
  const args: Record<string, string> = dryRun ? { 'dry-run': 'true' } : {}
  const hosts = await run.eachHost(
    items,
    concurrency,
    async ({ host }) => parseChassisRepair(host.name, await run.plugin(host, 'repair', args)),
    (v) => ({ changed: dryRun ? v.removed.length > 0 : v.changed, passed: null }),
  )
  const ok = hosts.every((h) => h.ok && h.value.left.length === 0)
  const changed = hosts.some((h) => h.ok && (dryRun ? h.value.removed.length > 0 : h.value.changed))
  return { operation: 'repair', pool: info, dryRun, hosts, ok, changed }
}
