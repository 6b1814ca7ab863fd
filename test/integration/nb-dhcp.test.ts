/**
 * A switch's OVN native DHCPv4 (lib/nb/plan-dhcp.ts) against a real standalone OVN_Northbound,
 * read back with the real ovn-nbctl: the DHCP_Options row is written in the switch's own
 * transaction (one record in the database log), linked both ways, updated in place by a re-run,
 * deleted with the switch; ports attached to it are linked; bad input and --dry-run write nothing.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { OvsdbClient } from '../../lib/ovsdb/client.js'
import {
  attachPorts,
  connectNorthbound,
  deleteLogicalSwitch,
  ensureLogicalSwitch,
  listPorts,
  previewLogicalSwitch,
} from '../../lib/nb/index.js'
import { waitFor } from '../../lab/wait.js'
import { NbDatabase } from './nb-server.js'
import { rejectionCode as code } from '../unit/error-code.js'

const VIF1 = '11111111-1111-4111-8111-111111111111'
const VIF2 = '22222222-2222-4222-8222-222222222222'

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

/** `ovn-nbctl dhcp-options-list`: one UUID a line. */
async function dhcpRows(db: NbDatabase): Promise<string[]> {
  return (await db.nbctl(['dhcp-options-list'])).split('\n').filter((l) => l.trim() !== '')
}

test('switch add with DHCP: one transaction writes switch and DHCP_Options, linked; a re-run updates the row in place', async (t) => {
  const { db, nb } = await setup(t)
  const before = (await db.showLog()).length
  const made = await ensureLogicalSwitch(nb, 'tenant-a', {
    subnet: '198.18.10.0/24',
    dhcp: { router: '198.18.10.1', dnsServers: ['198.18.0.53'] },
  })
  assert.equal((await db.showLog()).length, before + 1, 'one transaction')
  assert.equal(made.dhcp?.action, 'created')
  const rows = await dhcpRows(db)
  assert.deepEqual(rows, [made.dhcp?.uuid])
  assert.equal(
    unquote(await db.nbctl(['get', 'Logical_Switch', 'tenant-a', 'external_ids:"xapi-ovn:dhcpv4-options"'])),
    made.dhcp?.uuid,
  )
  assert.equal(unquote(await db.nbctl(['get', 'DHCP_Options', rows[0] ?? '', 'cidr'])), '198.18.10.0/24')
  assert.equal(
    unquote(await db.nbctl(['get', 'DHCP_Options', rows[0] ?? '', 'external_ids:"xapi-ovn:switch"'])),
    'tenant-a',
  )
  const options = (await db.nbctl(['dhcp-options-get-options', rows[0] ?? ''])).trim().split('\n').sort()
  assert.deepEqual(options, [
    'dns_server=198.18.0.53',
    'lease_time=3600',
    'mtu=1442',
    'router=198.18.10.1',
    'server_id=198.18.10.1',
    'server_mac=0a:58:c6:12:0a:01',
  ])
  assert.equal(
    unquote(await db.nbctl(['get', 'Logical_Switch', 'tenant-a', 'other_config:exclude_ips'])),
    '198.18.10.1',
  )

  const records = (await db.showLog()).length
  const same = await ensureLogicalSwitch(nb, 'tenant-a', {
    subnet: '198.18.10.0/24',
    dhcp: { router: '198.18.10.1', dnsServers: ['198.18.0.53'] },
  })
  assert.equal(same.changed, false)
  assert.equal((await db.showLog()).length, records, 'an idempotent re-run writes nothing')

  const updated = await ensureLogicalSwitch(nb, 'tenant-a', {
    subnet: '198.18.10.0/24',
    dhcp: { router: '198.18.10.1', underlayMtu: 9000 },
  })
  assert.equal(updated.dhcp?.action, 'updated')
  assert.deepEqual(await dhcpRows(db), rows, 'the same row, not another')
  assert.equal(unquote(await db.nbctl(['dhcp-options-get-options', rows[0] ?? ''])).includes('mtu=8942'), true)
  assert.equal(
    (await db.nbctl(['dhcp-options-get-options', rows[0] ?? ''])).includes('dns_server'),
    false,
    'a DNS server no longer asked for is gone',
  )
})

