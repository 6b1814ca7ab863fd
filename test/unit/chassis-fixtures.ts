/**
 * Hand-built snapshots of a host's Open_vSwitch database, shaped the way xcp-networkd, xenopsd,
 * ovs-xapi-sync and ovn-controller leave it (docs/platform.md), for the pure chassis rules.
 */
import type { BridgeRow, ChassisSnapshot, InterfaceRow, PortRow } from '../../lib/chassis/model.js'

export const HOST_UUID = '8b7b4f9e-2f0a-4c1e-9d55-0a1b2c3d4e5f'
export const NET_UUID = 'c0ffee00-1111-4222-8333-444455556666'
export const MGMT_NET = 'aaaaaaaa-1111-4222-8333-444455556666'
export const VIF_UUID = 'f1f1f1f1-0000-4000-8000-000000000001'
export const VM_UUID = 'e0e0e0e0-0000-4000-8000-000000000001'

let counter = 0
const id = () => `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`

export class SnapshotBuilder {
  ovsExt = new Map<string, string>([['system-id', HOST_UUID]])
  bridges: BridgeRow[] = []
  ports: PortRow[] = []
  interfaces: InterfaceRow[] = []
  readonly ovsUuid = id()

  bridge(name: string, opts: { ext?: Record<string, string>; failMode?: string | null } = {}): this {
    const iface: InterfaceRow = { uuid: id(), name, type: 'internal', externalIds: new Map(), options: new Map() }
    const port: PortRow = { uuid: id(), name, interfaceUuids: [iface.uuid], externalIds: new Map() }
    this.interfaces.push(iface)
    this.ports.push(port)
    this.bridges.push({
      uuid: id(),
      name,
      externalIds: new Map(Object.entries(opts.ext ?? {})),
      failMode: opts.failMode === undefined ? 'standalone' : opts.failMode,
      datapathType: 'netdev',
      portUuids: [port.uuid],
    })
    return this
  }

  /** A bridge made the way xcp-networkd and ovs-xapi-sync make one. */
  xapiBridge(name: string, network: string, failMode = 'secure'): this {
    return this.bridge(name, { ext: { 'xs-network-uuids': network, 'bridge-id': network }, failMode })
  }

  port(
    bridge: string,
    name: string,
    type: string,
    ifaceExt: Record<string, string> = {},
    portExt: Record<string, string> = {},
  ): this {
    const iface: InterfaceRow = {
      uuid: id(),
      name,
      type,
      externalIds: new Map(Object.entries(ifaceExt)),
      options: new Map(),
    }
    const port: PortRow = {
      uuid: id(),
      name,
      interfaceUuids: [iface.uuid],
      externalIds: new Map(Object.entries(portExt)),
    }
    this.interfaces.push(iface)
    this.ports.push(port)
    const i = this.bridges.findIndex((b) => b.name === bridge)
    const b = this.bridges[i]
    if (b === undefined) throw new Error(`no bridge ${bridge}`)
    this.bridges[i] = { ...b, portUuids: [...b.portUuids, port.uuid] }
    return this
  }

  /** A VIF plugged by xenopsd, with the iface-id the host agent gives it. */
  vif(bridge: string, name: string, vifUuid: string, extra: Record<string, string> = {}): this {
    return this.port(bridge, name, '', {
      'xs-vif-uuid': vifUuid,
      'xs-vm-uuid': VM_UUID,
      'xs-network-uuid': NET_UUID,
      'attached-mac': '02:00:00:00:00:01',
      'iface-id': vifUuid,
      ...extra,
    })
  }

  /** Take keys out of the Open_vSwitch external_ids. */
  dropExt(...keys: string[]): this {
    for (const k of keys) this.ovsExt.delete(k)
    return this
  }

  ext(values: Record<string, string>): this {
    for (const [k, v] of Object.entries(values)) this.ovsExt.set(k, v)
    return this
  }

  build(): ChassisSnapshot {
    return {
      ovs: { uuid: this.ovsUuid, externalIds: new Map(this.ovsExt) },
      bridges: [...this.bridges],
      ports: [...this.ports],
      interfaces: [...this.interfaces],
    }
  }
}

/** A host as XAPI leaves it before xapi-ovn: xenbr0 with its uplink, the OVN network attached. */
export function xapiHost(): SnapshotBuilder {
  return new SnapshotBuilder()
    .xapiBridge('xenbr0', MGMT_NET, 'standalone')
    .port('xenbr0', 'eth0', '')
    .xapiBridge('xapi3', NET_UUID)
}

export const FACTS = { hostUuid: HOST_UUID, localAddresses: ['127.0.0.1', '192.0.2.21'] }
