/**
 * Security groups (lib/nb/security-groups.ts) against a real standalone OVN_Northbound and
 * ovn-northd, read back with the real ovn-nbctl and ovn-sbctl: each command is ONE transaction
 * (one record in the database log, none for a re-run or a dry run); the ACLs are Neutron's
 * (priority 1002 allow-related, drop group at 1001) and ovn-northd compiles them (logical flows
 * in the ACL stages, the group's address set filled with its ports' IPs); membership goes with the
 * drop group; foreign port groups and ACLs are never touched; bad input writes nothing.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { OvsdbClient } from '../../lib/ovsdb/client.js'
import {
  addSecurityGroupRules,
  attachPorts,
  connectNorthbound,
  deleteSecurityGroup,
  deleteSecurityGroupRule,
  ensureLogicalSwitch,
  ensureSecurityGroups,
  listSecurityGroups,
  setPortSecurityGroups,
} from '../../lib/nb/index.js'
import { run } from '../../lab/exec.js'
import { waitFor } from '../../lab/wait.js'
import { NbDatabase } from './nb-server.js'
import { rejectionCode as code } from '../unit/error-code.js'

const VIF1 = '11111111-1111-4111-8111-111111111111'
const VIF2 = '22222222-2222-4222-8222-222222222222'

async function setup(t: TestContext, northd = false): Promise<{ db: NbDatabase; nb: OvsdbClient }> {
  const db = await NbDatabase.standalone()
  t.after(() => db.destroy())
  if (northd) await db.startNorthd()
  const nb = await connectNorthbound(db.remotes, { timeoutMs: 20_000 })
  t.after(() => nb.close())
  return { db, nb }
}

async function records(db: NbDatabase): Promise<number> {
  return (await db.showLog()).length
}

/** `ovn-nbctl get Port_Group NAME ports`, as port names. */
async function members(db: NbDatabase, pg: string): Promise<string[]> {
  const uuids = (await db.nbctl(['get', 'Port_Group', pg, 'ports'])).trim().replace(/[[\]]/g, '')
  const out: string[] = []
  for (const u of uuids
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean))
    out.push(JSON.parse((await db.nbctl(['get', 'Logical_Switch_Port', u, 'name'])).trim()) as string)
  return out.sort()
}

async function withPorts(nb: OvsdbClient): Promise<void> {
  await ensureLogicalSwitch(nb, 'tenant-a', { subnet: '198.18.30.0/24' })
  await attachPorts(nb, 'tenant-a', [
    { vifUuid: VIF1, mac: '02:00:00:00:00:01', ips: ['198.18.30.11'] },
    { vifUuid: VIF2, mac: '02:00:00:00:00:02', ips: ['198.18.30.12'] },
  ])
}

test('sg add and rule add: one transaction each, Neutron-style ACLs, the drop group with the first group; re-runs write nothing', async (t) => {
  const { db, nb } = await setup(t)
  const before = await records(db)
  const made = await ensureSecurityGroups(nb, [{ name: 'web' }])
  assert.equal(made.groups[0]?.action, 'created')
  assert.equal(made.dropGroupCreated, true)
  assert.equal(await records(db), before + 1, 'one transaction')
  // ovn-nbctl lists the drop group's ACLs as Neutron's neutron_pg_drop has them.
  const dropAcls = await db.nbctl(['acl-list', 'xapi_ovn_pg_drop'])
  assert.match(dropAcls, /from-lport {2}1001 \(inport == @xapi_ovn_pg_drop && ip\) drop/)
  assert.match(dropAcls, /to-lport {2}1001 \(outport == @xapi_ovn_pg_drop && ip\) drop/)

  const added = await addSecurityGroupRules(nb, 'web', [
    { direction: 'ingress', protocol: 'tcp', ports: 22, remoteCidr: '198.18.30.0/24' },
    { direction: 'ingress', protocol: 'tcp', ports: '8000-8080' },
    { direction: 'egress', protocol: 'icmp', family: 'ip6' },
  ])
  assert.deepEqual(
    added.groups[0]?.rules.map((r) => r.action),
    ['created', 'created', 'created'],
  )
  assert.equal(await records(db), before + 2, 'three rules: one transaction')
  const acls = await db.nbctl(['acl-list', 'xapi_ovn_sg_web'])
  assert.match(
    acls,
    /to-lport {2}1002 \(outport == @xapi_ovn_sg_web && ip4 && ip4.src == 198.18.30.0\/24 && tcp && tcp.dst == 22\) allow-related/,
  )
  assert.match(acls, /outport == @xapi_ovn_sg_web && ip4 && tcp && tcp.dst >= 8000 && tcp.dst <= 8080/)
  assert.match(acls, /from-lport {2}1002 \(inport == @xapi_ovn_sg_web && ip6 && icmp6\) allow-related/)

  // Again: nothing to write, nothing written.
  const again = await addSecurityGroupRules(nb, 'web', [
    { direction: 'ingress', protocol: 'tcp', ports: '22-22', remoteCidr: '198.18.30.0/24' },
  ])
  assert.equal(again.changed, false)
  assert.equal((await ensureSecurityGroups(nb, [{ name: 'web' }])).changed, false)
  assert.equal(await records(db), before + 2)

  const [listed] = await listSecurityGroups(nb)
  assert.equal(listed?.name, 'web')
  assert.deepEqual(
    listed?.rules.map((r) => r.key),
    ['egress ip6 icmp to any', 'ingress ip4 tcp 22-22 from 198.18.30.0/24', 'ingress ip4 tcp 8000-8080 from any'],
  )

  const removed = await deleteSecurityGroupRule(nb, 'web', {
    direction: 'ingress',
    protocol: 'tcp',
    ports: '8000-8080',
  })
  assert.notEqual(removed.aclUuid, null)
  assert.doesNotMatch(await db.nbctl(['acl-list', 'xapi_ovn_sg_web']), /8000/)
  assert.equal(
    await code(deleteSecurityGroupRule(nb, 'web', { direction: 'ingress', protocol: 'tcp', ports: '8000-8080' })),
    'OVN_NB_SG_RULE_MISSING web|ingress ip4 tcp 8000-8080 from any',
  )
  // The ACL went with its reference (ACL is not a root table).
  assert.doesNotMatch(await db.nbctl(['--columns=match', 'list', 'ACL']), /8000/)
})

