/**
 * lib/nb against a real standalone OVN_Northbound ovsdb-server, checked with the real ovn-nbctl:
 * what we write is what ovn-nbctl sees, 50 ports are one transaction (the database file's log
 * and a monitor both say so), re-runs write nothing, detach deletes the rows, and conflicts with
 * rows ovn-nbctl made are refused.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { OvsdbClient } from '../../lib/ovsdb/client.js'
import type { TableUpdates2 } from '../../lib/ovsdb/monitor.js'
import {
  addLocalnetPort,
  deleteLocalnetPort,
  listLocalnetPorts,
  attachPorts,
  connectNorthbound,
  deleteLogicalSwitch,
  detachPorts,
  ensureLogicalSwitch,
  listLogicalSwitches,
  listPorts,
} from '../../lib/nb/index.js'
import { waitFor } from '../../lab/wait.js'
import type { NbTransactor } from '../../lib/nb/snapshot.js'
import { NbDatabase } from './nb-server.js'
import { rejectionCode as code } from '../unit/error-code.js'

async function setup(t: TestContext): Promise<{ db: NbDatabase; nb: OvsdbClient }> {
  const db = await NbDatabase.standalone()
  t.after(() => db.destroy())
  const nb = await connectNorthbound(db.remotes, { timeoutMs: 20_000 })
  t.after(() => nb.close())
  return { db, nb }
}

function vif(i: number): string {
  return `0000${i.toString(16).padStart(4, '0')}-1111-4222-8333-${i.toString(16).padStart(12, '0')}`
}
function mac(i: number): string {
  return `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`
}

/** ovn-nbctl prints strings JSON-quoted when needed; this undoes it for simple values. */
function unquote(s: string): string {
  const t = s.trim()
  return t.startsWith('"') ? (JSON.parse(t) as string) : t
}

test('ensureLogicalSwitch creates the switch ovn-nbctl sees, with other_config:subnet; a re-run writes nothing', async (t) => {
  const { db, nb } = await setup(t)
  const made = await ensureLogicalSwitch(nb, 'tenant-a', {
    subnet: '192.0.2.0/24',
    externalIds: { 'xapi-ovn-network': 'ovn-int' },
  })
  assert.equal(made.created, true)
  assert.match(await db.nbctl(['show']), new RegExp(`switch ${made.uuid} \\(tenant-a\\)`))
  assert.equal(unquote(await db.nbctl(['get', 'Logical_Switch', 'tenant-a', 'other_config:subnet'])), '192.0.2.0/24')
  assert.equal(
    unquote(await db.nbctl(['get', 'Logical_Switch', 'tenant-a', 'external_ids:xapi-ovn-network'])),
    'ovn-int',
  )

  const records = (await db.showLog()).length
  const again = await ensureLogicalSwitch(nb, 'tenant-a', { subnet: '192.0.2.0/24' })
  assert.deepEqual(again, {
    uuid: made.uuid,
    name: 'tenant-a',
    created: false,
    changed: false,
    dryRun: false,
    dhcp: null,
    ipv6: null,
  })
  assert.equal((await db.showLog()).length, records, 'no transaction for an idempotent re-run')

  const changed = await ensureLogicalSwitch(nb, 'tenant-a', { subnet: '198.18.0.0/24' })
  assert.equal(changed.changed, true)
  assert.equal(unquote(await db.nbctl(['get', 'Logical_Switch', 'tenant-a', 'other_config:subnet'])), '198.18.0.0/24')
  assert.equal(
    unquote(await db.nbctl(['get', 'Logical_Switch', 'tenant-a', 'external_ids:xapi-ovn-network'])),
    'ovn-int',
    'keys not given are kept',
  )
  assert.deepEqual(
    (await listLogicalSwitches(nb)).map((s) => [s.name, s.subnet, s.portCount]),
    [['tenant-a', '198.18.0.0/24', 0]],
  )
})

