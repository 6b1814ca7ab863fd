/**
 * Turn the string arguments of `configure` (plugin args, or what the pool driver is about to
 * send) into a typed request, or throw a coded error naming the first bad argument. Pure.
 */
import { InvalidArgumentError, MissingArgumentError, UnknownArgumentError } from '../errors.js'
import { SslKeyRefusedError } from './errors.js'
import {
  CHASSIS_KEYS,
  DEFAULT_INTEGRATION_MODE,
  INTEGRATION_MODE_ARG,
  INTEGRATION_MODES,
  type IntegrationMode,
  isIntegrationMode,
  KEY_BRIDGE,
  KEY_BRIDGE_MAPPINGS,
  KEY_BY_NAME,
} from './keys.js'
import { bridgeMappings, parseMappings, printable, uuid } from './validators.js'

/**
 * The SSL arguments: the host's certificate and the CA, both public. The private key is made on
 * the host by fn=ssl-request and never passed (issue 9).
 */
export const SSL_ARGS = ['ovn-ssl-cert', 'ovn-ssl-ca-cert'] as const
export type SslArgName = (typeof SSL_ARGS)[number]
/** Refused with OVN_SSL_KEY_REFUSED: a private key passed here would sit in argv and logs. */
export const REFUSED_SSL_ARGS: readonly string[] = ['ovn-ssl-key']

export interface ConfigureRequest {
  /** ovn-controller keys to set, validated, with defaults filled in. */
  readonly keys: ReadonlyMap<string, string>
  /** When given, the integration bridge must list it in external_ids:xs-network-uuids. */
  readonly networkUuid: string | null
  /** Replace a system-id that differs from the host UUID. */
  readonly forceSystemId: boolean
  /** Compute and return the plan, write nothing. */
  readonly dryRun: boolean
  /** PEM text for ssl: remotes (certificate and CA), both or none. */
  readonly ssl: Readonly<Record<SslArgName, string>> | null
  /** How VIFs reach the integration bridge (keys.ts INTEGRATION_MODES); absent: the default. */
  readonly integrationMode?: IntegrationMode
}

const CONTROL_ARGS = new Set(['dry-run', 'network-uuid', 'force-system-id', INTEGRATION_MODE_ARG, ...SSL_ARGS])
const MAX_VALUE = 4096
const MAX_PEM = 64 * 1024

export function parseFlag(key: string, value: string | undefined): boolean {
  if (value === undefined) return false
  if (value === 'true') return true
  if (value === 'false') return false
  throw new InvalidArgumentError(key, value, 'expected true or false')
}

export function parseConfigureArgs(args: Readonly<Record<string, string>>): ConfigureRequest {
  // First of all: a private key is refused whatever else is wrong, and its value is never echoed.
  for (const key of REFUSED_SSL_ARGS) if (Object.hasOwn(args, key)) throw new SslKeyRefusedError(key)
  for (const key of Object.keys(args).sort()) {
    if (!KEY_BY_NAME.has(key) && !CONTROL_ARGS.has(key)) throw new UnknownArgumentError(key)
  }
  const keys = new Map<string, string>()
  for (const spec of CHASSIS_KEYS) {
    const value = args[spec.name]
    if (value === undefined) {
      if (spec.required) throw new MissingArgumentError(spec.name)
      if (spec.default !== undefined) keys.set(spec.name, spec.default)
      continue
    }
    if (value.length > MAX_VALUE)
      throw new InvalidArgumentError(spec.name, value, `longer than ${MAX_VALUE} characters`)
    const reason = printable(value) ?? spec.validate(value)
    if (reason !== null) throw new InvalidArgumentError(spec.name, value, reason)
    keys.set(spec.name, value)
  }
  const bridge = keys.get(KEY_BRIDGE) ?? ''
  const mappings = keys.get(KEY_BRIDGE_MAPPINGS)
  if (mappings !== undefined && bridgeMappings(mappings) === null) {
    for (const m of parseMappings(mappings)) {
      if (m.bridge === bridge) {
        throw new InvalidArgumentError(
          KEY_BRIDGE_MAPPINGS,
          mappings,
          `maps ${m.network} onto the integration bridge ${bridge}; map provider networks onto another bridge`,
        )
      }
    }
  }
  const networkUuid = args['network-uuid']
  if (networkUuid !== undefined) {
    const reason = uuid(networkUuid)
    if (reason !== null) throw new InvalidArgumentError('network-uuid', networkUuid, reason)
  }
  const integrationMode = parseIntegrationMode(args[INTEGRATION_MODE_ARG], networkUuid)
  return {
    ...(integrationMode === DEFAULT_INTEGRATION_MODE ? {} : { integrationMode }),
    keys,
    networkUuid: networkUuid ?? null,
    forceSystemId: parseFlag('force-system-id', args['force-system-id']),
    dryRun: parseFlag('dry-run', args['dry-run']),
    ssl: parseSslArgs(args),
  }
}

/**
 * The integration mode; the experimental ones need network-uuid: the host agent gives the
 * integration bridge it makes that network's ids, so configure, ovn-wait-bridge and verify judge
 * it as they judge XAPI's bridge.
 */
function parseIntegrationMode(value: string | undefined, networkUuid: string | undefined): IntegrationMode {
  if (value === undefined) return DEFAULT_INTEGRATION_MODE
  if (!isIntegrationMode(value))
    throw new InvalidArgumentError(INTEGRATION_MODE_ARG, value, `expected one of ${INTEGRATION_MODES.join(', ')}`)
  if (value !== DEFAULT_INTEGRATION_MODE && networkUuid === undefined)
    throw new InvalidArgumentError(INTEGRATION_MODE_ARG, value, 'needs network-uuid (the XAPI network of the VIFs)')
  return value
}

function parseSslArgs(args: Readonly<Record<string, string>>): Record<SslArgName, string> | null {
  const given = SSL_ARGS.filter((k) => args[k] !== undefined)
  if (given.length === 0) return null
  const missing = SSL_ARGS.find((k) => args[k] === undefined)
  if (missing !== undefined)
    throw new InvalidArgumentError(missing, '', `SSL material comes as ${SSL_ARGS.join(', ')} together`)
  for (const k of SSL_ARGS) {
    const value = args[k] ?? ''
    if (value.length > MAX_PEM) throw new InvalidArgumentError(k, '<redacted>', `longer than ${MAX_PEM} characters`)
  }
  return {
    'ovn-ssl-cert': args['ovn-ssl-cert'] ?? '',
    'ovn-ssl-ca-cert': args['ovn-ssl-ca-cert'] ?? '',
  }
}
