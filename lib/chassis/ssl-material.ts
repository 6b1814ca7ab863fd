/**
 * SSL material for `ssl:` OVN southbound remotes: validate the PEM text a caller passes to
 * `configure` (ovn-ssl-key, ovn-ssl-cert, ovn-ssl-ca-cert), plan where it goes, write it, and
 * point ovn-controller's service at it.
 *
 * Where it goes, and why there:
 * - Three root-only (0600) files under the OVN etc dir (default /etc/ovn, `ovnEtcDir` of the
 *   plugin context): xapi-ovn-privkey.pem, xapi-ovn-cert.pem, xapi-ovn-cacert.pem.
 * - ovn-ctl's options `--ovn-controller-ssl-key=... --ovn-controller-ssl-cert=...
 *   --ovn-controller-ssl-ca-cert=...` in `OVN_CONTROLLER_OPTS` of /etc/sysconfig/ovn-controller,
 *   the EnvironmentFile that OVN's ovn-controller.service reads and passes to
 *   `ovn-ctl start_controller`, which turns them into ovn-controller's
 *   `--private-key= --certificate= --ca-cert=`.
 *   Never the Open_vSwitch SSL table: xapi's start-of-day `emer-reset` clears it, and a row there
 *   would override the command line (ovn-controller's update_ssl_config prefers it).
 *
 * Secrets never leave this module in a printable form: errors say `<redacted>` instead of the
 * value, and an `SslPlan` serialises (JSON, util.inspect) to its summary: subject, issuer,
 * validity and SHA-256 fingerprints, file paths and options, never the key.
 *
 * @example
 * ```ts
 * const paths = sslPaths(ctx.paths.ovnEtcDir)
 * const plan = planSslMaterial(args, paths, ctx.now())   // throws OVN_INVALID_ARGUMENT on bad PEM
 * if (plan !== null && !dryRun) {
 *   const applied = applySslPlan(plan)                   // files first, then the options file
 *   if (applied.restartNeeded) ... // ovn-controller reads them when it starts
 * }
 * // unconfigure:
 * removeSslMaterial(paths)                               // options first, then the files
 * ```
 */
import { X509Certificate, createPrivateKey, randomBytes, type KeyObject } from 'node:crypto'
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { inspect } from 'node:util'
import { errnoOf, errorText } from '../error-text.js'
import { InvalidArgumentError, XapiOvnError } from '../errors.js'

/** The configure arguments that carry SSL material, always all three together. */
export const SSL_ARG_NAMES = ['ovn-ssl-key', 'ovn-ssl-cert', 'ovn-ssl-ca-cert'] as const
export type SslArgName = (typeof SSL_ARG_NAMES)[number]

/** What errors show instead of a value of an SSL argument. */
export const REDACTED = '<redacted>'

/** Longest accepted PEM argument, in characters. */
export const MAX_PEM_CHARS = 64 * 1024
/** Most certificates accepted in ovn-ssl-cert (the leaf, then its chain) and in ovn-ssl-ca-cert. */
export const MAX_CERTS = 16

export const DEFAULT_OVN_ETC_DIR = '/etc/ovn'
/** The EnvironmentFile of OVN's ovn-controller.service (rhel/ packaging) that holds OVN_CONTROLLER_OPTS. */
export const DEFAULT_CONTROLLER_OPTIONS_FILE = '/etc/sysconfig/ovn-controller'
export const OPTIONS_VARIABLE = 'OVN_CONTROLLER_OPTS'

export const SSL_FILE_NAMES = {
  privateKey: 'xapi-ovn-privkey.pem',
  certificate: 'xapi-ovn-cert.pem',
  caCert: 'xapi-ovn-cacert.pem',
} as const

/** Mode of the three PEM files: root only. */
export const PEM_FILE_MODE = 0o600
/** Mode of a newly created options file (it holds paths, no secret). An existing file keeps its mode. */
export const OPTIONS_FILE_MODE = 0o644

const MARKER =
  '# xapi-ovn: the --ovn-controller-ssl-* options below are managed by ovn-chassis fn=configure/unconfigure'
/** The marker above a line xapi-ovn added (rather than edited): removal may take the line away too. */
const MARKER_ADDED = `${MARKER} (line added by xapi-ovn)`

/**
 * OVN_SSL_MATERIAL: SSL material could not be written or removed, or the options file cannot be
 * edited safely. params: [path, reason]. Never carries key material.
 */
