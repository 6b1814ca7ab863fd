/**
 * Pure planners for security groups, built the way Neutron's OVN driver builds them
 * (openstack/neutron neutron/common/ovn/acl.py, neutron/common/ovn/constants.py):
 * - one Port_Group per security group (Neutron: `pg_<sg id>`; ours `xapi_ovn_sg_<name>`), whose
 *   `acls` are the group's rules and whose `ports` are the logical switch ports in it;
 * - one rule = one ACL, priority 1002 (ACL_PRIORITY_ALLOW), action `allow-related` (stateful:
 *   ovn-northd sends the datapath's IP traffic through conntrack, and the replies of an allowed
 *   connection pass whatever the other direction's rules say; ovn-org/ovn northd/northd.c
 *   build_acls, the ct.est/ct.rpl flows). Direction ingress is `to-lport` matching
 *   `outport == @pg`, egress `from-lport` matching `inport == @pg`; then `ip4`/`ip6`, the remote
 *   (`ip4.src == CIDR` for ingress, `.dst` for egress; a remote group is the address set
 *   ovn-northd keeps for every port group, `$<pg>_ip4` / `$<pg>_ip6`: ovn-nb.xml Port_Group), the
 *   protocol (`tcp`, `udp`, `icmp4`/`icmp6`) and the destination port range (acl.py
 *   acl_protocol_and_ports: `tcp.dst == 22`, or `>=` and `<=`);
 * - one default-drop Port_Group (Neutron: `neutron_pg_drop`; ours `xapi_ovn_pg_drop`) with two
 *   ACLs at priority 1001 (ACL_PRIORITY_DROP), `inport == @pg && ip` and `outport == @pg && ip`,
 *   action drop (acl.py add_acls_for_drop_port_group). Every port in a security group is also in
 *   it: IP traffic of such a port that no rule of its groups allows is dropped. A port in no
 *   group is in no ACL: it is not affected at all. ARP is not IP: never dropped.
 *
 * What is ours is marked in external_ids: a group's Port_Group and each of its ACLs carry
 * `xapi-ovn:security-group=<name>`, each rule's ACL `xapi-ovn:sg-rule=<the rule as text>` (its
 * identity: adding the same rule twice writes nothing), the drop group and its ACLs
 * `xapi-ovn:drop-group=true`. A port group or ACL without our key is never changed or removed;
 * one in the way of ours (same name) is an NbSgForeignError, and nothing is written.
 *
 * Every write is ONE transaction guarded by `wait`s on the `_uuid` of each port group it changes
 * (the one condition ovsdb-server answers by lookup, plan-ports.ts): that it is still ours under
 * the same name, and, for a rule change, that its `acls` are as read. A new port group's name
 * is guarded by Port_Group's unique index on `name` (a concurrent create fails the commit and
 * northbound.ts reads and plans again).
 */
import { OvsdbSet, Uuid, namedUuid, ovsdbMap, set, type NamedUuid } from '../ovsdb/codec.js'
import { op, where, type Operation } from '../ovsdb/operations.js'
import { NbPortMissingError, NbSgForeignError, NbSgInUseError, NbSgMissingError } from './errors.js'
import { findPortByName, type NbAclRow, type NbPortGroupRow, type NbSnapshot } from './model.js'
import type { SgRule } from './validate-security-groups.js'

/** Neutron's ACL_PRIORITY_ALLOW: every rule's ACL. */
export const SG_PRIORITY_ALLOW = 1002
/** Neutron's ACL_PRIORITY_DROP: the default-drop group's two ACLs. */
export const SG_PRIORITY_DROP = 1001
/** The default-drop port group every port of a security group is also in (Neutron: neutron_pg_drop). */
export const DROP_GROUP = 'xapi_ovn_pg_drop'
/** A security group's Port_Group is this prefix + its name. */
export const SG_PORT_GROUP_PREFIX = 'xapi_ovn_sg_'
/** external_ids of a group's Port_Group and of its ACLs: the security group's name. */
export const SG_KEY = 'xapi-ovn:security-group'
/** external_ids of a rule's ACL: the rule as text (ruleKey), its identity. */
export const SG_RULE_KEY = 'xapi-ovn:sg-rule'
/** external_ids of the default-drop Port_Group and its two ACLs. */
export const SG_DROP_KEY = 'xapi-ovn:drop-group'

