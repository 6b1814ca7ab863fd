/**
 * Benchmark: how pool-wide setup and verify scale with the number of hosts, the driver's part
 * only. Every host's plugin is a stub that sleeps 48 ms (the measured run of the real plugin's
 * configure, bench/plugin.ts) and answers, so no host work competes for the CPU: 32 hosts should
 * cost about one host's time plus the window's rounds, not 32 plugin runs. Through the real
 * xen-api client (JSON-RPC) and the XAPI emulator, on in-memory hosts (xapi-emulator/host-backend.ts),
 * pools of 1, 32 and 200 hosts (BENCH_POOL_SIZES=1,32,200), at the driver's default concurrency.
 *
 * Printed per size: the median wall time of setup and of verify, each as a ratio to 1 host in
 * the same run, and the most plugin calls the driver had in flight (from its progress events).
 * The aim (issue "Performance"): 32 hosts <= 2x one host, 200 hosts <= 4x. BENCH_POOL_ROUNDS
 * rounds per size (default 5: other work on the machine moves single runs a lot); a teardown (not timed) resets the pool between rounds.
 *
 * Two kinds of stub host, both in one run (BENCH_POOL_HOSTS=remote|spawned|both, default both):
 *   - remote: the hosts are other machines, as in a real pool: the master forwards
 *     Host.call_plugin to each member's own xapi (xen-api ocaml/xapi/message_forwarding.ml
 *     do_op_on), which runs the plugin on its own CPU (xapi-emulator/host-backend.ts
 *     forwardPluginCall; here a timer of 48 ms, then the stub's answer). This is the driver's and
 *     the master's part only, what the aim is about.
 *   - spawned: the stub is a shell script exec'd by the emulator's forkexecd on THIS machine for
 *     every host (two processes per call, sh and sleep): the 2 cores then also pay each host's
 *     process start-up, which a real master never does.
 *
 * BENCH_POOL_LAB=1 runs the real bundled plugin on lab hosts instead (real ovsdb-server +
 * ovs-vswitchd each, real ovn-controller during verify; default sizes 1,8,32): the whole cost,
 * the hosts' own work included, all on this machine's CPU.
 */
import { errorText } from '../lib/error-text.js'
import { DEFAULT_CONCURRENCY, setup, teardown, verify, XapiPool, type ProgressEvent } from '../lib/index.js'
import { createLabPool, type LabPool } from '../lab/pool.js'
import { createEmulatedPool, type EmulatedPool } from '../xapi-emulator/index.js'
import { memoryHosts, PASSWORD, remoteHosts } from '../xapi-emulator/testing.js'
import { LAB_CHASSIS_KEYS, PLUGIN_FILE } from '../test/integration/pool-fixture.js'

const LAB = process.env.BENCH_POOL_LAB === '1'
const SIZES = (process.env.BENCH_POOL_SIZES ?? (LAB ? '1,8,32' : '1,32,200')).split(',').map(Number)
const ROUNDS = Number(process.env.BENCH_POOL_ROUNDS ?? 5)
/** BENCH_POOL_CONCURRENCY: another window than the driver's default, to compare. */
const CONCURRENCY = Number(process.env.BENCH_POOL_CONCURRENCY ?? DEFAULT_CONCURRENCY)
const STUB_SLEEP_S = '0.048'
type StubKind = 'remote' | 'spawned'
const KINDS: readonly StubKind[] = LAB
  ? ['spawned']
  : process.env.BENCH_POOL_HOSTS === 'remote' || process.env.BENCH_POOL_HOSTS === 'spawned'
    ? [process.env.BENCH_POOL_HOSTS]
    : ['remote', 'spawned']
/** The aim per size, as a ratio to one host. */
const AIMS: Readonly<Record<number, number>> = { 32: 2, 200: 4 }

/** A plugin's methodResponse with `value` (JSON text) as its Success Value. */
function reply(value: unknown): string {
  const text = JSON.stringify(value).replace(/&/g, '&amp;').replace(/</g, '&lt;')
  return `<methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member><member><name>Value</name><value>${text}</value></member></struct></value></param></params></methodResponse>`
}

/**
 * The stub: sleep, then verify's reply or (configure, unconfigure) a change, printed by the
 * shell itself (no `cat`: each process a plugin starts is CPU this machine spends for a host).
 */
const VERIFY_REPLY = reply({ ok: true, checks: [], hostUuid: 'stub', waited: 0 })
/** teardown asks first whether ovn-controller runs (lib/pool/teardown: OVN_CONTROLLER_RUNNING). */
const STATUS_REPLY = reply({
  hostUuid: 'stub',
  systemId: null,
  configured: true,
  keys: {},
  owned: [],
  addresses: [],
  bridge: null,
  ports: [],
  controller: { running: false, pid: null, connection: null, error: null },
})
const CHANGE_REPLY = reply({ changed: true, dryRun: false, before: {}, after: {}, changes: [] })

const STUB = `#!/bin/sh
sleep ${STUB_SLEEP_S}
case "$1" in
*'<methodName>verify</methodName>'*) printf '%s' '${VERIFY_REPLY}' ;;
*'<methodName>status</methodName>'*) printf '%s' '${STATUS_REPLY}' ;;
*) printf '%s' '${CHANGE_REPLY}' ;;
esac
`

/** The remote stub: the same answers as STUB's, after the same sleep, on the member's "own CPU". */
function remoteStub(n: number) {
  return remoteHosts(n, async (_host, _plugin, call) => {
    await new Promise((r) => setTimeout(r, Number(STUB_SLEEP_S) * 1000))
    const stdout = call.includes('<methodName>verify</methodName>')
      ? VERIFY_REPLY
      : call.includes('<methodName>status</methodName>')
        ? STATUS_REPLY
        : CHANGE_REPLY
    return { argv: [], status: 0, signal: null, stdout, stderr: '' }
  })
}