export class SslMaterialError extends XapiOvnError {
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super('OVN_SSL_MATERIAL', `SSL material at ${path}: ${reason}`, [path, reason], options)
  }
}

export interface SslPaths {
  /** The directory of the three PEM files. */
  readonly dir: string
  readonly privateKey: string
  readonly certificate: string
  readonly caCert: string
  /** The EnvironmentFile whose OVN_CONTROLLER_OPTS carries the ovn-ctl SSL options. */
  readonly optionsFile: string
  /** OVN's own EnvironmentFile read before it (/etc/sysconfig/ovn: OVN_USER_ID); only read. */
  readonly ovnSysconfigFile: string
}

// The paths end up unquoted in a shell word list (ovn-ctl expands $OVN_CONTROLLER_SSL_KEY
// without quotes), so they may hold no blank, quote, glob or dollar character.
const SAFE_PATH = /^\/[A-Za-z0-9._+/-]*$/

function checkPath(what: string, path: string): void {
  const reason = !SAFE_PATH.test(path)
    ? 'must be an absolute path of letters, digits and . _ + / - only'
    : path.split('/').some((part) => part === '..')
      ? 'must not contain ..'
      : null
  if (reason !== null) throw new InvalidArgumentError(what, path, reason)
}

/**
 * Where the material of this host goes. The options file is /etc/sysconfig/ovn-controller when
 * the OVN etc dir is the default one; when the etc dir is overridden (lab, tests) it follows it
 * to `<ovnEtcDir>/sysconfig/ovn-controller`, so an emulated host never edits the real host's file.
 */
export function sslPaths(ovnEtcDir: string = DEFAULT_OVN_ETC_DIR, optionsFile?: string): SslPaths {
  const dir = ovnEtcDir.length > 1 ? ovnEtcDir.replace(/\/+$/, '') : ovnEtcDir
  checkPath('ovn-etc-dir', dir)
  const options =
    optionsFile ??
    (dir === DEFAULT_OVN_ETC_DIR ? DEFAULT_CONTROLLER_OPTIONS_FILE : join(dir, 'sysconfig', 'ovn-controller'))
  checkPath('ovn-controller-options-file', options)
  return {
    dir,
    privateKey: join(dir, SSL_FILE_NAMES.privateKey),
    certificate: join(dir, SSL_FILE_NAMES.certificate),
    caCert: join(dir, SSL_FILE_NAMES.caCert),
    optionsFile: options,
    ovnSysconfigFile: join(dirname(options), 'ovn'),
  }
}

/** ovn-ctl's options (for OVN_CONTROLLER_OPTS) naming the three files. */
export function ovnCtlSslOptions(paths: SslPaths): string[] {
  return [
    `--ovn-controller-ssl-key=${paths.privateKey}`,
    `--ovn-controller-ssl-cert=${paths.certificate}`,
    `--ovn-controller-ssl-ca-cert=${paths.caCert}`,
  ]
}

/** ovn-controller's own options naming the three files (what ovn-ctl turns the above into). */
export function controllerSslArgs(paths: SslPaths): string[] {
  return [`--private-key=${paths.privateKey}`, `--certificate=${paths.certificate}`, `--ca-cert=${paths.caCert}`]
}

/** What a certificate is, without its bytes. */
export interface CertificateSummary {
  readonly subject: string
  readonly issuer: string
  readonly serialNumber: string
  /** SHA-256 fingerprint, colon-separated upper-case hex (as openssl x509 -fingerprint -sha256). */
  readonly fingerprint256: string
  readonly validFrom: string
  readonly validTo: string
}

/** Everything about planned material that may be shown or logged. */
export interface SslSummary {
  readonly certificate: CertificateSummary
  /** The chain certificates given after the leaf in ovn-ssl-cert. */
  readonly chain: readonly CertificateSummary[]
  readonly caCertificates: readonly CertificateSummary[]
  /** 'rsa', 'ec', 'ed25519', ... */
  readonly keyType: string
  /** Whether a certificate of ovn-ssl-ca-cert issued ours (the usual one-PKI set-up; not required). */
  readonly certificateIssuedByCa: boolean
  readonly files: { readonly privateKey: string; readonly certificate: string; readonly caCert: string }
  readonly optionsFile: string
  readonly ovnCtlOptions: readonly string[]
}

/** A file to write: its content is only reachable through `reveal()`. */
export interface PlannedFile {
  readonly path: string
  readonly mode: number
  readonly secret: boolean
  reveal(): string
}

