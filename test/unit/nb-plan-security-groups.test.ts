/**
 * The security group planners and parsers (lib/nb/plan-security-groups.ts,
 * validate-security-groups.ts), table by table: the rule -> ACL match as Neutron's acl.py builds it,
 * what each field refuses, and the transactions: what is created, left alone, guarded, and that
 * a port group or ACL without our external_ids is never touched.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  DROP_GROUP,
  membershipOperations,
  parseRuleKey,
  planDeleteSecurityGroup,
  planDeleteSgRule,
  planSecurityGroups,
  planSgMembership,
  ruleKey,
  ruleMatch,
  securityGroupInfos,
  SG_DROP_KEY,
  SG_KEY,
  SG_RULE_KEY,
} from '../../lib/nb/plan-security-groups.js'
import { parseCidr, parsePortRange, parseSgName, parseSgRule } from '../../lib/nb/validate-security-groups.js'
import type { NbAclRow, NbPortGroupRow, NbSnapshot } from '../../lib/nb/model.js'
import { Uuid, namedUuid } from '../../lib/ovsdb/codec.js'
import { LSP1, LSP2, SW_A, VIF1, VIF2, lport, lswitch, wire as wireAny } from './nb-fixtures.js'
import { isRecord } from '../../lib/shape.js'
import type { Operation } from '../../lib/ovsdb/operations.js'
import { code } from './error-code.js'

const PG_WEB = 'dddddddd-0000-4000-8000-0000000000d1'
const PG_DROP = 'dddddddd-0000-4000-8000-0000000000d0'
const PG_OPS = 'dddddddd-0000-4000-8000-0000000000d9'
const ACL1 = 'eeeeeeee-0000-4000-8000-0000000000e1'
const ACL_FOREIGN = 'eeeeeeee-0000-4000-8000-0000000000e9'

function pg(name: string, uuid: string, o: Partial<Omit<NbPortGroupRow, 'name' | 'uuid'>> = {}): NbPortGroupRow {
  return {
    uuid,
    name,
    portUuids: o.portUuids ?? [],
    aclUuids: o.aclUuids ?? [],
    externalIds: o.externalIds ?? new Map(),
  }
}

function acl(uuid: string, match: string, externalIds: Record<string, string>): NbAclRow {
  return {
    uuid,
    priority: 1002,
    direction: 'to-lport',
    match,
    action: 'allow-related',
    externalIds: new Map(Object.entries(externalIds)),
  }
}

type WireOp = Readonly<Record<string, unknown>> & { readonly row?: unknown; readonly mutations?: unknown }

/** The operations on the wire, each a record (a type guard, not a cast). */
function wire(ops: readonly Operation[]): WireOp[] {
  return wireAny(ops).filter(isRecord)
}

function rowOf(o: WireOp | undefined): Readonly<Record<string, unknown>> {
  return isRecord(o?.row) ? o.row : {}
}

const DROP_ACL_IN = 'eeeeeeee-0000-4000-8000-0000000000f0'
const DROP_ACL_OUT = 'eeeeeeee-0000-4000-8000-0000000000f1'

const SSH = parseSgRule({ direction: 'ingress', protocol: 'tcp', ports: 22, remoteCidr: '192.0.2.0/24' })

function snapshot(o: { web?: Partial<NbPortGroupRow>; drop?: Partial<NbPortGroupRow> | null } = {}): NbSnapshot {
  return {
    switches: [lswitch('tenant-a', SW_A, { ports: [LSP1, LSP2] })],
    ports: [lport(VIF1, LSP1), lport(VIF2, LSP2)],
    portGroups: [
      pg('xapi_ovn_sg_web', PG_WEB, { externalIds: new Map([[SG_KEY, 'web']]), ...o.web }),
      ...(o.drop === null
        ? []
        : [
            pg(DROP_GROUP, PG_DROP, {
              externalIds: new Map([[SG_DROP_KEY, 'true']]),
              aclUuids: [DROP_ACL_IN, DROP_ACL_OUT],
              ...o.drop,
            }),
          ]),
      pg('ops', PG_OPS, { portUuids: [LSP1], aclUuids: [ACL_FOREIGN] }),
    ],
    acls: [
      acl(ACL1, ruleMatch('xapi_ovn_sg_web', SSH), { [SG_KEY]: 'web', [SG_RULE_KEY]: ruleKey(SSH) }),
      acl(ACL_FOREIGN, 'outport == @ops && ip4', {}),
      {
        uuid: DROP_ACL_IN,
        priority: 1001,
        direction: 'from-lport',
        match: `inport == @${DROP_GROUP} && ip`,
        action: 'drop',
        externalIds: new Map([[SG_DROP_KEY, 'true']]),
      },
      {
        uuid: DROP_ACL_OUT,
        priority: 1001,
        direction: 'to-lport',
        match: `outport == @${DROP_GROUP} && ip`,
        action: 'drop',
        externalIds: new Map([[SG_DROP_KEY, 'true']]),
      },
    ],
  }
}

