/**
 * Human output of the xapi-ovn command line: for pool commands a per-host table, a verdict line,
 * then every failure and every failed (or warning) check with its hint; for northbound commands a
 * table of what is there or what changed. Pure: results in, text out.
 */
import type { AttachVmsResult, DetachVmsResult, VmPortInfo } from '../attach/index.js'
import type { Check } from '../chassis/verify.js'
import type { LocalnetInfo, SwitchInfo } from '../nb/index.js'
import type { Failure } from '../pool/failures.js'
import type { HostInfo } from '../pool/plan-setup.js'
import type { DoctorResult } from '../doctor/plan-doctor.js'
import type { RepairResult } from '../pool/repair.js'
import { serviceReached, type ServiceResult } from '../pool/service.js'
import type { SslRequestResult } from '../pool/ssl-request.js'
import type {
  HostOutcome,
  ProgressEvent,
  SetupResult,
  StatusResult,
  TeardownResult,
  TransportInfo,
  VerifyResult,
} from '../pool/results.js'
import { KEY_ENCAP_IP } from '../chassis/keys.js'
import { rewordFailure } from './failure-wording.js'

/** Columns padded to their widest cell, two spaces apart, no trailing blanks. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(headers), ...rows.map(line)].join('\n')
}

export function renderFailure(name: string, f: Failure): string {
  return `${name}: ${f.code}: ${f.message}${f.hint === null ? '' : `\n  hint: ${f.hint}`}`
}

function transportCell(t: TransportInfo | null | undefined): string {
  if (t === null || t === undefined) return '-'
  return `${t.device}${t.vlan >= 0 ? `.${t.vlan}` : ''} ${t.ip}`
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

function failureLines<T>(hosts: readonly HostOutcome<T>[]): string[] {
  return hosts
    .filter((h): h is Extract<HostOutcome<T>, { ok: false }> => !h.ok)
    .map((h) => renderFailure(h.host.name, rewordFailure(h.error)))
}

function poolLine(operation: string, r: { pool: { name: string; url: string; uuid: string } }): string {
  return `${operation} of pool ${r.pool.name || r.pool.uuid} (${r.pool.url})`
}

function keysCell(changes: number, changed: boolean): string {
  return changed ? `${plural(changes, 'key')} ${changes === 1 ? 'changes' : 'change'}` : 'nothing to change'
}

export function renderSetup(r: SetupResult): string {
  const out: string[] = [poolLine(r.dryRun ? 'setup (dry run)' : 'setup', r)]
  const n = r.network
  const netName = n.network === null ? n.nameLabel : `${n.nameLabel} (${n.network.uuid}), bridge ${n.network.bridge}`
  const action = { found: 'found', created: 'created', 'would-create': 'would be created' }[n.action]
  out.push(
    `network ${netName}: ${action}${n.failModeSet ? `; vswitch-controller-fail-mode=secure ${r.dryRun ? 'would be ' : ''}set` : ''}`,
  )
  const rows = r.hosts.map((h) => {
    if (!h.ok) return [h.host.name, h.host.address, '-', 'FAILED', h.error.code]
    const v = h.value
    if (v.chassis === null)
      return [
        h.host.name,
        h.host.address,
        transportCell(v.transport),
        r.dryRun ? 'would change' : 'changed',
        v.pending ?? '',
      ]
    const result = r.dryRun
      ? v.chassis.changed
        ? 'would change'
        : 'unchanged'
      : v.chassis.changed
        ? 'changed'
        : 'unchanged'
    return [
      h.host.name,
      h.host.address,
      transportCell(v.transport),
      result,
      keysCell(v.chassis.changes.length, v.chassis.changed),
    ]
  })
  out.push('', renderTable(['HOST', 'ADDRESS', 'TRANSPORT', 'RESULT', 'DETAIL'], rows))
  if (r.dryRun) {
    for (const h of r.hosts) {
      if (!h.ok || h.value.chassis === null || !h.value.chassis.changed) continue
      out.push(
        '',
        `${h.host.name} would change:`,
        ...h.value.chassis.changes.map((c) => `  ${c.key}: ${c.from ?? '(absent)'} -> ${c.to ?? '(absent)'}`),
      )
    }
  }
  const failures = failureLines(r.hosts)
  if (failures.length > 0) out.push('', ...failures)
  const okCount = r.hosts.filter((h) => h.ok).length
  const changed = r.hosts.filter((h) => h.ok && (h.value.chassis === null || h.value.chassis.changed)).length
  const verb = r.dryRun ? 'planned' : 'configured'
  const tally = `${okCount} of ${plural(r.hosts.length, 'host')} ${verb} (${changed} ${r.dryRun ? 'would change' : 'changed'}, ${okCount - changed} unchanged)`
  out.push(
    '',
    r.ok ? `OK: ${tally}` : `FAILED on ${r.hosts.length - okCount} of ${plural(r.hosts.length, 'host')}: ${tally}`,
  )
  if (!r.dryRun && r.ok)
    out.push('next: xapi-ovn service start (ovn-controller on every host), then xapi-ovn verify --wait 30')
  return out.join('\n')
}

function checkLine(c: Check): string {
  return `  ${c.status === 'fail' ? 'FAIL' : c.status} ${c.id}: ${c.message}${c.hint === null ? '' : `\n    hint: ${c.hint}`}`
}

function tallyChecks(checks: readonly Check[]): string {
  const count = (s: string): number => checks.filter((c) => c.status === s).length
  return [
    `${count('pass')} pass`,
    count('warn') > 0 ? `${count('warn')} warn` : '',
    count('fail') > 0 ? `${count('fail')} fail` : '',
  ]
    .filter((x) => x !== '')
    .join(', ')
}

export function renderVerify(r: VerifyResult): string {
  const out: string[] = [poolLine('verify', r)]
  out.push(...r.checks.map((c) => checkLine(c)))
  const rows = r.hosts.map((h) => {
    if (!h.ok) return [h.host.name, h.host.address, 'FAILED', h.error.code]
    return [
      h.host.name,
      h.host.address,
      h.value.ok ? 'PASS' : 'FAIL',
      `${tallyChecks(h.value.checks)}${h.value.waited > 0 ? ` (waited ${h.value.waited}s)` : ''}`,
    ]
  })
  out.push('', renderTable(['HOST', 'ADDRESS', 'VERDICT', 'CHECKS'], rows))
  for (const h of r.hosts) {
    if (!h.ok) continue
    const notable = h.value.checks.filter((c) => c.status !== 'pass')
    if (notable.length > 0) out.push('', `${h.host.name}:`, ...notable.map((c) => checkLine(c)))
  }
  const failures = failureLines(r.hosts)
  if (failures.length > 0) out.push('', ...failures)
  const passed = r.hosts.filter((h) => h.ok && h.value.ok).length
  const poolFail = r.checks.some((c) => c.status === 'fail')
  out.push(
    '',
    r.ok
      ? `OK: all ${plural(r.hosts.length, 'host')} pass`
      : `FAIL: ${passed} of ${plural(r.hosts.length, 'host')} pass${poolFail ? '; the OVN network fails its checks' : ''}`,
  )
  return out.join('\n')
}

export function renderStatus(r: StatusResult): string {
  const out: string[] = [poolLine('status', r)]
  const n = r.network
  out.push(
    n === null
      ? 'network: none (run xapi-ovn setup)'
      : `network ${n.nameLabel} (${n.uuid}), bridge ${n.bridge}, vswitch-controller-fail-mode=${n.failMode ?? '(absent)'}`,
  )
  const rows = r.hosts.map((h) => {
    if (!h.ok) return [h.host.name, h.host.address, 'FAILED', '-', '-', '-', h.error.code]
    const c = h.value.chassis
    const bridge =
      c.bridge === null
        ? '-'
        : `${c.bridge.name}${c.bridge.exists ? '' : ' (missing)'}${h.value.onOvnNetwork ? '' : c.bridge !== null ? ' (not the OVN network)' : ''}`
    const controller = c.controller.running ? (c.controller.connection ?? 'running') : 'not running'
    const ports = c.ports.filter((p) => p.kind === 'vif' || p.kind === 'tap')
    const installed = ports.filter((p) => p.ovnInstalled).length
    return [
      h.host.name,
      h.host.address,
      c.configured ? 'configured' : 'not configured',
      bridge,
      c.keys[KEY_ENCAP_IP] ?? '-',
      controller,
      `${installed}/${ports.length} VIFs bound`,
    ]
  })
  out.push('', renderTable(['HOST', 'ADDRESS', 'CHASSIS', 'BRIDGE', 'ENCAP IP', 'OVN-CONTROLLER', 'PORTS'], rows))
  for (const h of r.hosts) {
    if (h.ok && h.value.transportProblem !== null) out.push(`${h.host.name}: transport: ${h.value.transportProblem}`)
  }
  if (n !== null && n.vifs.length > 0) {
    const vifRows = n.vifs.map((v) => [
      v.vmName,
      v.device,
      v.mac,
      v.uuid,
      v.host ?? '-',
      v.currentlyAttached ? 'plugged' : 'unplugged',
      v.ovnBound === null ? '?' : v.ovnBound ? 'yes' : v.boundOn === '' ? 'no' : `elsewhere (${v.boundOn ?? ''})`,
      v.ovnInstalled === null ? '?' : v.ovnInstalled ? 'yes' : 'no',
    ])
    out.push('', renderTable(['VM', 'DEV', 'MAC', 'VIF', 'HOST', 'STATE', 'OVN-BOUND', 'INSTALLED'], vifRows))
    if (r.bindingsProblem !== null) out.push(`OVN-BOUND unknown: ${r.bindingsProblem}`)
  }
  const failures = failureLines(r.hosts)
  if (failures.length > 0) out.push('', ...failures)
  const okCount = r.hosts.filter((h) => h.ok).length
  out.push(
    '',
    r.ok
      ? `OK: ${plural(r.hosts.length, 'host')} answered`
      : `FAILED: ${okCount} of ${plural(r.hosts.length, 'host')} answered`,
  )
  return out.join('\n')
}

export function renderTeardown(r: TeardownResult): string {
  const out: string[] = [poolLine(r.dryRun ? 'teardown (dry run)' : 'teardown', r)]
  const rows = r.hosts.map((h) => {
    if (!h.ok) return [h.host.name, h.host.address, 'FAILED', h.error.code]
    const result = h.value.changed ? (r.dryRun ? 'would restore' : 'restored') : 'nothing to undo'
    return [h.host.name, h.host.address, result, h.value.changed ? `${plural(h.value.changes.length, 'key')}` : '']
  })
  out.push('', renderTable(['HOST', 'ADDRESS', 'RESULT', 'DETAIL'], rows))
  const failures = failureLines(r.hosts)
  if (failures.length > 0) out.push('', ...failures)
  const n = r.network
  const name = n.network === null ? '' : ` ${n.network.nameLabel} (${n.network.uuid})`
  const words = {
    kept: 'kept (pass --remove-network to remove it)',
    destroyed: 'destroyed',
    'would-destroy': 'would be destroyed',
    'not-destroyed': 'NOT destroyed',
    absent: 'not found',
  }[n.action]
  out.push('', `network${name}: ${words}${n.reason === null ? '' : `: ${n.reason}`}`)
  const okCount = r.hosts.filter((h) => h.ok).length
  const done = r.dryRun ? 'planned' : 'torn down'
  out.push(
    '',
    r.ok
      ? `OK: ${okCount} of ${plural(r.hosts.length, 'host')} ${done}`
      : `FAILED: ${okCount} of ${plural(r.hosts.length, 'host')} ${done}`,
  )
  return out.join('\n')
}

export function renderService(r: ServiceResult): string {
  const out: string[] = [poolLine(`service ${r.action}`, r)]
  const rows = r.hosts.map((h) => {
    if (!h.ok) return [h.host.name, h.host.address, 'FAILED', h.error.code, '', '', '']
    const v = h.value
    return [
      h.host.name,
      h.host.address,
      serviceReached(r.action, v, false) ? 'ok' : 'NOT REACHED',
      `${v.activeState}/${v.subState}`,
      v.mainPid === null ? '-' : String(v.mainPid),
      v.unitFileState || '-',
      v.bootWait ? 'yes' : 'NO',
    ]
  })
  out.push('', renderTable(['HOST', 'ADDRESS', 'RESULT', 'STATE', 'PID', 'ENABLED', 'BOOT-WAIT'], rows))
  const failures = failureLines(r.hosts)
  if (failures.length > 0) out.push('', ...failures)
  const reached = r.hosts.filter((h) => h.ok && serviceReached(r.action, h.value, false)).length
  const active = r.hosts.filter((h) => h.ok && h.value.active).length
  const tally = `ovn-controller active on ${active} of ${plural(r.hosts.length, 'host')}`
  out.push(
    '',
    r.ok ? `OK: ${tally}` : `FAILED on ${r.hosts.length - reached} of ${plural(r.hosts.length, 'host')}: ${tally}`,
  )
  return out.join('\n')
}

export function renderRepair(r: RepairResult): string {
  const out: string[] = [poolLine(r.dryRun ? 'repair (dry run)' : 'repair', r)]
  const rows = r.hosts.map((h) => {
    if (!h.ok) return [h.host.name, h.host.address, 'FAILED', h.error.code]
    const v = h.value
    const removed = v.removed.map((b) => b.name).join(', ')
    const result =
      v.removed.length > 0 ? (r.dryRun ? `would remove ${removed}` : `removed ${removed}`) : 'nothing to remove'
    return [h.host.name, h.host.address, result, v.left.length > 0 ? `${plural(v.left.length, 'thing')} left` : '']
  })
  out.push('', renderTable(['HOST', 'ADDRESS', 'RESULT', 'LEFT'], rows))
  for (const h of r.hosts)
    if (h.ok && h.value.left.length > 0) out.push('', `${h.host.name}:`, ...h.value.left.map((l) => `  left: ${l}`))
  const failures = failureLines(r.hosts)
  if (failures.length > 0) out.push('', ...failures)
  const okCount = r.hosts.filter((h) => h.ok && h.value.left.length === 0).length
  const done = r.dryRun ? 'would be in order' : 'in order'
  out.push(
    '',
    r.ok
      ? `OK: ${okCount} of ${plural(r.hosts.length, 'host')} ${done}`
      : `NOT DONE: ${okCount} of ${plural(r.hosts.length, 'host')} ${done}`,
  )
  return out.join('\n')
}

export function renderDoctor(r: DoctorResult): string {
  const out: string[] = [poolLine('doctor', r)]
  const rows = r.hosts.map((h) => [
    h.name,
    h.uuid,
    { pass: 'PASS', fail: 'FAIL', unreachable: 'UNREACHABLE' }[h.verdict],
  ])
  out.push('', renderTable(['HOST', 'UUID', 'VERIFY'], rows))
  if (!r.centralChecked) out.push('', 'the central was not read (give --nb and --sb)')
  for (const f of r.findings) {
    out.push('', `${f.severity === 'error' ? 'ERROR' : 'warning'} ${f.code} (${f.subject}): ${f.message}`)
    if (f.fix !== null) out.push(`  fix: ${f.fix}`)
    if (f.hint !== null) out.push(`  hint: ${f.hint}`)
  }
  const tally = `${plural(r.errors, 'error')}, ${plural(r.warnings, 'warning')}`
  out.push('', r.ok ? `OK: ${tally}` : `FAIL: ${tally}`)
  return out.join('\n')
}

/** One stderr line per progress event worth telling (null: nothing to say). */
export function renderProgress(e: ProgressEvent, done: number, total: number, dryRun = false): string | null {
  const who = (h: HostInfo): string => `[${done}/${total}] ${h.name}`
  switch (e.type) {
    case 'network':
      return `network ${e.nameLabel}: ${{ found: 'found', created: 'created', 'fail-mode-set': 'vswitch-controller-fail-mode=secure set', 'would-create': 'would be created', destroyed: 'destroyed' }[e.action]}`
    case 'host-started':
      return null
    case 'host-finished': {
      const changed = dryRun ? 'would change' : 'changed'
      const what =
        e.passed === null
          ? e.changed === null
            ? 'done'
            : e.changed
              ? changed
              : 'unchanged'
          : e.passed
            ? 'pass'
            : 'FAIL'
      return `${who(e.host)}: ${what}`
    }
    case 'host-failed':
      return `${who(e.host)}: FAILED ${e.error.code}`
  }
}

