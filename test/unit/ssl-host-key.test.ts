/**
 * The host's own key and its CSR (lib/chassis/ssl/host-key-io.ts), with the real openssl: the
 * key is made 0600 once and kept, renew makes another, dry-run makes none; the CSR verifies and
 * names CN=<uuid>; openssl missing or failing is a coded error that never carries the key.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { chassisSubject, ensureHostKey, makeCsr, sslPaths, writeSslFile } from '../../lib/chassis/ssl/index.js'
import { XapiOvnError } from '../../lib/errors.js'
import { tempDirPrefix } from '../../lab/names.js'
import { createPki, type Pki } from '../fixtures/pki.js'

const UUID = '6a1f3e2b-0c4d-4e5f-8a9b-0c1d2e3f4a5b'
let pki: Pki
let root: string

before(() => {
  pki = createPki()
  root = mkdtempSync(tempDirPrefix('hk'))
})
after(() => {
  pki.destroy()
  rmSync(root, { recursive: true, force: true })
})

test('the key is made 0600 once, kept after, made anew on renew; dry-run makes none', async () => {
  const paths = sslPaths(join(root, 'etc-ovn'))
  assert.deepEqual(ensureHostKey(paths, { renew: false, dryRun: true }), { path: paths.privateKey, created: true })
  assert.equal(existsSync(paths.privateKey), false)
  assert.equal(ensureHostKey(paths, { renew: false, dryRun: false }).created, true)
  assert.equal(statSync(paths.privateKey).mode & 0o777, 0o600)
  const first = readFileSync(paths.privateKey, 'utf8')
  assert.match(first, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/)
  assert.equal(ensureHostKey(paths, { renew: false, dryRun: false }).created, false)
  assert.equal(readFileSync(paths.privateKey, 'utf8'), first)
  assert.equal(ensureHostKey(paths, { renew: true, dryRun: true }).created, true)
  assert.equal(readFileSync(paths.privateKey, 'utf8'), first, 'a dry run keeps the key')
  assert.equal(ensureHostKey(paths, { renew: true, dryRun: false }).created, true)
  assert.notEqual(readFileSync(paths.privateKey, 'utf8'), first)

  const csr = await makeCsr(paths.privateKey, chassisSubject(UUID))
  assert.match(csr, /^-----BEGIN CERTIFICATE REQUEST-----\n/)
  assert.doesNotMatch(csr, /PRIVATE KEY/)
  assert.match(pki.verifyCsr(csr), new RegExp(`subject=CN=${UUID}`))
  // A file that holds no key is replaced (it could never have been ours).
  writeSslFile(paths.privateKey, 'garbage\n', 0o600)
  assert.equal(ensureHostKey(paths, { renew: false, dryRun: false }).created, true)
})

test('openssl missing is OVN_OPENSSL_MISSING; openssl failing is OVN_OPENSSL_FAILED without key text', async () => {
  const paths = sslPaths(join(root, 'etc-2'))
  ensureHostKey(paths, { renew: false, dryRun: false })
  const key = readFileSync(paths.privateKey, 'utf8')
  await assert.rejects(
    makeCsr(paths.privateKey, chassisSubject(UUID), join(root, 'no-bin')),
    (e: unknown) => e instanceof XapiOvnError && e.code === 'OVN_OPENSSL_MISSING' && e.params[0] === 'openssl',
  )
  writeSslFile(paths.privateKey, `${key.slice(0, 60)}broken\n-----END PRIVATE KEY-----\n`, 0o600)
  await assert.rejects(makeCsr(paths.privateKey, chassisSubject(UUID)), (e: unknown) => {
    assert.ok(e instanceof XapiOvnError && e.code === 'OVN_OPENSSL_FAILED', String(e))
    const text = `${e.message} ${e.params.join(' ')}`
    assert.doesNotMatch(text, /PRIVATE KEY-----\n/)
    for (const line of key.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----')))
      assert.ok(!text.includes(line), 'no key line in the error')
    return true
  })
})
