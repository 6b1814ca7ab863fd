/**
 * Where a running lab (`npm run lab`) is written down, so `npm run lab -- down` (or a second
 * `npm run lab`) can find it from another process: one directory, by default /run/xapi-ovn-lab
 * (`XAPI_OVN_LAB_DIR` overrides it; tests use a temporary one), holding
 * - `state.json`: the keeper's pid and the lab's report (addresses, uuids, the XAPI password),
 *   mode 0600;
 * - `keeper.log`: everything the keeper process printed.
 *
 * The keeper is the detached process that owns every namespace and daemon of the lab and serves
 * the XAPI emulator (see cli.ts). `keeperAlive` checks the pid is still that keeper (its command
 * line), so a recycled pid is never signalled.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { LabReport } from './lab-report.js'

export const DEFAULT_LAB_DIR = '/run/xapi-ovn-lab'
/** The argument that marks the keeper process on its command line. */
export const KEEPER_ARG = 'keeper'

export interface LabState {
  readonly keeperPid: number
  readonly startedAt: string
  readonly hosts: number
  /** building: the keeper is still bringing it up; up: built (see report.proof); */
  readonly status: 'building' | 'up'
  readonly report: LabReport | null
}

export function labDir(): string {
  const fromEnv = process.env.XAPI_OVN_LAB_DIR
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_LAB_DIR
}

export function statePath(dir = labDir()): string {
  return join(dir, 'state.json')
}

export function logPath(dir = labDir()): string {
  return join(dir, 'keeper.log')
}

export function ensureLabDir(dir = labDir()): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
}

export function readState(dir = labDir()): LabState | null {
  let text: string
  try {
    text = readFileSync(statePath(dir), 'utf8')
  } catch {
    return null
  }
  try {
    const s = JSON.parse(text) as LabState
    return Number.isSafeInteger(s.keeperPid) && s.keeperPid > 0 ? s : null
  } catch {
    return null
  }
}

/** Replace state.json atomically (write + rename), mode 0600. */
export function writeState(state: LabState, dir = labDir()): void {
  ensureLabDir(dir)
  const tmp = `${statePath(dir)}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 })
  renameSync(tmp, statePath(dir))
}

/**
 * Remove what the lab put in its directory (state.json, its temporary copies, keeper.log), then
 * the directory if that leaves it empty. Nothing else in it is touched: XAPI_OVN_LAB_DIR may
 * name a directory that holds other files.
 */
export function removeLabDir(dir = labDir()): void {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  const state = basename(statePath(dir))
  const log = basename(logPath(dir))
  for (const n of names) {
    if (n === state || n === log || (n.startsWith(`${state}.`) && n.endsWith('.tmp')))
      rmSync(join(dir, n), { force: true })
  }
  try {
    rmdirSync(dir)
  } catch {
    // not empty (someone else's files), or already gone: leave it
  }
}

/** True while `pid` runs and is a lab keeper (its argv has the keeper marker). */
export function keeperAlive(pid: number): boolean {
  let cmdline: string
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return false
  }
  const argv = cmdline.split('\0')
  let stat = ''
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return false
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  return state !== 'Z' && argv.some((a) => a.endsWith('cli.js')) && argv.includes(KEEPER_ARG)
}