/**
 * Validated material and where it goes. Serialises to its summary only, so handing a plan to a
 * logger or returning it from a plugin function can never leak the key.
 */
export class SslPlan {
  readonly paths: SslPaths
  readonly summary: SslSummary
  /** ovn-ctl options for OVN_CONTROLLER_OPTS. */
  readonly ovnCtlOptions: readonly string[]
  /** ovn-controller's own options, for starting it directly (the lab). */
  readonly controllerArgs: readonly string[]
  readonly files: readonly PlannedFile[]

  constructor(paths: SslPaths, summary: SslSummary, contents: { key: string; cert: string; ca: string }) {
    this.paths = paths
    this.summary = summary
    this.ovnCtlOptions = ovnCtlSslOptions(paths)
    this.controllerArgs = controllerSslArgs(paths)
    this.files = [
      plannedFile(paths.privateKey, contents.key, true),
      plannedFile(paths.certificate, contents.cert, false),
      plannedFile(paths.caCert, contents.ca, false),
    ]
  }

  toJSON(): SslSummary {
    return this.summary
  }

  [inspect.custom](): string {
    return `SslPlan ${inspect(this.summary, { depth: 4 })}`
  }
}

function plannedFile(path: string, content: string, secret: boolean): PlannedFile {
  const file = { path, mode: PEM_FILE_MODE, secret, reveal: () => content }
  Object.defineProperty(file, 'toJSON', { value: () => ({ path, mode: PEM_FILE_MODE, secret }) })
  Object.defineProperty(file, inspect.custom, { value: () => `PlannedFile(${path})` })
  return file
}

// ---------------------------------------------------------------------------------------------
// Validation (pure: the clock is a parameter)

