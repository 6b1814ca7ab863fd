/**
 * Benchmark (BENCH_ONLY=pool-agent): the POOL agent (`xapi-ovn agent`, lib/agent/agent.ts; not
 * the host agent of bench/agent.ts) against the XAPI emulator over loopback (the real xen-api
 * client, event.from) and a real 3-member OVN_Northbound RAFT cluster (test/integration/nb-server.ts).
 * The agent runs as its own process, `node .build/lib/cli/main.js agent ...`, as an operator runs
 * it, so its RSS is its own. The pool: BENCH_POOL_AGENT_HOSTS in-memory hosts (default 4) and
 * BENCH_POOL_AGENT_VIFS VIFs on `ovn-int` (default 5000, two per VM, every VM Running), seeded
 * through the emulator's in-process database (XAPI's VIF.create 5,000 times is setup, not what is
 * measured); the agent still reads all of them over XAPI.
 *
 * "Visible" always means: a separate client's OVSDB monitor (insert only) on the leader sees the
 * Logical_Switch_Port row named after the VIF — the NB as ovn-northd (leader-only) reads it. No polling.
 * Write transactions are counted twice, independently: the leader's RAFT log (`cluster/status`
 * Log: [first, next]: one entry per committed transaction) and the agent's `northbound synced`
 * lines (one per pass that wrote).
 *
 * Measured, each with a peer in the same run:
 *   - initial reconcile (BENCH_POOL_AGENT_ROUNDS rounds, default 3, the agent's ports removed in
 *     between): agent process spawned on the seeded pool -> every port visible; peer: lib/nb
 *     `attachPorts` of the same ports (VIF uuid, MAC) in one call from this process (what `xapi-ovn
 *     port attach` does), then detached again. Aim <= 2 s, a handful of transactions.
 *   - latency (BENCH_POOL_AGENT_SEQ, default 200, sequential): `VIF.create` over XAPI returns ->
 *     its port visible; peer: one raw insert + switch mutate from this process -> visible (the NB's
 *     floor). Aim p50 <= 50 ms, p99 <= 200 ms.
 *   - burst (BENCH_POOL_AGENT_BURST, default 1000): that many `VIF.create` sent at once -> all
 *     visible; peer: `attachPorts` of as many ports in one call. Aim <= 2 s.
 *   - RSS: VmRSS / VmHWM of the agent process after the reconcile, after the burst and at rest;
 *     peer: an idle bare `node`. Aim <= 150 MB at 5,000 VIFs.
 *   - failover (BENCH_POOL_AGENT_FAILOVERS, default 3): a standby agent process waits; SIGKILL the
 *     active, then at once `VIF.create` -> its port visible (written by the standby); peer: the
 *     latency's p50 with a healthy agent.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { SWITCH_KEY } from '../lib/agent/keys.js'
import { WATCHED_CLASSES } from '../lib/agent/xapi-replica.js'
import { errorText } from '../lib/error-text.js'
import { attachPorts, connectNorthbound, detachPorts, ensureLogicalSwitch, readSnapshot } from '../lib/nb/index.js'
import type { OvsdbClient } from '../lib/ovsdb/client.js'
import { NamedUuid, OvsdbSet, Uuid, setItems } from '../lib/ovsdb/codec.js'
import { op, where } from '../lib/ovsdb/operations.js'
import { selectedRows } from '../lib/ovsdb/row-values.js'
import { XapiPool } from '../lib/pool/index.js'
import { run } from '../lab/exec.js'
import { createEmulatedPool, type EmulatedPool } from '../xapi-emulator/index.js'
import { PASSWORD, memoryHosts } from '../xapi-emulator/testing.js'
import { NbDatabase } from '../test/integration/nb-server.js'

const HOSTS = Number(process.env.BENCH_POOL_AGENT_HOSTS ?? 4)
const VIFS = Number(process.env.BENCH_POOL_AGENT_VIFS ?? 5000)
const ROUNDS = Number(process.env.BENCH_POOL_AGENT_ROUNDS ?? 3)
const SEQ = Number(process.env.BENCH_POOL_AGENT_SEQ ?? 200)
const BURST = Number(process.env.BENCH_POOL_AGENT_BURST ?? 1000)
const FAILOVERS = Number(process.env.BENCH_POOL_AGENT_FAILOVERS ?? 3)
const PEER_SEQ = 50
const DB = 'OVN_Northbound'
const SWITCH = 'tenant-a'
const PEER_SWITCH = 'bench-peer'
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'cli', 'main.js')
const WAIT_MS = 120_000
/**
 * The node flags of the agent processes: by default those docs/agent.md's systemd unit sets
 * (NODE_OPTIONS), so that the figures are the deployed agent's. BENCH_POOL_AGENT_NODE_ARGS
 * replaces them ('' for none): `--cpu-prof --cpu-prof-dir=DIR` shows where a pass goes (the
 * SIGKILLed agents of the failover write none: BENCH_POOL_AGENT_FAILOVERS=0). Not `--lite-mode`
 * (the host agent's, host-agent/node-flags.ts): it turns WebAssembly off, and undici (under
 * xen-api) needs it for llhttp, so the agent cannot start.
 */
