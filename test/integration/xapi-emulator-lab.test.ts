// The emulator over real lab hosts (ovsdb-server + ovs-vswitchd in network namespaces), driven
// by the unmodified xen-api client: network.attach makes the bridge the way xcp-networkd does,
// VIF plugs make the ports xenopsd + ovs-xapi-sync make, and host.call_plugin runs a real
// executable inside the host's namespace with exactly xapi's argv and environment.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createLabPool, type LabPool } from '../../lab/pool.js'
import { LabVm } from '../../lab/vm.js'
import {
  createEmulatedPool,
  formatPluginCall,
  PLUGIN_PATH,
  type EmulatedPool,
  type HostBackend,
} from '../../xapi-emulator/index.js'
import {
  PASSWORD,
  REPORTING_PLUGIN,
  TRANSPORTS,
  connectClient,
  rejectsWithXapiError,
  shellPlugin,
  type PluginReport,
} from '../../xapi-emulator/testing.js'

interface Fixture {
  lab: LabPool
  pool: EmulatedPool<LabVm>
}

async function fixture(
  t: { after(fn: () => unknown): void },
  vms: Array<{ name_label: string; domain_type?: 'pv' | 'hvm'; guest?: LabVm }> = [],
): Promise<Fixture> {
  const lab = await createLabPool({ hosts: 2 })
  let pool: EmulatedPool<LabVm> | undefined
  // One hook, in order: the emulator (and its clients) first, then the lab under it.
  t.after(async () => {
    await pool?.close()
    await lab.destroy()
  })
  // LabHost is a HostBackend as it is: no adapter.
  const backends: readonly HostBackend<LabVm>[] = lab.hosts
  pool = await createEmulatedPool({
    hosts: backends,
    password: PASSWORD,
    managementNetworkUuid: lab.managementNetworkUuid,
    vms,
  })
  return { lab, pool }
}

/** `ovs-vsctl get` of a map column as a plain object. */
async function externalIds(
  host: LabPool['hosts'][number],
  table: string,
  record: string,
): Promise<Record<string, string>> {
  const out = await host.vsctl('--format=json', '--columns=external_ids', 'find', table, `name=${record}`)
  const parsed = JSON.parse(out) as { data: Array<[['map', Array<[string, string]>]]> }
  const row = parsed.data[0]
  assert.ok(row !== undefined, `${table} ${record} not found`)
  return Object.fromEntries(row[0][1])
}

test('seeded from lab hosts: host uuids, addresses and the management network match the lab', async (t) => {
  const { lab, pool } = await fixture(t)
  const xapi = await connectClient(t, pool, 'json-rpc')
  for (const labHost of lab.hosts) {
    const host = xapi.getObjectByUuid(labHost.uuid)
    assert.equal(host.address, labHost.managementIp)
    assert.equal(host.name_label, labHost.name)
  }
  const xenbr0 = xapi.getObjectByRef(pool.managementNetwork)
  assert.equal(xenbr0.uuid, lab.managementNetworkUuid)
  assert.equal(
    await lab.hosts[0]?.vsctl('get', 'Bridge', 'xenbr0', 'external_ids:xs-network-uuids'),
    `"${xenbr0.uuid as string}"`,
  )
})

test('network.create + network.attach: the bridge on that lab host only, with xs-network-uuids and the fail mode', async (t) => {
  const { lab, pool } = await fixture(t)
  const [h1, h2] = lab.hosts as [LabPool['hosts'][number], LabPool['hosts'][number]]
  const xapi = await connectClient(t, pool, 'xml-rpc')
  const secure = (await xapi.call('network.create', {
    name_label: 'ovn-int',
    name_description: '',
    MTU: 1500,
    other_config: { 'vswitch-controller-fail-mode': 'secure' },
  })) as string
  const plain = (await xapi.call('network.create', {
    name_label: 'plain',
    name_description: '',
    MTU: 1500,
    other_config: {},
  })) as string
  assert.deepEqual(await h1.bridges(), ['xenbr0'], 'network.create alone makes no bridge')

  await xapi.callAsync('network.attach', secure, pool.host(h1.uuid).ref)
  await xapi.call('network.attach', plain, pool.host(h1.uuid).ref)
  const secureUuid = (await xapi.call('network.get_uuid', secure)) as string
  assert.deepEqual((await h1.bridges()).sort(), ['xapi0', 'xapi1', 'xenbr0'])
  assert.deepEqual(await h2.bridges(), ['xenbr0'])
  assert.equal(await h1.vsctl('get', 'Bridge', 'xapi0', 'fail_mode'), 'secure')
  assert.equal(await h1.vsctl('get', 'Bridge', 'xapi1', 'fail_mode'), 'standalone')
  const ids = await externalIds(h1, 'Bridge', 'xapi0')
  assert.equal(ids['xs-network-uuids'], secureUuid)
  assert.equal(ids['bridge-id'], secureUuid) // ovs-xapi-sync

  // attaching again leaves the existing bridge alone; destroying the network leaves it too
  await xapi.call('network.attach', secure, pool.host(h1.uuid).ref)
  await xapi.call('network.destroy', plain)
  assert.ok((await h1.bridges()).includes('xapi1'))
})