interface PemBlock {
  readonly label: string
  /** The block normalised: LF line ends, no surrounding text, ends with a newline. */
  readonly text: string
  readonly headers: string
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\n([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g
const PEM_TEXT = /^[\t\n\r\x20-\x7e]*$/
const PRIVATE_KEY_LABELS = new Set([
  'PRIVATE KEY',
  'RSA PRIVATE KEY',
  'EC PRIVATE KEY',
  'DSA PRIVATE KEY',
  'ENCRYPTED PRIVATE KEY',
])
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'
const ANY_EKU = '2.5.29.37.0'

function fail(key: SslArgName, reason: string): never {
  throw new InvalidArgumentError(key, REDACTED, reason)
}

function pemBlocks(key: SslArgName, value: string): PemBlock[] {
  if (value.length === 0) fail(key, 'empty')
  if (value.length > MAX_PEM_CHARS) fail(key, `longer than ${MAX_PEM_CHARS} characters`)
  if (!PEM_TEXT.test(value)) fail(key, 'not PEM text: only printable ASCII and line breaks are allowed')
  const text = value.replace(/\r\n?/g, '\n')
  const blocks: PemBlock[] = []
  for (const m of text.matchAll(PEM_BLOCK)) {
    const label = m[1] ?? ''
    if (m[3] !== label) fail(key, `PEM block BEGIN ${label} ends with END ${m[3] ?? ''}`)
    const body = m[2] ?? ''
    const split = body.indexOf('\n\n')
    const headers = split >= 0 && body.slice(0, split).includes(':') ? body.slice(0, split) : ''
    blocks.push({ label, headers, text: `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n` })
  }
  if (blocks.length === 0) fail(key, 'no PEM block (-----BEGIN ...-----) found')
  return blocks
}

function isPrivateKeyBlock(b: PemBlock): boolean {
  return PRIVATE_KEY_LABELS.has(b.label) || b.label.endsWith('PRIVATE KEY')
}

function parseKey(value: string): { key: KeyObject; pem: string } {
  const blocks = pemBlocks('ovn-ssl-key', value).filter(isPrivateKeyBlock)
  if (blocks.length === 0) fail('ovn-ssl-key', 'no PEM private key block (-----BEGIN PRIVATE KEY-----) found')
  if (blocks.length > 1) fail('ovn-ssl-key', 'more than one private key')
  const block = blocks[0] as PemBlock
  if (block.label === 'ENCRYPTED PRIVATE KEY' || /ENCRYPTED/.test(block.headers)) {
    fail('ovn-ssl-key', 'the private key is encrypted; ovn-controller cannot ask for a passphrase: pass it unencrypted')
  }
  let key: KeyObject
  try {
    key = createPrivateKey({ key: block.text, format: 'pem' })
  } catch {
    // The crypto error says nothing secret, but it says nothing useful either.
    fail('ovn-ssl-key', 'the private key does not parse')
  }
  return { key, pem: block.text }
}

function parseCerts(argName: SslArgName, value: string, what: string): { certs: X509Certificate[]; pem: string } {
  const blocks = pemBlocks(argName, value)
  if (blocks.some(isPrivateKeyBlock)) fail(argName, 'contains a private key: pass only certificates here')
  const certBlocks = blocks.filter(
    (b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE' || b.label === 'X509 CERTIFICATE',
  )
  if (certBlocks.length === 0) fail(argName, `no PEM certificate block (-----BEGIN CERTIFICATE-----) found`)
  if (certBlocks.length > MAX_CERTS) fail(argName, `more than ${MAX_CERTS} certificates`)
  const certs = certBlocks.map((b, i) => {
    if (b.label !== 'CERTIFICATE')
      fail(argName, `${what} ${i + 1} is a ${b.label} block; use plain -----BEGIN CERTIFICATE-----`)
    try {
      return new X509Certificate(b.text)
    } catch {
      return fail(argName, `${what} ${i + 1} does not parse`)
    }
  })
  return { certs, pem: certBlocks.map((b) => b.text).join('') }
}

function timeOf(text: string): number {
  const t = Date.parse(text)
  return Number.isNaN(t) ? NaN : t
}

function validity(cert: X509Certificate, now: Date): 'valid' | 'expired' | 'not-yet-valid' | 'unknown' {
  const from = timeOf(cert.validFrom)
  const to = timeOf(cert.validTo)
  if (Number.isNaN(from) || Number.isNaN(to)) return 'unknown'
  if (now.getTime() < from) return 'not-yet-valid'
  if (now.getTime() > to) return 'expired'
  return 'valid'
}

function isoOrRaw(text: string): string {
  const t = timeOf(text)
  return Number.isNaN(t) ? text : new Date(t).toISOString()
}

export function certificateSummary(cert: X509Certificate): CertificateSummary {
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    serialNumber: cert.serialNumber,
    fingerprint256: cert.fingerprint256,
    validFrom: isoOrRaw(cert.validFrom),
    validTo: isoOrRaw(cert.validTo),
  }
}

function issuedBy(cert: X509Certificate, ca: X509Certificate): boolean {
  try {
    return cert.checkIssued(ca) && cert.verify(ca.publicKey)
  } catch {
    return false
  }
}

/**
 * Validate the SSL arguments of a configure call and plan where they go. Returns null when none
 * of the three is given; throws `OVN_INVALID_ARGUMENT [key, "<redacted>", reason]` when any check
 * fails: one or two of three given, empty, too long, not PEM, key encrypted or unparseable or not
 * the certificate's, certificate unparseable or outside its validity period or not for TLS client
 * use, CA unparseable or all expired. Extra keys in `args` are ignored (configure checks those).
 */
export function planSslMaterial(
  args: Readonly<Record<string, string | undefined>>,
  paths: SslPaths,
  now: Date = new Date(),
): SslPlan | null {
  const given = SSL_ARG_NAMES.filter((k) => Object.hasOwn(args, k) && args[k] !== undefined)
  if (given.length === 0) return null
  const missing = SSL_ARG_NAMES.find((k) => !given.includes(k))
  if (missing !== undefined)
    fail(missing, `SSL material comes as ${SSL_ARG_NAMES.join(', ')} together: ${missing} is missing`)
  const keyText = args['ovn-ssl-key'] as string
  const certText = args['ovn-ssl-cert'] as string
  const caText = args['ovn-ssl-ca-cert'] as string

  const { key, pem: keyPem } = parseKey(keyText)
  const { certs, pem: certPem } = parseCerts('ovn-ssl-cert', certText, 'certificate')
  const { certs: cas, pem: caPem } = parseCerts('ovn-ssl-ca-cert', caText, 'CA certificate')
  const leaf = certs[0] as X509Certificate

  let matches = false
  try {
    matches = leaf.checkPrivateKey(key)
  } catch {
    matches = false
  }
  if (!matches) fail('ovn-ssl-key', 'the private key does not match the certificate in ovn-ssl-cert')

  const state = validity(leaf, now)
  if (state === 'unknown') fail('ovn-ssl-cert', 'the certificate validity dates cannot be read')
  if (state === 'not-yet-valid') fail('ovn-ssl-cert', `the certificate is not valid before ${isoOrRaw(leaf.validFrom)}`)
  if (state === 'expired') fail('ovn-ssl-cert', `the certificate expired on ${isoOrRaw(leaf.validTo)}`)
  const eku = leaf.keyUsage
  if (Array.isArray(eku) && eku.length > 0 && !eku.includes(CLIENT_AUTH) && !eku.includes(ANY_EKU)) {
    fail('ovn-ssl-cert', "the certificate's extended key usage does not allow TLS client authentication (clientAuth)")
  }
  if (!cas.some((c) => validity(c, now) === 'valid'))
    fail('ovn-ssl-ca-cert', 'no CA certificate is within its validity period')

  const summary: SslSummary = {
    certificate: certificateSummary(leaf),
    chain: certs.slice(1).map(certificateSummary),
    caCertificates: cas.map(certificateSummary),
    keyType: key.asymmetricKeyType ?? 'unknown',
    certificateIssuedByCa: [leaf, ...certs.slice(1)].some((c) => cas.some((ca) => issuedBy(c, ca))),
    files: { privateKey: paths.privateKey, certificate: paths.certificate, caCert: paths.caCert },
    optionsFile: paths.optionsFile,
    ovnCtlOptions: ovnCtlSslOptions(paths),
  }
  return new SslPlan(paths, summary, { key: keyPem, cert: certPem, ca: caPem })
}

// ---------------------------------------------------------------------------------------------
// The options file (pure): OVN_CONTROLLER_OPTS in a systemd EnvironmentFile

const ASSIGNMENT = new RegExp(`^\\s*${OPTIONS_VARIABLE}=(.*)$`)
const SSL_OPTION = /^--ovn-controller-ssl-(key|cert|ca-cert|bootstrap-ca-cert)=/
const RAW_SSL_OPTION = /^(-p|-c|-C|--private-key|--certificate|--ca-cert|--bootstrap-ca-cert)(=|$)/

interface ParsedValue {
  readonly value: string
  readonly quote: '"' | "'" | ''
}

function parseValue(raw: string, file: string): ParsedValue {
  const v = raw.trim()
  if (v.endsWith('\\'))
    throw new SslMaterialError(
      file,
      `${OPTIONS_VARIABLE} continues on the next line; write it on one line so it can be edited safely`,
    )
  if (v.startsWith('"')) {
    let out = ''
    for (let i = 1; i < v.length; i++) {
      const c = v[i] as string
      if (c === '\\' && i + 1 < v.length) {
        out += v[i + 1]
        i++
      } else if (c === '"') {
        if (v.slice(i + 1).trim() !== '') break
        return { value: out, quote: '"' }
      } else out += c
    }
    throw new SslMaterialError(file, `cannot safely edit ${OPTIONS_VARIABLE}: unbalanced or mixed quoting`)
  }
  if (v.startsWith("'")) {
    if (v.length >= 2 && v.endsWith("'") && !v.slice(1, -1).includes("'")) return { value: v.slice(1, -1), quote: "'" }
    throw new SslMaterialError(file, `cannot safely edit ${OPTIONS_VARIABLE}: unbalanced or mixed quoting`)
  }
  if (/["'\\]/.test(v))
    throw new SslMaterialError(
      file,
      `cannot safely edit ${OPTIONS_VARIABLE}: quotes or backslashes inside an unquoted value`,
    )
  return { value: v, quote: '' }
}

/** The line for these words, in the quoting the line had (single quotes when possible, else double). */
function renderValue(words: readonly string[], quote: ParsedValue['quote']): string {
  const text = words.join(' ')
  if (quote === "'" && !text.includes("'")) return `${OPTIONS_VARIABLE}='${text}'`
  return `${OPTIONS_VARIABLE}="${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}

/**
 * The options file's new text, from its current text (null: the file does not exist) and the
 * ovn-ctl options to carry (null: remove ours). Only our own options (the exact
 * `--ovn-controller-ssl-*=<our path>` words) are added or removed; everything else in the file
 * stays. Our options go before a `--` (after which words go to ovn-controller itself). Returns
 * null when the file should not exist (it would hold nothing but our marker).
 *
 * Throws `OVN_SSL_MATERIAL [file, reason]` instead of guessing: a value spread over several
 * lines or quoted in a way we do not parse, or SSL options of someone else's (they would fight
 * ours: ovn-ctl and ovn-controller both let the last one win).
 */
export function editControllerOptions(
  text: string | null,
  ours: readonly string[] | null,
  paths: SslPaths,
): string | null {
  const file = paths.optionsFile
  const mine = new Set(ovnCtlSslOptions(paths))
  const lines = text === null || text === '' ? [] : text.replace(/\n$/, '').split('\n')
  let index = -1
  for (let i = 0; i < lines.length; i++) if (ASSIGNMENT.test(lines[i] as string)) index = i

  let words: string[] = []
  let quote: ParsedValue['quote'] = '"'
  if (index >= 0) {
    const parsed = parseValue(ASSIGNMENT.exec(lines[index] as string)?.[1] ?? '', file)
    words = parsed.value.split(/\s+/).filter((w) => w !== '')
    quote = parsed.quote
  }
  const kept = words.filter((w) => !mine.has(w))
  const dashdash = kept.indexOf('--')
  const before = dashdash < 0 ? kept : kept.slice(0, dashdash)
  const after = dashdash < 0 ? [] : kept.slice(dashdash)
  if (ours !== null) {
    const foreign = [...before.filter((w) => SSL_OPTION.test(w)), ...after.filter((w) => RAW_SSL_OPTION.test(w))]
    if (foreign.length > 0) {
      throw new SslMaterialError(
        file,
        `${OPTIONS_VARIABLE} already names other SSL material (${foreign.join(' ')}); remove it so configure's material is the one used`,
      )
    }
  }
  const next = ours === null ? kept : [...before, ...ours, ...after]

  const above = index > 0 ? lines[index - 1] : undefined
  const hadMarker = above === MARKER || above === MARKER_ADDED
  const out = [...lines]
  if (index >= 0) {
    if (ours === null && next.length === 0 && above === MARKER_ADDED) {
      out.splice(index - 1, 2) // a line we added, still holding nothing else: gone with its marker
    } else {
      out[index] =
        next.length === words.length && next.every((w, i) => w === words[i])
          ? (lines[index] as string)
          : renderValue(next, quote)
      if (ours !== null && !hadMarker) out.splice(index, 0, MARKER)
      if (ours === null && hadMarker) out.splice(index - 1, 1)
    }
  } else if (ours !== null) {
    out.push(MARKER_ADDED, renderValue(next, '"'))
  }
  if (out.every((l) => l.trim() === '')) return null
  return `${out.join('\n')}\n`
}

/** The value of the last `NAME=` line of an EnvironmentFile's text; null when there is none. */
export function envFileValue(text: string | null, name: string, file: string): string | null {
  if (text === null) return null
  const assignment = new RegExp(`^\\s*${name}=(.*)$`)
  let value: string | null = null
  for (const line of text.split('\n')) {
    const m = assignment.exec(line)
    if (m) value = parseValue(m[1] ?? '', file).value
  }
  return value
}

/**
 * The user ovn-controller.service runs ovn-controller as: OVN_USER_ID from /etc/sysconfig/ovn
 * then /etc/sysconfig/ovn-controller (the unit passes `--ovn-user=${OVN_USER_ID}` to ovn-ctl),
 * overridden by an `--ovn-user=` in OVN_CONTROLLER_OPTS (ovn-ctl: the last one wins).
 * null: root (unset or empty). OVN's rpm turns OVN_USER_ID on when built with libcap-ng.
 */
export function controllerUser(paths: SslPaths): { user: string | null; source: string | null } {
  let user: string | null = null
  let source: string | null = null
  for (const file of [paths.ovnSysconfigFile, paths.optionsFile]) {
    const v = envFileValue(readIfExists(file), 'OVN_USER_ID', file)
    if (v !== null) {
      user = v
      source = `OVN_USER_ID in ${file}`
    }
  }
  for (const w of controllerOptions(readIfExists(paths.optionsFile), paths.optionsFile)) {
    if (w === '--') break
    if (w.startsWith('--ovn-user=')) {
      user = w.slice('--ovn-user='.length)
      source = `${w} in ${OPTIONS_VARIABLE} of ${paths.optionsFile}`
    }
  }
  return { user: user === null || user.trim() === '' ? null : user.trim(), source }
}

function isRootUser(user: string | null): boolean {
  if (user === null) return true
  const name = user.split(':')[0] ?? ''
  return name === '' || name === 'root' || name === '0'
}

/** Why ovn-controller cannot read root-only material, or null when it runs as root. */
export function nonRootProblem(paths: SslPaths): string | null {
  let who: { user: string | null; source: string | null }
  try {
    who = controllerUser(paths)
  } catch (err) {
    return `cannot tell which user ovn-controller runs as: ${errorText(err)}`
  }
  if (isRootUser(who.user)) return null
  return `ovn-controller runs as ${who.user ?? '?'} (${who.source ?? '?'}) and cannot read the root-only SSL files (nor, on XCP-ng, the root-owned Open vSwitch socket): make it run as root (comment OVN_USER_ID out)`
}

/** The words of the OVN_CONTROLLER_OPTS that systemd would use (the last assignment); [] when none. */
export function controllerOptions(text: string | null, file = DEFAULT_CONTROLLER_OPTIONS_FILE): string[] {
  if (text === null) return []
  let value = ''
  for (const line of text.split('\n')) {
    const m = ASSIGNMENT.exec(line)
    if (m) value = parseValue(m[1] ?? '', file).value
  }
  return value.split(/\s+/).filter((w) => w !== '')
}

/** The ovn-ctl SSL options that OVN_CONTROLLER_OPTS in `text` carries (ours or anyone's). */
export function sslOptionsIn(text: string | null, file = DEFAULT_CONTROLLER_OPTIONS_FILE): string[] {
  const words = controllerOptions(text, file)
  const dashdash = words.indexOf('--')
  return (dashdash < 0 ? words : words.slice(0, dashdash)).filter((w) => SSL_OPTION.test(w))
}

// ---------------------------------------------------------------------------------------------
// Files

function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return null
    throw new SslMaterialError(path, `cannot read: ${errorText(err)}`, { cause: err })
  }
}

