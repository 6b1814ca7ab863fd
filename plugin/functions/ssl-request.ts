/**
 * fn=ssl-request: the first half of the SSL set-up, where the private key never leaves the host
 * (issue 9). Makes the chassis's private key if there is none (EC P-256, PKCS#8, 0600, at the
 * SSL paths' private key: lib/chassis/ssl/plan-paths.ts), or a new one with renew=true, and
 * returns a certificate signing request (PKCS#10, RFC 2986) for it with subject CN=<host uuid>,
 * the chassis name. The operator's CA signs it; configure then takes the certificate
 * (ovn-ssl-cert) and the CA (ovn-ssl-ca-cert). The key is never in the reply, the log or any argv.
 *
 * args: renew=true|false (default false), dry-run=true|false (write nothing; the CSR is made only
 * when a key is already there and is kept).
 * Reply: {csr, keyCreated, keyPath, subject, dryRun}; csr is null on a dry run that would make a key.
 */
import { parseFlag } from '../../lib/chassis/configure-args.js'
import { readHostUuid } from '../../lib/chassis/host-facts.js'
import type { PluginFunction } from '../context.js'
import { withLock } from '../lock.js'
import { onlyArgs } from './args.js'

export interface SslRequestReply {
  /** PEM `CERTIFICATE REQUEST` for the host's key; null on a dry run that would make a new key. */
  readonly csr: string | null
  /** A key was made by this call (or, on a dry run, would be). */
  readonly keyCreated: boolean
  readonly keyPath: string
  /** The CSR's subject, `/CN=<host uuid>`. */
  readonly subject: string
  readonly dryRun: boolean
}

export const sslRequest: PluginFunction = async (args, ctx): Promise<SslRequestReply> => {
  onlyArgs(args, ['renew', 'dry-run'])
  const renew = parseFlag('renew', args.renew)
  const dryRun = parseFlag('dry-run', args['dry-run'])
  // node:crypto (key generation) and the SSL modules are loaded only by this function.
  const ssl = await import('../../lib/chassis/ssl/index.js')
  const paths = ssl.sslPaths(ctx.paths.ovnEtcDir)
  const hostUuid = await readHostUuid(ctx.paths.inventory)
  const subject = ssl.chassisSubject(hostUuid)
  // The chassis lock: configure checks the certificate against this key under the same lock.
  return withLock(ctx, 'chassis', async () => {
    const key = ssl.ensureHostKey(paths, { renew, dryRun })
    if (key.created && !dryRun) ctx.log.info('ssl-request: made a new private key', { keyPath: key.path, renew })
    const csr = dryRun && key.created ? null : await ssl.makeCsr(key.path, subject)
    return { csr, keyCreated: key.created, keyPath: key.path, subject, dryRun }
  })
}
