/**
 * ovn-wait-bridge: the ExecStartPre of ovn-controller.service that xapi-ovn's drop-in adds
 * (rpm/ovn-controller-xapi-ovn.conf). It holds ovn-controller back until the integration bridge
 * is XAPI's, so ovn-controller never creates a bridge of its own under that name.
 *
 * Why: at boot `ovs-ctl --delete-bridges` wipes every bridge, and an internal network's bridge
 * comes back only when XAPI attaches the network on this host (a VIF plugged, or
 * network.attach). An ovn-controller started before that creates the bridge itself: no
 * xs-network-uuids, not XAPI's (docs/platform.md).
 *
 * It reads the local Open_vSwitch database (never writes it), once per `--interval` (1 s), until
 * the bridge named by `external_ids:ovn-bridge` exists and has `external_ids:xs-network-uuids`
 * (containing `external_ids:xapi-ovn-network-uuid` when configure recorded one): then it exits 0
 * and systemd runs ovn-controller. Until then it waits, whatever the reason, and says it once
 * in the journal (and again whenever the reason changes):
 * - the bridge does not exist yet, or exists without XAPI's ids: XAPI has not attached the
 *   network on this host yet (exit 1 when the time is up);
 * - `ovn-bridge` is not set, but a persisted chassis configuration exists (/etc/xapi-ovn): after a
 *   reboot conf.db is empty (tmpfs) until the host agent (xapi-ovn-agent.service, which the
 *   drop-in wants and orders before ovn-controller) re-applies it, and it does so only once XAPI's
 *   bridge and the tunnel address exist (exit 1 when the time is up, like any wait for XAPI);
 * - `ovn-bridge` is not set and nothing is persisted: this host is simply not configured;
 *   ovn-controller would create and use br-int (exit 3 when the time is up);
 * - the bridge belongs to another XAPI network than configure was told (exit 4 when the time is
 *   up).
 * After `--timeout` (default 120 s) it exits non-zero and systemd, told `Restart=on-failure` by
 * the drop-in, starts the unit again: a bounded wait per round, rounds without end, so
 * ovn-controller starts within a second of the bridge becoming XAPI's (or of fn=configure),
 * however late that is, and never before. (systemd's RestartPreventExitStatus= only looks at the
 * main process, not at ExecStartPre, so the exit codes inform `systemctl status`, they do not
 * stop the retries.) Messages go to stderr, which systemd puts in the unit's journal.
 *
 *   ovn-wait-bridge [--timeout SECONDS] [--interval SECONDS] [--db REMOTE]
 *
 * The decision (`judgeBridge`) and the loop (`waitForXapiBridge`, clock and sleep injected) are
 * pure enough to test without a switch; `bootWaitMain` is the program.
 */
import { KEY_BRIDGE, NETWORK_KEY } from '../lib/chassis/keys.js'
import { findBridge, type ChassisSnapshot } from '../lib/chassis/model.js'
import { readSnapshot } from '../lib/chassis/ovsdb-io.js'
import { persistedPath } from '../lib/chassis/persisted-config-io.js'
import { xsNetworkUuids } from '../lib/chassis/plan-configure.js'
import { OvsdbClient } from '../lib/ovsdb/client.js'
import { pathsFromEnv, type Env } from './context.js'
import { errorText } from '../lib/error-text.js'
import { systemClock } from '../lib/clock.js'
import { existsSync } from 'node:fs'

export const EXIT_READY = 0
export const EXIT_TIMEOUT = 1
export const EXIT_USAGE = 2
export const EXIT_UNCONFIGURED = 3
export const EXIT_WRONG_NETWORK = 4

export const DEFAULT_TIMEOUT_S = 120
export const DEFAULT_INTERVAL_S = 1
const PROGRAM = 'ovn-wait-bridge'

