/**
 * Apply and remove SSL material: the certificate and CA files and our options in the options
 * file, in the order that never lets the options name a missing file. The private key is not
 * written here: fn=ssl-request made it on the host (./host-key-io.ts), and it stays when the
 * material is removed (it is the host's identity, which the operator's CA signed; `ssl-request
 * renew=true` replaces it).
 */
import { fileHolds } from '../../fs/atomic-file-io.js'
import { ensureDir, removeSslFile, writeSslFile } from './files-io.js'
import { nonRootProblem, readOptionsFileEdit, writeOptionsFile } from './options-file-io.js'
import type { SslPlan, SslSummary } from './plan-material.js'
import type { SslPaths } from './plan-paths.js'

export interface SslApplyResult {
  readonly summary: SslSummary
  /** The paths whose content or mode changed (the certificate and CA files, the options file). */
  readonly changed: readonly string[]
  /** ovn-controller reads its material and options when it starts: restart it if anything changed. */
  readonly restartNeeded: boolean
  /** What will stop ovn-controller from using the material (e.g. it runs as a non-root user). */
  readonly warnings: readonly string[]
}

/**
 * Write a plan: the two PEM files (0600, atomically; unchanged files are left alone), then the
 * options file, so the options never name a file that is not there yet. The options file's new
 * text is worked out first, so an options file we refuse to edit stops everything before any
 * file is written.
 */
/** Every file `applySslPlan` may write (to capture them first and put them back on failure). */
export function sslPlanFiles(plan: SslPlan): string[] {
  return [...plan.files.map((f) => f.path), plan.paths.optionsFile]
}

export function applySslPlan(plan: SslPlan): SslApplyResult {
  const options = readOptionsFileEdit(plan.paths, plan.ovnCtlOptions)
  const changed: string[] = []
  ensureDir(plan.paths.dir)
  for (const f of plan.files) {
    const content = f.reveal()
    if (fileHolds(f.path, content, f.mode)) continue
    writeSslFile(f.path, content, f.mode)
    changed.push(f.path)
  }
  if (writeOptionsFile(options)) changed.push(plan.paths.optionsFile)
  const nonRoot = nonRootProblem(plan.paths)
  return {
    summary: plan.summary,
    changed,
    restartNeeded: changed.length > 0,
    warnings: nonRoot === null ? [] : [nonRoot],
  }
}

export interface SslRemoveResult {
  /** The PEM files (certificate, CA) that were there and are gone; the host's key stays. */
  readonly removed: readonly string[]
  /** Whether our options were taken out of the options file. */
  readonly optionsChanged: boolean
  readonly restartNeeded: boolean
}

/**
 * Undo `applySslPlan`: take our options out of the options file first (so it never names a
 * missing file), then remove the certificate and CA files. The host's key stays (see above).
 * Idempotent; touches nothing that is not ours.
 */
export function removeSslMaterial(paths: SslPaths): SslRemoveResult {
  const optionsChanged = writeOptionsFile(readOptionsFileEdit(paths, null))
  const removed = [paths.certificate, paths.caCert].filter(removeSslFile)
  return { removed, optionsChanged, restartNeeded: optionsChanged || removed.length > 0 }
}
