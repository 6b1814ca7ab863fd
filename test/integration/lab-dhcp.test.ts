// OVN native DHCPv4 in the lab, end to end: a switch made by lib/nb with DHCP (the MTU computed
// for Geneve over the lab's 1500-byte IPv4 underlay), two guests attached with `ips: 'dynamic'`
// on two hosts running the real ovn-controller, and in each guest namespace a real DHCP client
// (busybox udhcpc, scripts/ensure-deps.sh) that takes its address, router and MTU from what
// ovn-controller answers. Then a TCP transfer far larger than the MTU between the two guests,
// and a full-size ping with DF: what fails when the guest MTU is above what the tunnel carries.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLabPool } from '../../lab/pool.js'
import { centralNbRemotes, handChassis, plugUntilInstalled } from '../../lab/hand-chassis.js'
import { LabVm, tcpTransfer } from '../../lab/vm.js'
import type { LabHost } from '../../lab/host.js'
import { newUuid } from '../../lab/names.js'
import { waitFor } from '../../lab/wait.js'
import { attachPorts, connectNorthbound, ensureLogicalSwitch, listPorts } from '../../lib/nb/index.js'

const BOUND_TIMEOUT_MS = 90_000
const SUBNET = '198.18.20.0/24'
const ROUTER = '198.18.20.1'

// udhcpc runs this at each event ($1) with the lease in its environment (busybox
// networking/udhcp/dhcpc.c: ip, mask, router, mtu, ...): on `bound` it applies the address, the
// MTU and the route as a distribution's default script does, and keeps the environment it saw.
const SCRIPT = `#!/bin/sh
case "$1" in
  deconfig) ip addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
    [ -n "$router" ] && ip route replace default via "$router" dev "$interface"
    env > "$LEASE_FILE" ;;
esac
exit 0
`

/** The lease udhcpc saw (KEY=VALUE lines of its script's environment). */
function leaseOf(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  )
}

test('guests get their address and MTU 1442 from OVN native DHCP, and TCP larger than the MTU crosses hosts', async (t) => {
  const pool = await createLabPool({ hosts: 2 })
  t.after(() => pool.destroy())
  const { central } = pool
  const hosts = pool.hosts as [LabHost, LabHost]
  const ovnNetwork = newUuid()
  const dir = await mkdtemp(join(tmpdir(), 'xapi-ovn-dhcp-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const script = join(dir, 'udhcpc.script')
  await writeFile(script, SCRIPT, { mode: 0o755 })

  for (const host of hosts) await handChassis(host, { ovnNetwork, central })

  const nb = await connectNorthbound(centralNbRemotes(central), { timeoutMs: 20_000 })
  t.after(() => nb.close())
  // The lab's underlay is 1500 bytes of IPv4 and the chassis use Geneve: the defaults.
  const sw = await ensureLogicalSwitch(nb, 'tenant-dhcp', { subnet: SUBNET, dhcp: { router: ROUTER } })
  assert.equal(sw.dhcp?.options.mtu, '1442')

  const guests: LabVm[] = []
  for (const [i, host] of hosts.entries()) {
    // No address and the NIC's usual 1500: whatever they end up with comes from DHCP.
    const vm = await LabVm.create({ name: `dhcp-guest${i + 1}`, mtu: 1500 })
    t.after(() => vm.destroy())
    guests.push(vm)
    const vifUuid = newUuid()
    const attached = await attachPorts(nb, 'tenant-dhcp', [{ vifUuid, mac: vm.mac, ips: 'dynamic' }])
    assert.equal(attached.ports[0]?.action, 'created')
    await plugUntilInstalled(host, { vm, vifUuid, domid: 20 + i, ovnNetwork, timeoutMs: BOUND_TIMEOUT_MS })
  }

  const ports = await waitFor('northd to assign both dynamic addresses', async () => {
    const ps = await listPorts(nb, 'tenant-dhcp')
    return ps.length === 2 && ps.every((p) => p.dynamicAddresses !== null) ? ps : undefined
  })
  const addresses: string[] = []
  for (const [i, vm] of guests.entries()) {
    const leaseFile = join(dir, `lease${i}`)
    assert.equal((await vm.exec('ip', ['-o', '-4', 'addr', 'show', 'dev', 'eth0'])).stdout.trim(), '')
    // -q: exit once bound; -n: fail if no lease; the first DISCOVERs may race the last flows.
    const client = await vm.exec(
      'busybox',
      ['udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', '10', '-T', '1', '-O', 'mtu', '-s', script],
      { env: { LEASE_FILE: leaseFile }, check: false, timeoutMs: 60_000 },
    )
    assert.ok(client.ok, `udhcpc in ${vm.name} got no lease: ${client.stderr}`)
    const lease = leaseOf(await readFile(leaseFile, 'utf8'))
    const port = ports.find((p) => p.dynamicAddresses?.startsWith(vm.mac))
    // The address OVN handed out is the one ovn-northd gave the port, with the row's options.
    assert.equal(`${vm.mac} ${lease.get('ip')}`, port?.dynamicAddresses)
    assert.equal(lease.get('mtu'), '1442')
    assert.equal(lease.get('router'), ROUTER)
    assert.equal(lease.get('serverid'), ROUTER)
    assert.equal(lease.get('subnet'), '255.255.255.0')
    // ...and the guest applied it.
    assert.match((await vm.exec('ip', ['link', 'show', 'dev', 'eth0'])).stdout, / mtu 1442 /)
    const ip = lease.get('ip') ?? ''
    assert.match((await vm.exec('ip', ['-o', '-4', 'addr', 'show', 'dev', 'eth0'])).stdout, new RegExp(` ${ip}/24 `))
    addresses.push(ip)
  }

  const [vm1, vm2] = guests as [LabVm, LabVm]
  const [ip1, ip2] = addresses as [string, string]
  await waitFor('guest1 -> guest2 ping over Geneve', () => vm1.ping(ip2), { timeoutMs: 30_000 })
  assert.ok(await vm2.ping(ip1), 'guest2 -> guest1 ping')
  // A full 1442-byte IP packet with DF set crosses the tunnel: the MTU handed out fits it.
  assert.ok(await vm1.ping(ip2, { size: 1442 - 28, dontFragment: true }), 'full-MTU ping with DF')
  assert.equal(await tcpTransfer({ client: vm1, server: vm2, address: ip2, bytes: 1_000_000 }), 1_000_000)
})
