// VM.pool_migrate in the emulator, as the unmodified xen-api client sees it through event.from:
// xapi's order (current_operations and scheduled_to_be_resident_on first, the destination's
// ports before the memory copy, the source's after the destination runs, resident_on last, the
// operation cleared after it), xapi's refusals, and setup-vif-rules' `disabled` locking mode
// (docs/platform.md, "Live migration (VM.pool_migrate)"; docs/platform.md, "VIF locking mode").
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Xapi } from 'xen-api'
import { isRecord } from '../../lib/shape.js'
import { createEmulatedPool, type EmulatedPool, type MemoryHostBackend } from '../../xapi-emulator/index.js'
import { NULL_REF } from '../../xapi-emulator/values.js'
import {
  PASSWORD,
  connectClient,
  memoryHosts,
  rejectsWithXapiError,
  type Transport,
} from '../../xapi-emulator/testing.js'

interface Fixture {
  pool: EmulatedPool
  xapi: Xapi
  hosts: [MemoryHostBackend, MemoryHostBackend]
  refs: [string, string]
  vm: string
  vif: string
  net: string
}

/** Two hosts; VM `mover` (one VIF on an internal network) running on host1; `stayer` on host2. */
async function fixture(
  t: { after(fn: () => unknown): void },
  transport: Transport = 'json-rpc',
  vifFields: Record<string, unknown> = {},
): Promise<Fixture> {
  const hosts = memoryHosts(2) as [MemoryHostBackend, MemoryHostBackend]
  const pool = await createEmulatedPool({
    hosts,
    password: PASSWORD,
    vms: [{ name_label: 'mover' }, { name_label: 'stayer' }],
  })
  t.after(() => pool.close())
  const xapi = await connectClient(t, pool, transport)
  const [vm, stayer] = pool.vms as [string, string]
  const refs = pool.hosts.map((h) => h.ref) as [string, string]
  const net = (await xapi.call('network.create', {
    name_label: 'ovn-int',
    name_description: '',
    MTU: 1500,
    other_config: {},
  })) as string
  const vif = (await xapi.call('VIF.create', {
    device: '0',
    network: net,
    VM: vm,
    MAC: '02:00:00:00:01:01',
    MTU: 1500,
    other_config: {},
    qos_algorithm_type: '',
    qos_algorithm_params: {},
    ...vifFields,
  })) as string
  // stayer takes domid 1 on host2, so the migrated domain gets a domid the source never had.
  await xapi.call('VM.start_on', stayer, refs[1], false, false)
  await xapi.call('VM.start_on', vm, refs[0], false, false)
  return { pool, xapi, hosts, refs, vm, vif, net }
}

interface VmState {
  ops: string
  scheduled: string
  resident: string
  domid: string
}

/**
 * Every distinct state of the VM's migration fields event.from reports, in order, read by the
 * real client's `call('event.from', ...)` on its own session.
 */
function recordVm(
  t: { after(fn: () => unknown): void },
  xapi: Xapi,
  vm: string,
): { states: VmState[]; vifAttached: unknown[] } {
  const states: VmState[] = []
  const vifAttached: unknown[] = []
  let stopped = false
  t.after(() => {
    stopped = true
  })
  void (async () => {
    let token = ''
    while (!stopped) {
      let reply: unknown
      try {
        reply = await xapi.call('event.from', ['VM', 'VIF'], token, 1)
      } catch {
        return // the pool closed
      }
      if (!isRecord(reply) || !Array.isArray(reply.events)) return
      token = String(reply.token)
      for (const ev of reply.events) {
        if (!isRecord(ev) || !isRecord(ev.snapshot)) continue
        const snap = ev.snapshot
        if (ev.class === 'vif') vifAttached.push(snap.currently_attached)
        if (ev.class !== 'vm' || ev.ref !== vm) continue
        const state: VmState = {
          ops: JSON.stringify(snap.current_operations),
          scheduled: String(snap.scheduled_to_be_resident_on),
          resident: String(snap.resident_on),
          domid: String(snap.domid),
        }
        const last = states.at(-1)
        if (last === undefined || JSON.stringify(last) !== JSON.stringify(state)) states.push(state)
      }
    }
  })()
  return { states, vifAttached }
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return
    await new Promise((r) => setTimeout(r, 10))
  }
  assert.fail(`never happened: ${what}`)
}