function fsyncDir(dir: string): void {
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
 * secret is never readable by others, not even for an instant.
 */
export function writeFileAtomic(path: string, content: string, mode: number): void {
  const dir = dirname(path)
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
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
    throw new SslMaterialError(path, `cannot write: ${errorText(err)}`, { cause: err })
  }
  fsyncDir(dir)
}

/** Whether `path` already holds exactly `content` with exactly `mode` and our owner. */
function alreadyThere(path: string, content: string, mode: number): boolean {
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

function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 })
  } catch (err) {
    throw new SslMaterialError(dir, `cannot create the directory: ${errorText(err)}`, { cause: err })
  }
}

export interface SslApplyResult {
  readonly summary: SslSummary
  /** The paths whose content or mode changed (the three PEM files, the options file). */
  readonly changed: readonly string[]
  /** ovn-controller reads its material and options when it starts: restart it if anything changed. */
  readonly restartNeeded: boolean
  /** What will stop ovn-controller from using the material (e.g. it runs as a non-root user). */
  readonly warnings: readonly string[]
}

/**
 * Write a plan: the three PEM files (0600, atomically; unchanged files are left alone), then the
 * options file, so the options never name a file that is not there yet. The options file's new
 * text is worked out first, so an options file we refuse to edit stops everything before any
 * file is written.
 */
