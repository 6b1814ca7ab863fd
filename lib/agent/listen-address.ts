/**
 * The address `xapi-ovn agent --metrics HOST:PORT` listens on: an IP literal and a port, checked
 * before anything listens. `127.0.0.1:9477`, `[::1]:9477`, `0.0.0.0:9477`, `[::]:9477`. Host
 * names are refused (what a name resolves to, and so who can scrape, would change under us), and
 * so are IPv6 zone ids and port 0 (a scrape target needs a port known in advance). A bad value is
 * OVN_INVALID_ARGUMENT naming the option, like every caller mistake (lib/errors.ts). Pure.
 */
import { isIPv4, isIPv6 } from 'node:net'
import { InvalidArgumentError } from '../errors.js'

export interface ListenAddress {
  /** The IP literal, without brackets: what node:http's listen() takes. */
  readonly host: string
  readonly port: number
}

/** The option the agent reads it from: the key of its argument errors. */
export const METRICS_OPTION = 'metrics'
/** The endpoint's paths (metrics-http-io.ts serves them; `xapi-ovn agent status` reads /healthz). */
export const METRICS_PATH = '/metrics'
export const HEALTH_PATH = '/healthz'

const EXPECTED = 'expected IP:PORT, e.g. 127.0.0.1:9477 or [::1]:9477'

/** `HOST:PORT` -> the address, or InvalidArgumentError(key, value, reason). */
export function parseListenAddress(value: string, key = METRICS_OPTION): ListenAddress {
  if (value === '') throw new InvalidArgumentError(key, value, `empty: ${EXPECTED}`)
  let host: string
  let portText: string
  if (value.startsWith('[')) {
    const close = value.indexOf(']')
    if (close === -1 || value[close + 1] !== ':')
      throw new InvalidArgumentError(key, value, `an IPv6 address goes in brackets before :PORT (${EXPECTED})`)
    host = value.slice(1, close)
    portText = value.slice(close + 2)
    if (host.includes('%')) throw new InvalidArgumentError(key, value, 'IPv6 zone ids are not supported')
    if (!isIPv6(host)) throw new InvalidArgumentError(key, value, `${JSON.stringify(host)} is not an IPv6 address`)
  } else {
    const colon = value.lastIndexOf(':')
    if (colon === -1) throw new InvalidArgumentError(key, value, `no port (${EXPECTED})`)
    host = value.slice(0, colon)
    portText = value.slice(colon + 1)
    if (host.includes(':'))
      throw new InvalidArgumentError(key, value, `an IPv6 address goes in brackets: [${host}]:${portText}`)
    if (!isIPv4(host))
      throw new InvalidArgumentError(
        key,
        value,
        `${JSON.stringify(host)} is not an IPv4 address (host names are not accepted)`,
      )
  }
  if (!/^[0-9]{1,5}$/.test(portText))
    throw new InvalidArgumentError(key, value, `the port must be a number from 1 to 65535 (${EXPECTED})`)
  const port = Number(portText)
  if (port < 1 || port > 65535) throw new InvalidArgumentError(key, value, 'the port must be from 1 to 65535')
  return { host, port }
}

/** The address as a URL authority: `127.0.0.1:9477`, `[::1]:9477`. */
export function formatListenAddress(address: ListenAddress): string {
  return isIPv6(address.host) ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`
}
