/**
 * Typed, validated XAPI records: the fields xapi-ovn reads from pool, host, host_metrics, PIF,
 * network, VM and VIF, each checked for its type. A record that lacks a field or has it in
 * another shape is a XapiRecordError (OVN_XAPI_RECORD_INVALID [class, ref, field, reason]),
 * never a crash further down. Pure.
 *
 * Wire quirks handled here: over XML-RPC XAPI sends integers as strings; a null reference is
 * `OpaqueRef:NULL` (read as null).
 */
import { XapiRecordError } from './errors.js'
import { isOneOf, isRecord, isStringArray } from '../shape.js'

export const NULL_REF = 'OpaqueRef:NULL'

export interface PoolRecord {
  readonly ref: string
  readonly uuid: string
  readonly nameLabel: string
  readonly master: string | null
  readonly otherConfig: Readonly<Record<string, string>>
}

export interface HostRecord {
  readonly ref: string
  readonly uuid: string
  readonly nameLabel: string
  readonly hostname: string
  readonly address: string
  readonly enabled: boolean
  readonly pifs: readonly string[]
  readonly metrics: string | null
}

export interface HostMetricsRecord {
  readonly ref: string
  readonly uuid: string
  readonly live: boolean
}

export type IpConfigurationMode = 'None' | 'DHCP' | 'Static'
export type Ipv6ConfigurationMode = 'None' | 'DHCP' | 'Static' | 'Autoconf'
export type PrimaryAddressType = 'IPv4' | 'IPv6'

export interface PifRecord {
  readonly ref: string
  readonly uuid: string
  readonly device: string
  readonly host: string
  readonly network: string
  readonly mac: string
  /** -1 when the PIF is not a VLAN. */
  readonly vlan: number
  readonly physical: boolean
  readonly currentlyAttached: boolean
  readonly management: boolean
  readonly ipConfigurationMode: IpConfigurationMode
  readonly ip: string
  readonly ipv6ConfigurationMode: Ipv6ConfigurationMode
  /** Addresses with their prefix length, e.g. `fd00::5/64`. */
  readonly ipv6: readonly string[]
  readonly primaryAddressType: PrimaryAddressType
  readonly bondSlaveOf: string | null
  readonly bondMasterOf: readonly string[]
  readonly vlanMasterOf: string | null
}

export interface NetworkRecord {
  readonly ref: string
  readonly uuid: string
  readonly nameLabel: string
  readonly bridge: string
  readonly mtu: number
  readonly pifs: readonly string[]
  readonly vifs: readonly string[]
  readonly otherConfig: Readonly<Record<string, string>>
  /** What a VIF's `network_default` locking mode means on this network. */
  readonly defaultLockingMode: NetworkLockingMode
  /**
   * false: an unmanaged network, whose bridge XAPI never makes or removes (ocaml/xapi/
   * xapi_network.ml attach_internal); absent in records read before issue 12 counts as managed.
   */
  readonly managed?: boolean
}

export type NetworkLockingMode = 'unlocked' | 'disabled'
export type VifLockingMode = 'network_default' | 'locked' | 'unlocked' | 'disabled'

export type PowerState = 'Halted' | 'Paused' | 'Running' | 'Suspended'

export interface VmRecord {
  readonly ref: string
  readonly uuid: string
  readonly nameLabel: string
  readonly powerState: PowerState
  readonly isControlDomain: boolean
  readonly isATemplate: boolean
  readonly residentOn: string | null
  readonly vifs: readonly string[]
  readonly otherConfig: Readonly<Record<string, string>>
  /** The operations running on the VM (task ref -> operation name, e.g. `pool_migrate`). */
  readonly currentOperations: readonly string[]
  /** Where a starting or migrating VM is going (xapi sets it while the operation runs). */
  readonly scheduledToBeResidentOn: string | null
}

export interface VifRecord {
  readonly ref: string
  readonly uuid: string
  readonly device: string
  readonly network: string
  readonly vm: string
  readonly mac: string
  readonly currentlyAttached: boolean
  readonly otherConfig: Readonly<Record<string, string>>
  readonly lockingMode: VifLockingMode
  readonly ipv4Allowed: readonly string[]
  readonly ipv6Allowed: readonly string[]
}

/** Reads typed fields of one raw record, naming the class, ref and field in every error. */
class FieldReader {
  readonly #raw: Readonly<Record<string, unknown>>