// ---------------------------------------------------------------------------------------------
// northbound: switch, port

export function renderLocalnets(ports: readonly LocalnetInfo[]): string {
  if (ports.length === 0) return 'no localnet port'
  return renderTable(
    ['SWITCH', 'PORT', 'NETWORK', 'VLAN', 'UUID'],
    ports.map((p) => [p.switchName, p.name, p.networkName, p.vlan === null ? 'untagged' : String(p.vlan), p.uuid]),
  )
}

export function renderSwitches(switches: readonly SwitchInfo[]): string {
  if (switches.length === 0) return 'no logical switch'
  return renderTable(
    ['SWITCH', 'UUID', 'SUBNET', 'PORTS'],
    switches.map((s) => [
      s.name,
      s.uuid,
      [s.subnet, s.ipv6Prefix].filter((x) => x !== null).join(' ') || '-',
      String(s.portCount),
    ]),
  )
}

export function renderAttach(r: AttachVmsResult): string {
  const rows = r.attachments.map((a) => [
    a.vm.name || a.vm.uuid,
    a.vif.device,
    a.vif.uuid,
    a.port.address,
    a.vifAction === 'created' ? 'created' : 'found',
    a.plug,
    a.port.action,
  ])
  return [
    renderTable(['VM', 'DEVICE', 'VIF = PORT', 'ADDRESSES', 'VIF', 'PLUG', 'PORT'], rows),
    `${r.attachments.length} VM(s) on logical switch ${r.switchName} through network ${r.network.nameLabel} (${r.network.bridge})${r.changed ? '' : ': nothing to change'}`,
  ].join('\n')
}