/** The uuid-names a plan inserts with. */
export const NEW_DROP_GROUP = 'new_drop_pg'

export type SgAction = 'created' | 'unchanged' | 'removed' | 'absent'

export function portGroupName(group: string): string {
  return `${SG_PORT_GROUP_PREFIX}${group}`
}

/** A rule as text: `ingress ip4 tcp 22-22 from 192.0.2.0/24`, `egress ip6 any to group web`. */
export function ruleKey(r: SgRule): string {
  const ports = r.ports === null ? '' : ` ${r.ports.min}-${r.ports.max}`
  const peer = r.remote === null ? 'any' : r.remote.kind === 'cidr' ? r.remote.cidr : `group ${r.remote.group}`
  return `${r.direction} ${r.family} ${r.protocol}${ports} ${r.direction === 'ingress' ? 'from' : 'to'} ${peer}`
}

/** The ACL match of rule `r` of the group whose Port_Group is `pg` (see the header: acl.py's order). */
export function ruleMatch(pg: string, r: SgRule): string {
  const ingress = r.direction === 'ingress'
  const parts = [`${ingress ? 'outport' : 'inport'} == @${pg}`, r.family]
  const peer = `${r.family}.${ingress ? 'src' : 'dst'}`
  if (r.remote?.kind === 'cidr') parts.push(`${peer} == ${r.remote.cidr}`)
  if (r.remote?.kind === 'group') parts.push(`${peer} == $${portGroupName(r.remote.group)}_${r.family}`)
  if (r.protocol === 'icmp') parts.push(r.family === 'ip4' ? 'icmp4' : 'icmp6')
  else if (r.protocol !== 'any') {
    parts.push(r.protocol)
    const p = r.ports
    if (p !== null && p.min === p.max) parts.push(`${r.protocol}.dst == ${p.min}`)
    else if (p !== null) parts.push(`${r.protocol}.dst >= ${p.min}`, `${r.protocol}.dst <= ${p.max}`)
  }
  return parts.join(' && ')
}

/** The rule a key names back (null for text that is not one of ours): for listing. */
export function parseRuleKey(key: string): SgRule | null {
  const m =
    /^(ingress|egress) (ip4|ip6) (tcp|udp|icmp|any)(?: ([0-9]+)-([0-9]+))? (?:from|to) (?:group (\S+)|(\S+))$/.exec(key)
  if (m === null) return null
  const [, direction, family, protocol, min, max, group, peer] = m
  if (direction === undefined || family === undefined || protocol === undefined) return null
  return {
    direction: direction === 'ingress' ? 'ingress' : 'egress',
    family: family === 'ip4' ? 'ip4' : 'ip6',
    protocol: protocol === 'tcp' || protocol === 'udp' || protocol === 'icmp' ? protocol : 'any',
    ports: min === undefined || max === undefined ? null : { min: Number(min), max: Number(max) },
    remote:
      group !== undefined
        ? { kind: 'group', group }
        : peer === undefined || peer === 'any'
          ? null
          : { kind: 'cidr', cidr: peer },
  }
}

// ---------------------------------------------------------------------------------------------
// Reading a snapshot

function groupsOf(s: NbSnapshot): readonly NbPortGroupRow[] {
  return s.portGroups ?? []
}

function aclsById(s: NbSnapshot): Map<string, NbAclRow> {
  return new Map((s.acls ?? []).map((a) => [a.uuid, a]))
}

/** The security group `name`'s Port_Group, undefined if none; one of that name not ours throws. */
export function lookupSecurityGroup(s: NbSnapshot, name: string): NbPortGroupRow | undefined {
  const pg = portGroupName(name)
  const row = groupsOf(s).find((g) => g.name === pg)
  if (row !== undefined && row.externalIds.get(SG_KEY) !== name)
    throw new NbSgForeignError(pg, `exists without external_ids ${SG_KEY}=${name}`)
  return row
}

