/**
 * dom0's firewall on a lab host (lab/dom0-firewall.ts: the iptables chains XCP-ng 8.3 ships, and
 * an emulated xapi firewall-port plugin), with the real host agent and the bundled plugin: the
 * agent opens the encap ports in xapi-INPUT when the chassis is configured, unconfigure closes
 * them, verify's firewall.encap sees a missing rule, and a restarted agent puts it back.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { chainRules, firewallPortPath, savedRulesPath } from '../../lab/dom0-firewall.js'
import { run } from '../../lab/exec.js'
import { LabHost } from '../../lab/host.js'
import { newUuid } from '../../lab/names.js'
import { Underlay } from '../../lab/underlay.js'
import { waitFor } from '../../lab/wait.js'
import { callPlugin } from '../../xapi-emulator/plugin-runner.js'
import { call, DIST_DIR, value } from './plugin-harness.js'

const MGMT_NET = newUuid()
const OVN_NET = newUuid()
const GENEVE = '-A xapi-INPUT -p udp -m conntrack --ctstate NEW -m udp --dport 6081 -j ACCEPT'
const VXLAN = '-A xapi-INPUT -p udp -m conntrack --ctstate NEW -m udp --dport 4789 -j ACCEPT'

interface Check {
  id: string
  status: string
  message: string
  hint: string | null
}
interface Report {
  ok: boolean
  checks: Check[]
}
interface UnconfigureValue {
  changed: boolean
  firewall: { closed: string[]; errors: string[] }
}

function configureArgs(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'ovn-remote': 'tcp:192.0.2.10:6642',
    'ovn-encap-ip': '192.0.2.21',
    'ovn-bridge': 'xapi1',
    'ovn-bridge-datapath-type': 'netdev',
    'network-uuid': OVN_NET,
    ...extra,
  }
}

function firewallCheck(r: Report): Check {
  const c = r.checks.find((x) => x.id === 'firewall.encap')
  assert.ok(c, 'verify has firewall.encap')
  return c
}

describe("dom0's firewall: the host agent opens the encap ports, unconfigure closes them, verify checks them", () => {
  let underlay: Underlay
  let host: LabHost

  const rules = (): Promise<string[]> => chainRules(host.netns)
  const firewallPort = (...args: string[]) =>
    run(firewallPortPath(host.rundir), args, {
      netns: host.netns,
      env: { PATH: '/sbin:/usr/sbin:/bin:/usr/bin' },
      check: false,
    })

  before(async () => {
    underlay = await Underlay.create()
    host = await LabHost.create({ name: 'fw1' })
    await host.createBridge('xenbr0', { networkUuids: [MGMT_NET] })
    await host.addUplink('xenbr0', underlay, { ip: '192.0.2.21/24' })
    await host.createBridge('xapi1', { networkUuids: [OVN_NET], failMode: 'secure' })
    host.startHostAgent()
  })
  after(async () => {
    await host?.destroy()
    await underlay?.destroy()
  })

  test('the host namespace has the chains XCP-ng 8.3 boots with', async () => {
    const input = await chainRules(host.netns, 'INPUT')
    assert.deepEqual(input.slice(1), ['-A INPUT -j xapi-INPUT', '-A INPUT -j RH-Firewall-1-INPUT'])
    assert.deepEqual((await chainRules(host.netns, 'FORWARD')).slice(1), ['-A FORWARD -j RH-Firewall-1-INPUT'])
    const rh = await chainRules(host.netns, 'RH-Firewall-1-INPUT')
    assert.equal(rh.at(-1), '-A RH-Firewall-1-INPUT -j REJECT --reject-with icmp-host-prohibited')
    assert.ok(rh.includes('-A RH-Firewall-1-INPUT -i lo -j ACCEPT'))
    assert.ok(rh.includes('-A RH-Firewall-1-INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'))
    assert.ok(rh.some((r) => r.includes('--dport 22 ')))
    assert.ok(!rh.some((r) => r.includes('6081')), 'Geneve is not open in the shipped rules')
    assert.deepEqual(await rules(), ['-N xapi-INPUT', '-A xapi-INPUT -j RETURN'])
  })

  test("the emulated firewall-port keeps xapi's semantics: usage error, inverted check, idempotent open/close", async () => {
    const usage = await firewallPort('frobnicate', '1234', 'udp')
    assert.equal(usage.status, 1)
    assert.match(usage.stderr, /Usage: .*\{open\|close\|check\}/)
    assert.equal((await firewallPort('check', '1234', 'udp')).stdout.trim(), 'Port 1234 open: true')
    for (let i = 0; i < 2; i++) assert.equal((await firewallPort('open', '1234', 'udp')).status, 0)
    const opened = await rules()
    assert.equal(opened.filter((r) => r.includes('--dport 1234')).length, 1, 'open twice inserts one rule')
    assert.equal(opened.at(-1), '-A xapi-INPUT -j RETURN', 'inserted ahead of the RETURN')
    assert.equal((await firewallPort('check', '1234', 'udp')).stdout.trim(), 'Port 1234 open: false')
    for (let i = 0; i < 2; i++) assert.equal((await firewallPort('close', '1234', 'udp')).status, 0)
    assert.deepEqual(await rules(), ['-N xapi-INPUT', '-A xapi-INPUT -j RETURN'])
  })

  test('before configure: no 6081 rule, and verify expects none', async () => {
    assert.ok(!(await rules()).includes(GENEVE))
    assert.equal(firewallCheck(await value<Report>(host, 'verify')).status, 'pass')
  })

  test('configure with the host agent running: the agent opens 6081/udp, saved, and verify passes', async () => {
    await value(host, 'configure', configureArgs())
    await waitFor('the agent opens 6081/udp', async () => (await rules()).includes(GENEVE), { timeoutMs: 20_000 })
    // firewall-port inserts the rule, then saves: the saved file follows the live rule a moment later.
    await waitFor(
      'the saved rules to hold the Geneve rule',
      async () => (readFileSync(savedRulesPath(host.rundir), 'utf8').split('\n').includes(GENEVE) ? true : undefined),
      { timeoutMs: 20_000 },
    )
    const c = firewallCheck(await value<Report>(host, 'verify'))
    assert.equal(c.status, 'pass', c.message)
  })

  test('ovn-encap-type=geneve,vxlan: 4789/udp is opened too', async () => {
    await value(host, 'configure', configureArgs({ 'ovn-encap-type': 'geneve,vxlan' }))
    await waitFor('the agent opens 4789/udp', async () => (await rules()).includes(VXLAN), { timeoutMs: 20_000 })
    assert.ok((await rules()).includes(GENEVE))
    assert.equal(firewallCheck(await value<Report>(host, 'verify')).status, 'pass')
  })

  test('unconfigure closes both ports and says so; verify no longer expects them', async () => {
    const v = await value<UnconfigureValue>(host, 'unconfigure')
    assert.deepEqual(v.firewall, { closed: ['4789/udp', '6081/udp'], errors: [] })
    // The agent closes them on the same change: wait until neither has anything left to do.
    await waitFor('no encap rule left', async () => (await rules()).every((r) => r !== GENEVE && r !== VXLAN), {
      timeoutMs: 20_000,
    })
    assert.deepEqual(await rules(), ['-N xapi-INPUT', '-A xapi-INPUT -j RETURN'])
    assert.ok(!readFileSync(savedRulesPath(host.rundir), 'utf8').includes('--dport 6081'))
    const c = firewallCheck(await value<Report>(host, 'verify'))
    assert.equal(c.status, 'pass')
    assert.match(c.message, /no encapsulation configured/)
  })

  test('unconfigure with firewall-port missing: reported in the reply, the unconfigure still done', async () => {
    await value(host, 'configure', configureArgs())
    await waitFor('the agent opens 6081/udp', async () => (await rules()).includes(GENEVE), { timeoutMs: 20_000 })
    await host.stopHostAgent()
    const missing = `${host.rundir}/xapi.d/plugins/no-such-firewall-port`
    assert.ok(!existsSync(missing))
    const text = await callPlugin(
      { pluginsDir: DIST_DIR, netns: host.netns, env: { ...host.env(), XAPI_OVN_FIREWALL_PORT: missing } },
      'OpaqueRef:test-session',
      'ovn-chassis',
      'unconfigure',
      {},
    )
    const v = JSON.parse(text) as UnconfigureValue
    assert.equal(v.changed, true)
    assert.deepEqual(v.firewall.closed, [])
    assert.equal(v.firewall.errors.length, 1)
    assert.match(v.firewall.errors[0] ?? '', /no-such-firewall-port close 6081\/udp/)
    assert.ok((await rules()).includes(GENEVE), 'nothing closed it')
    // Closed by hand, as an operator would after reading the reply.
    assert.equal((await firewallPort('close', '6081', 'udp')).status, 0)
    host.startHostAgent()
  })

  test('agent killed, rule deleted by hand: verify fails naming the agent; restarted, it opens the port again', async () => {
    await value(host, 'configure', configureArgs())
    await waitFor('the agent opens 6081/udp', async () => (await rules()).includes(GENEVE), { timeoutMs: 20_000 })
    const agent = host.hostAgent
    assert.ok(agent)
    agent.kill()
    await waitFor('the agent is gone', () => !agent.isRunning(), { timeoutMs: 10_000 })
    await run('iptables', ['-w', '-D', 'xapi-INPUT', ...GENEVE.split(' ').slice(2)], { netns: host.netns })
    const broken = await call(host, 'verify')
    assert.ok(broken.ok)
    const report = broken.value as Report
    const c = firewallCheck(report)
    assert.equal(c.status, 'fail', c.message)
    assert.match(c.message, /6081\/udp/)
    assert.match(c.hint ?? '', /systemctl status xapi-ovn-agent/)
    assert.equal(report.ok, false)
    host.startHostAgent()
    await waitFor('the restarted agent opens 6081/udp', async () => (await rules()).includes(GENEVE), {
      timeoutMs: 20_000,
    })
    assert.equal(firewallCheck(await value<Report>(host, 'verify')).status, 'pass')
  })
})
