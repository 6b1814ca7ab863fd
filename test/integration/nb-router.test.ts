/**
 * Routers, SNAT and floating IPs (lib/nb/routers.ts) against a real standalone OVN_Northbound and
 * a real ovn-northd, read back with the real ovn-nbctl and ovn-sbctl: each command is ONE
 * transaction (one record in the database log), a re-run writes nothing, refused input writes
 * nothing, and what northd derives is there: the gateway's chassisredirect Port_Binding, the
 * HA_Chassis_Group in the southbound, the SNAT and the distributed floating IP in the router's
 * logical flows; and everything goes with `router del --force`.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { OvsdbClient } from '../../lib/ovsdb/client.js'
import {
  addFloatingIp,
  addLocalnetPort,
  addLogicalRouter,
  attachPorts,
  attachRouter,
  connectNorthbound,
  deleteFloatingIp,
  deleteLogicalRouter,
  detachRouter,
  ensureLogicalSwitch,
  listFloatingIps,
  listLogicalRouters,
  removeRouterGateway,
  setRouterGateway,
} from '../../lib/nb/index.js'
import { run } from '../../lab/exec.js'
import type { Operation } from '../../lib/ovsdb/operations.js'
import { OvsdbWaitFailedError } from '../../lib/ovsdb/errors.js'
import { waitFor } from '../../lab/wait.js'
import { NbDatabase } from './nb-server.js'
import { rejectionCode as code } from '../unit/error-code.js'

const VIF1 = '11111111-1111-4111-8111-111111111111'
const VIF2 = '22222222-2222-4222-8222-222222222222'
const VIF3 = '33333333-3333-4333-8333-333333333333'
const GW = { switch: 'provider', ip: '198.18.0.10/24', chassis: ['gw-a', 'gw-b'] }

async function setup(
  t: TestContext,
): Promise<{ db: NbDatabase; nb: OvsdbClient; sbctl: (a: string[]) => Promise<string> }> {
  const db = await NbDatabase.standalone()
  t.after(() => db.destroy())
  await db.startNorthd()
  const nb = await connectNorthbound(db.remotes, { timeoutMs: 20_000 })
  t.after(() => nb.close())
  await ensureLogicalSwitch(nb, 'tenant-a', { subnet: '198.18.10.0/24' })
  await ensureLogicalSwitch(nb, 'tenant-b', { subnet: '198.18.11.0/24' })
  await ensureLogicalSwitch(nb, 'provider', { subnet: '198.18.0.0/24' })
  await addLocalnetPort(nb, 'provider', { networkName: 'physnet-mgmt' })
  await attachPorts(nb, 'tenant-a', [
    { vifUuid: VIF1, mac: '02:00:00:00:00:01', ips: ['198.18.10.20'] },
    { vifUuid: VIF2, mac: '02:00:00:00:00:02', ips: ['198.18.10.21'] },
  ])
  const sb = `unix:${join(db.dir, 'sb.sock')}`
  const sbctl = async (args: string[]): Promise<string> =>
    (await run('ovn-sbctl', [`--db=${sb}`, '--timeout=20', ...args])).stdout
  return { db, nb, sbctl }
}

/** Our transactions in the database log (ovn-northd writes there too: NB_Global, ports' `up`). */
async function records(db: NbDatabase): Promise<number> {
  return (await db.showLog()).filter((r) => r.comment.startsWith('xapi-ovn:')).length
}

