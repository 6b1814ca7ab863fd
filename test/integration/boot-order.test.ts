/**
 * The boot sequence of a configured chassis on an emulated host, with a real OVN central, real
 * Open vSwitch and a real ovn-controller started the way ovn-controller.service starts it:
 *
 * - without the RPM's drop-in, an ovn-controller that starts before XAPI has recreated the
 *   integration bridge (wiped by `ovs-ctl --delete-bridges`) makes a bare bridge of that name,
 *   and fn=verify flags it (bridge.xapi);
 * - with the drop-in's ExecStartPre (the helper installed from the RPM, run with the arguments
 *   the installed drop-in gives it), ovn-controller starts only after XAPI has recreated the
 *   bridge: the final bridge is XAPI's own row (xs-network-uuids), fail_mode secure, the VIF
 *   bound, and there never was a second bridge.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLabPool, managementIp, type LabPool } from '../../lab/pool.js'
import type { LabHost } from '../../lab/host.js'
import { isAlive, readPidfile } from '../../lab/cleanup.js'
import { newUuid } from '../../lab/names.js'
import { disableTxOffload } from '../../lab/underlay.js'
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
   * Shut down (ExecStop), then what the next boot does to Open vSwitch: every bridge wiped; then
   * xcp-networkd brings back the persistent management bridge xenbr0 with its NIC (eth0, still
   * there: hardware) and the management address. The OVN network's bridge stays gone.
   */
  async function reboot(): Promise<void> {
    await stopLikeService(host)
    await host.wipeBridgesAtBoot()
    await host.createBridge('xenbr0', { networkUuids: [pool.managementNetworkUuid] })
    await host.vsctl('--may-exist', 'add-port', 'xenbr0', 'eth0')
    await disableTxOffload(host.netns, 'xenbr0')
    await host.exec('ip', ['addr', 'replace', `${managementIp(0)}/24`, 'dev', 'xenbr0'])
    await host.exec('ip', ['link', 'set', 'xenbr0', 'up'])
    assert.deepEqual(await host.bridges(), ['xenbr0'])
  }

  test('without the drop-in: ovn-controller started early makes a bare bridge, and verify flags it', async () => {
    await reboot()
    await startLikeService(host, { optionsFile })
    const bare = await waitFor(
      'ovn-controller to create xapi1',
      async () => ((await host.bridges()).includes('xapi1') ? bridgeRow('xapi1') : undefined),
      { timeoutMs: 60_000 },
    )
    assert.doesNotMatch(bare.ids, /xs-network-uuids/, "not XAPI's")
    assert.equal(bare.failMode, 'secure')
    const report = await value<{ ok: boolean; checks: Check[] }>(host, 'verify')
    assert.equal(report.ok, false)
    const xapi = report.checks.find((c) => c.id === 'bridge.xapi')
    assert.equal(xapi?.status, 'fail')
    assert.match(xapi?.message ?? '', /xapi1 has no external_ids:xs-network-uuids: XAPI did not create it/)
    // Clean up as verify's hint says: stop ovn-controller, delete the bridge.
    await stopLikeService(host)
    await host.vsctl('del-br', 'xapi1')
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
        return /bridge xapi1 \(external_ids:ovn-bridge\) does not exist yet/.test(text) || undefined
      },
      { timeoutMs: 60_000 },
    )
    // While it waits: no ovn-controller, no bridge of that name.
    assert.equal(
      readPidfile(controllerPidfile(host)) !== undefined && isAlive(readPidfile(controllerPidfile(host)) as number),
      false,
    )
    assert.deepEqual(await host.bridges(), ['xenbr0'])

    // XAPI attaches the network (a VM starts here): the bridge, then the VIF.
    await host.createBridge('xapi1', { networkUuids: [OVN_NET], failMode: 'secure' })
    const made = await bridgeRow('xapi1')
    await host.plugVif({
      domid: 6,
      devid: 0,
      vifUuid: VIF,
      vmUuid: VM,
      networkUuid: OVN_NET,
      bridge: 'xapi1',
      mac: MAC,
    })
    const pid = await started
    assert.ok(isAlive(pid))
    assert.match(
      readFileSync(journal, 'utf8'),
      new RegExp(`bridge xapi1 is XAPI's \\(network ${OVN_NET}\\): starting ovn-controller\\n$`),
    )

    await waitFor(
      'VIF installed after the reboot',
      async () =>
        (await host.vsctl('--if-exists', 'get', 'Interface', 'vif6.0', 'external_ids:ovn-installed')) === '"true"' ||
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