export function findSecurityGroup(s: NbSnapshot, name: string): NbPortGroupRow {
  const row = lookupSecurityGroup(s, name)
  if (row === undefined) throw new NbSgMissingError(name)
  return row
}

/** The default-drop group, undefined if none; one of that name not ours throws. */
export function lookupDropGroup(s: NbSnapshot): NbPortGroupRow | undefined {
  const row = groupsOf(s).find((g) => g.name === DROP_GROUP)
  if (row !== undefined && row.externalIds.get(SG_DROP_KEY) !== 'true')
    throw new NbSgForeignError(DROP_GROUP, `exists without external_ids ${SG_DROP_KEY}=true`)
  return row
}

/** Every security group of ours, by name (port groups without our key are not listed). */
export function ourSecurityGroups(s: NbSnapshot): Map<string, NbPortGroupRow> {
  const out = new Map<string, NbPortGroupRow>()
  for (const g of groupsOf(s)) {
    const name = g.externalIds.get(SG_KEY)
    if (name !== undefined && g.name === portGroupName(name)) out.set(name, g)
  }
  return out
}

/** `wait` that a port group is still as read in these columns (first condition its `_uuid`). */
function groupStillAsRead(
  g: NbPortGroupRow,
  columns: readonly ('name' | 'external_ids' | 'acls' | 'ports')[],
): Operation {
  const row: Record<string, OvsdbSet | string | ReturnType<typeof ovsdbMap>> = {}
  for (const c of columns) {
    if (c === 'name') row[c] = g.name
    else if (c === 'external_ids') row[c] = ovsdbMap(g.externalIds)
    else if (c === 'acls') row[c] = new OvsdbSet(g.aclUuids.map((u) => new Uuid(u)))
    else row[c] = new OvsdbSet(g.portUuids.map((u) => new Uuid(u)))
  }
  return op.wait('Port_Group', [where('_uuid', '==', new Uuid(g.uuid))], columns, '==', [row])
}

function dropAcls(): {
  readonly name: string
  readonly row: Record<string, ReturnType<typeof ovsdbMap> | string | number>
}[] {
  return (
    [
      ['from-lport', 'inport'],
      ['to-lport', 'outport'],
    ] as const
  ).map(([direction, side], i) => ({
    name: `new_drop_acl${i}`,
    row: {
      priority: SG_PRIORITY_DROP,
      direction,
      match: `${side} == @${DROP_GROUP} && ip`,
      action: 'drop',
      external_ids: ovsdbMap({ [SG_DROP_KEY]: 'true' }),
    },
  }))
}

/**
 * The operations that make the default-drop group (with its two ACLs) when it is missing, or put
 * back a drop ACL someone removed from ours. `members`: ports to put in a group made here.
 */
export function planDropGroup(
  s: NbSnapshot,
  members: readonly (Uuid | NamedUuid)[] = [],
): { readonly operations: Operation[]; readonly ref: Uuid | NamedUuid; readonly created: boolean } {
  const existing = lookupDropGroup(s)
  const wanted = dropAcls()
  if (existing === undefined) {
    return {
      created: true,
      ref: namedUuid(NEW_DROP_GROUP),
      operations: [
        ...wanted.map((a) => op.insert('ACL', a.row, a.name)),
        op.insert(
          'Port_Group',
          {
            name: DROP_GROUP,
            acls: new OvsdbSet(wanted.map((a) => namedUuid(a.name))),
            ...(members.length === 0 ? {} : { ports: new OvsdbSet([...members]) }),
            external_ids: ovsdbMap({ [SG_DROP_KEY]: 'true' }),
          },
          NEW_DROP_GROUP,
        ),
      ],
    }
  }
  const acls = aclsById(s)
  const have = new Set(existing.aclUuids.flatMap((u) => acls.get(u)?.match ?? []))
  const missing = wanted.filter((a) => !have.has(String(a.row.match)))
  const ref = new Uuid(existing.uuid)
  if (missing.length === 0) return { created: false, ref, operations: [] }
  return {
    created: false,
    ref,
    operations: [
      groupStillAsRead(existing, ['name', 'external_ids', 'acls']),
      ...missing.map((a) => op.insert('ACL', a.row, a.name)),
      op.mutate(
        'Port_Group',
        [where('_uuid', '==', ref)],
        [['acls', 'insert', new OvsdbSet(missing.map((a) => namedUuid(a.name)))]],
      ),
    ],
  }
}

