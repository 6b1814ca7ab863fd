/**
 * fn=configure: make this host an OVN chassis on the XAPI bridge named by ovn-bridge.
 * Validates every argument before any I/O, then reads the local OVSDB, plans, and writes the
 * owned Open_vSwitch external_ids keys in one guarded transaction (unless dry-run=true).
 */
import { parseConfigureArgs } from '../../lib/chassis/configure-args.js'
import { localAddresses, readHostUuid } from '../../lib/chassis/host-facts.js'
import { applyWrite, readSnapshot } from '../../lib/chassis/ovsdb-io.js'
import { planConfigure, type KeyValues } from '../../lib/chassis/plan-configure.js'
import type { KeyChange } from '../../lib/chassis/external-ids-write.js'
import type { PluginFunction } from '../context.js'
import { withLock } from '../lock.js'
import { withLocalDb } from './local-db.js'

export interface ConfigureResult {
  readonly changed: boolean
  readonly dryRun: boolean
  readonly before: KeyValues
  readonly after: KeyValues
  readonly changes: readonly KeyChange[]
}

export const configure: PluginFunction = async (args, ctx): Promise<ConfigureResult> => {
  const request = parseConfigureArgs(args)
  const hostUuid = await readHostUuid(ctx.paths.inventory)
  return withLock(ctx, 'chassis', () =>
    withLocalDb(ctx, async (db) => {
      const snapshot = await readSnapshot(db)
      const plan = planConfigure(snapshot, request, { hostUuid, localAddresses: localAddresses() })
      if (!request.dryRun && plan.write !== null) {
        await applyWrite(db, plan.write, 'xapi-ovn: configure')
        ctx.log.info('configured', { changes: plan.changes })
      }
      return { changed: plan.changed, dryRun: request.dryRun, before: plan.before, after: plan.after, changes: plan.changes }
    }),
  )
}
