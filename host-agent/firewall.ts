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
import { execFile } from 'node:child_process'
import { encapPortsOf, type FirewallPort, portLabel } from '../lib/chassis/encap-ports.js'
import { SAVED_KEY } from '../lib/chassis/keys.js'
import type { ChassisSnapshot } from '../lib/chassis/model.js'
import type { Logger } from '../plugin/log.js'

export interface FirewallKeeper {
  sync(snapshot: ChassisSnapshot): Promise<void>
}

/** Run `firewall-port ACTION PORT PROTO`; rejects with its stderr on a non-zero exit. */
export function runFirewallPort(plugin: string, action: 'open' | 'close', p: FirewallPort): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(plugin, [action, String(p.port), p.protocol], { timeout: 30_000 }, (err, _stdout, stderr) => {
      if (err === null) resolve()
      else reject(new Error(`${plugin} ${action} ${portLabel(p)}: ${stderr.trim() || err.message}`))
    })
  })
}

export class FirewallPortKeeper implements FirewallKeeper {
  readonly #plugin: string
  readonly #log: Logger
  /** What this agent has opened (and not closed) since it started. */
  #open: readonly FirewallPort[] = []
  /** The failures logged last: the same ones are not logged again at every database change. */
  #lastFailures = ''

  constructor(plugin: string, log: Logger) {
    this.#plugin = plugin
    this.#log = log
  }

  get opened(): readonly FirewallPort[] {
    return this.#open
  }

  async sync(snapshot: ChassisSnapshot): Promise<void> {
    const ext = snapshot.ovs.externalIds
    const want = ext.has(SAVED_KEY) ? encapPortsOf(ext) : []
    const key = (p: FirewallPort): string => portLabel(p)
    const have = new Set(this.#open.map(key))
    const wanted = new Set(want.map(key))
    const failures: string[] = []
    const nowOpen: FirewallPort[] = []
    for (const p of want) {
      if (have.has(key(p))) {
        nowOpen.push(p)
        continue
      }
      try {
        await runFirewallPort(this.#plugin, 'open', p)
        nowOpen.push(p)
        this.#log.info('firewall port opened', { port: portLabel(p) })
      } catch (err) {
        failures.push(errorText(err))
      }
    }
    for (const p of this.#open) {
      if (wanted.has(key(p))) continue
      try {
        await runFirewallPort(this.#plugin, 'close', p)
        this.#log.info('firewall port closed', { port: portLabel(p) })
      } catch (err) {
        nowOpen.push(p)
        failures.push(errorText(err))
      }
    }
    this.#open = nowOpen
    const text = failures.join('\n')
    if (text !== this.#lastFailures) for (const f of failures) this.#log.error('firewall-port failed', { error: f })
    this.#lastFailures = text
  }
}