test('a rule becomes the match Neutron builds: direction, family, remote, protocol, port range', () => {
  const cases: [Parameters<typeof parseSgRule>[0], string, string][] = [
    [
      { direction: 'ingress', protocol: 'tcp', ports: 22, remoteCidr: '192.0.2.0/24' },
      'outport == @pg && ip4 && ip4.src == 192.0.2.0/24 && tcp && tcp.dst == 22',
      'ingress ip4 tcp 22-22 from 192.0.2.0/24',
    ],
    [
      { direction: 'egress', protocol: 'udp', ports: '5000-5010' },
      'inport == @pg && ip4 && udp && udp.dst >= 5000 && udp.dst <= 5010',
      'egress ip4 udp 5000-5010 to any',
    ],
    [{ direction: 'ingress', protocol: 'icmp' }, 'outport == @pg && ip4 && icmp4', 'ingress ip4 icmp from any'],
    [
      { direction: 'ingress', protocol: 'icmp', remoteCidr: '2001:DB8::/32' },
      'outport == @pg && ip6 && ip6.src == 2001:db8::/32 && icmp6',
      'ingress ip6 icmp from 2001:db8::/32',
    ],
    [
      { direction: 'ingress', remoteGroup: 'app' },
      'outport == @pg && ip4 && ip4.src == $xapi_ovn_sg_app_ip4',
      'ingress ip4 any from group app',
    ],
    [{ direction: 'egress', family: 'ip6' }, 'inport == @pg && ip6', 'egress ip6 any to any'],
  ]
  for (const [spec, match, key] of cases) {
    const r = parseSgRule(spec)
    assert.equal(ruleMatch('pg', r), match)
    assert.equal(ruleKey(r), key)
    assert.deepEqual(parseRuleKey(key), r, `${key} reads back`)
  }
  assert.equal(parseRuleKey('hand made'), null)
})

test('every field refuses what OVN or the rule cannot mean', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => parsePortRange(0), /port 0/],
    [() => parsePortRange('65536'), /1-65535/],
    [() => parsePortRange('90-80'), /reversed/],
    [() => parsePortRange('22,23'), /a port or a range/],
    [() => parseCidr('192.0.2.1/24'), /host bits/],
    [() => parseCidr('192.0.2.0'), /prefix length/],
    [() => parseCidr('192.0.2.0/33'), /0-32/],
    [() => parseCidr('2001:db8::1/64'), /host bits/],
    [() => parseCidr('2001:db8::/129'), /0-128/],
    [() => parseCidr('::ffff:192.0.2.0/120'), /IPv4-mapped/],
    [() => parseCidr('nonsense/8'), /IPv4 or IPv6 CIDR/],
    [() => parseSgName('web-tier'), /letter then/],
    [() => parseSgName('9lives'), /letter then/],
    [() => parseSgRule({ direction: 'in' }), /ingress or egress/],
    [() => parseSgRule({ direction: 'ingress', protocol: 'sctp' }), /tcp, udp, icmp or any/],
    [() => parseSgRule({ direction: 'ingress', protocol: 'icmp', ports: 22 }), /needs protocol tcp or udp/],
    [() => parseSgRule({ direction: 'ingress', ports: 22 }), /needs protocol tcp or udp/],
    [() => parseSgRule({ direction: 'ingress', remoteCidr: '192.0.2.0/24', remoteGroup: 'x' }), /not both/],
    [
      () => parseSgRule({ direction: 'ingress', remoteCidr: '192.0.2.0/24', family: 'ip6' }),
      /IPv4 CIDR in an ip6 rule/,
    ],
    [() => parseSgRule({ direction: 'ingress', colour: 'red' }), /unknown field/],
  ]
  for (const [fn, reason] of cases) assert.match(code(fn), new RegExp(`^OVN_INVALID_ARGUMENT .*${reason.source}`))
  assert.deepEqual(parsePortRange('22'), { min: 22, max: 22 })
  assert.deepEqual(parseCidr('0.0.0.0/0'), { cidr: '0.0.0.0/0', family: 'ip4' })
})

