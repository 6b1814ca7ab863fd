/**
 * Benchmark (issue 13, the northbound part): lib/nb in bulk on a real standalone OVN_Northbound
 * ovsdb-server (test/integration/nb-server.ts), at BENCH_NB_SIZES ports (default 5000,20000).
 * Each size gets a fresh server; on it, in this order, each client a process of its own
 * (bench/nb-client.ts, so that its peak RSS is its own):
 *   - library: attachPorts of N new VIF ports on an empty switch, then detachPorts of them by VIF
 *     name, each one call through the public API (read, plan, one guarded transaction);
 *   - raw peer, same N on another empty switch of the same server: attach is ONE transact of the
 *     N inserts and the switch mutate (no read, no guard); detach is what a client that only knows
 *     the VIF names must do at the least (issue 13): one select of every port's name and UUID,
 *     then ONE transact whose mutate removes those UUIDs from the switch (ovsdb-server deletes
 *     the rows, Logical_Switch_Port being a non-root table).
 * BENCH_NB_ROUNDS rounds per size (default 3), each on a fresh server.
 * Printed: the median wall time of each, ovsdb-server CPU (utime + stime from /proc) during each, the
 * library as a ratio to the peer (aim <= 2x), the growth from the smallest to the largest size of
 * both and their quotient (aim <= 1.2: the library adds nothing to the server's own growth), and
 * each client's peak RSS, the highest of the rounds (the library's aim: <= 150 MB at 20,000).
 * Then the CLI's start-up: `xapi-ovn --help` against `node -e 0` (median of BENCH_NB_HELP_RUNS).
 */
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { errorText } from '../lib/error-text.js'
import { connectNorthbound, ensureLogicalSwitch } from '../lib/nb/index.js'
import type { OvsdbClient } from '../lib/ovsdb/client.js'
import { op } from '../lib/ovsdb/operations.js'
import { selectedRows } from '../lib/ovsdb/row-values.js'
import { NbDatabase } from '../test/integration/nb-server.js'
import type { ClientRun, Timed } from './nb-client.js'

const SIZES = (process.env.BENCH_NB_SIZES ?? '5000,20000').split(',').map(Number)
const ROUNDS = Number(process.env.BENCH_NB_ROUNDS ?? 3)
const HELP_RUNS = Number(process.env.BENCH_NB_HELP_RUNS ?? 15)
const DB = 'OVN_Northbound'
const HERE = dirname(fileURLToPath(import.meta.url))
// The bin as the package ships it (build/lib.mjs), from .build/bench.
const CLI = join(HERE, '..', '..', 'dist', 'lib', 'cli', 'main.js')
const CLIENT = join(HERE, 'nb-client.js')

interface Sample {
  readonly ports: number
  readonly lib: ClientRun
  readonly raw: ClientRun
}

/** One client process (bench/nb-client.ts) against the server; its JSON line. */
function runClient(mode: 'lib' | 'raw', db: NbDatabase, n: number, from: number): ClientRun {
  const r = spawnSync(
    process.execPath,
    [CLIENT, mode, db.remotes.join(','), String(db.member(0).daemon.pid), String(n), String(from)],
    { encoding: 'utf8', maxBuffer: 1 << 20, timeout: 900_000 },
  )
  if (r.status !== 0) throw new Error(`nb-client ${mode} ${n} failed: ${r.stderr || r.error?.message}`)
  const parsed: unknown = JSON.parse(r.stdout)
  if (!isClientRun(parsed)) throw new Error(`nb-client ${mode} printed ${r.stdout}`)
  return parsed
}

function isTimed(x: unknown): x is Timed {
  return x !== null && typeof x === 'object' && 'ms' in x && typeof x.ms === 'number' && 'serverMs' in x
}

function isClientRun(x: unknown): x is ClientRun {
  return (
    x !== null &&
    typeof x === 'object' &&
    'attach' in x &&
    isTimed(x.attach) &&
    'detach' in x &&
    isTimed(x.detach) &&
    'attachPeakRssMb' in x &&
    typeof x.attachPeakRssMb === 'number' &&
    'peakRssMb' in x &&
    typeof x.peakRssMb === 'number'
  )
}

async function countPorts(nb: OvsdbClient): Promise<number> {
  const [r] = await nb.transact(DB, [op.select('Logical_Switch_Port', [], ['_uuid'])])
  return selectedRows(r).length
}

