/**
 * Routers (lib/nb/routers.ts), measured two ways.
 *
 * 1. Scale, on a real standalone OVN_Northbound ovsdb-server (test/integration/nb-server.ts):
 *    BENCH_ROUTER_SWITCHES switches (default 50) of BENCH_ROUTER_PORTS VIF ports each (default
 *    100: 5,000 ports). Router r1 gets every switch attached (one attachRouter call each), then
 *    its gateway (setRouterGateway: one SNAT row per switch). Printed: the pure plan time of an
 *    attach and of the gateway on a snapshot of that size (median of 20), the snapshot read, and
 *    each library call (read + plan + one guarded transaction; attach: median of the 50) against
 *    the peer in the same run: ONE raw transact of the same rows (the plan's operations without
 *    its waits) on a second server holding the same switches and ports; and, for attach, that
 *    transact plus the same snapshot read (what the plan and its guards add to a read-then-write).
 * 2. Gateway failover (lab/router-lab.ts): a ping every 100 ms from the tenant VM to the
 *    provider gateway (SNATed on the active gateway chassis); the active chassis is crashed
 *    (ovn-controller and ovs-vswitchd killed) and the longest gap between two replies is the
 *    time traffic stopped; also when the southbound showed the gateway on the next chassis.
 *    One run (BENCH_ROUTER_FAILOVER=0 skips it): BFD's detection (ovn-controller's default
 *    interval 1000 ms, multiplier 3) dominates.
 */
import { performance } from 'node:perf_hooks'
import {
  addLocalnetPort,
  addLogicalRouter,
  attachRouter,
  connectNorthbound,
  ensureLogicalSwitch,
  planAttachRouter,
  planRouterGateway,
  parseGatewaySpec,
  readRouterSnapshot,
  setRouterGateway,
} from '../lib/nb/index.js'
import type { OvsdbClient } from '../lib/ovsdb/client.js'
import { namedUuid, ovsdbMap, set } from '../lib/ovsdb/codec.js'
import { op, type Operation } from '../lib/ovsdb/operations.js'
import { RouterLab } from '../lab/router-lab.js'
import { run } from '../lab/exec.js'
import { waitFor } from '../lab/wait.js'
import { NbDatabase } from '../test/integration/nb-server.js'

const SWITCHES = Number(process.env.BENCH_ROUTER_SWITCHES ?? 50)
const PORTS = Number(process.env.BENCH_ROUTER_PORTS ?? 100)
const DB = 'OVN_Northbound'
const GATEWAY = { switch: 'provider', ip: '198.18.0.10/24', chassis: ['gw-a', 'gw-b'] }

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? Number.NaN
}

function pureMs(f: () => unknown): number {
  const t0 = performance.now()
  f()
  return performance.now() - t0
}

async function timed<T>(f: () => Promise<T> | T): Promise<[number, T]> {
  const t0 = performance.now()
  const r = await f()
  return [performance.now() - t0, r]
}

/** 50 switches x 100 VIF ports (one raw transaction per switch: the fixture, not measured), the provider switch, r1. */
async function populate(nb: OvsdbClient): Promise<void> {
  for (let s = 0; s < SWITCHES; s++) {
    const ops: Operation[] = []
    const names: ReturnType<typeof namedUuid>[] = []
    for (let p = 0; p < PORTS; p++) {
      const n = s * PORTS + p
      const vif = `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`
      const mac = `02:00:00:${((n >> 16) & 255).toString(16).padStart(2, '0')}:${((n >> 8) & 255).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`
      ops.push(op.insert('Logical_Switch_Port', { name: vif, addresses: set(`${mac} 198.19.${s}.${10 + p}`) }, `p${p}`))
      names.push(namedUuid(`p${p}`))
    }
    ops.push(
      op.insert('Logical_Switch', {
        name: `t${s}`,
        ports: set(...names),
        other_config: ovsdbMap({ subnet: `198.19.${s}.0/24` }),
      }),
    )
    await nb.transact(DB, ops)
  }
  await ensureLogicalSwitch(nb, 'provider', { subnet: '198.18.0.0/24' })
  await addLocalnetPort(nb, 'provider', { networkName: 'physnet-mgmt' })
  await addLogicalRouter(nb, 'r1')
}

/** The plan's own rows without its guards: what a client that trusts its read would send. */
function raw(operations: readonly Operation[]): Operation[] {
  return operations.filter((o) => o.op !== 'wait')
}

