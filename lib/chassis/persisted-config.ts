/**
 * Pure: the chassis configuration `configure` persists so the host agent can re-apply it.
 *
 * Why: the OVS database of an XCP-ng 8.3 host is on tmpfs (openvswitch built with
 * --with-dbdir=/run/openvswitch, docs/platform.md "conf.db lives on tmpfs"), so after every
 * reboot every key configure wrote is gone. What is persisted is configure's own arguments,
 * without `dry-run` and without SSL material (the PEM files already live on persistent storage
 * under the OVN etc directory, and a private key must never be copied around): re-applying them
 * through the same parser and planner gives exactly what configure gave.
 *
 * The file (`<state dir>/chassis.json`, root-only) is
 *   {"format": "xapi-ovn-chassis/1", "args": {"ovn-remote": "...", ...}}
 */
import { XapiOvnError } from '../errors.js'
import { PersistedConfigError } from './errors.js'
import { isRecord } from '../shape.js'
import { type ConfigureRequest, parseConfigureArgs, SSL_ARGS } from './configure-args.js'

export const PERSISTED_FORMAT = 'xapi-ovn-chassis/1'
export const PERSISTED_FILE = 'chassis.json'
/** Largest file we read: a configure call's arguments are far smaller. */
export const MAX_PERSISTED_BYTES = 64 * 1024

const NOT_PERSISTED: ReadonlySet<string> = new Set(['dry-run', ...SSL_ARGS])

export interface PersistedConfig {
  readonly args: Readonly<Record<string, string>>
  /** The args parsed and validated exactly as configure does. */
  readonly request: ConfigureRequest
}

/** configure's arguments as they are persisted (no dry-run, no SSL material). */
export function persistableArgs(args: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = {}
  for (const key of Object.keys(args).sort()) {
    const value = args[key]
    if (!NOT_PERSISTED.has(key) && value !== undefined) kept[key] = value
  }
  return kept
}

export function serializePersisted(args: Readonly<Record<string, string>>): string {
  return `${JSON.stringify({ format: PERSISTED_FORMAT, args: persistableArgs(args) }, null, 2)}\n`
}

/**
 * Parse and validate the file's text. Anything wrong (not JSON, another format, a non-string
 * argument, an argument configure would refuse) is OVN_PERSISTED_CONFIG_INVALID with the
 * reason: the agent then applies nothing.
 */
export function parsePersisted(path: string, text: string): PersistedConfig {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new PersistedConfigError(path, `not JSON (${err instanceof SyntaxError ? err.message : 'unreadable'})`)
  }
  if (!isRecord(parsed) || parsed.format !== PERSISTED_FORMAT) {
    throw new PersistedConfigError(path, `not of format ${PERSISTED_FORMAT}`)
  }
  const raw = parsed.args
  if (!isRecord(raw)) throw new PersistedConfigError(path, 'no args object')
  const args: Record<string, string> = {}
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      throw new PersistedConfigError(path, `argument ${JSON.stringify(key)} is not a string`)
    }
    if (NOT_PERSISTED.has(key)) {
      throw new PersistedConfigError(path, `must not hold ${JSON.stringify(key)}`)
    }
    args[key] = value
  }
  try {
    return { args, request: parseConfigureArgs(args) }
  } catch (err) {
    if (err instanceof XapiOvnError) throw new PersistedConfigError(path, `${err.code}: ${err.message}`)
    throw err
  }
}