test('router add, attach, gateway, fip: one transaction each; northd makes the chassisredirect port, SNAT and a distributed FIP', async (t) => {
  const { db, nb, sbctl } = await setup(t)
  let before = await records(db)
  const r = await addLogicalRouter(nb, 'r1')
  assert.equal(r.action, 'created')
  assert.equal(await records(db), before + 1, 'one transaction')
  assert.equal((await addLogicalRouter(nb, 'r1')).action, 'unchanged')
  assert.equal(await records(db), before + 1, 'a re-run writes nothing')
  assert.match(await db.nbctl(['get', 'Logical_Router', 'r1', 'external_ids']), /"xapi-ovn:managed"="true"/)

  before = await records(db)
  const a = await attachRouter(nb, 'r1', 'tenant-a')
  assert.deepEqual(
    [a.action, a.network, a.routerPort, a.switchPort],
    ['created', '198.18.10.1/24', 'lrp-r1-tenant-a', 'lsp-tenant-a-r1'],
  )
  assert.equal(await records(db), before + 1)
  assert.equal((await attachRouter(nb, 'r1', 'tenant-a')).action, 'unchanged')
  assert.equal(await records(db), before + 1, 'attaching again writes nothing')
  assert.equal((await db.nbctl(['get', 'Logical_Switch_Port', 'lsp-tenant-a-r1', 'type'])).trim(), 'router')
  assert.equal((await db.nbctl(['get', 'Logical_Switch_Port', 'lsp-tenant-a-r1', 'addresses'])).trim(), '[router]')
  assert.equal(
    (await db.nbctl(['get', 'Logical_Router_Port', 'lrp-r1-tenant-a', 'networks'])).trim(),
    '["198.18.10.1/24"]',
  )

  before = await records(db)
  const g = await setRouterGateway(nb, 'r1', GW)
  assert.deepEqual(
    [g.action, g.network, g.chassis, g.snatAdded],
    [
      'created',
      '198.18.0.10/24',
      [
        { chassis: 'gw-a', priority: 100 },
        { chassis: 'gw-b', priority: 90 },
      ],
      1,
    ],
  )
  assert.equal(await records(db), before + 1, 'gateway port, HA group, peer port and SNAT in one transaction')
  assert.equal((await setRouterGateway(nb, 'r1', GW)).action, 'unchanged')
  assert.equal(await records(db), before + 1)
  assert.match(await db.nbctl(['lr-nat-list', 'r1']), /snat\s+198\.18\.0\.10\s+198\.18\.10\.0\/24/)
  // ovn-northd: a distributed gateway port gets its chassisredirect port, the group its SB copy.
  await waitFor('the chassisredirect port', async () =>
    (await sbctl(['--bare', '--columns=type', 'find', 'Port_Binding', 'logical_port=cr-lrp-r1-gw'])).trim() ===
    'chassisredirect'
      ? true
      : undefined,
  )
  assert.match(await sbctl(['--bare', '--columns=name', 'list', 'HA_Chassis_Group']), /cr-lrp-r1-gw|r1-gw/)
  await waitFor('the SNAT flow', async () =>
    (await sbctl(['lflow-list', 'r1'])).includes('ct_snat(198.18.0.10)') ? true : undefined,
  )

  // A second tenant switch attached later gets its SNAT row in its attach transaction.
  before = await records(db)
  const b = await attachRouter(nb, 'r1', 'tenant-b')
  assert.deepEqual([b.network, b.snatAdded], ['198.18.11.1/24', 1])
  assert.equal(await records(db), before + 1)
  assert.match(await db.nbctl(['lr-nat-list', 'r1']), /198\.18\.11\.0\/24/)

  before = await records(db)
  const f = await addFloatingIp(nb, { vifUuid: VIF1, ip: '198.18.0.50' })
  assert.deepEqual(
    [f.action, f.fip.logicalIp, f.fip.externalMac, f.fip.distributed, f.fip.routerName],
    ['created', '198.18.10.20', '0a:58:c6:12:00:32', true, 'r1'],
  )
  assert.equal(await records(db), before + 1)
  assert.equal((await addFloatingIp(nb, { vifUuid: VIF1, ip: '198.18.0.50' })).action, 'unchanged')
  assert.equal(await records(db), before + 1)
  const flows = await waitFor('the FIP flows', async () => {
    const text = await sbctl(['lflow-list', 'r1'])
    return /ct_dnat(_in_czone)?\(198\.18\.10\.20\)/.test(text) ? text : undefined
  })
  // Distributed: the VM's own chassis answers ARP for the FIP and does its SNAT (the flows are
  // guarded by the VM port being resident there, not the chassisredirect port).
  const resident = `is_chassis_resident\\("${VIF1}"\\)`
  assert.match(
    flows,
    new RegExp(`arp.tpa == 198.18.0.50 && ${resident}\\), action=\\(eth.dst = eth.src; eth.src = 0a:58:c6:12:00:32`),
  )
  assert.match(
    flows,
    new RegExp(
      `ip4.src == 198.18.10.20 && outport == "lrp-r1-gw" && ${resident}.*ct_snat(_in_czone)?\\(198.18.0.50\\)`,
    ),
  )
  // The subnet's SNAT is centralized: on the chassis the gateway is active on.
  assert.match(
    flows,
    /ip4.src == 198.18.10.0\/24 && outport == "lrp-r1-gw" && is_chassis_resident\("cr-lrp-r1-gw"\).*ct_snat(_in_czone)?\(198.18.0.10\)/,
  )

  const routers = await listLogicalRouters(nb)
  assert.deepEqual(
    routers.map((x) => [
      x.name,
      x.owned,
      x.switches.map((s) => s.switchName),
      x.gateway?.switchName,
      x.snat.length,
      x.fips,
    ]),
    [['r1', true, ['tenant-a', 'tenant-b'], 'provider', 2, 1]],
  )
  assert.deepEqual(
    (await listFloatingIps(nb)).map((x) => [x.ip, x.vifUuid]),
    [['198.18.0.50', VIF1]],
  )
})