// ---------------------------------------------------------------------------------------------
// Groups and rules

export interface SecurityGroupSpecParsed {
  readonly name: string
  readonly rules: readonly SgRule[]
}

export interface RulePlan {
  readonly key: string
  readonly match: string
  readonly direction: 'from-lport' | 'to-lport'
  readonly action: SgAction
  /** The ACL's UUID when it exists; null for one the plan inserts. */
  readonly aclUuid: string | null
}

export interface GroupPlan {
  readonly name: string
  readonly portGroup: string
  /** null for a group the plan creates. */
  readonly uuid: string | null
  readonly action: 'created' | 'unchanged'
  readonly rules: readonly RulePlan[]
}

export interface SecurityGroupsPlan {
  readonly operations: readonly Operation[]
  readonly groups: readonly GroupPlan[]
  readonly dropGroupCreated: boolean
  readonly changed: boolean
}

/**
 * Bring groups and rules into being: each group (created when missing if `create`, else
 * NbSgMissingError) gets every rule it lacks (a rule it has, by ruleKey, is left alone; rules not
 * named are kept). Remote groups must exist or be made in the same plan. The default-drop group
 * is made with the first group. ONE transaction for all of it (1,000 rules in 100 groups: bench).
 */
export function planSecurityGroups(
  s: NbSnapshot,
  specs: readonly SecurityGroupSpecParsed[],
  options: { readonly create: boolean },
): SecurityGroupsPlan {
  const named = new Set(specs.map((g) => g.name))
  const acls = aclsById(s)
  const ops: Operation[] = []
  const inserts: Operation[] = []
  const groups: GroupPlan[] = []
  let aclCount = 0
  for (const [gi, spec] of specs.entries()) {
    const existing = lookupSecurityGroup(s, spec.name)
    if (existing === undefined && !options.create) throw new NbSgMissingError(spec.name)
    for (const r of spec.rules)
      if (r.remote?.kind === 'group' && !named.has(r.remote.group)) findSecurityGroup(s, r.remote.group)
    const pg = portGroupName(spec.name)
    const have = new Map<string, NbAclRow>()
    for (const u of existing?.aclUuids ?? []) {
      const a = acls.get(u)
      const k = a?.externalIds.get(SG_RULE_KEY)
      if (a !== undefined && k !== undefined && a.externalIds.get(SG_KEY) === spec.name) have.set(k, a)
    }
    const rules: RulePlan[] = []
    const added: NamedUuid[] = []
    for (const r of spec.rules) {
      const key = ruleKey(r)
      const match = ruleMatch(pg, r)
      const direction = r.direction === 'ingress' ? 'to-lport' : 'from-lport'
      const found = have.get(key)
      if (found !== undefined || rules.some((p) => p.key === key)) {
        rules.push({ key, match, direction, action: 'unchanged', aclUuid: found?.uuid ?? null })
        continue
      }
      const name = `new_acl${aclCount++}`
      inserts.push(
        op.insert(
          'ACL',
          {
            priority: SG_PRIORITY_ALLOW,
            direction,
            match,
            action: 'allow-related',
            external_ids: ovsdbMap({ [SG_KEY]: spec.name, [SG_RULE_KEY]: key }),
          },
          name,
        ),
      )
      added.push(namedUuid(name))
      rules.push({ key, match, direction, action: 'created', aclUuid: null })
    }
    if (existing === undefined) {
      inserts.push(
        op.insert(
          'Port_Group',
          {
            name: pg,
            ...(added.length === 0 ? {} : { acls: new OvsdbSet(added) }),
            external_ids: ovsdbMap({ [SG_KEY]: spec.name }),
          },
          `new_sg${gi}`,
        ),
      )
    } else if (added.length > 0) {
      ops.push(groupStillAsRead(existing, ['name', 'external_ids', 'acls']))
      inserts.push(
        op.mutate(
          'Port_Group',
          [where('_uuid', '==', new Uuid(existing.uuid))],
          [['acls', 'insert', new OvsdbSet(added)]],
        ),
      )
    }
    groups.push({
      name: spec.name,
      portGroup: pg,
      uuid: existing?.uuid ?? null,
      action: existing === undefined ? 'created' : 'unchanged',
      rules,
    })
  }
  // The drop group comes with the first security group (and is repaired if ours lost an ACL).
  const drop = specs.length === 0 ? { operations: [], created: false } : planDropGroup(s)
  const operations = [...ops, ...inserts, ...drop.operations]
  if (operations.length === 0) return { operations: [], groups, dropGroupCreated: false, changed: false }
  const made = groups.filter((g) => g.action === 'created').length
  const rules = groups.reduce((n, g) => n + g.rules.filter((r) => r.action === 'created').length, 0)
  operations.push(op.comment(`xapi-ovn: ${made} security group(s) created, ${rules} rule(s) added`))
  return { operations, groups, dropGroupCreated: drop.created, changed: true }
}

