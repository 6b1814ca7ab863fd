// createLabPool composes underlay + central + hosts: hosts reach each other and the central over
// the underlay. With a clustered central, ovn-controller given every SB remote keeps binding
// ports after the SB leader is killed mid-test.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLabPool, managementIp } from '../../lab/pool.js'
import { LabVm } from '../../lab/vm.js'
import type { LabHost } from '../../lab/host.js'
import { newUuid } from '../../lab/names.js'
import { waitFor } from '../../lab/wait.js'

test('a 3-host pool: xenbr0 on every host, hosts reach each other and the central', async (t) => {
  const pool = await createLabPool({ hosts: 3 })
  t.after(() => pool.destroy())
  assert.equal(pool.hosts.length, 3)
  assert.deepEqual(
    pool.hosts.map((h) => h.managementIp),
    [managementIp(0), managementIp(1), managementIp(2)],
  )
  assert.equal(new Set(pool.hosts.map((h) => h.uuid)).size, 3)
  for (const host of pool.hosts) {
    assert.equal(
      await host.vsctl('get', 'Bridge', 'xenbr0', 'external_ids:xs-network-uuids'),
      `"${pool.managementNetworkUuid}"`,
    )
    const other = pool.hosts.find((h) => h !== host) as LabHost
    const ping = await host.exec('ping', ['-c', '2', '-W', '2', '-i', '0.2', other.managementIp as string], {
      check: false,
    })
    assert.ok(ping.ok, ping.stdout)
    // TCP from the host through its userspace datapath to the SB (what ovn-controller needs).
    const dbs = await host.exec('ovsdb-client', ['--timeout=20', 'list-dbs', pool.central.sbRemote])
    assert.match(dbs.stdout, /OVN_Southbound/)
  }
})

test('with a clustered central, ports still bind after the SB leader is killed', async (t) => {
  const pool = await createLabPool({ hosts: 2, clustered: true })
  t.after(() => pool.destroy())
  const { central } = pool
  const net = newUuid()
  for (const host of pool.hosts) {
    await host.createBridge('xapi1', { networkUuids: [net], failMode: 'secure' })
    await host.vsctl(
      'set',
      'Open_vSwitch',
      '.',
      `external_ids:ovn-remote="${central.sbRemote}"`,
      'external_ids:ovn-encap-type=geneve',
      `external_ids:ovn-encap-ip="${host.managementIp as string}"`,
      'external_ids:ovn-bridge=xapi1',
      'external_ids:ovn-bridge-datapath-type=netdev',
    )
    await host.startOvnController({ waitConnected: true })
  }
  await central.nbctl('ls-add', 'ls1')

  const plugOne = async (host: LabHost, domid: number, ip: string): Promise<LabVm> => {
    const vm = await LabVm.create({ ip: `${ip}/24` })
    t.after(() => vm.destroy())
    const vifUuid = newUuid()
    await central.nbctl('lsp-add', 'ls1', vifUuid, '--', 'lsp-set-addresses', vifUuid, `${vm.mac} ${ip}`)
    await host.plugVif({ domid, devid: 0, vifUuid, vmUuid: vm.uuid, networkUuid: net, bridge: 'xapi1', vm })
    await waitFor(
      `${vifUuid} bound`,
      async () =>
        (
          await central.sbctl('--bare', '--columns=chassis', 'find', 'Port_Binding', `logical_port=${vifUuid}`)
        ).trim() !== '',
      { timeoutMs: 90_000 },
    )
    return vm
  }

  const [h1, h2] = pool.hosts as [LabHost, LabHost]
  const vm1 = await plugOne(h1, 1, '198.18.11.1')
  const killed = await central.killSbLeader()
  assert.notEqual(await central.waitForSbLeader(), killed)
  const vm2 = await plugOne(h2, 1, '198.18.11.2')
  for (const host of pool.hosts) {
    await waitFor(
      `${host.name} ovn-controller connected`,
      async () => (await host.ovnAppctl('connection-status')).trim() === 'connected',
      { timeoutMs: 60_000 },
    )
  }
  await waitFor('overlay ping after the SB failover', () => vm1.ping('198.18.11.2'), { timeoutMs: 60_000 })
  assert.ok(await vm2.ping('198.18.11.1'))
})
