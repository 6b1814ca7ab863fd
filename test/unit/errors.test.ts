import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as errors from '../../lib/index.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

// Every error class of lib/errors.ts, built once with sample arguments.
const SAMPLES: [string, () => errors.XapiOvnError, string, number][] = [
  ['InvalidArgumentError', () => new errors.InvalidArgumentError('k', 'v', 'why'), 'OVN_INVALID_ARGUMENT', 3],
  ['UnknownArgumentError', () => new errors.UnknownArgumentError('k'), 'OVN_UNKNOWN_ARGUMENT', 1],
  ['MissingArgumentError', () => new errors.MissingArgumentError('k'), 'OVN_MISSING_ARGUMENT', 1],
  ['InvalidRequestError', () => new errors.InvalidRequestError('why'), 'OVN_INVALID_REQUEST', 1],
  ['BridgeMissingError', () => new errors.BridgeMissingError('xapi1'), 'OVN_BRIDGE_MISSING', 1],
  ['BridgeNotXapiError', () => new errors.BridgeNotXapiError('xapi1', 'why'), 'OVN_BRIDGE_NOT_XAPI', 2],
  ['SystemIdMismatchError', () => new errors.SystemIdMismatchError('a', 'b'), 'OVN_SYSTEM_ID_MISMATCH', 2],
  ['InventoryError', () => new errors.InventoryError('/p', 'why'), 'OVN_INVENTORY_UNREADABLE', 2],
  ['OvsdbUnavailableError', () => new errors.OvsdbUnavailableError('unix:/x', 'why'), 'OVN_OVSDB_UNAVAILABLE', 2],
  ['ConcurrentChangeError', () => new errors.ConcurrentChangeError('why'), 'OVN_CONCURRENT_CHANGE', 1],
  ['BusyError', () => new errors.BusyError('chassis'), 'OVN_BUSY', 1],
  ['TimeoutError', () => new errors.TimeoutError('x', 5), 'OVN_TIMEOUT', 2],
  ['StateCorruptError', () => new errors.StateCorruptError('why'), 'OVN_STATE_CORRUPT', 1],
  [
    'PersistedConfigError',
    () => new errors.PersistedConfigError('/etc/xapi-ovn/chassis.json', 'why'),
    'OVN_PERSISTED_CONFIG_INVALID',
    2,
  ],
  ['InternalError', () => new errors.InternalError('why'), 'OVN_INTERNAL', 1],
  ['SslKeyRefusedError', () => new errors.SslKeyRefusedError('ovn-ssl-key'), 'OVN_SSL_KEY_REFUSED', 1],
  ['OpensslMissingError', () => new errors.OpensslMissingError('openssl', '/bin'), 'OVN_OPENSSL_MISSING', 2],
  ['OpensslFailedError', () => new errors.OpensslFailedError('openssl req', 'why'), 'OVN_OPENSSL_FAILED', 2],
  [
    'SslCertificateMissingError',
    () => new errors.SslCertificateMissingError('00000000-0000-4000-8000-000000000000', '/d/x.pem'),
    'OVN_SSL_CERT_MISSING',
    2,
  ],
]

for (const [name, make, code, params] of SAMPLES) {
  test(`${name} has code ${code}, its name, string params and a message`, () => {
    const e = make()
    assert.ok(e instanceof errors.XapiOvnError)
    assert.ok(e instanceof Error)
    assert.equal(e.name, name)
    assert.equal(e.code, code)
    assert.equal(e.params.length, params)
    for (const p of e.params) assert.equal(typeof p, 'string')
    assert.ok(e.message.length > 0)
  })
}

test('long values are cut before they are echoed in params', () => {
  const e = new errors.InvalidArgumentError('k', 'x'.repeat(10_000), 'too long')
  // The first 256 characters, then how long the value was.
  assert.equal(e.params[1], `${'x'.repeat(256)}…(10000 chars)`)
})

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : []
  })
}

test('every error code the code base can raise is documented in the README', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const NOT_ERRORS = new Set([
    'OVN_RUNDIR',
    'OVN_DBDIR',
    'OVN_LOGDIR',
    'OVN_SYSCONFDIR',
    'OVN_CONTROLLER_OPTS',
    'OVN_USER_ID',
  ])
  const codes = new Set<string>()
  for (const file of [...sources(join(ROOT, 'lib')), ...sources(join(ROOT, 'plugin'))]) {
    for (const m of readFileSync(file, 'utf8').matchAll(/['"`](OVN_[A-Z0-9_]+)['"`]/g))
      if (!NOT_ERRORS.has(m[1] as string)) codes.add(m[1] as string)
  }
  assert.ok(codes.size > 20)
  const missing = [...codes].filter((c) => !readme.includes(`\`${c}\``)).sort()
  assert.deepEqual(missing, [])
})
