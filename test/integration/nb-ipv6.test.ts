/**
 * A switch's IPv6 (lib/nb/plan-ipv6.ts) against a real standalone OVN_Northbound and a real
 * ovn-northd, read back with the real ovn-nbctl and ovn-sbctl: other_config:ipv6_prefix, the mode
 * key and the DHCPv6 DHCP_Options row written in the switch's own transaction; northd giving a
 * `dynamic` port both its IPv4 address and the EUI-64 IPv6 address of its MAC; northd turning our
 * DHCPv6 row into the put_dhcpv6_opts flows (with the port's address as IA_NA for stateful, none
 * for stateless); static IPv6 refused outside the prefix or twice, writing nothing.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { OvsdbClient } from '../../lib/ovsdb/client.js'
import {
  attachPorts,
  connectNorthbound,
  deleteLogicalSwitch,
  ensureLogicalSwitch,
  listLogicalSwitches,
  listPorts,
  previewLogicalSwitch,
} from '../../lib/nb/index.js'
import { waitFor } from '../../lab/wait.js'
import { NbDatabase } from './nb-server.js'
import { rejectionCode as code } from '../unit/error-code.js'

const VIF1 = '11111111-1111-4111-8111-111111111111'
const VIF2 = '22222222-2222-4222-8222-222222222222'
const VIF3 = '33333333-3333-4333-8333-333333333333'
const PREFIX = '2001:db8:30::/64'

async function setup(t: TestContext): Promise<{ db: NbDatabase; nb: OvsdbClient }> {
  const db = await NbDatabase.standalone()
  t.after(() => db.destroy())
  const nb = await connectNorthbound(db.remotes, { timeoutMs: 20_000 })
  t.after(() => nb.close())
  return { db, nb }
}

function unquote(s: string): string {
  const t = s.trim()
  return t.startsWith('"') ? (JSON.parse(t) as string) : t
}

test('switch add with an IPv6 prefix and DHCPv6: one transaction; northd gives a dynamic port both families and answers DHCPv6 with its EUI-64 address', async (t) => {
  const { db, nb } = await setup(t)
  const before = (await db.showLog()).length
  const made = await ensureLogicalSwitch(nb, 'tenant-v6', {
    subnet: '198.18.30.0/24',
    dhcp: {},
    ipv6: { prefix: PREFIX, mode: 'dhcpv6-stateful', dnsServers: ['2001:db8::53'] },
  })
  assert.equal((await db.showLog()).length, before + 1, 'one transaction')
  assert.equal(made.ipv6?.action, 'created')
  const row = made.ipv6?.dhcpv6Uuid ?? ''
  assert.equal(unquote(await db.nbctl(['get', 'Logical_Switch', 'tenant-v6', 'other_config:ipv6_prefix'])), PREFIX)
  assert.equal(
    unquote(await db.nbctl(['get', 'Logical_Switch', 'tenant-v6', 'external_ids:"xapi-ovn:ipv6-mode"'])),
    'dhcpv6-stateful',
  )
  assert.equal(
    unquote(await db.nbctl(['get', 'Logical_Switch', 'tenant-v6', 'external_ids:"xapi-ovn:dhcpv6-options"'])),
    row,
  )
  assert.equal(unquote(await db.nbctl(['get', 'DHCP_Options', row, 'cidr'])), PREFIX)
  assert.deepEqual((await db.nbctl(['dhcp-options-get-options', row])).trim().split('\n').sort(), [
    'dns_server=2001:db8::53',
    'server_id=0a:59:00:30:00:00',
  ])
  // Both rows: the DHCPv4 one and the DHCPv6 one.
  assert.equal((await db.nbctl(['dhcp-options-list'])).trim().split('\n').length, 2)
  const switches = await listLogicalSwitches(nb)
  assert.deepEqual(
    switches.map((s) => [s.subnet, s.ipv6Prefix]),
    [['198.18.30.0/24', PREFIX]],
  )
  // northd from now on (it writes NB_Global, which would make the count above meaningless).
  await db.startNorthd()

  await attachPorts(nb, 'tenant-v6', [
    { vifUuid: VIF1, mac: '02:00:00:00:00:01', ips: 'dynamic' },
    { vifUuid: VIF2, mac: '02:00:00:00:00:02', ips: ['198.18.30.20', '2001:db8:30::20'] },
  ])
  for (const vif of [VIF1, VIF2])
    assert.equal(unquote(await db.nbctl(['get', 'Logical_Switch_Port', vif, 'dhcpv6_options'])), row, vif)
  const port = await waitFor('northd to assign both families', async () => {
    const p = (await listPorts(nb, 'tenant-v6')).find((x) => x.name === VIF1)
    return p?.dynamicAddresses ? p : undefined
  })
  // The IPv4 address from the subnet, and the prefix + the MAC as EUI-64 (02 -> 00, ff:fe inserted).
  assert.match(port.dynamicAddresses ?? '', /^02:00:00:00:00:01 198\.18\.30\.[0-9]+ 2001:db8:30::ff:fe00:1$/)
  assert.equal(port.dhcpv6Options, row)

  // northd accepted the row: a put_dhcpv6_opts flow per port address, the address as IA_NA.
  const flows = await waitFor('northd to write the DHCPv6 flows', async () => {
    const out = await db.sbctl(['lflow-list'])
    return out.includes('ia_addr = 2001:db8:30::ff:fe00:1') && out.includes('ia_addr = 2001:db8:30::20')
      ? out
      : undefined
  })
  assert.match(
    flows,
    /put_dhcpv6_opts\(ia_addr = 2001:db8:30::ff:fe00:1, dns_server = 2001:db8::53, server_id = 0a:59:00:30:00:00\)/,
  )

  // Stateless: the same row, updated in place; its flows carry no address.
  const stateless = await ensureLogicalSwitch(nb, 'tenant-v6', {
    subnet: '198.18.30.0/24',
    dhcp: {},
    ipv6: { prefix: PREFIX, mode: 'dhcpv6-stateless' },
  })
  assert.deepEqual([stateless.ipv6?.action, stateless.ipv6?.dhcpv6Uuid], ['updated', row])
  await waitFor('northd to write the stateless flows', async () => {
    const out = await db.sbctl(['lflow-list'])
    return out.includes('put_dhcpv6_opts(server_id = 0a:59:00:30:00:00)') && !out.includes('ia_addr') ? true : undefined
  })

  // slaac: the row goes (and the ports' links with it), the mode stays for the router port.
  const slaac = await ensureLogicalSwitch(nb, 'tenant-v6', { ipv6: { prefix: PREFIX } })
  assert.equal(slaac.ipv6?.action, 'deleted')
  assert.equal((await db.nbctl(['dhcp-options-list'])).trim().split('\n').length, 1, 'the DHCPv4 row stays')
  assert.equal(unquote(await db.nbctl(['get', 'Logical_Switch_Port', VIF1, 'dhcpv6_options'])), '[]')
  assert.equal(
    unquote(await db.nbctl(['get', 'Logical_Switch', 'tenant-v6', 'external_ids:"xapi-ovn:ipv6-mode"'])),
    'slaac',
  )
})

test('a switch with only an IPv6 prefix: a dynamic port gets its EUI-64 address alone; bad input and --dry-run write nothing', async (t) => {
  const { db, nb } = await setup(t)
  await db.startNorthd()
  await ensureLogicalSwitch(nb, 'v6-only', { ipv6: { prefix: PREFIX, mode: 'dhcpv6-stateful' } })
  await attachPorts(nb, 'v6-only', [
    { vifUuid: VIF1, mac: '0a:1b:2c:3d:4e:5f', ips: 'dynamic' },
    { vifUuid: VIF2, mac: '02:00:00:00:00:02', ips: ['2001:db8:30::20'] },
  ])
  const port = await waitFor('northd to assign the IPv6 address', async () => {
    const p = (await listPorts(nb, 'v6-only')).find((x) => x.name === VIF1)
    return p?.dynamicAddresses ? p : undefined
  })
  assert.equal(port.dynamicAddresses, '0a:1b:2c:3d:4e:5f 2001:db8:30:0:81b:2cff:fe3d:4e5f')

  const records = (await db.showLog()).length
  const refused: [() => Promise<unknown>, string][] = [
    [
      () => attachPorts(nb, 'v6-only', [{ vifUuid: VIF3, mac: '02:00:00:00:00:03', ips: ['2001:db8:31::3'] }]),
      "OVN_NB_ADDRESS_CONFLICT 2001:db8:31::3|v6-only|it is outside the switch's IPv6 prefix 2001:db8:30::/64",
    ],
    [
      () => attachPorts(nb, 'v6-only', [{ vifUuid: VIF3, mac: '02:00:00:00:00:03', ips: ['2001:db8:30:0::20'] }]),
      `OVN_NB_ADDRESS_CONFLICT 2001:db8:30:0::20|v6-only|port ${VIF2} already has it`,
    ],
    [
      () =>
        attachPorts(nb, 'v6-only', [
          { vifUuid: VIF3, mac: '02:00:00:00:00:03', ips: ['2001:db8:30:0:81b:2cff:fe3d:4e5f'] },
        ]),
      `OVN_NB_ADDRESS_CONFLICT 2001:db8:30:0:81b:2cff:fe3d:4e5f|v6-only|port ${VIF1} already has it`,
    ],
    [
      () => ensureLogicalSwitch(nb, 'v6-b', { ipv6: { prefix: '2001:db8:30::/56' } }),
      'OVN_INVALID_ARGUMENT ipv6.prefix|2001:db8:30::/56|the prefix length must be 64 (ovn-northd builds EUI-64 addresses on a /64 only)',
    ],
  ]
  for (const [call, want] of refused) assert.equal(await code(call()), want)
  const preview = await previewLogicalSwitch(nb, 'v6-b', { ipv6: { prefix: PREFIX, mode: 'dhcpv6-stateless' } })
  assert.deepEqual([preview.dryRun, preview.created, preview.ipv6?.action], [true, true, 'created'])
  assert.equal((await db.showLog()).length, records, 'nothing written')

  const gone = await deleteLogicalSwitch(nb, 'v6-only', { force: true })
  assert.notEqual(gone.dhcpv6Uuid, null)
  assert.equal((await db.nbctl(['dhcp-options-list'])).trim(), '', 'the DHCPv6 row goes with its switch')
})
