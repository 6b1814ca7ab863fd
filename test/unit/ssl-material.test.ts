import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { inspect } from 'node:util'
import {
  applySslPlan,
  controllerOptions,
  controllerUser,
  editControllerOptions,
  inspectSslMaterial,
  planSslMaterial,
  removeSslMaterial,
  sslOptionsIn,
  sslPaths,
  writeSslFile,
  ensureDir,
  readSslFile,
  MAX_PEM_CHARS,
  REDACTED,
  SslMaterialError,
  SslPlan,
  type SslPaths,
} from '../../lib/chassis/ssl/index.js'
import { XapiOvnError } from '../../lib/errors.js'
import { SslKeyRefusedError } from '../../lib/chassis/errors.js'
import { registerTeardown } from '../../lab/cleanup.js'
import { tempDirPrefix } from '../../lab/names.js'
import { createPki, type Credential, type Pki } from '../fixtures/pki.js'

let pki: Pki
let ca: Credential
let otherCa: Credential
let shortCa: Credential
let client: Credential
let clientOfShortCa: Credential
let serverOnly: Credential
let noEku: Credential
let rsaClient: Credential

before(() => {
  pki = createPki()
  ca = pki.ca('ca1')
  otherCa = pki.ca('ca2')
  shortCa = pki.ca('ca-short', { days: 1 })
  client = pki.issue(ca, 'chassis-1', { eku: 'clientAuth' })
  clientOfShortCa = pki.issue(shortCa, 'chassis-2', { eku: 'clientAuth', days: 30 })
  serverOnly = pki.issue(ca, 'server-only', { eku: 'serverAuth' })
  noEku = pki.issue(ca, 'no-eku')
  rsaClient = pki.issue(ca, 'chassis-rsa', { eku: 'clientAuth,serverAuth', keyType: 'rsa' })
})
after(() => pki.destroy())

const PATHS = sslPaths('/etc/ovn')
const DAY = 86_400_000

function args(cred: Credential, caCert = ca.certPem): Record<string, string> {
  return { 'ovn-ssl-cert': cred.certPem, 'ovn-ssl-ca-cert': caCert }
}

/** planSslMaterial with the host's key being `key` (by default the credential's: client's). */
function planFor(
  a: Record<string, string>,
  paths: SslPaths = PATHS,
  key: string | null = client.keyPem,
  now: Date = new Date(),
): SslPlan | null {
  return planSslMaterial(a, paths, now, key)
}

/** Assert the call throws OVN_INVALID_ARGUMENT [key, <redacted>, reason~pattern] and leaks no PEM. */
function rejects(fn: () => unknown, key: string, pattern: RegExp, given: Record<string, string> = {}): void {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  assert.ok(caught instanceof XapiOvnError, `expected an XapiOvnError, got ${String(caught)}`)
  assert.equal(caught.code, 'OVN_INVALID_ARGUMENT')
  assert.equal(caught.params[0], key)
  assert.equal(caught.params[1], REDACTED)
  assert.match(caught.params[2] ?? '', pattern)
  const everything = `${caught.message} ${caught.params.join(' ')} ${inspect(caught)}`
  for (const value of Object.values(given)) {
    for (const line of value.split(/\r?\n/)) {
      if (line.length >= 16 && !line.startsWith('-----'))
        assert.ok(!everything.includes(line), 'no PEM text in the error')
    }
  }
}

test('no SSL argument: no plan (and no host key needed)', () => {
  assert.equal(planFor({ 'ovn-remote': 'ssl:192.0.2.1:6642' }, PATHS, null), null)
})