test('refused before any write: bad address, unknown router or switch, outside the provider subnet, FIP used, switch attached, foreign router', async (t) => {
  const { db, nb } = await setup(t)
  await addLogicalRouter(nb, 'r1')
  await addLogicalRouter(nb, 'r2')
  await attachRouter(nb, 'r1', 'tenant-a')
  await setRouterGateway(nb, 'r1', GW)
  await addFloatingIp(nb, { vifUuid: VIF1, ip: '198.18.0.50' })
  await db.nbctl(['lr-add', 'foreign'])
  const before = await records(db)
  assert.equal(
    await code(setRouterGateway(nb, 'r1', { ...GW, ip: '198.18.0.10' })),
    'OVN_INVALID_ARGUMENT ip|198.18.0.10|expected an IPv4 address with its prefix length, such as 198.18.0.10/24',
  )
  assert.equal(await code(attachRouter(nb, 'nope', 'tenant-b')), 'OVN_NB_ROUTER_MISSING nope')
  assert.equal(await code(attachRouter(nb, 'r1', 'nope')), 'OVN_NB_SWITCH_MISSING nope')
  assert.equal(
    await code(setRouterGateway(nb, 'r2', { ...GW, ip: '198.18.1.10/24' })),
    "OVN_NB_ADDRESS_CONFLICT 198.18.1.10/24|provider|outside the provider switch's subnet 198.18.0.0/24",
  )
  assert.equal(
    await code(setRouterGateway(nb, 'r2', GW)),
    'OVN_NB_ADDRESS_CONFLICT 198.18.0.10|provider|router r1 has it (port lrp-r1-gw)',
  )
  assert.equal(await code(setRouterGateway(nb, 'r2', { ...GW, switch: 'tenant-b' })), 'OVN_NB_NOT_PROVIDER tenant-b')
  assert.equal(
    await code(addFloatingIp(nb, { vifUuid: VIF2, ip: '198.18.0.50' })),
    `OVN_NB_FIP_CONFLICT 198.18.0.50|a dnat_and_snat NAT row has it already (port ${VIF1})`,
  )
  assert.equal(
    await code(addFloatingIp(nb, { vifUuid: VIF2, ip: '198.18.5.50' })),
    "OVN_NB_ADDRESS_CONFLICT 198.18.5.50|provider|outside the provider network 198.18.0.0/24 of router r1's gateway",
  )
  assert.equal(
    await code(addFloatingIp(nb, { vifUuid: VIF2, ip: '198.18.0.10' })),
    "OVN_NB_FIP_CONFLICT 198.18.0.10|it is router r1's gateway address",
  )
  assert.equal(
    await code(attachRouter(nb, 'r2', 'tenant-a')),
    'OVN_NB_ROUTER_ATTACHED tenant-a|r2|the switch is attached to router r1 already',
  )
  assert.equal(await code(attachRouter(nb, 'foreign', 'tenant-b')), 'OVN_NB_ROUTER_FOREIGN foreign')
  assert.equal(await code(deleteLogicalRouter(nb, 'foreign')), 'OVN_NB_ROUTER_FOREIGN foreign')
  assert.equal(
    await code(deleteLogicalRouter(nb, 'r1')),
    'OVN_NB_ROUTER_NOT_EMPTY r1|1 attached switch(es), a gateway, 1 floating IP(s)',
  )
  // The gateway address is taken on the switch: a VM port cannot have it.
  assert.equal(
    await code(attachPorts(nb, 'tenant-a', [{ vifUuid: VIF3, mac: '02:00:00:00:00:03', ips: ['198.18.10.1'] }])),
    'OVN_NB_ADDRESS_CONFLICT 198.18.10.1|tenant-a|port lsp-tenant-a-r1 already has it',
  )
  const dry = await attachRouter(nb, 'r2', 'tenant-b', { dryRun: true })
  assert.deepEqual([dry.action, dry.dryRun], ['created', true])
  assert.equal(await records(db), before, 'nothing written')
  assert.equal(
    (await db.nbctl(['--bare', '--columns=name', 'find', 'Logical_Router', 'name=foreign'])).trim(),
    'foreign',
  )
})

