// LabHost acts on Open vSwitch the way XAPI's daemons on XCP-ng 8.3 do (docs/platform.md):
// xcp-networkd bridges, xenopsd VIF plugs with their ids (no iface-id), ovs-ctl system-id, reboot.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { LabHost } from '../../lab/host.js'
import { LabVm } from '../../lab/vm.js'
import { newUuid } from '../../lab/names.js'
import { Underlay } from '../../lab/underlay.js'

let host: LabHost
before(async () => {
  host = await LabHost.create({ name: 'xapi-host' })
})
after(() => host.destroy())

async function externalIds(table: string, record: string): Promise<Record<string, string>> {
  const out = await host.vsctl('--format=json', '--columns=external_ids', 'list', table, record)
  const cell = (JSON.parse(out) as { data: [[string, [string, string][]]][] }).data[0]?.[0]
  assert.ok(cell !== undefined && cell[0] === 'map', `no external_ids for ${table} ${record}`)
  return Object.fromEntries(cell[1])
}

test('the host looks like a booted XCP-ng host: inventory, system-id, plugin env', async () => {
  const inventory = readFileSync(host.inventoryPath, 'utf8')
  assert.match(inventory, new RegExp(`^INSTALLATION_UUID='${host.uuid}'$`, 'm'))
  assert.match(inventory, /^MANAGEMENT_INTERFACE='xenbr0'$/m)
  assert.equal(await host.vsctl('get', 'Open_vSwitch', '.', 'external_ids:system-id'), `"${host.uuid}"`)
  assert.deepEqual(Object.keys(host.env()).sort(), [
    'OVN_RUNDIR',
    'OVS_RUNDIR',
    'XAPI_OVN_CODE_CACHE_DIR',
    'XAPI_OVN_ETC_DIR',
    'XAPI_OVN_FIREWALL_PORT',
    'XAPI_OVN_PLUGIN_LOG',
    'XAPI_OVN_STATE_DIR',
    'XAPI_OVN_SYSTEMD_DIR',
    'XAPI_OVN_SYSTEMD_PATH',
    'XENSOURCE_INVENTORY',
  ])
  assert.equal(host.env().OVS_RUNDIR, host.rundir)
  // The daemons' sockets are where OVS_RUNDIR says: ovs-appctl -t ovs-vswitchd finds them.
  const r = await host.exec('ovs-appctl', ['-t', 'ovs-vswitchd', 'version'])
  assert.match(r.stdout, /ovs-vswitchd \(Open vSwitch\)/)
})

test('createBridge is create_internal_bridge + xcp-networkd + ovs-xapi-sync: standalone first, xs-network-uuids, bridge-id, netdev; never touched again', async () => {
  const [n1, n2] = [newUuid(), newUuid()]
  await host.createBridge('xapi7', { networkUuids: [n1, n2] })
  assert.equal(await host.vsctl('get', 'Bridge', 'xapi7', 'fail_mode'), 'standalone')
  assert.equal(await host.vsctl('get', 'Bridge', 'xapi7', 'datapath_type'), 'netdev')
  assert.deepEqual(await externalIds('Bridge', 'xapi7'), { 'xs-network-uuids': `${n1};${n2}`, 'bridge-id': n1 })
  // An existing bridge is skipped: another network's ids or fail mode change nothing on it,
  // and foreign ports stay.
  await host.vsctl('add-port', 'xapi7', 'foreign0', '--', 'set', 'Interface', 'foreign0', 'type=internal')
  await host.createBridge('xapi7', { networkUuids: [newUuid()], failMode: 'secure' })
  assert.ok((await host.vsctl('list-ports', 'xapi7')).split('\n').includes('foreign0'))
  assert.equal(await host.vsctl('get', 'Bridge', 'xapi7', 'fail_mode'), 'standalone')
  assert.equal((await externalIds('Bridge', 'xapi7'))['xs-network-uuids'], `${n1};${n2}`)
  // networkd makes it standalone whatever the network says; ovs-xapi-sync applies the mode.
  await host.createBridge('xapi8', { networkUuids: [newUuid()], failMode: 'secure', xapiSync: false })
  assert.equal(await host.vsctl('get', 'Bridge', 'xapi8', 'fail_mode'), 'standalone')
  await host.xapiSync()
  assert.equal(await host.vsctl('get', 'Bridge', 'xapi8', 'fail_mode'), 'secure')
  // deregister_vif's destruction: only when list-ifaces is empty
  assert.equal(await host.destroyBridgeIfEmpty('xapi7'), false)
  assert.ok((await host.bridges()).includes('xapi7'))
  await host.vsctl('del-port', 'xapi7', 'foreign0')
  assert.equal(await host.destroyBridgeIfEmpty('xapi7'), true)
  assert.equal((await host.bridges()).includes('xapi7'), false)
  assert.equal(await host.destroyBridgeIfEmpty('xapi7'), false)
})

