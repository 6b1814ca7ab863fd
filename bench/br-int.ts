/**
 * The br-int way against the XAPI-bridge way (issue 12), measured in ONE run, one 2-host lab
 * (OverlayLab, standalone central, host agents) per integration mode, the same steps in each:
 *   1. plug to bound: BENCH_BRINT_PLUGS times (default 8) VIF.unplug + VIF.plug of one guest's
 *      tenant VIF; from the VIF.plug call to the southbound binding it to its host's chassis
 *      (polled through ovn-sbctl, every 20 ms: the same poll in every mode);
 *   2. pings lost during a live migration: BENCH_BRINT_MIGRATIONS (default 4) VM.pool_migrate
 *      rounds, each held BENCH_MIGRATE_COPY_MS (default 2000) with both ports present, a peer
 *      pinging every 50 ms (bench/migrate.ts pingAround); plain `port attach` ports, no pool agent;
 *   3. host reboot: LabHost reboot through the emulator (rebootHost), until the guest is bound again;
 *   4. host agent down: the agent stopped, the VIF replugged: bound within 5 s or not; then the
 *      agent started again: time to bound;
 *   5. reboot with the host agent disabled (no agent, so no boot one-shot either): what happens
 *      to the guest that xapi starts at boot.
 * Figures are printed per mode and as ratios to the XAPI-bridge way of the same run.
 */
import type { LabHost } from '../lab/host.js'
import { OverlayLab, TENANT_SWITCH, type LabGuest } from '../lab/overlay-lab.js'
import { migrateGuest, vifPorts } from '../lab/br-int-proof.js'
import { pingsWithin } from '../lab/overlay-proof.js'
import { sbPortBindings } from '../lab/southbound-view.js'
import type { IntegrationMode } from '../lib/chassis/keys.js'
import { errorText } from '../lib/error-text.js'
import { pingAround, type Round } from './migrate.js'

const PLUGS = Number(process.env.BENCH_BRINT_PLUGS ?? 8)
const MIGRATIONS = Number(process.env.BENCH_BRINT_MIGRATIONS ?? 4)
const COPY_MS = Number(process.env.BENCH_MIGRATE_COPY_MS ?? 2000)
const WAIT_MS = 60_000