export interface DeleteSgPlan {
  readonly operations: readonly Operation[]
  /** null when there was no such group. */
  readonly uuid: string | null
  /** Member ports it had (force). */
  readonly ports: number
  /** Of those, the ports in no other security group: they leave the drop group too. */
  readonly leftDropGroup: number
}

/**
 * Delete security group `name` (its rules' ACLs go with its Port_Group: strong references).
 * Refused while another group's rule names it as remote group (that rule's address set would
 * vanish), and while it has member ports unless `force`; a port left in no group leaves the drop
 * group too, so it is no longer filtered at all.
 */
export function planDeleteSecurityGroup(
  s: NbSnapshot,
  name: string,
  options: { readonly force: boolean },
): DeleteSgPlan {
  const g = lookupSecurityGroup(s, name)
  if (g === undefined) return { operations: [], uuid: null, ports: 0, leftDropGroup: 0 }
  const acls = aclsById(s)
  const others = [...ourSecurityGroups(s)].filter(([n]) => n !== name)
  for (const [other, row] of others)
    for (const u of row.aclUuids) {
      const rule = parseRuleKey(acls.get(u)?.externalIds.get(SG_RULE_KEY) ?? '')
      if (rule?.remote?.kind === 'group' && rule.remote.group === name)
        throw new NbSgInUseError(name, `a rule of security group ${other} names it as remote group`)
    }
  if (g.portUuids.length > 0 && !options.force)
    throw new NbSgInUseError(name, `${g.portUuids.length} port(s) are in it (detach them, or force)`)
  const elsewhere = new Set(others.flatMap(([, row]) => row.portUuids))
  const leaving = g.portUuids.filter((u) => !elsewhere.has(u))
  const drop = lookupDropGroup(s)
  const operations: Operation[] = [
    groupStillAsRead(g, ['name', 'external_ids', 'acls', 'ports']),
    op.delete('Port_Group', [where('_uuid', '==', new Uuid(g.uuid))]),
  ]
  if (drop !== undefined && leaving.length > 0)
    operations.push(
      op.mutate(
        'Port_Group',
        [where('_uuid', '==', new Uuid(drop.uuid))],
        [['ports', 'delete', new OvsdbSet(leaving.map((u) => new Uuid(u)))]],
      ),
    )
  operations.push(op.comment(`xapi-ovn: delete security group ${name}`))
  return { operations, uuid: g.uuid, ports: g.portUuids.length, leftDropGroup: leaving.length }
}

export interface DeleteRulePlan {
  readonly operations: readonly Operation[]
  readonly key: string
  /** The ACL removed, or null when the group had no such rule. */
  readonly aclUuid: string | null
}

