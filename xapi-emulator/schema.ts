/**
 * The part of XAPI's datamodel the emulator serves: classes, their fields, field types, which
 * fields are writable, and the default record a new object starts from. Names follow XAPI
 * exactly (class `PIF`, field `VLAN_master_of`, enum `Static`), since clients match on them.
 */
import { NULL_REF, XapiDateTime, XapiDouble, type XapiRecord, type XapiValue } from './values.js'

export type FieldType =
  | { readonly kind: 'string' }
  | { readonly kind: 'int' }
  | { readonly kind: 'float' }
  | { readonly kind: 'bool' }
  | { readonly kind: 'datetime' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'ref'; readonly cls: string }
  | { readonly kind: 'set'; readonly of: FieldType }
  | { readonly kind: 'map'; readonly of: FieldType }

export const T = {
  string: { kind: 'string' } as FieldType,
  int: { kind: 'int' } as FieldType,
  float: { kind: 'float' } as FieldType,
  bool: { kind: 'bool' } as FieldType,
  datetime: { kind: 'datetime' } as FieldType,
  enum: (...values: string[]): FieldType => ({ kind: 'enum', values }),
  ref: (cls: string): FieldType => ({ kind: 'ref', cls }),
  refs: (cls: string): FieldType => ({ kind: 'set', of: { kind: 'ref', cls } }),
  strings: { kind: 'set', of: { kind: 'string' } } as FieldType,
  stringMap: { kind: 'map', of: { kind: 'string' } } as FieldType,
  map: (of: FieldType): FieldType => ({ kind: 'map', of }),
}

export interface FieldSpec {
  readonly type: FieldType
  /** XAPI generates set_<field> (and add_to_/remove_from_ for maps, add_/remove_ for sets). */
  readonly rw?: boolean
  readonly default: () => XapiValue
}

export interface ClassSpec {
  readonly name: string
  readonly fields: Readonly<Record<string, FieldSpec>>
}

const str = (rw = false, value = ''): FieldSpec => ({ type: T.string, rw, default: () => value })
const int = (value: number, rw = false): FieldSpec => ({ type: T.int, rw, default: () => value })
const bool = (value: boolean, rw = false): FieldSpec => ({ type: T.bool, rw, default: () => value })
const ref = (cls: string, rw = false): FieldSpec => ({ type: T.ref(cls), rw, default: () => NULL_REF })
const refs = (cls: string): FieldSpec => ({ type: T.refs(cls), default: () => [] })
const strings = (rw = false): FieldSpec => ({ type: T.strings, rw, default: () => [] })
const smap = (rw = false): FieldSpec => ({ type: T.stringMap, rw, default: () => ({}) })
const enm = (values: string[], value: string, rw = false): FieldSpec => ({
  type: T.enum(...values),
  rw,
  default: () => value,
})
const date = (): FieldSpec => ({ type: T.datetime, default: () => XapiDateTime.EPOCH })
const float = (value: number): FieldSpec => ({ type: T.float, default: () => new XapiDouble(value) })
const opsMap = (): FieldSpec => ({ type: T.map(T.string), default: () => ({}) })

const named = {
  uuid: str(),
  name_label: str(true),
  name_description: str(true),
}

