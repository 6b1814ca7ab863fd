/**
 * The pool driver end to end: the real xen-api client talks to the XAPI emulator, which runs the
 * bundled ovn-chassis plugin inside each of 3 lab hosts (real Open vSwitch), with a real OVN
 * central. Setup makes every host a chassis in the real SB on the XAPI bridge (no br-int), verify
 * passes, a second setup changes nothing, teardown gives every key back; the failure cases (bad
 * ovn-remote, wrong password, a host offline, a host without a usable transport PIF, a host
 * without the plugin) are each reported and leave the other hosts alone.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { rename } from 'node:fs/promises'
import { join } from 'node:path'
import { XapiOvnError } from '../../lib/errors.js'
import {
  setup,
  status,
  teardown,
  verify,
  XapiPool,
  type HostOutcome,
  type ProgressEvent,
  type SetupHost,
} from '../../lib/index.js'
import type { LabHost } from '../../lab/host.js'
import { waitFor } from '../../lab/wait.js'
import { createPoolFixture, LAB_CHASSIS_KEYS, PASSWORD, xapiKeys, type PoolFixture } from './pool-fixture.js'

const OVN_REMOTE = 'tcp:192.0.2.10:6642'
const OPTIONS = { ovnRemote: OVN_REMOTE, chassisKeys: LAB_CHASSIS_KEYS, bridgeMappings: 'physnet-mgmt:xenbr0' }
/** XAPI calls that change something. */
const MUTATING = /\.(create|destroy|attach|add_to_|remove_from_|set_)|call_plugin/

function byName<T>(hosts: readonly HostOutcome<T>[]): Record<string, HostOutcome<T>> {
  return Object.fromEntries(hosts.map((h) => [h.host.name, h]))
}

