/**
 * One lock per operation, so that a second `configure` started while the first still runs answers
 * `OVN_BUSY [configure]` instead of running twice.
 *
 * The lock is the file `<OVS_RUNDIR>/xapi-ovn-<name>.lock` holding the owner's identity: its pid
 * and its start time (field 22 of /proc/<pid>/stat, clock ticks since boot: proc(5)), as
 * `<pid> <start>\n`. It is created atomically AND already filled: the identity is written to a
 * private file (O_EXCL) that is then hard-linked to the lock name, and link(2) fails with EEXIST
 * when the lock exists. So there is never an empty lock file to misread. A lock whose owner is
 * not running any more (the plugin was killed; /var/run is a tmpfs, so a reboot clears them
 * anyway) is taken over: it is renamed aside, checked to still be the dead owner's, and removed,
 * and the link is tried again. The start time is what tells a dead owner whose pid the kernel has
 * since given to an unrelated process from a live owner: a pid alone would keep that lock BUSY
 * until the unrelated process exits.
 * The lock is released (removed, if it is still ours) when `fn` settles, whatever the outcome.
 * Without the run directory there is no Open vSwitch to lock against: OVN_OVSDB_UNAVAILABLE.
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { BusyError, InternalError } from '../lib/errors.js'
import { missingOvsRundir, type PluginContext } from './context.js'

const LOCK_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/

export function lockPath(ctx: Pick<PluginContext, 'paths'>, name: string): string {
  return join(ctx.paths.ovsRundir, `xapi-ovn-${name}.lock`)
}

function errno(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as { code?: string }).code : undefined
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // already gone
  }
}

/** Who holds a lock: a pid and, where /proc tells it, that process's start time. */
interface Owner {
  readonly pid: number
  /** Field 22 of /proc/<pid>/stat; null where it cannot be read (a lock written without it). */
  readonly start: string | null
}

function sameOwner(a: Owner, b: Owner): boolean {
  return a.pid === b.pid && a.start === b.start
}

/** Two reads of a lock file found the same thing (both unreadable counts as the same). */
function sameRecord(a: Owner | 'gone' | undefined, b: Owner | 'gone' | undefined): boolean {
  return typeof a === 'object' && typeof b === 'object' ? sameOwner(a, b) : a === b
}

/**
 * The start time of a process (field 22 of /proc/<pid>/stat, proc(5)), or null when there is
 * no such process or no /proc. Field 2 is the command name in parentheses and may itself hold
 * spaces and parentheses, so fields are counted from the last ')'.
 */
export function processStartTime(pid: number): string | null {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state), so field 22 is fields[19].
  const start = fields[19]
  return start !== undefined && /^[0-9]+$/.test(start) ? start : null
}

function describeOwner(owner: Owner): string {
  return owner.start === null ? `${owner.pid}\n` : `${owner.pid} ${owner.start}\n`
}

/** The owner recorded in a lock file; 'gone' when there is no file; undefined when unreadable. */
function readOwner(path: string): Owner | 'gone' | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if (errno(err) === 'ENOENT') return 'gone'
    return undefined
  }
  const m = /^([1-9][0-9]{0,9})(?: ([0-9]{1,20}))?\n?$/.exec(text)
  return m ? { pid: Number(m[1]), start: m[2] ?? null } : undefined
}

/** Whether a process with this pid exists (EPERM: it does, it just is not ours to signal). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return errno(err) === 'EPERM'
  }
}

/**
 * Whether the recorded owner still runs: its pid is alive AND, when the lock recorded a start
 * time, the process now holding that pid started then (else the pid was reused; no start time
 * now means the process has just gone). A lock without one (written where /proc could not be
 * read) falls back to the pid alone.
 */
function isOwnerAlive(owner: Owner): boolean {
  if (!isProcessAlive(owner.pid)) return false
  return owner.start === null || processStartTime(owner.pid) === owner.start
}

function acquire(ctx: PluginContext, name: string, path: string): void {
  const pid = process.pid
  const self = myIdentity()
  const mine = `${path}.${pid}.new`
  unlinkQuietly(mine) // left by an earlier process that had our pid
  try {
    const fd = openSync(mine, 'wx', 0o644)
    try {
      writeSync(fd, describeOwner(self))
    } finally {
      closeSync(fd)
    }
  } catch (err) {
    const missing = errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR' ? missingOvsRundir(ctx.paths) : null
    if (missing !== null) throw missing
    throw new InternalError(`cannot create the ${name} lock in ${ctx.paths.ovsRundir}: ${(err as Error).message}`, {
      cause: err,
    })
  }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(mine, path)
        return
      } catch (err) {
        if (errno(err) !== 'EEXIST')
          throw new InternalError(`cannot create the ${name} lock ${path}: ${(err as Error).message}`, { cause: err })
      }
      const owner = readOwner(path)
      if (owner === 'gone') continue // released between our link and our read
      if (owner !== undefined && isOwnerAlive(owner)) throw new BusyError(name)
      // Stale: move it aside, and make sure what we moved is the stale lock we looked at.
      const aside = `${path}.${pid}.stale`
      try {
        renameSync(path, aside)
      } catch (err) {
        if (errno(err) === 'ENOENT') continue
        throw new InternalError(`cannot remove the stale ${name} lock ${path}: ${(err as Error).message}`, {
          cause: err,
        })
      }
      const moved = readOwner(aside)
      if (!sameRecord(moved, owner)) {
        // A live owner took the lock between our read and our rename: give it back.
        try {
          linkSync(aside, path)
        } catch {
          // someone else holds it now; either way it is not ours
        }
        unlinkQuietly(aside)
        throw new BusyError(name)
      }
      unlinkQuietly(aside)
      ctx.log.warn('took over a stale lock', {
        lock: path,
        deadPid: owner?.pid ?? null,
        // Set when the pid runs again, as another process: the owner died and its pid was reused.
        reusedPid: owner !== undefined && isProcessAlive(owner.pid),
      })
    }
    throw new BusyError(name)
  } finally {
    unlinkQuietly(mine)
  }
}

/** This process, as its lock files name it. */
function myIdentity(): Owner {
  return { pid: process.pid, start: processStartTime(process.pid) }
}

function release(ctx: PluginContext, path: string): void {
  const owner = readOwner(path)
  if (typeof owner === 'object' && sameOwner(owner, myIdentity())) unlinkQuietly(path)
  else ctx.log.warn('our lock was taken away while we held it', { lock: path })
}

/**
 * Run `fn` holding the lock `name` (lower-case letters, digits and dashes: an operation name such
 * as "configure"). Throws BusyError when another live process, or another call in this process,
 * holds it.
 */
export async function withLock<T>(ctx: PluginContext, name: string, fn: () => Promise<T>): Promise<T> {
  if (!LOCK_NAME.test(name)) throw new InternalError(`invalid lock name ${JSON.stringify(name)}`)
  const path = lockPath(ctx, name)
  acquire(ctx, name, path)
  try {
    return await fn()
  } finally {
    release(ctx, path)
  }
}