test('50 ports attached in one call are ONE transaction; ovn-nbctl sees every address; detach removes the rows', async (t) => {
  const { db, nb } = await setup(t)
  await ensureLogicalSwitch(nb, 'tenant-a', { subnet: '192.0.2.0/24' })
  const ports = Array.from({ length: 50 }, (_, i) => ({ vifUuid: vif(i), mac: mac(i), ips: [`192.0.2.${i + 10}`] }))

  // A second connection watches Logical_Switch_Port: one notification per committed transaction.
  const watcher = await connectNorthbound(db.remotes)
  t.after(() => watcher.close())
  const notifications: TableUpdates2[] = []
  await watcher.monitorCond('OVN_Northbound', { Logical_Switch_Port: { columns: ['name'] } }, (u) =>
    notifications.push(u),
  )

  const before = (await db.showLog()).length
  const attached = await attachPorts(nb, 'tenant-a', ports)
  assert.equal(attached.changed, true)
  assert.ok(attached.ports.every((p) => p.action === 'created'))

  const log = await db.showLog()
  const fresh = log.slice(before)
  assert.equal(fresh.length, 1, 'exactly one transaction was committed')
  const [txn] = fresh
  assert.equal(txn?.comment, 'xapi-ovn: attach 50 new and 0 updated VIF port(s) on logical switch tenant-a')
  assert.equal(txn?.lines.filter((l) => l.startsWith('table Logical_Switch_Port insert row')).length, 50)

  await waitFor(
    'the monitor to see 50 ports',
    () => notifications.reduce((n, u) => n + Object.keys(u.Logical_Switch_Port ?? {}).length, 0) >= 50,
  )
  assert.equal(notifications.length, 1, 'the monitor got the 50 inserts in one update')

  // What ovn-nbctl sees.
  const listed = (await db.nbctl(['lsp-list', 'tenant-a'])).trim().split('\n')
  assert.equal(listed.length, 50)
  for (const [i, p] of ports.entries()) {
    assert.equal((await db.nbctl(['lsp-get-addresses', p.vifUuid])).trim(), `${mac(i)} 192.0.2.${i + 10}`)
    assert.equal((await db.nbctl(['lsp-get-type', p.vifUuid])).trim(), '')
    assert.equal((await db.nbctl(['lsp-get-ls', p.vifUuid])).trim(), `${attached.switchUuid} (tenant-a)`)
  }
  // And what we list.
  const ours = await listPorts(nb, 'tenant-a')
  assert.equal(ours.length, 50)
  assert.deepEqual(
    ours.map((p) => [p.name, p.addresses, p.up]),
    ports
      .map((p, i) => [p.vifUuid, [`${mac(i)} 192.0.2.${i + 10}`], null])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  )

  // Re-running changes nothing and commits nothing.
  const again = await attachPorts(nb, 'tenant-a', ports)
  assert.equal(again.changed, false)
  assert.deepEqual(
    again.ports.map((p) => p.uuid),
    attached.ports.map((p) => p.uuid),
  )
  assert.equal((await db.showLog()).length, log.length)

  // Detach: one transaction; the rows are gone, not just unlinked.
  const detached = await detachPorts(
    nb,
    ports.map((p) => p.vifUuid),
  )
  assert.equal(detached.removed.length, 50)
  assert.equal((await db.showLog()).length, log.length + 1)
  assert.equal((await db.nbctl(['lsp-list', 'tenant-a'])).trim(), '')
  assert.equal((await db.nbctl(['--bare', '--columns=_uuid', 'list', 'Logical_Switch_Port'])).trim(), '')
  assert.deepEqual((await detachPorts(nb, [vif(0)])).absent, [vif(0)])
})

