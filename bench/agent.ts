/**
 * Benchmark: the host agent (dist/xapi-ovn-host-agent on Node 16, as the RPM runs it) on one lab
 * host (real ovsdb-server + ovs-vswitchd in a namespace), integration bridge `xapi1` (an
 * XAPI-style bridge named by `external_ids:ovn-bridge`). Issue 9, "Proof". Figures, each beside
 * a peer measured in the same run:
 *   - iface-id latency: from sending a plug (xenopsd's one transaction: del-port, add-port, set
 *     Interface external_ids; written with our OVSDB client so no ovs-vsctl start-up is timed)
 *     until an OVSDB monitor of the Interface table in this process sees iface-id = the VIF
 *     uuid. Peer: the same monitor seeing the add itself (the floor: commit + notification).
 *     Sequential plugs (BENCH_AGENT_PLUGS, default 200), then a burst of BENCH_AGENT_BURST
 *     (default 100) sent at once (time until all are set), then BENCH_AGENT_PORTS (default 500)
 *     ports in one transaction, then re-plugs with those ports on the bridge (the agent re-reads
 *     the whole database on every pass, so its latency grows with the number of ports).
 *   - RSS (VmRSS, VmHWM) of the agent with BENCH_AGENT_PORTS VIF ports, all with their iface-id.
 *     Peer: a bare idle `node -e` on the same Node 16 in the same namespace. Aim: <= 40 MB.
 *   - CPU (utime + stime) over BENCH_AGENT_IDLE_S seconds (default 10) with nothing changing.
 *     Peer: the bare node over the same window.
 *   - Then the agent is restarted on those ports with every iface-id stripped (a boot): the time
 *     until all are set again and its RSS without the heap the churn before had grown; the first
 *     agent's counters (passes, iface-ids set) from its stop line.
 *   - The agent's VmRSS after each figure, to show where it grows.
 * Aim (issue 9): iface-id p99 <= 100 ms.
 *
 * The VIF devices are Linux taps created up front (outside any timing): the agent only counts
 * ports whose Interface has type "" (a system device), and with no device ovs-vswitchd would
 * retry opening the missing ones on every change. Everything lives in the lab host's namespace
 * and rundir and goes with `host.destroy()` (and the lab's exit teardown).
 *
 * Extension point: `AGENT_FIGURES` below is the list of what this bench measures, in order, on
 * one `AgentBench` (host, agent, monitor). Reboot-to-ping (the host reboots, the agent re-applies
 * the chassis, a guest pings again) is to be added there as one more `AgentFigure`; it needs a
 * central and a second chassis, which it creates itself.
 */
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { errorText } from '../lib/error-text.js'
import { OvsdbClient } from '../lib/ovsdb/client.js'
import { NamedUuid, ovsdbMap, set, stringMap, Uuid } from '../lib/ovsdb/codec.js'
import type { TableUpdates } from '../lib/ovsdb/monitor.js'
import { type InsertResult, type Operation, op, where } from '../lib/ovsdb/operations.js'
import { isAlive, killPids, killPidsSync, registerTeardown } from '../lab/cleanup.js'
import { run } from '../lab/exec.js'
import { LabHost } from '../lab/host.js'
import { hostNode, type LabHostAgent } from '../lab/host-agent-process.js'
import { newMac, newUuid } from '../lab/names.js'
import { waitFor } from '../lab/wait.js'

const PLUGS = Number(process.env.BENCH_AGENT_PLUGS ?? 200)
const BURST = Number(process.env.BENCH_AGENT_BURST ?? 100)
const PORTS = Number(process.env.BENCH_AGENT_PORTS ?? 500)
const IDLE_S = Number(process.env.BENCH_AGENT_IDLE_S ?? 10)
/** Re-plugs timed with PORTS ports on the bridge. */
const FULL_PLUGS = 20
/** Sequential plugs cycle over this many VIF slots: a busy host, the bridge stays this size. */
const SLOTS = 20
const BRIDGE = 'xapi1'
const DB = 'Open_vSwitch'
/** Any one wait for iface-ids gives up after this (the bench is bounded in time). */
const WAIT_MS = 60_000

const msBetween = (a: bigint, b: bigint): number => Number(b - a) / 1e6

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number
}

/**
 * The bench's own monitor of the Interface table: when each VIF uuid's port was first seen and
 * when its iface-id first equalled it. Keyed by VIF uuid (fresh for every plug), so a
 * notification arriving before the transact reply is still counted.
 */
