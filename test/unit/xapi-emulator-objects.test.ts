// The object model behind the wire: network.create/attach/destroy, VIF.create/plug/unplug and VM
// power operations act on the host backends the way xcp-networkd and xenopsd act on OVS, and
// event.from reports add/mod/del from a token like xapi's. In-memory backends keep it fast.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createEmulatedPool, seedTransportPifs, type MemoryHostBackend } from '../../xapi-emulator/index.js'
import { PASSWORD, connectClient, memoryHosts, rejectsWithXapiError } from '../../xapi-emulator/testing.js'

type Rec = Record<string, unknown>

interface EventFromResult {
  events: Array<{ id: number; class: string; operation: string; ref: string; snapshot?: Rec }>
  valid_ref_counts: Record<string, number>
  token: string
}

test('network.create allocates xapiN; network.attach creates the bridge on that host only, with the fail mode', async (t) => {
  const hosts = memoryHosts(2)
  const pool = await createEmulatedPool({ hosts, password: PASSWORD })
  t.after(() => pool.close())
  const xapi = await connectClient(t, pool, 'json-rpc', { watchEvents: false })
  const [h1, h2] = hosts as [MemoryHostBackend, MemoryHostBackend]

  const secure = (await xapi.call('network.create', {
    name_label: 'ovn-int',
    name_description: 'OVN integration',
    MTU: 1500,
    other_config: { 'vswitch-controller-fail-mode': 'secure' },
  })) as string
  const plain = (await xapi.call('network.create', {
    name_label: 'plain',
    name_description: '',
    MTU: 1500,
    other_config: {},
  })) as string
  assert.equal(await xapi.call('network.get_bridge', secure), 'xapi0')
  assert.equal(await xapi.call('network.get_bridge', plain), 'xapi1')
  assert.equal(h1.bridges.size, 0, 'network.create makes no host bridge')
  await rejectsWithXapiError(xapi.call('network.create', { name_description: '' }), 'INTERNAL_ERROR')

  await xapi.call('network.attach', secure, pool.hosts[0]?.ref)
  await xapi.call('network.attach', plain, pool.hosts[0]?.ref)
  const uuid = (await xapi.call('network.get_uuid', secure)) as string
  assert.deepEqual(h1.bridges.get('xapi0')?.networkUuids, [uuid])
  assert.equal(h1.bridges.get('xapi0')?.failMode, 'secure')
  assert.equal(h1.bridges.get('xapi1')?.failMode, 'standalone')
  assert.equal(h2.bridges.size, 0)

  pool.setHostLive(pool.hosts[1]?.ref as string, false)
  await rejectsWithXapiError(xapi.call('network.attach', secure, pool.hosts[1]?.ref), 'HOST_OFFLINE', [
    pool.hosts[1]?.ref as string,
  ])

  // network.destroy never removes host bridges
  await xapi.call('network.destroy', plain)
  assert.ok(h1.bridges.has('xapi1'))
  await rejectsWithXapiError(xapi.call('network.get_record', plain), 'HANDLE_INVALID', ['network', plain])
  await rejectsWithXapiError(xapi.call('network.destroy', pool.managementNetwork), 'NETWORK_CONTAINS_PIF')
})

