/**
 * The host agent (dist/xapi-ovn-host-agent on Node 16, as the RPM runs it) on an emulated
 * XCP-ng 8.3 host with real ovsdb-server and ovs-vswitchd, where nothing else writes iface-id:
 * - every xenopsd plug on the integration bridge gets iface-id = xs-vif-uuid, again after a
 *   re-plug (a new Port and Interface row), never on another bridge, never on a port xenopsd did
 *   not plug (xs-vif-uuid not a UUID);
 * - an HVM guest's vif+tap pair: only the tap carries it; when the tap goes, the vif gets it;
 * - a second agent for the same database refuses to run (exit 3);
 * - started while ovsdb-server is down, it waits and does its work once the database is there;
 * - the persisted chassis configuration: written by configure root-only, re-applied when the
 *   database has lost it, refused when corrupt or readable by others (nothing applied), and
 *   removed by unconfigure.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LabHost } from '../../lab/host.js'
import { LabHostAgent } from '../../lab/host-agent-process.js'
import { newUuid } from '../../lab/names.js'
import { Underlay } from '../../lab/underlay.js'
import { waitFor } from '../../lab/wait.js'
import { call, value } from './plugin-harness.js'

const OVN_NET = newUuid()
const MGMT_NET = newUuid()

async function ifaceId(host: LabHost, iface: string): Promise<string | undefined> {
  const v = await host.vsctl('--if-exists', 'get', 'Interface', iface, 'external_ids:iface-id')
  return v === '' ? undefined : v.replace(/^"|"$/g, '')
}

async function waitIfaceId(host: LabHost, iface: string, want: string | undefined): Promise<void> {
  await waitFor(`iface-id of ${iface} to be ${want ?? 'absent'}`, async () => (await ifaceId(host, iface)) === want, {
    timeoutMs: 20_000,
  })
}

describe('the host agent on an XCP-ng 8.3 host', () => {
  let underlay: Underlay
  let host: LabHost

  before(async () => {
    underlay = await Underlay.create()
    host = await LabHost.create({ name: 'agent1' })
    await host.createBridge('xenbr0', { networkUuids: [MGMT_NET] })
    await host.addUplink('xenbr0', underlay, { ip: '192.0.2.31/24' })
    await host.createBridge('xapi1', { networkUuids: [OVN_NET], failMode: 'secure' })
    host.startHostAgent()
  })
  after(async () => {
    await host?.destroy()
    await underlay?.destroy()
  })

  const configureArgs = (): Record<string, string> => ({
    'ovn-remote': 'tcp:192.0.2.10:6642',
    'ovn-encap-ip': '192.0.2.31',
    'ovn-bridge': 'xapi1',
    'ovn-bridge-mappings': 'physnet-mgmt:xenbr0',
    'network-uuid': OVN_NET,
  })

  test('configure persists its arguments root-only (0600 in a 0700 directory), without dry-run', async () => {
    await value(host, 'configure', { ...configureArgs() })
    const dir = host.env().XAPI_OVN_STATE_DIR
    const file = join(dir, 'chassis.json')
    assert.equal(statSync(dir).mode & 0o777, 0o700)
    assert.equal(statSync(file).mode & 0o777, 0o600)
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { format: 'xapi-ovn-chassis/1', args: configureArgs() })
    // A dry run changes nothing on disk.
    const before = readFileSync(file, 'utf8')
    await value(host, 'configure', { ...configureArgs(), 'ovn-encap-type': 'vxlan', 'dry-run': 'true' })
    assert.equal(readFileSync(file, 'utf8'), before)
  })

  test('a VIF plugged by xenopsd on the integration bridge gets iface-id = its VIF uuid, again after every re-plug', async () => {
    const vifUuid = newUuid()
    const plug = (): ReturnType<LabHost['plugVif']> =>
      host.plugVif({
        domid: 3,
        devid: 0,
        vifUuid,
        vmUuid: newUuid(),
        networkUuid: OVN_NET,
        bridge: 'xapi1',
        mac: '02:00:00:00:03:00',
      })
    const vif = await plug()
    await waitIfaceId(host, vif.name, vifUuid)
    const firstPort = await host.vsctl('get', 'Port', vif.name, '_uuid')
    await plug() // xenopsd's del-port + add-port: a new row without iface-id
    assert.notEqual(await host.vsctl('get', 'Port', vif.name, '_uuid'), firstPort)
    await waitIfaceId(host, vif.name, vifUuid)
    await host.unplugVif(vif)
  })

  test('a VIF on another XAPI bridge, and a port xenopsd did not plug, are left alone', async () => {
    const other = await host.plugVif({
      domid: 4,
      devid: 0,
      vifUuid: newUuid(),
      vmUuid: newUuid(),
      networkUuid: MGMT_NET,
      bridge: 'xenbr0',
      mac: '02:00:00:00:04:00',
    })
    await host.vsctl(
      '--',
      'add-port',
      'xapi1',
      'vif9.9',
      '--',
      'set',
      'Interface',
      'vif9.9',
      'external_ids:xs-vif-uuid=not-a-uuid',
    )
    // A later plug proves the agent has seen both changes since.
    const marker = newUuid()
    const probe = await host.plugVif({
      domid: 5,
      devid: 0,
      vifUuid: marker,
      vmUuid: newUuid(),
      networkUuid: OVN_NET,
      bridge: 'xapi1',
      mac: '02:00:00:00:05:00',
    })
    await waitIfaceId(host, probe.name, marker)
    assert.equal(await ifaceId(host, other.name), undefined)
    assert.equal(await ifaceId(host, 'vif9.9'), undefined)
    assert.match(
      readFileSync(join(host.rundir, 'xapi-ovn-agent.log'), 'utf8'),
      /leaving vif9\.9 alone: xs-vif-uuid "not-a-uuid" is not a UUID/,
    )
    await host.vsctl('del-port', 'vif9.9')
    await host.unplugVif(other)
    await host.unplugVif(probe)
  })

  test("an HVM guest's vif+tap: only the tap (the emulated NIC carrying the traffic) has the iface-id; when the tap goes, the vif gets it", async () => {
    const vifUuid = newUuid()
    const vif = await host.plugVif({
      domid: 6,
      devid: 0,
      vifUuid,
      vmUuid: newUuid(),
      networkUuid: OVN_NET,
      bridge: 'xapi1',
      mac: '02:00:00:00:06:00',
      hvm: true,
    })
    await waitIfaceId(host, 'tap6.0', vifUuid)
    assert.equal(await ifaceId(host, 'vif6.0'), undefined)
    const pv = await host.unplugTap(vif)
    await waitIfaceId(host, 'vif6.0', vifUuid)
    await host.unplugVif(pv)
  })

  test('a second agent for the same database exits 3 and leaves the first running', async () => {
    const second = LabHostAgent.start({
      netns: host.netns,
      env: { ...host.daemonEnv(), ...host.env() },
      logFile: join(host.rundir, 'second-agent.log'),
      label: 'second agent',
    })
    assert.equal(await second.exited(), 3)
    assert.match(second.log(), /another xapi-ovn host agent already runs/)
    assert.equal(host.hostAgent?.isRunning(), true)
  })

  test('the chassis lost with the database (an OVS restart that lost conf.db) is re-applied by the agent', async () => {
    // ovs-vsctl emergency reset of our keys stands for a database that lost them.
    const saved = await host.vsctl('get', 'Open_vSwitch', '.', 'external_ids')
    assert.match(saved, /xapi-ovn-saved/)
    await host.vsctl(
      'remove',
      'Open_vSwitch',
      '.',
      'external_ids',
      'ovn-remote',
      'ovn-encap-ip',
      'ovn-encap-type',
      'ovn-bridge',
      'ovn-bridge-mappings',
      'xapi-ovn-saved',
      'xapi-ovn-network-uuid',
    )
    await waitFor(
      'the agent to re-apply ovn-bridge',
      async () => (await host.vsctl('--if-exists', 'get', 'Open_vSwitch', '.', 'external_ids:ovn-bridge')) === 'xapi1',
      { timeoutMs: 20_000 },
    )
    const verify = await value<{ checks: { id: string; status: string }[] }>(host, 'verify')
    for (const id of ['keys.required', 'bridge.exists', 'bridge.xapi'])
      assert.equal(verify.checks.find((c) => c.id === id)?.status, 'pass', id)
    assert.match(
      readFileSync(join(host.rundir, 'xapi-ovn-agent.log'), 'utf8'),
      /re-applied the persisted chassis configuration/,
    )
  })

  test("XAPI removed the bridge with its last VIF and ovn-controller made it again without XAPI's ids: the agent gives them back", async () => {
    // What ovn-controller does when the bridge its ovn-bridge names is gone (ovn-controller.c
    // create_br_int): a bare bridge of that name, secure, no xs-network-uuids.
    await host.vsctl('del-br', 'xapi1')
    await host.vsctl('add-br', 'xapi1', '--', 'set', 'Bridge', 'xapi1', 'fail_mode=secure', 'datapath_type=netdev')
    await waitFor(
      "the agent to give xapi1 XAPI's ids back",
      async () =>
        (await host.vsctl('--if-exists', 'get', 'Bridge', 'xapi1', 'external_ids:xs-network-uuids')).replace(
          /"/g,
          '',
        ) === OVN_NET,
      { timeoutMs: 20_000 },
    )
    assert.equal((await host.vsctl('get', 'Bridge', 'xapi1', 'external_ids:bridge-id')).replace(/"/g, ''), OVN_NET)
    const verify = await value<{ checks: { id: string; status: string }[] }>(host, 'verify')
    assert.equal(verify.checks.find((c) => c.id === 'bridge.xapi')?.status, 'pass')
    assert.match(readFileSync(join(host.rundir, 'xapi-ovn-agent.log'), 'utf8'), /was re-created without XAPI's ids/)
  })

  test('a stray br-int besides the integration bridge is reported once, and left alone', async () => {
    await host.vsctl('add-br', 'br-int', '--', 'set', 'Bridge', 'br-int', 'datapath_type=netdev')
    const log = (): string => readFileSync(join(host.rundir, 'xapi-ovn-agent.log'), 'utf8')
    await waitFor(
      'the agent to report br-int',
      () => /a br-int exists besides the integration bridge xapi1/.test(log()),
      {
        timeoutMs: 20_000,
      },
    )
    assert.ok((await host.bridges()).includes('br-int'), 'the agent does not remove it')
    await host.vsctl('del-br', 'br-int')
    await waitFor('the agent to see it gone', () => /no stray br-int/.test(log().split('a br-int exists')[1] ?? ''), {
      timeoutMs: 20_000,
    })
    assert.equal(log().match(/a br-int exists besides/g)?.length, 1)
  })

  test('an integration bridge left standalone is reported once (it floods until ovn-controller takes it)', async () => {
    const log = (): string => readFileSync(join(host.rundir, 'xapi-ovn-agent.log'), 'utf8')
    await host.vsctl('set', 'Bridge', 'xapi1', 'fail_mode=standalone')
    await waitFor(
      'the agent to report the fail mode',
      () => /integration bridge xapi1 is fail_mode=standalone, not secure/.test(log()),
      {
        timeoutMs: 20_000,
      },
    )
    assert.equal(
      await host.vsctl('get', 'Bridge', 'xapi1', 'fail_mode'),
      'standalone',
      "reported, not changed: that is ovn-controller's",
    )
    await host.vsctl('set', 'Bridge', 'xapi1', 'fail_mode=secure')
    await waitFor(
      'the agent to see it secure',
      () => /integration bridge secure/.test(log().split('is fail_mode=standalone')[1] ?? ''),
      {
        timeoutMs: 20_000,
      },
    )
    assert.equal(log().match(/is fail_mode=standalone, not secure/g)?.length, 1)
  })

  test('a persisted file that is corrupt, or readable by others, is refused with a clear log line and nothing is applied', async () => {
    const file = join(host.env().XAPI_OVN_STATE_DIR, 'chassis.json')
    const good = readFileSync(file, 'utf8')
    try {
      for (const [what, text, mode, logged] of [
        [
          'corrupt',
          '{"format": "xapi-ovn-chassis/1", "args": {"ovn-remote": 7}}',
          0o600,
          /argument "ovn-remote" is not a string/,
        ],
        ['world-readable', good, 0o644, /mode 644 lets others read or write it/],
      ] as const) {
        writeFileSync(file, text)
        chmodSync(file, mode)
        await host.vsctl('remove', 'Open_vSwitch', '.', 'external_ids', 'ovn-bridge', 'xapi-ovn-saved')
        // The agent is woken by database changes (it does not watch files): any change will do.
        await host.vsctl('set', 'Open_vSwitch', '.', `external_ids:lab-nudge=${what}`)
        await waitFor(
          `the agent to log the ${what} file`,
          () => logged.test(readFileSync(join(host.rundir, 'xapi-ovn-agent.log'), 'utf8')),
          {
            timeoutMs: 20_000,
          },
        )
        assert.equal(await host.vsctl('--if-exists', 'get', 'Open_vSwitch', '.', 'external_ids:ovn-bridge'), '', what)
      }
    } finally {
      writeFileSync(file, good)
      chmodSync(file, 0o600)
      await host.vsctl('remove', 'Open_vSwitch', '.', 'external_ids', 'lab-nudge')
    }
  })

  test('unconfigure removes the persisted file; the agent then re-applies nothing', async () => {
    await value(host, 'configure', configureArgs())
    const r = await value<{ persistedRemoved: boolean }>(host, 'unconfigure')
    assert.equal(r.persistedRemoved, true)
    const out = await call(host, 'unconfigure')
    assert.ok(out.ok)
    assert.equal((out.value as { persistedRemoved: boolean }).persistedRemoved, false)
    // The agent saw the change (it says so once) and re-applied nothing.
    await waitFor(
      'the agent to see the configuration gone',
      () => /no persisted chassis configuration/.test(readFileSync(join(host.rundir, 'xapi-ovn-agent.log'), 'utf8')),
      { timeoutMs: 20_000 },
    )
    assert.equal(await host.vsctl('--if-exists', 'get', 'Open_vSwitch', '.', 'external_ids:ovn-bridge'), '')
  })
})

describe('the host agent started before ovsdb-server', () => {
  test('waits for the database, logs why once, then writes iface-id', async () => {
    const host = await LabHost.create({ name: 'agent2' })
    try {
      await host.createBridge('xapi1', { networkUuids: [OVN_NET] })
      await host.vsctl('set', 'Open_vSwitch', '.', 'external_ids:ovn-bridge=xapi1')
      await host.ovsdbServer?.stop()
      host.startHostAgent()
      await waitFor(
        'the agent to say it cannot reach the OVSDB',
        () => /cannot reach the local OVSDB/.test(host.hostAgent?.log() ?? ''),
        {
          timeoutMs: 20_000,
        },
      )
      await host.restartOvs()
      const vifUuid = newUuid()
      const vif = await host.plugVif({
        domid: 1,
        devid: 0,
        vifUuid,
        vmUuid: newUuid(),
        networkUuid: OVN_NET,
        bridge: 'xapi1',
        mac: '02:00:00:00:01:01',
      })
      await waitIfaceId(host, vif.name, vifUuid)
      assert.equal((host.hostAgent?.log() ?? '').match(/cannot reach the local OVSDB/g)?.length, 1)
    } finally {
      await host.destroy()
    }
  })
})