class InterfaceWatch {
  readonly added = new Map<string, bigint>()
  readonly set = new Map<string, bigint>()
  updates = 0
  #waiters: { readonly done: () => boolean; readonly resolve: () => void }[] = []

  onUpdate(updates: TableUpdates): void {
    const now = process.hrtime.bigint()
    this.updates += 1
    for (const u of Object.values(updates.Interface ?? {})) {
      if (u.new === undefined) continue
      const ids = stringMap(u.new.external_ids)
      const vif = ids.get('xs-vif-uuid')
      if (vif === undefined) continue
      if (!this.added.has(vif)) this.added.set(vif, now)
      if (ids.get('iface-id') === vif && !this.set.has(vif)) this.set.set(vif, now)
    }
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.done()) return true
      w.resolve()
      return false
    })
  }

  /** Resolves once every VIF uuid of `vifs` has its iface-id; rejects after WAIT_MS. */
  allSet(vifs: readonly string[]): Promise<void> {
    const done = (): boolean => vifs.every((v) => this.set.has(v))
    if (done()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const missing = vifs.filter((v) => !this.set.has(v)).length
        reject(new Error(`${missing} of ${vifs.length} VIF ports got no iface-id within ${WAIT_MS} ms`))
      }, WAIT_MS)
      this.#waiters.push({
        done,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      })
    })
  }
}

/** One plug: what xenopsd's vif script writes for `vif<domid>.0`. */
interface Plug {
  readonly name: string
  readonly vifUuid: string
}

/** The host, its agent and the bench's connection and monitor; what every figure works on. */
class AgentBench {
  readonly host: LabHost
  /** The running agent (a figure may restart it). */
  agent: LabHostAgent
  readonly db: OvsdbClient
  readonly watch: InterfaceWatch
  readonly #bridge: Uuid
  readonly #vmUuid = newUuid()
  readonly #networkUuid: string
  /** Port name -> the Port row on the bridge now (what a del-port removes). */
  readonly #ports = new Map<string, Uuid>()

  constructor(
    host: LabHost,
    agent: LabHostAgent,
    db: OvsdbClient,
    watch: InterfaceWatch,
    bridge: Uuid,
    networkUuid: string,
  ) {
    this.host = host
    this.agent = agent
    this.db = db
    this.watch = watch
    this.#bridge = bridge
    this.#networkUuid = networkUuid
  }

  /** Ports of ours on the bridge now. */
  get portCount(): number {
    return this.#ports.size
  }

