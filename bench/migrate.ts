/**
 * Pings lost across a live migration (VM.pool_migrate in xapi's order, xapi-emulator/vm-migration.ts),
 * with and without the pool agent: a 2-host lab pool set up by xapi-ovn (OverlayLab, standalone
 * central, host agents), a peer VM on host B pinging the migrating VM every 50 ms
 * (`ping -i 0.05`) from before the call until the VM has answered for a second after it.
 *   - with the agent (lib/agent in this process): the VM's port follows XAPI, requested-chassis
 *     "src,dst" during the copy and "dst" once resident_on flips;
 *   - peer in the same run: a VM with a plain `port attach` port (no requested-chassis), the agent
 *     stopped: both hosts carry the iface-id during the copy and ovn-controller on each takes the
 *     binding from the other (docs/platform.md "Live migration (VM.pool_migrate)").
 * BENCH_MIGRATE_ROUNDS migrations each (default 6, alternating A -> B and back), each held
 * BENCH_MIGRATE_COPY_MS (default 2000) with both ports present, standing for the memory copy; per
 * round the echo requests lost and the longest run of them (x 50 ms = the outage), then the totals.
 */
import { spawn } from 'node:child_process'
import { startAgent } from '../lib/agent/agent.js'
import type { LabHost } from '../lab/host.js'
import { OverlayLab, TENANT_SWITCH, type LabGuest } from '../lab/overlay-lab.js'
import { pingsWithin } from '../lab/overlay-proof.js'

const ROUNDS = Number(process.env.BENCH_MIGRATE_ROUNDS ?? 6)
/**
 * The memory copy's length: the emulator copies nothing, so the migration is held this long at
 * `destination-plugged` (both ports present), as a real copy of a small guest lasts seconds.
 */
const COPY_MS = Number(process.env.BENCH_MIGRATE_COPY_MS ?? 2000)
const INTERVAL_S = 0.05
const WAIT_MS = 60_000
/** Stop pinging once this many echo requests in a row were answered after the migration. */
const STEADY = 20
const CAP_MS = 30_000

export interface Round {
  readonly sent: number
  readonly lost: number
  readonly longest: number
  readonly migrateMs: number
}

/** Ping `to` from `from` every 50 ms around `migrate()`; which echo requests got no reply. */
export async function pingAround(from: LabGuest, to: string, migrate: () => Promise<unknown>): Promise<Round> {
  const child = spawn(
    'ip',
    ['netns', 'exec', from.guest.netns, 'ping', '-n', '-i', String(INTERVAL_S), '-W', '1', to],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  )
  const replied = new Set<number>()
  let last = 0
  let buffer = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    buffer += chunk
    const lines = buffer.split('\n')
    buffer = lines.pop() ?? ''
    for (const line of lines) {
      const seq = /icmp_seq=([0-9]+)/.exec(line)?.[1]
      if (seq !== undefined) {
        replied.add(Number(seq))
        last = Math.max(last, Number(seq))
      }
    }
  })
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  await new Promise((r) => setTimeout(r, 1000))
  const started = process.hrtime.bigint()
  await migrate()
  const migrateMs = Number(process.hrtime.bigint() - started) / 1e6
  const deadline = Date.now() + CAP_MS
  const steady = (): boolean => {
    for (let s = last; s > last - STEADY; s--) if (s < 1 || !replied.has(s)) return false
    return true
  }
  while (!steady() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  child.kill('SIGINT')
  await exited
  let lost = 0
  let longest = 0
  let run = 0
  for (let s = 1; s <= last; s++) {
    if (replied.has(s)) run = 0
    else {
      lost++
      run++
      longest = Math.max(longest, run)
    }
  }
  return { sent: last, lost, longest, migrateMs }
}

async function rounds(lab: OverlayLab, peer: LabGuest, vm: LabGuest, hosts: readonly LabHost[]): Promise<Round[]> {
  const session = await lab.session()
  const out: Round[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const to = hosts[(i + 1) % 2] as LabHost
    if (!(await pingsWithin(peer, vm.tenantIp, WAIT_MS))) throw new Error(`${vm.name} unreachable before round ${i}`)
    const copy = lab.xapi.emulator.holdMigration('destination-plugged', vm.ref)
    void copy.reached.then(() => setTimeout(() => copy.release(), COPY_MS))
    try {
      out.push(
        await pingAround(peer, vm.tenantIp, () =>
          session.call('VM.pool_migrate', vm.ref, lab.xapi.host(to.uuid).ref, {}),
        ),
      )
    } finally {
      copy.release()
    }
  }
  return out
}

function line(label: string, rs: readonly Round[]): string {
  const lost = rs.reduce((a, r) => a + r.lost, 0)
  const sent = rs.reduce((a, r) => a + r.sent, 0)
  const per = rs.map((r) => `${r.lost} (longest ${Math.round(r.longest * INTERVAL_S * 1000)} ms)`).join(', ')
  const ms = rs.map((r) => r.migrateMs.toFixed(0)).join('/')
  return `${label}: ${lost} of ${sent} echo requests lost over ${rs.length} migrations [${per}]; pool_migrate ${ms} ms`
}

export async function benchMigrate(): Promise<void> {
  const lab = await OverlayLab.build({ hosts: 2, clustered: false, vms: false, timeoutMs: WAIT_MS })
  try {
    const hosts = lab.pool.hosts as [LabHost, LabHost]
    const agent = startAgent({
      xapi: { url: lab.xapi.url, password: lab.password, transport: 'json-rpc' },
      nb: lab.nbRemotes,
      resyncIntervalMs: 0,
      eventTimeoutS: 5,
    })
    let withAgent: Round[]
    const peer = await lab.startGuest(hosts[1])
    try {
      const mover = await lab.startGuest(hosts[0])
      mover.tenantVif = await lab.plugAgentVif(mover, TENANT_SWITCH)
      peer.tenantVif = await lab.plugAgentVif(peer, TENANT_SWITCH)
      await lab.waitBound([mover, peer])
      withAgent = await rounds(lab, peer, mover, hosts)
    } finally {
      await agent.stop()
    }
    const plain = await lab.startGuest(hosts[0])
    const attached = await lab.attach(TENANT_SWITCH, [{ vm: plain.uuid, ips: [plain.tenantIp], device: '0' }])
    plain.tenantVif = attached.attachments[0]?.vif.uuid ?? null
    await lab.waitBound([plain])
    const without = await rounds(lab, peer, plain, hosts)
    const lostWith = withAgent.reduce((a, r) => a + r.lost, 0)
    const lostWithout = without.reduce((a, r) => a + r.lost, 0)
    console.log(
      `live migration, pings every ${INTERVAL_S * 1000} ms from a peer VM (2 hosts, OVN 23.03, ${COPY_MS} ms copy with both ports):`,
    )
    console.log(`  ${line('with the pool agent (requested-chassis src,dst then dst)', withAgent)}`)
    console.log(`  ${line('without (plain port, no requested-chassis)', without)}`)
    console.log(
      `  lost without / with: ${lostWith === 0 ? `${lostWithout} / 0` : (lostWithout / lostWith).toFixed(1)}${lostWith === 0 ? '' : 'x'}`,
    )
  } finally {
    await lab.destroy()
  }
}
