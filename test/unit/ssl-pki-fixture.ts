/**
 * A throw-away PKI made with the openssl command line, for the SSL material tests: CAs, and
 * certificates they issue with chosen extended key usage and validity. Everything lives in one
 * temp directory (named like every lab dir, so a crashed run's is swept) that `destroy()` removes,
 * or the lab's teardown at process exit if the test forgot.
 *
 * @example
 * ```ts
 * const pki = createPki()
 * const ca = pki.ca('ca1')
 * const client = pki.issue(ca, 'chassis-1', { eku: 'clientAuth' })
 * // client.keyPem, client.certPem, client.keyPath, client.certPath; ca.certPem
 * pki.destroy()
 * ```
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { registerTeardown } from '../../lab/cleanup.js'
import { tempDirPrefix } from '../../lab/names.js'

export interface Credential {
  readonly name: string
  readonly keyPath: string
  readonly certPath: string
  readonly keyPem: string
  readonly certPem: string
}

export interface IssueOptions {
  /** extendedKeyUsage value, e.g. 'clientAuth', 'serverAuth', 'clientAuth,serverAuth'; none when omitted. */
  readonly eku?: string
  readonly days?: number
  /** 'ec' (P-256, fast, default) or 'rsa' (2048). */
  readonly keyType?: 'ec' | 'rsa'
}

export interface Pki {
  readonly dir: string
  ca(name: string, options?: { days?: number }): Credential
  issue(ca: Credential, name: string, options?: IssueOptions): Credential
  /** Sign a CSR made elsewhere (a host's fn=ssl-request) with `ca`, as the operator's CA would. */
  sign(ca: Credential, name: string, csrPem: string, options?: IssueOptions): { certPath: string; certPem: string }
  /** `openssl req -verify -noout -subject` of a CSR: throws when its self-signature is bad. */
  verifyCsr(csrPem: string): string
  /** A fresh private key only (PEM), optionally in another format. */
  key(name: string, format?: 'pkcs8' | 'encrypted-pkcs8' | 'encrypted-traditional-rsa' | 'traditional-rsa'): string
  /** `openssl x509 -fingerprint -sha256` of a certificate file, as colon hex. */
  fingerprint(certPath: string): string
  destroy(): void
}

function openssl(args: readonly string[], cwd: string): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

function keyArgs(type: 'ec' | 'rsa'): string[] {
  return type === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'] : ['-newkey', 'rsa:2048']
}

export function createPki(): Pki {
  const dir = mkdtempSync(tempDirPrefix('pki'))
  const registration = registerTeardown(`pki ${dir}`, () => rmSync(dir, { recursive: true, force: true }))
  let serial = 1000
  /** Sign `<dir>/<name>.csr` with `ca` into `<dir>/<name>.crt`, as the operator's CA does. */
  const signCsr = (ca: Credential, name: string, options: IssueOptions): void => {
    const ext = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment']
    if (options.eku !== undefined) ext.push(`extendedKeyUsage=${options.eku}`)
    writeFileSync(join(dir, `${name}.ext`), `${ext.join('\n')}\n`)
    serial += 1
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        ca.certPath,
        '-CAkey',
        ca.keyPath,
        '-set_serial',
        String(serial),
        '-days',
        String(options.days ?? 30),
        '-extfile',
        `${name}.ext`,
        '-out',
        `${name}.crt`,
      ],
      dir,
    )
  }
  const load = (name: string): Credential => {
    const keyPath = join(dir, `${name}.key`)
    const certPath = join(dir, `${name}.crt`)
    return { name, keyPath, certPath, keyPem: readFileSync(keyPath, 'utf8'), certPem: readFileSync(certPath, 'utf8') }
  }
  return {
    dir,
    ca(name, options = {}) {
      openssl(
        [
          'req',
          '-x509',
          ...keyArgs('ec'),
          '-nodes',
          '-keyout',
          `${name}.key`,
          '-out',
          `${name}.crt`,
          '-days',
          String(options.days ?? 30),
          '-subj',
          `/O=xapi-ovn test/CN=${name}`,
          '-addext',
          'basicConstraints=critical,CA:TRUE',
          '-addext',
          'keyUsage=critical,keyCertSign,cRLSign',
        ],
        dir,
      )
      return load(name)
    },
    issue(ca, name, options = {}) {
      openssl(
        [
          'req',
          ...keyArgs(options.keyType ?? 'ec'),
          '-nodes',
          '-keyout',
          `${name}.key`,
          '-out',
          `${name}.csr`,
          '-subj',
          `/O=xapi-ovn test/CN=${name}`,
        ],
        dir,
      )
      signCsr(ca, name, options)
      return load(name)
    },
    sign(ca, name, csrPem, options = {}) {
      writeFileSync(join(dir, `${name}.csr`), csrPem)
      signCsr(ca, name, options)
      const certPath = join(dir, `${name}.crt`)
      return { certPath, certPem: readFileSync(certPath, 'utf8') }
    },
    verifyCsr(csrPem) {
      serial += 1
      const path = join(dir, `verify-${serial}.csr`)
      writeFileSync(path, csrPem)
      return execFileSync('openssl', ['req', '-in', path, '-verify', '-noout', '-subject', '-nameopt', 'RFC2253'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    },
    key(name, format = 'pkcs8') {
      const out = `${name}.key`
      if (format === 'pkcs8')
        openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', out], dir)
      else if (format === 'encrypted-pkcs8')
        openssl(
          [
            'genpkey',
            '-algorithm',
            'EC',
            '-pkeyopt',
            'ec_paramgen_curve:prime256v1',
            '-aes-128-cbc',
            '-pass',
            'pass:secret',
            '-out',
            out,
          ],
          dir,
        )
      else if (format === 'traditional-rsa') openssl(['genrsa', '-traditional', '-out', out, '2048'], dir)
      else openssl(['genrsa', '-traditional', '-aes128', '-passout', 'pass:secret', '-out', out, '2048'], dir)
      return readFileSync(join(dir, out), 'utf8')
    },
    fingerprint(certPath) {
      const text = openssl(['x509', '-in', certPath, '-noout', '-fingerprint', '-sha256'], dir)
      return text.trim().replace(/^.*=/, '')
    },
    destroy() {
      rmSync(dir, { recursive: true, force: true })
      registration.release()
    },
  }
}