test('updating a port ovn-nbctl made, and leaving alone one that already matches', async (t) => {
  const { db, nb } = await setup(t)
  await ensureLogicalSwitch(nb, 'tenant-a')
  // The one that already matches has its port_security too (attach sets it by default).
  await db.nbctl([
    'lsp-add',
    'tenant-a',
    vif(1),
    '--',
    'lsp-set-addresses',
    vif(1),
    `${mac(1)} 192.0.2.11`,
    '--',
    'lsp-set-port-security',
    vif(1),
    `${mac(1)} 192.0.2.11`,
  ])
  await db.nbctl(['lsp-add', 'tenant-a', vif(2), '--', 'lsp-set-addresses', vif(2), `${mac(2)} 192.0.2.99`])
  const records = (await db.showLog()).length
  const r = await attachPorts(nb, 'tenant-a', [
    { vifUuid: vif(1), mac: mac(1).toUpperCase(), ips: ['192.0.2.11'] },
    { vifUuid: vif(2), mac: mac(2), ips: ['192.0.2.12', '2001:db8::12'], externalIds: { 'xapi-vm-uuid': vif(9) } },
  ])
  assert.deepEqual(
    r.ports.map((p) => p.action),
    ['unchanged', 'updated'],
  )
  assert.equal((await db.showLog()).length, records + 1)
  assert.equal((await db.nbctl(['lsp-get-addresses', vif(1)])).trim(), `${mac(1)} 192.0.2.11`)
  assert.equal((await db.nbctl(['lsp-get-addresses', vif(2)])).trim(), `${mac(2)} 192.0.2.12 2001:db8::12`)
  // ovn-nbctl sees the anti-spoofing attach wrote: only that MAC and those IPs may send.
  assert.equal((await db.nbctl(['lsp-get-port-security', vif(2)])).trim(), `${mac(2)} 192.0.2.12 2001:db8::12`)
  assert.equal(unquote(await db.nbctl(['get', 'Logical_Switch_Port', vif(2), 'external_ids:xapi-vm-uuid'])), vif(9))
})

test('localnet port: ovn-nbctl sees type, options, addresses and the VLAN tag request; a change is an update', async (t) => {
  const { db, nb } = await setup(t)
  await ensureLogicalSwitch(nb, 'provider')
  const made = await addLocalnetPort(nb, 'provider', { name: 'provnet-mgmt', networkName: 'physnet-mgmt', vlan: 7 })
  assert.equal(made.action, 'created')
  assert.equal((await db.nbctl(['lsp-get-type', 'provnet-mgmt'])).trim(), 'localnet')
  assert.equal((await db.nbctl(['lsp-get-options', 'provnet-mgmt'])).trim(), 'network_name=physnet-mgmt')
  assert.equal((await db.nbctl(['lsp-get-addresses', 'provnet-mgmt'])).trim(), 'unknown')
  assert.equal((await db.nbctl(['get', 'Logical_Switch_Port', 'provnet-mgmt', 'tag_request'])).trim(), '7')
  assert.match(
    await db.nbctl(['show', 'provider']),
    /port provnet-mgmt\n\s+type: localnet\n\s+addresses: \["unknown"\]/,
  )

  assert.equal(
    (await addLocalnetPort(nb, 'provider', { name: 'provnet-mgmt', networkName: 'physnet-mgmt', vlan: 7 })).action,
    'unchanged',
  )
  const flat = await addLocalnetPort(nb, 'provider', { name: 'provnet-mgmt', networkName: 'physnet-flat' })
  assert.deepEqual([flat.action, flat.uuid], ['updated', made.uuid])
  assert.equal((await db.nbctl(['lsp-get-options', 'provnet-mgmt'])).trim(), 'network_name=physnet-flat')
  assert.equal((await db.nbctl(['get', 'Logical_Switch_Port', 'provnet-mgmt', 'tag_request'])).trim(), '[]')
})

