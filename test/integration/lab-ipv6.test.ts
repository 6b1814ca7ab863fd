// IPv6 and OVN native DHCPv6 in the lab, end to end: a switch made by lib/nb with an IPv6 /64
// in dhcpv6-stateful mode, two guests attached with `ips: 'dynamic'` on two hosts running the real
// ovn-controller, and in each guest namespace a real DHCPv6 client (ISC dhclient -6, Debian's
// isc-dhcp-client, scripts/ensure-deps.sh: Debian's busybox has no udhcpc6) that takes its
// address from what ovn-controller answers: the EUI-64 address ovn-northd gave the port. The
// guests then ping each other over IPv6 through Geneve. Then the switch goes stateless (the same
// DHCP_Options row, updated in place) and a guest's Information-Request gets the DNS server and no
// address. No router port: nothing sends RAs, so the client is told the on-link /64 itself
// (--address-prefix-len 64), as an RA's prefix information would. A second test attaches the
// switch to a router (lib/nb routers): its port advertises the prefix and guests autoconfigure.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { plugUntilInstalled, twoHandChassis } from '../../lab/hand-chassis.js'
import { LabVm } from '../../lab/vm.js'
import type { LabHost } from '../../lab/host.js'
import { newUuid } from '../../lab/names.js'
import { waitFor } from '../../lab/wait.js'
import {
  addLogicalRouter,
  attachPorts,
  attachRouter,
  eui64Address,
  ensureLogicalSwitch,
  listPorts,
} from '../../lib/nb/index.js'
import type { OvsdbClient } from '../../lib/ovsdb/client.js'

const BOUND_TIMEOUT_MS = 90_000
const PREFIX = '2001:db8:40::/64'
const DNS = '2001:db8::53'

// dhclient runs its script with only its own variables (reason, interface, new_ip6_address,
// new_ip6_prefixlen, new_dhcp6_name_servers...: isc-dhcp client/dhclient.c script_go), so the
// directory is written into the script. On an address it applies it as a distribution's script
// does; at every event it keeps the environment it saw, one file per reason.
function script(dir: string): string {
  return `#!/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin
case "$reason" in
  BOUND6|REBOOT6|RENEW6|REBIND6)
    [ -n "$new_ip6_address" ] && ip -6 addr replace "$new_ip6_address/$new_ip6_prefixlen" dev "$interface" ;;
esac
env > "${dir}/event.$reason"
exit 0
`
}

/** KEY=VALUE lines of a script environment. */
function envOf(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).replace(/^'(.*)'$/, '$1')]),
  )
}

