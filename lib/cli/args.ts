/**
 * Command-line parsing for xapi-ovn: node:util parseArgs in strict mode (an unknown flag or a
 * stray argument is a usage error), plus one small converter per kind of value. Every mistake is
 * a UsageError (exit status 2) whose message never contains the password.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { ovsdbRemoteList } from '../chassis/validators.js'
import type { ConnectOptions } from '../pool/connection.js'
import type { AddressFamily, TransportChoice } from '../pool/transport-pif.js'
import { passwordInArgv, redact } from './secrets.js'

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>
export type OptionValues = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>

/** A mistake in the command line: print the message and a pointer to --help, exit 2. */
export class UsageError extends Error {
  /** A usage text shown in place of the pointer (an unknown command shows the command list). */
  readonly usage: string | undefined

  constructor(message: string, usage?: string) {
    super(message)
    this.name = 'UsageError'
    this.usage = usage
  }
}

/** Where the CLI reads its environment and password from (injected so it can be tested). */
export interface CliEnv {
  readonly env: Readonly<Record<string, string | undefined>>
  /** stdin is a terminal: a password may be prompted for. */
  readonly interactive: boolean
  /** Ask for a password on the terminal without echoing it. */
  promptPassword(prompt: string): Promise<string>
  readFile(path: string): Promise<string>
}

/** Options every pool command takes. */
export const CONNECTION_OPTIONS: OptionSpecs = {
  url: { type: 'string' },
  user: { type: 'string' },
  password: { type: 'string' },
  'allow-unauthorized': { type: 'boolean' },
  protocol: { type: 'string' },
}

export const OUTPUT_OPTIONS: OptionSpecs = {
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
}

export const SELECTION_OPTIONS: OptionSpecs = {
  network: { type: 'string' },
  host: { type: 'string', multiple: true },
  concurrency: { type: 'string' },
}

export const CONNECTION_USAGE = `Connection (every pool command):
  --url URL               pool master, https://HOST[:PORT] (env XAPI_URL)
  --user USER             default root (env XAPI_USER)
  --password PASSWORD     (env XAPI_PASSWORD; prompted for on a terminal when absent)
  --allow-unauthorized    accept a TLS certificate that does not verify (self-signed)
  --protocol P            auto (default), json-rpc or xml-rpc
Output and selection:
  --json                  print the result as JSON on stdout
  -q, --quiet             no progress on stderr
  --network NET           the OVN network, uuid or name (default ovn-int)
  --host HOST             only this host, uuid or name (repeatable)
  --concurrency N         hosts worked on at once, 1-64 (default 8)
  -h, --help              this help`

/** parseArgs in strict mode; its errors become UsageErrors without the password in them. */
export function parseCommandArgs(argv: readonly string[], options: OptionSpecs): OptionValues {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as OptionValues
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    throw new UsageError(redact(message, [passwordInArgv(argv)]))
  }
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name]
  return typeof v === 'string' ? v : undefined
}

export function stringList(values: OptionValues, name: string): string[] {
  const v = values[name]
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []
}

export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true
}

/** A whole number within [min, max], or undefined when absent. */
export function intOption(values: OptionValues, name: string, min: number, max: number): number | undefined {
  const v = stringOption(values, name)
  if (v === undefined) return undefined
  if (!/^[0-9]{1,7}$/.test(v) || Number(v) < min || Number(v) > max)
    throw new UsageError(`--${name} expects a whole number from ${min} to ${max}, not ${JSON.stringify(v)}`)
  return Number(v)
}

