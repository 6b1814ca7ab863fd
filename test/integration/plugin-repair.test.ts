/**
 * fn=repair on a real Open vSwitch with a real ovn-controller: one started before the host was
 * configured makes br-int (docs/platform.md); verify reports it, repair removes it (and only it), and a
 * br-int holding a guest VIF is left alone.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { LabHost } from '../../lab/host.js'
import { OvnCentral } from '../../lab/central.js'
import { Underlay } from '../../lab/underlay.js'
import { newUuid } from '../../lab/names.js'
import { waitFor } from '../../lab/wait.js'
import { value } from './plugin-harness.js'

const OVN_NET = newUuid()
const ARGS = {
  'ovn-remote': 'tcp:192.0.2.10:6642',
  'ovn-encap-ip': '192.0.2.21',
  'ovn-bridge': 'xapi1',
  'ovn-bridge-datapath-type': 'netdev',
}

interface Report {
  ok: boolean
  checks: { id: string; status: string; message: string }[]
}
interface Repair {
  changed: boolean
  dryRun: boolean
  removed: { name: string; ports: string[] }[]
  left: string[]
}

describe('repair after ovn-controller started too early', () => {
  let underlay: Underlay
  let central: OvnCentral
  let host: LabHost

  before(async () => {
    underlay = await Underlay.create()
    central = await OvnCentral.create({ underlay })
    host = await LabHost.create({ name: 'rep1' })
    await host.createBridge('xenbr0', { networkUuids: [newUuid()] })
    await host.addUplink('xenbr0', underlay, { ip: '192.0.2.21/24' })
    await host.createBridge('xapi1', { networkUuids: [OVN_NET], failMode: 'secure' })
    // The RPM's host agent, as systemd runs it: it opens Geneve in dom0's firewall once configured.
    host.startHostAgent()
  })
  after(async () => {
    await host?.destroy()
    await central?.destroy()
    await underlay?.destroy()
  })

  test('an ovn-controller started before configure makes br-int; verify reports it', async () => {
    await host.vsctl('set', 'Open_vSwitch', '.', 'external_ids:ovn-bridge-datapath-type=netdev')
    await host.startOvnController()
    await waitFor('ovn-controller creates br-int', async () => (await host.bridges()).includes('br-int'), {
      timeoutMs: 30_000,
    })
    await value(host, 'configure', ARGS)
    const r = await value<Report>(host, 'verify')
    assert.equal(r.checks.find((c) => c.id === 'bridge.no-stray-br-int')?.status, 'fail')
  })

  test('repair dry-run says what it would remove and removes nothing', async () => {
    const dump = await host.dumpConfig()
    const r = await value<Repair>(host, 'repair', { 'dry-run': 'true' })
    assert.deepEqual(
      { changed: r.changed, removed: r.removed.map((b) => b.name), left: r.left },
      { changed: false, removed: ['br-int'], left: [] },
    )
    assert.equal(await host.dumpConfig(), dump)
  })

  test('repair removes br-int only; the chassis then passes every check', async () => {
    const r = await value<Repair>(host, 'repair')
    assert.equal(r.changed, true)
    assert.deepEqual(
      r.removed.map((b) => b.name),
      ['br-int'],
    )
    assert.deepEqual((await host.bridges()).sort(), ['xapi1', 'xenbr0'])
    const v = await value<Report & { waited: number }>(host, 'verify', { wait: '60' })
    assert.equal(v.ok, true, JSON.stringify(v.checks.filter((c) => c.status !== 'pass')))
    assert.deepEqual(await value<Repair>(host, 'repair'), { changed: false, dryRun: false, removed: [], left: [] })
  })

  test('a br-int with a guest VIF on it is left alone and reported', async () => {
    await host.vsctl('add-br', 'br-int', '--', 'set', 'Bridge', 'br-int', 'datapath_type=netdev')
    const vif = await host.plugVif({
      domid: 4,
      devid: 0,
      vifUuid: newUuid(),
      vmUuid: newUuid(),
      networkUuid: OVN_NET,
      bridge: 'br-int',
      mac: '02:00:00:00:04:00',
    })
    const dump = await host.dumpConfig()
    const r = await value<Repair>(host, 'repair')
    assert.equal(r.changed, false)
    assert.match(r.left.join(' '), new RegExp(vif.name.replace('.', '\\.')))
    assert.equal(await host.dumpConfig(), dump)
  })
})