export function applySslPlan(plan: SslPlan): SslApplyResult {
  const options = planOptionsFile(plan.paths, plan.ovnCtlOptions)
  const changed: string[] = []
  ensureDir(plan.paths.dir)
  for (const f of plan.files) {
    const content = f.reveal()
    if (alreadyThere(f.path, content, f.mode)) continue
    writeFileAtomic(f.path, content, f.mode)
    changed.push(f.path)
  }
  if (writeOptionsFile(options)) changed.push(plan.paths.optionsFile)
  const nonRoot = nonRootProblem(plan.paths)
  return {
    summary: plan.summary,
    changed,
    restartNeeded: changed.length > 0,
    warnings: nonRoot === null ? [] : [nonRoot],
  }
}

interface OptionsFileEdit {
  readonly file: string
  readonly before: string | null
  readonly after: string | null
}

function planOptionsFile(paths: SslPaths, ours: readonly string[] | null): OptionsFileEdit {
  const before = readIfExists(paths.optionsFile)
  return { file: paths.optionsFile, before, after: editControllerOptions(before, ours, paths) }
}

/** Rewrite (or create, or delete) the options file; true when it changed. */
function writeOptionsFile({ file, before, after }: OptionsFileEdit): boolean {
  if (after === before) return false
  if (after === null) {
    try {
      unlinkSync(file)
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT')
        throw new SslMaterialError(file, `cannot remove: ${errorText(err)}`, { cause: err })
    }
    return true
  }
  let mode = OPTIONS_FILE_MODE
  if (before !== null) {
    try {
      mode = statSync(file).mode & 0o7777
    } catch {
      // gone meanwhile: create it with the default mode
    }
  } else ensureDir(dirname(file))
  writeFileAtomic(file, after, mode)
  return true
}