export type Readiness =
  | { readonly state: 'ready'; readonly bridge: string; readonly networks: readonly string[] }
  | { readonly state: 'unconfigured' }
  | { readonly state: 'awaiting-agent'; readonly persisted: string }
  | { readonly state: 'missing'; readonly bridge: string }
  | { readonly state: 'not-xapi'; readonly bridge: string }
  | {
      readonly state: 'wrong-network'
      readonly bridge: string
      readonly networks: readonly string[]
      readonly expected: string
    }
  | { readonly state: 'unreadable'; readonly reason: string }

/**
 * Pure: is the integration bridge of this snapshot XAPI's? `persisted` is the path of the
 * persisted chassis configuration when that file exists (the agent will re-apply it), else null.
 */
export function judgeBridge(s: ChassisSnapshot, persisted: string | null = null): Readiness {
  const name = s.ovs.externalIds.get(KEY_BRIDGE) ?? ''
  if (name === '') return persisted === null ? { state: 'unconfigured' } : { state: 'awaiting-agent', persisted }
  const bridge = findBridge(s, name)
  if (bridge === undefined) return { state: 'missing', bridge: name }
  const networks = xsNetworkUuids(bridge.externalIds)
  if (networks.length === 0) return { state: 'not-xapi', bridge: name }
  const expected = s.ovs.externalIds.get(NETWORK_KEY) ?? ''
  if (expected !== '' && !networks.includes(expected))
    return { state: 'wrong-network', bridge: name, networks, expected }
  return { state: 'ready', bridge: name, networks }
}

/** One journal line saying what a state means. */
export function describe(r: Readiness): string {
  switch (r.state) {
    case 'ready':
      return `bridge ${r.bridge} is XAPI's (network ${r.networks.join(';')}): starting ovn-controller`
    case 'unconfigured':
      return 'Open_vSwitch external_ids:ovn-bridge is not set: this host is not configured as an OVN chassis yet (xapi-ovn setup), and ovn-controller would create and use a br-int of its own'
    case 'awaiting-agent':
      return `Open_vSwitch external_ids:ovn-bridge is not set yet: the host agent re-applies the persisted chassis configuration (${r.persisted}) once XAPI's bridge and the tunnel address exist (systemctl status xapi-ovn-agent, journalctl -u xapi-ovn-agent)`
    case 'missing':
      return `bridge ${r.bridge} (external_ids:ovn-bridge) does not exist yet: XAPI creates it when a VIF on its network is plugged on this host or the network is attached (xapi-ovn setup attaches it on every host)`
    case 'not-xapi':
      return `bridge ${r.bridge} (external_ids:ovn-bridge) exists but has no external_ids:xs-network-uuids: XAPI has not attached its network yet`
    case 'wrong-network':
      return `bridge ${r.bridge} belongs to XAPI network ${r.networks.join(';')}, but configure was told ${r.expected} (external_ids:${NETWORK_KEY}): configure again with the bridge of that network`
    case 'unreadable':
      return `cannot read the Open_vSwitch database yet: ${r.reason}`
  }
}

export interface WaitOptions {
  readonly timeoutMs: number
  readonly intervalMs: number
  /** One reading of the database, judged; never throws (an error is 'unreadable'). */
  readonly probe: () => Promise<Readiness>
  readonly log: (line: string) => void
  readonly now?: () => number
  readonly sleep?: (ms: number) => Promise<void>
}

export interface WaitOutcome {
  readonly exitCode: number
  readonly last: Readiness
  readonly probes: number
}

/** The exit code for giving up in state `r`. */
export function exitCodeFor(r: Readiness): number {
  if (r.state === 'ready') return EXIT_READY
  if (r.state === 'unconfigured') return EXIT_UNCONFIGURED
  if (r.state === 'wrong-network') return EXIT_WRONG_NETWORK
  return EXIT_TIMEOUT
}

/**
 * Probe until ready (exit code 0) or the deadline (1, 3 or 4 by the last state). Logs the first
 * state, every change of state and the outcome, never one line per probe.
 */
