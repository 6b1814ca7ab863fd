/**
 * OVSDB remotes as OVS writes them (ovsdb-server(1) "Active database connection methods"):
 * `unix:PATH`, `tcp:HOST:PORT`, `ssl:HOST:PORT`, IPv6 hosts in brackets (`tcp:[::1]:6641`),
 * several remotes comma-separated (`tcp:192.0.2.1:6641,tcp:192.0.2.2:6641`). The port may be
 * left out; it then defaults to 6640, like OVS.
 *
 * `openSocket()` connects. For `ssl:` the key, certificate and CA (PEM) come from the options;
 * the server's certificate must chain to that CA. Like OVS itself (which checks the peer's
 * certificate against the CA only) the host name is not compared with the certificate unless
 * `verifyHostname: true` — OVS PKI certificates name a role, not an address.
 */
import * as net from 'node:net'
import type tls from 'node:tls'
import { InvalidArgumentError, OvsdbUnavailableError } from '../errors.js'
import { errorText } from '../error-text.js'

export const DEFAULT_OVSDB_PORT = 6640

export type Remote =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp' | 'ssl'; readonly host: string; readonly port: number }

export interface SslOptions {
  /** Our private key (PEM). */
  readonly key: string | Buffer
  /** Our certificate (PEM). */
  readonly cert: string | Buffer
  /** CA certificate(s) (PEM) the server's certificate must chain to. */
  readonly ca: string | Buffer | readonly (string | Buffer)[]
  /** Also require the certificate to name the host we connect to (default false, like OVS). */
  readonly verifyHostname?: boolean
}

export interface OpenSocketOptions {
  readonly ssl?: SslOptions
  /** Give up connecting after this many ms (default 10000). */
  readonly connectTimeoutMs?: number
}

const HOST_RE = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/

/** Parse one remote. Throws InvalidArgumentError('remote', ...). */
export function parseRemote(text: string): Remote {
  const bad = (reason: string): never => {
    throw new InvalidArgumentError('remote', text, reason)
  }
  if (typeof text !== 'string') return bad('not a string')
  const s = text.trim()
  const colon = s.indexOf(':')
  if (colon < 0) return bad('expected unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT')
  const kind = s.slice(0, colon)
  const rest = s.slice(colon + 1)
  if (kind === 'unix') {
    if (rest === '') return bad('empty socket path')
    if (rest.includes('\0')) return bad('socket path contains NUL')
    return { kind: 'unix', path: rest }
  }
  if (kind !== 'tcp' && kind !== 'ssl') return bad(`unsupported method "${kind}" (expected unix, tcp or ssl)`)
  let host: string
  let portText: string | undefined
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']')
    if (close < 0) return bad('unterminated [IPv6 address]')
    host = rest.slice(1, close)
    if (net.isIPv6(host) === false) return bad('not an IPv6 address in brackets')
    const after = rest.slice(close + 1)
    if (after !== '' && !after.startsWith(':')) return bad('expected :PORT after ]')
    portText = after === '' ? undefined : after.slice(1)
  } else {
    const parts = rest.split(':')
    if (parts.length > 2) return bad('IPv6 addresses must be written in brackets: tcp:[::1]:6641')
    host = parts[0] ?? ''
    portText = parts[1]
    if (!net.isIPv4(host) && !HOST_RE.test(host)) return bad('not an IP address or host name')
  }
  let port = DEFAULT_OVSDB_PORT
  if (portText !== undefined) {
    if (!/^[0-9]{1,5}$/.test(portText)) return bad('port must be a number')
    port = Number(portText)
    if (port < 1 || port > 65535) return bad('port must be 1-65535')
  }
  return { kind, host, port }
}

/** Parse a remote list: a string with comma-separated remotes, or an array of them. */
export function parseRemotes(input: string | readonly string[]): Remote[] {
  const items = (typeof input === 'string' ? [input] : [...input]).flatMap((s) =>
    typeof s === 'string' ? s.split(',') : [s],
  )
  const trimmed = items.map((s) => (typeof s === 'string' ? s.trim() : s)).filter((s) => s !== '')
  if (trimmed.length === 0) throw new InvalidArgumentError('remote', String(input), 'no remote given')
  return trimmed.map(parseRemote)
}

/** The remote in OVS syntax (IPv6 in brackets). */
export function formatRemote(remote: Remote): string {
  if (remote.kind === 'unix') return `unix:${remote.path}`
  const host = net.isIPv6(remote.host) ? `[${remote.host}]` : remote.host
  return `${remote.kind}:${host}:${remote.port}`
}

/**
 * Connect to a remote. Resolves once connected (and, for ssl, once the handshake verified the server).
 * node:tls is loaded only for ssl: remotes: loading it costs a plugin call several milliseconds
 * of start-up (it pulls in crypto), and the host plugin talks to a unix socket.
 */
export async function openSocket(remote: Remote, options: OpenSocketOptions = {}): Promise<net.Socket> {
  const tlsModule: typeof tls | undefined = remote.kind === 'ssl' ? (await import('node:tls')).default : undefined
  const name = formatRemote(remote)
  const timeoutMs = options.connectTimeoutMs ?? 10_000
  return new Promise<net.Socket>((resolve, reject) => {
    let socket: net.Socket
    const readyEvent = remote.kind === 'ssl' ? 'secureConnect' : 'connect'
    try {
      if (remote.kind === 'unix') {
        socket = net.createConnection({ path: remote.path })
      } else if (remote.kind === 'tcp') {
        socket = net.createConnection({ host: remote.host, port: remote.port })
      } else {
        const ssl = options.ssl
        if (!ssl) throw new InvalidArgumentError('remote', name, 'ssl: remotes need the ssl option (key, cert, ca)')
        socket = (tlsModule as typeof tls).connect({
          host: remote.host,
          port: remote.port,
          key: ssl.key,
          cert: ssl.cert,
          ca:
            typeof ssl.ca === 'string' || Buffer.isBuffer(ssl.ca)
              ? ssl.ca
              : [...(ssl.ca as readonly (string | Buffer)[])],
          rejectUnauthorized: true,
          ...(net.isIP(remote.host) === 0 ? { servername: remote.host } : {}),
          ...(ssl.verifyHostname ? {} : { checkServerIdentity: () => undefined }),
        })
      }
    } catch (err) {
      reject(
        err instanceof InvalidArgumentError ? err : new OvsdbUnavailableError(name, errorText(err), { cause: err }),
      )
      return
    }
    const timer = setTimeout(() => {
      cleanup()
      socket.destroy()
      reject(new OvsdbUnavailableError(name, `connect timed out after ${timeoutMs} ms`))
    }, timeoutMs)
    const onReady = (): void => {
      cleanup()
      resolve(socket)
    }
    const onError = (err: Error): void => {
      cleanup()
      socket.destroy()
      reject(new OvsdbUnavailableError(name, err.message, { cause: err }))
    }
    const onClose = (): void => {
      cleanup()
      reject(new OvsdbUnavailableError(name, 'connection closed while connecting'))
    }
    function cleanup(): void {
      clearTimeout(timer)
      socket.off(readyEvent, onReady)
      socket.off('error', onError)
      socket.off('close', onClose)
    }
    socket.once(readyEvent, onReady)
    socket.once('error', onError)
    socket.once('close', onClose)
  })
}