export function renderDetach(r: DetachVmsResult): string {
  if (r.detached.length === 0) return 'nothing attached: nothing to do'
  const rows = r.detached.map((d) => [
    d.vm?.name || d.vm?.uuid || '-',
    d.vifUuid,
    d.port === null ? '-' : `removed from ${d.port.switchName}`,
    d.destroyed ? (d.unplugged ? 'unplugged, destroyed' : 'destroyed') : 'kept',
  ])
  return renderTable(['VM', 'VIF = PORT', 'PORT', 'VIF'], rows)
}

/** The addresses entry, and for a `dynamic` one what ovn-northd assigned (or that it has not yet). */
function portAddresses(p: VmPortInfo): string {
  const entry = p.addresses.join(' ')
  if (entry === '') return '-'
  if (!p.addresses.some((a) => a.split(' ').includes('dynamic'))) return entry
  return `${entry} (${p.dynamicAddresses === null ? 'not assigned yet' : `assigned ${p.dynamicAddresses}`})`
}

export function renderPorts(ports: readonly VmPortInfo[]): string {
  if (ports.length === 0) return 'no logical switch port'
  const rows = ports.map((p) => [
    p.switchName,
    p.name,
    p.type === '' ? 'vif' : p.type,
    portAddresses(p),
    p.up === null ? '-' : p.up ? 'up' : 'down',
    p.xapi === null
      ? '-'
      : `${p.xapi.vm.name || p.xapi.vm.uuid} dev ${p.xapi.vif.device}${p.xapi.vif.currentlyAttached ? '' : ' (unplugged)'}`,
    p.xapi?.host ?? '-',
  ])
  return renderTable(['SWITCH', 'PORT', 'TYPE', 'ADDRESSES', 'STATE', 'VM', 'HOST'], rows)
}