/** Remove one rule (by its ruleKey) from security group `name`; its ACL goes with the reference. */
export function planDeleteSgRule(s: NbSnapshot, name: string, rule: SgRule): DeleteRulePlan {
  const g = findSecurityGroup(s, name)
  const key = ruleKey(rule)
  const acls = aclsById(s)
  const acl = g.aclUuids
    .map((u) => acls.get(u))
    .find((a) => a !== undefined && a.externalIds.get(SG_KEY) === name && a.externalIds.get(SG_RULE_KEY) === key)
  if (acl === undefined) return { operations: [], key, aclUuid: null }
  return {
    key,
    aclUuid: acl.uuid,
    operations: [
      groupStillAsRead(g, ['name', 'external_ids', 'acls']),
      op.mutate('Port_Group', [where('_uuid', '==', new Uuid(g.uuid))], [['acls', 'delete', set(new Uuid(acl.uuid))]]),
      op.comment(`xapi-ovn: security group ${name}: remove rule ${key}`),
    ],
  }
}

// ---------------------------------------------------------------------------------------------
// Membership

/** One port and the security groups it should be in (exactly: its other groups of ours are left). */
export interface MembershipWant {
  /** The port: its row UUID, or the uuid-name of a port inserted in the same transaction. */
  readonly port: Uuid | NamedUuid
  /** Names of existing groups of ours (the caller has reported or refused unknown ones). */
  readonly groups: readonly string[]
  /** Put it in the drop group even with no known group (a group it names is missing: fail closed). */
  readonly dropAnyway?: boolean
}

export interface MembershipPlan {
  readonly operations: readonly Operation[]
  /** The ports (by UUID or uuid-name) whose membership changes. */
  readonly changed: readonly string[]
  readonly dropGroupCreated: boolean
}

function refText(r: Uuid | NamedUuid): string {
  return r instanceof Uuid ? r.value : r.name
}

/**
 * The waits and mutations that put each port in exactly its groups of ours (and in the drop
 * group iff it is in one). Only groups of ours are changed: a port's membership of any other
 * port group is never touched. Shared by `sg attach|detach` (planSgMembership) and the pool
 * agent's pass (lib/agent/plan-sync.ts), which passes ports it inserts by uuid-name.
 */
export function membershipOperations(s: NbSnapshot, wants: readonly MembershipWant[]): MembershipPlan {
  const ours = ourSecurityGroups(s)
  const drop = lookupDropGroup(s)
  const adds = new Map<string, (Uuid | NamedUuid)[]>()
  const dels = new Map<string, Uuid[]>()
  const changed = new Set<string>()
  const dropAdds: (Uuid | NamedUuid)[] = []
  const dropDels: Uuid[] = []
  const push = <T>(m: Map<string, T[]>, k: string, v: T): void => {
    const list = m.get(k)
    if (list === undefined) m.set(k, [v])
    else list.push(v)
  }
  for (const w of wants) {
    const id = w.port instanceof Uuid ? w.port.value : null
    const wanted = new Set(w.groups)
    for (const [name, g] of ours) {
      const member = id !== null && g.portUuids.includes(id)
      if (wanted.has(name) && !member) push(adds, g.uuid, w.port)
      else if (!wanted.has(name) && member && id !== null) push(dels, g.uuid, new Uuid(id))
      else continue
      changed.add(refText(w.port))
    }
    for (const name of wanted) if (!ours.has(name)) throw new NbSgMissingError(name)
    const inDrop = id !== null && drop?.portUuids.includes(id) === true
    const wantDrop = wanted.size > 0 || w.dropAnyway === true
    if (wantDrop && !inDrop) dropAdds.push(w.port)
    else if (!wantDrop && inDrop && id !== null) dropDels.push(new Uuid(id))
    else continue
    changed.add(refText(w.port))
  }
  const operations: Operation[] = []
  const mutates: Operation[] = []
  for (const g of ours.values()) {
    const a = adds.get(g.uuid) ?? []
    const d = dels.get(g.uuid) ?? []
    if (a.length === 0 && d.length === 0) continue
    operations.push(groupStillAsRead(g, ['name', 'external_ids']))
    mutates.push(
      op.mutate(
        'Port_Group',
        [where('_uuid', '==', new Uuid(g.uuid))],
        [
          ...(d.length > 0 ? [['ports', 'delete', new OvsdbSet(d)] as const] : []),
          ...(a.length > 0 ? [['ports', 'insert', new OvsdbSet(a)] as const] : []),
        ],
      ),
    )
  }
  let dropGroupCreated = false
  if (drop === undefined && dropAdds.length > 0) {
    const made = planDropGroup(s, dropAdds)
    dropGroupCreated = made.created
    mutates.push(...made.operations)
  } else if (drop !== undefined && (dropAdds.length > 0 || dropDels.length > 0)) {
    operations.push(groupStillAsRead(drop, ['name', 'external_ids']))
    mutates.push(
      op.mutate(
        'Port_Group',
        [where('_uuid', '==', new Uuid(drop.uuid))],
        [
          ...(dropDels.length > 0 ? [['ports', 'delete', new OvsdbSet(dropDels)] as const] : []),
          ...(dropAdds.length > 0 ? [['ports', 'insert', new OvsdbSet(dropAdds)] as const] : []),
        ],
      ),
    )
  }
  return { operations: [...operations, ...mutates], changed: [...changed], dropGroupCreated }
}