for (const transport of ['json-rpc', 'xml-rpc'] as const) {
  test(`pool_migrate (${transport}): every phase in xapi's order, as event.from shows it`, async (t) => {
    const { pool, xapi, hosts, refs, vm, vif } = await fixture(t, transport)
    const [src, dst] = hosts
    const [srcRef, dstRef] = refs
    const recorder = recordVm(t, xapi, vm)
    await until('the recorder saw the VM', () => recorder.states.length > 0)
    const vifUuid = (await xapi.call('VIF.get_uuid', vif)) as string
    const holds = Object.fromEntries(
      (['reserved', 'destination-plugged', 'destination-running', 'source-removed', 'resident'] as const).map((p) => [
        p,
        pool.emulator.holdMigration(p, vm),
      ]),
    )
    const task = (await xapi.call('Async.VM.pool_migrate', vm, dstRef, {})) as string
    const done = xapi.watchTask(task)

    // reserved: the operation and the destination are in XAPI; nothing on the hosts yet.
    const reserved = await holds.reserved?.reached
    assert.equal(reserved?.task, task)
    await until('reserved seen', () => recorder.states.at(-1)?.scheduled === dstRef)
    await xapi.barrier()
    const held = xapi.getObjectByRef(vm)
    assert.deepEqual(held.current_operations, { [task]: 'pool_migrate' })
    assert.equal(held.scheduled_to_be_resident_on, dstRef)
    assert.equal(held.resident_on, srcRef)
    assert.deepEqual(xapi.getObjectByRef(dstRef).current_operations, { [task]: 'vm_migrate' })
    assert.equal(src.port('vif1.0')?.vifUuid, vifUuid)
    assert.equal(dst.bridges.has('xapi0'), false, 'the destination has no bridge for it yet')
    holds.reserved?.release()

    // destination-plugged: a second port for the same VIF, vif<new domid>.0 on host2, before the copy.
    const plugged = await holds['destination-plugged']?.reached
    assert.equal(plugged?.sourceDomid, 1)
    assert.equal(plugged?.destinationDomid, 2)
    assert.equal(src.port('vif1.0')?.vifUuid, vifUuid)
    assert.equal(dst.port('vif2.0')?.vifUuid, vifUuid)
    assert.equal(dst.port('vif2.0')?.bridge, 'xapi0')
    assert.equal(dst.resumed.has('vif2.0'), false, 'the guest still runs on the source')
    holds['destination-plugged']?.release()

    // destination-running: the guest uses host2's device; the source's port is still there.
    await holds['destination-running']?.reached
    assert.ok(dst.resumed.has('vif2.0'))
    assert.ok(src.port('vif1.0') !== undefined)
    holds['destination-running']?.release()

    // source-removed: the source's port and its now-empty internal bridge are gone, resident_on not yet.
    await holds['source-removed']?.reached
    assert.equal(src.port('vif1.0'), undefined)
    assert.equal(src.bridges.has('xapi0'), false)
    await xapi.barrier()
    assert.equal(xapi.getObjectByRef(vm).resident_on, srcRef)
    holds['source-removed']?.release()

    // resident: resident_on flipped and scheduled cleared while the operation is still listed.
    await holds.resident?.reached
    await until('resident seen', () => recorder.states.at(-1)?.resident === dstRef)
    holds.resident?.release()
    await done
    await until('operation cleared', () => recorder.states.at(-1)?.ops === '{}')

    const d0 = { ops: '{}', scheduled: NULL_REF, resident: srcRef, domid: '1' }
    const op = JSON.stringify({ [task]: 'pool_migrate' })
    assert.deepEqual(recorder.states, [
      d0,
      { ops: op, scheduled: dstRef, resident: srcRef, domid: '1' },
      { ops: op, scheduled: NULL_REF, resident: dstRef, domid: '2' },
      { ops: '{}', scheduled: NULL_REF, resident: dstRef, domid: '2' },
    ])
    assert.ok(
      recorder.vifAttached.every((a) => a === true),
      'currently_attached never changes',
    )
    await xapi.barrier()
    assert.deepEqual(xapi.getObjectByRef(dstRef).current_operations, {})
    assert.ok((xapi.getObjectByRef(dstRef).resident_VMs as string[]).includes(vm))
    assert.ok(!(xapi.getObjectByRef(srcRef).resident_VMs as string[]).includes(vm))
    assert.equal(xapi.getObjectByRef(vif).currently_attached, true)
  })
}

test('pool_migrate refusals: xapi codes and params, in its order', async (t) => {
  const { pool, xapi, refs, vm } = await fixture(t)
  const [srcRef, dstRef] = refs
  const halted = pool.emulator.addVm({ name_label: 'halted' })
  await rejectsWithXapiError(xapi.callAsync('VM.pool_migrate', halted, dstRef, {}), 'VM_BAD_POWER_STATE', [
    halted,
    'running',
    'halted',
  ])
  const dom0 = xapi.getObjectByRef(srcRef).control_domain as string
  await rejectsWithXapiError(xapi.call('VM.pool_migrate', dom0, dstRef, {}), 'OPERATION_NOT_ALLOWED', [
    'This operation is not allowed on a control domain',
  ])
  pool.setHostLive(dstRef, false)
  await rejectsWithXapiError(xapi.callAsync('VM.pool_migrate', vm, dstRef, {}), 'HOST_NOT_LIVE', [])
  pool.setHostLive(dstRef, true)
  pool.emulator.db.set('host', dstRef, { enabled: false })
  await rejectsWithXapiError(xapi.call('VM.pool_migrate', vm, dstRef, {}), 'HOST_DISABLED', [dstRef])
  pool.emulator.db.set('host', dstRef, { enabled: true })
  await rejectsWithXapiError(xapi.call('VM.pool_migrate', vm, 'OpaqueRef:nope', {}), 'HANDLE_INVALID', [
    'host',
    'OpaqueRef:nope',
  ])

  // nothing was left behind by the refusals
  await xapi.barrier()
  const rec = xapi.getObjectByRef(vm)
  assert.deepEqual(rec.current_operations, {})
  assert.equal(rec.scheduled_to_be_resident_on, NULL_REF)
  assert.deepEqual(xapi.getObjectByRef(dstRef).current_operations, {})

  // one migration at a time: the second sees the first's task
  const hold = pool.emulator.holdMigration('reserved', vm)
  const first = (await xapi.call('Async.VM.pool_migrate', vm, dstRef, {})) as string
  await hold.reached
  await rejectsWithXapiError(xapi.call('VM.pool_migrate', vm, dstRef, {}), 'OTHER_OPERATION_IN_PROGRESS', [
    'VM',
    vm,
    'pool_migrate',
    first,
  ])
  hold.release()
  await xapi.watchTask(first)
  await xapi.barrier()
  assert.equal(xapi.getObjectByRef(vm).resident_on, dstRef)
})

