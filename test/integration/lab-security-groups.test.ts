// Security groups in the lab, with real packets: two guests on two hosts running the real
// ovn-controller (Geneve between them), the ACLs written by lib/nb as Neutron's OVN driver writes
// them (a port group per security group, allow-related rules at 1002, the default-drop group at
// 1001). Guest B is put in a group that allows tcp/22 from A's subnet: A reaches B's port 22, B's
// port 8080 times out, ICMP is dropped until an ICMP rule is added; B's replies to A's connection
// pass with no egress rule (stateful: conntrack), while a connection B opens to A is dropped.
// Removing the tcp/22 rule cuts port 22; taking B out of the group opens everything again.
// A second test: OVN's DHCP for a port in a group needs an egress rule for the request (the drop
// group drops the DISCOVER), and a rule with a remote group admits that group's members only
// (ovn-northd's address set of the group, ovn-nb.xml Port_Group). A third: an ip6 rule over
// IPv6, with the neighbour solicitation for the guest passing the drop group.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { plugUntilInstalled, twoHandChassis } from '../../lab/hand-chassis.js'
import { LabVm } from '../../lab/vm.js'
import type { LabHost } from '../../lab/host.js'
import { newUuid } from '../../lab/names.js'
import { run } from '../../lab/exec.js'
import { waitFor } from '../../lab/wait.js'
import {
  addSecurityGroupRules,
  attachPorts,
  deleteSecurityGroupRule,
  ensureLogicalSwitch,
  ensureSecurityGroups,
  setPortSecurityGroups,
} from '../../lib/nb/index.js'
import { join } from 'node:path'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import type { OvsdbClient } from '../../lib/ovsdb/client.js'

const BOUND_TIMEOUT_MS = 90_000
const SUBNET = '198.18.40.0/24'
const IP_A = '198.18.40.11'
const IP_B = '198.18.40.12'

// A guest's servers: each port given answers "hello <port>" and closes (run by this node binary).
const SERVER = `for (const port of process.argv.slice(1)) {
  require('net').createServer((c) => c.end('hello ' + port)).listen(Number(port))
}`
// One connection attempt with a 2 s connect timeout: "ok:<reply>", "timeout" or "refused".
const CLIENT = `const [addr, port] = process.argv.slice(1)
const c = require('net').connect({ host: addr, port: Number(port) })
let out = ''
const timer = setTimeout(() => { process.stdout.write('timeout'); process.exit(0) }, 2000)
c.on('data', (d) => { out += d })
c.on('end', () => { clearTimeout(timer); process.stdout.write('ok:' + out) })
c.on('error', (e) => { clearTimeout(timer); process.stdout.write(e.code === 'ECONNREFUSED' ? 'refused' : e.code) })`

async function connect(from: LabVm, ip: string, port: number): Promise<string> {
  return (await from.exec(process.execPath, ['-e', CLIENT, ip, String(port)], { check: false, timeoutMs: 10_000 }))
    .stdout
}

/** A guest on `host`, its port attached on `sw` (static `ip`, or dynamic), its VIF plugged and bound. */
async function guest(
  t: TestContext,
  nb: OvsdbClient,
  host: LabHost,
  o: { name: string; sw: string; network: string; domid: number; ip?: string; ip6?: string },
): Promise<{ vm: LabVm; vifUuid: string }> {
  const vm = await LabVm.create({ name: o.name, ...(o.ip === undefined ? {} : { ip: `${o.ip}/24` }) })
  t.after(() => vm.destroy())
  const vifUuid = newUuid()
  const ips = o.ip === undefined ? 'dynamic' : [o.ip, ...(o.ip6 === undefined ? [] : [o.ip6])]
  await attachPorts(nb, o.sw, [{ vifUuid, mac: vm.mac, ips }])
  await plugUntilInstalled(host, {
    vm: vm,
    vifUuid: vifUuid,
    domid: o.domid,
    ovnNetwork: o.network,
    timeoutMs: BOUND_TIMEOUT_MS,
  })
  // No duplicate address detection: the address is usable at once (the port holds it anyway).
  if (o.ip6 !== undefined) await vm.exec('ip', ['-6', 'addr', 'add', `${o.ip6}/64`, 'dev', 'eth0', 'nodad'])
  return { vm, vifUuid }
}