const UNIT_NODE_ARGS = '--max-semi-space-size=2 --max-old-space-size=160'
const AGENT_NODE_ARGS = (process.env.BENCH_POOL_AGENT_NODE_ARGS ?? UNIT_NODE_ARGS).split(' ').filter((x) => x !== '')

// -- small helpers ------------------------------------------------------------------------------

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number
}
const median = (xs: readonly number[]): number => quantile(xs, 0.5)
const ms = (x: number): string => `${x.toFixed(x < 10 ? 1 : 0)} ms`
const aim = (ok: boolean): string => (ok ? 'met' : 'MISSED')

function sleep(t: number): Promise<void> {
  return new Promise((r) => setTimeout(r, t))
}

function mac(i: number): string {
  const h = i.toString(16).padStart(6, '0')
  return `02:00:00:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`
}

/** VmRSS and VmHWM of a process, MB (/proc/PID/status, kB). */
function memoryMb(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN)
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 }
}

/** utime + stime of a process, ms (/proc/PID/stat fields 14 and 15, ticks of 1/100 s). */
function cpuMs(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) * 10
}

// -- the NB watcher: a monitor of a separate client ----------------------------------------------

/** When each port name was first seen inserted (performance.now()), and waiters for names. */
class PortWatcher {
  readonly seen = new Map<string, number>()
  #waiters: { names: ReadonlySet<string>; resolve: (t: number) => void }[] = []

  static async start(nb: OvsdbClient): Promise<PortWatcher> {
    const w = new PortWatcher()
    await nb.monitor(
      DB,
      {
        Logical_Switch_Port: {
          columns: ['name'],
          select: { initial: false, insert: true, modify: false, delete: false },
        },
      },
      (updates) => {
        const t = performance.now()
        for (const u of Object.values(updates.Logical_Switch_Port ?? {})) {
          const [name] = setItems(u.new?.name)
          if (typeof name === 'string' && !w.seen.has(name)) w.seen.set(name, t)
        }
        w.#check()
      },
    )
    return w
  }

  #check(): void {
    this.#waiters = this.#waiters.filter((x) => {
      let last = 0
      for (const n of x.names) {
        const t = this.seen.get(n)
        if (t === undefined) return true
        last = Math.max(last, t)
      }
      x.resolve(last)
      return false
    })
  }

  /** The time the last of `names` was seen (at once if all were). */
  all(names: Iterable<string>, what: string): Promise<number> {
    const set = new Set(names)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS)
      this.#waiters.push({
        names: set,
        resolve: (t) => {
          clearTimeout(timer)
          resolve(t)
        },
      })
      this.#check()
    })
  }

  forget(names: Iterable<string>): void {
    for (const n of names) this.seen.delete(n)
  }
}