  /**
   * The operations of `ovs-vsctl -- --if-exists del-port P -- add-port BR P -- set Interface P
   * external_ids:...` for each plug, in one transaction (named uuids kept distinct per plug).
   */
  #plugOps(plugs: readonly Plug[]): { ops: Operation[]; portIndex: number[] } {
    const ops: Operation[] = []
    const portIndex: number[] = []
    const gone = plugs.map((p) => this.#ports.get(p.name)).filter((u): u is Uuid => u !== undefined)
    if (gone.length > 0)
      ops.push(op.mutate('Bridge', [where('_uuid', '==', this.#bridge)], [['ports', 'delete', set(...gone)]]))
    plugs.forEach((p, i) => {
      ops.push(
        op.insert(
          'Interface',
          {
            name: p.name,
            external_ids: ovsdbMap({
              'xs-vm-uuid': this.#vmUuid,
              'xs-vif-uuid': p.vifUuid,
              'xs-network-uuid': this.#networkUuid,
              'attached-mac': newMac(),
            }),
          },
          `iface${i}`,
        ),
      )
      portIndex.push(ops.length)
      ops.push(op.insert('Port', { name: p.name, interfaces: new NamedUuid(`iface${i}`) }, `port${i}`))
    })
    ops.push(
      op.mutate(
        'Bridge',
        [where('_uuid', '==', this.#bridge)],
        [['ports', 'insert', set(...plugs.map((_, i) => new NamedUuid(`port${i}`)))]],
      ),
    )
    return { ops, portIndex }
  }

  /** Send the plugs as one transaction; resolves when it is committed. */
  async plug(plugs: readonly Plug[]): Promise<void> {
    const { ops, portIndex } = this.#plugOps(plugs)
    const results = (await this.db.transact(DB, ops)) as unknown[]
    plugs.forEach((p, i) => {
      this.#ports.set(p.name, (results[portIndex[i] as number] as InsertResult).uuid)
      this.vifUuids.set(p.name, p.vifUuid)
    })
  }

  /** The VIF uuids of the ports of ours on the bridge now. */
  readonly vifUuids = new Map<string, string>()

  /** Remove every port of ours from the bridge in one transaction. */
  async unplugAll(): Promise<void> {
    if (this.#ports.size === 0) return
    await this.db.transact(DB, [
      op.mutate('Bridge', [where('_uuid', '==', this.#bridge)], [['ports', 'delete', set(...this.#ports.values())]]),
    ])
    this.#ports.clear()
    this.vifUuids.clear()
  }
}

/** A line of the agent table. */
type Line = string

/** What the bench measures, in order; add a figure (reboot-to-ping) here. */
type AgentFigure = (b: AgentBench) => Promise<Line[]>

const newPlug = (domid: number): Plug => ({ name: `vif${domid}.0`, vifUuid: newUuid() })

/** Tap devices for `vif<domid>.0` (one `ip -batch`): what netback creates before the vif script. */
async function createDevices(host: LabHost, domids: readonly number[]): Promise<void> {
  const file = join(host.rundir, 'bench-devices.ip')
  writeFileSync(file, domids.map((d) => `tuntap add dev vif${d}.0 mode tap\n`).join(''))
  await run('ip', ['-batch', file], { netns: host.netns, timeoutMs: 120_000 })
}

const latencyLine = (what: string, set: readonly number[], added: readonly number[]): Line =>
  `  ${what}: iface-id set p50 ${percentile(set, 50).toFixed(1)} ms, p99 ${percentile(set, 99).toFixed(1)} ms` +
  ` (aim p99 <= 100 ms) | the add seen: p50 ${percentile(added, 50).toFixed(1)} ms, p99 ${percentile(added, 99).toFixed(1)} ms` +
  ` -> ${(percentile(set, 50) / percentile(added, 50)).toFixed(1)}x / ${(percentile(set, 99) / percentile(added, 99)).toFixed(1)}x the floor`

/** Plugs one at a time, each timed from its send to its iface-id (and to its add being seen). */
async function sequential(b: AgentBench, plugs: readonly Plug[]): Promise<{ set: number[]; added: number[] }> {
  const set: number[] = []
  const added: number[] = []
  for (const p of plugs) {
    const t0 = process.hrtime.bigint()
    await b.plug([p])
    await b.watch.allSet([p.vifUuid])
    set.push(msBetween(t0, b.watch.set.get(p.vifUuid) as bigint))
    added.push(msBetween(t0, b.watch.added.get(p.vifUuid) as bigint))
  }
  return { set, added }
}

const sequentialPlugs: AgentFigure = async (b) => {
  // Warm-up (not counted): the agent's first passes, JIT, the page cache.
  await sequential(
    b,
    Array.from({ length: 5 }, (_, i) => newPlug((i % SLOTS) + 1)),
  )
  const r = await sequential(
    b,
    Array.from({ length: PLUGS }, (_, i) => newPlug((i % SLOTS) + 1)),
  )
  return [latencyLine(`${PLUGS} sequential plugs (re-plugs over ${SLOTS} VIF ports)`, r.set, r.added)]
}

const burst: AgentFigure = async (b) => {
  const plugs = Array.from({ length: BURST }, (_, i) => newPlug(101 + i))
  const t0 = process.hrtime.bigint()
  // All sent at once on one connection, one transaction each, as concurrent vif scripts would.
  await Promise.all(plugs.map((p) => b.plug([p])))
  await b.watch.allSet(plugs.map((p) => p.vifUuid))
  const last = (m: Map<string, bigint>): number =>
    Math.max(...plugs.map((p) => msBetween(t0, m.get(p.vifUuid) as bigint)))
  const set = last(b.watch.set)
  const added = last(b.watch.added)
  return [
    `  burst of ${BURST} plugs at once (${SLOTS} ports already): all iface-ids set ${set.toFixed(0)} ms | all adds seen ${added.toFixed(0)} ms -> ${(set / added).toFixed(1)}x`,
  ]
}

const fullBridge: AgentFigure = async (b) => {
  await b.unplugAll()
  const plugs = Array.from({ length: PORTS }, (_, i) => newPlug(1001 + i))
  const t0 = process.hrtime.bigint()
  await b.plug(plugs)
  await b.watch.allSet(plugs.map((p) => p.vifUuid))
  const lastSet = plugs.reduce((max, p) => Math.max(max, msBetween(t0, b.watch.set.get(p.vifUuid) as bigint)), 0)
  // One transaction, one notification: the first add seen is every add seen.
  const added = msBetween(t0, b.watch.added.get(plugs[0]?.vifUuid as string) as bigint)
  const lines = [
    `  ${PORTS} ports in one transaction: all iface-ids set ${lastSet.toFixed(0)} ms | the add seen ${added.toFixed(0)} ms -> ${(lastSet / added).toFixed(1)}x`,
  ]
  // Re-plugs of some of those ports while all are on the bridge.
  const r = await sequential(
    b,
    Array.from({ length: FULL_PLUGS }, (_, i) => newPlug(1001 + i)),
  )
  lines.push(
    latencyLine(`${FULL_PLUGS} sequential re-plugs with ${b.portCount} VIF ports on the bridge`, r.set, r.added),
  )
  return lines
}

// ---------------------------------------------------------------------------------------------
// Memory and CPU, against a bare node on the same runtime

interface ProcStatus {
  readonly rssKb: number
  readonly hwmKb: number
  /** The anonymous part of VmRSS (heap and stacks; the rest is the mapped node binary and libraries). */
  readonly anonKb: number
}

function procStatus(pid: number): ProcStatus {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)
    if (m === null) throw new Error(`/proc/${pid}/status has no ${key}`)
    return Number(m[1])
  }
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM'), anonKb: kb('RssAnon') }
}

/** utime + stime of `pid` in clock ticks (/proc/<pid>/stat fields 14 and 15, proc(5)). */
function cpuTicks(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

async function clockTicksPerSecond(): Promise<number> {
  const hz = Number((await run('getconf', ['CLK_TCK'])).stdout.trim())
  return Number.isFinite(hz) && hz > 0 ? hz : 100
}

/** A bare idle node on the agent's runtime, in the host namespace, started the same way. */
async function startBareNode(netns: string): Promise<{ pid: number; stop(): Promise<void> }> {
  const child = spawn('ip', ['netns', 'exec', netns, hostNode(), '-e', 'setInterval(() => {}, 1 << 30)'], {
    stdio: 'ignore',
    detached: true,
  })
  const pid = child.pid
  if (pid === undefined) throw new Error('the bare node did not start')
  child.unref()
  const registration = registerTeardown(`bench bare node (pid ${pid})`, () => {
    if (isAlive(pid)) killPidsSync([pid])
  })
  // `ip netns exec` execs node under the same pid: wait for that before reading /proc.
  await waitFor('the bare node runs', () => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'node', {
    timeoutMs: 10_000,
  })
  return {
    pid,
    stop: async () => {
      if (isAlive(pid)) await killPids([pid])
      registration.release()
    },
  }
}

const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`

const memoryAndCpu: AgentFigure = async (b) => {
  const bare = await startBareNode(b.host.netns)
  try {
    // Let both settle (the agent's last log writes, the bare node's start-up garbage).
    await new Promise((r) => setTimeout(r, 2000))
    const a = procStatus(b.agent.pid)
    const n = procStatus(bare.pid)
    const hz = await clockTicksPerSecond()
    const updatesBefore = b.watch.updates
    const a0 = cpuTicks(b.agent.pid)
    const n0 = cpuTicks(bare.pid)
    const t0 = process.hrtime.bigint()
    await new Promise((r) => setTimeout(r, IDLE_S * 1000))
    const a1 = cpuTicks(b.agent.pid)
    const n1 = cpuTicks(bare.pid)
    const seconds = msBetween(t0, process.hrtime.bigint()) / 1000
    const pct = (ticks: number): number => (ticks / hz / seconds) * 100
    const changes = b.watch.updates - updatesBefore
    const aPct = pct(a1 - a0)
    const nPct = pct(n1 - n0)
    return [
      `  RSS with ${b.portCount} VIF ports: VmRSS ${mb(a.rssKb)} (VmHWM ${mb(a.hwmKb)}, anonymous ${mb(a.anonKb)}) = ${(a.rssKb / n.rssKb).toFixed(2)}x a bare idle node (VmRSS ${mb(n.rssKb)}, VmHWM ${mb(n.hwmKb)}, anonymous ${mb(n.anonKb)}) (aim VmRSS <= 40 MB)`,
      `  idle CPU over ${seconds.toFixed(1)} s with ${b.portCount} ports (${changes} Interface updates meanwhile): ${aPct.toFixed(2)}% of one core (${a1 - a0} ticks of 1/${hz} s) | bare node ${nPct.toFixed(2)}% (${n1 - n0} ticks)${n1 - n0 > 0 ? ` -> ${(aPct / nPct).toFixed(1)}x` : ''}`,
    ]
  } finally {
    await bare.stop()
  }
}

/**
 * A fresh agent on a host whose ports all lack their iface-id (as at boot, conf.db on tmpfs, or
 * after an upgrade): stop the agent, strip every iface-id, start it again. Its RSS then is the
 * cost of the ports themselves, without the heap grown by the churn of the figures before.
 */
const freshAgent: AgentFigure = async (b) => {
  const logFile = b.agent.logFile
  await b.host.stopHostAgent()
  // Its counters, logged on stop: how many passes (each a full read of four tables) all the
  // figures before cost.
  const stopped = readFileSync(logFile, 'utf8')
    .split('\n')
    .reverse()
    .find((l) => l.includes('stopped'))
  await b.db.transact(DB, [op.mutate('Interface', [], [['external_ids', 'delete', set('iface-id')]])])
  const vifs = [...b.vifUuids.values()]
  for (const v of vifs) b.watch.set.delete(v)
  const t0 = process.hrtime.bigint()
  b.agent = b.host.startHostAgent()
  await b.watch.allSet(vifs)
  const all = Math.max(...vifs.map((v) => msBetween(t0, b.watch.set.get(v) as bigint)))
  await new Promise((r) => setTimeout(r, 2000))
  const a = procStatus(b.agent.pid)
  return [
    `  the agent until then: ${stopped === undefined ? 'no stop line logged' : stopped.slice(stopped.indexOf('stopped'))}`,
    `  a fresh agent, ${vifs.length} ports without iface-id: all set ${all.toFixed(0)} ms after its start (Node 16 start-up included); then VmRSS ${mb(a.rssKb)} (VmHWM ${mb(a.hwmKb)}, anonymous ${mb(a.anonKb)})`,
  ]
}

/** The figures in order, named for the agent's RSS line; each leaves the state the next one expects. */
const AGENT_FIGURES: readonly (readonly [name: string, figure: AgentFigure])[] = [
  ['sequential plugs', sequentialPlugs],
  ['burst', burst],
  [`${PORTS} ports`, fullBridge],
  ['idle', memoryAndCpu],
  ['restart', freshAgent],
]

export async function benchAgent(): Promise<void> {
  const host = await LabHost.create({ name: 'bench-agent' })
  let db: OvsdbClient | undefined
  const lines: Line[] = []
  try {
    const networkUuid = newUuid()
    await host.createBridge(BRIDGE, { networkUuids: [networkUuid] })
    await host.vsctl('set', 'Open_vSwitch', '.', `external_ids:ovn-bridge=${BRIDGE}`)
    await createDevices(host, [
      ...Array.from({ length: SLOTS }, (_, i) => i + 1),
      ...Array.from({ length: BURST }, (_, i) => 101 + i),
      ...Array.from({ length: PORTS }, (_, i) => 1001 + i),
    ])
    const agent = host.startHostAgent()
    await waitFor('the host agent watches the database', () => agent.log(200).includes('watching'), {
      timeoutMs: 30_000,
    })
    db = await OvsdbClient.connect(host.dbRemote, { timeoutMs: WAIT_MS, typedDecode: false })
    const [bridges] = await db.transact(DB, [op.select('Bridge', [where('name', '==', BRIDGE)], ['_uuid'])])
    const bridge = bridges.rows[0]?._uuid
    if (!(bridge instanceof Uuid)) throw new Error(`bridge ${BRIDGE} not found`)
    const watch = new InterfaceWatch()
    await db.monitor(DB, { Interface: { columns: ['name', 'external_ids'] } }, (u) => watch.onUpdate(u))
    const bench = new AgentBench(host, agent, db, watch, bridge, networkUuid)
    // The agent's RSS after each figure: where its memory grows (it never gives V8's heap back).
    const rss = [`start ${mb(procStatus(agent.pid).rssKb)}`]
    for (const [name, figure] of AGENT_FIGURES) {
      lines.push(...(await figure(bench)))
      rss.push(`after ${name} ${mb(procStatus(bench.agent.pid).rssKb)}`)
    }
    lines.push(`  agent VmRSS along the run: ${rss.join(', ')}`)
    if (!bench.agent.isRunning()) throw new Error(`the host agent exited: ${bench.agent.log()}`)
  } catch (err) {
    lines.push(`  not measured further: ${errorText(err)}`)
  } finally {
    await db?.close().catch(() => undefined)
    await host.destroy()
  }
  console.log(
    `host agent (dist/xapi-ovn-host-agent on Node 16) on a lab host, bridge ${BRIDGE} (real ovsdb-server + ovs-vswitchd); latency from sending the plug's transaction to this process's Interface monitor:`,
  )
  for (const l of lines) console.log(l)
}