interface Sample {
  readonly hosts: number
  readonly setup: number
  readonly verify: number
  readonly peak: number
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

/** Wall time of `fn`, ms, and the most hosts it had started and not finished at once. */
async function timed<T>(fn: (onProgress: (e: ProgressEvent) => void) => Promise<T>): Promise<[number, number, T]> {
  let inFlight = 0
  let peak = 0
  const onProgress = (e: ProgressEvent): void => {
    if (e.type === 'host-started') peak = Math.max(peak, ++inFlight)
    else if (e.type === 'host-finished' || e.type === 'host-failed') inFlight--
  }
  const start = process.hrtime.bigint()
  const value = await fn(onProgress)
  return [Number(process.hrtime.bigint() - start) / 1e6, peak, value]
}

async function measure(hosts: number, kind: StubKind): Promise<Sample> {
  let lab: LabPool | undefined
  let emulated: EmulatedPool | undefined
  let pool: XapiPool | undefined
  try {
    if (LAB) {
      lab = await createLabPool({ hosts })
      emulated = await createEmulatedPool({
        hosts: lab.hosts,
        password: PASSWORD,
        managementNetworkUuid: lab.managementNetworkUuid,
      })
      for (const h of emulated.hosts) await emulated.installPlugin(h.ref, 'ovn-chassis', PLUGIN_FILE)
    } else if (kind === 'remote') {
      emulated = await createEmulatedPool({ hosts: remoteStub(hosts), password: PASSWORD })
    } else {
      emulated = await createEmulatedPool({ hosts: memoryHosts(hosts), password: PASSWORD })
      for (const h of emulated.hosts) await emulated.emulator.writePlugin(h.ref, 'ovn-chassis', STUB)
    }
    const labHosts = lab?.hosts ?? []
    const chassisKeys = LAB ? LAB_CHASSIS_KEYS : {}
    const xapi = await XapiPool.connect({ url: emulated.url, password: PASSWORD, transport: 'json-rpc' })
    pool = xapi
    const t = { setup: [] as number[], verify: [] as number[], peak: 0 }
    for (let round = 0; round < ROUNDS; round++) {
      const [s, sp, set] = await timed((onProgress) =>
        setup(xapi, { ovnRemote: 'tcp:192.0.2.10:6642', chassisKeys, concurrency: CONCURRENCY, onProgress }),
      )
      if (!set.ok) throw new Error(`setup of ${hosts} hosts failed: ${JSON.stringify(set.hosts.find((h) => !h.ok))}`)
      for (const h of labHosts) await h.startOvnController({ waitConnected: true })
      const [v, vp, checked] = await timed((onProgress) => verify(xapi, { concurrency: CONCURRENCY, onProgress }))
      if (!checked.hosts.every((h) => h.ok && h.value.ok)) throw new Error(`verify of ${hosts} hosts failed`)
      t.setup.push(s)
      t.verify.push(v)
      t.peak = Math.max(t.peak, sp, vp)
      for (const h of labHosts) await h.stopOvnController({ cleanup: true })
      const down = await teardown(xapi, { concurrency: CONCURRENCY })
      if (!down.ok) throw new Error(`teardown failed: ${JSON.stringify(down.hosts.find((h) => !h.ok))}`)
    }
    return { hosts, setup: median(t.setup), verify: median(t.verify), peak: t.peak }
  } finally {
    await pool?.close()
    for (const h of lab?.hosts ?? []) await h.stopOvnController().catch(() => undefined)
    await emulated?.close()
    await lab?.destroy()
  }
}

export async function benchPool(): Promise<void> {
  for (const kind of KINDS) await benchPoolKind(kind)
}

async function benchPoolKind(kind: StubKind): Promise<void> {
  const samples: Sample[] = []
  for (const n of SIZES) {
    try {
      samples.push(await measure(n, kind))
    } catch (err) {
      console.log(`pool bench: ${n} hosts not measured: ${errorText(err)}`)
    }
  }
  const one = samples.find((s) => s.hosts === 1)
  const plugin = LAB
    ? 'the real plugin on lab hosts'
    : kind === 'remote'
      ? `remote hosts (each answers its forwarded plugin call after ${Number(STUB_SLEEP_S) * 1000} ms)`
      : `plugin stub sleeping ${Number(STUB_SLEEP_S) * 1000} ms, exec'd on this machine for every host`
  console.log(
    `pool setup and verify, ${plugin}, through xen-api and the XAPI emulator (median of ${ROUNDS}, concurrency ${CONCURRENCY}):`,
  )
  for (const s of samples) {
    const aim = LAB || kind === 'spawned' ? undefined : AIMS[s.hosts]
    const per = (field: 'setup' | 'verify'): string => {
      const ms = s[field]
      if (one === undefined) return `${ms.toFixed(0)} ms`
      const ratio = ms / one[field]
      const verdict = aim === undefined ? '' : ratio <= aim ? ` (aim <= ${aim}x: met)` : ` (aim <= ${aim}x: NOT met)`
      return `${ms.toFixed(0).padStart(5)} ms = ${ratio.toFixed(2)}x 1 host${verdict}`
    }
    console.log(
      `  ${String(s.hosts).padStart(3)} hosts: setup ${per('setup')} | verify ${per('verify')} | peak in flight ${s.peak}`,
    )
  }
}
