/**
 * fn=unconfigure: give back every Open_vSwitch external_ids key configure set, with the value it
 * had before, then take out the SSL material configure installed. Nothing else is touched.
 */
import { parseFlag } from '../../lib/chassis/configure-args.js'
import { applyWrite, readSnapshot, retryOnConcurrentChange, WRITE_ATTEMPTS } from '../../lib/chassis/ovsdb-io.js'
import { removePersisted } from '../../lib/chassis/persisted-config-io.js'
import { planUnconfigure } from '../../lib/chassis/plan-unconfigure.js'
import type { PluginFunction } from '../context.js'
import { withLock } from '../lock.js'
import { onlyArgs } from './args.js'
import type { ConfigureResult } from './configure.js'
import { withLocalDb } from './local-db.js'

export interface UnconfigureResult extends Omit<ConfigureResult, 'ssl'> {
  /** The SSL files removed and whether the ovn-controller options changed. */
  readonly ssl: { readonly removed: readonly string[]; readonly optionsChanged: boolean }
  /** The persisted configuration the host agent re-applies at boot was removed. */
  readonly persistedRemoved: boolean
}

export const unconfigure: PluginFunction = async (args, ctx): Promise<UnconfigureResult> => {
  onlyArgs(args, ['dry-run'])
  const dryRun = parseFlag('dry-run', args['dry-run'])
  return withLock(ctx, 'chassis', () =>
    withLocalDb(ctx, async (db) => {
      // As configure: each try reads afresh and plans again (see WRITE_ATTEMPTS).
      const plan = await retryOnConcurrentChange(
        async () => {
          const plan = planUnconfigure(await readSnapshot(db))
          if (!dryRun && plan.write !== null) await applyWrite(db, plan.write, 'xapi-ovn: unconfigure')
          return plan
        },
        { attempts: WRITE_ATTEMPTS, sleep: ctx.sleep },
      )
      let ssl: { removed: readonly string[]; optionsChanged: boolean } = { removed: [], optionsChanged: false }
      let persistedRemoved = false
      if (!dryRun) {
        // After the keys are gone, so a reboot in between re-applies nothing half.
        persistedRemoved = removePersisted(ctx.paths.stateDir)
        const m = await import('../../lib/chassis/ssl/index.js')
        ssl = m.removeSslMaterial(m.sslPaths(ctx.paths.ovnEtcDir))
        if (plan.changed || ssl.removed.length > 0 || ssl.optionsChanged)
          ctx.log.info('unconfigured', { changes: plan.changes, sslRemoved: ssl.removed })
      }
      const changed = plan.changed || ssl.removed.length > 0 || ssl.optionsChanged || persistedRemoved
      return { changed, dryRun, before: plan.before, after: plan.after, changes: plan.changes, ssl, persistedRemoved }
    }),
  )
}
