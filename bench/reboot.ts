/**
 * Reboot-to-ping (issue 9's proof, measured): a 2-host lab pool set up by xapi-ovn (OverlayLab:
 * RAFT central, host agents, VMs attached), then host 2 reboots as XCP-ng 8.3 does (empty conf.db,
 * xapi-autostart-vms, the host agent re-applying the chassis, ovn-controller gated by the
 * drop-in's rule) and we time until its VM answers a ping from the VM on host 1 over Geneve.
 * Peer in the same run: the same VM shut down and started again through XAPI on its running
 * host (no reboot: the chassis stays), timed the same way — the ratio is what the reboot and the
 * re-applied chassis add. Each measured BENCH_REBOOT_ROUNDS times (default 3), medians.
 */
import { OverlayLab, type LabGuest } from '../lab/overlay-lab.js'
import { waitFor } from '../lab/wait.js'

const ROUNDS = Number(process.env.BENCH_REBOOT_ROUNDS ?? 3)
const TIMEOUT_MS = 120_000

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? Number.NaN
}

async function untilPing(from: LabGuest, to: LabGuest, start: bigint): Promise<number> {
  await waitFor(`${from.name} pings ${to.name}`, () => from.guest.ping(to.tenantIp, { count: 1, waitS: 1 }), {
    timeoutMs: TIMEOUT_MS,
    intervalMs: 20,
  })
  return Number(process.hrtime.bigint() - start) / 1e6
}

export async function benchReboot(): Promise<void> {
  const lab = await OverlayLab.build({ hosts: 2 })
  try {
    const [h1, h2] = lab.pool.hosts
    const peer = lab.guests.find((g) => g.host === h1)
    const vm = lab.guests.find((g) => g.host === h2)
    if (h2 === undefined || peer === undefined || vm === undefined) throw new Error('the lab has no VM on each host')
    const session = await lab.session()
    const reboots: number[] = []
    const restarts: number[] = []
    for (let i = 0; i < ROUNDS; i++) {
      let start = process.hrtime.bigint()
      await lab.rebootHost(h2)
      reboots.push(await untilPing(peer, vm, start))

      start = process.hrtime.bigint()
      await session.call('VM.hard_shutdown', vm.ref)
      await session.call('VM.start_on', vm.ref, lab.xapi.host(h2.uuid).ref, false, false)
      await vm.guest.exec('ip', ['addr', 'replace', `${vm.providerIp}/24`, 'dev', 'eth1'])
      restarts.push(await untilPing(peer, vm, start))
    }
    const r = median(reboots)
    const s = median(restarts)
    console.log(
      `host reboot to ping (2 hosts, RAFT central, host agents; ${ROUNDS} rounds, medians): reboot -> the VM pings again ${(r / 1000).toFixed(2)} s | VM restart on a running host -> ping ${(s / 1000).toFixed(2)} s -> ${(r / s).toFixed(1)}x`,
    )
  } finally {
    await lab.destroy()
  }
}