test('a security group lets through what its rules allow, drops the rest, and is stateful', async (t) => {
  const { hosts, nb, ovnNetwork } = await twoHandChassis(t)
  await ensureLogicalSwitch(nb, 'tenant-sg', { subnet: SUBNET })
  const ga = await guest(t, nb, hosts[0], {
    name: 'sg-guest-a',
    sw: 'tenant-sg',
    network: ovnNetwork,
    domid: 30,
    ip: IP_A,
  })
  const gb = await guest(t, nb, hosts[1], {
    name: 'sg-guest-b',
    sw: 'tenant-sg',
    network: ovnNetwork,
    domid: 31,
    ip: IP_B,
  })
  const a = ga.vm
  const b = gb.vm
  const vifB = gb.vifUuid
  // Servers in the guests (they go with the guests' namespaces): B on 22 and 8080, A on 9090.
  void run(process.execPath, ['-e', SERVER, '22', '8080'], { netns: b.netns, check: false, timeoutMs: 600_000 })
  void run(process.execPath, ['-e', SERVER, '9090'], { netns: a.netns, check: false, timeoutMs: 600_000 })

  // No group yet: everything passes.
  await waitFor('A -> B ping over Geneve', () => a.ping(IP_B), { timeoutMs: 30_000 })
  await waitFor('A -> B:8080 before any group', async () => (await connect(a, IP_B, 8080)) === 'ok:hello 8080')
  assert.equal(await connect(b, IP_A, 9090), 'ok:hello 9090')

  // B in a group allowing tcp/22 from A's subnet, and nothing else.
  await ensureSecurityGroups(nb, [
    { name: 'ssh', rules: [{ direction: 'ingress', protocol: 'tcp', ports: 22, remoteCidr: SUBNET }] },
  ])
  await setPortSecurityGroups(nb, [{ port: vifB, groups: ['ssh'] }])
  await waitFor('B:8080 to be dropped', async () => (await connect(a, IP_B, 8080)) === 'timeout', {
    timeoutMs: 30_000,
  })
  // Allowed, and the reply (SYN-ACK, data, FIN from B) passes with no egress rule: conntrack.
  assert.equal(await connect(a, IP_B, 22), 'ok:hello 22')
  assert.equal(await connect(a, IP_B, 8080), 'timeout', 'a denied port times out (dropped, not refused)')
  assert.equal(await a.ping(IP_B, { count: 2, waitS: 1 }), false, 'no ICMP rule: ping dropped')
  // B opening a connection is egress traffic no rule allows: dropped.
  assert.equal(await connect(b, IP_A, 9090), 'timeout', 'B may not open connections')

  // An ICMP rule: pings pass (and their replies, statefully).
  await addSecurityGroupRules(nb, 'ssh', [{ direction: 'ingress', protocol: 'icmp' }])
  await waitFor('ping with an ICMP rule', () => a.ping(IP_B, { count: 1, waitS: 1 }), { timeoutMs: 30_000 })

  // The tcp/22 rule removed: port 22 times out too.
  await deleteSecurityGroupRule(nb, 'ssh', { direction: 'ingress', protocol: 'tcp', ports: 22, remoteCidr: SUBNET })
  await waitFor('B:22 dropped once its rule is gone', async () => (await connect(a, IP_B, 22)) === 'timeout', {
    timeoutMs: 30_000,
  })
  assert.ok(await a.ping(IP_B), 'the ICMP rule still lets pings through')

  // B out of the group (and so out of the drop group): no ACL applies to it any more.
  await setPortSecurityGroups(nb, [{ port: vifB, groups: [] }])
  await waitFor('B:8080 reachable once detached', async () => (await connect(a, IP_B, 8080)) === 'ok:hello 8080', {
    timeoutMs: 30_000,
  })
  assert.equal(await connect(a, IP_B, 22), 'ok:hello 22')
  assert.equal(await connect(b, IP_A, 9090), 'ok:hello 9090')
})

// udhcpc's script: apply the lease (busybox networking/udhcp/dhcpc.c passes it in the environment).
const DHCP_SCRIPT = `#!/bin/sh
case "$1" in
  deconfig) ip addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/$mask" dev "$interface" ;;
esac
exit 0
`

