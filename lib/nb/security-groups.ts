/**
 * Security groups on the northbound (plan-security-groups.ts has the model, after Neutron's OVN
 * driver): each operation validates its input, reads ONE snapshot (switches, ports, port groups,
 * ACLs), plans purely and sends ONE guarded transaction through planAndApply (a lost race is read
 * and planned again; nothing is ever half-written). `dryRun` plans from a fresh read and sends
 * nothing. A plan with nothing to do sends nothing, so every call is idempotent.
 *
 *   await ensureSecurityGroups(nb, [{ name: 'web', rules: [{ direction: 'ingress', protocol: 'tcp', ports: 22 }] }])
 *   await setPortSecurityGroups(nb, [{ port: vifUuid, groups: ['web'] }])
 *
 * Membership written here is what `xapi-ovn sg attach` writes after recording it in XAPI (VIF
 * other_config xapi-ovn-security-groups, lib/attach/security-groups.ts); with the pool agent
 * running, XAPI's key is the record and the agent keeps the membership to it.
 */
import { NbSgMissingError, NbSgRuleMissingError } from './errors.js'
import type { NbSnapshot, WriteOptions } from './model.js'
import { planAndApply } from './northbound.js'
import {
  planDeleteSecurityGroup,
  planDeleteSgRule,
  planSecurityGroups,
  planSgMembership,
  securityGroupInfos,
  type GroupPlan,
  type SecurityGroupInfo,
} from './plan-security-groups.js'
import { readSnapshot, type NbTransactor } from './snapshot.js'
import { parseSgName, parseSgNames, parseSgRule, type SecurityGroupRuleSpec } from './validate-security-groups.js'
import { parseVifUuids } from './validate-inputs.js'
import type { Operation } from '../ovsdb/operations.js'

/** A security group and rules it must have (rules it has and are not named are kept). */
export interface SecurityGroupSpec {
  readonly name: string
  readonly rules?: readonly SecurityGroupRuleSpec[]
}

export interface EnsureSecurityGroupsResult {
  readonly changed: boolean
  readonly dryRun: boolean
  readonly dropGroupCreated: boolean
  readonly groups: readonly GroupPlan[]
}

const READ = { ports: 'detach', dhcp: false, portGroups: true } as const

async function run<P extends { readonly operations: readonly Operation[] }>(
  nb: NbTransactor,
  planner: (s: NbSnapshot) => P,
  what: string,
  dryRun: boolean,
): Promise<P> {
  if (dryRun) return planner(await readSnapshot(nb, READ.ports, READ))
  return (await planAndApply(nb, READ, planner, what)).plan
}

/**
 * Create these security groups when missing (and the default-drop group with the first one),
 * and give each the rules it lacks; ONE transaction for everything.
 */
export async function ensureSecurityGroups(
  nb: NbTransactor,
  groups: readonly SecurityGroupSpec[],
  options: WriteOptions = {},
): Promise<EnsureSecurityGroupsResult> {
  const specs = parseGroupSpecs(groups)
  const dryRun = options.dryRun === true
  const plan = await run(nb, (s) => planSecurityGroups(s, specs, { create: true }), 'security groups', dryRun)
  return { changed: plan.changed, dryRun, dropGroupCreated: plan.dropGroupCreated, groups: plan.groups }
}

/** Add rules to an existing group (OVN_NB_SG_MISSING if there is none); a rule it has is unchanged. */
export async function addSecurityGroupRules(
  nb: NbTransactor,
  group: string,
  rules: readonly SecurityGroupRuleSpec[],
  options: WriteOptions = {},
): Promise<EnsureSecurityGroupsResult> {
  const [spec] = parseGroupSpecs([{ name: group, rules }])
  const dryRun = options.dryRun === true
  const specs = spec === undefined ? [] : [spec]
  const plan = await run(nb, (s) => planSecurityGroups(s, specs, { create: false }), `security group ${group}`, dryRun)
  return { changed: plan.changed, dryRun, dropGroupCreated: plan.dropGroupCreated, groups: plan.groups }
}

