/**
 * The boot sequence of a configured chassis on an emulated host, with a real OVN central, real
 * Open vSwitch and a real ovn-controller started the way ovn-controller.service starts it:
 *
 * A reboot of XCP-ng 8.3 starts with an EMPTY conf.db (tmpfs, docs/platform.md): every key
 * configure wrote is gone, and the host agent re-applies the persisted chassis once XAPI has
 * attached the OVN network (its bridge exists again).
 * - without the RPM's drop-in, an ovn-controller started at boot sees no ovn-bridge and makes a
 *   br-int of its own, which stays after the agent re-applies the chassis; fn=verify flags it;
 * - with the drop-in's ExecStartPre (the helper installed from the RPM, run with the arguments
 *   the installed drop-in gives it), ovn-controller starts only after XAPI has recreated the
 *   bridge and the agent has re-applied the chassis: the final bridge is XAPI's own row
 *   (xs-network-uuids), fail_mode secure, the VIF bound (iface-id from the agent), and there
 *   never was a second bridge.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLabPool, managementIp, type LabPool } from '../../lab/pool.js'
import type { LabHost } from '../../lab/host.js'
import { isAlive, readPidfile } from '../../lab/cleanup.js'
import { newUuid } from '../../lab/names.js'
import { waitFor } from '../../lab/wait.js'
import { value } from './plugin-harness.js'
import { buildRpm, installScratch, withPackagedRuntime, type BuiltRpm, type ScratchRoot } from './rpm-fixture.js'
import { controllerPidfile, startLikeService, stopLikeService } from './ovn-controller-service.js'

const OVN_NET = newUuid()
const VIF = newUuid()
const VM = newUuid()
const MAC = '02:00:00:00:05:00'
const DROP_IN = '/usr/lib/systemd/system/ovn-controller.service.d/xapi-ovn.conf'

interface Check {
  id: string
  status: 'pass' | 'warn' | 'fail'
  message: string
}

/** The ExecStartPre= argv of a systemd unit file, with paths moved into `root`. */
function execStartPre(unitText: string, root: string): string[] {
  const lines = unitText.split('\n').filter((l) => l.startsWith('ExecStartPre='))
  assert.equal(lines.length, 1, 'one ExecStartPre in the drop-in')
  const argv = (lines[0] as string).slice('ExecStartPre='.length).trim().split(/\s+/)
  return [join(root, argv[0] as string), ...argv.slice(1)]
}