/** One round at `n` ports on a fresh server: the library's client, then the raw peer's. */
async function round(n: number): Promise<Sample> {
  const db = await NbDatabase.standalone()
  let nb: OvsdbClient | undefined
  try {
    nb = await connectNorthbound(db.remotes, { timeoutMs: 600_000 })
    await ensureLogicalSwitch(nb, 'bench-lib')
    await ensureLogicalSwitch(nb, 'bench-raw')
    const lib = runClient('lib', db, n, 0)
    if ((await countPorts(nb)) !== 0) throw new Error('ports left after the library detach')
    // Other VIF names than the library's, so nothing the server kept of those rows helps.
    const raw = runClient('raw', db, n, n)
    if ((await countPorts(nb)) !== 0) throw new Error('ports left after the raw detach')
    return { ports: n, lib, raw }
  } finally {
    await nb?.close().catch(() => undefined)
    await db.destroy()
  }
}

/** ROUNDS rounds: the median of each time, the highest peak RSS. */
async function measure(n: number): Promise<Sample> {
  const rounds: Sample[] = []
  for (let i = 0; i < ROUNDS; i++) rounds.push(await round(n))
  const side = (k: 'lib' | 'raw'): ClientRun => {
    const runs = rounds.map((r) => r[k])
    const mid = (what: 'attach' | 'detach'): Timed => ({
      ms: median(runs.map((r) => r[what].ms)),
      serverMs: median(runs.map((r) => r[what].serverMs)),
    })
    return {
      attach: mid('attach'),
      detach: mid('detach'),
      attachPeakRssMb: Math.max(...runs.map((r) => r.attachPeakRssMb)),
      peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    }
  }
  return { ports: n, lib: side('lib'), raw: side('raw') }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

function startupMs(argv: readonly string[]): number {
  const start = process.hrtime.bigint()
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`)
  return ms
}

function helpCost(): string {
  const bare = [process.execPath, '-e', '0']
  const help = [process.execPath, CLI, '--help']
  startupMs(bare)
  startupMs(help)
  const t = { bare: [] as number[], help: [] as number[] }
  for (let i = 0; i < HELP_RUNS; i++) {
    t.bare.push(startupMs(bare))
    t.help.push(startupMs(help))
  }
  const b = median(t.bare)
  const h = median(t.help)
  return `  xapi-ovn --help ${h.toFixed(1)} ms vs node -e 0 ${b.toFixed(1)} ms -> ${(h / b).toFixed(2)}x (median of ${HELP_RUNS})`
}

const t = (x: Timed): string => `${(x.ms / 1000).toFixed(2)} s (server CPU ${(x.serverMs / 1000).toFixed(2)} s)`

export async function benchNb(): Promise<void> {
  const samples: Sample[] = []
  for (const n of SIZES) {
    try {
      samples.push(await measure(n))
    } catch (err) {
      console.log(`nb bench: ${n} ports not measured: ${errorText(err)}`)
    }
  }
  console.log(
    `northbound bulk on a real standalone OVN_Northbound ovsdb-server, median of ${ROUNDS}: library (one call) vs the raw peer (one transact; detach: one select of names + one mutate), each client its own process:`,
  )
  for (const x of samples) {
    console.log(
      `  ${String(x.ports).padStart(6)} ports: attach ${t(x.lib.attach)} vs raw ${t(x.raw.attach)} -> ${(x.lib.attach.ms / x.raw.attach.ms).toFixed(2)}x | detach ${t(x.lib.detach)} vs raw ${t(x.raw.detach)} -> ${(x.lib.detach.ms / x.raw.detach.ms).toFixed(2)}x (aim <= 2x) | client peak RSS ${x.lib.peakRssMb.toFixed(0)} MB (${x.lib.attachPeakRssMb.toFixed(0)} MB after the attach) vs raw ${x.raw.peakRssMb.toFixed(0)} MB (${x.raw.attachPeakRssMb.toFixed(0)} MB)`,
    )
  }
  const first = samples[0]
  const last = samples[samples.length - 1]
  if (first !== undefined && last !== undefined && last.ports !== first.ports) {
    const growth = (side: 'lib' | 'raw', what: 'attach' | 'detach'): number =>
      last[side][what].ms / first[side][what].ms
    const line = (what: 'attach' | 'detach'): string => {
      const lib = growth('lib', what)
      const raw = growth('raw', what)
      return `${what} library ${lib.toFixed(2)}x, raw ${raw.toFixed(2)}x -> ${(lib / raw).toFixed(2)}`
    }
    console.log(`  growth ${first.ports} -> ${last.ports} ports: ${line('attach')} | ${line('detach')} (aim <= 1.2)`)
  }
  console.log(helpCost())
}