function parseGroupSpecs(groups: readonly SecurityGroupSpec[]) {
  return groups.map((g, i) => ({
    name: parseSgName(g.name, `groups[${i}].name`),
    rules: (g.rules ?? []).map((r, j) => parseSgRule(r, `groups[${i}].rules[${j}]`)),
  }))
}

export interface DeleteSgRuleResult {
  readonly group: string
  readonly key: string
  /** The ACL removed; null with ifExists and no such rule. */
  readonly aclUuid: string | null
  readonly dryRun: boolean
}

/** Remove one rule (named by the same fields it was added with). No such rule: OVN_NB_SG_RULE_MISSING unless ifExists. */
export async function deleteSecurityGroupRule(
  nb: NbTransactor,
  group: string,
  rule: SecurityGroupRuleSpec,
  options: WriteOptions & { readonly ifExists?: boolean } = {},
): Promise<DeleteSgRuleResult> {
  const name = parseSgName(group)
  const r = parseSgRule(rule)
  const dryRun = options.dryRun === true
  const plan = await run(nb, (s) => planDeleteSgRule(s, name, r), `security group ${name}`, dryRun)
  if (plan.aclUuid === null && options.ifExists !== true) throw new NbSgRuleMissingError(name, plan.key)
  return { group: name, key: plan.key, aclUuid: plan.aclUuid, dryRun }
}

export interface DeleteSecurityGroupResult {
  readonly name: string
  readonly deleted: boolean
  readonly uuid: string | null
  readonly ports: number
  readonly leftDropGroup: number
  readonly dryRun: boolean
}

/**
 * Delete a security group with its rules. Refused (OVN_NB_SG_IN_USE) while another group's rule
 * names it, or while ports are in it unless `force`. None of that name: OVN_NB_SG_MISSING unless
 * ifExists.
 */
export async function deleteSecurityGroup(
  nb: NbTransactor,
  group: string,
  options: WriteOptions & { readonly force?: boolean; readonly ifExists?: boolean } = {},
): Promise<DeleteSecurityGroupResult> {
  const name = parseSgName(group)
  const dryRun = options.dryRun === true
  const force = options.force === true
  const plan = await run(nb, (s) => planDeleteSecurityGroup(s, name, { force }), `security group ${name}`, dryRun)
  if (plan.uuid === null && options.ifExists !== true) throw new NbSgMissingError(name)
  return {
    name,
    deleted: plan.uuid !== null,
    uuid: plan.uuid,
    ports: plan.ports,
    leftDropGroup: plan.leftDropGroup,
    dryRun,
  }
}

/** Every security group of ours, with its member ports and rules. */
export async function listSecurityGroups(nb: NbTransactor): Promise<SecurityGroupInfo[]> {
  return securityGroupInfos(await readSnapshot(nb, 'detach', { portGroups: true }))
}

export interface PortSecurityGroups {
  /** The logical switch port: a VIF's UUID. */
  readonly port: string
  /** Exactly the security groups it is to be in ([]: none, and out of the drop group). */
  readonly groups: readonly string[]
}

export interface SetPortSecurityGroupsResult {
  readonly changed: readonly string[]
  readonly dropGroupCreated: boolean
  readonly dryRun: boolean
}

/** Put each port in exactly these security groups of ours (others' port groups untouched); ONE transaction. */
export async function setPortSecurityGroups(
  nb: NbTransactor,
  wants: readonly PortSecurityGroups[],
  options: WriteOptions = {},
): Promise<SetPortSecurityGroupsResult> {
  const parsed = wants.map((w, i) => ({
    port: parseVifUuids([w.port], `ports[${i}].port`)[0] ?? '',
    groups: parseSgNames(w.groups, `ports[${i}].groups`),
  }))
  const dryRun = options.dryRun === true
  const plan = await run(nb, (s) => planSgMembership(s, parsed), 'security group members', dryRun)
  return { changed: plan.changed, dropGroupCreated: plan.dropGroupCreated, dryRun }
}
