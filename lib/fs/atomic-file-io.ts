/**
 * Files replaced whole and atomically, for anything that persists a small file a reader must
 * never see half-written: the SSL material and ovn-controller's options file
 * (lib/chassis/ssl/files-io.ts), a host agent's configuration. Errors are Node's own (with their
 * errno `code`); callers wrap them in their domain error.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { errnoOf } from '../error-text.js'

/** The UTF-8 text of `path`; null when it does not exist. */
export function readFileIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return null
    throw err
  }
}

/** fsync a directory, so a rename or unlink in it survives a crash. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY)
    fsyncSync(fd)
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/**
 * Replace `path` atomically: a new file in the same directory, created with `mode` (and chmod'ed
 * to it before any byte is written, whatever the umask), written, fsync'ed, renamed over `path`,
 * then the directory fsync'ed. A reader sees the old content or the new, never a mix, and a
 * secret is never readable by others, not even for an instant. On failure the temporary file is
 * gone and `path` is untouched.
 */
export function writeFileAtomic(path: string, content: string, mode: number): void {
  const dir = dirname(path)
  // Unique by pid and the monotonic clock in ns (O_EXCL refuses any clash), not randomBytes: the
  // first randomBytes of a process costs node:crypto's load and OpenSSL's RNG set-up, ~7 ms of a
  // plugin call on Node 16 (bench/plugin.ts).
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${process.hrtime.bigint().toString(36)}.tmp`)
  let fd: number | undefined
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode)
    fchmodSync(fd, mode)
    const bytes = Buffer.from(content, 'utf8')
    let off = 0
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off)
    fsyncSync(fd)
    closeSync(fd)
    fd = undefined
    renameSync(tmp, path)
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd)
      } catch {
        // already failing
      }
    }
    try {
      unlinkSync(tmp)
    } catch {
      // never created, or already renamed
    }
    throw err
  }
  fsyncDir(dir)
}

/**
 * Whether `path` already holds exactly `content` with exactly `mode` and our owner, so a write
 * that would change nothing can be skipped. Any error (no file, a symlink) answers false.
 */
export function fileHolds(path: string, content: string, mode: number): boolean {
  let fd: number | undefined
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW)
    const st = fstatSync(fd)
    if (!st.isFile() || (st.mode & 0o7777) !== mode) return false
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return false
    return readFileSync(fd, 'utf8') === content
  } catch {
    return false
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** Remove `path` and fsync its directory; false when it was not there (idempotent removal). */
export function removeFile(path: string): boolean {
  try {
    unlinkSync(path)
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return false
    throw err
  }
  fsyncDir(dirname(path))
  return true
}

/** What a file held (null: it did not exist), to put it back if a later step fails. */
export interface FileState {
  readonly path: string
  readonly content: string | null
  readonly mode: number
}

/** The current state of each file (for `restoreFiles`). */
export function captureFiles(paths: readonly string[]): FileState[] {
  return paths.map((path) => {
    let fd: number | undefined
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW)
      const mode = fstatSync(fd).mode & 0o7777
      return { path, content: readFileSync(fd, 'utf8'), mode }
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return { path, content: null, mode: 0 }
      throw err
    } finally {
      if (fd !== undefined) closeSync(fd)
    }
  })
}

/** Put every file back as captured: rewritten atomically with its mode, or removed. */
export function restoreFiles(states: readonly FileState[]): void {
  for (const s of states) {
    if (s.content === null) removeFile(s.path)
    else writeFileAtomic(s.path, s.content, s.mode)
  }
}
