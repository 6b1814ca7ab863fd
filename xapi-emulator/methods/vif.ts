/**
 * VIF.create (XAPI's defaults, device and MAC checks), VIF.destroy, VIF.plug, VIF.unplug(_force),
 * and the allowed-address calls (set_/add_/remove_ipv4_allowed and ipv6): ipv4_allowed and
 * ipv6_allowed are read-only fields with hand-written setters in XAPI (xapi-project/xen-api
 * `ocaml/idl/datamodel.ml` VIF, `ocaml/xapi/xapi_vif.ml`), so class-fields.ts does not make them.
 */
import { isIP } from 'node:net'
import { Codes, XapiApiError } from '../api-error.js'
import type { Database } from '../database.js'
import { randomMac } from '../random-mac.js'
import { T, type FieldType } from '../schema.js'
import { readValue } from '../unmarshal.js'
import type { XapiRecord, XapiValue } from '../values.js'
import type { VmDevices } from '../vm-devices.js'
import { num, str, type MethodRegistry } from './registry.js'

/**
 * `Helpers.assert_is_valid_ip_addr` (ocaml/xapi/helpers.ml): an address of that family, or a CIDR
 * of it; anything else is INVALID_IP_ADDRESS_SPECIFIED [field].
 */
function assertAllowedAddress(family: 4 | 6, field: string, value: string): void {
  const [addr = '', prefix, ...rest] = value.split('/')
  const max = family === 4 ? 32 : 128
  const okPrefix = prefix === undefined || (/^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= max)
  if (isIP(addr) !== family || !okPrefix || rest.length > 0)
    throw new XapiApiError(Codes.INVALID_IP_ADDRESS_SPECIFIED, [field])
}

/** `Listext.setify` (xapi-stdext listext.ml): duplicates dropped, the last of each kept in order. */
function setify(values: readonly string[]): string[] {
  return values.filter((v, i) => !values.includes(v, i + 1))
}

function defineAllowedAddresses(registry: MethodRegistry, db: Database, family: 4 | 6): void {
  const field = `ipv${family}_allowed`
  const self = { name: 'self', type: T.ref('VIF') }
  const current = (ref: string): string[] => (db.field('VIF', ref, field) as XapiValue[]).map((v) => str(v))
  registry.define(`VIF.set_${field}`, {
    session: true,
    async: false,
    params: [self, { name: 'value', type: T.strings }],
    run: (_c, [ref, value]) => {
      const addrs = setify((value as XapiValue[]).map((v) => str(v)))
      for (const a of addrs) assertAllowedAddress(family, field, a)
      db.set('VIF', str(ref), { [field]: addrs })
    },
  })
  registry.define(`VIF.add_${field}`, {
    session: true,
    async: false,
    params: [self, { name: 'value', type: T.string }],
    run: (_c, [ref, value]) => {
      assertAllowedAddress(family, field, str(value))
      const now = current(str(ref))
      if (!now.includes(str(value))) db.set('VIF', str(ref), { [field]: [...now, str(value)] })
    },
  })
  registry.define(`VIF.remove_${field}`, {
    session: true,
    async: false,
    params: [self, { name: 'value', type: T.string }],
    run: (_c, [ref, value]) => {
      db.set('VIF', str(ref), { [field]: current(str(ref)).filter((v) => v !== str(value)) })
    },
  })
}

export function registerVifMethods<Guest>(
  registry: MethodRegistry,
  { db, devices }: { db: Database; devices: VmDevices<Guest> },
): void {
  registry.define('VIF.create', {
    session: true,
    async: true,
    params: [{ name: 'args', type: { kind: 'struct' } }],
    run: (_c, [record]) => vifCreate(db, record as XapiRecord),
  })
  registry.define('VIF.destroy', {
    session: true,
    async: true,
    params: [{ name: 'self', type: T.ref('VIF') }],
    run: (_c, [ref]) => {
      if (db.field('VIF', str(ref), 'currently_attached') === true) {
        throw new XapiApiError(Codes.OPERATION_NOT_ALLOWED, ['VIF is currently attached'])
      }
      db.delete('VIF', str(ref))
    },
  })
  registry.define('VIF.plug', {
    session: true,
    async: true,
    params: [{ name: 'self', type: T.ref('VIF') }],
    run: async (_c, [ref]) => {
      const vif = db.get('VIF', str(ref))
      if (vif.currently_attached === true) throw new XapiApiError(Codes.DEVICE_ALREADY_ATTACHED, [str(ref)])
      const vm = str(vif.VM)
      devices.requirePowerState(vm, 'Running')
      const h = devices.liveHost(str(db.field('VM', vm, 'resident_on')))
      await devices.plugVif(h, str(ref))
    },
  })
  defineAllowedAddresses(registry, db, 4)
  defineAllowedAddresses(registry, db, 6)
  for (const name of ['VIF.unplug', 'VIF.unplug_force']) {
    registry.define(name, {
      session: true,
      async: true,
      params: [{ name: 'self', type: T.ref('VIF') }],
      run: async (_c, [ref]) => {
        const vif = db.get('VIF', str(ref))
        if (vif.currently_attached !== true) throw new XapiApiError(Codes.DEVICE_ALREADY_DETACHED, [str(ref)])
        const h = devices.liveHost(str(db.field('VM', str(vif.VM), 'resident_on')))
        await devices.unplugVif(h, str(ref))
      },
    })
  }
}

function vifCreate(db: Database, record: XapiRecord): string {
  const required = (name: string, type: FieldType): XapiValue => {
    const value = record[name]
    if (value === undefined)
      throw new XapiApiError(Codes.INTERNAL_ERROR, [`Server_helpers.Dispatcher_FieldNotFound("${name}")`])
    return readValue(name, type, value)
  }
  const optional = (name: string, type: FieldType, fallback: XapiValue): XapiValue =>
    record[name] === undefined ? fallback : readValue(name, type, record[name] as XapiValue)
  const device = str(required('device', T.string))
  const network = str(required('network', T.ref('network')))
  const vm = str(required('VM', T.ref('VM')))
  db.row('network', network)
  db.row('VM', vm)
  if (!/^[0-9]+$/.test(device)) throw new XapiApiError(Codes.INVALID_VALUE, ['device', device])
  const siblings = (db.field('VM', vm, 'VIFs') as string[]).map((v) => db.field('VIF', v, 'device'))
  if (siblings.includes(device)) throw new XapiApiError(Codes.DEVICE_ALREADY_EXISTS, [device])
  let MAC = str(optional('MAC', T.string, ''))
  const MAC_autogenerated = MAC === ''
  if (MAC_autogenerated) MAC = randomMac()
  return db.create('VIF', {
    device,
    network,
    VM: vm,
    MAC,
    MAC_autogenerated,
    MTU: optional('MTU', T.int, num(db.field('network', network, 'MTU'))),
    other_config: optional('other_config', T.stringMap, {}),
    qos_algorithm_type: optional('qos_algorithm_type', T.string, ''),
    qos_algorithm_params: optional('qos_algorithm_params', T.stringMap, {}),
    locking_mode: optional(
      'locking_mode',
      T.enum('network_default', 'locked', 'unlocked', 'disabled'),
      'network_default',
    ),
    ipv4_allowed: optional('ipv4_allowed', T.strings, []),
    ipv6_allowed: optional('ipv6_allowed', T.strings, []),
  })
}
