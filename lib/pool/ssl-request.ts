/**
 * ssl-request: the first half of SSL for `ssl:` remotes, where no private key ever travels
 * (issue 9). Every selected host's plugin (`fn=ssl-request`) makes its own key if it has none (or
 * a new one with `renew`) and answers a CSR (RFC 2986) for CN=<host uuid>; the operator's CA signs
 * them, and setup takes the certificates (`ssl.certificates`, by host uuid) and the CA. Runs on a
 * bounded number of hosts at a time (lib/pool/run.ts); one host's failure is that host's outcome.
 * The driver never writes files: the CLI (`xapi-ovn ssl request --dir`) does.
 */
import { isUuid } from '../chassis/validators.js'
import { PluginReplyError } from './errors.js'
import type { XapiPool } from './connection.js'
import { hostInfo, selectHosts } from './plan-setup.js'
import type { HostOutcome, PoolInfo } from './results.js'
import { Run, checkConcurrency, poolInfo, type RunOptions } from './run.js'

export const SSL_REQUEST_FN = 'ssl-request'

export interface SslRequestOptions extends Omit<RunOptions, 'network'> {
  /** Make a new key on every selected host (the certificates of the old keys no longer fit). */
  readonly renew?: boolean
  /** Make nothing: a host with a key answers its CSR, a host without says it would make one. */
  readonly dryRun?: boolean
}

/** One host's answer to fn=ssl-request (the plugin's reply, checked). */
export interface SslRequestHost {
  /** PEM CERTIFICATE REQUEST; null on a dry run that would make a new key. */
  readonly csr: string | null
  readonly keyCreated: boolean
  /** Where the key is on the host (it never leaves it). */
  readonly keyPath: string
  /** `/CN=<host uuid>`. */
  readonly subject: string
  readonly dryRun: boolean
}

export interface SslRequestResult {
  readonly operation: 'ssl-request'
  readonly pool: PoolInfo
  readonly dryRun: boolean
  readonly hosts: readonly HostOutcome<SslRequestHost>[]
  readonly ok: boolean
}

const CSR = /^-----BEGIN CERTIFICATE REQUEST-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE REQUEST-----\n$/

function isRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * Check the plugin's reply, field by field. A reply that carries a private key is refused
 * outright (it is never passed on, not even in the error).
 */
export function parseSslRequestReply(host: string, hostUuid: string, text: unknown): SslRequestHost {
  const fail = (reason: string): never => {
    throw new PluginReplyError(host, SSL_REQUEST_FN, reason)
  }
  if (typeof text !== 'string') return fail('the reply is not a string')
  if (text.includes('PRIVATE KEY')) return fail('the reply carries a private key: it is not passed on')
  let o: unknown
  try {
    o = JSON.parse(text)
  } catch {
    return fail(`the reply is not JSON: ${text.slice(0, 120)}`)
  }
  if (!isRecord(o)) return fail('the reply is not an object')
  const { csr, keyCreated, keyPath, subject, dryRun } = o
  if (csr !== null && (typeof csr !== 'string' || !CSR.test(csr))) return fail('reply.csr is not one PEM CSR or null')
  if (typeof keyCreated !== 'boolean') return fail('reply.keyCreated is not a boolean')
  if (typeof keyPath !== 'string' || !keyPath.startsWith('/')) return fail('reply.keyPath is not an absolute path')
  if (typeof subject !== 'string') return fail('reply.subject is not a string')
  if (subject !== `/CN=${hostUuid}`) return fail(`reply.subject ${subject} is not /CN=${hostUuid}`)
  if (typeof dryRun !== 'boolean') return fail('reply.dryRun is not a boolean')
  if (csr === null && !dryRun) return fail('reply.csr is null outside a dry run')
  return { csr, keyCreated, keyPath, subject, dryRun }
}

/**
 * Ask every selected host for a CSR of its own key (made there when absent, or anew with
 * `renew`). Nothing but the CSRs comes back.
 */
export async function sslRequest(pool: XapiPool, options: SslRequestOptions = {}): Promise<SslRequestResult> {
  const concurrency = checkConcurrency(options.concurrency)
  const state = await pool.readState()
  const info = poolInfo(pool, state)
  const dryRun = options.dryRun === true
  const args: Record<string, string> = {}
  if (options.renew === true) args.renew = 'true'
  if (dryRun) args['dry-run'] = 'true'
  const run = new Run(pool, info, 'ssl-request', options.onProgress)
  const items = selectHosts(state, options.hosts).map((h) => ({ host: hostInfo(state, h) }))
  const hosts = await run.eachHost(
    items,
    concurrency,
    async ({ host }) => {
      if (!isUuid(host.uuid)) throw new PluginReplyError(host.name, SSL_REQUEST_FN, `host uuid ${host.uuid}`)
      return parseSslRequestReply(host.name, host.uuid, await run.plugin(host, SSL_REQUEST_FN, args))
    },
    (v) => ({ changed: v.keyCreated, passed: null }),
  )
  return { operation: 'ssl-request', pool: info, dryRun, hosts, ok: hosts.every((h) => h.ok) }
}