test('conflicts and refusals against rows ovn-nbctl made', async (t) => {
  const { db, nb } = await setup(t)
  await ensureLogicalSwitch(nb, 'tenant-a')
  await db.nbctl([
    'ls-add',
    'tenant-b',
    '--',
    'lsp-add',
    'tenant-b',
    vif(1),
    '--',
    'lsp-add',
    'tenant-b',
    'router-port',
    '--',
    'lsp-set-type',
    'router-port',
    'router',
  ])
  const tenantB = unquote(await db.nbctl(['get', 'Logical_Switch', 'tenant-b', '_uuid']))
  const records = (await db.showLog()).length

  assert.equal(
    await code(
      attachPorts(nb, 'tenant-a', [
        { vifUuid: vif(0), mac: mac(0) },
        { vifUuid: vif(1), mac: mac(1) },
      ]),
    ),
    `OVN_NB_PORT_CONFLICT ${vif(1)}|tenant-b|it is on another logical switch (${tenantB}); detach it first`,
  )
  assert.equal(
    await code(attachPorts(nb, 'nowhere', [{ vifUuid: vif(0), mac: mac(0) }])),
    'OVN_NB_SWITCH_MISSING nowhere',
  )
  assert.equal(
    await code(attachPorts(nb, 'tenant-a', [{ vifUuid: vif(0), mac: mac(0), ips: 'dynamic' }])),
    'OVN_NB_SWITCH_NO_SUBNET tenant-a',
  )
  assert.equal(
    await code(addLocalnetPort(nb, 'tenant-a', { name: 'router-port', networkName: 'physnet' })),
    `OVN_NB_PORT_CONFLICT router-port|tenant-b|it is on another logical switch (${tenantB})`,
  )
  assert.equal(await code(deleteLogicalSwitch(nb, 'tenant-b')), 'OVN_NB_SWITCH_NOT_EMPTY tenant-b|2')
  assert.equal((await db.showLog()).length, records, 'nothing was written by refused calls')
  assert.equal(
    (await db.nbctl(['lsp-list', 'tenant-a'])).trim(),
    '',
    'the valid port of the refused batch was not attached',
  )

  // Two switches of the same name: OVN allows it (no name index); `create` makes them directly.
  await db.nbctl(['create', 'Logical_Switch', 'name=twin'])
  await db.nbctl(['create', 'Logical_Switch', 'name=twin'])
  assert.equal(await code(attachPorts(nb, 'twin', [])), 'OVN_NB_SWITCH_AMBIGUOUS twin|2')

  const forced = await deleteLogicalSwitch(nb, 'tenant-b', { force: true })
  assert.deepEqual([forced.deleted, forced.portCount], [true, 2])
  assert.equal(
    (await db.nbctl(['--bare', '--columns=name', 'find', 'Logical_Switch_Port', `name=${vif(1)}`])).trim(),
    '',
  )
  assert.doesNotMatch(await db.nbctl(['ls-list']), /tenant-b/)
})

test('two writers attaching at once (same switch, overlapping VIFs) both succeed, each port once', async (t) => {
  const { db, nb } = await setup(t)
  await ensureLogicalSwitch(nb, 'tenant-a')
  const other = await connectNorthbound(db.remotes)
  t.after(() => other.close())
  const batchA = Array.from({ length: 10 }, (_, i) => ({ vifUuid: vif(i), mac: mac(i) }))
  const batchB = Array.from({ length: 10 }, (_, i) => ({ vifUuid: vif(i + 5), mac: mac(i + 5) }))
  const [a, b] = await Promise.all([attachPorts(nb, 'tenant-a', batchA), attachPorts(other, 'tenant-a', batchB)])
  assert.equal(a.ports.length + b.ports.length, 20)
  const names = (await db.nbctl(['lsp-list', 'tenant-a']))
    .trim()
    .split('\n')
    .map((l) => /\((.*)\)/.exec(l)?.[1])
  assert.deepEqual(names.sort(), Array.from({ length: 15 }, (_, i) => vif(i)).sort())
  // Each VIF has one row, whoever created it; the overlap is reported as unchanged by one of them.
  const created = [...a.ports, ...b.ports].filter((p) => p.action === 'created').map((p) => p.vifUuid)
  assert.equal(new Set(created).size, created.length)
})

test('with ovn-northd running: dynamic addresses are assigned from the subnet and ports report up=false until bound', async (t) => {
  const { db, nb } = await setup(t)
  await db.startNorthd()
  await ensureLogicalSwitch(nb, 'tenant-a', { subnet: '192.0.2.0/24' })
  await attachPorts(nb, 'tenant-a', [{ vifUuid: vif(1), mac: mac(1), ips: 'dynamic' }])
  assert.equal((await db.nbctl(['lsp-get-addresses', vif(1)])).trim(), `${mac(1)} dynamic`)
  const port = await waitFor('northd to assign an address', async () => {
    const [p] = await listPorts(nb, 'tenant-a')
    return p?.dynamicAddresses ? p : undefined
  })
  assert.match(port.dynamicAddresses ?? '', new RegExp(`^${mac(1)} 192\\.0\\.2\\.([0-9]+)$`))
  const dyn = unquote(await db.nbctl(['get', 'Logical_Switch_Port', vif(1), 'dynamic_addresses']))
  assert.equal(dyn, port.dynamicAddresses)
  const up = await waitFor('northd to set up', async () => {
    const [p] = await listPorts(nb, 'tenant-a')
    return p?.up === null ? undefined : p
  })
  assert.equal(up.up, false)
  // Idempotence holds with northd's columns filled in.
  assert.equal((await attachPorts(nb, 'tenant-a', [{ vifUuid: vif(1), mac: mac(1), ips: 'dynamic' }])).changed, false)
})

