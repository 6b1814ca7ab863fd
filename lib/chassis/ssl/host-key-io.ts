/**
 * The chassis's private key, made on the host and never sent anywhere (issue 9): fn=ssl-request
 * creates it here, returns a certificate signing request (CSR, RFC 2986) for it, and the
 * operator's CA signs that; configure then takes only the certificate (./validate-pem.ts checks it
 * is for this key). The key is read by path only: not on any argv, not on any stdin, not in any
 * reply, log line or error.
 *
 * Node's crypto makes keys but has no CSR builder, so `openssl req -new -key FILE -subj /CN=...`
 * makes the CSR (openssl-req(1)); dom0 has openssl, and xapi gives plugins
 * PATH=/sbin:/usr/sbin:/bin:/usr/bin and puts every argument in argv, which any local user can
 * read (docs/platform.md "How xapi runs our plugin"). node:child_process is loaded on use:
 * every module loaded at start-up costs every plugin call.
 */
import { generateKeyPairSync } from 'node:crypto'
import { errnoOf, errorText } from '../../error-text.js'
import { OpensslFailedError, OpensslMissingError } from '../errors.js'
import { ensureDir, readSslFile, writeSslFile } from './files-io.js'
import { PEM_FILE_MODE, type SslPaths } from './plan-paths.js'

/** What xapi gives a plugin, and what we fall back to when PATH is unset (docs/platform.md "How xapi runs our plugin"). */
export const DEFAULT_PATH = '/sbin:/usr/sbin:/bin:/usr/bin'
const OPENSSL = 'openssl'
const OPENSSL_TIMEOUT_MS = 30_000
const CSR_BLOCK = /^-----BEGIN CERTIFICATE REQUEST-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE REQUEST-----\n$/

export interface HostKeyState {
  readonly path: string
  /** A key was made by this call (none was there, or renew). */
  readonly created: boolean
}

/** A new EC P-256 private key, PKCS#8 PEM (what ovn-controller's OpenSSL reads). */
export function newPrivateKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
}

/**
 * Make sure the host has its key at `paths.privateKey`: keep the one there, or write a new one
 * (0600, atomically: lib/fs/atomic-file-io.ts) when there is none or `renew` asks for it.
 * `dryRun` writes nothing and says whether a key would be made.
 */
export function ensureHostKey(paths: SslPaths, options: { renew: boolean; dryRun: boolean }): HostKeyState {
  const existing = readSslFile(paths.privateKey)
  const create = options.renew || existing === null || !existing.includes('PRIVATE KEY-----')
  if (create && !options.dryRun) {
    ensureDir(paths.dir)
    writeSslFile(paths.privateKey, newPrivateKeyPem(), PEM_FILE_MODE)
  }
  return { path: paths.privateKey, created: create }
}

/** The subject of a chassis's CSR: its name, which is the host UUID (system-id). */
export function chassisSubject(hostUuid: string): string {
  return `/CN=${hostUuid}`
}

/**
 * A PEM CSR for the key in `keyPath`, with subject `subject` (`/CN=...`): `openssl req -new` with
 * the key given by path, stdin closed, stdout the CSR. Throws OVN_OPENSSL_MISSING when openssl is
 * not on PATH, OVN_OPENSSL_FAILED when it fails or answers anything but one CSR.
 */
export async function makeCsr(
  keyPath: string,
  subject: string,
  path: string = process.env.PATH ?? DEFAULT_PATH,
): Promise<string> {
  const { execFile } = await import('node:child_process')
  const args = ['req', '-new', '-key', keyPath, '-subj', subject, '-sha256', '-batch']
  const command = `${OPENSSL} ${args.join(' ')}`
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    const child = execFile(
      OPENSSL,
      args,
      {
        env: { PATH: path, LC_ALL: 'C' },
        timeout: OPENSSL_TIMEOUT_MS,
        killSignal: 'SIGKILL',
        maxBuffer: 1024 * 1024,
        encoding: 'utf8',
      },
      (err, out, errOut) => {
        if (err === null) return resolve({ stdout: out, stderr: errOut })
        if (errnoOf(err) === 'ENOENT') return reject(new OpensslMissingError(OPENSSL, path))
        // openssl's stderr names files and OpenSSL error codes, never key bytes.
        reject(new OpensslFailedError(command, `${errorText(err)} ${errOut}`.trim()))
      },
    )
    child.stdin?.end()
  })
  const csr = stdout.replace(/\r\n?/g, '\n')
  if (!CSR_BLOCK.test(csr) || csr.includes('PRIVATE KEY'))
    throw new OpensslFailedError(command, `did not answer one PEM certificate request ${stderr}`.trim())
  return csr
}
