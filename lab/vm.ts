/**
 * `LabVm`: a guest, emulated by a network namespace. A host's `plugVif({ vm, ... })` moves the
 * guest end of the VIF's veth pair into this namespace as `eth<devid>` and configures it (MAC,
 * IP, MTU), the way a PV guest sees its netfront device.
 *
 * The default MTU of guest NICs is 1400: traffic between hosts goes through Geneve (58 bytes of
 * outer headers with OVN's options) over a 1500-byte underlay, and the userspace datapath drops
 * oversized encapsulated frames silently rather than fragmenting them.
 *
 * @example
 * ```ts
 * import { LabVm } from './vm.js'
 * const vm = await LabVm.create({ ip: '198.18.10.1/24' })
 * await hostA.plugVif({ domid: 1, devid: 0, vm, vifUuid, vmUuid: vm.uuid, networkUuid, bridge: 'xapi1' })
 * const answered = await vm.ping('198.18.10.2')  // true when replies came back
 * // bulk TCP through the overlay (what breaks first when offload or MTU is wrong):
 * const received = await tcpTransfer({ client: vm, server: other, address: '198.18.10.2', bytes: 1_000_000 })
 * await vm.destroy()
 * ```
 */
import { createNetns, killNetns, killNetnsSync, registerTeardown, type Registration } from './cleanup.js'
import { run, type CommandResult, type RunOptions } from './exec.js'
import { netnsName, newMac, newUuid } from './names.js'
import { LabError } from './errors.js'

/** MTU given to guest NICs unless told otherwise (see module comment). */
export const DEFAULT_GUEST_MTU = 1400

export interface LabVmOptions {
  /** Label for messages (default vm<n>). */
  readonly name?: string
  /** The VM uuid (default random). */
  readonly uuid?: string
  /** Address with prefix length for its first NIC (devid 0), e.g. '198.18.10.1/24'. */
  readonly ip?: string
  /** MAC of its first NIC (default random, locally administered). */
  readonly mac?: string
  /** MTU of its NICs (default DEFAULT_GUEST_MTU). */
  readonly mtu?: number
}

export interface PingOptions {
  /** Echo requests to send (default 3); true when at least one reply came back. */
  readonly count?: number
  /** Seconds to wait for each reply (default 2). */
  readonly waitS?: number
  /** Payload size in bytes (ping -s). */
  readonly size?: number
  /** Set the don't-fragment bit (ping -M do), to test MTU. */
  readonly dontFragment?: boolean
  /**
   * Keep sending (every 0.2 s) until `count` replies came back or this many seconds passed
   * (ping -w): "answers within", without a whole -W wait after a request lost while flows settle.
   */
  readonly deadlineS?: number
}

let vmCounter = 0

export class LabVm {
  readonly name: string
  readonly uuid: string
  readonly netns: string
  readonly ip: string | undefined
  readonly mac: string
  readonly mtu: number
  #registration: Registration
  #destroyed = false

  private constructor(opts: LabVmOptions, netns: string) {
    vmCounter += 1
    this.name = opts.name ?? `vm${vmCounter}`
    this.uuid = opts.uuid ?? newUuid()
    this.netns = netns
    this.ip = opts.ip
    this.mac = opts.mac ?? newMac()
    this.mtu = opts.mtu ?? DEFAULT_GUEST_MTU
    this.#registration = registerTeardown(`vm ${this.name} netns ${netns}`, () => killNetnsSync(netns))
  }

  static async create(opts: LabVmOptions = {}): Promise<LabVm> {
    const ns = netnsName('v')
    await createNetns(ns)
    return new LabVm(opts, ns)
  }

  /** The address without its prefix length (undefined when the VM has none). */
  get address(): string | undefined {
    return this.ip?.split('/')[0]
  }

  /**
   * Configure a NIC that just arrived in this namespace (called by LabHost.plugVif): MAC, MTU,
   * TX offload off, address (`ip` or, for devid 0, the VM's own), link up.
   */
  async configureNic(
    dev: string,
    opts: { mac: string; ip?: string | undefined; mtu?: number | undefined },
  ): Promise<void> {
    await run('ip', ['link', 'set', dev, 'address', opts.mac, 'mtu', String(opts.mtu ?? this.mtu)], {
      netns: this.netns,
    })
    await run('ethtool', ['-K', dev, 'tx', 'off'], { netns: this.netns })
    if (opts.ip !== undefined) await run('ip', ['addr', 'add', opts.ip, 'dev', dev], { netns: this.netns })
    await run('ip', ['link', 'set', dev, 'up'], { netns: this.netns })
  }

