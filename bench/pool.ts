/**
 * Benchmark: pool-wide setup and verify through the real xen-api client, the XAPI emulator and the
 * bundled plugin on lab hosts (real ovsdb-server + ovs-vswitchd each, real ovn-controller during
 * verify), for pools of 1, 8 and 32 hosts (BENCH_POOL_SIZES=1,8,32), at the driver's default
 * concurrency (8). Printed per size: median wall time of setup (every host's keys written), of a
 * re-run setup (nothing to change) and of verify, per host, and each as a ratio to 1 host in the
 * same run. BENCH_POOL_ROUNDS rounds per size (default 3).
 */
import { errorText } from '../lib/error-text.js'
import { setup, teardown, verify, XapiPool, type SetupOptions } from '../lib/index.js'
import { createLabPool, type LabPool } from '../lab/pool.js'
import { createEmulatedPool, type EmulatedPool } from '../xapi-emulator/index.js'
import { LAB_CHASSIS_KEYS, PASSWORD, PLUGIN_FILE } from '../test/integration/pool-fixture.js'

const SIZES = (process.env.BENCH_POOL_SIZES ?? '1,8,32').split(',').map(Number)
const ROUNDS = Number(process.env.BENCH_POOL_ROUNDS ?? 3)

interface Sample {
  readonly hosts: number
  readonly build: number
  readonly setup: number
  readonly rerun: number
  readonly verify: number
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = process.hrtime.bigint()
  const value = await fn()
  return [Number(process.hrtime.bigint() - start) / 1e6, value]
}

async function measure(hosts: number): Promise<Sample> {
  let lab: LabPool | undefined
  let emulated: EmulatedPool | undefined
  let pool: XapiPool | undefined
  try {
    const [build] = await timed(async () => {
      lab = await createLabPool({ hosts })
      emulated = await createEmulatedPool({
        hosts: lab.hosts,
        password: PASSWORD,
        managementNetworkUuid: lab.managementNetworkUuid,
      })
      for (const h of lab.hosts) await emulated.installPlugin(h.uuid, 'ovn-chassis', PLUGIN_FILE)
    })
    const labHosts = (lab as LabPool).hosts
    pool = await XapiPool.connect({ url: (emulated as EmulatedPool).url, password: PASSWORD, transport: 'json-rpc' })
    const options: SetupOptions = { ovnRemote: 'tcp:192.0.2.10:6642', chassisKeys: LAB_CHASSIS_KEYS }
    const t = { setup: [] as number[], rerun: [] as number[], verify: [] as number[] }
    for (let round = 0; round < ROUNDS; round++) {
      const [s, first] = await timed(() => setup(pool as XapiPool, options))
      if (!first.ok || first.hosts.some((h) => h.ok && h.value.chassis?.changed !== true))
        throw new Error(
          `setup of ${hosts} hosts did not configure every host: ${JSON.stringify(first.hosts.filter((h) => !h.ok))}`,
        )
      const [r, again] = await timed(() => setup(pool as XapiPool, options))
      if (again.changed) throw new Error('the second setup changed something')
      for (const h of labHosts) await h.startOvnController({ waitConnected: true })
      const [v, checked] = await timed(() => verify(pool as XapiPool))
      if (!checked.ok)
        throw new Error(
          `verify failed: ${JSON.stringify(checked.hosts.filter((h) => !h.ok || !h.value.ok).slice(0, 2))}`,
        )
      t.setup.push(s)
      t.rerun.push(r)
      t.verify.push(v)
      for (const h of labHosts) await h.stopOvnController({ cleanup: true })
      const down = await teardown(pool)
      if (!down.ok) throw new Error('teardown failed')
    }
    return { hosts, build, setup: median(t.setup), rerun: median(t.rerun), verify: median(t.verify) }
  } finally {
    await pool?.close()
    for (const h of lab?.hosts ?? []) await h.stopOvnController().catch(() => undefined)
    await emulated?.close()
    await lab?.destroy()
  }
}

export async function benchPool(): Promise<void> {
  const samples: Sample[] = []
  for (const n of SIZES) {
    try {
      samples.push(await measure(n))
    } catch (err) {
      console.log(`pool bench: ${n} hosts not measured: ${errorText(err)}`)
    }
  }
  const one = samples.find((s) => s.hosts === 1)
  console.log(
    `pool setup + verify through xen-api, the XAPI emulator and the plugin on lab hosts (median of ${ROUNDS}, concurrency 8):`,
  )
  for (const s of samples) {
    const per = (field: 'setup' | 'rerun' | 'verify'): string => {
      const ms = s[field]
      const ratio = one === undefined ? '' : `, ${(ms / one[field]).toFixed(2)}x 1 host`
      return `${ms.toFixed(0).padStart(6)} ms (${(ms / s.hosts).toFixed(0).padStart(4)} ms/host${ratio})`
    }
    console.log(
      `  ${String(s.hosts).padStart(2)} hosts: setup ${per('setup')} | re-run ${per('rerun')} | verify ${per('verify')} | lab build ${(s.build / 1000).toFixed(1)} s`,
    )
  }
}
