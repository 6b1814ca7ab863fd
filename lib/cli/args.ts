/**
 * From parsed options to the library's typed options: one converter per kind of value, each
 * checking what can be checked before anything connects (a typo in --ovn-remote fails at once).
 * Every mistake is a UsageError (exit status 2).
 */
import { join } from 'node:path'
import { errorText } from '../error-text.js'
import type { VmAttachSpec } from '../attach/index.js'
import { ovsdbRemoteList } from '../chassis/validators.js'
import {
  DEFAULT_INTEGRATION_MODE,
  INTEGRATION_MODES,
  type IntegrationMode,
  isIntegrationMode,
} from '../chassis/keys.js'
import { parseIp } from '../nb/validate-inputs.js'
import type { DhcpSpec } from '../nb/plan-dhcp.js'
import { IPV6_MODES, type Ipv6Spec } from '../nb/plan-ipv6.js'
import type { ConnectOptions } from '../pool/connection.js'
import type { SslOptions } from '../ovsdb/remote.js'
import { MAX_CONCURRENCY } from '../pool/driver.js'
import type { AddressFamily, TransportChoice } from '../pool/transport-pif.js'
import {
  flag,
  intOption,
  OPTIONS,
  requiredString,
  stringList,
  stringOption,
  UsageError,
  type OptionValues,
} from './options.js'