test('VM start / VIF plug: port vif<domid>.<devid> on the resident host with XAPI and ovs-xapi-sync ids; unplug removes it', async (t) => {
  const guest = await LabVm.create({ ip: '198.18.50.1/24' })
  t.after(() => guest.destroy())
  const { lab, pool } = await fixture(t, [{ name_label: 'pv' }, { name_label: 'hvm', domain_type: 'hvm', guest }])
  const [h1, h2] = lab.hosts as [LabPool['hosts'][number], LabPool['hosts'][number]]
  const [pv, hvm] = pool.vms as [string, string]
  const xapi = await connectClient(t, pool, 'json-rpc')
  const net = (await xapi.call('network.create', {
    name_label: 'ovn-int',
    name_description: '',
    MTU: 1500,
    other_config: { 'vswitch-controller-fail-mode': 'secure' },
  })) as string
  const netUuid = (await xapi.call('network.get_uuid', net)) as string
  const vifRecord = (vm: string, device: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    device,
    network: net,
    VM: vm,
    MAC: '',
    MTU: 1500,
    other_config: {},
    qos_algorithm_type: '',
    qos_algorithm_params: {},
    ...extra,
  })
  const pvVif = (await xapi.call('VIF.create', vifRecord(pv, '0'))) as string
  const hvmVif = (await xapi.call(
    'VIF.create',
    vifRecord(hvm, '0', { MAC: guest.mac, other_config: { 'nicira-iface-id': 'lsp-hvm' } }),
  )) as string

  await xapi.callAsync('VM.start_on', pv, pool.host(h1.uuid).ref, false, false)
  await xapi.callAsync('VM.start_on', hvm, pool.host(h2.uuid).ref, false, false)
  await xapi.barrier()
  const pvRec = xapi.getObjectByRef(pv)
  const pvVifRec = xapi.getObjectByRef(pvVif)
  const port = `vif${pvRec.domid as number}.0`
  assert.equal(await h1.vsctl('port-to-br', port), 'xapi0', 'the bridge was created on first plug')
  assert.equal(await h1.vsctl('get', 'Bridge', 'xapi0', 'fail_mode'), 'secure')
  assert.deepEqual(await externalIds(h1, 'Interface', port), {
    'xs-vm-uuid': pvRec.uuid,
    'xs-vif-uuid': pvVifRec.uuid,
    'xs-network-uuid': netUuid,
    'attached-mac': pvVifRec.MAC,
  })

  // HVM on host2: vif + tap with xenopsd's ids; 8.3's ovs-xapi-sync copies nicira-iface-id into
  // the vif's neutron-port-uuid and writes no iface-id; the guest's NIC is in its namespace.
  const hvmDomid = xapi.getObjectByRef(hvm).domid as number
  const vifIds = await externalIds(h2, 'Interface', `vif${hvmDomid}.0`)
  const tapIds = await externalIds(h2, 'Interface', `tap${hvmDomid}.0`)
  assert.equal(vifIds['neutron-port-uuid'], 'lsp-hvm')
  assert.equal(vifIds['iface-id'], undefined)
  assert.equal(tapIds['iface-id'], undefined)
  assert.equal(tapIds['neutron-port-uuid'], undefined)
  assert.equal(tapIds['xs-vif-uuid'], xapi.getObjectByRef(hvmVif).uuid)
  assert.equal((await guest.exec('ip', ['-o', 'link', 'show', 'eth0'], { check: false })).ok, true)

  const ports = async (host: LabPool['hosts'][number]): Promise<string[]> =>
    (await host.vsctl('list-ports', 'xapi0')).split('\n').filter((p) => p !== '')
  // 8.3's deregister_vif: the last VIF of the internal network on the host takes the bridge with
  // it when `ovs-vsctl list-ifaces` is empty; the next plug makes it again, standalone, and
  // ovs-xapi-sync turns it secure (the network's vswitch-controller-fail-mode).
  await xapi.call('VIF.unplug', pvVif)
  assert.deepEqual(await h1.bridges(), ['xenbr0'], 'the bridge went with its last VIF')
  await xapi.call('VIF.plug', pvVif)
  assert.deepEqual(await ports(h1), [port])
  assert.equal(await h1.vsctl('get', 'Bridge', 'xapi0', 'fail_mode'), 'secure')
  assert.equal((await externalIds(h1, 'Bridge', 'xapi0'))['xs-network-uuids'], netUuid)
  await xapi.call('VM.clean_shutdown', pv)
  await xapi.call('VM.hard_shutdown', hvm)
  assert.deepEqual(await h1.bridges(), ['xenbr0'])
  assert.deepEqual(await h2.bridges(), ['xenbr0'], 'vif and tap both gone: nothing left on it')
})

