/**
 * Pure planning of a pool setup, before anything is touched: check the chassis options once for
 * the whole pool, then build each host's configure arguments (its transport endpoint as
 * ovn-encap-ip) and run the plugin's own argument parser (`parseConfigureArgs`) on exactly what
 * will be sent. A mistake in a pool-wide option throws; a problem of one host (no transport PIF,
 * an encap IP another host already uses) is that host's failure and leaves the others alone.
 */
import { parseConfigureArgs, SSL_ARGS } from '../chassis/configure-args.js'
import {
  DEFAULT_INTEGRATION_BRIDGE,
  DEFAULT_INTEGRATION_MODE,
  INTEGRATION_MODE_ARG,
  type IntegrationMode,
  KEY_BRIDGE,
  KEY_BRIDGE_MAPPINGS,
  KEY_BY_NAME,
  KEY_ENCAP_IP,
  KEY_ENCAP_TYPE,
  KEY_REMOTE,
} from '../chassis/keys.js'
import { bridgeMappings as validateMappings, parseMappings } from '../chassis/validators.js'
import { InvalidArgumentError } from '../errors.js'
import { SslCertificateMissingError } from './errors.js'
import type { PoolState } from './connection.js'
import { toFailure, type Failure } from './failures.js'
import type { HostRecord } from './records.js'
import {
  chooseTransportPif,
  type AddressFamily,
  type ResolvedTransportChoice,
  type TransportEndpoint,
} from './transport-pif.js'

/**
 * Certificates for `ssl:` remotes, passed to the plugin (never stored in the OVS SSL table). No
 * private key: each host made its own (fn=ssl-request, lib/pool/ssl-request.ts) and the
 * operator's CA signed its CSR; a key never travels (issue 9).
 */
export interface SslMaterial {
  /** Each host's certificate (PEM), signed for the key on that host, by host uuid. */
  readonly certificates: Readonly<Record<string, string>>
  /** The CA certificate(s) (PEM) the OVN central's certificate is checked against. */
  readonly caCertificate: string
  /** Where the certificates come from, named in OVN_SSL_CERT_MISSING (e.g. the --ssl-cert-dir). */
  readonly source?: string
}

/** The certificate of `hostUuid`, or undefined. */
export function certificateFor(ssl: SslMaterial, hostUuid: string): string | undefined {
  return Object.hasOwn(ssl.certificates, hostUuid) ? ssl.certificates[hostUuid] : undefined
}

/**
 * Every selected host has its certificate, and no PEM given holds a private key: checked before
 * anything is touched (a host without one would otherwise be configured without SSL material).
 */
export function checkSslMaterial(ssl: SslMaterial | undefined, hosts: readonly { readonly uuid: string }[]): void {
  if (ssl === undefined) return
  for (const [uuid, pem] of [...Object.entries(ssl.certificates), ['ssl.caCertificate', ssl.caCertificate]]) {
    if (pem?.includes('PRIVATE KEY') === true)
      throw new InvalidArgumentError(
        uuid === 'ssl.caCertificate' ? uuid : `ssl.certificates.${uuid}`,
        '<redacted>',
        'contains a private key: private keys never travel; pass only certificates',
      )
  }
  for (const h of hosts) {
    if (certificateFor(ssl, h.uuid) === undefined)
      throw new SslCertificateMissingError(
        h.uuid,
        ssl.source === undefined ? 'ssl.certificates' : `${ssl.source.replace(/\/+$/, '')}/${h.uuid}.pem`,
      )
  }
}

/** What every chassis of the pool gets. */
export interface ChassisOptions {
  /** OVN southbound remote(s): `tcp:IP:PORT`, `ssl:IP:PORT`, comma-separated. */
  readonly ovnRemote: string
  /** Default geneve. */
  readonly encapType?: string
  /** `physnet:bridge,...`, each bridge an XAPI bridge other than the OVN one. */
  readonly bridgeMappings?: string
  /** Other ovn-controller keys (ovn-remote-probe-interval, ovn-bridge-datapath-type, ...). */
  readonly chassisKeys?: Readonly<Record<string, string>>
  readonly ssl?: SslMaterial
  /** Replace a system-id that differs from the host UUID. */
  readonly forceSystemId?: boolean
  /**
   * How VIFs reach the integration bridge (lib/chassis/keys.ts INTEGRATION_MODES); absent: the
   * default, the OVN network's XAPI bridge. `unmanaged` and `reconcile` are experimental.
   */
  readonly integrationMode?: IntegrationMode
  /**
   * Hosts (uuid or name_label) whose chassis may carry router gateways: they get
   * ovn-cms-options=enable-chassis-as-gw (other hosts not; lib/nb/gateway-chassis-io.ts reads it).
   */
  readonly gatewayHosts?: readonly string[]
}