test('VIF plug on the resident host: port vif<domid>.<devid> with XAPI ids; unplug, shutdown, power-state errors', async (t) => {
  const hosts = memoryHosts(2)
  const pool = await createEmulatedPool({
    hosts,
    password: PASSWORD,
    vms: [{ name_label: 'vm1' }, { name_label: 'vm2', domain_type: 'hvm' }],
  })
  t.after(() => pool.close())
  const xapi = await connectClient(t, pool, 'xml-rpc')
  const [vm1, vm2] = pool.vms as [string, string]
  const [h1, h2] = hosts as [MemoryHostBackend, MemoryHostBackend]
  const net = (await xapi.call('network.create', {
    name_label: 'ovn-int',
    name_description: '',
    MTU: 1500,
    other_config: { 'vswitch-controller-fail-mode': 'secure' },
  })) as string
  const netUuid = (await xapi.call('network.get_uuid', net)) as string

  const vif1 = (await xapi.call('VIF.create', {
    device: '0',
    network: net,
    VM: vm1,
    MAC: '',
    MTU: 1500,
    other_config: {},
    qos_algorithm_type: '',
    qos_algorithm_params: {},
  })) as string
  const vif2 = (await xapi.call('VIF.create', {
    device: '1',
    network: net,
    VM: vm2,
    MAC: '02:00:00:00:00:02',
    MTU: 1500,
    other_config: { 'nicira-iface-id': 'lsp-vm2' },
    qos_algorithm_type: '',
    qos_algorithm_params: {},
  })) as string
  await rejectsWithXapiError(
    xapi.call('VIF.create', {
      device: '0',
      network: net,
      VM: vm1,
      MAC: '',
      MTU: 1500,
      other_config: {},
      qos_algorithm_type: '',
      qos_algorithm_params: {},
    }),
    'DEVICE_ALREADY_EXISTS',
    ['0'],
  )
  await rejectsWithXapiError(xapi.call('VIF.plug', vif1), 'VM_BAD_POWER_STATE', [vm1, 'running', 'halted'])

  // start: the VIFs plug on the chosen host; the bridge appears there with the network's ids
  await xapi.call('VM.start_on', vm1, pool.hosts[0]?.ref, false, false)
  await xapi.callAsync('VM.start_on', vm2, pool.hosts[1]?.ref, false, false)
  await xapi.barrier()
  const vm1Rec = xapi.getObjectByRef(vm1)
  assert.equal(vm1Rec.power_state, 'Running')
  assert.equal(vm1Rec.resident_on, pool.hosts[0]?.ref)
  assert.equal(vm1Rec.domid, '1') // an XAPI int over XML-RPC
  const vif1Rec = xapi.getObjectByRef(vif1)
  assert.equal(vif1Rec.currently_attached, true)
  assert.match(vif1Rec.MAC as string, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/)
  assert.equal(vif1Rec.MAC_autogenerated, true)

  assert.equal(h1.bridges.get('xapi0')?.failMode, 'secure')
  assert.deepEqual(h1.bridges.get('xapi0')?.networkUuids, [netUuid])
  const port1 = h1.port('vif1.0')
  assert.ok(port1 !== undefined)
  assert.equal(port1.bridge, 'xapi0')
  assert.equal(port1.vifUuid, vif1Rec.uuid)
  assert.equal(port1.vmUuid, vm1Rec.uuid)
  assert.equal(port1.networkUuid, netUuid)
  assert.equal(port1.mac, vif1Rec.MAC)
  assert.equal(port1.neutronPortUuid, undefined)
  assert.equal(port1.hvm, undefined)
  const port2 = h2.port('vif1.1')
  assert.ok(port2 !== undefined)
  assert.equal(port2.neutronPortUuid, 'lsp-vm2')
  assert.equal(port2.hvm, true)
  assert.equal(h1.port('vif1.1'), undefined)

  await rejectsWithXapiError(xapi.call('VIF.plug', vif1), 'DEVICE_ALREADY_ATTACHED', [vif1])
  await rejectsWithXapiError(xapi.call('VIF.destroy', vif1), 'OPERATION_NOT_ALLOWED')
  await rejectsWithXapiError(xapi.call('network.destroy', net), 'NETWORK_CONTAINS_VIF', [vif1, vif2])
  await xapi.call('VIF.unplug', vif1)
  assert.equal(h1.port('vif1.0'), undefined)
  assert.equal(h1.bridges.has('xapi0'), false, "the internal bridge went with its last VIF (xapi's deregister_vif)")
  await rejectsWithXapiError(xapi.call('VIF.unplug', vif1), 'DEVICE_ALREADY_DETACHED', [vif1])
  await xapi.callAsync('VIF.plug', vif1)
  assert.ok(h1.port('vif1.0') !== undefined)
  assert.equal(h1.bridges.get('xapi0')?.failMode, 'secure', 'made again, and ovs-xapi-sync applied the mode again')

  // a plug on an offline host fails; shutdown unplugs everything
  pool.setHostLive(pool.hosts[1]?.ref as string, false)
  await xapi.call('VIF.unplug_force', vif2).then(
    () => assert.fail('expected HOST_OFFLINE'),
    (e: { code: string }) => assert.equal(e.code, 'HOST_OFFLINE'),
  )
  pool.setHostLive(pool.hosts[1]?.ref as string, true)
  await xapi.call('VM.clean_shutdown', vm1)
  await xapi.call('VM.hard_shutdown', vm2)
  assert.equal(h1.port('vif1.0'), undefined)
  assert.equal(h2.port('vif1.1'), undefined)
  assert.equal(h1.bridges.has('xapi0'), false, 'shutdown deregisters the VIFs: the bridge goes')
  assert.equal(h2.bridges.has('xapi0'), false)
  assert.equal(await xapi.call('VM.get_power_state', vm1), 'Halted')
  assert.equal(await xapi.call('VM.get_domid', vm1), '-1')
  await rejectsWithXapiError(xapi.call('VM.clean_shutdown', vm1), 'VM_BAD_POWER_STATE', [vm1, 'running', 'halted'])

  // restarting gets a new domid, hence a new port name
  await xapi.call('VM.start', vm1, false, false)
  const domid = (await xapi.call('VM.get_domid', vm1)) as string
  const resident = (await xapi.call('VM.get_resident_on', vm1)) as string
  const backend = hosts.find((h) => h.uuid === pool.host(resident).uuid) as MemoryHostBackend
  assert.ok(backend.port(`vif${domid}.0`) !== undefined)
  await xapi.call('VM.shutdown', vm1)
  await xapi.call('VIF.destroy', vif1)
  assert.deepEqual(await xapi.call('VM.get_VIFs', vm1), [])
})