  constructor(
    readonly cls: string,
    readonly recordRef: string,
    raw: unknown,
  ) {
    if (!isRecord(raw)) throw new XapiRecordError(cls, recordRef, '(record)', `is ${describe(raw)}, not a record`)
    this.#raw = raw
  }

  #fail(field: string, reason: string): never {
    throw new XapiRecordError(this.cls, this.recordRef, field, reason)
  }

  #get(field: string): unknown {
    if (!Object.hasOwn(this.#raw, field)) this.#fail(field, 'is missing')
    return this.#raw[field]
  }

  string(field: string): string {
    const v = this.#get(field)
    if (typeof v !== 'string') this.#fail(field, `is ${describe(v)}, expected a string`)
    return v
  }

  bool(field: string): boolean {
    const v = this.#get(field)
    if (typeof v !== 'boolean') this.#fail(field, `is ${describe(v)}, expected a boolean`)
    return v
  }

  /** An int: a safe integer, or (XML-RPC) its decimal string. */
  int(field: string): number {
    const v = this.#get(field)
    if (typeof v === 'number' && Number.isSafeInteger(v)) return v
    if (typeof v === 'string' && /^-?(0|[1-9][0-9]{0,15})$/.test(v) && Number.isSafeInteger(Number(v))) return Number(v)
    this.#fail(field, `is ${describe(v)}, expected an integer`)
  }

  enumOf<T extends string>(field: string, values: readonly T[]): T {
    const v = this.string(field)
    if (!isOneOf(values, v)) this.#fail(field, `is ${JSON.stringify(v)}, expected one of ${values.join(', ')}`)
    return v
  }

  /** A reference; `OpaqueRef:NULL` is null. */
  ref(field: string): string | null {
    const v = this.string(field)
    if (!v.startsWith('OpaqueRef:')) this.#fail(field, `is ${JSON.stringify(v)}, expected an OpaqueRef`)
    return v === NULL_REF ? null : v
  }

  /** A reference that must not be null. */
  requiredRef(field: string): string {
    const v = this.ref(field)
    if (v === null) this.#fail(field, 'is OpaqueRef:NULL')
    return v
  }

  strings(field: string): string[] {
    const v = this.#get(field)
    if (!isStringArray(v)) this.#fail(field, `is ${describe(v)}, expected a list of strings`)
    return [...v]
  }

  refs(field: string): string[] {
    const v = this.strings(field)
    const bad = v.find((x) => !x.startsWith('OpaqueRef:') || x === NULL_REF)
    if (bad !== undefined) this.#fail(field, `holds ${JSON.stringify(bad)}, expected OpaqueRefs`)
    return v
  }

  stringMap(field: string): Record<string, string> {
    const v = this.#get(field)
    if (!isRecord(v)) this.#fail(field, `is ${describe(v)}, expected a map`)
    const out: Record<string, string> = {}
    for (const [k, x] of Object.entries(v)) {
      if (typeof x !== 'string') this.#fail(field, `has key ${JSON.stringify(k)} = ${describe(x)}, expected a string`)
      out[k] = x
    }
    return out
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)
  if (typeof v === 'object') return 'an object'
  return `${typeof v} ${String(v)}`
}

export function parsePool(ref: string, raw: unknown): PoolRecord {
  const r = new FieldReader('pool', ref, raw)
  return {
    ref,
    uuid: r.string('uuid'),
    nameLabel: r.string('name_label'),
    master: r.ref('master'),
    otherConfig: r.stringMap('other_config'),
  }
}

export function parseHost(ref: string, raw: unknown): HostRecord {
  const r = new FieldReader('host', ref, raw)
  return {
    ref,
    uuid: r.string('uuid'),
    nameLabel: r.string('name_label'),
    hostname: r.string('hostname'),
    address: r.string('address'),
    enabled: r.bool('enabled'),
    pifs: r.refs('PIFs'),
    metrics: r.ref('metrics'),
  }
}

export function parseHostMetrics(ref: string, raw: unknown): HostMetricsRecord {
  const r = new FieldReader('host_metrics', ref, raw)
  return { ref, uuid: r.string('uuid'), live: r.bool('live') }
}