test('a new group: its Port_Group marked ours, its rules as ACLs, the drop group with its two ACLs; one transaction', () => {
  const empty: NbSnapshot = { switches: [], ports: [], portGroups: [], acls: [] }
  const plan = planSecurityGroups(empty, [{ name: 'web', rules: [SSH] }], { create: true })
  const ops = wire(plan.operations)
  assert.equal(plan.dropGroupCreated, true)
  assert.deepEqual(
    ops.map((o) => `${String(o.op)} ${String(o.table ?? '')}`),
    ['insert ACL', 'insert Port_Group', 'insert ACL', 'insert ACL', 'insert Port_Group', 'comment '],
  )
  assert.deepEqual(ops[0]?.row, {
    priority: 1002,
    direction: 'to-lport',
    match: 'outport == @xapi_ovn_sg_web && ip4 && ip4.src == 192.0.2.0/24 && tcp && tcp.dst == 22',
    action: 'allow-related',
    external_ids: [
      'map',
      [
        [SG_KEY, 'web'],
        [SG_RULE_KEY, 'ingress ip4 tcp 22-22 from 192.0.2.0/24'],
      ],
    ],
  })
  assert.deepEqual(ops[1]?.row, {
    name: 'xapi_ovn_sg_web',
    acls: ['named-uuid', 'new_acl0'],
    external_ids: ['map', [[SG_KEY, 'web']]],
  })
  assert.deepEqual(
    [rowOf(ops[2]).match, rowOf(ops[3]).match],
    [`inport == @${DROP_GROUP} && ip`, `outport == @${DROP_GROUP} && ip`],
  )
  // Without create, a missing group is refused.
  assert.equal(
    code(() => planSecurityGroups(empty, [{ name: 'web', rules: [] }], { create: false })),
    'OVN_NB_SG_MISSING web',
  )
})

test('a rule the group has is left alone; a new one is guarded on the group as read; foreign ACLs are kept', () => {
  const s = snapshot({ web: { aclUuids: [ACL1, ACL_FOREIGN] } })
  assert.equal(planSecurityGroups(s, [{ name: 'web', rules: [SSH] }], { create: false }).changed, false)
  const icmp = parseSgRule({ direction: 'ingress', protocol: 'icmp' })
  const plan = planSecurityGroups(s, [{ name: 'web', rules: [SSH, icmp] }], { create: false })
  const ops = wire(plan.operations)
  assert.deepEqual(
    plan.groups[0]?.rules.map((r) => r.action),
    ['unchanged', 'created'],
  )
  assert.deepEqual(ops[0], {
    op: 'wait',
    table: 'Port_Group',
    where: [['_uuid', '==', ['uuid', PG_WEB]]],
    columns: ['name', 'external_ids', 'acls'],
    until: '==',
    rows: [
      {
        name: 'xapi_ovn_sg_web',
        external_ids: ['map', [[SG_KEY, 'web']]],
        acls: [
          'set',
          [
            ['uuid', ACL1],
            ['uuid', ACL_FOREIGN],
          ],
        ],
      },
    ],
    timeout: 0,
  })
  assert.deepEqual(ops[2]?.mutations, [['acls', 'insert', ['named-uuid', 'new_acl0']]])
  // Deleting the rule takes only our ACL out.
  const del = planDeleteSgRule(s, 'web', SSH)
  assert.equal(del.aclUuid, ACL1)
  assert.deepEqual(wire(del.operations)[1]?.mutations, [['acls', 'delete', ['uuid', ACL1]]])
  assert.equal(planDeleteSgRule(s, 'web', icmp).aclUuid, null)
  // The foreign ACL is counted, not listed as a rule.
  const [info] = securityGroupInfos(s)
  assert.deepEqual([info?.rules.map((r) => r.key), info?.foreignAcls], [[ruleKey(SSH)], 1])
})