interface ModeFigures {
  readonly mode: IntegrationMode
  readonly plugToBoundMs: readonly number[]
  readonly migrations: readonly Round[]
  readonly rebootMs: number
  readonly agentDown: string
  readonly agentBackMs: number | null
  readonly rebootWithoutAgent: string
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6

/** Poll the southbound until `vif` is bound to `host` (or the deadline); ms taken, or null. */
async function boundWithin(
  lab: OverlayLab,
  vif: string,
  host: LabHost,
  ms: number,
  t0 = now(),
): Promise<number | null> {
  for (;;) {
    if ((await sbPortBindings(lab.pool.central)).get(vif)?.chassis === host.uuid) return now() - t0
    if (now() - t0 > ms) return null
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function replug(lab: OverlayLab, guest: LabGuest): Promise<number> {
  const session = await lab.session()
  const ref = (await session.call('VIF.get_by_uuid', guest.tenantVif)) as string
  await session.call('VIF.unplug', ref)
  const t0 = now()
  await session.call('VIF.plug', ref)
  return t0
}

async function measure(mode: IntegrationMode): Promise<ModeFigures> {
  const lab = await OverlayLab.build({
    hosts: 2,
    clustered: false,
    vms: false,
    timeoutMs: WAIT_MS,
    ...(mode === 'xapi-bridge' ? {} : { integrationMode: mode }),
  })
  try {
    const [h1, h2] = lab.pool.hosts as [LabHost, LabHost]
    const peer = await lab.startGuest(h2)
    const mover = await lab.startGuest(h1)
    const attached = await lab.attach(
      TENANT_SWITCH,
      [peer, mover].map((g) => ({ vm: g.uuid, ips: [g.tenantIp], device: '0' })),
    )
    peer.tenantVif = attached.attachments[0]?.vif.uuid ?? null
    mover.tenantVif = attached.attachments[1]?.vif.uuid ?? null
    await lab.waitBound([peer, mover])
    const vif = mover.tenantVif as string

    const plugToBoundMs: number[] = []
    for (let i = 0; i < PLUGS; i++) {
      const t0 = await replug(lab, mover)
      const ms = await boundWithin(lab, vif, h1, WAIT_MS, t0)
      if (ms === null) throw new Error(`${mode}: replug ${i} never bound`)
      plugToBoundMs.push(ms)
    }

    if (!(await pingsWithin(peer, mover.tenantIp, WAIT_MS))) throw new Error(`${mode}: no ping before migrating`)
    const session = await lab.session()
    const migrations: Round[] = []
    for (let i = 0; i < MIGRATIONS; i++) {
      const to = i % 2 === 0 ? h2 : h1
      const copy = lab.xapi.emulator.holdMigration('destination-plugged', mover.ref)
      void copy.reached.then(() => setTimeout(() => copy.release(), COPY_MS))
      try {
        migrations.push(
          await pingAround(peer, mover.tenantIp, () =>
            session.call('VM.pool_migrate', mover.ref, lab.xapi.host(to.uuid).ref, {}),
          ),
        )
      } finally {
        copy.release()
      }
    }
    // Back where it started (MIGRATIONS is even by default); make sure it is bound there.
    if (MIGRATIONS % 2 === 1) await migrateGuest(lab, mover, h1)
    if ((await boundWithin(lab, vif, h1, WAIT_MS)) === null) throw new Error(`${mode}: not bound after migrating`)

    const r0 = now()
    await lab.rebootHost(h1)
    const rebootMs = now() - r0

    // The host agent down: a VIF plugged now.
    await h1.stopHostAgent()
    const t0 = await replug(lab, mover)
    const down = await boundWithin(lab, vif, h1, 5000, t0)
    const where = (await vifPorts(h1, vif)).map((p) => p.bridge).join(',')
    const agentDown =
      down === null ? `not bound after 5 s (port on ${where || 'no bridge'})` : `bound in ${down.toFixed(0)} ms`
    const a0 = now()
    h1.startHostAgent()
    const agentBackMs = await boundWithin(lab, vif, h1, WAIT_MS, a0)

    // A reboot with the agent disabled (xapi-ovn-agent.service, and so xapi-ovn-br-int.service, off).
    await h1.stopHostAgent()
    let rebootWithoutAgent: string
    try {
      const started = await lab.xapi.emulator.rebootHost(lab.xapi.host(h1.uuid).ref)
      const bound = await boundWithin(lab, vif, h1, 5000)
      const ports = (await vifPorts(h1, vif)).map((p) => p.bridge).join(',')
      rebootWithoutAgent = `${started.length} VM(s) started by xapi, ${bound === null ? 'not bound after 5 s' : 'bound'} (port on ${ports || 'no bridge'})`
    } catch (err) {
      rebootWithoutAgent = `xapi could not start the VM: ${errorText(err)}`
    }
    return { mode, plugToBoundMs, migrations, rebootMs, agentDown, agentBackMs, rebootWithoutAgent }
  } finally {
    await lab.destroy()
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2
}

export async function benchBrInt(): Promise<void> {
  const figures: ModeFigures[] = []
  for (const mode of ['xapi-bridge', 'unmanaged', 'reconcile'] as const) figures.push(await measure(mode))
  const base = figures[0] as ModeFigures
  const baseBound = median(base.plugToBoundMs)
  const lost = (f: ModeFigures): number => f.migrations.reduce((a, r) => a + r.lost, 0)
  const sent = (f: ModeFigures): number => f.migrations.reduce((a, r) => a + r.sent, 0)
  console.log(
    `the br-int way vs the XAPI-bridge way (2 hosts, OVN 23.03, ${PLUGS} replugs, ${MIGRATIONS} migrations held ${COPY_MS} ms, one run):`,
  )
  for (const f of figures) {
    const bound = median(f.plugToBoundMs)
    console.log(`  ${f.mode}:`)
    console.log(
      `    plug to bound: median ${bound.toFixed(0)} ms (min ${Math.min(...f.plugToBoundMs).toFixed(0)}, max ${Math.max(...f.plugToBoundMs).toFixed(0)}), ${(bound / baseBound).toFixed(2)}x xapi-bridge`,
    )
    console.log(
      `    migration: ${lost(f)} of ${sent(f)} echo requests lost [${f.migrations.map((r) => r.lost).join(', ')}] (xapi-bridge ${lost(base)})`,
    )
    console.log(
      `    reboot to bound: ${(f.rebootMs / 1000).toFixed(1)} s, ${(f.rebootMs / base.rebootMs).toFixed(2)}x xapi-bridge`,
    )
    console.log(
      `    host agent down, VIF replugged: ${f.agentDown}; agent started again: bound in ${f.agentBackMs === null ? 'never' : `${f.agentBackMs.toFixed(0)} ms`}`,
    )
    console.log(`    reboot with the host agent disabled: ${f.rebootWithoutAgent}`)
  }
}
