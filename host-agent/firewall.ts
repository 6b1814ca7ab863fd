/**
 * Keeps the encapsulation ports (lib/chassis/encap-ports.ts) open in dom0's firewall through
 * xapi's own plugin, `/etc/xapi.d/plugins/firewall-port {open|close} PORT PROTO`
 * (xapi-project/xen-api scripts/plugins/firewall-port): it inserts a conntrack NEW ACCEPT rule in
 * `xapi-INPUT` and saves the rules, and `open` does nothing when the rule is already there.
 * Using xapi's plugin rather than our own iptables calls keeps one owner of dom0's rules and
 * their saved copy.
 *
 * Opened when the chassis is configured (its encap types), closed when a type is no longer
 * configured; unconfigure (the plugin) closes them too. The plugin is run only when the wanted
 * set changes, not on every database event.
 */
import { errorText } from '../lib/error-text.js'
import { type FirewallPort, portLabel, wantedFirewallPorts } from '../lib/chassis/encap-ports.js'
import { runFirewallPort } from '../lib/chassis/firewall-port-io.js'
import type { ChassisSnapshot } from '../lib/chassis/model.js'
import type { Logger } from '../lib/log.js'

export interface FirewallKeeper {
  sync(snapshot: ChassisSnapshot): Promise<void>
}

export class FirewallPortKeeper implements FirewallKeeper {
  readonly #plugin: string
  readonly #log: Logger
  /** What this agent has opened (and not closed) since it started. */
  #open: readonly FirewallPort[] = []
  /** The failures logged last: the same ones are not logged again at every database change. */
  #lastFailures = ''
  /**
   * Closes that failed, tried again on the next sync. Not counted as open: a close can fail
   * because the rule is already gone (unconfigure closes the same ports on the same OVSDB change,
   * and xapi's firewall-port checks then deletes, so one of two racing closes fails), and a port
   * wanted again must then be opened for real, not skipped as "still open".
   */
  #closing: readonly FirewallPort[] = []

  constructor(plugin: string, log: Logger) {
    this.#plugin = plugin
    this.#log = log
  }

  get opened(): readonly FirewallPort[] {
    return this.#open
  }

  async sync(snapshot: ChassisSnapshot): Promise<void> {
    const want = wantedFirewallPorts(snapshot.ovs.externalIds)
    const key = (p: FirewallPort): string => portLabel(p)
    const have = new Set(this.#open.map(key))
    const wanted = new Set(want.map(key))
    const failures: string[] = []
    const nowOpen: FirewallPort[] = []
    const nowClosing: FirewallPort[] = []
    for (const p of want) {
      if (have.has(key(p))) {
        nowOpen.push(p)
        continue
      }
      try {
        // Idempotent: firewall-port inserts nothing when the rule is there (iptables -C).
        await runFirewallPort(this.#plugin, 'open', p)
        nowOpen.push(p)
        this.#log.info('firewall port opened', { port: portLabel(p) })
      } catch (err) {
        failures.push(errorText(err))
      }
    }
    const toClose = [...this.#open, ...this.#closing.filter((c) => !have.has(key(c)))]
    for (const p of toClose) {
      if (wanted.has(key(p))) continue
      try {
        await runFirewallPort(this.#plugin, 'close', p)
        this.#log.info('firewall port closed', { port: portLabel(p) })
      } catch (err) {
        nowClosing.push(p)
        failures.push(errorText(err))
      }
    }
    this.#open = nowOpen
    this.#closing = nowClosing
    const text = failures.join('\n')
    if (text !== this.#lastFailures) for (const f of failures) this.#log.error('firewall-port failed', { error: f })
    this.#lastFailures = text
  }
}