test('ports attached to a DHCP switch are linked to its row; DHCP turned on later links the ports already there', async (t) => {
  const { db, nb } = await setup(t)
  await db.startNorthd()
  await ensureLogicalSwitch(nb, 'tenant-a', { subnet: '198.18.10.0/24' })
  await attachPorts(nb, 'tenant-a', [{ vifUuid: VIF1, mac: '02:00:00:00:00:01', ips: 'dynamic' }])
  const on = await ensureLogicalSwitch(nb, 'tenant-a', { subnet: '198.18.10.0/24', dhcp: {} })
  assert.equal(on.dhcp?.linkedPorts, 1)
  assert.equal(unquote(await db.nbctl(['get', 'Logical_Switch_Port', VIF1, 'dhcpv4_options'])), on.dhcp?.uuid)
  await attachPorts(nb, 'tenant-a', [{ vifUuid: VIF2, mac: '02:00:00:00:00:02', ips: ['198.18.10.20'] }])
  assert.equal(unquote(await db.nbctl(['get', 'Logical_Switch_Port', VIF2, 'dhcpv4_options'])), on.dhcp?.uuid)
  // The server's address (no router: the subnet's first) is not handed to a dynamic port.
  const port = await waitFor('northd to assign an address', async () => {
    const p = (await listPorts(nb, 'tenant-a')).find((x) => x.name === VIF1)
    return p?.dynamicAddresses ? p : undefined
  })
  assert.match(port.dynamicAddresses ?? '', /^02:00:00:00:00:01 198\.18\.10\.([0-9]+)$/)
  assert.notEqual(port.dynamicAddresses, '02:00:00:00:00:01 198.18.10.1')
  assert.equal(port.dhcpv4Options, on.dhcp?.uuid)
})

test('switch del removes the DHCP_Options row with the switch; bad input and --dry-run write nothing', async (t) => {
  const { db, nb } = await setup(t)
  const records = (await db.showLog()).length
  assert.equal(
    await code(ensureLogicalSwitch(nb, 'tenant-a', { subnet: '198.18.10.0/24', dhcp: { router: '198.18.99.1' } })),
    "OVN_INVALID_ARGUMENT dhcp.router|198.18.99.1|not inside the switch's subnet 198.18.10.0/24",
  )
  assert.equal(
    await code(ensureLogicalSwitch(nb, 'tenant-a', { subnet: '198.18.10.0/24', dhcp: { dnsServers: ['dns'] } })),
    'OVN_INVALID_ARGUMENT dhcp.dnsServers[0]|dns|expected an IPv4 host address',
  )
  const preview = await previewLogicalSwitch(nb, 'tenant-a', { subnet: '198.18.10.0/24', dhcp: {} })
  assert.deepEqual([preview.dryRun, preview.created, preview.uuid, preview.dhcp?.action], [true, true, null, 'created'])
  assert.equal((await db.showLog()).length, records, 'nothing written')

  const made = await ensureLogicalSwitch(nb, 'tenant-a', { subnet: '198.18.10.0/24', dhcp: {} })
  const dry = await deleteLogicalSwitch(nb, 'tenant-a', { dryRun: true })
  assert.deepEqual([dry.deleted, dry.dryRun, dry.dhcpUuid], [true, true, made.dhcp?.uuid])
  assert.deepEqual(await dhcpRows(db), [made.dhcp?.uuid])
  const before = (await db.showLog()).length
  const gone = await deleteLogicalSwitch(nb, 'tenant-a')
  assert.equal(gone.dhcpUuid, made.dhcp?.uuid)
  assert.equal((await db.showLog()).length, before + 1, 'one transaction')
  assert.deepEqual(await dhcpRows(db), [])
})