test('a port of the same name added by ovn-nbctl between our read and our write: the server refuses ours, the re-read refuses the attach', async (t) => {
  const { db, nb } = await setup(t)
  await ensureLogicalSwitch(nb, 'tenant-a')
  await ensureLogicalSwitch(nb, 'tenant-b')
  const tenantB = unquote(await db.nbctl(['get', 'Logical_Switch', 'tenant-b', '_uuid']))
  // Our plan has no wait saying the name is free (that would scan the port table per name):
  // the Logical_Switch_Port name index must refuse the insert at commit.
  let raced = false
  const racing: NbTransactor = {
    transact: async (database, ops) => {
      if (!raced && ops.some((o) => o.op === 'insert')) {
        raced = true
        await db.nbctl(['lsp-add', 'tenant-b', vif(1)])
      }
      return nb.transact(database, ops)
    },
  }
  const records = (await db.showLog()).length
  assert.equal(
    await code(
      attachPorts(racing, 'tenant-a', [
        { vifUuid: vif(0), mac: mac(0) },
        { vifUuid: vif(1), mac: mac(1) },
      ]),
    ),
    `OVN_NB_PORT_CONFLICT ${vif(1)}|tenant-b|it is on another logical switch (${tenantB}); detach it first`,
  )
  assert.equal(raced, true)
  assert.equal((await db.showLog()).length, records + 1, "only ovn-nbctl's lsp-add was committed")
  assert.equal((await db.nbctl(['lsp-list', 'tenant-a'])).trim(), '')
  assert.match(await db.nbctl(['lsp-list', 'tenant-b']), new RegExp(`\\(${vif(1)}\\)`))
})

test('the localnet storm guard on a real NB: a second localnet port on one physical network writes nothing; list and del', async (t) => {
  const { db, nb } = await setup(t)
  await ensureLogicalSwitch(nb, 'provider')
  await ensureLogicalSwitch(nb, 'tenant-b')
  await addLocalnetPort(nb, 'provider', { name: 'provnet-mgmt', networkName: 'physnet-mgmt' })
  const records = (await db.showLog()).length
  // The README's command, run where that port already exists: nothing changes, and it says which.
  const same = await addLocalnetPort(nb, 'provider', { networkName: 'physnet-mgmt' })
  assert.deepEqual([same.action, same.name], ['unchanged', 'provnet-mgmt'])
  for (const [sw, spec] of [
    ['provider', { name: 'ln-second', networkName: 'physnet-mgmt' }],
    ['tenant-b', { networkName: 'physnet-mgmt' }],
  ] as const) {
    assert.equal(
      await code(addLocalnetPort(nb, sw, spec)),
      'OVN_NB_LOCALNET_LOOP physnet-mgmt|untagged|provnet-mgmt|provider',
    )
  }
  assert.equal((await db.showLog()).length, records, 'nothing was written')
  // Another VLAN of the same network is another broadcast domain: allowed.
  await addLocalnetPort(nb, 'tenant-b', { name: 'provnet-v20', networkName: 'physnet-mgmt', vlan: 20 })
  assert.deepEqual(
    (await listLocalnetPorts(nb)).map((l) => [l.switchName, l.name, l.networkName, l.vlan]),
    [
      ['provider', 'provnet-mgmt', 'physnet-mgmt', null],
      ['tenant-b', 'provnet-v20', 'physnet-mgmt', 20],
    ],
  )
  const removed = await deleteLocalnetPort(nb, 'provnet-mgmt')
  assert.equal(removed.removed?.switchName, 'provider')
  assert.equal((await db.nbctl(['lsp-list', 'provider'])).trim(), '')
  assert.equal(await code(deleteLocalnetPort(nb, 'provnet-mgmt')), 'OVN_NB_PORT_MISSING provnet-mgmt')
  assert.deepEqual(await deleteLocalnetPort(nb, 'provnet-mgmt', { ifExists: true }), { removed: null })
  // Now the switch may reach the network again.
  assert.equal((await addLocalnetPort(nb, 'provider', { networkName: 'physnet-mgmt' })).action, 'created')
})