test('membership: a port goes into its groups and the drop group; out of ours again; a foreign port group keeps it', async (t) => {
  const { db, nb } = await setup(t)
  await withPorts(nb)
  await ensureSecurityGroups(nb, [{ name: 'web' }, { name: 'db' }])
  // Someone else's port group with the same port in it.
  await db.nbctl(['pg-add', 'ops_monitoring', VIF1])
  await db.nbctl(['acl-add', 'ops_monitoring', 'to-lport', '900', 'outport == @ops_monitoring && ip4', 'allow'])

  const before = await records(db)
  const set1 = await setPortSecurityGroups(nb, [
    { port: VIF1, groups: ['web', 'db'] },
    { port: VIF2, groups: ['web'] },
  ])
  assert.deepEqual([...set1.changed].sort(), [VIF1, VIF2])
  assert.equal(await records(db), before + 1, 'one transaction')
  assert.deepEqual(await members(db, 'xapi_ovn_sg_web'), [VIF1, VIF2])
  assert.deepEqual(await members(db, 'xapi_ovn_sg_db'), [VIF1])
  assert.deepEqual(await members(db, 'xapi_ovn_pg_drop'), [VIF1, VIF2])
  assert.equal((await setPortSecurityGroups(nb, [{ port: VIF2, groups: ['web'] }])).changed.length, 0)
  assert.equal(await records(db), before + 1, 'a re-run writes nothing')

  // VIF1 out of every group of ours: out of the drop group too; the foreign group keeps it.
  await setPortSecurityGroups(nb, [{ port: VIF1, groups: [] }])
  assert.deepEqual(await members(db, 'xapi_ovn_sg_web'), [VIF2])
  assert.deepEqual(await members(db, 'xapi_ovn_sg_db'), [])
  assert.deepEqual(await members(db, 'xapi_ovn_pg_drop'), [VIF2])
  assert.deepEqual(await members(db, 'ops_monitoring'), [VIF1])
  assert.match(await db.nbctl(['acl-list', 'ops_monitoring']), /900 \(outport == @ops_monitoring && ip4\) allow/)
  // Not ours: not listed.
  assert.deepEqual(
    (await listSecurityGroups(nb)).map((g) => g.name),
    ['db', 'web'],
  )

  // A group with members is not deleted without force; with it, its lone members leave the drop group.
  assert.equal(
    await code(deleteSecurityGroup(nb, 'web')),
    'OVN_NB_SG_IN_USE web|1 port(s) are in it (detach them, or force)',
  )
  const gone = await deleteSecurityGroup(nb, 'web', { force: true })
  assert.deepEqual([gone.deleted, gone.ports, gone.leftDropGroup], [true, 1, 1])
  assert.deepEqual(await members(db, 'xapi_ovn_pg_drop'), [])
  assert.doesNotMatch(await db.nbctl(['--columns=name', 'list', 'Port_Group']), /xapi_ovn_sg_web/)
})

