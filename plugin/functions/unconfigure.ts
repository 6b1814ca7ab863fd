/**
 * fn=unconfigure: give back every Open_vSwitch external_ids key configure set, with the value it
 * had before, then take out the SSL material configure installed, and close in dom0's firewall
 * the encapsulation ports of the configuration removed (the host agent opened them: xapi's
 * firewall-port plugin, host-agent/firewall.ts). Nothing else is touched.
 */
import { parseFlag } from '../../lib/chassis/configure-args.js'
import { type FirewallPort, isAcceptRule, portLabel, wantedFirewallPorts } from '../../lib/chassis/encap-ports.js'
import { errorText } from '../../lib/error-text.js'
import { applyWrite, readSnapshot, retryOnConcurrentChange, WRITE_ATTEMPTS } from '../../lib/chassis/ovsdb-io.js'
import { removePersisted } from '../../lib/chassis/persisted-config-io.js'
import { planUnconfigure } from '../../lib/chassis/plan-unconfigure.js'
import type { PluginContext, PluginFunction } from '../context.js'
import { withLock } from '../lock.js'
import { onlyArgs } from './args.js'
import type { ConfigureResult } from './configure.js'
import { withLocalDb } from './local-db.js'

export interface UnconfigureResult extends Omit<ConfigureResult, 'ssl'> {
  /** The SSL files removed and whether the ovn-controller options changed. */
  readonly ssl: { readonly removed: readonly string[]; readonly optionsChanged: boolean }
  /** The persisted configuration the host agent re-applies at boot was removed. */
  readonly persistedRemoved: boolean
  /**
   * The encap ports closed in dom0's firewall (`6081/udp`), and the closes that failed, each with
   * why: a missing plugin or a failure does not fail the unconfigure (the keys are already given
   * back), it is reported here; verify's firewall.encap then no longer expects the ports.
   */
  readonly firewall: { readonly closed: readonly string[]; readonly errors: readonly string[] }
}

/**
 * Close each port with firewall-port. The host agent sees the same OVSDB change and closes them
 * too, so a close can lose that race (both find the rule, one deletes it, the other's delete
 * fails): a failed close whose rule is gone all the same counts as closed.
 */
async function closePorts(
  ctx: PluginContext,
  ports: readonly FirewallPort[],
): Promise<{ closed: string[]; errors: string[] }> {
  const closed: string[] = []
  const errors: string[] = []
  if (ports.length === 0) return { closed, errors }
  const io = await import('../../lib/chassis/firewall-port-io.js')
  for (const p of ports) {
    try {
      await io.runFirewallPort(ctx.paths.firewallPort, 'close', p)
      closed.push(portLabel(p))
    } catch (err) {
      const chain = await io.readXapiChain()
      if (chain.available && !chain.rules.some((r) => isAcceptRule(r, p))) closed.push(portLabel(p))
      else errors.push(errorText(err))
    }
  }
  if (errors.length > 0) ctx.log.error('firewall-port close failed', { errors })
  return { closed, errors }
}

export const unconfigure: PluginFunction = async (args, ctx): Promise<UnconfigureResult> => {
  onlyArgs(args, ['dry-run'])
  const dryRun = parseFlag('dry-run', args['dry-run'])
  return withLock(ctx, 'chassis', () =>
    withLocalDb(ctx, async (db) => {
      // As configure: each try reads afresh and plans again (see WRITE_ATTEMPTS).
      let ports: FirewallPort[] = []
      const plan = await retryOnConcurrentChange(
        async () => {
          const snapshot = await readSnapshot(db)
          // Read before the write takes xapi-ovn's record away: the ports of what is removed.
          ports = wantedFirewallPorts(snapshot.ovs.externalIds)
          const plan = planUnconfigure(snapshot)
          if (!dryRun && plan.write !== null) await applyWrite(db, plan.write, 'xapi-ovn: unconfigure')
          return plan
        },
        { attempts: WRITE_ATTEMPTS, sleep: ctx.sleep },
      )
      let ssl: { removed: readonly string[]; optionsChanged: boolean } = { removed: [], optionsChanged: false }
      let persistedRemoved = false
      let firewall: { closed: readonly string[]; errors: readonly string[] } = { closed: [], errors: [] }
      if (!dryRun) {
        // After the keys are gone, so a reboot in between re-applies nothing half.
        persistedRemoved = removePersisted(ctx.paths.stateDir)
        const m = await import('../../lib/chassis/ssl/index.js')
        ssl = m.removeSslMaterial(m.sslPaths(ctx.paths.ovnEtcDir))
        // After the OVSDB write: the tunnels are gone first, then their ports.
        firewall = await closePorts(ctx, ports)
        if (plan.changed || ssl.removed.length > 0 || ssl.optionsChanged)
          ctx.log.info('unconfigured', { changes: plan.changes, sslRemoved: ssl.removed })
      }
      const changed =
        plan.changed || ssl.removed.length > 0 || ssl.optionsChanged || persistedRemoved || firewall.closed.length > 0
      return {
        changed,
        dryRun,
        before: plan.before,
        after: plan.after,
        changes: plan.changes,
        ssl,
        persistedRemoved,
        firewall,
      }
    }),
  )
}
