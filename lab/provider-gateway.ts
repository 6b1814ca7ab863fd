/**
 * `ProviderGateway`: a machine on the physical network itself (not behind any pool host), the
 * lab's stand-in for the router of a provider network. A network namespace cabled straight into
 * the underlay switch with one address (198.18.0.1/24 by default). VMs reach it through an OVN
 * localnet port whose physnet is mapped onto xenbr0 (`ovn-bridge-mappings physnet-mgmt:xenbr0`):
 * VM -> integration bridge -> patch port -> xenbr0 -> uplink -> underlay -> here. No Geneve on
 * that path: it proves the localnet wiring, not the overlay.
 *
 * @example
 * ```ts
 * import { ProviderGateway } from './provider-gateway.js'
 * const gw = await ProviderGateway.create(pool.underlay, { ip: '198.18.0.1/24' })
 * await gw.exec('ping', ['-c1', '198.18.0.11'])
 * await gw.destroy()
 * ```
 */
import { createNetns, killNetns, killNetnsSync, registerTeardown, type Registration } from './cleanup.js'
import { run, type CommandResult, type RunOptions } from './exec.js'
import { netnsName } from './names.js'
import type { Underlay, UnderlayLink } from './underlay.js'

export const DEFAULT_PROVIDER_GATEWAY_IP = '198.18.0.1/24'

export interface ProviderGatewayOptions {
  /** Address with prefix length (default 198.18.0.1/24). */
  readonly ip?: string
}

export class ProviderGateway {
  readonly netns: string
  readonly ip: string
  #link: UnderlayLink | undefined
  #registration: Registration
  #destroyed = false

  private constructor(netns: string, ip: string) {
    this.netns = netns
    this.ip = ip
    this.#registration = registerTeardown(`provider gateway netns ${netns}`, () => killNetnsSync(netns))
  }

  static async create(underlay: Underlay, opts: ProviderGatewayOptions = {}): Promise<ProviderGateway> {
    const ns = netnsName('g')
    await createNetns(ns)
    const gw = new ProviderGateway(ns, opts.ip ?? DEFAULT_PROVIDER_GATEWAY_IP)
    try {
      gw.#link = await underlay.attach(ns, 'eth0')
      await run('ip', ['addr', 'add', gw.ip, 'dev', 'eth0'], { netns: ns })
    } catch (err) {
      await gw.destroy()
      throw err
    }
    return gw
  }

  /** The address without its prefix length. */
  get address(): string {
    return this.ip.split('/')[0] as string
  }

  get link(): UnderlayLink | undefined {
    return this.#link
  }

  exec(file: string, args: readonly string[] = [], opts: RunOptions = {}): Promise<CommandResult> {
    return run(file, args, { ...opts, netns: this.netns })
  }

  /** Delete the namespace (its cable goes with it). Idempotent. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return
    this.#destroyed = true
    await killNetns(this.netns)
    this.#registration.release()
  }
}