/** Assert `fn` throws `code` with params[0] `first` and params[1]~pattern, and leaks no key line. */
function rejectsWith(fn: () => unknown, code: string, first: string, pattern: RegExp): void {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  assert.ok(caught instanceof XapiOvnError, `expected an XapiOvnError, got ${String(caught)}`)
  assert.equal(caught.code, code)
  assert.equal(caught.params[0], first)
  assert.match(caught.params[1] ?? caught.message, pattern)
  const everything = `${caught.message} ${caught.params.join(' ')} ${inspect(caught)}`
  assert.doesNotMatch(everything, /PRIVATE KEY/)
  for (const line of client.keyPem.split('\n'))
    if (line.length >= 16 && !line.startsWith('-----'))
      assert.ok(!everything.includes(line), 'no key text in the error')
}

test('ovn-ssl-key is refused whatever else is given, without its value', () => {
  for (const a of [{ 'ovn-ssl-key': client.keyPem }, { ...args(client), 'ovn-ssl-key': client.keyPem }]) {
    assert.throws(
      () => planFor(a),
      (e: unknown) =>
        e instanceof SslKeyRefusedError &&
        e.code === 'OVN_SSL_KEY_REFUSED' &&
        e.params.length === 1 &&
        e.params[0] === 'ovn-ssl-key' &&
        /private keys must not travel/.test(e.message) &&
        /xapi-ovn ssl request/.test(e.message) &&
        !e.message.includes('PRIVATE KEY'),
    )
  }
})

test("the certificate must be for the host's own key: none, garbage, or another key is OVN_SSL_MATERIAL", () => {
  rejectsWith(
    () => planFor(args(client), PATHS, null),
    'OVN_SSL_MATERIAL',
    PATHS.privateKey,
    /no private key on this host: run xapi-ovn ssl request/,
  )
  rejectsWith(
    () => planFor(args(client), PATHS, noEku.keyPem),
    'OVN_SSL_MATERIAL',
    PATHS.privateKey,
    /not for this host's private key/,
  )
  rejectsWith(
    () => planFor(args(client), PATHS, '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n'),
    'OVN_SSL_MATERIAL',
    PATHS.privateKey,
    /does not parse/,
  )
  rejectsWith(
    () => planFor(args(client), PATHS, 'not a key'),
    'OVN_SSL_MATERIAL',
    PATHS.privateKey,
    /exactly one PEM private key/,
  )
  // An encrypted key on the host cannot be read by ovn-controller either.
  rejectsWith(
    () => planFor(args(client), PATHS, pki.key('enc8', 'encrypted-pkcs8')),
    'OVN_SSL_MATERIAL',
    PATHS.privateKey,
    /does not parse/,
  )
})