test('fip del, router detach, gateway --remove and router del --force undo it all; nothing of ours is left', async (t) => {
  const { db, nb } = await setup(t)
  await addLogicalRouter(nb, 'r1')
  await attachRouter(nb, 'r1', 'tenant-a')
  await attachRouter(nb, 'r1', 'tenant-b')
  await setRouterGateway(nb, 'r1', GW)
  await addFloatingIp(nb, { vifUuid: VIF1, ip: '198.18.0.50' })
  await addFloatingIp(nb, { vifUuid: VIF2, ip: '198.18.0.51', centralized: true })
  assert.deepEqual(
    (await listFloatingIps(nb)).map((f) => [f.ip, f.distributed]),
    [
      ['198.18.0.50', true],
      ['198.18.0.51', false],
    ],
  )
  let before = await records(db)
  assert.deepEqual(
    (await deleteFloatingIp(nb, { ip: '198.18.0.51' })).removed.map((f) => f.vifUuid),
    [VIF2],
  )
  assert.equal(await records(db), before + 1)
  assert.deepEqual((await deleteFloatingIp(nb, { ip: '198.18.0.51' })).removed, [])
  assert.equal(await records(db), before + 1, 'removing what is gone writes nothing')

  before = await records(db)
  const d = await detachRouter(nb, 'r1', 'tenant-a')
  assert.deepEqual([d.action, d.snatRemoved, d.fipsRemoved], ['removed', 1, 1])
  assert.equal(await records(db), before + 1)
  assert.equal((await detachRouter(nb, 'r1', 'tenant-a')).action, 'unchanged')
  assert.doesNotMatch(await db.nbctl(['lr-nat-list', 'r1']), /198\.18\.10\.0/)

  const rm = await removeRouterGateway(nb, 'r1')
  assert.deepEqual([rm.action, rm.snatRemoved], ['removed', 1])
  assert.equal((await db.nbctl(['--bare', '--columns=_uuid', 'list', 'HA_Chassis_Group'])).trim(), '')
  await setRouterGateway(nb, 'r1', GW)

  before = await records(db)
  const del = await deleteLogicalRouter(nb, 'r1', { force: true })
  assert.deepEqual([del.deleted, del.switches, del.gateway], [true, ['tenant-b'], true])
  assert.equal(await records(db), before + 1)
  for (const table of ['Logical_Router', 'Logical_Router_Port', 'NAT', 'HA_Chassis_Group', 'HA_Chassis'])
    assert.equal((await db.nbctl(['--bare', '--columns=_uuid', 'list', table])).trim(), '', `${table} empty`)
  assert.deepEqual(
    (await db.nbctl(['--bare', '--columns=name', 'find', 'Logical_Switch_Port', 'type=router'])).trim(),
    '',
    'no router port left on the switches',
  )
  assert.equal((await deleteLogicalRouter(nb, 'r1', { ifExists: true })).deleted, false)
})

