// configure's all-or-nothing (plugin/functions/configure.ts): files captured before a write and
// put back when a later step fails — a new file removed, a changed one restored with its mode.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { captureFiles, restoreFiles, writeFileAtomic } from '../../lib/fs/atomic-file-io.js'

test('restoreFiles puts back what captureFiles saw: changed files with content and mode, new files removed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xapi-ovn-capture-'))
  try {
    const kept = join(dir, 'ovn-controller')
    const fresh = join(dir, 'ovnsb-privkey.pem')
    writeFileSync(kept, 'OVN_CONTROLLER_OPTS="--a"\n', { mode: 0o644 })
    const before = captureFiles([kept, fresh])
    assert.deepEqual(before, [
      { path: kept, content: 'OVN_CONTROLLER_OPTS="--a"\n', mode: 0o644 },
      { path: fresh, content: null, mode: 0 },
    ])
    writeFileAtomic(kept, 'OVN_CONTROLLER_OPTS="--b"\n', 0o600)
    writeFileAtomic(fresh, '-----BEGIN PRIVATE KEY-----\n', 0o600)
    restoreFiles(before)
    assert.equal(readFileSync(kept, 'utf8'), 'OVN_CONTROLLER_OPTS="--a"\n')
    assert.equal(statSync(kept).mode & 0o777, 0o644)
    assert.equal(existsSync(fresh), false)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
