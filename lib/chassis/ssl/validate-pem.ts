/**
 * Validation of the PEM text given to configure (pure: the clock and the host's key are
 * parameters): certificates that parse, validity periods, and a certificate for the private key
 * already on the host (made there by fn=ssl-request; private keys never travel, issue 9). A bad
 * argument is `OVN_INVALID_ARGUMENT [key, "<redacted>", reason]`, never the value; a host key that
 * is missing, unreadable or not the certificate's is `OVN_SSL_MATERIAL [key path, reason]`.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto'
import { InvalidArgumentError } from '../../errors.js'
import { SslKeyRefusedError } from '../errors.js'
import { SslMaterialError } from './errors.js'

/** The configure arguments that carry SSL material, always both together. */
export const SSL_ARG_NAMES = ['ovn-ssl-cert', 'ovn-ssl-ca-cert'] as const
export type SslArgName = (typeof SSL_ARG_NAMES)[number]
/** The argument that used to carry the private key: refused (OVN_SSL_KEY_REFUSED). */
export const REFUSED_KEY_ARG = 'ovn-ssl-key'

/** The private key on the host, as read from its file (null: no file). */
export interface HostKey {
  readonly path: string
  readonly pem: string | null
}

/** What errors show instead of a value of an SSL argument. */
export const REDACTED = '<redacted>'

/** Longest accepted PEM argument, in characters. */
export const MAX_PEM_CHARS = 64 * 1024
/** Most certificates accepted in ovn-ssl-cert (the leaf, then its chain) and in ovn-ssl-ca-cert. */
export const MAX_CERTS = 16

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

const RUN_SSL_REQUEST = 'run xapi-ovn ssl request and have its CSR signed'

/** The host's own key file, parsed; its failures name the file, never its content. */
function parseHostKey(hostKey: HostKey): KeyObject {
  const keyFail = (reason: string): never => {
    throw new SslMaterialError(hostKey.path, reason)
  }
  if (hostKey.pem === null) return keyFail(`no private key on this host: ${RUN_SSL_REQUEST}`)
  const blocks = [...hostKey.pem.replace(/\r\n?/g, '\n').matchAll(PEM_BLOCK)].filter((m) =>
    (m[1] ?? '').endsWith('PRIVATE KEY'),
  )
  if (blocks.length !== 1) return keyFail(`does not hold exactly one PEM private key: ${RUN_SSL_REQUEST} renew=true`)
  try {
    return createPrivateKey({ key: blocks[0]?.[0] ?? '', format: 'pem' })
  } catch {
    // The crypto error says nothing secret, but it says nothing useful either.
    return keyFail(`the private key does not parse: ${RUN_SSL_REQUEST} renew=true`)
  }
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

export function timeOf(text: string): number {
  const t = Date.parse(text)
  return Number.isNaN(t) ? NaN : t
}

export function validity(cert: X509Certificate, now: Date): 'valid' | 'expired' | 'not-yet-valid' | 'unknown' {
  const from = timeOf(cert.validFrom)
  const to = timeOf(cert.validTo)
  if (Number.isNaN(from) || Number.isNaN(to)) return 'unknown'
  if (now.getTime() < from) return 'not-yet-valid'
  if (now.getTime() > to) return 'expired'
  return 'valid'
}

export function isoOrRaw(text: string): string {
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

export function issuedBy(cert: X509Certificate, ca: X509Certificate): boolean {
  try {
    return cert.checkIssued(ca) && cert.verify(ca.publicKey)
  } catch {
    return false
  }
}

/** Material that passed every check: the parsed objects for the summary, the PEM text to write. */
export interface ValidSslMaterial {
  /** The host's own key (read there, never written by configure). */
  readonly key: KeyObject
  /** The first certificate of ovn-ssl-cert, the one the host's key belongs to. */
  readonly leaf: X509Certificate
  /** The certificates given after the leaf in ovn-ssl-cert. */
  readonly chain: readonly X509Certificate[]
  readonly cas: readonly X509Certificate[]
  readonly pem: { readonly cert: string; readonly ca: string }
}

/**
 * The checks of planSslMaterial (./plan-material.ts), in order; null when neither argument is
 * given. ovn-ssl-key is refused (OVN_SSL_KEY_REFUSED) whatever else is given. The certificate
 * must be for `hostKey`, the key fn=ssl-request made on this host.
 */
export function validateSslArgs(
  args: Readonly<Record<string, string | undefined>>,
  now: Date,
  hostKey: HostKey,
): ValidSslMaterial | null {
  if (Object.hasOwn(args, REFUSED_KEY_ARG)) throw new SslKeyRefusedError(REFUSED_KEY_ARG)
  const given = SSL_ARG_NAMES.filter((k) => Object.hasOwn(args, k) && args[k] !== undefined)
  if (given.length === 0) return null
  const missing = SSL_ARG_NAMES.find((k) => !given.includes(k))
  if (missing !== undefined)
    fail(missing, `SSL material comes as ${SSL_ARG_NAMES.join(', ')} together: ${missing} is missing`)
  const certText = args['ovn-ssl-cert'] ?? ''
  const caText = args['ovn-ssl-ca-cert'] ?? ''

  const { certs, pem: certPem } = parseCerts('ovn-ssl-cert', certText, 'certificate')
  const { certs: cas, pem: caPem } = parseCerts('ovn-ssl-ca-cert', caText, 'CA certificate')
  const leaf = certs[0] as X509Certificate
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

  // Last, once the arguments are known good: the certificate must be for the host's own key.
  const key = parseHostKey(hostKey)

  let matches = false
  try {
    matches = leaf.checkPrivateKey(key)
  } catch {
    matches = false
  }
  if (!matches)
    throw new SslMaterialError(
      hostKey.path,
      `the certificate in ovn-ssl-cert is not for this host's private key (a key renewed since needs a new certificate): ${RUN_SSL_REQUEST}`,
    )

  return { key, leaf, chain: certs.slice(1), cas, pem: { cert: certPem, ca: caPem } }
}
