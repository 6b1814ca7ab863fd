/**
 * The plugin with real OVN: an OVN central (NB, SB, ovn-northd) and two lab hosts whose
 * ovn-controller is pointed by fn=configure at the XAPI bridge. A logical switch port named after
 * a VIF UUID binds to that host's chassis on the XAPI bridge, no br-int ever appears, verify
 * passes every check; then every check is shown failing on the real database, and recovering
 * (boot.drop-in needs systemd, which the lab has not: test/unit/chassis-verify shows it warning).
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { LabHost, type LabVif } from '../../lab/host.js'
import { OvnCentral } from '../../lab/central.js'
import { Underlay } from '../../lab/underlay.js'
import { LabVm } from '../../lab/vm.js'
import { newUuid } from '../../lab/names.js'
import { waitFor } from '../../lab/wait.js'
import { call, value } from './plugin-harness.js'

const MGMT_NET = newUuid()
const OVN_NET = newUuid()

interface Report {
  ok: boolean
  checks: { id: string; status: string; message: string; hint: string | null }[]
}

function args(ip: string): Record<string, string> {
  return {
    'ovn-remote': 'tcp:192.0.2.10:6642',
    'ovn-encap-ip': ip,
    'ovn-bridge': 'xapi1',
    'ovn-bridge-mappings': 'physnet-mgmt:xenbr0',
    'ovn-bridge-datapath-type': 'netdev',
    'network-uuid': OVN_NET,
  }
}

function statusOf(r: Report, id: string): string {
  const c = r.checks.find((x) => x.id === id)
  assert.ok(c, `check ${id}`)
  return c.status
}

describe('a VIF on the XAPI bridge binds to the chassis, and verify sees it', () => {
  let underlay: Underlay
  let central: OvnCentral
  const hosts: LabHost[] = []
  const vms: LabVm[] = []
  const vifs: LabVif[] = []

  before(async () => {
    underlay = await Underlay.create()
    central = await OvnCentral.create({ underlay })
    for (const [i, ip] of ['192.0.2.21', '192.0.2.22'].entries()) {
      const host = await LabHost.create({ name: `bind${i + 1}` })
      hosts.push(host)
      await host.createBridge('xenbr0', { networkUuids: [MGMT_NET] })
      await host.addUplink('xenbr0', underlay, { ip: `${ip}/24` })
      // Our RPM's host agent, started at boot by systemd: on 8.3 only it writes iface-id.
      host.startHostAgent()
      // network.attach with other_config vswitch-controller-fail-mode=secure
      await host.createBridge('xapi1', { networkUuids: [OVN_NET], failMode: 'secure' })
      const vm = await LabVm.create({ ip: `198.18.10.${i + 1}/24` })
      vms.push(vm)
      vifs.push(
        await host.plugVif({
          domid: i + 1,
          devid: 0,
          vifUuid: newUuid(),
          vmUuid: vm.uuid,
          networkUuid: OVN_NET,
          bridge: 'xapi1',
          vm,
        }),
      )
    }
  })
  after(async () => {
    for (const h of hosts) await h.destroy()
    for (const vm of vms) await vm.destroy()
    await central?.destroy()
    await underlay?.destroy()
  })

  test('configure first, then ovn-controller adopts the XAPI bridge', async () => {
    for (const [i, host] of hosts.entries()) {
      const v = await value<{ changed: boolean }>(host, 'configure', args(`192.0.2.2${i + 1}`))
      assert.equal(v.changed, true)
      await host.startOvnController({ waitConnected: true })
    }
    await central.nbctl('ls-add', 'tenant-a')
    for (const [i, vif] of vifs.entries()) {
      await central.nbctl('lsp-add', 'tenant-a', vif.vifUuid)
      await central.nbctl('lsp-set-addresses', vif.vifUuid, `${vif.mac} 198.18.10.${i + 1}`)
    }
  })

  test('verify wait=60 converges to every check passing on both hosts', async () => {
    for (const host of hosts) {
      const r = await value<Report & { waited: number }>(host, 'verify', { wait: '60' })
      for (const c of r.checks) assert.equal(c.status, 'pass', `${host.name} ${c.id}: ${c.message}`)
      assert.equal(r.ok, true)
    }
  })

  test("each VIF's logical port is bound to its own host's chassis, and no br-int exists", async () => {
    for (const [i, host] of hosts.entries()) {
      const chassis = (await central.sbctl('--bare', '--columns=_uuid', 'find', 'Chassis', `name=${host.uuid}`)).trim()
      assert.notEqual(chassis, '', `chassis of ${host.name} registered under its host UUID`)
      const bound = (
        await central.sbctl('--bare', '--columns=chassis', 'find', 'Port_Binding', `logical_port=${vifs[i]?.vifUuid}`)
      ).trim()
      assert.equal(bound, chassis)
      assert.deepEqual((await host.bridges()).sort(), ['xapi1', 'xenbr0'])
      const installed = await host.vsctl('get', 'Interface', vifs[i]?.name ?? '', 'external_ids:ovn-installed')
      assert.equal(installed.trim().replace(/"/g, ''), 'true')
    }
  })

  test('the two VMs reach each other across hosts over Geneve', async () => {
    await waitFor('VM1 pings VM2', () => (vms[0] as LabVm).ping('198.18.10.2'), { timeoutMs: 30_000 })
  })

  test("an HVM guest's vif+tap: the real ovn-controller installs the port on the tap (the host agent's choice), then on the vif once the tap goes", async () => {
    const host = hosts[0] as LabHost
    const vifUuid = newUuid()
    await central.nbctl('lsp-add', 'tenant-a', vifUuid)
    await central.nbctl('lsp-set-addresses', vifUuid, '02:00:00:00:09:00 198.18.10.9')
    const installed = async (iface: string): Promise<boolean> =>
      (await host.vsctl('--if-exists', 'get', 'Interface', iface, 'external_ids:ovn-installed')).replace(/"/g, '') ===
      'true'
    const hvm = await host.plugVif({
      domid: 9,
      devid: 0,
      vifUuid,
      vmUuid: newUuid(),
      networkUuid: OVN_NET,
      bridge: 'xapi1',
      mac: '02:00:00:00:09:00',
      hvm: true,
    })
    await waitFor('ovn-controller installs the port on tap9.0', () => installed('tap9.0'), { timeoutMs: 30_000 })
    assert.equal(await installed('vif9.0'), false, 'the vif has no iface-id, so nothing is installed on it')
    const chassis = (await central.sbctl('--bare', '--columns=_uuid', 'find', 'Chassis', `name=${host.uuid}`)).trim()
    const bound = async (): Promise<string> =>
      (await central.sbctl('--bare', '--columns=chassis', 'find', 'Port_Binding', `logical_port=${vifUuid}`)).trim()
    assert.equal(await bound(), chassis)
    // The guest's PV drivers take over: xenopsd removes the tap, the agent moves the iface-id.
    const pv = await host.unplugTap(hvm)
    await waitFor('ovn-controller installs the port on vif9.0', () => installed('vif9.0'), { timeoutMs: 30_000 })
    assert.equal(await bound(), chassis)
    await host.unplugVif(pv)
    await central.nbctl('lsp-del', vifUuid)
  })

  test('status shows the bridge, the VIF and its binding', async () => {
    const s = await value<{
      configured: boolean
      bridge: { name: string; failMode: string }
      ports: { name: string; kind: string; ifaceId: string; ovnInstalled: boolean }[]
      controller: { running: boolean; connection: string }
    }>(hosts[0] as LabHost, 'status')
    assert.equal(s.configured, true)
    assert.deepEqual({ name: s.bridge.name, failMode: s.bridge.failMode }, { name: 'xapi1', failMode: 'secure' })
    const vif = s.ports.find((p) => p.kind === 'vif')
    assert.deepEqual(vif && { name: vif.name, ifaceId: vif.ifaceId, ovnInstalled: vif.ovnInstalled }, {
      name: vifs[0]?.name,
      ifaceId: vifs[0]?.vifUuid,
      ovnInstalled: true,
    })
    assert.ok(
      s.ports.some((p) => p.kind === 'ovn-tunnel'),
      'the Geneve port to the other chassis is listed',
    )
    assert.deepEqual(
      { running: s.controller.running, connection: s.controller.connection },
      { running: true, connection: 'connected' },
    )
  })

  // Every check, broken on the real database of host 1 and repaired. The ones about ovn-controller
  // run while it runs; the others with it stopped, so it does not react to the breakage.
  const vsctl =
    (...a: string[]) =>
    () =>
      (hosts[0] as LabHost).vsctl('--no-wait', ...a).then(() => undefined)
  async function restartAgentAndWaitForIfaceId(): Promise<void> {
    const host = hosts[0] as LabHost
    const vif = vifs[0] as LabVif
    host.startHostAgent()
    await waitFor(
      'the host agent writes iface-id again',
      async () =>
        (await host.vsctl('--if-exists', 'get', 'Interface', vif.name, 'external_ids:iface-id')).replace(/"/g, '') ===
        vif.vifUuid,
      { timeoutMs: 20_000 },
    )
  }

  const BREAKS: [string, 'fail' | 'warn', () => Promise<void>, () => Promise<void>][] = [
    [
      'keys.required',
      'fail',
      vsctl('remove', 'Open_vSwitch', '.', 'external_ids', 'ovn-encap-type'),
      vsctl('set', 'Open_vSwitch', '.', 'external_ids:ovn-encap-type=geneve'),
    ],
    [
      'keys.valid',
      'fail',
      vsctl('set', 'Open_vSwitch', '.', 'external_ids:ovn-monitor-all=maybe'),
      vsctl('remove', 'Open_vSwitch', '.', 'external_ids', 'ovn-monitor-all'),
    ],
    [
      'bridge.exists',
      'fail',
      vsctl('set', 'Open_vSwitch', '.', 'external_ids:ovn-bridge=xapi9'),
      vsctl('set', 'Open_vSwitch', '.', 'external_ids:ovn-bridge=xapi1'),
    ],
    [
      // With the host agent stopped; running, it gives the ids back (the next test proves it).
      'bridge.xapi',
      'fail',
      async () => {
        await (hosts[0] as LabHost).stopHostAgent()
        await vsctl('remove', 'Bridge', 'xapi1', 'external_ids', 'xs-network-uuids')()
      },
      async () => {
        await vsctl('set', 'Bridge', 'xapi1', `external_ids:xs-network-uuids=${OVN_NET}`)()
        ;(hosts[0] as LabHost).startHostAgent()
      },
    ],
    [
      'bridge.xapi',
      'warn',
      vsctl('remove', 'Bridge', 'xapi1', 'external_ids', 'bridge-id'),
      vsctl('set', 'Bridge', 'xapi1', `external_ids:bridge-id=${OVN_NET}`),
    ],
    [
      'bridge.ports',
      'fail',
      vsctl('add-port', 'xapi1', 'eth9', '--', 'set', 'Interface', 'eth9', 'type=internal'),
      vsctl('del-port', 'xapi1', 'eth9'),
    ],
    [
      'bridge.fail-mode',
      'fail',
      vsctl('set', 'Bridge', 'xapi1', 'fail_mode=standalone'),
      vsctl('set', 'Bridge', 'xapi1', 'fail_mode=secure'),
    ],
    [
      'bridge.no-stray-br-int',
      'fail',
      vsctl('add-br', 'br-int', '--', 'set', 'Bridge', 'br-int', 'datapath_type=netdev'),
      vsctl('del-br', 'br-int'),
    ],
    [
      'mappings.bridges',
      'fail',
      vsctl('set', 'Open_vSwitch', '.', 'external_ids:ovn-bridge-mappings=physnet-mgmt:xenbr7'),
      vsctl('set', 'Open_vSwitch', '.', 'external_ids:ovn-bridge-mappings=physnet-mgmt:xenbr0'),
    ],
    [
      'encap-ip.local',
      'fail',
      vsctl('set', 'Open_vSwitch', '.', 'external_ids:ovn-encap-ip=192.0.2.99'),
      vsctl('set', 'Open_vSwitch', '.', 'external_ids:ovn-encap-ip=192.0.2.21'),
    ],
    [
      // With the host agent stopped nobody writes iface-id (XCP-ng 8.3); started, it repairs it.
      'vifs.iface-id',
      'fail',
      async () => {
        await (hosts[0] as LabHost).stopHostAgent()
        await vsctl('remove', 'Interface', vifs[0]?.name ?? '', 'external_ids', 'iface-id')()
      },
      () => restartAgentAndWaitForIfaceId(),
    ],
    [
      'vifs.iface-id',
      'fail',
      async () => {
        await (hosts[0] as LabHost).stopHostAgent()
        await vsctl('set', 'Interface', vifs[0]?.name ?? '', 'external_ids:iface-id=custom-id')()
      },
      () => restartAgentAndWaitForIfaceId(),
    ],
    [
      'ssl.material',
      'warn',
      vsctl('set', 'Open_vSwitch', '.', 'external_ids:ovn-remote=ssl:192.0.2.10:6642'),
      vsctl('set', 'Open_vSwitch', '.', 'external_ids:ovn-remote=tcp:192.0.2.10:6642'),
    ],
    [
      'ssl.ovs-table',
      'warn',
      vsctl('set-ssl', '/etc/ovn/key.pem', '/etc/ovn/cert.pem', '/etc/ovn/ca.pem'),
      vsctl('del-ssl'),
    ],
  ]

  test('with ovn-controller stopped, controller.running fails', async () => {
    await (hosts[0] as LabHost).stopOvnController()
    const r = await value<Report>(hosts[0] as LabHost, 'verify')
    assert.equal(statusOf(r, 'controller.running'), 'fail')
    assert.equal(statusOf(r, 'controller.connected'), 'fail')
    assert.equal(r.ok, false)
  })

  for (const [id, expected, breakIt, repair] of BREAKS) {
    test(`verify: ${id} ${expected}s on the real database, and passes once repaired`, async () => {
      const host = hosts[0] as LabHost
      await breakIt()
      const broken = await value<Report>(host, 'verify')
      assert.equal(statusOf(broken, id), expected, JSON.stringify(broken.checks.find((c) => c.id === id)))
      await repair()
      assert.equal(statusOf(await value<Report>(host, 'verify'), id), 'pass')
    })
  }

  test('verify: system-id.host fails when the host UUID is not the system-id', async () => {
    const host = hosts[0] as LabHost
    const inventory = readFileSync(host.env().XENSOURCE_INVENTORY, 'utf8')
    writeFileSync(host.env().XENSOURCE_INVENTORY, inventory.replace(host.uuid, newUuid()))
    try {
      assert.equal(statusOf(await value<Report>(host, 'verify'), 'system-id.host'), 'fail')
    } finally {
      writeFileSync(host.env().XENSOURCE_INVENTORY, inventory)
    }
    assert.equal(statusOf(await value<Report>(host, 'verify'), 'system-id.host'), 'pass')
  })

  test('verify: an HVM guest with vif and tap warns vifs.hvm-pairs', async () => {
    const host = hosts[0] as LabHost
    const hvm = await host.plugVif({
      domid: 7,
      devid: 0,
      vifUuid: newUuid(),
      vmUuid: newUuid(),
      networkUuid: OVN_NET,
      bridge: 'xapi1',
      mac: '02:00:00:00:07:00',
      hvm: true,
    })
    assert.equal(statusOf(await value<Report>(host, 'verify'), 'vifs.hvm-pairs'), 'warn')
    await host.unplugVif(hvm)
    assert.equal(statusOf(await value<Report>(host, 'verify'), 'vifs.hvm-pairs'), 'pass')
  })

  test('restarted, ovn-controller is connected and every check passes again', async () => {
    const host = hosts[0] as LabHost
    await host.startOvnController({ waitConnected: true })
    const r = await value<Report>(host, 'verify', { wait: '60' })
    assert.equal(r.ok, true, JSON.stringify(r.checks.filter((c) => c.status !== 'pass')))
  })

  test('verify: controller.connected fails when the southbound database is unreachable', async () => {
    const host = hosts[0] as LabHost
    await vsctl('set', 'Open_vSwitch', '.', 'external_ids:ovn-remote=tcp:192.0.2.10:6699')()
    await waitFor(
      'ovn-controller notices',
      async () => (await host.ovnAppctl('connection-status')).trim() !== 'connected',
      { timeoutMs: 30_000 },
    )
    assert.equal(statusOf(await value<Report>(host, 'verify'), 'controller.connected'), 'fail')
    await vsctl('set', 'Open_vSwitch', '.', 'external_ids:ovn-remote=tcp:192.0.2.10:6642')()
    const r = await value<Report>(host, 'verify', { wait: '60' })
    assert.equal(statusOf(r, 'controller.connected'), 'pass')
  })

  test('verify: a VIF without a logical switch port warns vifs.installed', async () => {
    const host = hosts[0] as LabHost
    const extra = await host.plugVif({
      domid: 8,
      devid: 0,
      vifUuid: newUuid(),
      vmUuid: newUuid(),
      networkUuid: OVN_NET,
      bridge: 'xapi1',
      mac: '02:00:00:00:08:00',
    })
    const r = await value<Report>(host, 'verify')
    assert.equal(statusOf(r, 'vifs.installed'), 'warn')
    assert.match(
      r.checks.find((c) => c.id === 'vifs.installed')?.message ?? '',
      new RegExp(extra.name.replace('.', '\\.')),
    )
    await host.unplugVif(extra)
  })

  test('unconfigure on a live chassis gives back the keys and leaves the XAPI bridge and VIFs alone', async () => {
    const host = hosts[1] as LabHost
    await host.stopOvnController({ cleanup: true })
    const v = await value<{ changed: boolean; after: Record<string, string | null> }>(host, 'unconfigure')
    assert.equal(v.changed, true)
    assert.equal(v.after['ovn-remote'], null)
    assert.deepEqual((await host.bridges()).sort(), ['xapi1', 'xenbr0'])
    const r = await call(host, 'verify')
    assert.equal(r.ok && (r.value as Report).ok, false)
  })
})