export const CLASSES: Readonly<Record<string, ClassSpec>> = {
  pool: {
    name: 'pool',
    fields: {
      ...named,
      master: ref('host'),
      default_SR: ref('SR', true),
      other_config: smap(true),
      gui_config: smap(true),
      tags: strings(true),
      restrictions: smap(),
      ha_enabled: bool(false),
      allowed_operations: strings(),
      current_operations: opsMap(),
    },
  },
  host: {
    name: 'host',
    fields: {
      ...named,
      hostname: str(),
      address: str(),
      enabled: bool(true),
      API_version_major: int(2),
      API_version_minor: int(21),
      API_version_vendor: str(false, 'XenSource'),
      software_version: smap(),
      PIFs: refs('PIF'),
      resident_VMs: refs('VM'),
      metrics: ref('host_metrics'),
      control_domain: ref('VM'),
      other_config: smap(true),
      tags: strings(true),
      allowed_operations: strings(),
      current_operations: opsMap(),
    },
  },
  host_metrics: {
    name: 'host_metrics',
    fields: {
      uuid: str(),
      live: bool(true),
      memory_total: int(17179869184),
      memory_free: int(8589934592),
      last_updated: date(),
      other_config: smap(true),
    },
  },
  network: {
    name: 'network',
    fields: {
      ...named,
      bridge: str(),
      MTU: int(1500, true),
      managed: bool(true),
      PIFs: refs('PIF'),
      VIFs: refs('VIF'),
      other_config: smap(true),
      tags: strings(true),
      default_locking_mode: enm(['unlocked', 'disabled'], 'unlocked'),
      purpose: strings(),
      assigned_ips: { type: T.map(T.string), default: () => ({}) },
      allowed_operations: strings(),
      current_operations: opsMap(),
    },
  },
  PIF: {
    name: 'PIF',
    fields: {
      uuid: str(),
      device: str(),
      network: ref('network'),
      host: ref('host'),
      MAC: str(),
      MTU: int(1500),
      VLAN: int(-1),
      physical: bool(false),
      currently_attached: bool(false),
      management: bool(false),
      managed: bool(true),
      ip_configuration_mode: enm(['None', 'DHCP', 'Static'], 'None'),
      IP: str(),
      netmask: str(),
      gateway: str(),
      DNS: str(),
      ipv6_configuration_mode: enm(['None', 'DHCP', 'Static', 'Autoconf'], 'None'),
      IPv6: strings(),
      ipv6_gateway: str(),
      primary_address_type: enm(['IPv4', 'IPv6'], 'IPv4'),
      bond_slave_of: ref('Bond'),
      bond_master_of: refs('Bond'),
      VLAN_master_of: ref('VLAN'),
      VLAN_slave_of: refs('VLAN'),
      tunnel_access_PIF_of: refs('tunnel'),
      tunnel_transport_PIF_of: refs('tunnel'),
      metrics: ref('PIF_metrics'),
      disallow_unplug: bool(false, true),
      properties: smap(),
      capabilities: strings(),
      other_config: smap(true),
      allowed_operations: strings(),
      current_operations: opsMap(),
    },
  },
  PIF_metrics: {
    name: 'PIF_metrics',
    fields: {
      uuid: str(),
      carrier: bool(true),
      speed: int(1000),
      duplex: bool(true),
      vendor_name: str(),
      device_name: str(),
      pci_bus_path: str(),
      io_read_kbs: float(0),
      io_write_kbs: float(0),
      last_updated: date(),
      other_config: smap(true),
    },
  },
  Bond: {
    name: 'Bond',
    fields: {
      uuid: str(),
      master: ref('PIF'),
      slaves: refs('PIF'),
      mode: enm(['balance-slb', 'active-backup', 'lacp'], 'balance-slb'),
      primary_slave: ref('PIF'),
      properties: smap(),
      links_up: int(0),
      other_config: smap(true),
    },
  },
  VLAN: {
    name: 'VLAN',
    fields: {
      uuid: str(),
      tagged_PIF: ref('PIF'),
      untagged_PIF: ref('PIF'),
      tag: int(-1),
      other_config: smap(true),
    },
  },
  VM: {
    name: 'VM',
    fields: {
      ...named,
      power_state: enm(['Halted', 'Paused', 'Running', 'Suspended'], 'Halted'),
      is_a_template: bool(false),
      is_control_domain: bool(false),
      resident_on: ref('host'),
      scheduled_to_be_resident_on: ref('host'),
      affinity: ref('host', true),
      domid: int(-1),
      domain_type: enm(['hvm', 'pv', 'pv_in_pvh', 'pvh', 'unspecified'], 'pv'),
      HVM_boot_policy: str(true),
      VIFs: refs('VIF'),
      other_config: smap(true),
      platform: smap(true),
      tags: strings(true),
      memory_static_max: int(268435456),
      VCPUs_max: int(1),
      allowed_operations: strings(),
      current_operations: opsMap(),
    },
  },
  VIF: {
    name: 'VIF',
    fields: {
      uuid: str(),
      device: str(),
      network: ref('network'),
      VM: ref('VM'),
      MAC: str(),
      MAC_autogenerated: bool(false),
      MTU: int(1500),
      currently_attached: bool(false),
      status_code: int(0),
      status_detail: str(),
      locking_mode: enm(['network_default', 'locked', 'unlocked', 'disabled'], 'network_default', true),
      ipv4_allowed: strings(),
      ipv6_allowed: strings(),
      qos_algorithm_type: str(true),
      qos_algorithm_params: smap(true),
      other_config: smap(true),
      allowed_operations: strings(),
      current_operations: opsMap(),
    },
  },
  task: {
    name: 'task',
    fields: {
      ...named,
      created: date(),
      finished: date(),
      status: enm(['pending', 'success', 'failure', 'cancelling', 'cancelled'], 'pending'),
      resident_on: ref('host'),
      progress: float(0),
      type: str(),
      result: str(),
      error_info: strings(),
      other_config: smap(true),
      subtask_of: ref('task'),
      subtasks: refs('task'),
      backtrace: str(),
      allowed_operations: strings(),
      current_operations: opsMap(),
    },
  },
}

/** Classes with a name_label, i.e. with `get_by_name_label`. */
export function hasNameLabel(cls: string): boolean {
  return CLASSES[cls]?.fields.name_label !== undefined
}

/** A complete record of `cls` with XAPI's defaults, overridden by `fields`. */
export function defaultRecord(cls: string, fields: XapiRecord = {}): XapiRecord {
  const spec = CLASSES[cls]
  if (spec === undefined) throw new Error(`unknown class ${cls}`)
  const record: XapiRecord = {}
  for (const [name, field] of Object.entries(spec.fields)) record[name] = field.default()
  for (const [name, value] of Object.entries(fields)) {
    if (spec.fields[name] === undefined) throw new Error(`class ${cls} has no field ${name}`)
    record[name] = value
  }
  return record
}