test('a port group of our name without our key is refused; so is a stand-in drop group', () => {
  const s = snapshot({ web: { externalIds: new Map() } })
  assert.match(
    code(() => planSecurityGroups(s, [{ name: 'web', rules: [] }], { create: true })),
    /^OVN_NB_SG_FOREIGN xapi_ovn_sg_web\|/,
  )
  const d = snapshot({ drop: { externalIds: new Map() } })
  assert.match(
    code(() => planSecurityGroups(d, [{ name: 'web', rules: [] }], { create: true })),
    /^OVN_NB_SG_FOREIGN xapi_ovn_pg_drop\|/,
  )
})

test('membership: into the group and the drop group; out of both; other port groups never named', () => {
  const s = snapshot()
  const into = wire(planSgMembership(s, [{ port: VIF1, groups: ['web'] }]).operations)
  const mutates = into.filter((o) => o.op === 'mutate')
  assert.deepEqual(
    mutates.map((o) => [JSON.stringify(o.where).includes(PG_WEB) ? 'web' : 'drop', o.mutations]),
    [
      ['web', [['ports', 'insert', ['uuid', LSP1]]]],
      ['drop', [['ports', 'insert', ['uuid', LSP1]]]],
    ],
  )
  assert.ok(!JSON.stringify(into).includes(PG_OPS), 'the foreign group is not in the transaction')
  const member = snapshot({ web: { portUuids: [LSP1] }, drop: { portUuids: [LSP1] } })
  assert.equal(planSgMembership(member, [{ port: VIF1, groups: ['web'] }]).operations.length, 0)
  const out = wire(planSgMembership(member, [{ port: VIF1, groups: [] }]).operations).filter((o) => o.op === 'mutate')
  assert.deepEqual(
    out.map((o) => o.mutations),
    [[['ports', 'delete', ['uuid', LSP1]]], [['ports', 'delete', ['uuid', LSP1]]]],
  )
  assert.equal(
    code(() => planSgMembership(s, [{ port: VIF1, groups: ['nope'] }])),
    'OVN_NB_SG_MISSING nope',
  )
  assert.equal(
    code(() => planSgMembership(s, [{ port: '33333333-3333-4333-8333-333333333333', groups: [] }])),
    'OVN_NB_PORT_MISSING 33333333-3333-4333-8333-333333333333',
  )
  // A port inserted in the same transaction (the agent) is named by its uuid-name; with no drop
  // group yet, it is made with the port in it; dropAnyway keeps a port with an unknown group closed.
  const fresh = membershipOperations(snapshot({ drop: null }), [
    { port: namedUuid('lsp0'), groups: [], dropAnyway: true },
  ])
  const made = wire(fresh.operations).find((o) => o.op === 'insert' && o.table === 'Port_Group')
  assert.deepEqual(rowOf(made).ports, ['named-uuid', 'lsp0'])
  assert.equal(fresh.dropGroupCreated, true)
  assert.equal(
    membershipOperations(s, [{ port: new Uuid(LSP2), groups: [] }]).operations.length,
    0,
    'no group: untouched',
  )
})

test('delete: refused with members unless forced, or when another group names it; lone members leave the drop group', () => {
  const s = snapshot({ web: { portUuids: [LSP1, LSP2] }, drop: { portUuids: [LSP1, LSP2] } })
  assert.equal(
    code(() => planDeleteSecurityGroup(s, 'web', { force: false })),
    'OVN_NB_SG_IN_USE web|2 port(s) are in it (detach them, or force)',
  )
  const plan = planDeleteSecurityGroup(s, 'web', { force: true })
  assert.deepEqual([plan.ports, plan.leftDropGroup], [2, 2])
  const ops = wire(plan.operations)
  assert.deepEqual(ops[1], { op: 'delete', table: 'Port_Group', where: [['_uuid', '==', ['uuid', PG_WEB]]] })
  assert.equal(planDeleteSecurityGroup(s, 'nope', { force: false }).uuid, null)
})