test('refusals write nothing: bad CIDR, port ranges, unknown group or port, a foreign port group in the way, a remote group in use', async (t) => {
  const { db, nb } = await setup(t)
  await withPorts(nb)
  await ensureSecurityGroups(nb, [{ name: 'web' }])
  await db.nbctl(['pg-add', 'xapi_ovn_sg_intruder'])
  const before = await records(db)
  const cases: [Promise<unknown>, RegExp][] = [
    [
      addSecurityGroupRules(nb, 'web', [{ direction: 'ingress', remoteCidr: '198.18.30.1/24' }]),
      /^OVN_INVALID_ARGUMENT .*host bits/,
    ],
    [
      addSecurityGroupRules(nb, 'web', [{ direction: 'ingress', remoteCidr: '198.18.30.0/33' }]),
      /^OVN_INVALID_ARGUMENT .*0-32/,
    ],
    [
      addSecurityGroupRules(nb, 'web', [{ direction: 'ingress', protocol: 'tcp', ports: 0 }]),
      /^OVN_INVALID_ARGUMENT .*port 0/,
    ],
    [
      addSecurityGroupRules(nb, 'web', [{ direction: 'ingress', protocol: 'tcp', ports: 65536 }]),
      /^OVN_INVALID_ARGUMENT .*1-65535/,
    ],
    [
      addSecurityGroupRules(nb, 'web', [{ direction: 'ingress', protocol: 'tcp', ports: '90-80' }]),
      /^OVN_INVALID_ARGUMENT .*reversed/,
    ],
    [addSecurityGroupRules(nb, 'nope', [{ direction: 'ingress' }]), /^OVN_NB_SG_MISSING nope$/],
    [addSecurityGroupRules(nb, 'web', [{ direction: 'ingress', remoteGroup: 'nope' }]), /^OVN_NB_SG_MISSING nope$/],
    [setPortSecurityGroups(nb, [{ port: VIF1, groups: ['nope'] }]), /^OVN_NB_SG_MISSING nope$/],
    [
      setPortSecurityGroups(nb, [{ port: '33333333-3333-4333-8333-333333333333', groups: ['web'] }]),
      /^OVN_NB_PORT_MISSING /,
    ],
    [ensureSecurityGroups(nb, [{ name: 'intruder' }]), /^OVN_NB_SG_FOREIGN xapi_ovn_sg_intruder\|/],
    [deleteSecurityGroup(nb, 'intruder'), /^OVN_NB_SG_FOREIGN /],
  ]
  for (const [p, want] of cases) assert.match(await code(p), want)
  // A rule of another group naming "web" as its remote group keeps "web" from going.
  await ensureSecurityGroups(nb, [{ name: 'app', rules: [{ direction: 'ingress', remoteGroup: 'web' }] }])
  assert.equal(await records(db), before + 1)
  assert.match(
    await code(deleteSecurityGroup(nb, 'web', { force: true })),
    /^OVN_NB_SG_IN_USE web\|a rule of security group app/,
  )
  // --dry-run: the plan, nothing sent.
  const dry = await ensureSecurityGroups(nb, [{ name: 'later', rules: [{ direction: 'egress' }] }], { dryRun: true })
  assert.deepEqual([dry.changed, dry.dryRun, dry.groups[0]?.action], [true, true, 'created'])
  assert.equal(await records(db), before + 1)
  // The foreign group is as it was.
  assert.match(
    await db.nbctl(['--columns=name,external_ids', 'list', 'Port_Group', 'xapi_ovn_sg_intruder']),
    /external_ids\s+: \{\}/,
  )
})

test('ovn-northd compiles the ACLs: logical flows in the ACL stages, and the group address set holds its ports', async (t) => {
  const { db, nb } = await setup(t, true)
  await withPorts(nb)
  await ensureSecurityGroups(nb, [
    { name: 'web', rules: [{ direction: 'ingress', protocol: 'tcp', ports: 22, remoteGroup: 'client' }] },
    { name: 'client', rules: [{ direction: 'egress' }] },
  ])
  await setPortSecurityGroups(nb, [
    { port: VIF1, groups: ['client'] },
    { port: VIF2, groups: ['web'] },
  ])
  const sb = ['--no-leader-only', `--db=unix:${join(db.dir, 'sb.sock')}`]
  const flows = await waitFor('northd to compile the ACLs', async () => {
    const text = (await run('ovn-sbctl', [...sb, 'lflow-list'])).stdout
    return text.includes('tcp.dst == 22') ? text : undefined
  })
  // The rule, in the egress ACL stage of the switch (to-lport), with the remote group's address set.
  assert.match(
    flows,
    /ls_out_acl.*priority=2002.*outport == @xapi_ovn_sg_web && ip4 && ip4.src == \$xapi_ovn_sg_client_ip4 && tcp && tcp.dst == 22/,
  )
  // The drop group's ACLs in both stages.
  assert.match(flows, /ls_in_acl.*priority=2001.*inport == @xapi_ovn_pg_drop && ip/)
  assert.match(flows, /ls_out_acl.*priority=2001.*outport == @xapi_ovn_pg_drop && ip/)
  const sets = await waitFor('the client address set', async () => {
    const text = (await run('ovn-sbctl', [...sb, '--columns=name,addresses', 'list', 'Address_Set'])).stdout
    return /xapi_ovn_sg_client_ip4[\s\S]*?198\.18\.30\.11/.test(text) ? text : undefined
  })
  assert.doesNotMatch(sets.split('xapi_ovn_sg_client_ip4')[1]?.split('name')[0] ?? '', /198\.18\.30\.12/)
})
