// End to end, as a user runs it: a 3-host pool behind the XAPI emulator with the real plugin, a
// clustered OVN central, `setup` over xen-api, VMs attached through XAPI VIFs + one NB
// transaction (lib/attach), then real traffic between guest namespaces: across hosts over Geneve
// and out to a provider network through a localnet port. Detach stops the traffic; an SB leader
// crash does not, and a VM attached after it still binds and pings.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { attachVms, detachVms, VM_UUID_KEY } from '../../lib/attach/index.js'
import { listPorts } from '../../lib/nb/index.js'
import { XapiOvnError } from '../../lib/errors.js'
import type { LabHost } from '../../lab/host.js'
import { OverlayLab, PROVIDER_SWITCH, TENANT_SWITCH, type LabGuest } from '../../lab/overlay-lab.js'
import { pingsNow, pingsWithin, proveOverlay } from '../../lab/overlay-proof.js'
import { sbChassis, sbPortBindings } from '../../lab/southbound-view.js'
import { waitFor } from '../../lab/wait.js'

const HOSTS = 3
const WAIT_MS = 60_000

let lab: OverlayLab

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<XapiOvnError> {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof XapiOvnError, `expected ${code}, got ${String(err)}`)
    assert.equal(err.code, code, err.message)
    return err
  }
  assert.fail(`expected ${code}, the call succeeded`)
}

/** Interface external_ids of an OVS port as a plain object. */
async function interfaceIds(guest: LabGuest, port: string): Promise<Record<string, string>> {
  const out = await guest.host.vsctl('--format=json', '--columns=external_ids', 'find', 'Interface', `name=${port}`)
  const row = (JSON.parse(out) as { data: Array<[['map', Array<[string, string]>]]> }).data[0]
  assert.ok(row !== undefined, `no Interface ${port} on ${guest.host.name}`)
  return Object.fromEntries(row[0][1])
}

/** ovs-vsctl quotes a string only when it has to. */
function unquote(text: string): string {
  return text.startsWith('"') ? (JSON.parse(text) as string) : text
}

/** Packets sent + received by the Geneve tunnel ports of a host's integration bridge (live OpenFlow port counters). */
async function genevePackets(guest: LabGuest, bridge: string): Promise<number> {
  let total = 0
  for (const port of (await guest.host.vsctl('list-ports', bridge)).split('\n').filter((p) => p !== '')) {
    if ((await guest.host.vsctl('get', 'Interface', port, 'type')) !== 'geneve') continue
    const ofport = await guest.host.vsctl('get', 'Interface', port, 'ofport')
    const out = await guest.host.ofctl('dump-ports', bridge, ofport)
    for (const m of out.matchAll(/\b[rt]x pkts=([0-9]+)/g)) total += Number(m[1])
  }
  return total
}

/** Wait until every chassis has applied the northbound changes made so far. */
async function hypervisorsCaughtUp(): Promise<void> {
  await lab.pool.central.nbctl('--wait=hv', 'sync')
}

async function vifsOf(vmRef: string): Promise<string[]> {
  return (await (await lab.session()).call('VM.get_VIFs', vmRef)) as string[]
}

