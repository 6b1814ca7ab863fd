/**
 * network.create (a free xapiN bridge unless one is given; `managed=false` with `bridge=NAME`
 * is a network whose bridge XAPI never makes or removes, see vm-devices.ts ensureBridge), network.destroy, network.attach,
 * network.set_default_locking_mode.
 */
import { Codes, XapiApiError } from '../api-error.js'
import type { Database } from '../database.js'
import { T, type FieldType } from '../schema.js'
import { readValue } from '../unmarshal.js'
import type { XapiRecord, XapiValue } from '../values.js'
import type { VmDevices } from '../vm-devices.js'
import { str, type MethodRegistry } from './registry.js'

export function registerNetworkMethods<Guest>(
  registry: MethodRegistry,
  { db, devices }: { db: Database; devices: VmDevices<Guest> },
): void {
  registry.define('network.create', {
    session: true,
    async: true,
    params: [{ name: 'args', type: { kind: 'struct' } }],
    run: (_c, [record]) => networkCreate(db, record as XapiRecord),
  })
  registry.define('network.destroy', {
    session: true,
    async: true,
    params: [{ name: 'self', type: T.ref('network') }],
    run: (_c, [ref]) => {
      const net = db.get('network', str(ref))
      const pifs = net.PIFs as string[]
      if (pifs.length > 0) throw new XapiApiError(Codes.NETWORK_CONTAINS_PIF, [JSON.stringify(pifs)])
      const attached = (net.VIFs as string[]).filter((v) => db.field('VIF', v, 'currently_attached') === true)
      if (attached.length > 0) throw new XapiApiError(Codes.NETWORK_CONTAINS_VIF, attached)
      for (const vif of net.VIFs as string[]) db.delete('VIF', vif)
      // Host bridges stay: network.destroy never removes them.
      db.delete('network', str(ref))
    },
  })
  registry.define('network.attach', {
    session: true,
    async: true,
    params: [
      { name: 'network', type: T.ref('network') },
      { name: 'host', type: T.ref('host') },
    ],
    run: async (_c, [network, host]) => {
      db.row('network', str(network))
      const h = devices.liveHost(str(host))
      await devices.ensureBridge(h, str(network))
    },
  })
  registry.define('network.set_default_locking_mode', {
    session: true,
    async: true,
    params: [
      { name: 'network', type: T.ref('network') },
      { name: 'value', type: T.enum('unlocked', 'disabled') },
    ],
    run: (_c, [network, value]) => {
      // ocaml/xapi/xapi_network.ml set_default_locking_mode: refused while a VIF on it is attached.
      const attached = (db.field('network', str(network), 'VIFs') as string[]).find(
        (v) => db.field('VIF', v, 'currently_attached') === true,
      )
      if (attached !== undefined) throw new XapiApiError(Codes.VIF_IN_USE, [str(network), attached])
      db.set('network', str(network), { default_locking_mode: str(value) })
    },
  })
}

/** xapi_network.ml `bridge_blacklist`: prefixes of the bridges xapi and xenopsd name themselves. */
const BRIDGE_BLACKLIST = ['xen', 'xapi', 'vif', 'tap', 'eth']

function networkCreate(db: Database, record: XapiRecord): string {
  const field = (name: string, type: FieldType, fallback?: XapiValue): XapiValue => {
    const value = record[name]
    if (value === undefined) {
      if (fallback === undefined) {
        throw new XapiApiError(Codes.INTERNAL_ERROR, [`Server_helpers.Dispatcher_FieldNotFound("${name}")`])
      }
      return fallback
    }
    return readValue(name, type, value)
  }
  const name_label = field('name_label', T.string)
  const name_description = field('name_description', T.string, '')
  const MTU = field('MTU', T.int, 1500)
  const other_config = field('other_config', T.stringMap, {})
  const tags = field('tags', T.strings, [])
  const managed = field('managed', T.bool, true)
  let bridge = str(field('bridge', T.string, ''))
  const used = new Set(db.all('network').map((r) => r.record.bridge))
  if (bridge === '') {
    let n = 0
    while (used.has(`xapi${n}`)) n++
    bridge = `xapi${n}`
  } else {
    // ocaml/xapi/xapi_network.ml create: a name given by a (non pool-internal) session must be a
    // Linux interface name (at most 15 characters) and not one of xapi's own stems.
    if (bridge.length > 15 || BRIDGE_BLACKLIST.some((stem) => bridge.startsWith(stem)))
      throw new XapiApiError(Codes.INVALID_VALUE, ['bridge', bridge])
    if (used.has(bridge)) throw new XapiApiError(Codes.BRIDGE_NAME_EXISTS, [bridge])
  }
  return db.create('network', { name_label, name_description, MTU, other_config, tags, managed, bridge })
}