// -- the agent process ------------------------------------------------------------------------------

interface AgentProcess {
  readonly child: ChildProcess
  readonly pid: number
  stderr: string
  /** performance.now() when each stderr line matching these arrived. */
  readonly marks: { lockAt: number | null; standbyAt: number | null }
  readonly synced: { at: number; summary: Record<string, unknown> }[]
  readonly exited: Promise<number | null>
}

function spawnAgent(url: string, nbRemotes: string): AgentProcess {
  const child = spawn(
    process.execPath,
    [...AGENT_NODE_ARGS, CLI, 'agent', '--url', url, '--nb', nbRemotes, '--protocol', 'json-rpc'],
    {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', XAPI_PASSWORD: PASSWORD },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  if (child.pid === undefined) throw new Error('the agent process did not start')
  const p: AgentProcess = {
    child,
    pid: child.pid,
    stderr: '',
    marks: { lockAt: null, standbyAt: null },
    synced: [],
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  }
  let partial = ''
  child.stderr?.on('data', (b: Buffer) => {
    const t = performance.now()
    p.stderr += b.toString()
    const lines = (partial + b.toString()).split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) {
      if (line.includes('lock acquired')) p.marks.lockAt ??= t
      if (line.includes('standing by')) p.marks.standbyAt ??= t
      const m = /northbound synced (\{.*\})$/.exec(line)
      if (m?.[1] !== undefined) p.synced.push({ at: t, summary: JSON.parse(m[1]) as Record<string, unknown> })
    }
  })
  return p
}

async function untilMark(p: AgentProcess, key: 'lockAt' | 'standbyAt'): Promise<number> {
  const deadline = performance.now() + WAIT_MS
  for (;;) {
    const t = p.marks[key]
    if (t !== null) return t
    if (performance.now() > deadline) throw new Error(`agent ${p.pid}: no ${key}: ${p.stderr.slice(-2000)}`)
    await sleep(5)
  }
}

/** SIGTERM (a clean stop: a --cpu-prof profile gets written), SIGKILL if it is still there after 10 s. */
async function stopAgent(p: AgentProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return
  p.child.kill('SIGTERM')
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000)
  await p.exited
  clearTimeout(timer)
}

// -- the NB cluster ----------------------------------------------------------------------------------

/** The leader's RAFT log `[first, next)` (cluster/status "Log: [a, b]"); `next` grows by one per commit. */
async function raftNext(db: NbDatabase): Promise<number> {
  for (const m of db.members) {
    const r = await run('ovs-appctl', ['-t', m.ctl, 'cluster/status', DB], { check: false, timeoutMs: 10_000 })
    if (!/^Role: leader$/m.test(r.stdout)) continue
    const next = /^Log: \[(\d+), (\d+)\]$/m.exec(r.stdout)?.[2]
    if (next !== undefined) return Number(next)
  }
  throw new Error('no NB leader answered cluster/status')
}

function leaderPid(db: NbDatabase, remote: string): number {
  const m = db.members.find((x) => x.remote === remote)
  if (m === undefined) throw new Error(`no member at ${remote}`)
  return m.daemon.pid
}

// -- the bench ---------------------------------------------------------------------------------------

interface Seeded {
  readonly pool: EmulatedPool
  readonly xapi: XapiPool
  readonly network: string
  /** VIF uuid -> MAC of the seeded VIFs. */
  readonly vifs: Map<string, string>
  /** Running VMs with no VIF yet, for the measured creates (devices 0 and 1 free). */
  readonly spareVms: string[]
}