export function parsePif(ref: string, raw: unknown): PifRecord {
  const r = new FieldReader('PIF', ref, raw)
  return {
    ref,
    uuid: r.string('uuid'),
    device: r.string('device'),
    host: r.requiredRef('host'),
    network: r.requiredRef('network'),
    mac: r.string('MAC'),
    vlan: r.int('VLAN'),
    physical: r.bool('physical'),
    currentlyAttached: r.bool('currently_attached'),
    management: r.bool('management'),
    ipConfigurationMode: r.enumOf('ip_configuration_mode', ['None', 'DHCP', 'Static'] as const),
    ip: r.string('IP'),
    ipv6ConfigurationMode: r.enumOf('ipv6_configuration_mode', ['None', 'DHCP', 'Static', 'Autoconf'] as const),
    ipv6: r.strings('IPv6'),
    primaryAddressType: r.enumOf('primary_address_type', ['IPv4', 'IPv6'] as const),
    bondSlaveOf: r.ref('bond_slave_of'),
    bondMasterOf: r.refs('bond_master_of'),
    vlanMasterOf: r.ref('VLAN_master_of'),
  }
}

export function parseNetwork(ref: string, raw: unknown): NetworkRecord {
  const r = new FieldReader('network', ref, raw)
  return {
    ref,
    uuid: r.string('uuid'),
    nameLabel: r.string('name_label'),
    bridge: r.string('bridge'),
    mtu: r.int('MTU'),
    pifs: r.refs('PIFs'),
    vifs: r.refs('VIFs'),
    otherConfig: r.stringMap('other_config'),
    defaultLockingMode: r.enumOf('default_locking_mode', ['unlocked', 'disabled'] as const),
    // Read when present: records built by hand (tests, older callers) may lack it.
    ...(isRecord(raw) && Object.hasOwn(raw, 'managed') ? { managed: r.bool('managed') } : {}),
  }
}

export function parseVm(ref: string, raw: unknown): VmRecord {
  const r = new FieldReader('VM', ref, raw)
  return {
    ref,
    uuid: r.string('uuid'),
    nameLabel: r.string('name_label'),
    powerState: r.enumOf('power_state', ['Halted', 'Paused', 'Running', 'Suspended'] as const),
    isControlDomain: r.bool('is_control_domain'),
    isATemplate: r.bool('is_a_template'),
    residentOn: r.ref('resident_on'),
    vifs: r.refs('VIFs'),
    otherConfig: r.stringMap('other_config'),
    currentOperations: Object.values(r.stringMap('current_operations')),
    scheduledToBeResidentOn: r.ref('scheduled_to_be_resident_on'),
  }
}

export function parseVif(ref: string, raw: unknown): VifRecord {
  const r = new FieldReader('VIF', ref, raw)
  return {
    ref,
    uuid: r.string('uuid'),
    device: r.string('device'),
    network: r.requiredRef('network'),
    vm: r.requiredRef('VM'),
    mac: r.string('MAC'),
    currentlyAttached: r.bool('currently_attached'),
    otherConfig: r.stringMap('other_config'),
    lockingMode: r.enumOf('locking_mode', ['network_default', 'locked', 'unlocked', 'disabled'] as const),
    ipv4Allowed: r.strings('ipv4_allowed'),
    ipv6Allowed: r.strings('ipv6_allowed'),
  }
}

/**
 * A `<class>.get_all_records` answer (a map ref -> record) parsed with `parse`, as a Map in the
 * server's order. Anything but a map of records is a XapiRecordError.
 */
export function parseAllRecords<T>(cls: string, raw: unknown, parse: (ref: string, raw: unknown) => T): Map<string, T> {
  if (!isRecord(raw)) {
    throw new XapiRecordError(
      cls,
      '(all)',
      '(records)',
      `get_all_records answered ${describe(raw)}, expected a map of records`,
    )
  }
  const out = new Map<string, T>()
  for (const [ref, record] of Object.entries(raw)) {
    if (!ref.startsWith('OpaqueRef:')) throw new XapiRecordError(cls, ref, '(ref)', 'is not an OpaqueRef')
    out.set(ref, parse(ref, record))
  }
  return out
}

/** A ref as XAPI returns it from create/get_by_uuid. */
export function parseRef(cls: string, what: string, raw: unknown): string {
  if (typeof raw !== 'string' || !raw.startsWith('OpaqueRef:') || raw === NULL_REF) {
    throw new XapiRecordError(cls, '(answer)', what, `is ${describe(raw)}, expected an OpaqueRef`)
  }
  return raw
}