test('event.from: add, mod and del after a token, per-class and per-object subscriptions, valid_ref_counts', async (t) => {
  const pool = await createEmulatedPool({ hosts: memoryHosts(1), password: PASSWORD })
  t.after(() => pool.close())
  const xapi = await connectClient(t, pool, 'json-rpc', { watchEvents: false })
  const from = async (classes: string[], token: string, timeout = 0.01): Promise<EventFromResult> =>
    (await xapi.call('event.from', classes, token, timeout)) as EventFromResult

  const initial = await from(['network'], '')
  assert.deepEqual(
    initial.events.map((e) => [e.class, e.operation, e.ref]),
    [['network', 'add', pool.managementNetwork]],
  )
  assert.deepEqual(initial.valid_ref_counts, { network: 1 })
  assert.match(initial.token, /^\d{20},\d{20}$/)

  const net = (await xapi.call('network.create', {
    name_label: 'a',
    name_description: '',
    MTU: 1500,
    other_config: {},
  })) as string
  await xapi.call('network.set_name_label', pool.managementNetwork, 'management')
  const changes = await from(['network'], initial.token)
  assert.deepEqual(
    changes.events.map((e) => [e.operation, e.ref]),
    [
      ['add', net],
      ['mod', pool.managementNetwork],
    ],
  )
  assert.equal(changes.events[1]?.snapshot?.name_label, 'management')

  // an object created and destroyed between two calls is never reported
  const gone = (await xapi.call('network.create', {
    name_label: 'b',
    name_description: '',
    MTU: 1500,
    other_config: {},
  })) as string
  await xapi.call('network.destroy', gone)
  await xapi.call('network.destroy', net)
  const deletions = await from(['network'], changes.token)
  assert.deepEqual(
    deletions.events.map((e) => [e.operation, e.ref]),
    [['del', net]],
  )
  assert.equal(deletions.events[0]?.snapshot, undefined)

  // nothing new: the call waits for its timeout and returns no events with a usable token
  const quiet = await from(['network'], deletions.token)
  assert.deepEqual(quiet.events, [])

  // per-object subscription and '*'; class names are lowercased in events
  const host = pool.hosts[0]?.ref as string
  await xapi.call('host.add_to_other_config', host, 'k', 'v')
  await xapi.call('network.add_to_other_config', pool.managementNetwork, 'k', 'v')
  const one = await from([`host/${host}`], quiet.token)
  assert.deepEqual(
    one.events.map((e) => [e.class, e.ref]),
    [['host', host]],
  )
  const all = await from(['*'], quiet.token)
  assert.deepEqual(
    all.events.map((e) => e.class),
    ['host', 'network'],
  )
  assert.equal(all.valid_ref_counts.pif, 1)

  // event.inject returns a token just before its own mod event
  const injected = (await xapi.call('event.inject', 'PIF', pool.hosts[0]?.managementPif)) as string
  const afterInject = await from(['pif'], injected)
  assert.deepEqual(
    afterInject.events.map((e) => [e.class, e.operation]),
    [['pif', 'mod']],
  )

  await rejectsWithXapiError(xapi.call('event.from', ['network'], 'garbage', 0.01), 'EVENT_FROM_TOKEN_PARSE_FAILURE', [
    'garbage',
  ])
})