test('every validation failure has its own reason, names the argument, and redacts the value', () => {
  const good = args(client)
  const now = new Date()
  const cases: [string, Record<string, string>, string, RegExp, Date?][] = [
    ['cert alone', { 'ovn-ssl-cert': client.certPem }, 'ovn-ssl-ca-cert', /together/],
    ['CA alone', { 'ovn-ssl-ca-cert': ca.certPem }, 'ovn-ssl-cert', /together/],
    ['empty cert', { ...good, 'ovn-ssl-cert': '' }, 'ovn-ssl-cert', /^empty$/],
    [
      'huge CA',
      { ...good, 'ovn-ssl-ca-cert': `${ca.certPem}${'#'.repeat(MAX_PEM_CHARS)}` },
      'ovn-ssl-ca-cert',
      /longer than 65536/,
    ],
    ['non-ASCII cert', { ...good, 'ovn-ssl-cert': `é${client.certPem}` }, 'ovn-ssl-cert', /not PEM text/],
    ['no PEM at all', { ...good, 'ovn-ssl-cert': 'just some text' }, 'ovn-ssl-cert', /no PEM block/],
    [
      'BEGIN/END mismatch',
      { ...good, 'ovn-ssl-cert': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END X509 CRL-----\n' },
      'ovn-ssl-cert',
      /ends with END/,
    ],
    [
      'key pasted into cert',
      { ...good, 'ovn-ssl-cert': client.keyPem + client.certPem },
      'ovn-ssl-cert',
      /contains a private key/,
    ],
    [
      'key pasted into CA',
      { ...good, 'ovn-ssl-ca-cert': ca.keyPem + ca.certPem },
      'ovn-ssl-ca-cert',
      /contains a private key/,
    ],
    [
      'cert without a certificate block',
      { ...good, 'ovn-ssl-cert': '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n' },
      'ovn-ssl-cert',
      /no PEM certificate block/,
    ],
    [
      'cert block of garbage',
      { ...good, 'ovn-ssl-cert': '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n' },
      'ovn-ssl-cert',
      /certificate 1 does not parse/,
    ],
    [
      'TRUSTED CERTIFICATE block',
      { ...good, 'ovn-ssl-ca-cert': ca.certPem.replace(/CERTIFICATE/g, 'TRUSTED CERTIFICATE') },
      'ovn-ssl-ca-cert',
      /TRUSTED CERTIFICATE block/,
    ],
    [
      'too many certificates',
      { ...good, 'ovn-ssl-ca-cert': ca.certPem.repeat(17) },
      'ovn-ssl-ca-cert',
      /more than 16 certificates/,
    ],
    [
      'CA of garbage',
      { ...good, 'ovn-ssl-ca-cert': `${ca.certPem}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n` },
      'ovn-ssl-ca-cert',
      /CA certificate 2 does not parse/,
    ],
    ['expired certificate', good, 'ovn-ssl-cert', /expired on 20/, new Date(now.getTime() + 60 * DAY)],
    ['certificate not yet valid', good, 'ovn-ssl-cert', /not valid before 20/, new Date(now.getTime() - 2 * DAY)],
    ['server-only certificate', args(serverOnly), 'ovn-ssl-cert', /clientAuth/],
    [
      'expired CA',
      args(clientOfShortCa, shortCa.certPem),
      'ovn-ssl-ca-cert',
      /no CA certificate is within its validity/,
      new Date(now.getTime() + 2 * DAY),
    ],
  ]
  for (const [name, a, key, pattern, when] of cases) {
    rejects(() => planFor(a, PATHS, client.keyPem, when ?? now), key, pattern, a)
    assert.ok(true, name)
  }
})

test('a valid set plans the certificate and CA files (never the key) and the ovn-ctl options, and shows only its summary', () => {
  const plan = planFor(args(client))
  assert.ok(plan instanceof SslPlan)
  assert.deepEqual(
    plan.files.map((f) => [f.path, f.mode, f.secret]),
    [
      ['/etc/ovn/xapi-ovn-cert.pem', 0o600, false],
      ['/etc/ovn/xapi-ovn-cacert.pem', 0o600, false],
    ],
  )
  assert.deepEqual(plan.ovnCtlOptions, [
    '--ovn-controller-ssl-key=/etc/ovn/xapi-ovn-privkey.pem',
    '--ovn-controller-ssl-cert=/etc/ovn/xapi-ovn-cert.pem',
    '--ovn-controller-ssl-ca-cert=/etc/ovn/xapi-ovn-cacert.pem',
  ])
  assert.deepEqual(plan.controllerArgs, [
    '--private-key=/etc/ovn/xapi-ovn-privkey.pem',
    '--certificate=/etc/ovn/xapi-ovn-cert.pem',
    '--ca-cert=/etc/ovn/xapi-ovn-cacert.pem',
  ])
  const s = plan.summary
  assert.equal(s.certificate.fingerprint256, pki.fingerprint(client.certPath))
  assert.match(s.certificate.subject, /CN=chassis-1/)
  assert.match(s.certificate.issuer, /CN=ca1/)
  assert.match(s.certificate.validTo, /^\d{4}-\d\d-\d\dT/)
  assert.equal(s.caCertificates.length, 1)
  assert.equal(s.keyType, 'ec')
  assert.equal(s.certificateIssuedByCa, true)
  assert.equal(s.optionsFile, '/etc/sysconfig/ovn-controller')
  // What may be logged or returned: never the key.
  const shown = [
    JSON.stringify(plan),
    JSON.stringify({ plan }),
    inspect(plan, { depth: 10 }),
    String(plan),
    JSON.stringify(plan.files),
    inspect(plan.files),
  ]
  for (const text of shown) assert.doesNotMatch(text, /PRIVATE KEY|BEGIN/)
  // The written content is the PEM blocks themselves, normalised; no file holds a key.
  assert.equal(plan.files[0]?.reveal(), client.certPem)
  assert.equal(plan.files[1]?.reveal(), ca.certPem)
  for (const f of plan.files) assert.doesNotMatch(f.reveal(), /PRIVATE KEY/)
})

test('CRLF text, surrounding prose, an RSA key, a chain and a foreign CA are accepted', () => {
  const crlf = (s: string): string => `Bag Attributes\r\n${s.replace(/\n/g, '\r\n')}trailing words\r\n`
  const plan = planFor(
    { 'ovn-ssl-cert': crlf(rsaClient.certPem + ca.certPem), 'ovn-ssl-ca-cert': crlf(otherCa.certPem) },
    PATHS,
    rsaClient.keyPem,
  )
  assert.ok(plan !== null)
  assert.equal(plan.summary.keyType, 'rsa')
  assert.equal(plan.summary.chain.length, 1)
  assert.equal(
    plan.summary.certificateIssuedByCa,
    false,
    'our certificate is from ca1, the CA given is ca2: allowed (server may trust ca1), reported',
  )
  assert.equal(plan.files[0]?.reveal(), rsaClient.certPem + ca.certPem)
  // A certificate without extended key usage may be used for anything.
  assert.ok(planFor(args(noEku), PATHS, noEku.keyPem) !== null)
  // A traditional (PKCS#1) unencrypted RSA key on the host parses too (ownership is checked separately).
  rejectsWith(
    () => planFor(args(client), PATHS, pki.key('trad', 'traditional-rsa')),
    'OVN_SSL_MATERIAL',
    PATHS.privateKey,
    /not for this host's private key/,
  )
})

test('paths: default etc dir uses /etc/sysconfig/ovn-controller, an overridden one keeps everything under it', () => {
  assert.deepEqual(sslPaths(), {
    dir: '/etc/ovn',
    privateKey: '/etc/ovn/xapi-ovn-privkey.pem',
    certificate: '/etc/ovn/xapi-ovn-cert.pem',
    caCert: '/etc/ovn/xapi-ovn-cacert.pem',
    optionsFile: '/etc/sysconfig/ovn-controller',
    ovnSysconfigFile: '/etc/sysconfig/ovn',
  })
  assert.equal(sslPaths('/tmp/lab/h1/etc-ovn/').optionsFile, '/tmp/lab/h1/etc-ovn/sysconfig/ovn-controller')
  assert.equal(sslPaths('/x', '/y/opts').optionsFile, '/y/opts')
  for (const bad of ['relative/dir', '/with space', '/a/../b', '/$HOME', '/a;b']) {
    assert.throws(
      () => sslPaths(bad),
      (e: unknown) => e instanceof XapiOvnError && e.code === 'OVN_INVALID_ARGUMENT' && e.params[0] === 'ovn-etc-dir',
    )
  }
})

const OURS = sslPaths('/etc/ovn')
const OPTS = [
  '--ovn-controller-ssl-key=/etc/ovn/xapi-ovn-privkey.pem',
  '--ovn-controller-ssl-cert=/etc/ovn/xapi-ovn-cert.pem',
  '--ovn-controller-ssl-ca-cert=/etc/ovn/xapi-ovn-cacert.pem',
]
const MARK = '# xapi-ovn: the --ovn-controller-ssl-* options below are managed by ovn-chassis fn=configure/unconfigure'

test('options file: our options are added, kept idempotent, and removed leaving the file as it was', () => {
  const originals: (string | null)[] = [
    null,
    '',
    '# local settings\nOVN_CONTROLLER_PRIORITY=-10\n',
    'OVN_CONTROLLER_OPTS="--ovn-controller-priority=-5"\n',
    "OVN_CONTROLLER_OPTS='--ovn-controller-priority=-5 -- --n-threads=2'\nOTHER=1\n",
    'OVN_CONTROLLER_OPTS=--ovn-controller-priority=-5\n',
    'OVN_CONTROLLER_OPTS=""\n',
  ]
  for (const original of originals) {
    const added = editControllerOptions(original, OPTS, OURS)
    assert.ok(added !== null)
    assert.deepEqual(sslOptionsIn(added), OPTS, `options present after adding to ${JSON.stringify(original)}`)
    assert.ok(added.includes(MARK))
    assert.equal(
      added.includes(`${MARK} (line added by xapi-ovn)`),
      original === null || !original.includes('OVN_CONTROLLER_OPTS='),
    )
    assert.equal(editControllerOptions(added, OPTS, OURS), added, 'adding twice changes nothing')
    const removed = editControllerOptions(added, null, OURS)
    if (original !== null && /^OVN_CONTROLLER_OPTS=[^"']/m.test(original)) {
      // An unquoted value comes back double-quoted: the same words, and nothing else changed.
      assert.deepEqual(controllerOptions(removed), controllerOptions(original))
      assert.equal(removed?.replace(/"/g, ''), original)
    } else {
      assert.equal(removed, original === '' ? null : original, `removal restores ${JSON.stringify(original)}`)
    }
  }
})

test('options file: exact text for a fresh file and for a file with user options and a -- section', () => {
  assert.equal(
    editControllerOptions(null, OPTS, OURS),
    `${MARK} (line added by xapi-ovn)\nOVN_CONTROLLER_OPTS="${OPTS.join(' ')}"\n`,
  )
  // Words someone added to the line we added stay when ours go.
  const grown = `${MARK} (line added by xapi-ovn)\nOVN_CONTROLLER_OPTS="--ovn-controller-priority=3 ${OPTS.join(' ')}"\n`
  assert.equal(editControllerOptions(grown, null, OURS), 'OVN_CONTROLLER_OPTS="--ovn-controller-priority=3"\n')
  const user = '# mine\nOVN_CONTROLLER_OPTS="--ovn-controller-priority=-5 -- --n-threads=2"\n'
  assert.equal(
    editControllerOptions(user, OPTS, OURS),
    `# mine\n${MARK}\nOVN_CONTROLLER_OPTS="--ovn-controller-priority=-5 ${OPTS.join(' ')} -- --n-threads=2"\n`,
  )
  // The last assignment is the one systemd uses, so that is the one we edit.
  const twice = 'OVN_CONTROLLER_OPTS="-a"\nOVN_CONTROLLER_OPTS="--ovn-controller-priority=1"\n'
  assert.equal(
    editControllerOptions(twice, OPTS, OURS),
    `OVN_CONTROLLER_OPTS="-a"\n${MARK}\nOVN_CONTROLLER_OPTS="--ovn-controller-priority=1 ${OPTS.join(' ')}"\n`,
  )
  // Removing when nothing of ours is there changes nothing.
  assert.equal(editControllerOptions(user, null, OURS), user)
  assert.equal(editControllerOptions(null, null, OURS), null)
})

test('options file: refuses to guess, with OVN_SSL_MATERIAL', () => {
  const cases: [string, RegExp][] = [
    ['OVN_CONTROLLER_OPTS="--ovn-controller-ssl-key=/root/k.pem"\n', /other SSL material/],
    ['OVN_CONTROLLER_OPTS="-- --private-key=/root/k.pem"\n', /other SSL material/],
    ['OVN_CONTROLLER_OPTS="-- -C /root/ca.pem"\n', /other SSL material/],
    ['OVN_CONTROLLER_OPTS="--ovn-controller-priority=1 \\\n -- --n-threads=2"\n', /continues on the next line/],
    ['OVN_CONTROLLER_OPTS="unbalanced\n', /unbalanced or mixed quoting/],
    ['OVN_CONTROLLER_OPTS="a"b\n', /unbalanced or mixed quoting/],
    ["OVN_CONTROLLER_OPTS='a'b'\n", /unbalanced or mixed quoting/],
    ['OVN_CONTROLLER_OPTS=a"b\n', /quotes or backslashes/],
  ]
  for (const [text, pattern] of cases) {
    assert.throws(
      () => editControllerOptions(text, OPTS, OURS),
      (e: unknown) =>
        e instanceof SslMaterialError &&
        e.code === 'OVN_SSL_MATERIAL' &&
        e.params[0] === '/etc/sysconfig/ovn-controller' &&
        pattern.test(e.params[1] ?? ''),
      text,
    )
  }
})

function scratch(t: { after: (fn: () => void) => void }): { root: string; paths: SslPaths } {
  const root = mkdtempSync(tempDirPrefix('ssl'))
  const registration = registerTeardown(`scratch ${root}`, () => rmSync(root, { recursive: true, force: true }))
  t.after(() => {
    rmSync(root, { recursive: true, force: true })
    registration.release()
  })
  return { root, paths: sslPaths(join(root, 'etc', 'ovn')) }
}

function mode(path: string): number {
  return statSync(path).mode & 0o7777
}

test('apply writes 0600 files whatever the umask, then the options file; again changes nothing; remove undoes it (the host key stays)', (t) => {
  const { root, paths } = scratch(t)
  // The host's key, as fn=ssl-request leaves it; configure reads it and never writes it.
  ensureDir(paths.dir)
  writeSslFile(paths.privateKey, client.keyPem, 0o600)
  const plan = planFor(args(client), paths, readSslFile(paths.privateKey))
  assert.ok(plan !== null)
  const oldUmask = process.umask(0)
  let first: ReturnType<typeof applySslPlan>
  try {
    first = applySslPlan(plan)
  } finally {
    process.umask(oldUmask)
  }
  assert.deepEqual(first.changed, [paths.certificate, paths.caCert, paths.optionsFile])
  assert.equal(first.restartNeeded, true)
  assert.deepEqual(first.warnings, [])
  assert.doesNotMatch(JSON.stringify(first), /BEGIN/)
  for (const f of [paths.privateKey, paths.certificate, paths.caCert]) assert.equal(mode(f), 0o600, f)
  assert.equal(mode(paths.optionsFile), 0o644)
  assert.equal(readFileSync(paths.privateKey, 'utf8'), client.keyPem)
  assert.equal(readFileSync(paths.caCert, 'utf8'), ca.certPem)
  assert.deepEqual(sslOptionsIn(readFileSync(paths.optionsFile, 'utf8')), plan.ovnCtlOptions)
  assert.deepEqual(
    readdirSync(paths.dir).sort(),
    ['sysconfig', 'xapi-ovn-cacert.pem', 'xapi-ovn-cert.pem', 'xapi-ovn-privkey.pem'],
    'no temp file left',
  )

  const again = applySslPlan(plan)
  assert.deepEqual(again.changed, [])
  assert.equal(again.restartNeeded, false)

  const inspected = inspectSslMaterial(paths)
  assert.equal(inspected.configured, true)
  assert.deepEqual(inspected.problems, [])
  assert.equal(inspected.certificate?.fingerprint256, plan.summary.certificate.fingerprint256)
  assert.ok((inspected.certificateDaysLeft ?? 0) >= 28)
  assert.deepEqual(
    inspected.files.map((f) => f.mode),
    ['0600', '0600', '0600'],
  )

  // A new set (after `ssl-request renew=true` made another key) replaces only what differs.
  writeSslFile(paths.privateKey, rsaClient.keyPem, 0o600)
  assert.match(inspectSslMaterial(paths).problems.join('\n'), /is not for the private key/)
  const plan2 = planFor(args(rsaClient), paths, readSslFile(paths.privateKey))
  assert.ok(plan2 !== null)
  assert.deepEqual(applySslPlan(plan2).changed, [paths.certificate])
  assert.deepEqual(inspectSslMaterial(paths).problems, [])

  const removed = removeSslMaterial(paths)
  assert.deepEqual(removed.removed, [paths.certificate, paths.caCert])
  assert.equal(readFileSync(paths.privateKey, 'utf8'), rsaClient.keyPem, "the host's key stays")
  assert.equal(removed.optionsChanged, true)
  assert.equal(existsSync(paths.optionsFile), false, 'the options file we created is gone')
  assert.deepEqual(removeSslMaterial(paths), { removed: [], optionsChanged: false, restartNeeded: false })
  assert.equal(inspectSslMaterial(paths).configured, false)
  assert.ok(existsSync(root))
})

test('apply keeps an existing options file, its other lines and its mode; remove gives it back unchanged', (t) => {
  const { paths } = scratch(t)
  mkdirSync(join(paths.dir, 'sysconfig'), { recursive: true })
  const original = '# site\nOVN_CONTROLLER_OPTS="--ovn-controller-priority=-5"\nFOO=bar\n'
  writeFileSync(paths.optionsFile, original, { mode: 0o640 })
  const plan = planFor(args(client), paths)
  assert.ok(plan !== null)
  applySslPlan(plan)
  assert.equal(mode(paths.optionsFile), 0o640)
  assert.match(
    readFileSync(paths.optionsFile, 'utf8'),
    /^# site\n# xapi-ovn: .*\nOVN_CONTROLLER_OPTS="--ovn-controller-priority=-5 --ovn-controller-ssl-key=.*"\nFOO=bar\n$/,
  )
  removeSslMaterial(paths)
  assert.equal(readFileSync(paths.optionsFile, 'utf8'), original)
})

test('a foreign SSL option in the options file stops apply before any file is written', (t) => {
  const { paths } = scratch(t)
  mkdirSync(join(paths.dir, 'sysconfig'), { recursive: true })
  writeFileSync(paths.optionsFile, 'OVN_CONTROLLER_OPTS="--ovn-controller-ssl-key=/root/mine.pem"\n')
  const plan = planFor(args(client), paths)
  assert.ok(plan !== null)
  assert.throws(
    () => applySslPlan(plan),
    (e: unknown) => e instanceof SslMaterialError && /other SSL material/.test(e.params[1] ?? ''),
  )
  assert.equal(
    readFileSync(paths.optionsFile, 'utf8'),
    'OVN_CONTROLLER_OPTS="--ovn-controller-ssl-key=/root/mine.pem"\n',
    'options file untouched',
  )
  assert.equal(existsSync(paths.certificate), false, 'no PEM file written')
  const seen = inspectSslMaterial(paths)
  assert.equal(seen.configured, false)
  assert.match(seen.problems.join('\n'), /not xapi-ovn's: --ovn-controller-ssl-key=\/root\/mine.pem/)
})

test('inspect reports a key file with a loose mode and an expired certificate', (t) => {
  const { paths } = scratch(t)
  const plan = planFor(args(client), paths)
  assert.ok(plan !== null)
  applySslPlan(plan)
  writeSslFile(paths.privateKey, client.keyPem, 0o644)
  const seen = inspectSslMaterial(paths, new Date(Date.now() + 60 * DAY))
  assert.equal(seen.configured, true)
  assert.match(seen.problems.join('\n'), /mode 0644, not 0600/)
  assert.match(seen.problems.join('\n'), /expired on/)
  assert.ok((seen.certificateDaysLeft ?? 0) < 0)
  rmSync(paths.caCert)
  assert.match(inspectSslMaterial(paths).problems.join('\n'), /xapi-ovn-cacert.pem is named in .* but does not exist/)
})

test('write failures are OVN_SSL_MATERIAL [path, reason] and leave no temp file', (t) => {
  const { root } = scratch(t)
  const target = join(root, 'missing-dir', 'f.pem')
  assert.throws(
    () => writeSslFile(target, 'x', 0o600),
    (e: unknown) =>
      e instanceof SslMaterialError &&
      e.code === 'OVN_SSL_MATERIAL' &&
      e.params[0] === target &&
      /ENOENT/.test(e.params[1] ?? ''),
  )
  // The directory of the PEM files cannot be created: a file is in the way.
  writeFileSync(join(root, 'blocker'), '')
  const paths = sslPaths(join(root, 'blocker', 'ovn'), join(root, 'ovn-controller'))
  const plan = planFor(args(client), paths)
  assert.ok(plan !== null)
  assert.throws(
    () => applySslPlan(plan),
    (e: unknown) => e instanceof SslMaterialError && e.params[0] === paths.dir,
  )
  assert.deepEqual(readdirSync(root).sort(), ['blocker'])
  // An options file we cannot even read stops everything before the first write.
  const unreadable = sslPaths(join(root, 'ovn'), join(root, 'blocker', 'opts'))
  const plan2 = planFor(args(client), unreadable)
  assert.ok(plan2 !== null)
  assert.throws(
    () => applySslPlan(plan2),
    (e: unknown) =>
      e instanceof SslMaterialError && e.params[0] === unreadable.optionsFile && /ENOTDIR/.test(e.params[1] ?? ''),
  )
  assert.deepEqual(readdirSync(root).sort(), ['blocker'])
})

test('a non-root ovn-controller (OVN_USER_ID, --ovn-user) is reported: it cannot read root-only files', (t) => {
  const { paths } = scratch(t)
  ensureDir(paths.dir)
  writeSslFile(paths.privateKey, client.keyPem, 0o600)
  const plan = planFor(args(client), paths)
  assert.ok(plan !== null)
  mkdirSync(join(paths.dir, 'sysconfig'), { recursive: true })
  // OVN's rpm, built with libcap-ng, uncomments this line in /etc/sysconfig/ovn.
  writeFileSync(paths.ovnSysconfigFile, 'OPTIONS=""\nOVN_USER_ID="openvswitch:openvswitch"\n')
  assert.deepEqual(controllerUser(paths), {
    user: 'openvswitch:openvswitch',
    source: `OVN_USER_ID in ${paths.ovnSysconfigFile}`,
  })
  const applied = applySslPlan(plan)
  assert.equal(applied.warnings.length, 1)
  assert.match(
    applied.warnings[0] ?? '',
    /ovn-controller runs as openvswitch:openvswitch \(OVN_USER_ID in .*\/sysconfig\/ovn\) and cannot read the root-only SSL files/,
  )
  assert.match(inspectSslMaterial(paths).problems.join('\n'), /runs as openvswitch:openvswitch/)
  // Commented out, as on XCP-ng where ovn-controller must be root: nothing to say.
  writeFileSync(paths.ovnSysconfigFile, 'OPTIONS=""\n#OVN_USER_ID="openvswitch:openvswitch"\n')
  assert.deepEqual(controllerUser(paths), { user: null, source: null })
  assert.deepEqual(inspectSslMaterial(paths).problems, [])
  // ovn-ctl's --ovn-user in OVN_CONTROLLER_OPTS comes last and wins; root is fine.
  const text = readFileSync(paths.optionsFile, 'utf8').replace(
    'OVN_CONTROLLER_OPTS="',
    'OVN_CONTROLLER_OPTS="--ovn-user=nobody:nogroup ',
  )
  writeFileSync(paths.optionsFile, text)
  assert.equal(controllerUser(paths).user, 'nobody:nogroup')
  assert.equal(applySslPlan(plan).warnings.length, 1)
  writeFileSync(paths.optionsFile, text.replace('--ovn-user=nobody:nogroup', '--ovn-user=root:root'))
  assert.deepEqual(applySslPlan(plan).warnings, [])
})
