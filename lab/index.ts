/**
 * The lab: emulated XCP-ng pool hosts running real Open vSwitch and OVN in network namespaces.
 * This file only re-exports; each module documents itself:
 * - exec.ts: run a command (optionally in a netns), typed result, CommandError with stderr
 * - names.ts: short per-process unique names (netns, interfaces, temp dirs), uuids, MACs
 * - cleanup.ts: teardown registry (exit, SIGINT/SIGTERM/SIGHUP), netns/pid helpers, sweepLeftovers
 * - daemon.ts: start/stop one OVS/OVN daemon with --detach/--pidfile/--log-file
 * - underlay.ts: the physical switch (Linux bridge in a netns) and veth cables
 * - host.ts: LabHost, a pool host acting on OVS like xcp-networkd, xenopsd and ovs-xapi-sync
 * - vm.ts: LabVm guests, ping, tcpTransfer
 * - central.ts: OvnCentral, NB/SB ovsdb-servers (standalone or RAFT) and ovn-northd
 * - pool.ts: createLabPool, underlay + central + N hosts with xenbr0
 * - wait.ts: waitFor with deadlines
 *
 * @example
 * ```ts
 * import { createLabPool, LabVm, waitFor } from '../lab/index.js'
 * const pool = await createLabPool({ hosts: 2 })
 * t.after(() => pool.destroy())
 * ```
 */
export * from './errors.js'
export * from './exec.js'
export * from './names.js'
export * from './wait.js'
export * from './cleanup.js'
export * from './daemon.js'
export * from './underlay.js'
export * from './vm.js'
export * from './host.js'
export * from './central.js'
export * from './pool.js'