test('a PV VIF plug gets every XAPI external id; its guest end lives in the VM namespace', async (t) => {
  const net = newUuid()
  await host.createBridge('xapi1', { networkUuids: [net], failMode: 'secure' })
  const vm = await LabVm.create({ ip: '198.18.20.1/24' })
  t.after(() => vm.destroy())
  const vifUuid = newUuid()
  const vif = await host.plugVif({
    domid: 5,
    devid: 0,
    vifUuid,
    vmUuid: vm.uuid,
    networkUuid: net,
    mac: vm.mac,
    bridge: 'xapi1',
    vm,
  })
  assert.equal(vif.name, 'vif5.0')
  assert.equal(await host.vsctl('port-to-br', 'vif5.0'), 'xapi1')
  assert.deepEqual(await externalIds('Interface', 'vif5.0'), {
    'xs-vm-uuid': vm.uuid,
    'xs-vif-uuid': vifUuid,
    'xs-network-uuid': net,
    'attached-mac': vm.mac,
  })
  const link = await vm.exec('ip', ['-o', 'link', 'show', 'eth0'])
  assert.match(link.stdout, new RegExp(vm.mac))
  assert.match((await vm.exec('ip', ['-4', '-o', 'addr', 'show', 'eth0'])).stdout, /198\.18\.20\.1\/24/)

  // Plugging again deletes and re-adds the port (a new Port row), like xenopsd's vif script.
  const before = await host.vsctl('get', 'Port', 'vif5.0', '_uuid')
  await host.plugVif({
    domid: 5,
    devid: 0,
    vifUuid,
    vmUuid: vm.uuid,
    networkUuid: net,
    mac: vm.mac,
    bridge: 'xapi1',
    vm,
  })
  assert.notEqual(await host.vsctl('get', 'Port', 'vif5.0', '_uuid'), before)

  await host.unplugVif(vif)
  assert.ok(!(await host.vsctl('list-ports', 'xapi1')).split('\n').includes('vif5.0'))
  assert.equal((await host.exec('ip', ['link', 'show', 'vif5.0'], { check: false })).ok, false)
})

test('an HVM plug makes vif and tap with the same xenopsd ids and no iface-id on either', async () => {
  const net = newUuid()
  await host.createBridge('xapi2', { networkUuids: [net] })
  const vifUuid = newUuid()
  const vmUuid = newUuid()
  const mac = '02:00:00:00:20:01'
  const vif = await host.plugVif({
    domid: 6,
    devid: 1,
    vifUuid,
    vmUuid,
    networkUuid: net,
    mac,
    bridge: 'xapi2',
    hvm: true,
  })
  assert.equal(vif.tap, 'tap6.1')
  const expected = { 'xs-vm-uuid': vmUuid, 'xs-vif-uuid': vifUuid, 'xs-network-uuid': net, 'attached-mac': mac }
  assert.deepEqual(await externalIds('Interface', 'vif6.1'), expected)
  assert.deepEqual(await externalIds('Interface', 'tap6.1'), expected)

  // PV drivers take over: the tap goes, the vif stays as it was.
  const pv = await host.unplugTap(vif)
  assert.equal(pv.tap, undefined)
  assert.equal((await host.exec('ip', ['link', 'show', 'tap6.1'], { check: false })).ok, false)
  assert.deepEqual(await externalIds('Interface', 'vif6.1'), expected)
  await host.unplugVif(pv)
})

