/**
 * What SSL material is installed now, for fn=status and fn=verify (lib/chassis/verify.ts): the
 * options file's SSL options, the files and their modes, what the certificate says. Changes
 * nothing, and never reads out the key.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { statSync } from 'node:fs'
import { XapiOvnError } from '../../errors.js'
import { readSslFile } from './files-io.js'
import { nonRootProblem } from './options-file-io.js'
import { sslOptionsIn } from './plan-options-file.js'
import { ovnCtlSslOptions, type SslPaths } from './plan-paths.js'
import { certificateSummary, timeOf, validity, type CertificateSummary } from './validate-pem.js'

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
    options = sslOptionsIn(readSslFile(paths.optionsFile), paths.optionsFile)
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
  const certText = files[1]?.exists === true ? readSslFile(paths.certificate) : null
  if (certText !== null) {
    try {
      const cert = new X509Certificate(certText)
      certificate = certificateSummary(cert)
      const to = timeOf(cert.validTo)
      if (!Number.isNaN(to)) certificateDaysLeft = Math.floor((to - now.getTime()) / 86_400_000)
      if (validity(cert, now) === 'expired')
        problems.push(`the certificate ${paths.certificate} expired on ${certificate.validTo}`)
      // The key is the host's (fn=ssl-request); after `renew=true` the old certificate no longer fits it.
      const keyText = key.exists ? readSslFile(paths.privateKey) : null
      if (keyText !== null && !certificateFits(cert, keyText))
        problems.push(
          `the certificate ${paths.certificate} is not for the private key ${paths.privateKey}: sign the CSR of xapi-ovn ssl request and run xapi-ovn setup again`,
        )
    } catch {
      problems.push(`${paths.certificate} does not parse as a certificate`)
    }
  }
  return { configured, options, files, certificate, certificateDaysLeft, problems }
}

/** Whether `cert` is for the PEM private key `keyText` (read here, never returned). */
function certificateFits(cert: X509Certificate, keyText: string): boolean {
  try {
    return cert.checkPrivateKey(createPrivateKey(keyText))
  } catch {
    return false
  }
}