test('OVN DHCP for a port in a group needs an egress rule for the request; a remote group admits its members only', async (t) => {
  const { hosts, nb, ovnNetwork } = await twoHandChassis(t)
  const dir = await mkdtemp(join(tmpdir(), 'xapi-ovn-sg-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const script = join(dir, 'udhcpc.script')
  await writeFile(script, DHCP_SCRIPT, { mode: 0o755 })
  await ensureLogicalSwitch(nb, 'tenant-dhcp-sg', { subnet: '198.18.41.0/24', dhcp: { router: '198.18.41.1' } })
  // C takes its address from OVN's DHCP; D is static, a server on 8080.
  const c = await guest(t, nb, hosts[0], { name: 'sg-dhcp-c', sw: 'tenant-dhcp-sg', network: ovnNetwork, domid: 40 })
  const d = await guest(t, nb, hosts[1], {
    name: 'sg-dhcp-d',
    sw: 'tenant-dhcp-sg',
    network: ovnNetwork,
    domid: 41,
    ip: '198.18.41.200',
  })
  void run(process.execPath, ['-e', SERVER, '8080'], { netns: d.vm.netns, check: false, timeoutMs: 600_000 })
  const dhcp = async (): Promise<boolean> =>
    (
      await c.vm.exec('busybox', ['udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', '3', '-T', '1', '-s', script], {
        check: false,
        timeoutMs: 30_000,
      })
    ).ok

  // C in a group with no rule: its DHCPDISCOVER is IP, dropped by the drop group: no lease.
  await ensureSecurityGroups(nb, [{ name: 'client' }])
  await setPortSecurityGroups(nb, [{ port: c.vifUuid, groups: ['client'] }])
  await waitFor('C in the drop group', async () => !(await dhcp()), { timeoutMs: 30_000 })
  // The egress rule for the request: the lease comes (its reply passes with no rule of its own).
  await addSecurityGroupRules(nb, 'client', [
    { direction: 'egress', protocol: 'udp', ports: 67 },
    { direction: 'egress', protocol: 'tcp' },
  ])
  await waitFor('a lease once requests may leave', dhcp, { timeoutMs: 30_000 })

  // D admits tcp/8080 from members of "client" only (its address set).
  await ensureSecurityGroups(nb, [
    { name: 'app', rules: [{ direction: 'ingress', protocol: 'tcp', ports: 8080, remoteGroup: 'client' }] },
  ])
  await setPortSecurityGroups(nb, [{ port: d.vifUuid, groups: ['app'] }])
  await waitFor(
    'C (a member of client) reaches D:8080',
    async () => (await connect(c.vm, '198.18.41.200', 8080)) === 'ok:hello 8080',
    {
      timeoutMs: 30_000,
    },
  )
  // C out of "client" (in no group now): its address leaves the set, and D drops it.
  await setPortSecurityGroups(nb, [{ port: c.vifUuid, groups: [] }])
  await waitFor('C no longer admitted', async () => (await connect(c.vm, '198.18.41.200', 8080)) === 'timeout', {
    timeoutMs: 30_000,
  })
})

test('ip6 rules: an allowed IPv6 port is reached, another times out; neighbour discovery is not dropped', async (t) => {
  const { hosts, nb, ovnNetwork } = await twoHandChassis(t)
  await ensureLogicalSwitch(nb, 'tenant-sg6', { subnet: '198.18.42.0/24' })
  const common = { sw: 'tenant-sg6', network: ovnNetwork }
  const a = await guest(t, nb, hosts[0], {
    ...common,
    name: 'sg6-a',
    domid: 50,
    ip: '198.18.42.11',
    ip6: '2001:db8:42::11',
  })
  const b = await guest(t, nb, hosts[1], {
    ...common,
    name: 'sg6-b',
    domid: 51,
    ip: '198.18.42.12',
    ip6: '2001:db8:42::12',
  })
  void run(process.execPath, ['-e', SERVER, '22', '8080'], { netns: b.vm.netns, check: false, timeoutMs: 600_000 })
  await waitFor(
    'A -> B:8080 over IPv6 before any group',
    async () => (await connect(a.vm, '2001:db8:42::12', 8080)) === 'ok:hello 8080',
    {
      timeoutMs: 30_000,
    },
  )
  await ensureSecurityGroups(nb, [
    { name: 'ssh6', rules: [{ direction: 'ingress', protocol: 'tcp', ports: 22, remoteCidr: '2001:db8:42::/64' }] },
  ])
  await setPortSecurityGroups(nb, [{ port: b.vifUuid, groups: ['ssh6'] }])
  await waitFor('B:8080 over IPv6 dropped', async () => (await connect(a.vm, '2001:db8:42::12', 8080)) === 'timeout', {
    timeoutMs: 30_000,
  })
  // A's neighbour cache forgotten: the solicitation for B must pass the drop group for this to work.
  await a.vm.exec('ip', ['-6', 'neigh', 'flush', 'dev', 'eth0'])
  assert.equal(await connect(a.vm, '2001:db8:42::12', 22), 'ok:hello 22')
  // The ip6 rule says nothing about IPv4: tcp/22 over IPv4 is dropped.
  assert.equal(await connect(a.vm, '198.18.42.12', 22), 'timeout')
})
