// VM.pool_migrate over real lab hosts (ovsdb-server + ovs-vswitchd in namespaces), driven by the
// unmodified xen-api client: the destination's vif<new domid>.<device> appears on its bridge
// while the source's still carries the guest, the source's goes after the move, and the guest
// (same namespace, MAC and IP) announces itself with a gratuitous ARP, so a guest on the other
// host reaches it again through the underlay's learning switch (docs/platform.md, "Live
// migration (VM.pool_migrate)"). And a VIF with locking_mode disabled gets its device but no
// port (docs/platform.md, "VIF locking mode").
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Xapi } from 'xen-api'
import type { LabHost } from '../../lab/host.js'
import { createLabPool, type LabPool } from '../../lab/pool.js'
import { LabVm } from '../../lab/vm.js'
import { createEmulatedPool, type EmulatedPool, type HostBackend } from '../../xapi-emulator/index.js'
import { PASSWORD, connectClient } from '../../xapi-emulator/testing.js'

interface Fixture {
  lab: LabPool
  pool: EmulatedPool<LabVm>
  xapi: Xapi
  h1: LabHost
  h2: LabHost
}

async function fixture(
  t: { after(fn: () => unknown): void },
  vms: Array<{ name_label: string; guest: LabVm }>,
): Promise<Fixture> {
  // No host agent: nothing here needs iface-id, and the guests talk over xenbr0, not OVN.
  const lab = await createLabPool({ hosts: 2, hostAgent: false })
  let pool: EmulatedPool<LabVm> | undefined
  t.after(async () => {
    await pool?.close()
    await lab.destroy()
  })
  const backends: readonly HostBackend<LabVm>[] = lab.hosts
  pool = await createEmulatedPool({
    hosts: backends,
    password: PASSWORD,
    managementNetworkUuid: lab.managementNetworkUuid,
    vms,
  })
  const xapi = await connectClient(t, pool, 'json-rpc')
  const [h1, h2] = lab.hosts as [LabHost, LabHost]
  return { lab, pool, xapi, h1, h2 }
}

/** A VIF on the management network (xenbr0, cabled to the underlay) with the guest's MAC. */
async function vifOnXenbr0(
  xapi: Xapi,
  pool: EmulatedPool<LabVm>,
  vm: string,
  mac: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  return (await xapi.call('VIF.create', {
    device: '0',
    network: pool.managementNetwork,
    VM: vm,
    MAC: mac,
    MTU: 1500,
    other_config: {},
    qos_algorithm_type: '',
    qos_algorithm_params: {},
    ...extra,
  })) as string
}

async function ports(host: LabHost, bridge = 'xenbr0'): Promise<string[]> {
  return (await host.vsctl('list-ports', bridge)).split('\n').filter((p) => p.startsWith('vif'))
}

async function hasDevice(netns: { exec: LabHost['exec'] }, dev: string): Promise<boolean> {
  return (await netns.exec('ip', ['link', 'show', dev], { check: false })).ok
}

