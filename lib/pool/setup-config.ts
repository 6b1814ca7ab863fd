/**
 * Pure: `xapi-ovn setup --config FILE`, a pool's whole desired chassis configuration as one JSON
 * object, checked field by field (unknown keys refused, every value's type checked, the first
 * mistake an OVN_INVALID_ARGUMENT naming `config.<field>`) into the very option values the setup
 * flags give (lib/cli/options.ts names), so the file and the flags reach SetupOptions through the
 * same converters (lib/cli/args.ts). Declarative: what the file does not name is not wanted, and
 * a run removes it as a re-run without that flag does; the dry run lists those removals first.
 *
 *   { "ovn-remote": "ssl:192.0.2.10:6642", "encap-type": "geneve",
 *     "bridge-mappings": "physnet-mgmt:xenbr0", "set": { "ovn-bridge-datapath-type": "netdev" },
 *     "ssl-cert-dir": "/root/pki/certs", "ssl-ca-cert": "/root/pki/ca.pem",
 *     "transport": { "device": "eth1", "vlan": 20 }, "ip-family": "4",
 *     "integration-mode": "xapi-bridge",   (unmanaged, reconcile: experimental, README "The br-int way")
 *     "gateway-hosts": ["host1", "host2"] }   (the chassis that may carry router gateways)
 */
import { InvalidArgumentError } from '../errors.js'
import { isPlainRecord, isString } from '../shape.js'

/** The flags a --config file replaces (setup refuses them beside --config: one source of truth). */
export const CONFIG_FLAGS = [
  'ovn-remote',
  'encap-type',
  'bridge-mappings',
  'set',
  'ssl-cert-dir',
  'ssl-ca-cert',
  'transport-network',
  'transport-device',
  'transport-vlan',
  'ip-family',
  'integration-mode',
  'gateway-hosts',
] as const

export type ConfigFlag = (typeof CONFIG_FLAGS)[number]

/** The file as the option values the flags would have given: strings, `set` as KEY=VALUE items. */
export type ConfigValues = Partial<Record<Exclude<ConfigFlag, 'set'>, string>> & { set?: string[] }

const STRING_FIELDS = [
  'ovn-remote',
  'encap-type',
  'bridge-mappings',
  'ssl-cert-dir',
  'ssl-ca-cert',
  'ip-family',
  'integration-mode',
] as const
const TOP_FIELDS: readonly string[] = [...STRING_FIELDS, 'set', 'transport', 'gateway-hosts']
const TRANSPORT_FIELDS: readonly string[] = ['network', 'device', 'vlan']

function bad(field: string, value: unknown, reason: string): never {
  throw new InvalidArgumentError(
    `config.${field}`,
    typeof value === 'string' ? value : (JSON.stringify(value) ?? ''),
    reason,
  )
}

function unknownKeys(o: Readonly<Record<string, unknown>>, known: readonly string[], where: string): void {
  for (const k of Object.keys(o))
    if (!known.includes(k)) bad(where === '' ? k : `${where}.${k}`, o[k], `unknown key (known: ${known.join(', ')})`)
}

/** The text of a --config file -> the option values, or the first mistake's coded error. */
export function parseSetupConfig(text: string): ConfigValues {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    return bad('', '', `not JSON: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (!isPlainRecord(doc)) return bad('', doc, 'expected one JSON object')
  unknownKeys(doc, TOP_FIELDS, '')
  const out: ConfigValues = {}
  for (const f of STRING_FIELDS) {
    const v = doc[f]
    if (v === undefined) continue
    if (!isString(v) || v === '') bad(f, v, 'expected a non-empty string')
    out[f] = v
  }
  if (out['ovn-remote'] === undefined) bad('ovn-remote', '', 'required: the OVN southbound remote(s)')
  const set = doc.set
  if (set !== undefined) {
    if (!isPlainRecord(set)) bad('set', set, 'expected an object of ovn-controller keys and string values')
    out.set = Object.keys(set)
      .sort()
      .map((k) => {
        const v = set[k]
        if (k === '' || k.includes('=')) bad(`set.${k}`, k, 'a key is not empty and has no "="')
        if (!isString(v)) bad(`set.${k}`, v, 'expected a string value')
        return `${k}=${v}`
      })
  }
  // As --gateway-hosts H,H: an empty list is no gateway host (declarative: the others lose it).
  const gateways = doc['gateway-hosts']
  if (gateways !== undefined) {
    if (!Array.isArray(gateways) || !gateways.every((h) => isString(h) && h !== '' && !h.includes(',')))
      bad('gateway-hosts', gateways, 'expected a list of host names or UUIDs')
    out['gateway-hosts'] = gateways.join(',')
  }
  const transport = doc.transport
  if (transport !== undefined) {
    if (!isPlainRecord(transport))
      bad('transport', transport, 'expected {"network": NET} or {"device": DEV, "vlan": N} or {"vlan": N}')
    unknownKeys(transport, TRANSPORT_FIELDS, 'transport')
    const { network, device, vlan } = transport
    if (network !== undefined) {
      if (!isString(network) || network === '') bad('transport.network', network, 'expected a network uuid or name')
      out['transport-network'] = network
    }
    if (device !== undefined) {
      if (!isString(device) || device === '') bad('transport.device', device, 'expected a device name (eth1, bond0)')
      out['transport-device'] = device
    }
    if (vlan !== undefined) {
      if (typeof vlan !== 'number' || !Number.isInteger(vlan) || vlan < 0 || vlan > 4094)
        bad('transport.vlan', vlan, 'expected a whole number from 0 to 4094')
      out['transport-vlan'] = String(vlan)
    }
    if (network !== undefined && (device !== undefined || vlan !== undefined))
      bad('transport', transport, 'network cannot be combined with device or vlan')
    if (network === undefined && device === undefined && vlan === undefined)
      bad('transport', transport, 'name one of network, device, vlan (or leave transport out: the management PIF)')
  }
  return out
}
