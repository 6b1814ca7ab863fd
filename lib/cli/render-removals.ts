/**
 * Pure: what setup and teardown print BEFORE their tables when keys go: every key a run removes
 * (or, dry run, would remove) per host, first and in capitals, so a re-run that drops a key set
 * earlier (a `--set` forgotten, a key left out of --config) cannot pass unnoticed; and teardown's
 * word on a running ovn-controller. The tables themselves are lib/cli/render.ts.
 */
import type { SetupResult, TeardownResult } from '../pool/results.js'

/** setup: the keys a run removes (a key set before, not asked for now), before the table. */
export function setupRemovals(r: SetupResult): string[] {
  if (r.removals.length === 0) return []
  return [
    `${r.dryRun ? 'WOULD REMOVE' : 'REMOVED'} ${r.removals.length} key(s) set by an earlier setup and not asked for now (name them in --set or the --config file to keep them):`,
    ...r.removals.map((x) => `  ${x.host}: ${x.key} (was ${JSON.stringify(x.from)})`),
    '',
  ]
}

/** teardown: the keys given back per host (each to its value before setup), and ovn-controller. */
export function teardownNotes(r: TeardownResult): string[] {
  const out: string[] = []
  const ok = r.hosts.filter((h): h is Extract<(typeof r.hosts)[number], { ok: true }> => h.ok)
  for (const h of ok) {
    const changes = h.value.changes
    if (changes.length === 0) continue
    out.push(`${h.host.name} ${r.dryRun ? 'would give back' : 'gave back'} ${changes.length} key(s):`)
    for (const c of changes)
      out.push(
        `  ${c.key}: ${c.from === null ? '(absent)' : JSON.stringify(c.from)} -> ${c.to === null ? 'REMOVED' : JSON.stringify(c.to)}`,
      )
  }
  for (const h of ok) {
    if (h.value.controllerStopped) out.push(`${h.host.name}: ovn-controller stopped first`)
    else if (r.dryRun && h.value.controllerRunning === true)
      out.push(
        `${h.host.name}: ovn-controller runs: teardown would be REFUSED (OVN_CONTROLLER_RUNNING); pass --stop-controller, or stop it first`,
      )
  }
  return out.length === 0 ? [] : [...out, '']
}