test('pool_migrate between two lab hosts: destination port first, source port gone after, the guest keeps MAC and IP and answers ping from the other host', async (t) => {
  const mover = await LabVm.create({ name: 'mover', ip: '198.18.60.1/24' })
  const peer = await LabVm.create({ name: 'peer', ip: '198.18.60.2/24' })
  t.after(async () => {
    await mover.destroy()
    await peer.destroy()
  })
  const { pool, xapi, h1, h2 } = await fixture(t, [
    { name_label: 'mover', guest: mover },
    { name_label: 'peer', guest: peer },
  ])
  const [vm, peerVm] = pool.vms as [string, string]
  const vif = await vifOnXenbr0(xapi, pool, vm, mover.mac)
  await vifOnXenbr0(xapi, pool, peerVm, peer.mac)
  const h1Ref = pool.host(h1.uuid).ref
  const h2Ref = pool.host(h2.uuid).ref
  // peer first: mover is domid 2 on host1, and gets domid 1 on host2.
  await xapi.call('VM.start_on', peerVm, h1Ref, false, false)
  await xapi.call('VM.start_on', vm, h1Ref, false, false)
  assert.ok(await peer.ping(mover.address as string), 'both on host1 before the move')
  const vifUuid = (await xapi.call('VIF.get_uuid', vif)) as string

  const plugged = pool.emulator.holdMigration('destination-plugged', vm)
  const task = (await xapi.call('Async.VM.pool_migrate', vm, h2Ref, {})) as string
  const done = xapi.watchTask(task)
  const point = await plugged.reached
  assert.deepEqual([point.sourceDomid, point.destinationDomid], [2, 1])
  // During the copy: both hosts have a port for the VIF, with the same xs-vif-uuid, and the guest
  // still runs (and answers) through the source's.
  assert.deepEqual((await ports(h1)).sort(), ['vif1.0', 'vif2.0'])
  assert.deepEqual(await ports(h2), ['vif1.0'])
  assert.equal(await h1.vsctl('get', 'Interface', 'vif2.0', 'external_ids:xs-vif-uuid'), `"${vifUuid}"`)
  assert.equal(await h2.vsctl('get', 'Interface', 'vif1.0', 'external_ids:xs-vif-uuid'), `"${vifUuid}"`)
  assert.ok(await hasDevice(mover, 'eth0n'), "the destination's end waits in the guest")
  assert.ok(await peer.ping(mover.address as string), 'the guest answers through the source during the copy')
  plugged.release()
  await done

  // After: the guest's port only on host2's bridge, the source's port and device gone.
  await xapi.barrier()
  const rec = xapi.getObjectByRef(vm)
  assert.equal(rec.resident_on, h2Ref)
  assert.equal(rec.domid, 1)
  assert.deepEqual(await ports(h1), ['vif1.0'], "only peer's port is left on host1")
  assert.equal(await hasDevice(h1, 'vif2.0'), false)
  assert.deepEqual(await ports(h2), ['vif1.0'])
  assert.equal(await h2.vsctl('get', 'Interface', 'vif1.0', 'external_ids:xs-vif-uuid'), `"${vifUuid}"`)
  assert.equal(xapi.getObjectByRef(vif).currently_attached, true)

  // The guest: same namespace, one NIC eth0 with its MAC and IP (the old and waiting ends gone).
  const link = await mover.exec('ip', ['-o', 'link', 'show', 'eth0'])
  assert.match(link.stdout, new RegExp(`link/ether ${mover.mac}`))
  const addr = await mover.exec('ip', ['-o', '-4', 'addr', 'show', 'dev', 'eth0'])
  assert.match(addr.stdout, /inet 198\.18\.60\.1\/24/)
  assert.equal(await hasDevice(mover, 'eth0o'), false)
  assert.equal(await hasDevice(mover, 'eth0n'), false)

  // Its gratuitous ARP moved it in the underlay's learning bridge: reachable from host1 again.
  assert.ok(await peer.ping(mover.address as string), 'peer on host1 reaches the migrated guest on host2')
  assert.ok(await mover.ping(peer.address as string))

  // And back (synchronous call): a third domain, on host1 beside peer; still one NIC, still reachable.
  await xapi.call('VM.pool_migrate', vm, h1Ref, {})
  await xapi.barrier()
  assert.equal(xapi.getObjectByRef(vm).resident_on, h1Ref)
  assert.equal(xapi.getObjectByRef(vm).domid, 3)
  assert.deepEqual((await ports(h1)).sort(), ['vif1.0', 'vif3.0'])
  assert.deepEqual(await ports(h2), [])
  assert.deepEqual(
    (await mover.exec('ip', ['-o', 'link', 'show'])).stdout.match(/eth0\w*/g),
    ['eth0'],
    'one NIC in the guest',
  )
  assert.ok(await peer.ping(mover.address as string), 'peer reaches it beside it on host1 again')
})

test('locking_mode disabled on a lab host: the VIF is attached in XAPI, its device exists, no port on any bridge', async (t) => {
  const guest = await LabVm.create({ name: 'unlocked-off', ip: '198.18.61.1/24' })
  t.after(() => guest.destroy())
  const { pool, xapi, h1 } = await fixture(t, [{ name_label: 'off', guest }])
  const [vm] = pool.vms as [string]
  const vif = await vifOnXenbr0(xapi, pool, vm, guest.mac, { locking_mode: 'disabled' })
  await xapi.call('VM.start_on', vm, pool.host(h1.uuid).ref, false, false)
  await xapi.barrier()
  assert.equal(xapi.getObjectByRef(vif).currently_attached, true)
  assert.ok(await hasDevice(h1, 'vif1.0'), 'the device exists')
  assert.deepEqual(await ports(h1), [])
  assert.equal((await h1.vsctl('--bare', '--columns=name', 'find', 'Port', 'name=vif1.0')).trim(), '', 'no Port row')
  assert.ok(await hasDevice(guest, 'eth0'), 'the guest has its NIC, on nothing')
})
