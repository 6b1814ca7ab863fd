/**
 * The SSL material's file I/O: the generic atomic file operations (lib/fs/atomic-file-io.ts)
 * with their failures as `OVN_SSL_MATERIAL [path, reason]`, the one error configure and
 * unconfigure report for material they cannot write or remove.
 */
import { mkdirSync } from 'node:fs'
import { errorText } from '../../error-text.js'
import { readFileIfExists, removeFile, writeFileAtomic } from '../../fs/atomic-file-io.js'
import { SslMaterialError } from './errors.js'

/** The text of `path`; null when it does not exist. */
export function readSslFile(path: string): string | null {
  try {
    return readFileIfExists(path)
  } catch (err) {
    throw new SslMaterialError(path, `cannot read: ${errorText(err)}`, { cause: err })
  }
}

/** Replace `path` atomically with `content` and `mode` (see writeFileAtomic). */
export function writeSslFile(path: string, content: string, mode: number): void {
  try {
    writeFileAtomic(path, content, mode)
  } catch (err) {
    throw new SslMaterialError(path, `cannot write: ${errorText(err)}`, { cause: err })
  }
}

/** Remove `path`; false when it was not there. */
export function removeSslFile(path: string): boolean {
  try {
    return removeFile(path)
  } catch (err) {
    throw new SslMaterialError(path, `cannot remove: ${errorText(err)}`, { cause: err })
  }
}

export function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 })
  } catch (err) {
    throw new SslMaterialError(dir, `cannot create the directory: ${errorText(err)}`, { cause: err })
  }
}