export interface SslRemoveResult {
  /** The PEM files that were there and are gone. */
  readonly removed: readonly string[]
  /** Whether our options were taken out of the options file. */
  readonly optionsChanged: boolean
  readonly restartNeeded: boolean
}

/**
 * Undo `applySslPlan`: take our options out of the options file first (so it never names a
 * missing file), then remove the three PEM files. Idempotent; touches nothing that is not ours.
 */
export function removeSslMaterial(paths: SslPaths): SslRemoveResult {
  const optionsChanged = writeOptionsFile(planOptionsFile(paths, null))
  const removed: string[] = []
  for (const path of [paths.privateKey, paths.certificate, paths.caCert]) {
    try {
      unlinkSync(path)
      removed.push(path)
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT')
        throw new SslMaterialError(path, `cannot remove: ${errorText(err)}`, { cause: err })
    }
  }
  if (removed.length > 0) fsyncDir(paths.dir)
  return { removed, optionsChanged, restartNeeded: optionsChanged || removed.length > 0 }
}

export interface SslFileState {
  readonly path: string
  readonly exists: boolean
  /** Permission bits, e.g. "0600", when it exists. */
  readonly mode: string | null
}

/** What is installed now, for status and verify: never the key, only what a certificate says. */
export interface SslInspection {
  /** Our options are in the options file. */
  readonly configured: boolean
  /** Every ovn-ctl SSL option the options file carries (ours or someone else's). */
  readonly options: readonly string[]
  readonly files: readonly SslFileState[]
  readonly certificate: CertificateSummary | null
  /** Whole days until the certificate expires (negative: expired), when it can be read. */
  readonly certificateDaysLeft: number | null
  /** What is wrong, in words; empty when all is well (or nothing is configured). */
  readonly problems: readonly string[]
}

