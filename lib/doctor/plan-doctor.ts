/**
 * Pure: `xapi-ovn doctor`'s findings, joined from what the other commands read: verify's checks
 * (the OVN network's and every host's, or why a host could not be asked), show's findings (the
 * XAPI / northbound / southbound join), and the central's reachability. Each finding has a
 * severity (an `error` makes doctor exit 1), a code (the check id, show's `OVN_SHOW_*` code, or
 * the code a host failed with), its subject, and `fix`: the one xapi-ovn command line that fixes
 * it, or null when no xapi-ovn command does (the hint then says what to do).
 *
 * A check's fix is chosen here by its stable id (CHECK_FIXES, one entry per id of
 * lib/chassis/verify.ts CHECK_IDS), not read out of its hint: the plugin's hint is for whoever
 * reads the plugin's own reply, the fix is a command of this pool's CLI with the host in it.
 */
import { CHECK_IDS, type Check, type CheckId, type CheckStatus } from '../chassis/verify.js'
import type { Failure } from '../pool/failures.js'
import type { PoolInfo, VerifyResult } from '../pool/results.js'
import { FINDING_CODES, type FindingCode, type ShowView } from '../show/model.js'
import { isOneOf } from '../shape.js'

export type Severity = 'error' | 'warning'

export interface DoctorFinding {
  readonly severity: Severity
  /** A verify check id (`bridge.no-stray-br-int`), a show code (`OVN_SHOW_*`), a host's failure code, or `central.*`. */
  readonly code: string
  /** What it is about: a host's name, the pool, a database, a port... */
  readonly subject: string
  readonly message: string
  /** The one xapi-ovn command line that fixes it, or null when no xapi-ovn command does. */
  readonly fix: string | null
  /** What to do, in words; null only when the fix says it all. */
  readonly hint: string | null
}

/** What doctor could read of the central, per database. */
export type CentralRead =
  | { readonly db: 'northbound' | 'southbound'; readonly remote: string; readonly ok: true }
  | { readonly db: 'northbound' | 'southbound'; readonly remote: string; readonly ok: false; readonly error: Failure }

export interface DoctorInput {
  readonly verify: VerifyResult
  /** show's view; null when the central was not asked or could not be read. */
  readonly show: ShowView | null
  /** Empty when no --nb / --sb was given: the central was not checked. */
  readonly central: readonly CentralRead[]
  /** The southbound remotes setup should give chassis (from --sb), else null. */
  readonly ovnRemote: string | null
}

export interface DoctorHost {
  readonly name: string
  readonly uuid: string
  /** pass: verify passed; fail: some check failed; unreachable: the host could not be asked. */
  readonly verdict: 'pass' | 'fail' | 'unreachable'
}

export interface DoctorResult {
  readonly operation: 'doctor'
  readonly pool: PoolInfo
  readonly hosts: readonly DoctorHost[]
  /** The northbound and southbound were read (show's findings are in). */
  readonly centralChecked: boolean
  readonly errors: number
  readonly warnings: number
  /** Errors first, then warnings, each in the order they were found. */
  readonly findings: readonly DoctorFinding[]
  /** No finding is an error (doctor exits 0). */
  readonly ok: boolean
}

/** A word of a command line as a shell reads it: bare when safe, else single-quoted. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9._:,@/=+-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`
}

interface FixContext {
  readonly host: string
  readonly ovnRemote: string
}

const setupFix =
  (extra = '') =>
  (c: FixContext): string =>
    `xapi-ovn setup --host ${c.host} --ovn-remote ${c.ovnRemote}${extra}`

/**
 * The fix of each verify check, by id (null: no xapi-ovn command fixes it; the check's hint says
 * what to do). setup is the command that configures a chassis, attaches the OVN network (so XAPI
 * makes or gives its ids to the bridge) and persists the configuration; service runs
 * ovn-controller; repair removes a stray br-int.
 */
export const CHECK_FIXES: Readonly<Record<CheckId, ((c: FixContext) => string) | null>> = {
  'keys.required': setupFix(),
  'keys.valid': setupFix(),
  'system-id.host': setupFix(' --force-system-id'),
  'bridge.exists': setupFix(),
  'bridge.xapi': setupFix(),
  'bridge.ports': null,
  // ovn-controller forces fail_mode=secure on its integration bridge once it runs.
  'bridge.fail-mode': (c) => `xapi-ovn service restart --host ${c.host}`,
  'bridge.no-stray-br-int': (c) => `xapi-ovn repair --host ${c.host}`,
  'mappings.bridges': setupFix(' --bridge-mappings PHYSNET:BRIDGE'),
  'encap-ip.local': setupFix(),
  // The host agent opens the ports and writes iface-ids; no xapi-ovn command runs it.
  'firewall.encap': null,
  'vifs.iface-id': null,
  'vifs.hvm-pairs': null,
  'controller.running': (c) => `xapi-ovn service start --host ${c.host}`,
  'controller.connected': null,
  // show's OVN_SHOW_VIF_WITHOUT_PORT names each VIF with its attach command.
  'vifs.installed': null,
  'ssl.material': setupFix(' --ssl-cert-dir DIR --ssl-ca-cert FILE'),
  'ssl.ovs-table': null,
  'boot.drop-in': null,
  'chassis.persisted': setupFix(),
  // The experimental modes warn by design; the agent moves the ports reconcile waits for.
  'integration.mode': null,
}

/**
 * Checks whose warning no xapi-ovn command fixes, though their failure is: bridge.xapi warns when
 * ovs-xapi-sync has not set bridge-id, which setup does not write.
 */
const FIX_ON_FAIL_ONLY: ReadonlySet<CheckId> = new Set(['bridge.xapi'])