/** The ovn-cms-options word of a gateway candidate (ovn-controller(8)). */
export const GATEWAY_CMS_WORD = 'enable-chassis-as-gw'

/** gatewayHosts as host UUIDs (names resolved; an unknown host is OVN_INVALID_ARGUMENT). */
export function resolveGatewayHosts(options: ChassisOptions, state: PoolState): ChassisOptions {
  const only = options.gatewayHosts
  if (only === undefined || only.length === 0) return options
  return { ...options, gatewayHosts: selectHosts(state, only).map((h) => h.uuid) }
}

export interface HostInfo {
  readonly ref: string
  readonly uuid: string
  readonly name: string
  readonly address: string
  /** host_metrics.live: false when XAPI considers the host offline. */
  readonly live: boolean
}

export type HostPlan =
  | {
      readonly host: HostInfo
      readonly ok: true
      readonly transport: TransportEndpoint
      readonly args: Readonly<Record<string, string>>
    }
  | { readonly host: HostInfo; readonly ok: false; readonly failure: Failure }

/** Keys the pool driver sets itself; chassisKeys may not name them. */
export const DRIVER_KEYS: readonly string[] = [
  KEY_REMOTE,
  KEY_ENCAP_TYPE,
  KEY_ENCAP_IP,
  KEY_BRIDGE,
  KEY_BRIDGE_MAPPINGS,
]

/** Stands for the bridge of a network not created yet (never a real XAPI bridge name). */
export const PENDING_BRIDGE = 'ovn-pending'
const PLACEHOLDER_IP = '192.0.2.1'
const PLACEHOLDER_UUID = '00000000-0000-4000-8000-000000000000'

export function hostInfo(state: PoolState, host: HostRecord): HostInfo {
  const metrics = host.metrics === null ? undefined : state.metrics.get(host.metrics)
  return {
    ref: host.ref,
    uuid: host.uuid,
    name: host.nameLabel === '' ? host.hostname || host.uuid : host.nameLabel,
    address: host.address,
    live: metrics?.live ?? true,
  }
}

/**
 * The hosts to work on, by name: all of them, or those named in `only` (uuid or name_label).
 * A name that matches no host is the caller's mistake.
 */
export function selectHosts(state: PoolState, only?: readonly string[]): HostRecord[] {
  const all = [...state.hosts.values()].sort(
    (a, b) => a.nameLabel.localeCompare(b.nameLabel) || a.uuid.localeCompare(b.uuid),
  )
  if (only === undefined || only.length === 0) return all
  const picked = new Set<HostRecord>()
  for (const name of only) {
    const matches = all.filter((h) => h.uuid === name || h.nameLabel === name)
    if (matches.length === 0) throw new InvalidArgumentError('host', name, 'no host of this pool has that uuid or name')
    for (const h of matches) picked.add(h)
  }
  return all.filter((h) => picked.has(h))
}

/**
 * The configure arguments of one host. `hostUuid` picks its certificate; null (the pool-wide
 * check) takes any of them, the shape being the same.
 */
export function chassisArgs(
  options: ChassisOptions,
  bridge: string,
  encapIp: string,
  networkUuid: string | null,
  hostUuid: string | null,
): Record<string, string> {
  const args: Record<string, string> = { ...options.chassisKeys }
  if (hostUuid !== null && options.gatewayHosts?.includes(hostUuid) === true) {
    const words = (args['ovn-cms-options'] ?? '').split(',').filter((w) => w !== '')
    args['ovn-cms-options'] = (words.includes(GATEWAY_CMS_WORD) ? words : [...words, GATEWAY_CMS_WORD]).join(',')
  }
  args[KEY_REMOTE] = options.ovnRemote
  args[KEY_ENCAP_TYPE] = options.encapType ?? 'geneve'
  args[KEY_ENCAP_IP] = encapIp
  // reconcile: VIFs stay on the network's XAPI bridge and the host agent moves them to br-int.
  args[KEY_BRIDGE] = options.integrationMode === 'reconcile' ? DEFAULT_INTEGRATION_BRIDGE : bridge
  if (options.integrationMode !== undefined && options.integrationMode !== DEFAULT_INTEGRATION_MODE)
    args[INTEGRATION_MODE_ARG] = options.integrationMode
  if (options.bridgeMappings !== undefined && options.bridgeMappings !== '')
    args[KEY_BRIDGE_MAPPINGS] = options.bridgeMappings
  if (networkUuid !== null) args['network-uuid'] = networkUuid
  if (options.forceSystemId === true) args['force-system-id'] = 'true'
  if (options.ssl !== undefined) {
    const cert =
      hostUuid === null ? (Object.values(options.ssl.certificates)[0] ?? '') : certificateFor(options.ssl, hostUuid)
    if (cert === undefined)
      throw new SslCertificateMissingError(hostUuid ?? '', options.ssl.source ?? 'ssl.certificates')
    args['ovn-ssl-cert'] = cert
    args['ovn-ssl-ca-cert'] = options.ssl.caCertificate
  }
  return args
}