/** Look at the installed material without changing anything. */
export function inspectSslMaterial(paths: SslPaths, now: Date = new Date()): SslInspection {
  const problems: string[] = []
  let options: string[] = []
  try {
    options = sslOptionsIn(readIfExists(paths.optionsFile), paths.optionsFile)
  } catch (err) {
    problems.push(err instanceof XapiOvnError ? err.message : String(err))
  }
  const ours = ovnCtlSslOptions(paths)
  const configured = ours.every((o) => options.includes(o))
  const files: SslFileState[] = [paths.privateKey, paths.certificate, paths.caCert].map((path) => {
    try {
      const st = statSync(path)
      return { path, exists: true, mode: `0${(st.mode & 0o777).toString(8)}` }
    } catch {
      return { path, exists: false, mode: null }
    }
  })
  if (configured) {
    for (const f of files) {
      if (!f.exists) problems.push(`${f.path} is named in ${paths.optionsFile} but does not exist`)
    }
  }
  if (configured) {
    const nonRoot = nonRootProblem(paths)
    if (nonRoot !== null) problems.push(nonRoot)
  }
  if (options.some((o) => !ours.includes(o)))
    problems.push(
      `${paths.optionsFile} names SSL material that is not xapi-ovn's: ${options.filter((o) => !ours.includes(o)).join(' ')}`,
    )
  const key = files[0] as SslFileState
  if (key.exists && key.mode !== '0600') problems.push(`${key.path} has mode ${key.mode ?? '?'}, not 0600`)
  let certificate: CertificateSummary | null = null
  let certificateDaysLeft: number | null = null
  const certText = files[1]?.exists === true ? readIfExists(paths.certificate) : null
  if (certText !== null) {
    try {
      const cert = new X509Certificate(certText)
      certificate = certificateSummary(cert)
      const to = timeOf(cert.validTo)
      if (!Number.isNaN(to)) certificateDaysLeft = Math.floor((to - now.getTime()) / 86_400_000)
      if (validity(cert, now) === 'expired')
        problems.push(`the certificate ${paths.certificate} expired on ${certificate.validTo}`)
    } catch {
      problems.push(`${paths.certificate} does not parse as a certificate`)
    }
  }
  return { configured, options, files, certificate, certificateDaysLeft, problems }
}