for (const transport of ['json-rpc', 'xml-rpc'] as const) {
  describe(`pool driver on 3 emulated hosts with a real OVN central, over ${transport}`, () => {
    let f: PoolFixture
    let pool: XapiPool
    let hosts: readonly LabHost[]
    const before0 = new Map<string, Awaited<ReturnType<typeof xapiKeys>>>()

    before(async () => {
      f = await createPoolFixture(3, ['web'])
      hosts = f.hosts
      for (const h of hosts) before0.set(h.name, await xapiKeys(h))
      pool = await XapiPool.connect({ url: f.xapi.url, user: 'root', password: PASSWORD, transport })
    })
    after(async () => {
      await pool?.close()
      await f?.close()
    })

    test('a wrong password is OVN_XAPI_AUTH_FAILED, and the password is nowhere in the error', async () => {
      await assert.rejects(XapiPool.connect({ url: f.xapi.url, password: 'not-the-password' }), (e: unknown) => {
        assert.ok(e instanceof XapiOvnError)
        assert.equal(e.code, 'OVN_XAPI_AUTH_FAILED')
        assert.deepEqual(e.params, [f.xapi.url, 'root'])
        assert.ok(!JSON.stringify({ m: e.message, p: e.params }).includes('not-the-password'))
        return true
      })
    })

    test('a bad ovn-remote or mapping is refused before any host or network is touched', async () => {
      const calls = f.xapi.server.calls.length
      for (const bad of [
        { ovnRemote: 'tcp:central.example:6642' },
        { bridgeMappings: 'physnet:xenbr7' },
        { encapType: 'gre' },
      ]) {
        await assert.rejects(
          setup(pool, { ...OPTIONS, ...bad }),
          (e: unknown) => e instanceof XapiOvnError && e.code === 'OVN_INVALID_ARGUMENT',
        )
      }
      const made = f.xapi.server.calls.slice(calls).filter((m) => MUTATING.test(m))
      assert.deepEqual(made, [], 'only reads were made')
      for (const h of hosts) assert.deepEqual(await xapiKeys(h), before0.get(h.name))
    })

    test('a dry run plans every host and changes nothing', async () => {
      const calls = f.xapi.server.calls.length
      const r = await setup(pool, { ...OPTIONS, dryRun: true })
      assert.equal(r.ok, true)
      assert.equal(r.network.action, 'would-create')
      assert.equal(r.network.nameLabel, 'ovn-int')
      for (const h of r.hosts) {
        assert.ok(h.ok)
        assert.equal(h.value.transport.ip, h.host.address)
        assert.match(h.value.pending ?? '', /does not exist yet/)
      }
      assert.deepEqual(
        f.xapi.server.calls.slice(calls).filter((m) => MUTATING.test(m)),
        [],
      )
    })

    test('host3 offline and host2 without a usable transport PIF: both reported, host1 configured', async () => {
      f.setLive(2, false)
      f.setManagementPif(1, { currently_attached: false })
      try {
        const events: ProgressEvent[] = []
        const r = await setup(pool, { ...OPTIONS, onProgress: (e) => events.push(e) })
        assert.equal(r.ok, false)
        assert.equal(r.network.action, 'created')
        const h = byName(r.hosts)
        assert.ok(h.host1?.ok, JSON.stringify(h.host1))
        assert.equal(h.host1.value.chassis?.changed, true)
        assert.ok(h.host2 !== undefined && !h.host2.ok)
        assert.equal(h.host2.error.code, 'OVN_NO_TRANSPORT_PIF')
        assert.match(h.host2.error.message, /not currently attached/)
        assert.ok(h.host2.error.hint)
        assert.ok(h.host3 !== undefined && !h.host3.ok)
        assert.equal(h.host3.error.code, 'HOST_OFFLINE')
        // host2 and host3 were not touched at all: not even the bridge was made there
        for (const i of [1, 2])
          assert.deepEqual(await xapiKeys(hosts[i] as LabHost), before0.get((hosts[i] as LabHost).name))
        // progress: every host started, then finished or failed
        for (const name of ['host1', 'host2', 'host3'])
          assert.ok(events.some((e) => e.type === 'host-started' && e.host.name === name))
        assert.deepEqual(
          events
            .filter((e) => e.type === 'host-failed')
            .map((e) => e.type === 'host-failed' && e.error.code)
            .sort(),
          ['HOST_OFFLINE', 'OVN_NO_TRANSPORT_PIF'],
        )
        assert.ok(events.some((e) => e.type === 'network' && e.action === 'created'))
      } finally {
        f.setLive(2, true)
        f.setManagementPif(1, { currently_attached: true })
      }
    })

    test('setup again: every host a chassis on the XAPI bridge (host1 unchanged); then ovn-controller registers each in the SB', async () => {
      const r = await setup(pool, OPTIONS)
      assert.equal(r.ok, true, JSON.stringify(r.hosts.filter((h) => !h.ok)))
      assert.equal(r.network.action, 'found')
      const network = r.network.network
      assert.ok(network !== null)
      assert.equal(network.failMode, 'secure')
      const h = byName(r.hosts) as Record<string, Extract<HostOutcome<SetupHost>, { ok: true }>>
      assert.equal(h.host1?.value.chassis?.changed, false)
      assert.equal(h.host2?.value.chassis?.changed, true)
      assert.equal(h.host3?.value.chassis?.changed, true)
      for (const [i, host] of hosts.entries()) {
        const after = h[host.name]?.value.chassis?.after ?? {}
        assert.equal(after['ovn-bridge'], network.bridge)
        assert.equal(after['ovn-encap-ip'], `192.0.2.${21 + i}`)
        assert.equal(after['ovn-remote'], OVN_REMOTE)
        assert.equal(await host.vsctl('get', 'Bridge', network.bridge, 'fail_mode'), 'secure')
      }
      for (const host of hosts) await host.startOvnController({ waitConnected: true })
      const chassis = (await f.lab.central.sbctl('--bare', '--columns=name', 'list', 'Chassis'))
        .split('\n')
        .filter((l) => l.trim() !== '')
        .sort()
      assert.deepEqual(chassis, hosts.map((x) => x.uuid).sort())
      for (const [i, host] of hosts.entries()) {
        const ip = (
          await f.lab.central.sbctl('--bare', '--columns=ip', 'find', 'Encap', `chassis_name=${host.uuid}`)
        ).trim()
        assert.equal(ip, `192.0.2.${21 + i}`)
      }
    })

    test('verify passes every check on every host, and no br-int exists anywhere', async () => {
      const r = await verify(pool, { wait: 60 })
      for (const h of r.hosts) {
        assert.ok(h.ok, JSON.stringify(h))
        for (const c of h.value.checks) assert.equal(c.status, 'pass', `${h.host.name} ${c.id}: ${c.message}`)
      }
      assert.deepEqual(
        r.checks.map((c) => [c.id, c.status]),
        [
          ['network.exists', 'pass'],
          ['network.fail-mode', 'pass'],
        ],
      )
      assert.equal(r.ok, true)
      for (const host of hosts) assert.deepEqual((await host.bridges()).sort(), [r.network?.bridge, 'xenbr0'].sort())
    })

    test('a second setup reports no change anywhere', async () => {
      const r = await setup(pool, OPTIONS)
      assert.equal(r.ok, true)
      assert.equal(r.changed, false)
      assert.deepEqual(
        { action: r.network.action, failModeSet: r.network.failModeSet },
        { action: 'found', failModeSet: false },
      )
      for (const h of r.hosts) assert.ok(h.ok && h.value.chassis?.changed === false, JSON.stringify(h))
    })

    test('status: every host configured on the OVN bridge, ovn-controller connected', async () => {
      const r = await status(pool)
      assert.equal(r.ok, true)
      for (const h of r.hosts) {
        assert.ok(h.ok)
        assert.equal(h.value.chassis.configured, true)
        assert.equal(h.value.onOvnNetwork, true)
        assert.deepEqual(
          { running: h.value.chassis.controller.running, connection: h.value.chassis.controller.connection },
          { running: true, connection: 'connected' },
        )
        assert.equal(h.value.transport?.ip, h.host.address)
      }
    })

    test('a VM started on host1 with a VIF on the OVN network: its port binds, status shows it', async () => {
      const net = (await status(pool)).network
      assert.ok(net !== null)
      const vm = f.xapi.vms[0] as string
      const vif = (await pool.call('VIF.create', {
        device: '0',
        network: net.ref,
        VM: vm,
        MAC: '',
        MTU: 1500,
        other_config: {},
        qos_algorithm_type: '',
        qos_algorithm_params: {},
      })) as string
      await pool.call('VM.start_on', vm, f.xapi.host((hosts[0] as LabHost).uuid).ref, false, false)
      const vifUuid = (await pool.call('VIF.get_uuid', vif)) as string
      await f.lab.central.nbctl('--may-exist', 'ls-add', 'tenant')
      await f.lab.central.nbctl('lsp-add', 'tenant', vifUuid)
      const shown = await waitFor(
        'the VIF bound by ovn-controller',
        async () => {
          const v = (await status(pool)).network?.vifs.find((x) => x.uuid === vifUuid)
          return v?.ovnInstalled === true ? v : undefined
        },
        { timeoutMs: 30_000 },
      )
      assert.deepEqual(
        { vm: shown.vmName, host: shown.host, plugged: shown.currentlyAttached },
        { vm: 'web', host: 'host1', plugged: true },
      )
      const chassis = (
        await f.lab.central.sbctl('--bare', '--columns=_uuid', 'find', 'Chassis', `name=${(hosts[0] as LabHost).uuid}`)
      ).trim()
      assert.equal(
        (
          await f.lab.central.sbctl('--bare', '--columns=chassis', 'find', 'Port_Binding', `logical_port=${vifUuid}`)
        ).trim(),
        chassis,
      )
      // OVN-BOUND from the southbound itself: read over the central's unix sockets here (the
      // chassis' own tcp: remote lives inside the lab's namespaces).
      const sb = f.lab.central.members.map((m) => `unix:${join(m.dir, 'ovnsb_db.sock')}`).join(',')
      const viaSb = (await status(pool, { southbound: sb })).network?.vifs.find((x) => x.uuid === vifUuid)
      assert.deepEqual(
        { boundOn: viaSb?.boundOn, ovnBound: viaSb?.ovnBound },
        { boundOn: (hosts[0] as LabHost).uuid, ovnBound: true },
      )
      const unread = await status(pool, { southbound: 'unix:/nonexistent/sb.sock' })
      assert.equal(unread.network?.vifs.find((x) => x.uuid === vifUuid)?.ovnBound, null)
      assert.match(unread.bindingsProblem ?? '', /could not be read/)
    })

    test('a host without the plugin: verify reports XENAPI_MISSING_PLUGIN there, the others pass', async () => {
      const dir = f.xapi.emulator.host((hosts[1] as LabHost).uuid).pluginsDir
      await rename(join(dir, 'ovn-chassis'), join(dir, 'ovn-chassis.away'))
      try {
        const r = await verify(pool, { wait: 30 })
        assert.equal(r.ok, false)
        const h = byName(r.hosts)
        assert.ok(h.host2 !== undefined && !h.host2.ok)
        assert.equal(h.host2.error.code, 'XENAPI_MISSING_PLUGIN')
        assert.match(h.host2.error.hint ?? '', /RPM/)
        assert.ok(h.host1?.ok && h.host1.value.ok)
        assert.ok(h.host3?.ok && h.host3.value.ok)
      } finally {
        await rename(join(dir, 'ovn-chassis.away'), join(dir, 'ovn-chassis'))
      }
    })

    test('teardown (ovn-controller stopped first) leaves every XAPI key as it was; a second one changes nothing', async () => {
      for (const host of hosts) await host.stopOvnController({ cleanup: true })
      const dry = await teardown(pool, { dryRun: true })
      assert.ok(dry.hosts.every((h) => h.ok && h.value.changed && h.value.dryRun))
      const r = await teardown(pool)
      assert.equal(r.ok, true)
      assert.equal(r.network.action, 'kept')
      for (const h of r.hosts) assert.ok(h.ok && h.value.changed)
      const bridge = r.network.network?.bridge as string
      for (const host of hosts) {
        const now = await xapiKeys(host)
        const was = before0.get(host.name)
        assert.deepEqual(now.ovs, was?.ovs, `${host.name} Open_vSwitch external_ids`)
        assert.deepEqual(now.bridges.xenbr0, was?.bridges.xenbr0)
        // The OVN network's bridge stays with XAPI's ids. ovn-controller's own conntrack zone
        // records (ct-zone-*) stay on it after its exit too: neither XAPI's nor ours.
        assert.deepEqual(Object.keys(now.bridges).sort(), [bridge, 'xenbr0'].sort())
        const ids = Object.entries(now.bridges[bridge] ?? {}).filter(([k]) => !k.startsWith('ct-zone-'))
        const uuid = r.network.network?.uuid
        assert.deepEqual(Object.fromEntries(ids), { 'bridge-id': uuid, 'xs-network-uuids': uuid })
      }
      const again = await teardown(pool)
      assert.equal(again.changed, false)
    })

    test('teardown with removeNetwork: refused while the VM runs, done once it is halted; verify then finds none', async () => {
      const refused = await teardown(pool, { removeNetwork: true })
      assert.equal(refused.ok, false)
      assert.equal(refused.network.action, 'not-destroyed')
      assert.match(refused.network.reason ?? '', /NETWORK_CONTAINS_VIF/)
      await pool.call('VM.hard_shutdown', f.xapi.vms[0])
      const r = await teardown(pool, { removeNetwork: true })
      assert.equal(r.ok, true)
      assert.equal(r.network.action, 'destroyed')
      const v = await verify(pool)
      assert.deepEqual(
        v.checks.map((c) => [c.id, c.status]),
        [['network.exists', 'fail']],
      )
      assert.equal(v.ok, false)
    })
  })
}
