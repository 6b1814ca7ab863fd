/**
 * The physical network of a lab pool: one network namespace holding a Linux bridge (`br0`) that
 * every host uplink and the OVN central plug into through veth pairs. It stands for the switch the
 * pool's management NICs are cabled to. Only 192.0.2.0/24 and 198.18.0.0/15 are used on it.
 *
 * Every veth end gets `ethtool -K DEV tx off`: frames reaching ovs-vswitchd's userspace
 * (netdev) datapath through AF_PACKET otherwise carry partial checksums, and TCP through it
 * silently fails.
 *
 * @example
 * ```ts
 * import { Underlay } from './underlay.js'
 * const underlay = await Underlay.create()
 * // plug namespace `ns` in: its end is named eth0 there, the switch end is attached to br0
 * const link = await underlay.attach(ns, 'eth0')
 * await underlay.destroy()
 * ```
 */
import { createNetns, killNetns, killNetnsSync, registerTeardown, type Registration } from './cleanup.js'
import { run } from './exec.js'
import { assertIfaceName, ifaceName, netnsName } from './names.js'

/** Turn TX checksum offload off on a veth end (see module comment). */
export async function disableTxOffload(netns: string, dev: string): Promise<void> {
  await run('ethtool', ['-K', dev, 'tx', 'off'], { netns })
}

export interface UnderlayLink {
  /** The veth end on the underlay bridge (in the underlay namespace). */
  readonly switchPort: string
  /** The namespace the other end lives in. */
  readonly peerNetns: string
  /** The other end's name in `peerNetns`. */
  readonly peerIf: string
}

export interface AttachOptions {
  /** MTU of both veth ends (default 1500). */
  readonly mtu?: number
}

export class Underlay {
  /** The namespace holding the bridge. */
  readonly netns: string
  /** The Linux bridge every link is attached to. */
  readonly bridge = 'br0'
  readonly links: UnderlayLink[] = []
  #registration: Registration
  #destroyed = false

  private constructor(netns: string) {
    this.netns = netns
    this.#registration = registerTeardown(`underlay netns ${netns}`, () => killNetnsSync(netns))
  }

  static async create(): Promise<Underlay> {
    const ns = netnsName('u')
    await createNetns(ns)
    const underlay = new Underlay(ns)
    try {
      await run('ip', ['link', 'add', underlay.bridge, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0'], {
        netns: ns,
      })
      await run('ip', ['link', 'set', underlay.bridge, 'up'], { netns: ns })
    } catch (err) {
      await underlay.destroy()
      throw err
    }
    return underlay
  }

  /**
   * Connect namespace `peerNetns` to the switch: a veth whose end `peerIf` is in `peerNetns` (up,
   * no address) and whose other end is a port of br0. TX offload is off on both ends.
   */
  async attach(peerNetns: string, peerIf: string, opts: AttachOptions = {}): Promise<UnderlayLink> {
    assertIfaceName(peerIf)
    const switchPort = ifaceName('u')
    const mtu = String(opts.mtu ?? 1500)
    await run(
      'ip',
      ['link', 'add', switchPort, 'mtu', mtu, 'type', 'veth', 'peer', 'name', peerIf, 'mtu', mtu, 'netns', peerNetns],
      { netns: this.netns },
    )
    await run('ip', ['link', 'set', switchPort, 'master', this.bridge, 'up'], { netns: this.netns })
    await disableTxOffload(this.netns, switchPort)
    await disableTxOffload(peerNetns, peerIf)
    await run('ip', ['link', 'set', peerIf, 'up'], { netns: peerNetns })
    const link: UnderlayLink = { switchPort, peerNetns, peerIf }
    this.links.push(link)
    return link
  }

  /** Unplug the cable: delete the veth pair (both ends). */
  async detach(link: UnderlayLink): Promise<void> {
    await run('ip', ['link', 'del', link.switchPort], { netns: this.netns, check: false })
    const i = this.links.indexOf(link)
    if (i >= 0) this.links.splice(i, 1)
  }

  /** Take a switch port down/up (a cable pull without losing the device). */
  async setLinkUp(link: UnderlayLink, up: boolean): Promise<void> {
    await run('ip', ['link', 'set', link.switchPort, up ? 'up' : 'down'], { netns: this.netns })
  }

  /** Delete the namespace (and with it every veth pair plugged into it). Idempotent. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return
    this.#destroyed = true
    await killNetns(this.netns)
    this.#registration.release()
  }
}
