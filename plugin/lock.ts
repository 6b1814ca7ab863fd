/**
 * One lock per operation, so that a second `configure` started while the first still runs answers
 * `OVN_BUSY [configure]` instead of running twice.
 *
 * The lock is the file `<OVS_RUNDIR>/xapi-ovn-<name>.lock` holding the owner's pid. It is created
 * atomically AND already filled: the pid is written to a private file (O_EXCL) that is then
 * hard-linked to the lock name, and link(2) fails with EEXIST when the lock exists. So there is
 * never an empty lock file to misread. A lock whose pid is not a running process (the plugin was
 * killed; /var/run is a tmpfs, so a reboot clears them anyway) is taken over: it is renamed aside,
 * checked to still be the dead owner's, and removed, and the link is tried again.
 * The lock is released (removed, if it is still ours) when `fn` settles, whatever the outcome.
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { BusyError, InternalError } from '../lib/errors.js'
import type { PluginContext } from './context.js'

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

/** The pid recorded in a lock file; 'gone' when there is no file; undefined when unreadable. */
function readOwner(path: string): number | 'gone' | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if (errno(err) === 'ENOENT') return 'gone'
    return undefined
  }
  const m = /^([1-9][0-9]{0,9})\n?$/.exec(text)
  return m ? Number(m[1]) : undefined
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

function acquire(ctx: PluginContext, name: string, path: string): void {
  const pid = process.pid
  const mine = `${path}.${pid}.new`
  unlinkQuietly(mine) // left by an earlier process that had our pid
  try {
    const fd = openSync(mine, 'wx', 0o644)
    try {
      writeSync(fd, `${pid}\n`)
    } finally {
      closeSync(fd)
    }
  } catch (err) {
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
      if (owner !== undefined && isProcessAlive(owner)) throw new BusyError(name)
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
      if (moved !== owner) {
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
      ctx.log.warn('took over a stale lock', { lock: path, deadPid: owner ?? null })
    }
    throw new BusyError(name)
  } finally {
    unlinkQuietly(mine)
  }
}

function release(ctx: PluginContext, path: string): void {
  if (readOwner(path) === process.pid) unlinkQuietly(path)
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
