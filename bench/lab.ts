/**
 * Benchmark (BENCH_ONLY=lab): the lab of `npm run lab` built and proven, as lab/lab-command.ts
 * does it (OverlayLab.build: underlay, clustered central, hosts, XAPI emulator, xapi-ovn setup,
 * ovn-controller, switches, one VM per host attached; then proveOverlay's pings), with
 * BENCH_LAB_HOSTS hosts (default 10) against 1 host in the same run. Each phase's time is
 * printed from the lab's own step lines. Aim (issue "Performance"): 10 hosts <= 8 s.
 */
import { OverlayLab } from '../lab/overlay-lab.js'
import { proveOverlay } from '../lab/overlay-proof.js'

const HOSTS = Number(process.env.BENCH_LAB_HOSTS ?? 10)
const ROUNDS = Number(process.env.BENCH_LAB_ROUNDS ?? 2)

interface Run {
  readonly totalMs: number
  readonly proofMs: number
  readonly steps: readonly string[]
}

async function once(hosts: number): Promise<Run> {
  const start = performance.now()
  const steps: string[] = []
  const lab = await OverlayLab.build({
    hosts,
    onStep: (m) => steps.push(`${((performance.now() - start) / 1000).toFixed(1)} s ${m.split(':')[0]}`),
  })
  try {
    const proofStart = performance.now()
    const proof = await proveOverlay(lab)
    if (!proof.ok) throw new Error(`the proof failed: ${JSON.stringify(proof.pings.filter((p) => !p.ok))}`)
    const end = performance.now()
    return { totalMs: end - start, proofMs: end - proofStart, steps }
  } finally {
    await lab.destroy()
  }
}

export async function benchLab(): Promise<void> {
  const runs = new Map<number, Run[]>()
  for (let r = 0; r < ROUNDS; r++) for (const n of [1, HOSTS]) runs.set(n, [...(runs.get(n) ?? []), await once(n)])
  const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
  const one = median((runs.get(1) ?? []).map((x) => x.totalMs))
  console.log(`lab build + proof (BENCH_ONLY=lab, median of ${ROUNDS}):`)
  for (const [n, rs] of runs) {
    const total = median(rs.map((x) => x.totalMs))
    const aim = n === 10 ? ` (aim <= 8 s: ${total <= 8000 ? 'met' : 'MISSED'})` : ''
    console.log(
      `  ${String(n).padStart(3)} host(s): ${(total / 1000).toFixed(2)} s = ${(total / one).toFixed(2)}x 1 host${aim}; proof ${(median(rs.map((x) => x.proofMs)) / 1000).toFixed(2)} s`,
    )
    console.log(`      steps (last run): ${rs.at(-1)?.steps.join(' | ')}`)
  }
}
