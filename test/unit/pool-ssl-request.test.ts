/** The pool driver's check of fn=ssl-request replies (lib/pool/ssl-request.ts parseSslRequestReply). */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { XapiOvnError } from '../../lib/errors.js'
import { parseSslRequestReply } from '../../lib/pool/ssl-request.js'

const UUID = '6a1f3e2b-0c4d-4e5f-8a9b-0c1d2e3f4a5b'
const CSR = '-----BEGIN CERTIFICATE REQUEST-----\nMIIBAA==\n-----END CERTIFICATE REQUEST-----\n'
const GOOD = {
  csr: CSR,
  keyCreated: true,
  keyPath: '/etc/ovn/xapi-ovn-privkey.pem',
  subject: `/CN=${UUID}`,
  dryRun: false,
}

function refused(reply: unknown, pattern: RegExp): void {
  assert.throws(
    () => parseSslRequestReply('host1', UUID, typeof reply === 'string' ? reply : JSON.stringify(reply)),
    (e: unknown) =>
      e instanceof XapiOvnError &&
      e.code === 'OVN_PLUGIN_REPLY_INVALID' &&
      e.params[1] === 'ssl-request' &&
      pattern.test(e.params[2] ?? '') &&
      !e.message.includes('PRIVATE KEY-----'),
  )
}

test('a good reply is taken as is; a dry run may have no CSR', () => {
  assert.deepEqual(parseSslRequestReply('host1', UUID, JSON.stringify(GOOD)), GOOD)
  const dry = { ...GOOD, csr: null, dryRun: true }
  assert.deepEqual(parseSslRequestReply('host1', UUID, JSON.stringify(dry)), dry)
})

test('a reply of another shape is OVN_PLUGIN_REPLY_INVALID; one carrying a private key is never passed on', () => {
  refused({ ...GOOD, key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }, /carries a private key/)
  refused('not json', /not JSON/)
  refused([GOOD], /not an object/)
  refused({ ...GOOD, csr: 'hello' }, /csr is not one PEM CSR/)
  refused({ ...GOOD, csr: null }, /null outside a dry run/)
  refused({ ...GOOD, keyCreated: 'yes' }, /keyCreated/)
  refused({ ...GOOD, keyPath: 'relative' }, /keyPath/)
  refused({ ...GOOD, subject: '/CN=someone-else' }, /is not \/CN=/)
  refused({ ...GOOD, dryRun: 1 }, /dryRun/)
  assert.throws(() => parseSslRequestReply('host1', UUID, 42), /not a string/)
})
