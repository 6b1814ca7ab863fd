/**
 * Benchmark: security groups in bulk. 1,000 ACLs in 100 port groups (10 rules each, the
 * Neutron-style matches of lib/nb/plan-security-groups.ts) installed on a fresh real standalone
 * OVN_Northbound ovsdb-server (test/integration/nb-server.ts):
 *   - library: ONE ensureSecurityGroups call (read, plan, ONE guarded transaction), connection
 *     already open;
 *   - peer: ONE ovn-nbctl invocation with the 1,100 commands chained by `--` (`pg-add` per group,
 *     `acl-add` per rule: ovn-nbctl makes one transaction of them), a process start included as a
 *     user running it pays it. Its ACLs carry no external_ids (acl-add of OVN 23.03 sets none):
 *     the same rows otherwise, plus our drop group's two ACLs on the library's side.
 * BENCH_SG_ROUNDS rounds (default 3), each side on a fresh server each round; printed: the
 * median wall time of each and the library's as a ratio to ovn-nbctl's, measured in the same run.
 */
import { performance } from 'node:perf_hooks'
import { connectNorthbound, ensureSecurityGroups, parseSgRule, portGroupName, ruleMatch } from '../lib/nb/index.js'
import type { SecurityGroupSpec } from '../lib/nb/index.js'
import { NbDatabase } from '../test/integration/nb-server.js'

const GROUPS = 100
const RULES = 10
const ROUNDS = Number(process.env.BENCH_SG_ROUNDS ?? 3)

function specs(): SecurityGroupSpec[] {
  return Array.from({ length: GROUPS }, (_, g) => ({
    name: `g${g}`,
    rules: Array.from({ length: RULES }, (_, r) => ({
      direction: r % 2 === 0 ? ('ingress' as const) : ('egress' as const),
      protocol: 'tcp' as const,
      ports: `${1000 + r * 10}-${1000 + r * 10 + 5}`,
      remoteCidr: `198.18.${g}.0/24`,
    })),
  }))
}

/** The same groups and ACLs as ovn-nbctl commands, chained with `--`. */
function nbctlArgs(groups: readonly SecurityGroupSpec[]): string[] {
  const args: string[] = []
  for (const g of groups) {
    const pg = portGroupName(g.name)
    args.push('--', 'pg-add', pg)
    for (const r of g.rules ?? []) {
      const rule = parseSgRule(r)
      const dir = rule.direction === 'ingress' ? 'to-lport' : 'from-lport'
      args.push('--', 'acl-add', pg, dir, '1002', ruleMatch(pg, rule), 'allow-related')
    }
  }
  return args.slice(1)
}

async function aclCount(db: NbDatabase): Promise<number> {
  return (await db.nbctl(['--bare', '--columns=_uuid', 'list', 'ACL'])).split('\n').filter((l) => l.trim() !== '')
    .length
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? Number.NaN
}

export async function benchSecurityGroups(): Promise<void> {
  const groups = specs()
  const lib: number[] = []
  const nbctl: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    {
      const db = await NbDatabase.standalone()
      const nb = await connectNorthbound(db.remotes, { timeoutMs: 60_000 })
      try {
        const t0 = performance.now()
        await ensureSecurityGroups(nb, groups)
        lib.push(performance.now() - t0)
        const n = await aclCount(db)
        if (n !== GROUPS * RULES + 2) throw new Error(`library: ${n} ACLs`)
      } finally {
        await nb.close()
        await db.destroy()
      }
    }
    {
      const db = await NbDatabase.standalone()
      try {
        const args = nbctlArgs(groups)
        const t0 = performance.now()
        await db.nbctl(args)
        nbctl.push(performance.now() - t0)
        const n = await aclCount(db)
        if (n !== GROUPS * RULES) throw new Error(`ovn-nbctl: ${n} ACLs`)
      } finally {
        await db.destroy()
      }
    }
  }
  const l = median(lib)
  const p = median(nbctl)
  console.log(
    `sg: ${GROUPS * RULES} ACLs in ${GROUPS} port groups, one transaction each, median of ${ROUNDS}: library ${l.toFixed(0)} ms, ovn-nbctl (one invocation, ${GROUPS + GROUPS * RULES} commands chained with --) ${p.toFixed(0)} ms: ratio ${(l / p).toFixed(2)}x`,
  )
}