/** The guest's link-local address has passed DAD (dhclient -6 binds to it). */
async function linkLocalReady(vm: LabVm): Promise<boolean> {
  const out = (await vm.exec('ip', ['-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'link'])).stdout
  return out.includes('fe80::') && !out.includes('tentative')
}

interface AfterHook {
  after(fn: () => unknown): void
}

/** A guest on `host`, its port attached `dynamic` on `switchName` and plugged until ovn-installed. */
async function plugGuest(
  t: AfterHook,
  nb: OvsdbClient,
  host: LabHost,
  o: { name: string; domid: number; switchName: string; ovnNetwork: string; mtu?: number },
): Promise<LabVm> {
  const vm = await LabVm.create({ name: o.name, mtu: o.mtu ?? 1442 })
  t.after(() => vm.destroy())
  const vifUuid = newUuid()
  const attached = await attachPorts(nb, o.switchName, [{ vifUuid, mac: vm.mac, ips: 'dynamic' }])
  assert.equal(attached.ports[0]?.action, 'created')
  await plugUntilInstalled(host, {
    vm: vm,
    vifUuid: vifUuid,
    domid: o.domid,
    ovnNetwork: o.ovnNetwork,
    timeoutMs: BOUND_TIMEOUT_MS,
  })
  return vm
}

test('guests get their IPv6 address from OVN native DHCPv6 (stateful), ping across hosts over Geneve, and get the options alone when stateless', async (t) => {
  const { hosts, nb, ovnNetwork } = await twoHandChassis(t)
  const dir = await mkdtemp(join(tmpdir(), 'xapi-ovn-dhcpv6-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  // Our own client config: no distribution hooks, and the one option we check asked for.
  const conf = join(dir, 'dhclient.conf')
  await writeFile(conf, 'request dhcp6.name-servers;\n')

  const sw = await ensureLogicalSwitch(nb, 'tenant-v6', {
    ipv6: { prefix: PREFIX, mode: 'dhcpv6-stateful', dnsServers: [DNS] },
  })
  assert.equal(sw.ipv6?.action, 'created')
  const serverId = sw.ipv6?.options.server_id ?? ''

  const guests: LabVm[] = []
  for (const [i, host] of hosts.entries())
    guests.push(
      await plugGuest(t, nb, host, { name: `v6-guest${i + 1}`, domid: 30 + i, switchName: 'tenant-v6', ovnNetwork }),
    )

  const ports = await waitFor('northd to assign both IPv6 addresses', async () => {
    const ps = await listPorts(nb, 'tenant-v6')
    return ps.length === 2 && ps.every((p) => p.dynamicAddresses !== null) ? ps : undefined
  })
  const addresses: string[] = []
  for (const [i, vm] of guests.entries()) {
    const events = join(dir, `guest${i}`)
    await mkdir(events)
    const scriptFile = join(events, 'script')
    await writeFile(scriptFile, script(events), { mode: 0o755 })
    assert.equal(
      (await vm.exec('ip', ['-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'global'])).stdout.trim(),
      '',
    )
    await waitFor(`${vm.name}'s link-local address`, () => linkLocalReady(vm), { timeoutMs: 20_000 })
    // -1: one try, fail without an answer; it forks to the background once bound (vm.destroy ends it).
    const client = await vm.exec(
      'dhclient',
      [
        '-6',
        '-1',
        '-v',
        '-cf',
        conf,
        '-sf',
        scriptFile,
        '-lf',
        join(events, 'leases'),
        '-pf',
        join(events, 'pid'),
        '--address-prefix-len',
        '64',
        'eth0',
      ],
      { check: false, timeoutMs: 90_000 },
    )
    assert.ok(client.ok, `dhclient -6 in ${vm.name} got no lease: ${client.stderr}`)
    const lease = envOf(await readFile(join(events, 'event.BOUND6'), 'utf8'))
    const port = ports.find((p) => p.dynamicAddresses?.startsWith(vm.mac))
    const ip = lease.get('new_ip6_address') ?? ''
    // The address OVN handed out is the EUI-64 one ovn-northd gave the port, with the row's options.
    assert.equal(ip, eui64Address(PREFIX, vm.mac))
    assert.equal(`${vm.mac} ${ip}`, port?.dynamicAddresses)
    assert.equal(lease.get('new_dhcp6_name_servers'), DNS)
    // DUID-LL of the server's MAC (type 3, hardware type 1): what ovn-controller answers as server_id.
    const duid = ['0', '3', '0', '1', ...serverId.split(':').map((b) => parseInt(b, 16).toString(16))].join(':')
    assert.equal(lease.get('new_dhcp6_server_id'), duid)
    assert.match((await vm.exec('ip', ['-6', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout, new RegExp(` ${ip}/64 `))
    addresses.push(ip)
  }

  const [vm1, vm2] = guests as [LabVm, LabVm]
  const [ip1, ip2] = addresses as [string, string]
  await waitFor('guest1 -> guest2 ping over IPv6 and Geneve', () => vm1.ping(ip2), { timeoutMs: 30_000 })
  assert.ok(await vm2.ping(ip1), 'guest2 -> guest1 ping over IPv6')
  // A full 1442-byte IPv6 packet (48 bytes of headers) with DF crosses the tunnel.
  assert.ok(await vm1.ping(ip2, { size: 1442 - 48, dontFragment: true }), 'full-MTU IPv6 ping')

  // Stateless: the same row, only the options; the guest asks with an Information-Request.
  const stateless = await ensureLogicalSwitch(nb, 'tenant-v6', {
    ipv6: { prefix: PREFIX, mode: 'dhcpv6-stateless', dnsServers: [DNS] },
  })
  assert.deepEqual([stateless.ipv6?.action, stateless.ipv6?.dhcpv6Uuid], ['updated', sw.ipv6?.dhcpv6Uuid])
  const events = join(dir, 'stateless')
  await mkdir(events)
  const scriptFile = join(events, 'script')
  await writeFile(scriptFile, script(events), { mode: 0o755 })
  // ovn-controller answers from the flows northd rewrites for the new options: retry until it does.
  const info = await waitFor(
    'a stateless DHCPv6 reply',
    async () => {
      const r = await vm1.exec(
        'dhclient',
        [
          '-6',
          '-S',
          '-1',
          '-v',
          '-cf',
          conf,
          '-sf',
          scriptFile,
          '-lf',
          join(events, 'leases'),
          '-pf',
          join(events, 'pid'),
          'eth0',
        ],
        { check: false, timeoutMs: 60_000 },
      )
      if (!r.ok) return undefined
      const names = await readdir(events)
      const reply = names.find((n) => n.startsWith('event.') && n !== 'event.PREINIT6')
      return reply === undefined
        ? undefined
        : { reason: reply.slice('event.'.length), env: envOf(await readFile(join(events, reply), 'utf8')) }
    },
    { timeoutMs: 60_000 },
  )
  assert.equal(info.env.get('new_dhcp6_name_servers'), DNS, `stateless reply (${info.reason})`)
  assert.equal(info.env.get('new_ip6_address'), undefined, 'no address in a stateless reply')
})

test('SLAAC from the router: a switch attached to a router gets its advertisements; guests configure the EUI-64 address, the default route and the overlay MTU, and ping over IPv6', async (t) => {
  const { hosts, nb, ovnNetwork } = await twoHandChassis(t)
  const prefix = '2001:db8:41::/64'
  await ensureLogicalSwitch(nb, 'tenant-ra', { subnet: '198.18.41.0/24', ipv6: { prefix, mode: 'slaac' } })
  await addLogicalRouter(nb, 'r6')
  const attached = await attachRouter(nb, 'r6', 'tenant-ra')
  assert.equal(attached.ipv6, '2001:db8:41::1/64')
  const guests: LabVm[] = []
  for (const [i, host] of hosts.entries())
    guests.push(
      // A 1500-byte link, as a guest OS brings it up: the router's RA tells it the overlay's MTU.
      await plugGuest(t, nb, host, {
        name: `ra-guest${i + 1}`,
        domid: 40 + i,
        switchName: 'tenant-ra',
        ovnNetwork,
        mtu: 1500,
      }),
    )
  const addresses: string[] = []
  for (const vm of guests) {
    // A host, not a router: it takes RAs and autoconfigures (the kernel's defaults, said out loud);
    // the link bounced so that it solicits now that its port is bound.
    await vm.exec('sysctl', ['-qw', 'net.ipv6.conf.eth0.accept_ra=1', 'net.ipv6.conf.eth0.autoconf=1'])
    await vm.exec('ip', ['link', 'set', 'eth0', 'down'])
    await vm.exec('ip', ['link', 'set', 'eth0', 'up'])
    const expected = eui64Address(prefix, vm.mac)
    await waitFor(
      `${vm.name} autoconfigures ${expected} from the router's advertisement`,
      async () => {
        const out = (await vm.exec('ip', ['-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'global'])).stdout
        return out.includes(` ${expected}/64 `) && !out.includes('tentative') ? true : undefined
      },
      { timeoutMs: 60_000 },
    )
    assert.equal(
      (await vm.exec('cat', ['/proc/sys/net/ipv6/conf/eth0/mtu'])).stdout.trim(),
      '1442',
      `${vm.name}: IPv6 MTU from the RA (Geneve over a 1500-byte IPv4 underlay)`,
    )
    const route = (await vm.exec('ip', ['-6', 'route', 'show', 'default'])).stdout
    assert.match(route, /^default via fe80::\S+ dev eth0 proto ra /m, `${vm.name}: the default route from the RA`)
    addresses.push(expected)
  }
  const [vm1] = guests as [LabVm, LabVm]
  await waitFor('guest1 -> guest2 over IPv6 (SLAAC addresses)', () => vm1.ping(addresses[1] ?? ''), {
    timeoutMs: 30_000,
  })
  // The router answers on its own address in the prefix.
  await waitFor('guest1 -> the router port 2001:db8:41::1', () => vm1.ping('2001:db8:41::1'), { timeoutMs: 30_000 })
})
