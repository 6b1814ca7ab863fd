/**
 * Plan SSL material (pure: reads nothing, the clock and the host's key are parameters): the
 * validated certificates and the paths they go to, as an `SslPlan` that serialises (JSON,
 * util.inspect) to its summary only. Written by applySslPlan (./material-io.ts). The private key
 * is not in the plan: fn=ssl-request made it on the host (./host-key-io.ts) and configure only
 * checks that the certificate is for it.
 */
import { inspect } from 'node:util'
import { PEM_FILE_MODE, controllerSslArgs, ovnCtlSslOptions, type SslPaths } from './plan-paths.js'
import { certificateSummary, issuedBy, validateSslArgs, type CertificateSummary, type HostKey } from './validate-pem.js'

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

  constructor(paths: SslPaths, summary: SslSummary, contents: { cert: string; ca: string }) {
    this.paths = paths
    this.summary = summary
    this.ovnCtlOptions = ovnCtlSslOptions(paths)
    this.controllerArgs = controllerSslArgs(paths)
    // No private key here: it is already on the host (fn=ssl-request) and configure never writes it.
    this.files = [plannedFile(paths.certificate, contents.cert, false), plannedFile(paths.caCert, contents.ca, false)]
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

/**
 * Validate the SSL arguments of a configure call against the host's key and plan where they go.
 * Returns null when neither ovn-ssl-cert nor ovn-ssl-ca-cert is given; throws
 * `OVN_SSL_KEY_REFUSED` when ovn-ssl-key is given, `OVN_INVALID_ARGUMENT [key, "<redacted>",
 * reason]` when a certificate check fails (one of two given, empty, too long, not PEM, a private
 * key in it, unparseable, outside its validity period, not for TLS client use, CA all expired),
 * and `OVN_SSL_MATERIAL [key path, reason]` when the host has no key or the certificate is not for
 * it. Extra keys in `args` are ignored (configure checks those). `hostKey` is the content of
 * `paths.privateKey` as read now (readSslFile).
 */
export function planSslMaterial(
  args: Readonly<Record<string, string | undefined>>,
  paths: SslPaths,
  now: Date,
  hostKey: string | null,
): SslPlan | null {
  const key: HostKey = { path: paths.privateKey, pem: hostKey }
  const valid = validateSslArgs(args, now, key)
  if (valid === null) return null
  const { leaf, chain, cas } = valid
  const summary: SslSummary = {
    certificate: certificateSummary(leaf),
    chain: chain.map(certificateSummary),
    caCertificates: cas.map(certificateSummary),
    keyType: valid.key.asymmetricKeyType ?? 'unknown',
    certificateIssuedByCa: [leaf, ...chain].some((c) => cas.some((ca) => issuedBy(c, ca))),
    files: { privateKey: paths.privateKey, certificate: paths.certificate, caCert: paths.caCert },
    optionsFile: paths.optionsFile,
    ovnCtlOptions: ovnCtlSslOptions(paths),
  }
  return new SslPlan(paths, summary, valid.pem)
}