export function requiredString(values: OptionValues, name: string): string {
  const v = stringOption(values, name)
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`)
  return v
}

/** --ovn-remote, checked here already so a typo fails before any connection is made. */
export function ovnRemoteOption(values: OptionValues): string {
  const remote = requiredString(values, 'ovn-remote')
  const reason = ovsdbRemoteList(remote)
  if (reason !== null) throw new UsageError(`--ovn-remote: ${reason}`)
  return remote
}

/** --nb, or OVN_NB_DB as ovn-nbctl reads it. */
export function nbRemoteOption(values: OptionValues, cli: CliEnv): string {
  const remote = stringOption(values, 'nb') ?? cli.env.OVN_NB_DB
  if (remote === undefined || remote === '')
    throw new UsageError('no northbound database: give --nb REMOTE or set OVN_NB_DB')
  const reason = ovsdbRemoteList(remote)
  if (reason !== null) throw new UsageError(`--nb: ${reason}`)
  return remote
}

/** A pool is named (--url or XAPI_URL): the commands for which XAPI is optional then use it. */
export function poolGiven(values: OptionValues, cli: CliEnv): boolean {
  return (stringOption(values, 'url') ?? cli.env.XAPI_URL ?? '') !== ''
}

/** --transport-network | --transport-device [--transport-vlan] | --transport-vlan */
export function transportOption(values: OptionValues): TransportChoice | undefined {
  const network = stringOption(values, 'transport-network')
  const device = stringOption(values, 'transport-device')
  const vlan = intOption(values, 'transport-vlan', 0, 4094)
  if (network !== undefined && (device !== undefined || vlan !== undefined))
    throw new UsageError('--transport-network cannot be combined with --transport-device or --transport-vlan')
  if (network !== undefined) return { by: 'network', network }
  if (device !== undefined) return vlan === undefined ? { by: 'device', device } : { by: 'device', device, vlan }
  if (vlan !== undefined) return { by: 'vlan', vlan }
  return undefined
}

export function addressFamilyOption(values: OptionValues): AddressFamily | undefined {
  const v = stringOption(values, 'ip-family')
  if (v === undefined) return undefined
  if (v === 'auto' || v === 'IPv4' || v === 'IPv6') return v
  if (v === '4' || v === 'ipv4') return 'IPv4'
  if (v === '6' || v === 'ipv6') return 'IPv6'
  throw new UsageError(`--ip-family expects auto, 4 or 6, not ${JSON.stringify(v)}`)
}

/** --set KEY=VALUE (repeatable): more ovn-controller keys. */
export function chassisKeysOption(values: OptionValues): Record<string, string> | undefined {
  const items = stringList(values, 'set')
  if (items.length === 0) return undefined
  const keys: Record<string, string> = {}
  for (const item of items) {
    const i = item.indexOf('=')
    if (i <= 0) throw new UsageError(`--set expects KEY=VALUE, not ${JSON.stringify(item)}`)
    const key = item.slice(0, i)
    if (key in keys) throw new UsageError(`--set ${key} is given twice`)
    keys[key] = item.slice(i + 1)
  }
  return keys
}

export function protocolOption(values: OptionValues): ConnectOptions['transport'] {
  const v = stringOption(values, 'protocol')
  if (v === undefined) return undefined
  if (v === 'auto' || v === 'json-rpc' || v === 'xml-rpc') return v
  throw new UsageError(`--protocol expects auto, json-rpc or xml-rpc, not ${JSON.stringify(v)}`)
}

/**
 * How to reach the pool: flags first, then XAPI_URL / XAPI_USER / XAPI_PASSWORD, then (for the
 * password, on a terminal only) a prompt that does not echo.
 */
export async function connectOptions(values: OptionValues, cli: CliEnv): Promise<ConnectOptions> {
  const url = stringOption(values, 'url') ?? cli.env.XAPI_URL
  if (url === undefined || url === '') throw new UsageError('no pool master: give --url or set XAPI_URL')
  const user = stringOption(values, 'user') ?? cli.env.XAPI_USER ?? 'root'
  let password = stringOption(values, 'password') ?? cli.env.XAPI_PASSWORD
  if (password === undefined) {
    if (!cli.interactive)
      throw new UsageError('no password: give --password, set XAPI_PASSWORD, or run on a terminal to be asked')
    password = await cli.promptPassword(`Password for ${user} at ${url}: `)
  }
  return {
    url,
    user,
    password,
    allowUnauthorized: flag(values, 'allow-unauthorized'),
    transport: protocolOption(values),
  }
}
