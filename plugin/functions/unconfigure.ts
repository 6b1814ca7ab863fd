/**
 * fn=unconfigure: give back every Open_vSwitch external_ids key configure set, with the value it
 * had before, and nothing else.
 */
import { parseFlag } from '../../lib/chassis/configure-args.js'
import { applyWrite, readSnapshot } from '../../lib/chassis/ovsdb-io.js'
import { planUnconfigure } from '../../lib/chassis/plan-unconfigure.js'
import type { PluginFunction } from '../context.js'
import { withLock } from '../lock.js'
import { onlyArgs } from './args.js'
import type { ConfigureResult } from './configure.js'
import { withLocalDb } from './local-db.js'

export const unconfigure: PluginFunction = async (args, ctx): Promise<ConfigureResult> => {
  onlyArgs(args, ['dry-run'])
  const dryRun = parseFlag('dry-run', args['dry-run'])
  return withLock(ctx, 'chassis', () =>
    withLocalDb(ctx, async (db) => {
      const plan = planUnconfigure(await readSnapshot(db))
      if (!dryRun && plan.write !== null) {
        await applyWrite(db, plan.write, 'xapi-ovn: unconfigure')
        ctx.log.info('unconfigured', { changes: plan.changes })
      }
      return { changed: plan.changed, dryRun, before: plan.before, after: plan.after, changes: plan.changes }
    }),
  )
}