test('event.from blocks until something changes; logout releases it with SESSION_INVALID', async (t) => {
  const pool = await createEmulatedPool({ hosts: memoryHosts(1), password: PASSWORD })
  t.after(() => pool.close())
  const xapi = await connectClient(t, pool, 'json-rpc', { watchEvents: false })
  const { token } = (await xapi.call('event.from', ['vm'], '', 0.01)) as EventFromResult
  const waiting = xapi.call('event.from', ['vm'], token, 600) as Promise<EventFromResult>
  const vm = pool.emulator.addVm({ name_label: 'late' })
  const result = await waiting
  assert.deepEqual(
    result.events.map((e) => [e.operation, e.ref]),
    [['add', vm]],
  )

  const blocked = xapi.call('event.from', ['vm'], result.token, 600)
  const settled = blocked.then(
    () => 'resolved',
    (e: { code: string }) => e.code,
  )
  await xapi.disconnect() // session.logout
  assert.equal(await settled, 'SESSION_INVALID')
})

test('transport PIF layouts: VLAN, bond master/slaves and unconfigured PIFs with XAPI links', async (t) => {
  const pool = await createEmulatedPool({
    hosts: memoryHosts(2),
    password: PASSWORD,
    seed: (ctx) => void seedTransportPifs(ctx),
  })
  t.after(() => pool.close())
  const xapi = await connectClient(t, pool, 'json-rpc')
  const host = xapi.getObjectByRef(pool.hosts[1]?.ref as string)
  const pifs = (host.PIFs as string[]).map((r) => xapi.getObjectByRef(r))
  const byDevice = (device: string, vlan = -1): Rec => {
    const pif = pifs.find((p) => p.device === device && p.VLAN === vlan)
    assert.ok(pif !== undefined, `${device}.${vlan}`)
    return pif
  }
  assert.equal(pifs.length, 6)
  assert.equal(byDevice('eth1').ip_configuration_mode, 'None')
  const vlan = byDevice('eth1', 100)
  assert.equal(vlan.IP, '198.18.1.2')
  assert.equal(vlan.physical, false)
  const vlanRec = xapi.getObjectByRef(vlan.VLAN_master_of as string)
  assert.equal(vlanRec.tag, 100)
  assert.equal(vlanRec.tagged_PIF, (byDevice('eth1') as { $ref: string }).$ref)
  assert.deepEqual(byDevice('eth1').VLAN_slave_of, [vlanRec.$ref])
  const bondPif = byDevice('bond0')
  assert.equal(bondPif.IP, '198.18.0.2')
  const bond = xapi.getObjectByRef((bondPif.bond_master_of as string[])[0] as string)
  assert.deepEqual(
    [...(bond.slaves as string[])].sort(),
    [byDevice('eth2'), byDevice('eth3')].map((p) => (p as { $ref: string }).$ref).sort(),
  )
  assert.equal(byDevice('eth2').bond_slave_of, bond.$ref)
  const eth0 = byDevice('eth0')
  assert.equal(eth0.management, true)
  assert.equal(xapi.getObjectByRef(eth0.metrics as string).carrier, true)
})