describe('boot ordering of ovn-controller on a configured chassis', () => {
  let pool: LabPool
  let host: LabHost
  let pkg: BuiltRpm
  let scratch: ScratchRoot
  let helperArgv: string[]
  const optionsFile = '/nonexistent/sysconfig/ovn-controller' // no SSL here: the unit's EnvironmentFile=- is optional

  before(async () => {
    pkg = await buildRpm()
    scratch = await installScratch(pkg)
    // Exec'd as systemd execs it: its #! line finds the packaged node at its real path.
    helperArgv = withPackagedRuntime(
      scratch,
      execStartPre(readFileSync(join(scratch.path, DROP_IN), 'utf8'), scratch.path),
    )
    pool = await createLabPool({ hosts: 1 })
    host = pool.hosts[0] as LabHost
    await pool.central.nbctl('ls-add', 'ovn-net')
    await pool.central.nbctl('lsp-add', 'ovn-net', VIF)
    await pool.central.nbctl('lsp-set-addresses', VIF, MAC)
    // Running before the reboot: XAPI's bridge and VIF, the chassis configured, ovn-controller up.
    await host.createBridge('xapi1', { networkUuids: [OVN_NET], failMode: 'secure' })
    await host.plugVif({
      domid: 5,
      devid: 0,
      vifUuid: VIF,
      vmUuid: VM,
      networkUuid: OVN_NET,
      bridge: 'xapi1',
      mac: MAC,
    })
    await value(host, 'configure', {
      'ovn-remote': pool.central.sbRemote,
      'ovn-encap-ip': managementIp(0),
      'ovn-bridge': 'xapi1',
      'ovn-bridge-datapath-type': 'netdev',
      'network-uuid': OVN_NET,
    })
    await startLikeService(host, { optionsFile, execStartPre: helperArgv })
    await waitFor(
      'VIF installed before the reboot',
      async () =>
        (await host.vsctl('--if-exists', 'get', 'Interface', 'vif5.0', 'external_ids:ovn-installed')) === '"true"' ||
        undefined,
      { timeoutMs: 60_000 },
    )
  })

  after(async () => {
    if (host !== undefined) await stopLikeService(host).catch(() => undefined)
    await pool?.destroy()
    scratch?.destroy()
    pkg?.destroy()
  })

  async function bridgeRow(name: string): Promise<{ uuid: string; ids: string; failMode: string }> {
    const [uuid, ids, failMode] = await Promise.all([
      host.vsctl('get', 'Bridge', name, '_uuid'),
      host.vsctl('get', 'Bridge', name, 'external_ids'),
      host.vsctl('get', 'Bridge', name, 'fail_mode'),
    ])
    return { uuid, ids, failMode }
  }

  /**
   * Shut down (ExecStop of our ovn-controller unit), then an XCP-ng 8.3 boot (LabHost.reboot):
   * conf.db recreated empty (tmpfs), xcp-networkd's xenbr0 back with its NIC and address, the
   * host agent started again. The OVN network's bridge stays gone until XAPI attaches it, and
   * every key configure wrote is gone with the database.
   */
  async function reboot(): Promise<void> {
    await stopLikeService(host)
    await host.reboot()
    assert.deepEqual(await host.bridges(), ['xenbr0'])
    assert.equal(
      await host.vsctl('--if-exists', 'get', 'Open_vSwitch', '.', 'external_ids:ovn-remote'),
      '',
      'the OVN keys went with conf.db',
    )
  }

  /** XAPI attaches the OVN network on this host (a VM starts here): the bridge, then the VIF. */
  async function xapiAttaches(domid: number): Promise<{ uuid: string; ids: string; failMode: string }> {
    await host.createBridge('xapi1', { networkUuids: [OVN_NET], failMode: 'secure' })
    const made = await bridgeRow('xapi1')
    await host.plugVif({ domid, devid: 0, vifUuid: VIF, vmUuid: VM, networkUuid: OVN_NET, bridge: 'xapi1', mac: MAC })
    return made
  }

  test('without the drop-in: ovn-controller started at boot, before the agent could re-apply the chassis, makes a br-int of its own', async () => {
    await reboot()
    await startLikeService(host, { optionsFile })
    await waitFor(
      'ovn-controller to create br-int',
      async () => (await host.bridges()).includes('br-int') || undefined,
      {
        timeoutMs: 60_000,
      },
    )
    // XAPI attaches the network: the host agent re-applies the persisted chassis (ovn-bridge=xapi1)...
    await xapiAttaches(6)
    await waitFor(
      'the host agent to re-apply the chassis',
      async () =>
        (await host.vsctl('--if-exists', 'get', 'Open_vSwitch', '.', 'external_ids:ovn-bridge')) === 'xapi1' ||
        undefined,
      { timeoutMs: 60_000 },
    )
    // ... but the br-int ovn-controller made stays, and verify flags it.
    const report = await value<{ ok: boolean; checks: Check[] }>(host, 'verify')
    assert.equal(report.ok, false)
    assert.equal(report.checks.find((c) => c.id === 'bridge.no-stray-br-int')?.status === 'pass', false)
    // Clean up as verify's hint says.
    await stopLikeService(host)
    await value(host, 'repair')
    assert.equal((await host.bridges()).includes('br-int'), false)
  })

  test("with the drop-in: ovn-controller waits for XAPI, then runs on XAPI's bridge with the VIF bound", async () => {
    await reboot()
    const journal = join(host.rundir, 'ovn-controller.journal')
    const started = startLikeService(host, { optionsFile, execStartPre: helperArgv, journal })
    started.catch(() => undefined) // awaited below; keep an early failure from being unhandled
    await waitFor(
      'the helper to say it waits for xapi1',
      () => {
        let text = ''
        try {
          text = readFileSync(journal, 'utf8')
        } catch {
          return undefined
        }
        return /ovn-bridge is not set/.test(text) || undefined
      },
      { timeoutMs: 60_000 },
    )
    // While it waits: no ovn-controller, no bridge of that name.
    assert.equal(
      readPidfile(controllerPidfile(host)) !== undefined && isAlive(readPidfile(controllerPidfile(host)) as number),
      false,
    )
    assert.deepEqual(await host.bridges(), ['xenbr0'])

    // XAPI attaches the network (a VM starts here): the bridge, then the VIF. The host agent
    // re-applies the persisted chassis on XAPI's bridge, and only then does the helper let
    // ovn-controller start. No operator action.
    const made = await xapiAttaches(7)
    const pid = await started
    assert.ok(isAlive(pid))
    assert.match(
      readFileSync(journal, 'utf8'),
      new RegExp(`bridge xapi1 is XAPI's \\(network ${OVN_NET}\\): starting ovn-controller\\n$`),
    )

    await waitFor(
      'VIF installed after the reboot',
      async () =>
        (await host.vsctl('--if-exists', 'get', 'Interface', 'vif7.0', 'external_ids:ovn-installed')) === '"true"' ||
        undefined,
      { timeoutMs: 60_000 },
    )
    const final = await bridgeRow('xapi1')
    assert.equal(final.uuid, made.uuid, 'the bridge XAPI made, never replaced')
    assert.match(final.ids, new RegExp(`"xs-network-uuids"="${OVN_NET}"|xs-network-uuids="?${OVN_NET}`))
    assert.equal(final.failMode, 'secure')
    assert.deepEqual(await host.bridges(), ['xapi1', 'xenbr0'], 'no second bridge, no br-int')
    const chassis = (
      await pool.central.sbctl('--bare', '--columns=chassis', 'find', 'Port_Binding', `logical_port=${VIF}`)
    ).trim()
    assert.notEqual(chassis, '')
    const report = await value<{ ok: boolean; checks: Check[] }>(host, 'verify')
    assert.equal(report.checks.find((c) => c.id === 'bridge.xapi')?.status, 'pass')
    assert.equal(report.checks.find((c) => c.id === 'bridge.no-stray-br-int')?.status, 'pass')
    assert.equal(report.ok, true, JSON.stringify(report.checks.filter((c) => c.status !== 'pass')))
  })
})
