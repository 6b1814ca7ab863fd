/**
 * xapi-ovn sg add|del|list, sg rule add|del, sg attach|detach: security groups as Neutron's OVN
 * driver makes them (lib/nb/plan-security-groups.ts). add/del/list/rule need only the northbound;
 * attach/detach also the pool (the VIF's other_config xapi-ovn-security-groups, lib/attach).
 */
import { attachSecurityGroup, detachSecurityGroup, type SecurityGroupAttachResult } from '../../attach/index.js'
import {
  addSecurityGroupRules,
  deleteSecurityGroup,
  deleteSecurityGroupRule,
  ensureSecurityGroups,
  listSecurityGroups,
  type EnsureSecurityGroupsResult,
  type SecurityGroupInfo,
  parseSgName,
  parseSgRule,
  ruleSpecOf,
  type SecurityGroupRuleSpec,
} from '../../nb/index.js'
import { Command, type RunContext } from '../command.js'
import { withNorthbound, withNorthboundAndPool } from '../connections.js'
import { CONNECTION_OPTIONS, flag, requiredString, stringList, stringOption, UsageError } from '../options.js'
import { EXIT_OK } from '../output.js'
import { renderTable } from '../render.js'

const RULE_OPTIONS = ['sg', 'direction', 'proto', 'port', 'remote-cidr', 'remote-group', 'ethertype'] as const

/**
 * The rule the options name, checked here, before anything connects (the library's one parser:
 * OVN_INVALID_ARGUMENT naming the field).
 */
function ruleSpec(cx: RunContext): SecurityGroupRuleSpec {
  const given: Record<string, string> = { direction: requiredString(cx.values, 'direction') }
  for (const [option, field] of [
    ['proto', 'protocol'],
    ['port', 'ports'],
    ['remote-cidr', 'remoteCidr'],
    ['remote-group', 'remoteGroup'],
    ['ethertype', 'family'],
  ] as const) {
    const v = stringOption(cx.values, option)
    if (v !== undefined) given[field] = v
  }
  return ruleSpecOf(parseSgRule(given))
}

function renderEnsure(r: EnsureSecurityGroupsResult): string {
  const lines: string[] = []
  for (const g of r.groups) {
    const verb = g.action === 'created' ? (r.dryRun ? 'would be created' : 'created') : 'exists'
    lines.push(`security group ${g.name} (port group ${g.portGroup}${g.uuid === null ? '' : `, ${g.uuid}`}) ${verb}`)
    for (const rule of g.rules)
      lines.push(
        `  rule ${rule.key}: ${rule.action === 'created' ? (r.dryRun ? 'would be added' : 'added') : 'unchanged'} (${rule.direction} ${rule.match})`,
      )
  }
  if (r.dropGroupCreated) lines.push(`default-drop port group xapi_ovn_pg_drop ${r.dryRun ? 'would be ' : ''}created`)
  return lines.join('\n')
}

function renderList(groups: readonly SecurityGroupInfo[]): string {
  if (groups.length === 0) return 'no security group'
  const rows = groups.flatMap((g) => {
    const head = [g.name, String(g.ports.length), g.rules.length === 0 ? '(no rule: all IP dropped)' : '']
    return [
      ...(g.rules.length === 0 ? [head] : []),
      ...g.rules.map((r, i) => [i === 0 ? g.name : '', i === 0 ? String(g.ports.length) : '', r.key]),
      ...(g.foreignAcls > 0 ? [['', '', `(${g.foreignAcls} ACL(s) not ours, left alone)`]] : []),
    ]
  })
  return renderTable(['GROUP', 'PORTS', 'RULES'], rows)
}