test('pool_migrate to its own host is a localhost migration (xapi refuses nothing): a new domain, same host', async (t) => {
  const { xapi, hosts, refs, vm, vif } = await fixture(t)
  const [src] = hosts
  const [srcRef] = refs
  await xapi.call('VM.pool_migrate', vm, srcRef, {})
  await xapi.barrier()
  const rec = xapi.getObjectByRef(vm)
  assert.equal(rec.resident_on, srcRef)
  assert.equal(rec.domid, 2)
  assert.equal(src.port('vif1.0'), undefined)
  assert.equal(src.port('vif2.0')?.vifUuid, xapi.getObjectByRef(vif).uuid)
  assert.ok(src.bridges.has('xapi0'), 'the networks stay attached')
})

test('locking_mode disabled (itself or by the network default): attached in XAPI, no port on the bridge, also after a migration', async (t) => {
  const { pool, xapi, hosts, refs, vm, vif, net } = await fixture(t, 'xml-rpc', { locking_mode: 'disabled' })
  const [src, dst] = hosts
  await xapi.barrier()
  assert.equal(xapi.getObjectByRef(vif).currently_attached, true)
  assert.equal(src.port('vif1.0'), undefined)
  assert.ok(src.offBridge.has('vif1.0'), 'the device exists')
  await xapi.call('VM.pool_migrate', vm, refs[1], {})
  assert.equal(dst.port('vif2.0'), undefined)
  assert.ok(dst.offBridge.has('vif2.0'))
  assert.equal(src.offBridge.has('vif1.0'), false)

  // network_default follows the network's default_locking_mode, which can't change under an attached VIF
  await rejectsWithXapiError(xapi.call('network.set_default_locking_mode', net, 'disabled'), 'VIF_IN_USE', [net, vif])
  const other = pool.emulator.addVm({ name_label: 'default' })
  const vif2 = (await xapi.call('VIF.create', {
    device: '0',
    network: pool.managementNetwork,
    VM: other,
    MAC: '',
    MTU: 1500,
    other_config: {},
    qos_algorithm_type: '',
    qos_algorithm_params: {},
  })) as string
  await xapi.call('network.set_default_locking_mode', pool.managementNetwork, 'disabled')
  await xapi.call('VM.start_on', other, refs[0], false, false)
  await xapi.barrier()
  assert.equal(xapi.getObjectByRef(vif2).locking_mode, 'network_default')
  assert.equal(xapi.getObjectByRef(vif2).currently_attached, true)
  assert.equal(src.port('vif2.0'), undefined)
  assert.ok(src.offBridge.has('vif2.0'))
})

test('a destination that fails to plug: the task fails, the VM stays on the source, nothing of it is left on the destination', async (t) => {
  const { pool, xapi, hosts, refs, vm, vif } = await fixture(t)
  const [src, dst] = hosts
  const [srcRef, dstRef] = refs
  const plugVif = dst.plugVif.bind(dst)
  dst.plugVif = async (options) => {
    if (options.incoming === true) throw new Error('no room for vif2.0')
    return plugVif(options)
  }
  await rejectsWithXapiError(xapi.callAsync('VM.pool_migrate', vm, dstRef, {}), 'INTERNAL_ERROR', [
    'no room for vif2.0',
  ])
  await xapi.barrier()
  const rec = xapi.getObjectByRef(vm)
  assert.equal(rec.resident_on, srcRef)
  assert.equal(rec.scheduled_to_be_resident_on, NULL_REF)
  assert.deepEqual(rec.current_operations, {})
  assert.deepEqual(xapi.getObjectByRef(dstRef).current_operations, {})
  assert.equal(src.port('vif1.0')?.vifUuid, xapi.getObjectByRef(vif).uuid, 'the guest keeps its port')
  assert.equal(dst.port('vif2.0'), undefined)
  assert.equal(pool.emulator.host(dstRef).activeVifs.has(vif), false, 'deregistered on the destination')
})