test('internal bridges as 8.3 keeps them: never touched again once made; gone with the last VIF on the host unless list-ifaces shows something', async (t) => {
  const hosts = memoryHosts(2)
  const pool = await createEmulatedPool({
    hosts,
    password: PASSWORD,
    vms: [{ name_label: 'a' }, { name_label: 'b' }, { name_label: 'c' }],
  })
  t.after(() => pool.close())
  const xapi = await connectClient(t, pool, 'json-rpc', { watchEvents: false })
  const [a, b, c] = pool.vms as [string, string, string]
  const [h1, h2] = hosts as [MemoryHostBackend, MemoryHostBackend]
  const [r1, r2] = pool.hosts.map((h) => h.ref) as [string, string]
  const network = async (fields: Rec): Promise<string> =>
    (await xapi.call('network.create', { name_description: '', MTU: 1500, other_config: {}, ...fields })) as string
  const vif = async (vm: string, net: string, device = '0'): Promise<string> =>
    (await xapi.call('VIF.create', {
      device,
      network: net,
      VM: vm,
      MAC: '',
      MTU: 1500,
      other_config: {},
      qos_algorithm_type: '',
      qos_algorithm_params: {},
    })) as string
  const net = await network({ name_label: 'ovn-int', other_config: { 'vswitch-controller-fail-mode': 'secure' } })
  const netUuid = (await xapi.call('network.get_uuid', net)) as string
  await vif(a, net)
  await vif(b, net)
  await vif(c, net)

  // create_internal_bridge skips an existing bridge: a changed network changes nothing on it
  await xapi.call('network.attach', net, r1)
  await xapi.call('network.set_other_config', net, { 'vswitch-controller-fail-mode': 'standalone' })
  await xapi.call('network.attach', net, r1)
  assert.equal(h1.bridges.get('xapi0')?.failMode, 'secure')
  await xapi.call('network.set_other_config', net, { 'vswitch-controller-fail-mode': 'secure' })

  // per host: the bridge goes when the host's last VIF on it goes, not before, not elsewhere
  await xapi.call('VM.start_on', a, r1, false, false)
  await xapi.call('VM.start_on', b, r1, false, false)
  await xapi.call('VM.start_on', c, r2, false, false)
  await xapi.call('VM.clean_shutdown', a)
  assert.ok(h1.bridges.has('xapi0'), "b's VIF still uses it")
  await xapi.call('VM.clean_shutdown', b)
  assert.equal(h1.bridges.has('xapi0'), false)
  assert.ok(h2.bridges.has('xapi0'), "c's host keeps its own")

  // other interfaces on it (ovn-controller's tunnel ports) keep it
  h2.bridges.get('xapi0')?.interfaces.add('ovn-abcdef-0')
  await xapi.call('VM.hard_shutdown', c)
  assert.deepEqual(h2.bridges.get('xapi0')?.networkUuids, [netUuid])

  // networks with PIFs keep their bridge (it comes and goes with the PIF)
  await vif(a, pool.managementNetwork, '1')
  await xapi.call('VM.start_on', a, r1, false, false)
  assert.ok(h1.bridges.has('xenbr0'))
  await xapi.call('VM.clean_shutdown', a)
  assert.ok(h1.bridges.has('xenbr0'))

  // an unmanaged network's bridge is neither made nor destroyed by XAPI
  await h1.createBridge('br-sdn', { networkUuids: ['sdn'] })
  const sdn = await network({ name_label: 'sdn', managed: false, bridge: 'br-sdn' })
  await vif(b, sdn, '1')
  await xapi.call('VM.start_on', b, r1, false, false)
  const domid = (await xapi.call('VM.get_domid', b)) as string
  assert.equal(h1.port(`vif${domid}.1`)?.bridge, 'br-sdn')
  await xapi.call('VM.clean_shutdown', b)
  assert.deepEqual(h1.bridges.get('br-sdn')?.networkUuids, ['sdn'])

  // ...and only checked: on a host without it, attach, start and plug say BRIDGE_NOT_AVAILABLE
  await rejectsWithXapiError(xapi.call('network.attach', sdn, r2), 'BRIDGE_NOT_AVAILABLE', ['br-sdn'])
  await rejectsWithXapiError(xapi.call('VM.start_on', b, r2, false, false), 'BRIDGE_NOT_AVAILABLE', ['br-sdn'])
  assert.equal(await xapi.call('VM.get_power_state', b), 'Halted', 'the start failed before the domain was built')
  assert.equal(h2.bridges.has('br-sdn'), false, 'XAPI did not make it')
  await h2.createBridge('br-sdn', { networkUuids: ['sdn'] })
  await xapi.call('network.attach', sdn, r2)
})

test('network.create refuses a bridge name xapi reserves or Linux cannot hold', async (t) => {
  const pool = await createEmulatedPool({ hosts: memoryHosts(1), password: PASSWORD })
  t.after(() => pool.close())
  const xapi = await connectClient(t, pool, 'json-rpc', { watchEvents: false })
  for (const bridge of ['xapi7', 'xenbr9', 'vif1.0', 'tap1.0', 'eth3', 'br-sixteen-chars']) {
    const created = xapi.call('network.create', { name_label: bridge, managed: false, bridge, other_config: {} })
    await rejectsWithXapiError(created, 'INVALID_VALUE', ['bridge', bridge])
  }
  const ref = await xapi.call('network.create', {
    name_label: 'sdn',
    managed: false,
    bridge: 'br-int',
    other_config: {},
  })
  assert.equal(await xapi.call('network.get_managed', ref), false)
})