/** The arguments as they may be shown or logged: SSL material redacted. */
export function shownArgs(args: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(args)) out[k] = (SSL_ARGS as readonly string[]).includes(k) ? '<redacted>' : v
  return out
}

/**
 * Check the pool-wide options, before anything is touched: every value through the plugin's own
 * parser, and each bridge mapping onto an existing XAPI bridge that is not the OVN one.
 * `bridge` is the OVN network's bridge, or null when the network is still to be created.
 */
export function checkChassisOptions(options: ChassisOptions, state: PoolState, bridge: string | null): void {
  for (const [key, value] of Object.entries(options.chassisKeys ?? {})) {
    if (DRIVER_KEYS.includes(key))
      throw new InvalidArgumentError(key, value, 'set by xapi-ovn itself: use its own option')
    if (!KEY_BY_NAME.has(key)) throw new InvalidArgumentError(key, value, 'not an ovn-controller key xapi-ovn manages')
  }
  parseConfigureArgs(chassisArgs(options, bridge ?? PENDING_BRIDGE, PLACEHOLDER_IP, PLACEHOLDER_UUID, null))
  const mappings = options.bridgeMappings ?? ''
  if (mappings !== '' && validateMappings(mappings) === null) {
    const known = new Set([...state.networks.values()].map((n) => n.bridge).filter((b) => b !== ''))
    for (const m of parseMappings(mappings)) {
      if (m.bridge === bridge)
        throw new InvalidArgumentError(
          KEY_BRIDGE_MAPPINGS,
          mappings,
          `maps ${m.network} onto the OVN integration bridge ${m.bridge}; map it onto a bridge with the physical network (e.g. xenbr0)`,
        )
      if (!known.has(m.bridge))
        throw new InvalidArgumentError(
          KEY_BRIDGE_MAPPINGS,
          mappings,
          `${m.bridge} is not the bridge of any network of this pool`,
        )
    }
  }
}

/**
 * Each host's plan: transport endpoint and configure arguments, checked by parseConfigureArgs.
 * Hosts with the same encap IP all fail (two chassis cannot share a tunnel endpoint).
 */
export function planHosts(
  state: PoolState,
  hosts: readonly HostRecord[],
  options: ChassisOptions,
  choice: ResolvedTransportChoice,
  family: AddressFamily,
  bridge: string | null,
  networkUuid: string | null,
): HostPlan[] {
  const plans = hosts.map((h): HostPlan => {
    const host = hostInfo(state, h)
    try {
      const transport = chooseTransportPif(h, state.pifs.values(), choice, family)
      const args = chassisArgs(options, bridge ?? PENDING_BRIDGE, transport.ip, networkUuid ?? PLACEHOLDER_UUID, h.uuid)
      parseConfigureArgs(args)
      if (networkUuid === null) delete args['network-uuid']
      return { host, ok: true, transport, args }
    } catch (err) {
      return { host, ok: false, failure: toFailure(err) }
    }
  })
  return rejectSharedEncapIps(plans)
}

/** Fail every plan whose encap IP another plan (of any pool given) also uses. */
export function rejectSharedEncapIps<T extends HostPlan>(plans: readonly T[]): (T | HostPlan)[] {
  const byIp = new Map<string, HostInfo[]>()
  for (const p of plans) {
    if (!p.ok) continue
    const ip = p.transport.ip.toLowerCase()
    byIp.set(ip, [...(byIp.get(ip) ?? []), p.host])
  }
  return plans.map((p) => {
    if (!p.ok) return p
    const sharing = (byIp.get(p.transport.ip.toLowerCase()) ?? []).filter((h) => h !== p.host)
    if (sharing.length === 0) return p
    const err = new InvalidArgumentError(
      KEY_ENCAP_IP,
      p.transport.ip,
      `also the transport address of ${sharing.map((h) => h.name).join(', ')}; each chassis needs its own`,
    )
    return { host: p.host, ok: false, failure: toFailure(err) }
  })
}
