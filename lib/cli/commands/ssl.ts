/**
 * xapi-ovn ssl request: the first half of SSL for ssl: remotes, where private keys never leave
 * their hosts (issue 9). Each selected host's plugin makes its key (if it has none, or anew with
 * --renew) and answers a CSR for CN=<host uuid>; the CSRs are written as DIR/<host-uuid>.csr for
 * the operator's CA to sign into DIR/<host-uuid>.pem, which `setup --ssl-cert-dir DIR` reads.
 * Nothing here reads or sends a private key.
 */
import { join } from 'node:path'
import { sslRequest, type SslRequestResult } from '../../pool/ssl-request.js'
import { selectionOption } from '../args.js'
import { Command } from '../command.js'
import { onPool } from '../connections.js'
import { flag, POOL_OPTIONS, requiredString, UsageError } from '../options.js'
import { errorText } from '../../error-text.js'
import { renderSslRequest } from '../render.js'

/** A CSR is public: readable by all, like a certificate. */
export const CSR_FILE_MODE = 0o644

/** What `ssl request` returns: the driver's result and the CSR files written (by host uuid). */
export interface SslRequestOutput extends SslRequestResult {
  readonly dir: string
  readonly files: Readonly<Record<string, string>>
}

export const sslCommand = new Command('ssl', {
  summary: 'SSL for ssl: remotes without moving private keys: request',
  description: `SSL material for ssl: OVN remotes. Private keys are made on each host and never leave it;
only certificate requests and certificates travel.`,
  verbs: {
    request: {
      summary: "make each host's private key (if it has none) and write its CSR to DIR/<host-uuid>.csr",
      synopsis: '--dir DIR [--renew] [options]',
      description: `Run the ovn-chassis plugin's ssl-request on every selected host: it makes the host's private
key if there is none (EC P-256, root-only, on the host; --renew makes a new one) and answers a
certificate signing request for CN=<host uuid>. Each is written as DIR/<host-uuid>.csr (0644).
Sign each with your CA into DIR/<host-uuid>.pem, then run
  xapi-ovn setup --ovn-remote ssl:... --ssl-cert-dir DIR --ssl-ca-cert CA.pem
With --dry-run nothing is made or written.`,
      options: ['dir', 'renew', 'dry-run', ...POOL_OPTIONS],
      required: ['dir'],
      exitStatus: '0 every host answered, 1 some host (or the pool) failed, 2 usage error',
      async run(cx) {
        const dir = requiredString(cx.values, 'dir')
        // Checked before connecting: a typo in --dir is a usage error, not a failure after the hosts made keys.
        try {
          await cx.io.readDir(dir)
        } catch (err) {
          throw new UsageError(`--dir ${dir}: ${errorText(err)}`)
        }
        const renew = flag(cx.values, 'renew')
        const dryRun = flag(cx.values, 'dry-run')
        const selection = selectionOption(cx.values)
        return onPool(
          cx,
          async (pool, onProgress): Promise<SslRequestOutput> => {
            const result = await sslRequest(pool, {
              ...selection,
              renew,
              dryRun,
              ...(onProgress !== undefined ? { onProgress } : {}),
            })
            const files: Record<string, string> = {}
            if (!dryRun) {
              for (const h of result.hosts) {
                if (!h.ok || h.value.csr === null) continue
                const path = join(dir, `${h.host.uuid}.csr`)
                await cx.io.writeFile(path, h.value.csr, CSR_FILE_MODE)
                files[h.host.uuid] = path
              }
            }
            return { ...result, dir, files }
          },
          renderSslRequest,
        )
      },
    },
  },
})
