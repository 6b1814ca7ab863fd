/**
 * What commands connect to, opened and closed around their work: the pool (XAPI) and the OVN
 * northbound database. Opening fails with a UsageError when the command line does not say where
 * (or with what password); any other error is the library's and goes, like every error, to the
 * printer. What was opened is closed whatever happens.
 */
import { connectNorthbound } from '../nb/index.js'
import type { OvsdbClient } from '../ovsdb/client.js'
import { XapiPool } from '../pool/connection.js'
import type { ProgressListener } from '../pool/results.js'
import { connectOptions, nbRemoteOption, nbSslOption } from './args.js'
import type { SslOptions } from '../ovsdb/remote.js'
import type { RunContext } from './command.js'
import { flag } from './options.js'
import { EXIT_FAILED, EXIT_OK } from './output.js'
import { renderProgress } from './render.js'

async function openPool(cx: RunContext): Promise<XapiPool> {
  const options = await connectOptions(cx.values, cx.io)
  cx.out.keepSecret(options.password)
  if (options.allowUnauthorized === true)
    cx.out.note('warning: TLS certificate verification is off (--allow-unauthorized)')
  return XapiPool.connect(options)
}

function progress(cx: RunContext): ProgressListener {
  const dryRun = flag(cx.values, 'dry-run')
  let done = 0
  return (e) => {
    if (e.type === 'host-finished' || e.type === 'host-failed') done += 1
    const line = renderProgress(e, done, e.type === 'network' ? 0 : e.total, dryRun)
    if (line !== null) cx.out.note(line)
  }
}

/**
 * A pool command: connect, run `work` (progress on stderr unless --quiet), print its result,
 * close. Exit 0 when the result is ok, else 1.
 */
export async function onPool<R extends { readonly ok: boolean }>(
  cx: RunContext,
  work: (pool: XapiPool, onProgress: ProgressListener | undefined) => Promise<R>,
  render: (result: R) => string,
): Promise<number> {
  const pool = await openPool(cx)
  try {
    const result = await work(pool, flag(cx.values, 'quiet') ? undefined : progress(cx))
    cx.out.result(result, () => render(result), result.ok)
    return result.ok ? EXIT_OK : EXIT_FAILED
  } finally {
    await pool.close()
  }
}

async function onNorthbound<T>(
  remote: string,
  ssl: SslOptions | undefined,
  work: (nb: OvsdbClient) => Promise<T>,
): Promise<T> {
  const nb = await connectNorthbound(remote, ssl === undefined ? {} : { ssl })
  try {
    return await work(nb)
  } finally {
    await nb.close().catch(() => undefined)
  }
}

/** A northbound command: --nb (or OVN_NB_DB), then `work` on the client. */
export async function withNorthbound(cx: RunContext, work: (nb: OvsdbClient) => Promise<number>): Promise<number> {
  const remote = nbRemoteOption(cx.values, cx.io)
  return onNorthbound(remote, await nbSslOption(cx.values, cx.io, remote), work)
}

/**
 * A command on both: the northbound database is checked first, XAPI connected first. `ssl`: the
 * credentials the command already read (show reads them once for --nb and --sb).
 */
export async function withNorthboundAndPool(
  cx: RunContext,
  work: (nb: OvsdbClient, pool: XapiPool) => Promise<number>,
  given?: { readonly ssl: SslOptions | undefined },
): Promise<number> {
  const remote = nbRemoteOption(cx.values, cx.io)
  const ssl = given !== undefined ? given.ssl : await nbSslOption(cx.values, cx.io, remote)
  const pool = await openPool(cx)
  try {
    return await onNorthbound(remote, ssl, (nb) => work(nb, pool))
  } finally {
    await pool.close()
  }
}