test("8.3's ovs-xapi-sync copies the VIF's neutron-port-uuid onto vif interfaces only, and never writes iface-id", async () => {
  const net = newUuid()
  await host.createBridge('xapi3', { networkUuids: [net] })
  const vifUuid = newUuid()
  const vif = await host.plugVif({
    domid: 7,
    devid: 0,
    vifUuid,
    vmUuid: newUuid(),
    networkUuid: net,
    mac: '02:00:00:00:30:01',
    bridge: 'xapi3',
    hvm: true,
    neutronPortUuid: 'lsp-custom',
  })
  assert.equal(vif.ifaceId, vifUuid)
  const ids = await externalIds('Interface', 'vif7.0')
  assert.equal(ids['neutron-port-uuid'], 'lsp-custom')
  assert.equal(ids['iface-id'], undefined)
  assert.equal((await externalIds('Interface', 'tap7.0'))['neutron-port-uuid'], undefined)
  assert.equal((await externalIds('Bridge', 'xapi3'))['bridge-id'], net)
  // Someone else's keys on another interface are left as they are (8.3 strips nothing).
  await host.vsctl(
    'add-port',
    'xapi3',
    'other0',
    '--',
    'set',
    'Interface',
    'other0',
    'type=internal',
    'external_ids:iface-id=stray',
  )
  await host.xapiSync()
  assert.deepEqual(await externalIds('Interface', 'other0'), { 'iface-id': 'stray' })
  await host.unplugVif(vif)
  await host.vsctl('del-port', 'other0')
})

test('dumpConfig is stable while nothing changes and sees a changed external id', async () => {
  const a = await host.dumpConfig()
  const b = await host.dumpConfig()
  assert.equal(a, b)
  assert.match(a, /^Open_vSwitch /m)
  assert.doesNotMatch(a, /"statistics"|"ofport"|"cur_cfg"/)
  assert.match(await host.dumpDb(), /"statistics"/)
  await host.vsctl('set', 'Open_vSwitch', '.', 'external_ids:lab-probe=1')
  const c = await host.dumpConfig()
  assert.notEqual(c, a)
  await host.vsctl('remove', 'Open_vSwitch', '.', 'external_ids', 'lab-probe')
  assert.equal(await host.dumpConfig(), a)
})

test('reboot: conf.db comes back empty but for ovs-ctl keys; xcp-networkd brings back the PIF bridge with its NIC and address', async () => {
  await host.vsctl('set', 'Open_vSwitch', '.', 'external_ids:ovn-remote=tcp:192.0.2.10:6642')
  const underlay = await Underlay.create()
  try {
    await host.createBridge('xenbr0', { networkUuids: [newUuid()] })
    await host.addUplink('xenbr0', underlay, { ip: '192.0.2.41/24' })
    await host.createBridge('xapi9', { networkUuids: [newUuid()] })
    const before = host.managementIp
    const macOf = async (): Promise<string> =>
      (await host.exec('ip', ['-o', 'link', 'show', 'xenbr0'])).stdout.match(/link\/ether (\S+)/)?.[1] ?? ''
    const nicMac = (await host.exec('ip', ['-o', 'link', 'show', 'eth0'])).stdout.match(/link\/ether (\S+)/)?.[1] ?? ''
    assert.equal(await macOf(), nicMac, "networkd gives the PIF's bridge the PIF's MAC")
    await host.reboot()
    assert.equal(await macOf(), nicMac, 'and it is the same after the reboot')
    assert.equal(host.vswitchd?.isRunning(), true)
    assert.deepEqual(await externalIds('Open_vSwitch', '.'), {
      hostname: host.name,
      rundir: host.rundir,
      'system-id': host.uuid,
      'xs-system-uuid': host.uuid,
    })
    // The internal network's bridge is XAPI's to bring back (when it attaches the network).
    assert.equal((await host.bridges()).includes('xapi9'), false)
    assert.equal(host.managementIp, before)
    for (const u of host.uplinks) {
      assert.ok((await host.bridges()).includes(u.bridge))
      assert.equal(await host.vsctl('port-to-br', u.device), u.bridge)
      assert.match(
        (await host.exec('ip', ['-4', '-o', 'addr', 'show', u.bridge])).stdout,
        new RegExp(u.ip.replace(/\./g, '\\.')),
      )
    }
    assert.deepEqual(
      host.uplinks.map((u) => u.bridge),
      ['xenbr0'],
    )
  } finally {
    await underlay.destroy()
  }
})
