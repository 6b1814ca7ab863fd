/**
 * The pool agent's observability endpoint (`xapi-ovn agent --metrics HOST:PORT`), on node:http:
 *
 *   GET|HEAD /metrics  200, the registry in Prometheus' text format 0.0.4 (lib/agent/metrics.ts)
 *   GET|HEAD /healthz  the caller's status as JSON: 200 when `ok`, else 503 (a status function
 *                      that throws is 503 too, with its error)
 *   other methods      405 with Allow; any other path 404
 *
 * No request body is read and nothing is written anywhere: the endpoint only reports. `close()`
 * leaves no socket behind, so the agent's process can exit once it stops: idle keep-alive
 * connections and requests still in progress (a scraper that sent half its headers) are ended
 * instead of waiting for Node's keep-alive and request timeouts (test/integration/
 * agent-metrics-http.test.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { errnoOf, errorText } from '../error-text.js'
import { InvalidArgumentError } from '../errors.js'
import { formatListenAddress, HEALTH_PATH, METRICS_OPTION, METRICS_PATH, type ListenAddress } from './listen-address.js'

export { HEALTH_PATH, METRICS_PATH }
import { METRICS_CONTENT_TYPE } from './metrics.js'

const ALLOWED = 'GET, HEAD'

/** What `/healthz` reports: `ok` decides the status code; the rest is the caller's. */
export interface HealthStatus {
  readonly ok: boolean
  readonly [key: string]: unknown
}

export interface MetricsServerOptions {
  readonly address: ListenAddress
  /** The text of `/metrics` (`Registry.render`), made at each scrape. */
  readonly metrics: () => string
  /** The status of `/healthz`, asked at each request. */
  readonly health: () => HealthStatus | Promise<HealthStatus>
}

export interface MetricsServer {
  /** Where it listens (the real port when 0 was asked). */
  readonly address: ListenAddress
  /** `http://HOST:PORT` */
  readonly url: string
  /** Stop listening and end every connection. Idempotent; never rejects. */
  close(): Promise<void>
}

function send(res: ServerResponse, head: boolean, status: number, type: string, body: string, extra = {}): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...extra,
  })
  res.end(head ? undefined : body)
}

async function healthBody(health: MetricsServerOptions['health']): Promise<{ status: number; body: string }> {
  let report: HealthStatus
  try {
    report = await health()
  } catch (err) {
    return { status: 503, body: JSON.stringify({ ok: false, error: errorText(err) }) }
  }
  let body: string
  try {
    body = JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
  } catch (err) {
    return { status: 503, body: JSON.stringify({ ok: false, error: `status not serialisable: ${errorText(err)}` }) }
  }
  return { status: report.ok === true ? 200 : 503, body }
}

async function handle(options: MetricsServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // A body, if any, is not ours to read; drained so the connection stays usable.
  req.resume()
  const path = (req.url ?? '/').split('?')[0]
  const head = req.method === 'HEAD'
  const known = path === METRICS_PATH || path === HEALTH_PATH
  if (!known) {
    send(res, head, 404, 'text/plain; charset=utf-8', 'not found\n')
    return
  }
  if (req.method !== 'GET' && !head) {
    send(res, false, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: ALLOWED })
    return
  }
  if (path === METRICS_PATH) {
    send(res, head, 200, METRICS_CONTENT_TYPE, options.metrics())
    return
  }
  const { status, body } = await healthBody(options.health)
  send(res, head, status, 'application/json', `${body}\n`)
}

/** Listen on `options.address`; a failure to listen (in use, not local) is OVN_INVALID_ARGUMENT. */
export async function serveMetrics(options: MetricsServerOptions): Promise<MetricsServer> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    handle(options, req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, false, 500, 'text/plain; charset=utf-8', `${errorText(err)}\n`)
      else res.destroy()
    })
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  const shown = formatListenAddress(options.address)
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(new InvalidArgumentError(METRICS_OPTION, shown, `cannot listen there: ${errnoOf(err) ?? errorText(err)}`))
    }
    server.once('error', onError)
    server.listen({ host: options.address.host, port: options.address.port, exclusive: true }, () => {
      server.off('error', onError)
      resolve()
    })
  })
  const bound = server.address()
  const port = bound !== null && typeof bound === 'object' ? bound.port : options.address.port
  const address: ListenAddress = { host: options.address.host, port }
  let closing: Promise<void> | undefined
  return {
    address,
    url: `http://${formatListenAddress(address)}`,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Node >= 18.2 ends every connection itself; before that, the ones we counted.
        if (typeof server.closeAllConnections === 'function') server.closeAllConnections()
        for (const s of sockets) s.destroy()
      })
      return closing
    },
  }
}