/** The fix of one check on one host; null for a check this xapi-ovn does not know (a newer plugin). */
export function checkFix(id: string, status: CheckStatus, host: string, ovnRemote: string | null): string | null {
  if (!isOneOf(CHECK_IDS, id) || status === 'pass') return null
  if (status === 'warn' && FIX_ON_FAIL_ONLY.has(id)) return null
  const fix = CHECK_FIXES[id]
  return fix === null ? null : fix({ host: shellWord(host), ovnRemote: ovnRemote ?? 'REMOTE' })
}

/** The pool's own checks (lib/pool/verify.ts): the OVN network. */
function poolCheckFix(id: string, ovnRemote: string | null): string | null {
  if (id === 'network.exists' || id === 'network.fail-mode')
    return `xapi-ovn setup --ovn-remote ${ovnRemote ?? 'REMOTE'}`
  return null
}

/** How much each of show's findings matters: an error is something broken now, a warning may settle or be intended. */
export const SHOW_SEVERITY: Readonly<Record<FindingCode, Severity>> = {
  [FINDING_CODES.hostNoChassis]: 'error',
  [FINDING_CODES.chassisUnknown]: 'warning',
  [FINDING_CODES.chassisLagging]: 'warning',
  [FINDING_CODES.vifWithoutPort]: 'warning',
  [FINDING_CODES.portWithoutVif]: 'warning',
  [FINDING_CODES.bindingMismatch]: 'error',
  [FINDING_CODES.portUnbound]: 'error',
  [FINDING_CODES.staleOvnInstalled]: 'warning',
  [FINDING_CODES.duplicateIp]: 'error',
  [FINDING_CODES.localnetLoop]: 'error',
  [FINDING_CODES.mtuTooLarge]: 'error',
  [FINDING_CODES.clusterNoLeader]: 'error',
  [FINDING_CODES.clusterMemberDown]: 'warning',
  [FINDING_CODES.clusterSplit]: 'error',
  [FINDING_CODES.northdBehind]: 'warning',
  [FINDING_CODES.northdNotActive]: 'warning',
  [FINDING_CODES.noSbGlobal]: 'error',
}

const CENTRAL_HINTS: Readonly<Record<CentralRead['db'], string>> = {
  northbound:
    'the northbound ovsdb-server must listen at --nb (or OVN_NB_DB) and be reachable from here; give every member of a RAFT cluster',
  southbound:
    'the southbound ovsdb-server must listen at --sb (or OVN_SB_DB) and be reachable from here (port 6642 by default); give every member of a RAFT cluster',
}

function severityOf(c: Check): Severity | null {
  return c.status === 'fail' ? 'error' : c.status === 'warn' ? 'warning' : null
}

export function planDoctor(input: DoctorInput): DoctorResult {
  const { verify, show, central, ovnRemote } = input
  const found: DoctorFinding[] = []
  if (central.length === 0)
    found.push({
      severity: 'warning',
      code: 'central.not-checked',
      subject: 'OVN central',
      message: 'no --nb and --sb given: the northbound and southbound were not read (bindings, chassis, RAFT)',
      fix: 'xapi-ovn doctor --nb REMOTE --sb REMOTE',
      hint: null,
    })
  for (const c of central) {
    if (c.ok) continue
    found.push({
      severity: 'error',
      code: `central.${c.db}`,
      subject: `${c.db} ${c.remote}`,
      message: `the ${c.db} database cannot be read: ${c.error.code}: ${c.error.message}`,
      fix: null,
      hint: CENTRAL_HINTS[c.db],
    })
  }
  for (const c of verify.checks) {
    const severity = severityOf(c)
    if (severity === null) continue
    found.push({
      severity,
      code: c.id,
      subject: `pool ${verify.pool.name || verify.pool.uuid}`,
      message: c.message,
      fix: poolCheckFix(c.id, ovnRemote),
      hint: c.hint,
    })
  }
  const hosts: DoctorHost[] = []
  for (const h of verify.hosts) {
    if (!h.ok) {
      hosts.push({ name: h.host.name, uuid: h.host.uuid, verdict: 'unreachable' })
      found.push({
        severity: 'error',
        code: h.error.code,
        subject: h.host.name,
        message: h.error.message,
        fix: null,
        hint: h.error.hint,
      })
      continue
    }
    hosts.push({ name: h.host.name, uuid: h.host.uuid, verdict: h.value.ok ? 'pass' : 'fail' })
    for (const c of h.value.checks) {
      const severity = severityOf(c)
      if (severity === null) continue
      found.push({
        severity,
        code: c.id,
        subject: h.host.name,
        message: c.message,
        fix: checkFix(c.id, c.status, h.host.uuid, ovnRemote),
        hint: c.hint,
      })
    }
  }
  // show does not know the southbound remotes a chassis should get; doctor does when given --sb.
  const remote = (fix: string | null): string | null =>
    fix === null || ovnRemote === null ? fix : fix.replace('--ovn-remote REMOTE', `--ovn-remote ${ovnRemote}`)
  for (const f of show?.findings ?? [])
    found.push({
      severity: SHOW_SEVERITY[f.code],
      code: f.code,
      subject: f.subject,
      message: f.message,
      fix: remote(f.fix),
      hint: f.hint,
    })
  const findings = [...found.filter((f) => f.severity === 'error'), ...found.filter((f) => f.severity === 'warning')]
  const errors = findings.filter((f) => f.severity === 'error').length
  return {
    operation: 'doctor',
    pool: verify.pool,
    hosts,
    centralChecked: show !== null,
    errors,
    warnings: findings.length - errors,
    findings,
    ok: errors === 0,
  }
}
