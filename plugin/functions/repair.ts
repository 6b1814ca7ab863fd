/**
 * fn=repair: put right what this host can by itself (a stray br-int an early ovn-controller
 * made, holding nothing but ovn-controller's own ports), and say what only XAPI can (an
 * integration bridge without XAPI's ids: attach the network). See lib/chassis/plan-repair.ts.
 * dry-run=true says what it would do.
 */
import { parseFlag } from '../../lib/chassis/configure-args.js'
import { applyBridgeRemovals, readSnapshot } from '../../lib/chassis/ovsdb-io.js'
import { planRepair } from '../../lib/chassis/plan-repair.js'
import type { ChassisRepair } from '../../lib/chassis/replies.js'
import type { PluginFunction } from '../context.js'
import { withLock } from '../lock.js'
import { onlyArgs } from './args.js'
import { withLocalDb } from './local-db.js'

/** The reply; its type is shared with the pool driver (lib/chassis/replies.ts). */
export type RepairResult = ChassisRepair

export const repair: PluginFunction = async (args, ctx): Promise<RepairResult> => {
  onlyArgs(args, ['dry-run'])
  const dryRun = parseFlag('dry-run', args['dry-run'])
  return withLock(ctx, 'chassis', () =>
    withLocalDb(ctx, async (db) => {
      const snapshot = await readSnapshot(db)
      const plan = planRepair(snapshot)
      if (!dryRun && plan.remove.length > 0) {
        await applyBridgeRemovals(db, snapshot.ovs.uuid, plan.remove, 'xapi-ovn: repair')
        ctx.log.info('repaired', { removed: plan.remove.map((b) => b.name) })
      }
      return {
        changed: !dryRun && plan.remove.length > 0,
        dryRun,
        removed: plan.remove.map(({ name, ports }) => ({ name, ports })),
        left: plan.left,
      }
    }),
  )
}