export async function waitForXapiBridge(opts: WaitOptions): Promise<WaitOutcome> {
  const now = opts.now ?? systemClock.now
  const sleep = opts.sleep ?? ((ms: number) => systemClock.sleep(ms))
  const deadline = now() + opts.timeoutMs
  let probes = 0
  let lastText = ''
  for (;;) {
    const r = await opts.probe()
    probes += 1
    const text = describe(r)
    if (text !== lastText) {
      opts.log(text)
      lastText = text
    }
    if (r.state === 'ready') return { exitCode: EXIT_READY, last: r, probes }
    if (now() >= deadline) {
      opts.log(
        `gave up after ${Math.round(opts.timeoutMs / 1000)}s, still: ${text}. Not starting ovn-controller now, so it cannot create a bridge of its own; systemd tries again (Restart=on-failure)`,
      )
      return { exitCode: exitCodeFor(r), last: r, probes }
    }
    await sleep(Math.max(0, Math.min(opts.intervalMs, deadline - now())))
  }
}

/**
 * Probe the database at `remote`: one connection per probe (ovsdb-server may restart meanwhile).
 * `stateDir` is where a persisted configuration would be; only its existence is looked at (the
 * agent validates it before applying it, and `fn=verify` reports a bad one).
 */
export function ovsdbProbe(remote: string, stateDir: string, timeoutMs = 5000): () => Promise<Readiness> {
  const persisted = persistedPath(stateDir)
  return async () => {
    let client: OvsdbClient | undefined
    try {
      client = await OvsdbClient.connect(remote, { timeoutMs, typedDecode: false })
      return judgeBridge(await readSnapshot(client), existsSync(persisted) ? persisted : null)
    } catch (err) {
      return { state: 'unreadable', reason: errorText(err) }
    } finally {
      await client?.close().catch(() => undefined)
    }
  }
}

export interface BootWaitArgs {
  readonly timeoutS: number
  readonly intervalS: number
  readonly db: string | null
}

/** Parse `--timeout N --interval N --db REMOTE` (also `--opt=value`); throws a message. */
export function parseBootWaitArgs(argv: readonly string[]): BootWaitArgs {
  let timeoutS = DEFAULT_TIMEOUT_S
  let intervalS = DEFAULT_INTERVAL_S
  let db: string | null = null
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const eq = arg.indexOf('=')
    const name = eq > 0 ? arg.slice(0, eq) : arg
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1)
      const v = argv[i + 1]
      if (v === undefined) throw new Error(`${name} needs a value`)
      i += 1
      return v
    }
    const seconds = (v: string, min: number): number => {
      if (!/^[0-9]{1,5}(\.[0-9]{1,3})?$/.test(v) || Number(v) < min)
        throw new Error(`${name} wants seconds >= ${min}, got ${JSON.stringify(v)}`)
      return Number(v)
    }
    if (name === '--timeout') timeoutS = seconds(value(), 0)
    else if (name === '--interval') intervalS = seconds(value(), 0.01)
    else if (name === '--db') db = value()
    else
      throw new Error(
        `unknown argument ${JSON.stringify(arg)} (usage: ${PROGRAM} [--timeout SECONDS] [--interval SECONDS] [--db REMOTE])`,
      )
  }
  return { timeoutS, intervalS, db }
}

/** The program: returns the exit code. `write` gets each journal line (default: stderr). */
export async function bootWaitMain(
  argv: readonly string[],
  env: Env,
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<number> {
  let args: BootWaitArgs
  try {
    args = parseBootWaitArgs(argv)
  } catch (err) {
    write(`${PROGRAM}: ${(err as Error).message}`)
    return EXIT_USAGE
  }
  const paths = pathsFromEnv(env)
  const remote = args.db ?? paths.ovsDbRemote
  const log = (line: string): void => write(`${PROGRAM}: ${line}`)
  log(`waiting up to ${args.timeoutS}s for the integration bridge (external_ids:ovn-bridge in ${remote}) to be XAPI's`)
  const outcome = await waitForXapiBridge({
    timeoutMs: args.timeoutS * 1000,
    intervalMs: args.intervalS * 1000,
    probe: ovsdbProbe(remote, paths.stateDir),
    log,
  })
  return outcome.exitCode
}