/** Where the CLI reads its environment, password and files from (injected so it can be tested). */
export interface CliEnv {
  readonly env: Readonly<Record<string, string | undefined>>
  /** stdin is a terminal: a password may be prompted for. */
  readonly interactive: boolean
  /** Ask for a password on the terminal without echoing it. */
  promptPassword(prompt: string): Promise<string>
  readFile(path: string): Promise<string>
  /** The names in a directory. */
  readDir(path: string): Promise<string[]>
  /** Write a whole file with `mode` (replacing it). */
  writeFile(path: string, content: string, mode: number): Promise<void>
  /** Resolves with the signal's name when the process is asked to stop (SIGTERM, SIGINT): long-running commands. */
  untilStopped?(): Promise<string>
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

/**
 * -p/-c/-C (or OVN_NB_PRIVATE_KEY, OVN_NB_CERTIFICATE, OVN_NB_CA_CERT): the key, certificate and
 * CA an ssl: northbound needs, read from their files. All three or none; an ssl: remote without
 * them, or them without an ssl: remote, is a usage error (nothing connects). `show` passes its
 * --sb remotes too: one client credential of the central's PKI serves both databases, as one
 * `ovn-nbctl`/`ovn-sbctl -p -c -C` pair does.
 */
export function nbSslOption(
  values: OptionValues,
  cli: CliEnv,
  remote: string,
  ...more: readonly string[]
): Promise<SslOptions | undefined> {
  return sslCredentialOption(values, cli, 'northbound', [remote, ...more])
}

/**
 * The -p/-c/-C credential (with the same environment variables as nbSslOption) for the remotes
 * of `database`; the same rules: all three or none, and only for ssl: remotes. `remotes` null:
 * not known yet (status without --sb reads the chassis' own ovn-remote), so a credential is
 * taken as given and not required.
 */
export async function sslCredentialOption(
  values: OptionValues,
  cli: CliEnv,
  database: 'northbound' | 'southbound',
  remotes: readonly string[] | null,
): Promise<SslOptions | undefined> {
  const pick = (name: 'private-key' | 'certificate' | 'ca-cert', env: string): string | undefined => {
    const v = stringOption(values, name) ?? cli.env[env]
    return v === '' ? undefined : v
  }
  const key = pick('private-key', 'OVN_NB_PRIVATE_KEY')
  const cert = pick('certificate', 'OVN_NB_CERTIFICATE')
  const ca = pick('ca-cert', 'OVN_NB_CA_CERT')
  const wantsSsl = remotes?.some((list) => list.split(',').some((r) => r.trim().startsWith('ssl:'))) ?? null
  if (key === undefined && cert === undefined && ca === undefined) {
    if (wantsSsl === true)
      throw new UsageError(`an ssl: ${database} needs --private-key (-p), --certificate (-c) and --ca-cert (-C)`)
    return undefined
  }
  if (key === undefined || cert === undefined || ca === undefined)
    throw new UsageError('give all three of --private-key (-p), --certificate (-c) and --ca-cert (-C), or none')
  if (wantsSsl === false) {
    const flag = database === 'northbound' ? '--nb' : '--sb'
    throw new UsageError(`--private-key, --certificate and --ca-cert are for an ssl: ${database} (${flag} ssl:IP:PORT)`)
  }
  const read = async (option: string, path: string): Promise<string> => {
    try {
      return await cli.readFile(path)
    } catch (err) {
      throw new UsageError(`--${option}: cannot read ${path}: ${errorText(err)}`)
    }
  }
  return {
    key: await read('private-key', key),
    cert: await read('certificate', cert),
    ca: await read('ca-cert', ca),
  }
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

/** `--integration-mode`: the default (xapi-bridge) gives undefined, so setup sends nothing new. */
export function integrationModeOption(values: OptionValues): IntegrationMode | undefined {
  const v = stringOption(values, 'integration-mode')
  if (v === undefined || v === DEFAULT_INTEGRATION_MODE) return undefined
  if (isIntegrationMode(v)) return v
  throw new UsageError(`--integration-mode expects ${INTEGRATION_MODES.join(', ')}, not ${JSON.stringify(v)}`)
}

/** A whole number (any size the library may take): its range is the library's to check. */
function numberish(values: OptionValues, name: Parameters<typeof intOption>[1]): number | undefined {
  return intOption(values, name, 0, 9_999_999)
}

/**
 * `switch add`'s DHCP options -> the library's DhcpSpec (lib/nb/plan-dhcp.ts), or undefined when
 * none is given. Values are checked by the library (OVN_INVALID_ARGUMENT, exit 2), before any write.
 */
export function dhcpSpecOption(values: OptionValues): DhcpSpec | undefined {
  const router = stringOption(values, 'router')
  const dns = stringOption(values, 'dns')
  const leaseTime = numberish(values, 'lease-time')
  const mtu = numberish(values, 'mtu')
  const underlayMtu = numberish(values, 'underlay-mtu')
  const encapType = stringOption(values, 'encap-type')
  const family = addressFamilyOption(values)
  const given = [router, dns, leaseTime, mtu, underlayMtu].some((v) => v !== undefined)
  if (!given && !flag(values, 'dhcp')) {
    if (encapType !== undefined || family !== undefined)
      throw new UsageError('--encap-type and --ip-family describe the underlay of --dhcp: give --dhcp too')
    return undefined
  }
  return {
    ...(router === undefined ? {} : { router }),
    ...(dns === undefined ? {} : { dnsServers: dns.split(',').map((d) => d.trim()) }),
    ...(leaseTime === undefined ? {} : { leaseTime }),
    ...(mtu === undefined ? {} : { mtu }),
    ...(underlayMtu === undefined ? {} : { underlayMtu }),
    ...(encapType === undefined ? {} : { encapType }),
    ...(family === 'IPv6' ? { underlayIpv6: true } : {}),
  }
}

/**
 * `switch add`'s --ipv6-prefix, --ipv6-mode, --ipv6-dns -> the library's Ipv6Spec (lib/nb/plan-ipv6.ts),
 * or undefined when no prefix is given. The prefix and addresses are checked by the library.
 */
export function ipv6SpecOption(values: OptionValues): Ipv6Spec | undefined {
  const prefix = stringOption(values, 'ipv6-prefix')
  const mode = stringOption(values, 'ipv6-mode')
  const dns = stringOption(values, 'ipv6-dns')
  if (prefix === undefined) {
    if (mode !== undefined || dns !== undefined)
      throw new UsageError('--ipv6-mode and --ipv6-dns describe the IPv6 of --ipv6-prefix: give --ipv6-prefix too')
    return undefined
  }
  const known = IPV6_MODES.find((m) => m === mode)
  if (mode !== undefined && known === undefined)
    throw new UsageError(`--ipv6-mode expects ${IPV6_MODES.join(', ')}, not ${JSON.stringify(mode)}`)
  return {
    prefix,
    ...(known === undefined ? {} : { mode: known }),
    ...(dns === undefined ? {} : { dnsServers: dns.split(',').map((d) => d.trim()) }),
  }
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

const UUID_PEM = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.pem$/i

/**
 * --ssl-cert-dir DIR and --ssl-ca-cert FILE, both or neither: each host's certificate is
 * DIR/<host-uuid>.pem (signed by the operator's CA from the CSR of `xapi-ovn ssl request`). Read
 * now, so a bad path is a usage error. Never a private key (issue 9): a file that holds one is
 * refused without showing it, and nothing else in DIR is read.
 */
export async function sslOption(
  values: OptionValues,
  cli: CliEnv,
): Promise<{ certificates: Record<string, string>; caCertificate: string; source: string } | undefined> {
  const dir = stringOption(values, 'ssl-cert-dir')
  const caCertificate = stringOption(values, 'ssl-ca-cert')
  if (dir === undefined && caCertificate === undefined) return undefined
  if (dir === undefined || caCertificate === undefined)
    throw new UsageError('--ssl-cert-dir and --ssl-ca-cert go together')
  const read = async (path: string, name: string): Promise<string> => {
    let text: string
    try {
      text = await cli.readFile(path)
    } catch (err) {
      throw new UsageError(`--${name} ${path}: ${errorText(err)}`)
    }
    if (text.includes('PRIVATE KEY'))
      throw new UsageError(
        `--${name} ${path} holds a private key: private keys never leave their host; give only certificates`,
      )
    return text
  }
  let names: string[]
  try {
    names = await cli.readDir(dir)
  } catch (err) {
    throw new UsageError(`--ssl-cert-dir ${dir}: ${errorText(err)}`)
  }
  const certificates: Record<string, string> = {}
  for (const name of names.sort()) {
    const m = UUID_PEM.exec(name)
    if (m?.[1] === undefined) continue
    certificates[m[1].toLowerCase()] = await read(join(dir, name), 'ssl-cert-dir')
  }
  if (Object.keys(certificates).length === 0)
    throw new UsageError(`--ssl-cert-dir ${dir}: no <host-uuid>.pem certificate in it`)
  return { certificates, caCertificate: await read(caCertificate, 'ssl-ca-cert'), source: dir }
}

/** --network, --host, --concurrency: which part of the pool a pool command works on. */
export function selectionOption(values: OptionValues): { network?: string; hosts?: string[]; concurrency?: number } {
  const out: { network?: string; hosts?: string[]; concurrency?: number } = {}
  const network = stringOption(values, 'network')
  if (network !== undefined) out.network = network
  const hosts = stringList(values, 'host')
  if (hosts.length > 0) out.hosts = hosts
  const concurrency = intOption(values, 'concurrency', 1, MAX_CONCURRENCY)
  if (concurrency !== undefined) out.concurrency = concurrency
  return out
}

/**
 * --vm and --ip to attach specs: one --vm takes every --ip; several --vm take one --ip each, in
 * order; `--ip dynamic` alone applies to every --vm.
 */
export function vmSpecs(
  vms: readonly string[],
  ips: readonly string[],
  device: string | undefined,
  mac: string | undefined,
): VmAttachSpec[] {
  const [first, ...others] = vms
  if (first === undefined) throw new UsageError('--vm is required (repeat it for several VMs)')
  // Each address checked now (OVN_INVALID_ARGUMENT, exit 2), before XAPI or the NB is connected.
  for (const ip of ips) if (ip !== 'dynamic') parseIp(ip, 'ip')
  if ((device !== undefined || mac !== undefined) && others.length > 0)
    throw new UsageError('--device and --mac apply to one VM: give a single --vm with them')
  const extra = { ...(device !== undefined ? { device } : {}), ...(mac !== undefined ? { mac } : {}) }
  if (ips.length === 1 && ips[0] === 'dynamic') return vms.map((vm) => ({ vm, ips: 'dynamic', ...extra }))
  if (ips.includes('dynamic')) throw new UsageError('--ip dynamic cannot be mixed with addresses')
  if (others.length === 0) return [{ vm: first, ips, ...extra }]
  if (ips.length !== 0 && ips.length !== vms.length)
    throw new UsageError(
      `with several --vm, give one --ip per --vm (in the same order) or none: ${vms.length} VMs, ${ips.length} addresses`,
    )
  return vms.map((vm, i) => {
    const ip = ips[i]
    return { vm, ips: ip === undefined ? [] : [ip] }
  })
}

export function protocolOption(values: OptionValues): ConnectOptions['transport'] {
  const v = stringOption(values, 'protocol')
  if (v === undefined) return undefined
  if (v === 'auto' || v === 'json-rpc' || v === 'xml-rpc') return v
  throw new UsageError(`--protocol expects auto, json-rpc or xml-rpc, not ${JSON.stringify(v)}`)
}

/** A pool is named (--url or XAPI_URL): the commands for which XAPI is optional then use it. */
export function poolGiven(values: OptionValues, cli: CliEnv): boolean {
  return (stringOption(values, 'url') ?? cli.env.XAPI_URL ?? '') !== ''
}

/**
 * How to reach the pool: flags first, then XAPI_URL / XAPI_USER / XAPI_PASSWORD, then (for the
 * password, on a terminal only) a prompt that does not echo.
 */
export async function connectOptions(values: OptionValues, cli: CliEnv): Promise<ConnectOptions> {
  const url = stringOption(values, 'url') ?? cli.env.XAPI_URL
  if (url === undefined || url === '') throw new UsageError('no pool master: give --url or set XAPI_URL')
  const user = stringOption(values, 'user') ?? cli.env.XAPI_USER ?? OPTIONS.user.default
  let password = stringOption(values, 'password') ?? cli.env.XAPI_PASSWORD
  if (password === undefined) {
    if (!cli.interactive)
      throw new UsageError('no password: give --password, set XAPI_PASSWORD, or run on a terminal to be asked')
    password = await cli.promptPassword(`Password for ${user} at ${url}: `)
  }
  const pluginTimeout = intOption(values, 'plugin-timeout', 1, 3600)
  return {
    url,
    user,
    password,
    allowUnauthorized: flag(values, 'allow-unauthorized'),
    transport: protocolOption(values),
    ...(pluginTimeout === undefined ? {} : { pluginTimeoutMs: pluginTimeout * 1000 }),
  }
}