export interface PortGroupsWant {
  /** The logical switch port's name (a VIF's UUID). */
  readonly port: string
  readonly groups: readonly string[]
}

/**
 * `sg attach|detach`: set each named port's security groups to exactly `groups` (of ours). A port
 * that does not exist is NbPortMissingError, a group NbSgMissingError: nothing is written.
 */
export function planSgMembership(s: NbSnapshot, wants: readonly PortGroupsWant[]): MembershipPlan {
  const resolved = wants.map((w) => {
    const p = findPortByName(s, w.port)
    if (p === undefined) throw new NbPortMissingError(w.port)
    for (const g of w.groups) findSecurityGroup(s, g)
    return { port: new Uuid(p.uuid), groups: w.groups, name: p.name }
  })
  const plan = membershipOperations(s, resolved)
  if (plan.operations.length === 0) return plan
  const names = new Map(resolved.map((r) => [r.port.value, r.name]))
  return {
    ...plan,
    changed: plan.changed.map((u) => names.get(u) ?? u),
    operations: [
      // Each port still there under its name: a port re-made since the read is not this one.
      ...resolved.map((r) =>
        op.wait('Logical_Switch_Port', [where('_uuid', '==', r.port)], ['name'], '==', [{ name: r.name }]),
      ),
      ...plan.operations,
      op.comment(`xapi-ovn: security groups of ${plan.changed.length} port(s)`),
    ],
  }
}

// ---------------------------------------------------------------------------------------------
// Listing

export interface SgRuleInfo {
  readonly key: string
  /** The rule parsed back from its key; null if the key is not one of ours. */
  readonly rule: SgRule | null
  readonly aclUuid: string
  readonly priority: number
  readonly direction: string
  readonly match: string
  readonly action: string
}

export interface SecurityGroupInfo {
  readonly name: string
  readonly portGroup: string
  readonly uuid: string
  /** Member port names (VIF UUIDs), sorted. */
  readonly ports: readonly string[]
  readonly rules: readonly SgRuleInfo[]
  /** ACLs on the group without our rule key (someone else's): listed by count, never touched. */
  readonly foreignAcls: number
}

export function securityGroupInfos(s: NbSnapshot): SecurityGroupInfo[] {
  const acls = aclsById(s)
  const names = new Map(s.ports.map((p) => [p.uuid, p.name]))
  return [...ourSecurityGroups(s)]
    .map(([name, g]) => {
      const rules: SgRuleInfo[] = []
      let foreignAcls = 0
      for (const u of g.aclUuids) {
        const a = acls.get(u)
        const key = a?.externalIds.get(SG_RULE_KEY)
        if (a === undefined || key === undefined || a.externalIds.get(SG_KEY) !== name) {
          foreignAcls++
          continue
        }
        rules.push({
          key,
          rule: parseRuleKey(key),
          aclUuid: a.uuid,
          priority: a.priority,
          direction: a.direction,
          match: a.match,
          action: a.action,
        })
      }
      rules.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      return {
        name,
        portGroup: g.name,
        uuid: g.uuid,
        ports: g.portUuids.map((u) => names.get(u) ?? u).sort(),
        rules,
        foreignAcls,
      }
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}
