// The br-int way in the lab (issue 12), on the 8.3-faithful hosts, once per experimental mode:
// - unmanaged: setup creates an unmanaged XAPI network (managed=false, bridge=br-int); XAPI only
//   checks that br-int exists and xenopsd plugs VIFs into it; the host agent makes br-int, also at
//   boot before xapi (xapi-ovn-br-int.service);
// - reconcile: VIFs land on the OVN network's XAPI bridge and the host agent moves each port to
//   br-int (every Xen id and the iface-id kept).
// In each: the VMs bind and ping across hosts; a VIF is unplugged (its port goes: xenopsd's
// del-port by name) and replugged; a VM live-migrates and back; a host reboots and its VM comes
// back bound, nobody calling xapi-ovn. verify says the mode and warns.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { verify } from '../../lib/pool/index.js'
import { vifPorts, migrateGuest, waitBoundTo } from '../../lab/br-int-proof.js'
import type { LabHost } from '../../lab/host.js'
import { OverlayLab, type LabGuest } from '../../lab/overlay-lab.js'
import { pingsWithin } from '../../lab/overlay-proof.js'

const WAIT_MS = 60_000

/** The guest's tenant VIF has exactly one port on `host`, on br-int, with every Xen id and its iface-id. */
async function onBrInt(host: LabHost, g: LabGuest): Promise<void> {
  const vif = g.tenantVif as string
  const ports = await vifPorts(host, vif)
  assert.equal(ports.length, 1, `${g.name}: one port on ${host.name}: ${JSON.stringify(ports)}`)
  const [port] = ports as [(typeof ports)[0]]
  assert.equal(port.bridge, 'br-int', `${g.name}'s ${port.name} is on ${port.bridge}`)
  for (const key of ['xs-vm-uuid', 'xs-vif-uuid', 'xs-network-uuid', 'attached-mac'])
    assert.match(port.externalIds, new RegExp(`${key}=`), `${port.name} keeps ${key}`)
  assert.match(port.externalIds, new RegExp(`iface-id="?${vif}`), `${port.name} carries its iface-id`)
}

for (const mode of ['unmanaged', 'reconcile'] as const) {
  test(`${mode} mode: VMs on br-int bind and ping across hosts, survive unplug/replug, a live migration and a reboot`, async (t) => {
    const lab = await OverlayLab.build({ hosts: 2, clustered: false, integrationMode: mode, timeoutMs: WAIT_MS })
    t.after(() => lab.destroy())
    const [h1, h2] = lab.pool.hosts as [LabHost, LabHost]
    const [g1, g2] = lab.guests as [LabGuest, LabGuest]
    const session = await lab.session()

    // The XAPI network of each mode, and br-int as the agent (or configure) made it.
    const [net] = (await session.call('network.get_by_name_label', 'ovn-int')) as [string]
    const record = (await session.call('network.get_record', net)) as { managed: boolean; bridge: string }
    if (mode === 'unmanaged') assert.deepEqual([record.managed, record.bridge], [false, 'br-int'])
    else assert.deepEqual([record.managed, /^xapi[0-9]+$/.test(record.bridge)], [true, true])
    for (const h of [h1, h2]) {
      assert.equal((await h.vsctl('get', 'Bridge', 'br-int', 'fail_mode')).trim(), 'secure')
      assert.equal(
        (await h.vsctl('get', 'Open_vSwitch', '.', 'external_ids:ovn-bridge')).trim().replaceAll('"', ''),
        'br-int',
      )
    }
    await onBrInt(h1, g1)
    await onBrInt(h2, g2)
    if (mode === 'reconcile') {
      // Every VIF port of the OVN network (tenant and provider VIFs alike) left XAPI's bridge.
      const left = (await h1.vsctl('list-ports', record.bridge).catch(() => ''))
        .split('\n')
        .filter((p) => p.startsWith('vif'))
      assert.deepEqual(left, [], `nothing left on ${record.bridge}`)
    }

    // verify says the mode and warns (experimental); nothing fails.
    const report = await verify(session, {})
    for (const h of report.hosts) {
      assert.ok(h.ok, `${h.host.name} answered`)
      const mode_ = h.value.checks.find((c) => c.id === 'integration.mode')
      assert.equal(mode_?.status, 'warn', JSON.stringify(mode_))
      assert.match(mode_?.message ?? '', new RegExp(`^${mode} \\(experimental\\)`))
      assert.deepEqual(
        h.value.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.message}`),
        [],
      )
    }
    assert.ok(await pingsWithin(g1, g2.tenantIp, WAIT_MS), 'vm1 (host1) pings vm2 (host2) over Geneve')

    // Unplug and replug vm1's tenant VIF: the port goes with xenopsd's del-port by name, comes back
    // (on br-int directly, or on XAPI's bridge and moved), binds again.
    const vifRef = (await session.call('VIF.get_by_uuid', g1.tenantVif)) as string
    await session.call('VIF.unplug', vifRef)
    assert.deepEqual(await vifPorts(h1, g1.tenantVif as string), [], 'unplugged: no port on any bridge')
    await session.call('VIF.plug', vifRef)
    await waitBoundTo(lab, g1.tenantVif as string, h1)
    await onBrInt(h1, g1)
    assert.ok(await pingsWithin(g1, g2.tenantIp, WAIT_MS), 'replugged: vm1 pings vm2 again')

    // Live migration to host2 and back: bound at the destination, on its br-int, reachable.
    await migrateGuest(lab, g1, h2)
    assert.deepEqual(await vifPorts(h1, g1.tenantVif as string), [], 'the source port is gone')
    await onBrInt(h2, g1)
    assert.ok(await pingsWithin(g2, g1.tenantIp, WAIT_MS), 'vm2 reaches vm1 beside it on host2')
    await migrateGuest(lab, g1, h1)
    await onBrInt(h1, g1)
    assert.ok(await pingsWithin(g2, g1.tenantIp, WAIT_MS), 'vm2 (host2) reaches vm1 back on host1')

    // Reboot host2: conf.db empty, br-int made again before xapi starts vm2 (auto_poweron).
    const back = await lab.rebootHost(h2)
    assert.deepEqual(
      back.map((g) => g.name),
      [g2.name],
    )
    await onBrInt(h2, g2)
    assert.ok(await pingsWithin(g1, g2.tenantIp, WAIT_MS), 'vm1 pings vm2 after host2 rebooted')
  })
}