async function benchScale(): Promise<void> {
  const lib = await NbDatabase.standalone()
  const peer = await NbDatabase.standalone()
  try {
    const a = await connectNorthbound(lib.remotes, { timeoutMs: 120_000 })
    const b = await connectNorthbound(peer.remotes, { timeoutMs: 120_000 })
    try {
      await populate(a)
      await populate(b)
      const libAttach: number[] = []
      const rawAttach: number[] = []
      const readAttach: number[] = []
      const last = `t${SWITCHES - 1}`
      const attach = async (sw: string): Promise<void> => {
        libAttach.push((await timed(() => attachRouter(a, 'r1', sw)))[0])
        const [readB, snapB] = await timed(() => readRouterSnapshot(b))
        const plan = planAttachRouter(snapB, 'r1', sw)
        const [writeB] = await timed(() => b.transact(DB, raw(plan.operations)))
        rawAttach.push(writeB)
        readAttach.push(readB + writeB)
      }
      for (let s = 0; s < SWITCHES - 1; s++) await attach(`t${s}`)
      // The last attach and the gateway, planned on a full snapshot (pure: no socket).
      const [readMs, snap] = await timed(() => readRouterSnapshot(a))
      const planAttach = median(Array.from({ length: 20 }, () => pureMs(() => planAttachRouter(snap, 'r1', last))))
      await attach(last)
      const g = parseGatewaySpec(GATEWAY)
      const full = await readRouterSnapshot(a)
      const planGw = median(Array.from({ length: 20 }, () => pureMs(() => planRouterGateway(full, 'r1', g))))
      const [libGw, result] = await timed(() => setRouterGateway(a, 'r1', GATEWAY))
      const gwPlan = planRouterGateway(await readRouterSnapshot(b), 'r1', g)
      const [rawGw] = await timed(() => b.transact(DB, raw(gwPlan.operations)))
      const ports = SWITCHES * PORTS
      console.log(
        `router at scale (${SWITCHES} switches, ${ports} ports) on a real OVN_Northbound ovsdb-server; peer: one raw transact of the same rows, no read, no guard:`,
      )
      console.log(`  snapshot read (switches, ${ports} ports, router tables): ${readMs.toFixed(1)} ms`)
      console.log(
        `  plan (pure): attach ${planAttach.toFixed(2)} ms, gateway with ${result.snatAdded} SNAT rows ${planGw.toFixed(2)} ms (median of 20)`,
      )
      const ma = median(libAttach)
      const mr = median(rawAttach)
      console.log(
        `  router attach: library ${ma.toFixed(1)} ms vs raw ${mr.toFixed(1)} ms -> ${(ma / mr).toFixed(1)}x (median of ${libAttach.length})`,
      )
      const mra = median(readAttach)
      console.log(
        `  router attach: library ${ma.toFixed(1)} ms vs the same read + raw transact ${mra.toFixed(1)} ms -> ${(ma / mra).toFixed(2)}x (what the plan and guards add)`,
      )
      console.log(
        `  router gateway: library ${libGw.toFixed(1)} ms vs raw ${rawGw.toFixed(1)} ms -> ${(libGw / rawGw).toFixed(1)}x`,
      )
    } finally {
      await a.close()
      await b.close()
    }
  } finally {
    await lib.destroy()
    await peer.destroy()
  }
}

/** Reply times (ms, the ping's own -D clock) of a ping every 100 ms for `seconds`. */
function replyTimes(stdout: string): number[] {
  return [...stdout.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from/gm)].map((m) => Number(m[1]) * 1000)
}

async function benchFailover(): Promise<void> {
  const lab = await RouterLab.build()
  try {
    await waitFor('SNAT traffic', () => lab.vm.ping(lab.gateway.address, { count: 1 }), { timeoutMs: 60_000 })
    const pinging = run('ping', ['-n', '-D', '-i', '0.1', '-W', '1', '-w', '30', lab.gateway.address], {
      netns: lab.vm.netns,
      check: false,
      timeoutMs: 40_000,
    })
    await new Promise((r) => setTimeout(r, 2000))
    const crashedAt = performance.now()
    const killed = await lab.crashActiveGateway()
    const next = lab.gatewayChassis.find((c) => c !== killed) ?? ''
    await waitFor(
      'the gateway on the next chassis',
      async () => ((await lab.activeGateway()) === next ? true : undefined),
      {
        timeoutMs: 60_000,
        intervalMs: 50,
      },
    )
    const movedMs = performance.now() - crashedAt
    const times = replyTimes((await pinging).stdout)
    let gap = 0
    for (let i = 1; i < times.length; i++) gap = Math.max(gap, (times[i] ?? 0) - (times[i - 1] ?? 0))
    console.log(
      'gateway failover (lab: 3 chassis, the active gateway chassis crashed: ovn-controller and ovs-vswitchd killed):',
    )
    console.log(
      `  SNAT traffic stopped ${(gap / 1000).toFixed(2)} s (longest gap between replies, ping every 100 ms); the southbound showed the gateway on the next chassis after ${(movedMs / 1000).toFixed(2)} s; ${times.length} replies in 30 s (one run)`,
    )
  } finally {
    await lab.destroy()
  }
}

export async function benchRouter(): Promise<void> {
  await benchScale()
  if (process.env.BENCH_ROUTER_FAILOVER !== '0') await benchFailover()
}
