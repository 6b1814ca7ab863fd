/**
 * Run xapi's firewall-port plugin (`firewall-port {open|close} PORT PROTO`,
 * xapi-project/xen-api scripts/plugins/firewall-port) and read xapi's chain back
 * (`iptables -S xapi-INPUT`). Used by the host agent (opens the encap ports), unconfigure (closes
 * them) and verify (checks them). `child_process` is loaded on first use: most plugin calls never
 * run a program, and the plugin's start-up time is every call's latency.
 */
import { type FirewallPort, portLabel, XAPI_INPUT_CHAIN } from './encap-ports.js'

export { XAPI_INPUT_CHAIN }

/**
 * The PATH xapi gives a plugin (forkexecd, docs/platform.md#how-xapi-runs-our-plugin): iptables
 * is /sbin/iptables on dom0.
 */
const XAPI_PATH = '/sbin:/usr/sbin:/bin:/usr/bin'

interface ExecOutcome {
  readonly error: (Error & { code?: unknown }) | null
  readonly stdout: string
  readonly stderr: string
}

async function execOutcome(file: string, args: readonly string[], env?: Record<string, string>): Promise<ExecOutcome> {
  const { execFile } = await import('node:child_process')
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 30_000, ...(env === undefined ? {} : { env }) }, (error, stdout, stderr) =>
      resolve({ error, stdout, stderr }),
    )
  })
}

/** Run `firewall-port ACTION PORT PROTO`; rejects with its stderr on a non-zero exit. */
export async function runFirewallPort(plugin: string, action: 'open' | 'close', p: FirewallPort): Promise<void> {
  const r = await execOutcome(plugin, [action, String(p.port), p.protocol])
  if (r.error !== null) throw new Error(`${plugin} ${action} ${portLabel(p)}: ${r.stderr.trim() || r.error.message}`)
}

/** What `iptables -S xapi-INPUT` showed: its rules, or why it could not be read. */
export type XapiChainFacts =
  | { readonly available: true; readonly rules: readonly string[] }
  | { readonly available: false; readonly error: string }

/**
 * `iptables -w -S xapi-INPUT`, with xapi's PATH. A chain that does not exist yet (firewall-port
 * creates it on its first open) is an empty chain; no iptables, or one that cannot be run, is
 * "not available".
 */
export async function readXapiChain(): Promise<XapiChainFacts> {
  const r = await execOutcome('iptables', ['-w', '-S', XAPI_INPUT_CHAIN], { PATH: XAPI_PATH })
  if (r.error === null) return { available: true, rules: r.stdout.split('\n').filter((l) => l.trim() !== '') }
  if (r.error.code === 'ENOENT') return { available: false, error: 'iptables is not installed (not on PATH)' }
  // iptables-legacy: "No chain/target/match by that name"; iptables-nft: "chain `x' ... incompatible".
  if (/no chain|doesn't exist|does not exist|incompatible/i.test(r.stderr)) return { available: true, rules: [] }
  return { available: false, error: `iptables -S ${XAPI_INPUT_CHAIN}: ${r.stderr.trim() || r.error.message}` }
}
