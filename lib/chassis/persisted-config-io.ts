/**
 * The persisted chassis configuration on disk (see persisted-config.ts for what and why):
 * written atomically and root-only by configure, removed by unconfigure, read by the host agent.
 *
 * - Atomic: a temporary file in the same directory, fsync'd, renamed over the old one, the
 *   directory fsync'd: a reboot at any moment leaves the old file or the new one, never half.
 * - Root-only: the directory 0700 and the file 0600, owned by the user we run as (root on a
 *   host). A file another user could have written is refused, never applied: it decides what
 *   this host's ovn-controller connects to.
 * - Synchronous: one small file per call, and the plugin is a one-shot process.
 */
import { closeSync, lstatSync, mkdirSync, openSync, readSync } from 'node:fs'
import { join } from 'node:path'
import { errnoOf } from '../error-text.js'
import { PersistedConfigError } from './errors.js'
import { removeFile, writeFileAtomic } from '../fs/atomic-file-io.js'
import { MAX_PERSISTED_BYTES, PERSISTED_FILE, type PersistedConfig, parsePersisted } from './persisted-config.js'

export const DEFAULT_STATE_DIR = '/etc/xapi-ovn'

export function persistedPath(stateDir: string): string {
  return join(stateDir, PERSISTED_FILE)
}

function ownerUid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0
}

/** The persisted configuration, or null when there is none. Throws PersistedConfigError. */
export function readPersisted(stateDir: string): PersistedConfig | null {
  const path = persistedPath(stateDir)
  let st: ReturnType<typeof lstatSync>
  try {
    st = lstatSync(path)
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return null
    throw new PersistedConfigError(path, `cannot stat it (${errnoOf(err) ?? 'error'})`)
  }
  if (!st.isFile()) throw new PersistedConfigError(path, 'not a regular file')
  if (st.uid !== ownerUid()) throw new PersistedConfigError(path, `owned by uid ${st.uid}, not ${ownerUid()}`)
  if ((st.mode & 0o077) !== 0) {
    throw new PersistedConfigError(
      path,
      `mode ${(st.mode & 0o777).toString(8)} lets others read or write it (want 600)`,
    )
  }
  if (st.size > MAX_PERSISTED_BYTES) throw new PersistedConfigError(path, `larger than ${MAX_PERSISTED_BYTES} bytes`)
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.alloc(st.size)
    const n = readSync(fd, buf, 0, st.size, 0)
    return parsePersisted(path, buf.subarray(0, n).toString('utf8'))
  } finally {
    closeSync(fd)
  }
}

/** Write `text` as the persisted configuration, atomically, 0600 in a 0700 directory. */
export function writePersisted(stateDir: string, text: string): void {
  const path = persistedPath(stateDir)
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 })
    const dirStat = lstatSync(stateDir)
    if (!dirStat.isDirectory()) throw new PersistedConfigError(stateDir, 'not a directory')
    if ((dirStat.mode & 0o077) !== 0 || dirStat.uid !== ownerUid()) {
      throw new PersistedConfigError(stateDir, 'the directory is not owned by us with mode 700')
    }
    writeFileAtomic(path, text, 0o600)
  } catch (err) {
    if (err instanceof PersistedConfigError) throw err
    throw new PersistedConfigError(path, `cannot write it (${errnoOf(err) ?? 'error'})`)
  }
}

/** Remove the persisted configuration; true if there was one. */
export function removePersisted(stateDir: string): boolean {
  const path = persistedPath(stateDir)
  try {
    return removeFile(path)
  } catch (err) {
    throw new PersistedConfigError(path, `cannot remove it (${errnoOf(err) ?? 'error'})`)
  }
}