test('an internal bridge with other interfaces on it stays when its last VIF goes; a bridge that exists is never touched again', async (t) => {
  const { lab, pool } = await fixture(t, [{ name_label: 'vm' }])
  const h1 = lab.hosts[0] as LabPool['hosts'][number]
  const [vm] = pool.vms as [string]
  const xapi = await connectClient(t, pool, 'xml-rpc')
  const net = (await xapi.call('network.create', {
    name_label: 'ovn-int',
    name_description: '',
    MTU: 1500,
    other_config: { 'vswitch-controller-fail-mode': 'secure' },
  })) as string
  const vif = (await xapi.call('VIF.create', {
    device: '0',
    network: net,
    VM: vm,
    MAC: '',
    MTU: 1500,
    other_config: {},
    qos_algorithm_type: '',
    qos_algorithm_params: {},
  })) as string
  await xapi.call('VM.start_on', vm, pool.host(h1.uuid).ref, false, false)

  // What ovn-controller does to its integration bridge: a tunnel port, and XAPI's ids lost.
  await h1.vsctl(
    '--',
    'add-port',
    'xapi0',
    'ovn-peer-0',
    '--',
    'set',
    'Interface',
    'ovn-peer-0',
    'type=geneve',
    'options:remote_ip=192.0.2.99',
  )
  await h1.vsctl('remove', 'Bridge', 'xapi0', 'external_ids', 'xs-network-uuids')
  await h1.vsctl('set', 'Bridge', 'xapi0', 'fail_mode=standalone')

  await xapi.call('VIF.unplug', vif)
  assert.ok((await h1.bridges()).includes('xapi0'), 'list-ifaces shows the tunnel port: the bridge stays')
  // create_internal_bridge skips it: the plug adds the port and sets nothing on the bridge
  await xapi.call('VIF.plug', vif)
  await xapi.call('network.attach', net, pool.host(h1.uuid).ref)
  assert.equal((await externalIds(h1, 'Bridge', 'xapi0'))['xs-network-uuids'], undefined)
  assert.equal(await h1.vsctl('get', 'Bridge', 'xapi0', 'fail_mode'), 'standalone')

  // with the tunnel port gone, the last VIF takes the bridge with it
  await h1.vsctl('del-port', 'xapi0', 'ovn-peer-0')
  await xapi.call('VM.hard_shutdown', vm)
  assert.deepEqual(await h1.bridges(), ['xenbr0'])
})

for (const transport of TRANSPORTS) {
  test(`${transport}: call_plugin runs inside the host namespace with xapi's argv and PATH plus the host's overrides`, async (t) => {
    const { lab, pool } = await fixture(t)
    const labHost = lab.hosts[1] as LabPool['hosts'][number]
    const host = pool.host(labHost.uuid).ref
    const file = await pool.installPlugin(host, 'report', await writeTemp(t, REPORTING_PLUGIN))
    assert.equal(file, join(labHost.rundir, 'xapi.d', 'plugins', 'report'))
    const xapi = await connectClient(t, pool, transport)
    const args = { bridge: 'xapi0', 'encap-ip': labHost.managementIp as string }

    const report = JSON.parse(
      (await xapi.callAsync('host.call_plugin', host, 'report', 'configure', args)) as string,
    ) as PluginReport
    assert.deepEqual(report.argv, [file, formatPluginCall('configure', xapi.sessionId, args)])
    assert.deepEqual(report.env, { PATH: PLUGIN_PATH, ...labHost.env() })
    assert.equal(report.stdin, '/dev/null')
    const nsInode = (await stat(`/run/netns/${labHost.netns}`)).ino
    assert.equal(report.netns, `net:[${nsInode}]`)

    await rejectsWithXapiError(
      xapi.call('host.call_plugin', pool.host(lab.hosts[0]?.uuid as string).ref, 'report', 'fn', {}),
      'XENAPI_MISSING_PLUGIN',
      ['report'],
    )
    await pool.emulator.writePlugin(host, 'crash', shellPlugin('', { stderr: 'crashed', status: 1 }))
    await rejectsWithXapiError(xapi.call('host.call_plugin', host, 'crash', 'fn', {}), 'XENAPI_PLUGIN_FAILURE', [
      'non-zero exit',
      '',
      'crashed',
    ])
    pool.setHostLive(host, false)
    await rejectsWithXapiError(xapi.call('host.call_plugin', host, 'report', 'fn', {}), 'HOST_OFFLINE', [host])
  })
}

async function writeTemp(t: { after(fn: () => unknown): void }, content: string): Promise<string> {
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const dir = await mkdtemp(join(tmpdir(), 'xapi-emu-plugin-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'plugin')
  await writeFile(file, content)
  return file
}
