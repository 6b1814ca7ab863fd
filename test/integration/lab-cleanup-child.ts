// Helper process for lab-cleanup.test.ts (not a test itself): builds a small lab (an underlay,
// a host with ovsdb-server/ovs-vswitchd, a VM), prints what it created as one JSON line, and
// waits to be killed. SIGKILL leaves leftovers for sweepLeftovers; SIGTERM must clean up.
import { LabHost } from '../../lab/host.js'
import { Underlay } from '../../lab/underlay.js'
import { LabVm } from '../../lab/vm.js'

const underlay = await Underlay.create()
const host = await LabHost.create()
await host.createBridge('xenbr0', { networkUuids: ['00000000-0000-4000-8000-000000000001'] })
await host.addUplink('xenbr0', underlay, { ip: '192.0.2.99/24' })
const vm = await LabVm.create()
const report = {
  netns: [underlay.netns, host.netns, vm.netns],
  dirs: [host.rundir],
  pids: [host.ovsdbServer?.pid, host.vswitchd?.pid],
}
process.stdout.write(`${JSON.stringify(report)}\n`)
setInterval(() => undefined, 1_000_000)