test('attach on a switch with ipv6_prefix: ovn-northd answers router solicitations in the mode the switch names', async (t) => {
  const { nb, sbctl } = await setup(t)
  // The IPv6 keys as `switch add --ipv6-prefix --ipv6-mode` writes them (plan-ipv6.ts).
  await ensureLogicalSwitch(nb, 'tenant-v6', {
    subnet: '198.18.12.0/24',
    ipv6: { prefix: '2001:db8:12::/64', mode: 'dhcpv6-stateful' },
  })
  await addLogicalRouter(nb, 'r1')
  const a = await attachRouter(nb, 'r1', 'tenant-v6')
  assert.deepEqual([a.network, a.ipv6], ['198.18.12.1/24', '2001:db8:12::1/64'])
  const flows = await waitFor('the RA flows', async () => {
    const text = await sbctl(['lflow-list', 'r1'])
    return text.includes('put_nd_ra_opts') ? text : undefined
  })
  assert.match(flows, /put_nd_ra_opts\(addr_mode = "dhcpv6_stateful", slla = 0a:58:c6:12:0c:01/)
  assert.match(flows, /prefix = 2001:db8:12::\/64/)
  // No DHCPv4 row on the switch: the guest MTU of Geneve over a 1500-byte IPv4 underlay.
  assert.match(flows, /mtu = 1442/)
})

test('a write planned on a stale read is refused by its guards, re-planned, and then refused for what changed', async (t) => {
  const { db, nb } = await setup(t)
  const other = await connectNorthbound(db.remotes, { timeoutMs: 20_000 })
  t.after(() => other.close())
  await addLogicalRouter(nb, 'r1')
  await addLogicalRouter(nb, 'r2')
  // Client A reads, then its write is held until client B has attached the same switch to r2.
  let release: () => void = () => undefined
  const held = new Promise<void>((resolve) => {
    release = resolve
  })
  let calls = 0
  let waitsFailed = 0
  const gated = {
    async transact(dbName: string, ops: readonly Operation[]): Promise<readonly unknown[]> {
      calls += 1
      if (calls === 2) await held
      try {
        return await nb.transact(dbName, ops)
      } catch (e) {
        if (e instanceof OvsdbWaitFailedError) waitsFailed += 1
        throw e
      }
    },
  }
  const a = code(attachRouter(gated, 'r1', 'tenant-b'))
  await waitFor('A has read', async () => (calls >= 2 ? true : undefined))
  const b = await attachRouter(other, 'r2', 'tenant-b')
  assert.equal(b.action, 'created')
  release()
  assert.equal(await a, 'OVN_NB_ROUTER_ATTACHED tenant-b|r1|the switch is attached to router r2 already')
  assert.equal(waitsFailed, 1, "A's first write failed on its wait, nothing of it committed")
  assert.equal(
    (await db.nbctl(['--bare', '--columns=name', 'find', 'Logical_Switch_Port', 'type=router'])).trim(),
    'lsp-tenant-b-r2',
  )
  assert.equal(
    (await db.nbctl(['--bare', '--columns=name', 'find', 'Logical_Router_Port', 'name=lrp-r1-tenant-b'])).trim(),
    '',
  )
})