  /**
   * After a live migration the guest's netfront reconnects to the destination's backend
   * (LabHost.resumeIncomingVif): the old `eth<devid>` (the source's device, which the source
   * removes later) loses its address, goes down and is renamed `eth<devid>o`; `staged` (the
   * destination's end) becomes `eth<devid>` with the same MAC, address and MTU (and no IPv6:
   * see below); then one gratuitous ARP (`arping -U`, iputils-arping), as Linux netfront announces itself
   * (docs/platform.md, "Live migration (VM.pool_migrate)"). Returns the NIC's name.
   */
  async adoptNic(
    staged: string,
    devid: number,
    opts: { mac: string; ip?: string | undefined; mtu?: number | undefined },
  ): Promise<string> {
    const dev = `eth${devid}`
    const old = `eth${devid}o`
    const ns = { netns: this.netns }
    if ((await run('ip', ['link', 'show', dev], { ...ns, check: false })).ok) {
      await run('ip', ['addr', 'flush', 'dev', dev], ns)
      await run('ip', ['link', 'set', dev, 'down'], ns)
      await run('ip', ['link', 'set', dev, 'name', old], ns)
    }
    await run('ip', ['link', 'set', staged, 'name', dev], ns)
    // A real netfront's link does not flap on resume, so the GARP is all it sends. A Linux link
    // coming up here would also send IPv6 DAD and MLD from the guest's MAC, which teaches every
    // switch the new port by itself and would hide a missing announcement: no IPv6 on it.
    await run('sysctl', ['-q', '-w', `net.ipv6.conf.${dev}.disable_ipv6=1`], ns)
    await this.configureNic(dev, opts)
    const address = opts.ip?.split('/')[0]
    if (address !== undefined) await run('arping', ['-q', '-U', '-c', '1', '-I', dev, address], ns)
    return dev
  }

  /** Run a command inside the VM. */
  exec(file: string, args: readonly string[] = [], opts: RunOptions = {}): Promise<CommandResult> {
    return run(file, args, { ...opts, netns: this.netns })
  }

  /** Ping `ip` from the VM; true when at least one reply came back. Never throws for "no reply". */
  async ping(ip: string, opts: PingOptions = {}): Promise<boolean> {
    const count = opts.count ?? 3
    const waitS = opts.waitS ?? 2
    const args = ['-n', '-q', '-c', String(count), '-W', String(waitS), '-i', '0.2']
    if (opts.deadlineS !== undefined) args.push('-w', String(opts.deadlineS))
    if (opts.size !== undefined) args.push('-s', String(opts.size))
    if (opts.dontFragment === true) args.push('-M', 'do')
    const r = await run('ping', [...args, ip], {
      netns: this.netns,
      check: false,
      timeoutMs: ((opts.deadlineS ?? count * waitS) + 10) * 1000,
    })
    return r.ok
  }

  /** Delete the namespace (the guest ends of its VIFs go with it). Idempotent. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return
    this.#destroyed = true
    await killNetns(this.netns)
    this.#registration.release()
  }
}

export interface TcpTransferOptions {
  readonly client: LabVm
  readonly server: LabVm
  /** The server's address as the client reaches it. */
  readonly address: string
  /** Bytes the client sends (default 1 MB). */
  readonly bytes?: number
  readonly port?: number
  /** Give up after this long (default 20 s). */
  readonly timeoutMs?: number
}

// Scripts run by this process's node binary inside the VMs; their parameters come in argv.
const TCP_SERVER = `const [addr, port] = process.argv.slice(1)
const s = require('net').createServer((c) => {
  let n = 0
  c.on('data', (d) => { n += d.length })
  c.on('end', () => { c.end(String(n)); s.close() })
  c.on('error', () => s.close())
})
s.listen(Number(port), addr)`
const TCP_CLIENT = `const [addr, port, bytes, deadline] = process.argv.slice(1)
const net = require('net')
function attempt() {
  const c = net.connect(Number(port), addr, () => c.end(Buffer.alloc(Number(bytes), 120)))
  let out = ''
  c.on('data', (d) => { out += d })
  c.on('end', () => { process.stdout.write(out) })
  c.on('error', (e) => {
    if (e.code === 'ECONNREFUSED' && Date.now() < Number(deadline)) setTimeout(attempt, 100)
    else { process.stderr.write(e.message); process.exit(1) }
  })
}
attempt()`

/**
 * Send `bytes` over one TCP connection from `client` to a one-shot server in `server`, and
 * resolve with the byte count the server received (it answers it before closing). Rejects when
 * the transfer does not finish in time: with checksum offload or MTU wrong it hangs, it does not
 * fail fast.
 */
export async function tcpTransfer(opts: TcpTransferOptions): Promise<number> {
  const port = String(opts.port ?? 5001)
  const bytes = opts.bytes ?? 1_000_000
  const timeoutMs = opts.timeoutMs ?? 20_000
  const serverDone = run(process.execPath, ['-e', TCP_SERVER, opts.address, port], {
    netns: opts.server.netns,
    timeoutMs,
    check: false,
  })
  const client = await run(
    process.execPath,
    ['-e', TCP_CLIENT, opts.address, port, String(bytes), String(Date.now() + timeoutMs / 2)],
    {
      netns: opts.client.netns,
      timeoutMs,
      check: false,
    },
  )
  const server = await serverDone
  const received = Number.parseInt(client.stdout, 10)
  if (!client.ok || !Number.isSafeInteger(received)) {
    throw new LabError(
      'LAB_TCP_FAILED',
      `TCP ${opts.client.name} -> ${opts.address}:${port} failed${client.timedOut ? ' (timed out)' : ''}: ${client.stderr.trim()} ${server.stderr.trim()}`.trim(),
    )
  }
  return received
}