async function seedPool(): Promise<Seeded> {
  const vmCount = Math.ceil(VIFS / 2)
  const spare = SEQ + BURST + FAILOVERS * 2 + 10
  const pool = await createEmulatedPool({
    hosts: memoryHosts(HOSTS),
    password: PASSWORD,
    vms: Array.from({ length: vmCount + Math.ceil(spare / 2) }, (_, i) => ({ name_label: `vm${i + 1}` })),
  })
  const xapi = await XapiPool.connect({ url: pool.url, password: PASSWORD, transport: 'json-rpc' })
  const network = String(
    await xapi.call('network.create', {
      name_label: 'ovn-int',
      name_description: '',
      MTU: 1500,
      other_config: { 'vswitch-controller-fail-mode': 'secure', [SWITCH_KEY]: SWITCH },
    }),
  )
  const db = pool.emulator.db
  const vifs = new Map<string, string>()
  pool.vms.forEach((vm, i) => {
    const host = pool.hosts[i % pool.hosts.length]
    if (host !== undefined) db.set('VM', vm, { power_state: 'Running', resident_on: host.ref })
  })
  for (let i = 0; i < VIFS; i++) {
    const vm = pool.vms[Math.floor(i / 2)] as string
    const ref = db.create('VIF', {
      device: String(i % 2),
      network,
      VM: vm,
      MAC: mac(i + 1),
      MAC_autogenerated: true,
      MTU: 1500,
      currently_attached: true,
    })
    vifs.set(String(db.field('VIF', ref, 'uuid')), mac(i + 1))
  }
  return { pool, xapi, network, vifs, spareVms: pool.vms.slice(vmCount) }
}

/** Spare VMs' devices in order: (vm0, 0), (vm0, 1), (vm1, 0), ... */
function* slots(vms: readonly string[]): Generator<{ vm: string; device: string }> {
  for (const vm of vms) for (const device of ['0', '1']) yield { vm, device }
}

async function createVif(s: Seeded, slot: { vm: string; device: string }): Promise<string> {
  const ref = String(
    await s.xapi.call('VIF.create', {
      device: slot.device,
      network: s.network,
      VM: slot.vm,
      MAC: '',
      MTU: 1500,
      other_config: {},
      qos_algorithm_type: '',
      qos_algorithm_params: {},
    }),
  )
  // The uuid from the in-process row: a VIF.get_uuid call would be time not taken by the agent.
  return String(s.pool.emulator.db.field('VIF', ref, 'uuid'))
}

/** One raw port insert + switch mutate (the NB floor of the latency). */
async function rawInsert(nb: OvsdbClient, sw: Uuid, name: string, i: number): Promise<void> {
  await nb.transact(DB, [
    op.insert('Logical_Switch_Port', { name, addresses: mac(0x800000 + i) }, 'p'),
    op.mutate('Logical_Switch', [where('_uuid', '==', sw)], [['ports', 'insert', new OvsdbSet([new NamedUuid('p')])]]),
  ])
}

async function switchUuid(nb: OvsdbClient, name: string): Promise<Uuid> {
  const [r] = await nb.transact(DB, [op.select('Logical_Switch', [where('name', '==', name)], ['_uuid'])])
  const [u] = setItems(selectedRows(r)[0]?._uuid)
  if (!(u instanceof Uuid)) throw new Error(`no switch ${name}`)
  return u
}

function idleNodeRssMb(): number {
  const r = spawnSync(
    process.execPath,
    ['-e', 'setTimeout(() => { process.stdout.write(require("fs").readFileSync("/proc/self/status", "utf8")) }, 2000)'],
    {
      encoding: 'utf8',
    },
  )
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(r.stdout)?.[1] ?? Number.NaN) / 1024
}

