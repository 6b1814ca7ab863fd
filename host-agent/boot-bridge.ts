/**
 * The host agent's boot one-shot (`xapi-ovn-host-agent --ensure-integration-bridge`, run by
 * xapi-ovn-br-int.service, Type=oneshot, After=openvswitch.service, Before=xapi.service): in an
 * experimental integration mode, make br-int exist before xapi can start a VM on this host.
 *
 * Why a one-shot before xapi and not the agent: conf.db is on tmpfs, so br-int is gone after
 * every boot; an unmanaged network's bridge is never made by XAPI, and xapi's attach_internal
 * refuses to start a VM whose network's bridge is missing (BRIDGE_NOT_AVAILABLE). VMs are started
 * through xapi only (xapi-domains.service's xapi-autostart-vms is After=xapi.service; HA and
 * every client go through xapi): ordered before xapi.service, br-int is there first
 * (docs/platform.md, "What orders br-int before the VMs at boot"). The long-running agent
 * (Type=simple) is "started" as soon as its process runs, which orders nothing.
 *
 * It reads the persisted configuration (the one the agent re-applies; nothing when absent, of
 * the default mode, or unreadable: the agent and verify say why), waits for the local OVSDB
 * (ovsdb-server may still be starting) up to a deadline, and makes the bridge with the same plan
 * and guarded write as configure and the agent (lib/chassis/plan-integration-bridge.ts).
 */
import { applyIntegrationBridge } from '../lib/chassis/agent-writes-io.js'
import { readSnapshot } from '../lib/chassis/ovsdb-io.js'
import { readPersisted } from '../lib/chassis/persisted-config-io.js'
import { bridgeRequestOf, planIntegrationBridge } from '../lib/chassis/plan-integration-bridge.js'
import { backoffMs, type Clock } from '../lib/clock.js'
import { errorText } from '../lib/error-text.js'
import type { Logger } from '../lib/log.js'
import { OvsdbClient } from '../lib/ovsdb/client.js'
import type { PluginPaths } from '../plugin/context.js'

/** How long the one-shot waits for ovsdb-server before it gives up (systemd logs the failure). */
export const BOOT_BRIDGE_DEADLINE_MS = 60_000

export type BootBridgeOutcome = 'made' | 'present' | 'not-needed'

export async function ensureBootBridge(
  paths: PluginPaths,
  log: Logger,
  clock: Clock,
  deadlineMs = BOOT_BRIDGE_DEADLINE_MS,
): Promise<BootBridgeOutcome> {
  let persisted: ReturnType<typeof readPersisted>
  try {
    persisted = readPersisted(paths.stateDir)
  } catch (err) {
    log.warn('persisted chassis configuration unreadable: no integration bridge made', { reason: errorText(err) })
    return 'not-needed'
  }
  const wanted = persisted === null ? null : bridgeRequestOf(persisted.request)
  if (wanted === null) return 'not-needed'
  const until = clock.now() + deadlineMs
  for (let attempt = 0; ; attempt++) {
    let db: OvsdbClient | undefined
    try {
      db = await OvsdbClient.connect(paths.ovsDbRemote, { timeoutMs: 10_000, typedDecode: false })
      const plan = planIntegrationBridge(await readSnapshot(db), wanted)
      if (plan === null) return 'present'
      await applyIntegrationBridge(db, plan, 'xapi-ovn-host-agent: integration bridge at boot')
      log.info(`made the integration bridge ${plan.bridge} before xapi (${wanted.mode} mode, experimental)`, {
        network: wanted.networkUuid,
      })
      return 'made'
    } catch (err) {
      if (clock.now() >= until) throw err
      log.info('waiting for the local OVSDB to make the integration bridge', { reason: errorText(err) })
      await clock.sleep(backoffMs(attempt))
    } finally {
      await db?.close().catch(() => undefined)
    }
  }
}
