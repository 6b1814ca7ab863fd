/**
 * fn=verify: judge this chassis (see lib/chassis/verify.ts for the checks). With wait=SECONDS,
 * look again every half second until every check passes or the time is up; the last report is
 * returned either way, with how long it waited.
 */
import { localAddresses, readHostUuid } from '../../lib/chassis/host-facts.js'
import { readSnapshot } from '../../lib/chassis/ovsdb-io.js'
import { probeController } from '../../lib/chassis/controller-probe.js'
import { type PersistedFacts, verifyChassis, type VerifyReport } from '../../lib/chassis/verify.js'
import { readPersisted } from '../../lib/chassis/persisted-config-io.js'
import { PersistedConfigError } from '../../lib/chassis/errors.js'
import type { ChassisVerify } from '../../lib/chassis/replies.js'
import type { PluginContext, PluginFunction } from '../context.js'
import { onlyArgs, seconds } from './args.js'
import { withLocalDb } from './local-db.js'

const MAX_WAIT_S = 600
const POLL_MS = 500

/** Is xapi-ovn's systemd drop-in loaded for ovn-controller? null where there is no systemd. */
async function bootWaitLoaded(): Promise<boolean | null> {
  const { serviceState, serviceOptionsFromEnv, SystemdUnavailableError } = await import('./service.js')
  try {
    return (await serviceState(serviceOptionsFromEnv(process.env))).bootWait
  } catch (e) {
    if (e instanceof SystemdUnavailableError) return null
    return false
  }
}

export async function verifyOnce(ctx: PluginContext, hostUuid: string): Promise<VerifyReport> {
  const snapshot = await withLocalDb(ctx, readSnapshot)
  const controller = await probeController(ctx.paths.ovnRundir)
  const sslMaterial = await import('../../lib/chassis/ssl/index.js')
  const ssl = sslMaterial.inspectSslMaterial(sslMaterial.sslPaths(ctx.paths.ovnEtcDir), ctx.now())
  const { readXapiChain } = await import('../../lib/chassis/firewall-port-io.js')
  return verifyChassis(snapshot, {
    hostUuid,
    localAddresses: localAddresses(),
    controller,
    ssl,
    bootWait: await bootWaitLoaded(),
    firewall: await readXapiChain(),
    persisted: persistedFacts(ctx.paths.stateDir),
  })
}

function persistedFacts(stateDir: string): PersistedFacts {
  try {
    return readPersisted(stateDir) === null ? { state: 'absent' } : { state: 'ok' }
  } catch (err) {
    if (err instanceof PersistedConfigError) return { state: 'invalid', message: err.message }
    throw err
  }
}

/**
 * Judge with `once` until every check passes or `waitS` seconds are up, pausing POLL_MS between
 * looks. Time goes through the context's clock (`now`, `sleep`), so a test drives the loop
 * without waiting.
 */
export async function verifyUntil(
  ctx: Pick<PluginContext, 'now' | 'sleep'>,
  waitS: number,
  once: () => Promise<VerifyReport>,
): Promise<VerifyReport & { readonly waited: number }> {
  const start = ctx.now().getTime()
  for (;;) {
    const report = await once()
    const elapsed = ctx.now().getTime() - start
    const waited = Math.round(elapsed / 100) / 10
    if (report.ok || elapsed >= waitS * 1000) return { ...report, waited }
    await ctx.sleep(POLL_MS)
  }
}

export const verify: PluginFunction = async (args, ctx): Promise<ChassisVerify> => {
  onlyArgs(args, ['wait'])
  const wait = seconds(args, 'wait', MAX_WAIT_S, 0)
  const hostUuid = await readHostUuid(ctx.paths.inventory)
  const { waited, ...report } = await verifyUntil(ctx, wait, () => verifyOnce(ctx, hostUuid))
  return { ...report, hostUuid, waited }
}