function renderMembership(r: SecurityGroupAttachResult, how: 'attach' | 'detach'): string {
  const lines = r.vifs.map(
    (v) =>
      `${v.vmName || v.vmUuid} VIF ${v.vifUuid}: groups ${v.before.join(',') || '(none)'} -> ${v.after.join(',') || '(none)'}`,
  )
  const done = r.changed ? (r.dryRun ? `would be ${how}ed` : `${how}ed`) : 'unchanged'
  return [...lines, `security group ${r.group}: ${r.vifs.length} VIF(s) ${done}`].join('\n')
}

function targets(cx: RunContext): { vms: string[]; vifs: string[] } {
  const vms = stringList(cx.values, 'vm')
  const vifs = stringList(cx.values, 'vif')
  if (vms.length === 0 && vifs.length === 0) throw new UsageError('give --vm or --vif (repeatable)')
  return { vms, vifs }
}

export const sgCommand = new Command('sg', {
  summary: 'security groups (OVN port groups and ACLs, as Neutron makes them): add, del, list, rule, attach',
  description: `Security groups, as Neutron's OVN driver makes them: one port group per group, one allow-related
ACL per rule (priority 1002), and a default-drop port group (xapi_ovn_pg_drop, priority 1001)
every port of any group is also in. A port in a group has its IP traffic dropped unless a rule of
one of its groups allows it; replies to allowed traffic pass (stateful). A port in no group is not
affected. Everything xapi-ovn makes is marked in external_ids; other port groups and ACLs are
never touched.`,
  verbs: {
    add: {
      summary: 'create a security group (no rule yet: its ports send and receive no IP)',
      description: `Create security group NAME (a letter, then letters, digits or _): port group xapi_ovn_sg_NAME,
and the default-drop group with the first group. Running it again changes nothing.`,
      options: ['sg', 'dry-run', 'nb', 'json'],
      required: ['sg'],
      async run(cx) {
        const name = parseSgName(requiredString(cx.values, 'sg'))
        return withNorthbound(cx, async (nb) => {
          const r = await ensureSecurityGroups(nb, [{ name }], { dryRun: flag(cx.values, 'dry-run') })
          cx.out.result(r, () => renderEnsure(r))
          return EXIT_OK
        })
      },
    },
    del: {
      summary: 'delete a security group with its rules',
      description: `Delete a security group and its rules. Refused while ports are in it (unless --force: they
leave it, and the drop group when they are in no other group) or while a rule of another group
names it with --remote-group.`,
      options: ['sg', 'force', 'if-exists', 'dry-run', 'nb', 'json'],
      required: ['sg'],
      async run(cx) {
        const name = parseSgName(requiredString(cx.values, 'sg'))
        return withNorthbound(cx, async (nb) => {
          const r = await deleteSecurityGroup(nb, name, {
            force: flag(cx.values, 'force'),
            ifExists: flag(cx.values, 'if-exists'),
            dryRun: flag(cx.values, 'dry-run'),
          })
          cx.out.result(r, () =>
            r.deleted
              ? `security group ${r.name} ${r.dryRun ? 'would be deleted' : 'deleted'}${r.ports > 0 ? ` (${r.ports} port(s) left it, ${r.leftDropGroup} of them the drop group)` : ''}`
              : `no security group ${r.name}: nothing to do`,
          )
          return EXIT_OK
        })
      },
    },
    list: {
      summary: 'list the security groups with their ports and rules',
      description: 'Every security group xapi-ovn made, with the number of its ports and each rule.',
      options: ['nb', 'json'],
      async run(cx) {
        return withNorthbound(cx, async (nb) => {
          const groups = await listSecurityGroups(nb)
          cx.out.result(groups, () => renderList(groups))
          return EXIT_OK
        })
      },
    },
    'rule add': {
      summary: 'add a rule (an allow-related ACL) to a security group',
      synopsis: '--sg NAME --direction DIR [--proto P] [--port P[-P]] [options]',
      description: `Allow traffic to (ingress) or from (egress) the group's ports: --proto (default any), a
destination --port or range for tcp/udp, the peer as --remote-cidr or --remote-group (every
port of that group), the IP family --ethertype (default: the CIDR's, else ip4). Replies to
allowed traffic need no rule. The same rule again changes nothing.`,
      options: [...RULE_OPTIONS, 'dry-run', 'nb', 'json'],
      required: ['sg', 'direction'],
      async run(cx) {
        const name = parseSgName(requiredString(cx.values, 'sg'))
        const rule = ruleSpec(cx)
        return withNorthbound(cx, async (nb) => {
          const r = await addSecurityGroupRules(nb, name, [rule], { dryRun: flag(cx.values, 'dry-run') })
          cx.out.result(r, () => renderEnsure(r))
          return EXIT_OK
        })
      },
    },
    'rule del': {
      summary: 'remove a rule from a security group (named by the options it was added with)',
      synopsis: '--sg NAME --direction DIR [--proto P] [--port P[-P]] [options]',
      description: 'Remove the rule these options name (as `sg rule add` took them) from the group.',
      options: [...RULE_OPTIONS, 'if-exists', 'dry-run', 'nb', 'json'],
      required: ['sg', 'direction'],
      async run(cx) {
        const name = parseSgName(requiredString(cx.values, 'sg'))
        const rule = ruleSpec(cx)
        return withNorthbound(cx, async (nb) => {
          const r = await deleteSecurityGroupRule(nb, name, rule, {
            ifExists: flag(cx.values, 'if-exists'),
            dryRun: flag(cx.values, 'dry-run'),
          })
          cx.out.result(r, () =>
            r.aclUuid === null
              ? `security group ${r.group} has no rule ${r.key}: nothing to do`
              : `rule ${r.key} ${r.dryRun ? 'would be removed' : 'removed'} from security group ${r.group}`,
          )
          return EXIT_OK
        })
      },
    },
    attach: {
      summary: "put VMs' ports in a security group (recorded on the VIF in XAPI)",
      synopsis: '--sg NAME (--vm VM | --vif UUID)... [options]',
      description: `Put the ports of these VMs' VIFs on the OVN network (or of these VIFs) in the security group:
the group's name is added to the VIF's other_config xapi-ovn-security-groups (what the pool agent
reads), then every port's membership is written in ONE northbound transaction; if the
northbound refuses it, the VIF keys are put back. The ports must exist (xapi-ovn port attach).`,
      options: ['sg', 'vm', 'vif', 'network', 'dry-run', 'nb', ...CONNECTION_OPTIONS, 'json'],
      required: ['sg'],
      async run(cx) {
        return membership(cx, 'attach')
      },
    },
    detach: {
      summary: "take VMs' ports out of a security group",
      synopsis: '--sg NAME (--vm VM | --vif UUID)... [options]',
      description: `Take the ports of these VMs' VIFs (or of these VIFs) out of the security group (and the VIF's
other_config xapi-ovn-security-groups); a port left in no group leaves the drop group too, so no
ACL of xapi-ovn applies to it any more.`,
      options: ['sg', 'vm', 'vif', 'network', 'dry-run', 'nb', ...CONNECTION_OPTIONS, 'json'],
      required: ['sg'],
      async run(cx) {
        return membership(cx, 'detach')
      },
    },
  },
})

async function membership(cx: RunContext, how: 'attach' | 'detach'): Promise<number> {
  const group = parseSgName(requiredString(cx.values, 'sg'))
  const { vms, vifs } = targets(cx)
  const network = stringOption(cx.values, 'network')
  return withNorthboundAndPool(cx, async (nb, pool) => {
    const options = {
      group,
      vms,
      vifs,
      ...(network === undefined ? {} : { network }),
      dryRun: flag(cx.values, 'dry-run'),
    }
    const r =
      how === 'attach' ? await attachSecurityGroup(pool, nb, options) : await detachSecurityGroup(pool, nb, options)
    cx.out.result(r, () => renderMembership(r, how))
    return EXIT_OK
  })
}
