/**
 * fn=configure: make this host an OVN chassis on the XAPI bridge named by ovn-bridge.
 * Validates every argument before any I/O (ovn-ssl-key is refused: OVN_SSL_KEY_REFUSED), then,
 * under the chassis lock, checks the SSL certificate (when given) against the private key
 * fn=ssl-request made on this host, reads the local OVSDB, plans, writes the certificate and CA
 * and then the owned Open_vSwitch external_ids keys in one guarded transaction, so ssl: never
 * names files that are not there. dry-run=true writes nothing.
 */
import { parseConfigureArgs } from '../../lib/chassis/configure-args.js'
import { localAddresses, readHostUuid } from '../../lib/chassis/host-facts.js'
import {
  applyBridgeRemovals,
  applyWrite,
  readSnapshot,
  retryOnConcurrentChange,
  WRITE_ATTEMPTS,
} from '../../lib/chassis/ovsdb-io.js'
import { planConfigure } from '../../lib/chassis/plan-configure.js'
import { applyIntegrationBridge } from '../../lib/chassis/agent-writes-io.js'
import {
  bridgeRequestOf,
  type IntegrationBridgePlan,
  planIntegrationBridge,
  planUndoIntegrationBridge,
} from '../../lib/chassis/plan-integration-bridge.js'
import { serializePersisted } from '../../lib/chassis/persisted-config.js'
import { persistedPath, writePersisted } from '../../lib/chassis/persisted-config-io.js'
import { captureFiles, restoreFiles } from '../../lib/fs/atomic-file-io.js'
import type { ChassisChange } from '../../lib/chassis/replies.js'
import type { SslApplyResult, SslSummary } from '../../lib/chassis/ssl/index.js'
import { errorText } from '../../lib/error-text.js'
import type { PluginFunction } from '../context.js'
import { withLock } from '../lock.js'
import { withLocalDb } from './local-db.js'

export interface ConfigureResult extends ChassisChange {
  /** Present when SSL material was given: what it is (never the key) and which files changed. */
  readonly ssl?: {
    readonly summary: SslSummary
    readonly changed: readonly string[]
    readonly restartNeeded: boolean
    readonly warnings: readonly string[]
  }
}

export const configure: PluginFunction = async (args, ctx): Promise<ConfigureResult> => {
  const request = parseConfigureArgs(args)
  // node:crypto and the PEM checks are loaded only when SSL material is given.
  const sslModule = request.ssl === null ? null : await import('../../lib/chassis/ssl/index.js')
  const hostUuid = await readHostUuid(ctx.paths.inventory)
  return withLock(ctx, 'chassis', () => {
    // Under the lock that fn=ssl-request also takes, so the key checked is the key kept.
    const paths = sslModule?.sslPaths(ctx.paths.ovnEtcDir) ?? null
    const sslPlan =
      sslModule === null || paths === null
        ? null
        : sslModule.planSslMaterial(args, paths, ctx.now(), sslModule.readSslFile(paths.privateKey))
    return withLocalDb(ctx, async (db) => {
      const facts = { hostUuid, localAddresses: localAddresses() }
      // Filled by the try that writes the SSL files (an object: TypeScript does not follow a
      // variable assigned inside the callback).
      const applied: { ssl: SslApplyResult | null } = { ssl: null }
      // All or nothing: every file configure may write (the persisted configuration, the SSL
      // material, ovn-controller's options) is captured first and put back if the guarded OVSDB
      // write fails, so a refused configure leaves no new file behind. The persisted file is
      // written before the OVSDB write (the host agent re-applies it after every reboot: conf.db
      // is on tmpfs) and takes the same lock before it re-applies.
      const files = [
        persistedPath(ctx.paths.stateDir),
        ...(sslModule !== null && sslPlan !== null ? sslModule.sslPlanFiles(sslPlan) : []),
      ]
      const before = request.dryRun ? [] : captureFiles(files)
      const next = serializePersisted(args)
      if (!request.dryRun && before[0]?.content !== next) writePersisted(ctx.paths.stateDir, next)
      let plan: Awaited<ReturnType<typeof planConfigure>>
      // The br-int this call made, if any: removed again when the call is refused.
      let madeBridge: IntegrationBridgePlan | null = null
      try {
        // Each try reads afresh and plans again: another writer of external_ids between our read
        // and our write fails the write's wait (OVN_CONCURRENT_CHANGE), see WRITE_ATTEMPTS.
        plan = await retryOnConcurrentChange(
          async (attempt) => {
            // Logged before the read: nothing slow between our read and our write.
            if (attempt > 1) ctx.log.info('configure: trying again after a concurrent change', { attempt })
            let snapshot = await readSnapshot(db)
            // An experimental integration mode's br-int (plan-integration-bridge.ts): XAPI never
            // makes it, and the plan below judges the bridge, which must exist.
            const bridge = request.dryRun ? null : bridgeRequestOf(request)
            const made = bridge === null ? null : planIntegrationBridge(snapshot, bridge)
            if (made !== null) {
              await applyIntegrationBridge(db, made, 'xapi-ovn: configure: integration bridge')
              madeBridge = made
              snapshot = await readSnapshot(db)
            }
            const plan = planConfigure(snapshot, request, facts)
            if (request.dryRun) return plan
            // The SSL files are written once, by the first try whose plan holds: a later try finds them in place.
            if (sslModule !== null && sslPlan !== null && applied.ssl === null)
              applied.ssl = sslModule.applySslPlan(sslPlan)
            if (plan.write !== null) await applyWrite(db, plan.write, 'xapi-ovn: configure')
            return plan
          },
          { attempts: WRITE_ATTEMPTS, sleep: ctx.sleep },
        )
      } catch (err) {
        if (!request.dryRun) restoreFiles(before)
        if (madeBridge !== null) await undoIntegrationBridge(db, madeBridge, ctx)
        throw err
      }
      const ssl = applied.ssl
      if (!request.dryRun && (plan.changed || (ssl?.changed.length ?? 0) > 0))
        ctx.log.info('configured', { changes: plan.changes, sslFiles: ssl?.changed ?? [] })
      const sslResult =
        sslPlan === null
          ? {}
          : { ssl: ssl ?? { summary: sslPlan.summary, changed: [], restartNeeded: false, warnings: [] } }
      return {
        changed: plan.changed || (ssl?.changed.length ?? 0) > 0,
        dryRun: request.dryRun,
        before: plan.before,
        after: plan.after,
        changes: plan.changes,
        ...sslResult,
      }
    })
  })
}

/**
 * A refused configure leaves no br-int it made (no half-configured host): read back, and remove
 * the bridge only while it is still just what we made. A failure here is logged, never thrown
 * over the refusal that brought us here.
 */
async function undoIntegrationBridge(
  db: Parameters<typeof readSnapshot>[0] & Parameters<typeof applyBridgeRemovals>[0],
  made: IntegrationBridgePlan,
  ctx: Parameters<PluginFunction>[1],
): Promise<void> {
  try {
    const undo = planUndoIntegrationBridge(await readSnapshot(db), made)
    if (undo === null) {
      ctx.log.warn('configure refused: the integration bridge it made is in use now and stays', { bridge: made.bridge })
      return
    }
    await applyBridgeRemovals(db, made.ovsUuid, [undo], 'xapi-ovn: configure refused: remove the bridge it made')
  } catch (err) {
    ctx.log.warn('configure refused: could not remove the integration bridge it made', {
      bridge: made.bridge,
      reason: errorText(err),
    })
  }
}
