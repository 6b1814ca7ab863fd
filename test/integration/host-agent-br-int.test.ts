/**
 * The host agent in the experimental integration modes (issue 12), on an emulated XCP-ng 8.3
 * host with real ovsdb-server and ovs-vswitchd:
 * - reconcile: configure makes br-int (secure, the network's ids); every xenopsd plug onto XAPI's
 *   bridge is moved to br-int keeping the Port and Interface rows (every Xen id) and given its
 *   iface-id (an HVM pair: the tap), a VIF of another network is left alone, xenopsd's unplug
 *   (del-port by name) still removes a moved port, a replug is moved again, and once moved nothing
 *   moves again (idempotent: the database stays as it is);
 * - unmanaged: a br-int deleted while configured is made again, with its ids.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { LabHost } from '../../lab/host.js'
import { newUuid } from '../../lab/names.js'
import { Underlay } from '../../lab/underlay.js'
import { waitFor } from '../../lab/wait.js'
import { value } from './plugin-harness.js'

const OVN_NET = newUuid()
const MGMT_NET = newUuid()

const strip = (v: string): string => v.trim().replace(/^"|"$/g, '')

async function bridgeOf(host: LabHost, port: string): Promise<string> {
  return (await host.vsctl('port-to-br', port)).trim()
}

async function waitOnBrInt(host: LabHost, port: string): Promise<void> {
  await waitFor(`${port} on br-int`, async () => (await bridgeOf(host, port).catch(() => '')) === 'br-int', {
    timeoutMs: 20_000,
  })
}

function movesLogged(host: LabHost): number {
  const log = host.hostAgent?.logFile
  if (log === undefined) return 0
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.includes('VIF ports moved to the integration bridge')).length
}

describe('the host agent in the br-int modes', () => {
  let underlay: Underlay
  let host: LabHost

  before(async () => {
    underlay = await Underlay.create()
    host = await LabHost.create({ name: 'brint1' })
    await host.createBridge('xenbr0', { networkUuids: [MGMT_NET] })
    await host.addUplink('xenbr0', underlay, { ip: '192.0.2.41/24' })
    await host.createBridge('xapi1', { networkUuids: [OVN_NET], failMode: 'secure' })
    host.startHostAgent()
  })
  after(async () => {
    await host?.destroy()
    await underlay?.destroy()
  })

  const args = (mode: string): Record<string, string> => ({
    'ovn-remote': 'tcp:192.0.2.10:6642',
    'ovn-encap-ip': '192.0.2.41',
    'ovn-bridge': 'br-int',
    'network-uuid': OVN_NET,
    'ovn-bridge-datapath-type': 'netdev',
    'integration-mode': mode,
  })

  test('reconcile: configure makes br-int; plugs on XAPI bridge move there with every id; unplug and replug; idempotent', async () => {
    assert.deepEqual(await host.bridges(), ['xapi1', 'xenbr0'])
    await value(host, 'configure', args('reconcile'))
    assert.equal(strip(await host.vsctl('get', 'Bridge', 'br-int', 'fail_mode')), 'secure')
    assert.equal(strip(await host.vsctl('get', 'Bridge', 'br-int', 'external_ids:xs-network-uuids')), OVN_NET)
    assert.equal(strip(await host.vsctl('get', 'Bridge', 'br-int', 'datapath_type')), 'netdev')
    assert.equal(
      strip(await host.vsctl('get', 'Open_vSwitch', '.', 'external_ids:xapi-ovn-integration-mode')),
      'reconcile',
    )

    const vifUuid = newUuid()
    const vmUuid = newUuid()
    const plug = (): ReturnType<LabHost['plugVif']> =>
      host.plugVif({
        domid: 5,
        devid: 0,
        vifUuid,
        vmUuid,
        networkUuid: OVN_NET,
        bridge: 'xapi1',
        mac: '02:00:00:00:05:00',
      })
    const vif = await plug()
    const portRow = strip(await host.vsctl('get', 'Port', vif.name, '_uuid'))
    await waitOnBrInt(host, vif.name)
    assert.equal(strip(await host.vsctl('get', 'Port', vif.name, '_uuid')), portRow, 'the same Port row, moved')
    await waitFor(
      'its iface-id',
      async () =>
        strip(await host.vsctl('--if-exists', 'get', 'Interface', vif.name, 'external_ids:iface-id')) === vifUuid,
    )
    const ids = await host.vsctl('get', 'Interface', vif.name, 'external_ids')
    for (const [k, v] of [
      ['xs-vif-uuid', vifUuid],
      ['xs-vm-uuid', vmUuid],
      ['xs-network-uuid', OVN_NET],
      ['attached-mac', '02:00:00:00:05:00'],
    ])
      assert.match(ids, new RegExp(`${k}="?${v}`), `${k} kept`)
    assert.deepEqual(
      (await host.vsctl('list-ports', 'xapi1')).split('\n').filter((p) => p !== ''),
      [],
    )

    // An HVM guest's vif+tap: both moved, the tap takes the iface-id.
    const hvmUuid = newUuid()
    const hvm = await host.plugVif({
      domid: 6,
      devid: 0,
      vifUuid: hvmUuid,
      vmUuid: newUuid(),
      networkUuid: OVN_NET,
      bridge: 'xapi1',
      mac: '02:00:00:00:06:00',
      hvm: true,
    })
    await waitOnBrInt(host, hvm.name)
    await waitOnBrInt(host, hvm.tap as string)
    await waitFor(
      'the tap carries the iface-id',
      async () =>
        strip(await host.vsctl('--if-exists', 'get', 'Interface', hvm.tap as string, 'external_ids:iface-id')) ===
        hvmUuid,
    )
    assert.equal(await host.vsctl('--if-exists', 'get', 'Interface', hvm.name, 'external_ids:iface-id'), '')

    // A VIF of another network stays where xenopsd put it.
    const other = await host.plugVif({
      domid: 7,
      devid: 0,
      vifUuid: newUuid(),
      vmUuid: newUuid(),
      networkUuid: MGMT_NET,
      bridge: 'xenbr0',
      mac: '02:00:00:00:07:00',
    })

    // Unplug: xenopsd's del-port by name finds it on br-int. Replug: on xapi1, moved again.
    await host.unplugVif(vif)
    assert.equal(await host.vsctl('--if-exists', 'get', 'Port', vif.name, '_uuid'), '', 'unplugged: gone')
    const again = await plug()
    await waitOnBrInt(host, again.name)

    // Settled: nothing moves again, nothing is written.
    await waitFor(
      'the iface-id after the replug',
      async () =>
        strip(await host.vsctl('--if-exists', 'get', 'Interface', again.name, 'external_ids:iface-id')) === vifUuid,
    )
    const moves = movesLogged(host)
    const dump = await host.dumpConfig()
    await new Promise((r) => setTimeout(r, 1500))
    assert.equal(movesLogged(host), moves, 'no further move')
    assert.equal(await host.dumpConfig(), dump, 'the database as the agent left it')
    assert.equal(await bridgeOf(host, other.name), 'xenbr0')
    // At most one move per port xenopsd wrote (the vif, the HVM vif and tap, the replug).
    assert.ok(moves >= 3 && moves <= 4, `moves: ${moves}`)
    await host.unplugVif(again)
    await host.unplugVif(hvm)
    await host.unplugVif(other)
  })

  test('unmanaged: a br-int deleted while configured is made again by the agent, with its ids', async () => {
    await value(host, 'configure', args('unmanaged'))
    assert.equal(
      strip(await host.vsctl('get', 'Open_vSwitch', '.', 'external_ids:xapi-ovn-integration-mode')),
      'unmanaged',
    )
    await host.vsctl('del-br', 'br-int')
    await waitFor('br-int again', async () => (await host.bridges()).includes('br-int'), { timeoutMs: 20_000 })
    assert.equal(strip(await host.vsctl('get', 'Bridge', 'br-int', 'external_ids:xs-network-uuids')), OVN_NET)
    assert.equal(strip(await host.vsctl('get', 'Bridge', 'br-int', 'fail_mode')), 'secure')
  })
})