/** `ssl request`: one row per host (its key, its CSR file), then the next steps. */
export function renderSslRequest(
  r: SslRequestResult & { readonly dir: string; readonly files: Readonly<Record<string, string>> },
): string {
  const out: string[] = [poolLine(r.dryRun ? 'ssl request (dry run)' : 'ssl request', r)]
  const rows = r.hosts.map((h) => {
    if (!h.ok) return [h.host.name, h.host.uuid, 'FAILED', h.error.code]
    const key = h.value.keyCreated ? (r.dryRun ? 'would be made' : 'made') : 'kept'
    return [
      h.host.name,
      h.host.uuid,
      key,
      r.files[h.host.uuid] ?? (h.value.csr === null ? '-' : 'not written (dry run)'),
    ]
  })
  out.push('', renderTable(['HOST', 'UUID', 'KEY', 'CSR'], rows))
  const failures = failureLines(r.hosts)
  if (failures.length > 0) out.push('', ...failures)
  const okCount = r.hosts.filter((h) => h.ok).length
  out.push(
    '',
    r.ok
      ? `OK: ${okCount} of ${plural(r.hosts.length, 'host')} answered`
      : `FAILED on ${r.hosts.length - okCount} of ${plural(r.hosts.length, 'host')}`,
  )
  if (!r.dryRun && okCount > 0)
    out.push(
      `next: sign each ${r.dir}/<host-uuid>.csr with your CA into ${r.dir}/<host-uuid>.pem, then run xapi-ovn setup --ssl-cert-dir ${r.dir} --ssl-ca-cert CA.pem`,
    )
  return out.join('\n')
}