export async function benchPoolAgent(): Promise<void> {
  let s: Seeded | undefined
  let db: NbDatabase | undefined
  let watchNb: OvsdbClient | undefined
  let writer: OvsdbClient | undefined
  const agents: AgentProcess[] = []
  try {
    const seedStart = performance.now()
    s = await seedPool()
    const seeded = s
    const seedMs = performance.now() - seedStart
    db = await NbDatabase.cluster(3)
    const cluster = db
    const remotes = db.remotes.join(',')
    watchNb = await connectNorthbound(db.remotes, { timeoutMs: WAIT_MS })
    writer = await connectNorthbound(db.remotes, { timeoutMs: WAIT_MS })
    const nb = writer
    const leaderServerPid = leaderPid(db, writer.remote)
    await ensureLogicalSwitch(nb, SWITCH)
    await ensureLogicalSwitch(nb, PEER_SWITCH)
    const watcher = await PortWatcher.start(watchNb)
    const names = [...seeded.vifs.keys()]
    const lines: string[] = []

    // 1. peer of the reconcile: attachPorts of the same ports, one call, then detached.
    const peerAttach: number[] = []
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now()
      await attachPorts(
        nb,
        PEER_SWITCH,
        names.map((vifUuid) => ({ vifUuid, mac: seeded.vifs.get(vifUuid) ?? '' })),
      )
      const seenAt = await watcher.all(names, 'the peer ports')
      peerAttach.push(seenAt - t0)
      await detachPorts(nb, names)
      watcher.forget(names)
    }

    // 2. initial reconcile by an agent process started on the seeded pool.
    const reconcile: {
      total: number
      fromLock: number
      txns: number
      passes: number
      passMs: number[]
      serverCpu: number
    }[] = []
    const reconcileMem: { rss: number; hwm: number }[] = []
    let active: AgentProcess | undefined
    for (let r = 0; r < ROUNDS; r++) {
      const raft0 = await raftNext(cluster)
      const cpu0 = cpuMs(leaderServerPid)
      const t0 = performance.now()
      const a = spawnAgent(seeded.pool.url, remotes)
      agents.push(a)
      const seenAt = await watcher.all(names, `the agent's ${names.length} ports`)
      const lockAt = await untilMark(a, 'lockAt')
      await sleep(300) // let a trailing pass (if any) land before counting
      const raft1 = await raftNext(cluster)
      reconcile.push({
        total: seenAt - t0,
        fromLock: seenAt - lockAt,
        txns: raft1 - raft0,
        passes: a.synced.length,
        passMs: a.synced.map((x) => Number(x.summary.durationMs)),
        serverCpu: cpuMs(leaderServerPid) - cpu0,
      })
      reconcileMem.push(memoryMb(a.pid))
      if (r < ROUNDS - 1) {
        await stopAgent(a)
        await detachPorts(nb, names)
        watcher.forget(names)
      } else active = a
    }
    if (active === undefined) throw new Error('no agent left running')
    const rec = reconcile.map((x) => x.total)
    const recMed = median(rec)
    const peerMed = median(peerAttach)
    lines.push(
      `  initial reconcile of ${names.length} VIFs (agent process spawned -> every port visible), median of ${ROUNDS}: ${ms(recMed)} (aim <= 2000 ms: ${aim(recMed <= 2000)}); from its 'lock acquired' line ${ms(median(reconcile.map((x) => x.fromLock)))} | peer attachPorts of the same ports, one call: ${ms(peerMed)} -> ${(recMed / peerMed).toFixed(2)}x`,
      `    per round: ${reconcile.map((x) => `${ms(x.total)} (${x.txns} RAFT commits, ${x.passes} writing pass(es) of ${x.passMs.map((p) => ms(p)).join('+')}, leader CPU ${x.serverCpu} ms)`).join(' | ')}`,
    )
    const mem0 = reconcileMem[reconcileMem.length - 1] as { rss: number; hwm: number }

    // 3. latency: sequential creates with the agent active over all the ports.
    const free = slots(seeded.spareVms)
    const next = (): { vm: string; device: string } => {
      const n = free.next()
      if (n.done === true) throw new Error('out of spare VMs')
      return n.value
    }
    const latency: number[] = []
    const raftL0 = await raftNext(cluster)
    const passesL0 = active.synced.length
    for (let i = 0; i < SEQ; i++) {
      const uuid = await createVif(seeded, next())
      const returned = performance.now()
      const seenAt = await watcher.all([uuid], `the port of VIF ${uuid}`)
      latency.push(Math.max(0, seenAt - returned))
    }
    const raftL = (await raftNext(cluster)) - raftL0
    const passL = active.synced.slice(passesL0).map((x) => Number(x.summary.durationMs))
    const peerSw = await switchUuid(nb, PEER_SWITCH)
    const peerLat: number[] = []
    for (let i = 0; i < PEER_SEQ; i++) {
      const name = `peer-${i}`
      const t0 = performance.now()
      await rawInsert(nb, peerSw, name, i)
      peerLat.push((await watcher.all([name], name)) - t0)
    }
    // Where a pass goes: the two reads every pass or full read makes, timed alone from this process.
    const memSeq = memoryMb(active.pid)
    const snapMs: number[] = []
    const snapServerMs: number[] = []
    const xapiReadMs: number[] = []
    for (let i = 0; i < 5; i++) {
      const cpu0 = cpuMs(leaderServerPid)
      const t0 = performance.now()
      await readSnapshot(nb, 'all')
      snapMs.push(performance.now() - t0)
      snapServerMs.push(cpuMs(leaderServerPid) - cpu0)
      const t1 = performance.now()
      await seeded.xapi.call('event.from', [...WATCHED_CLASSES], '', 0.0001)
      xapiReadMs.push(performance.now() - t1)
    }
    const p50 = quantile(latency, 0.5)
    const p99 = quantile(latency, 0.99)
    lines.push(
      `  VIF.create returned -> port visible, ${SEQ} sequential with ${names.length} ports managed: p50 ${ms(p50)} (aim 50: ${aim(p50 <= 50)}), p99 ${ms(p99)} (aim 200: ${aim(p99 <= 200)}), max ${ms(Math.max(...latency))}; ${raftL} RAFT commits, agent pass (logged durationMs) p50 ${ms(median(passL))} | peer raw insert -> visible p50 ${ms(quantile(peerLat, 0.5))}, p99 ${ms(quantile(peerLat, 0.99))} -> ${(p50 / quantile(peerLat, 0.5)).toFixed(1)}x / ${(p99 / quantile(peerLat, 0.99)).toFixed(1)}x`,
    )

    // 4. burst: BURST creates at once.
    const burstSlots = Array.from({ length: BURST }, next)
    const raftB0 = await raftNext(cluster)
    const passesB0 = active.synced.length
    const tb = performance.now()
    let lastReturned = 0
    const burstUuids = await Promise.all(
      burstSlots.map(async (slot) => {
        const u = await createVif(seeded, slot)
        lastReturned = Math.max(lastReturned, performance.now())
        return u
      }),
    )
    const burstSeen = await watcher.all(burstUuids, `the ${BURST} burst ports`)
    await sleep(300)
    const raftB = (await raftNext(cluster)) - raftB0
    const passB = active.synced.slice(passesB0)
    const memBurst = memoryMb(active.pid)
    const peerBurstNames = Array.from(
      { length: BURST },
      (_, i) => `bbbbbbbb-1111-4222-8333-${i.toString(16).padStart(12, '0')}`,
    )
    const tp = performance.now()
    await attachPorts(
      nb,
      PEER_SWITCH,
      peerBurstNames.map((vifUuid, i) => ({ vifUuid, mac: mac(0x900000 + i) })),
    )
    const peerBurst = (await watcher.all(peerBurstNames, 'the peer burst')) - tp
    await detachPorts(nb, peerBurstNames)
    const burst = burstSeen - tb
    lines.push(
      `    what every pass repeats, alone from this process (median of 5): readSnapshot(nb, 'all') of ${names.length + SEQ + PEER_SEQ} ports ${ms(median(snapMs))} (leader CPU ${ms(median(snapServerMs))}); a full XAPI read (event.from with the empty token) ${ms(median(xapiReadMs))}`,
    )
    lines.push(
      `  burst of ${BURST} VIF.create at once -> all visible: ${ms(burst)} (aim <= 2000 ms: ${aim(burst <= 2000)}); the last create returned at ${ms(lastReturned - tb)}; ${raftB} RAFT commits, ${passB.length} writing passes (created ${passB.map((x) => String(x.summary.created)).join('+')}, durationMs ${passB.map((x) => String(x.summary.durationMs)).join('+')}) | peer attachPorts of ${BURST}, one call: ${ms(peerBurst)} -> ${(burst / peerBurst).toFixed(1)}x`,
    )

    // 5. RSS at rest.
    await sleep(10_000)
    const memRest = memoryMb(active.pid)
    const bare = idleNodeRssMb()
    const managed = names.length + SEQ + BURST
    lines.push(
      `  agent RSS: after the reconcile of ${names.length} VmRSS ${mem0.rss.toFixed(1)} MB (HWM ${mem0.hwm.toFixed(1)}) (aim <= 150 MB: ${aim(mem0.hwm <= 150)}); after the ${SEQ} sequential creates ${memSeq.rss.toFixed(1)} MB (HWM ${memSeq.hwm.toFixed(1)}); after the burst (${managed} ports) ${memBurst.rss.toFixed(1)} MB (HWM ${memBurst.hwm.toFixed(1)}); at rest 10 s later ${memRest.rss.toFixed(1)} MB (HWM ${memRest.hwm.toFixed(1)}) | peer idle bare node ${bare.toFixed(1)} MB -> ${(memRest.rss / bare).toFixed(2)}x`,
    )

    // 6. failover: a standby, SIGKILL the active, create at once (BENCH_POOL_AGENT_FAILOVERS=0: skipped).
    const failover: { total: number; toLock: number }[] = []
    for (let f = 0; f < FAILOVERS; f++) {
      const standby = spawnAgent(seeded.pool.url, remotes)
      agents.push(standby)
      await untilMark(standby, 'standbyAt')
      const tk = performance.now()
      active.child.kill('SIGKILL')
      const uuid = await createVif(seeded, next())
      const seenAt = await watcher.all([uuid], 'the port written by the standby')
      const lockAt = await untilMark(standby, 'lockAt')
      await active.exited
      failover.push({ total: seenAt - tk, toLock: lockAt - tk })
      active = standby
    }
    if (failover.length > 0)
      lines.push(
        `  failover (SIGKILL the active -> a VIF created right after is visible, written by the standby), median of ${FAILOVERS}: ${ms(median(failover.map((x) => x.total)))} (each: ${failover.map((x) => `${ms(x.total)}, lock taken at ${ms(x.toLock)}`).join(' | ')}) | peer healthy latency p50 ${ms(p50)} -> ${(median(failover.map((x) => x.total)) / p50).toFixed(1)}x`,
      )

    console.log(
      `pool agent bench (BENCH_ONLY=pool-agent): ${HOSTS} in-memory hosts, ${names.length} VIFs seeded in ${(seedMs / 1000).toFixed(1)} s, XAPI emulator over loopback (xen-api json-rpc), 3-member NB RAFT cluster on unix sockets, the agent as its own process (${process.version}, flags: ${AGENT_NODE_ARGS.join(' ') || 'none'}); load average ${loadavg()[0]?.toFixed(1)}:`,
    )
    for (const l of lines) console.log(l)
  } catch (err) {
    console.log(`pool agent bench not measured: ${errorText(err)}`)
    for (const a of agents) if (a.stderr !== '') console.log(`  agent ${a.pid} stderr tail: ${a.stderr.slice(-1500)}`)
  } finally {
    for (const a of agents) await stopAgent(a)
    await watchNb?.close().catch(() => undefined)
    await writer?.close().catch(() => undefined)
    await db?.destroy()
    await s?.xapi.close()
    await s?.pool.close()
  }
}