describe('e2e: XAPI-owned bridges carrying an OVN overlay', () => {
  before(async () => {
    lab = await OverlayLab.build({ hosts: HOSTS, clustered: true, timeoutMs: WAIT_MS })
  })
  after(async () => {
    await lab?.destroy()
  })

  test('setup over xen-api made every host a chassis on the XAPI bridge, and no host has br-int', async () => {
    const result = lab.setupResult
    assert.ok(result?.ok)
    const bridge = result.network.network?.bridge
    assert.ok(bridge !== undefined, 'the OVN network has a bridge')
    assert.ok(bridge.startsWith('xapi'), `OVN bridge ${bridge}`)
    const chassis = await sbChassis(lab.pool.central)
    assert.deepEqual(
      chassis.map((c) => c.name).sort(),
      lab.pool.hosts.map((h) => h.uuid).sort(),
      'one chassis per host, named after the host uuid',
    )
    for (const host of lab.pool.hosts) {
      const c = chassis.find((x) => x.name === host.uuid)
      assert.deepEqual(
        c?.encaps.map((e) => [e.type, e.ip]),
        [['geneve', host.managementIp]],
      )
      assert.equal(unquote(await host.vsctl('get', 'Open_vSwitch', '.', 'external_ids:ovn-bridge')), bridge)
      assert.deepEqual(
        (await host.bridges()).sort(),
        [bridge, 'xenbr0'].sort(),
        `${host.name} has exactly xenbr0 and the OVN bridge`,
      )
      assert.equal(await host.vsctl('get', 'Bridge', bridge, 'fail_mode'), 'secure')
    }
    assert.deepEqual(await lab.strayBrInt(), [])
  })

  test('each VM port is named after its VIF, carries its MAC and IP, and is bound to the chassis of the VM host', async () => {
    const bindings = await sbPortBindings(lab.pool.central)
    const ports = await listPorts(await lab.nb())
    const session = await lab.session()
    for (const g of lab.guests) {
      for (const [vifUuid, sw, ip] of [
        [g.tenantVif, TENANT_SWITCH, g.tenantIp],
        [g.providerVif, PROVIDER_SWITCH, g.providerIp],
      ] as const) {
        assert.ok(vifUuid !== null)
        const vifRef = (await session.call('VIF.get_by_uuid', vifUuid)) as string
        const vif = (await session.call('VIF.get_record', vifRef)) as {
          MAC: string
          VM: string
          currently_attached: boolean
          device: string
        }
        assert.equal(vif.VM, g.ref)
        assert.equal(vif.currently_attached, true)
        const port = ports.find((p) => p.name === vifUuid)
        assert.ok(port !== undefined, `port ${vifUuid}`)
        assert.equal(port.switchName, sw)
        assert.deepEqual(port.addresses, [`${vif.MAC.toLowerCase()} ${ip}`])
        assert.equal(port.externalIds[VM_UUID_KEY], g.uuid)
        assert.equal(port.up, true)
        assert.equal(bindings.get(vifUuid)?.chassis, g.host.uuid, `${g.name} ${sw} port bound on ${g.host.name}`)
        const domid = (await session.call('VM.get_domid', g.ref)) as number
        const ids = await interfaceIds(g, `vif${domid}.${vif.device}`)
        assert.equal(ids['iface-id'], vifUuid)
        assert.equal(ids['ovn-installed'], 'true')
      }
    }
  })

  test('VMs ping each other across hosts over Geneve, and the provider gateway through the localnet port', async () => {
    const bridge = lab.setupResult?.network.network?.bridge as string
    const first = lab.guests[0] as LabGuest
    const before = await genevePackets(first, bridge)
    const proof = await proveOverlay(lab, { timeoutMs: WAIT_MS })
    for (const p of proof.pings) assert.ok(p.ok, `${p.from} (${p.fromHost}) -> ${p.to} ${p.address} over ${p.path}`)
    assert.equal(proof.pings.filter((p) => p.path === 'geneve').length, HOSTS)
    assert.equal(proof.pings.filter((p) => p.path === 'localnet').length, HOSTS)
    assert.ok(
      (await genevePackets(first, bridge)) > before,
      'the VM-to-VM traffic went through the Geneve tunnel ports',
    )
  })

  test('attach again with the same arguments changes nothing', async () => {
    const result = await lab.attach(
      TENANT_SWITCH,
      lab.guests.map((g) => ({ vm: g.uuid, ips: [g.tenantIp], device: '0' })),
    )
    assert.equal(result.changed, false)
    for (const a of result.attachments) {
      assert.equal(a.vifAction, 'found')
      assert.equal(a.plug, 'already-plugged')
      assert.equal(a.port.action, 'unchanged')
    }
  })

  test('attach refuses what it cannot do before XAPI or OVN is touched', async () => {
    const [g] = lab.guests as [LabGuest]
    const session = await lab.session()
    const nb = await lab.nb()
    const vifsBefore = await vifsOf(g.ref)
    const portsBefore = (await listPorts(nb)).length
    await rejectsWithCode(
      attachVms(session, nb, { switch: 'no-such-switch', vms: [{ vm: g.uuid, device: '2' }] }),
      'OVN_NB_SWITCH_MISSING',
    )
    await rejectsWithCode(
      attachVms(session, nb, { switch: TENANT_SWITCH, vms: [{ vm: 'no-such-vm' }] }),
      'OVN_VM_NOT_FOUND',
    )
    await rejectsWithCode(
      attachVms(session, nb, { switch: TENANT_SWITCH, vms: [{ vm: g.uuid, ips: ['198.18.10.300'] }] }),
      'OVN_INVALID_ARGUMENT',
    )
    await rejectsWithCode(
      attachVms(session, nb, { switch: TENANT_SWITCH, vms: [{ vm: g.uuid, device: '1' }] }),
      'OVN_VIF_CONFLICT',
    )
    await rejectsWithCode(
      attachVms(session, nb, { switch: PROVIDER_SWITCH, vms: [{ vm: g.uuid, device: '2', ips: 'dynamic' }] }),
      'OVN_NB_SWITCH_NO_SUBNET',
    )
    // One MAC asked for two VIFs: refused up front (XAPI would accept it; the switch would not work).
    const other = lab.guests[1] as LabGuest
    await rejectsWithCode(
      attachVms(session, nb, {
        switch: TENANT_SWITCH,
        vms: [
          { vm: g.uuid, device: '2', mac: '02:00:00:00:00:99' },
          { vm: other.uuid, device: '2', mac: '02:00:00:00:00:99' },
        ],
      }),
      'OVN_INVALID_ARGUMENT',
    )
    assert.deepEqual(await vifsOf(g.ref), vifsBefore)
    assert.equal((await listPorts(nb)).length, portsBefore)
  })

  test('detach removes the ports and the VIFs, and the traffic stops; attaching again brings it back', async () => {
    const [a, b] = lab.guests as [LabGuest, LabGuest]
    const vifs = [b.tenantVif, b.providerVif]
    const session = await lab.session()
    const macOf = async (vif: string | null): Promise<string> =>
      String(await session.call('VIF.get_MAC', await session.call('VIF.get_by_uuid', vif))).toLowerCase()
    // Re-attached with their MACs, the NICs are the ones the peers' ARP caches know.
    const [tenantMac, providerMac] = [await macOf(b.tenantVif), await macOf(b.providerVif)]
    const result = await lab.detach([b])
    assert.equal(result.changed, true)
    assert.deepEqual(result.detached.map((d) => d.vifUuid).sort(), [...vifs].sort())
    for (const d of result.detached) {
      assert.ok(d.port !== null)
      assert.equal(d.unplugged, true)
      assert.equal(d.destroyed, true)
    }
    assert.deepEqual(await vifsOf(b.ref), [])
    const names = (await listPorts(await lab.nb())).map((p) => p.name)
    for (const v of vifs) assert.ok(!names.includes(v as string))
    await hypervisorsCaughtUp()
    assert.equal(await pingsNow(a, b.tenantIp), false, 'no answer once the VM is detached')

    const again = await lab.detach([b])
    assert.equal(again.changed, false)

    const tenant = await lab.attach(TENANT_SWITCH, [{ vm: b.uuid, ips: [b.tenantIp], mac: tenantMac }])
    const attachment = tenant.attachments[0]
    assert.equal(attachment?.vifAction, 'created')
    assert.equal(attachment?.vif.device, '0')
    assert.equal(attachment?.plug, 'plugged')
    assert.equal(attachment?.vif.mac, tenantMac)
    b.tenantVif = attachment?.vif.uuid ?? null
    await lab.waitBound([b])
    assert.equal(await pingsWithin(a, b.tenantIp, WAIT_MS), true)
    const provider = await lab.attach(PROVIDER_SWITCH, [{ vm: b.uuid, ips: [b.providerIp], mac: providerMac }])
    assert.equal(provider.attachments[0]?.vif.device, '1', 'the lowest free device')
    b.providerVif = provider.attachments[0]?.vif.uuid ?? null
    await b.guest.exec('ip', ['addr', 'replace', `${b.providerIp}/24`, 'dev', 'eth1'])
    await lab.waitBound([b])
    assert.equal(await pingsWithin(b, lab.gateway.address, WAIT_MS), true)
  })

  test('the SB RAFT leader is killed: the overlay keeps working, and a VM attached afterwards binds and pings', async () => {
    const central = lab.pool.central
    const killed = await central.killSbLeader()
    const leader = await central.waitForSbLeader(WAIT_MS)
    assert.notEqual(leader, killed)
    for (const host of lab.pool.hosts) {
      await waitFor(
        `${host.name} ovn-controller connected again`,
        async () => (await host.ovnAppctl('connection-status')).trim() === 'connected',
        { timeoutMs: WAIT_MS },
      )
    }
    const proof = await proveOverlay(lab, { timeoutMs: WAIT_MS })
    for (const p of proof.pings) assert.ok(p.ok, `after the kill: ${p.from} -> ${p.to} over ${p.path}`)

    const host3 = lab.pool.hosts[HOSTS - 1]
    assert.ok(host3 !== undefined)
    const [added] = await lab.addGuests([host3])
    assert.ok(added !== undefined)
    const bindings = await sbPortBindings(central)
    assert.equal(bindings.get(added.tenantVif as string)?.chassis, host3.uuid)
    assert.equal(bindings.get(added.providerVif as string)?.chassis, host3.uuid)
    const first = lab.guests[0] as LabGuest
    assert.equal(await pingsWithin(added, first.tenantIp, WAIT_MS), true, 'new VM -> vm1 across hosts over Geneve')
    assert.equal(await pingsWithin(first, added.tenantIp, WAIT_MS), true, 'vm1 -> new VM')
    assert.equal(await pingsWithin(added, lab.gateway.address, WAIT_MS), true, 'new VM -> provider gateway')
    assert.deepEqual(await lab.strayBrInt(), [])
  })

  test('detaching by VIF uuid with keepVifs removes only the port', async () => {
    const g = lab.guests[lab.guests.length - 1] as LabGuest
    const session = await lab.session()
    const result = await detachVms(session, await lab.nb(), { vifs: [g.providerVif as string], keepVifs: true })
    assert.equal(result.detached.length, 1)
    assert.equal(result.detached[0]?.destroyed, false)
    assert.equal((await vifsOf(g.ref)).length, 2)
    await hypervisorsCaughtUp()
    assert.equal(await pingsNow(g, lab.gateway.address), false)
  })

  test('a host reboots: conf.db empty, XAPI re-attaches, the VM autostarts; the chassis comes back with no xapi-ovn call and the VM pings again', async () => {
    const host = lab.pool.hosts[1] as LabHost
    const peer = lab.guests.find((g) => g.host === lab.pool.hosts[0] && g.tenantVif !== null) as LabGuest
    const back = (await lab.rebootHost(host)).filter((g) => g.tenantVif !== null && g.providerVif !== null)
    assert.ok(back.length > 0, 'a VM of that host started again, attached')
    // Every key configure wrote is back (by the host agent, from the persisted file).
    assert.equal(
      await host.vsctl('get', 'Open_vSwitch', '.', 'external_ids:ovn-bridge'),
      lab.setupResult?.network.network?.bridge,
    )
    for (const g of back) {
      assert.equal(
        await pingsWithin(peer, g.tenantIp, WAIT_MS),
        true,
        `${peer.name} -> ${g.name} over Geneve after the reboot`,
      )
      assert.equal(await pingsWithin(g, lab.gateway.address, WAIT_MS), true, `${g.name} -> provider after the reboot`)
    }
    assert.deepEqual(await lab.strayBrInt(), [])
  })
})
