/**
 * fn=status: what this chassis looks like now: the ovn-controller keys, what xapi-ovn owns, the
 * integration bridge, its ports with their XAPI ids and binding state, and ovn-controller.
 */
import { localAddresses, readHostUuid } from '../../lib/chassis/host-facts.js'
import { readSaved } from '../../lib/chassis/external-ids-write.js'
import {
  ATTACHED_MAC_KEY,
  BRIDGE_ID_KEY,
  CHASSIS_KEYS,
  IFACE_ID_KEY,
  KEY_BRIDGE,
  OVN_INSTALLED_KEY,
  SYSTEM_ID_KEY,
  XS_VIF_UUID_KEY,
  XS_VM_UUID_KEY,
} from '../../lib/chassis/keys.js'
import { bridgePorts, findBridge } from '../../lib/chassis/model.js'
import { readSnapshot } from '../../lib/chassis/ovsdb-io.js'
import { probeController } from '../../lib/chassis/controller-probe.js'
import { xsNetworkUuids } from '../../lib/chassis/plan-configure.js'
import type { ChassisStatus } from '../../lib/chassis/replies.js'
import type { PluginFunction } from '../context.js'
import { onlyArgs } from './args.js'
import { withLocalDb } from './local-db.js'

export const status: PluginFunction = async (args, ctx): Promise<ChassisStatus> => {
  onlyArgs(args, [])
  const hostUuid = await readHostUuid(ctx.paths.inventory)
  const s = await withLocalDb(ctx, readSnapshot)
  const ext = s.ovs.externalIds
  const keys: Record<string, string> = {}
  for (const k of [SYSTEM_ID_KEY, ...CHASSIS_KEYS.map((c) => c.name)]) {
    const v = ext.get(k)
    if (v !== undefined) keys[k] = v
  }
  const owned = Object.keys(readSaved(ext)).sort()
  const name = ext.get(KEY_BRIDGE) || null
  const bridge = name === null ? undefined : findBridge(s, name)
  const ports = bridge === undefined ? [] : bridgePorts(s, bridge).filter((p) => p.kind !== 'local')
  return {
    hostUuid,
    systemId: ext.get(SYSTEM_ID_KEY) ?? null,
    configured: owned.length > 0,
    keys,
    owned,
    addresses: localAddresses().filter((a) => a !== '127.0.0.1' && a !== '::1'),
    bridge:
      name === null
        ? null
        : {
            name,
            exists: bridge !== undefined,
            networkUuids: bridge ? xsNetworkUuids(bridge.externalIds) : [],
            bridgeId: bridge?.externalIds.get(BRIDGE_ID_KEY) ?? null,
            failMode: bridge?.failMode ?? null,
            datapathType: bridge?.datapathType ?? null,
          },
    ports: ports.map((p) => {
      const ids = p.interfaces[0]?.externalIds ?? new Map<string, string>()
      return {
        name: p.port.name,
        kind: p.kind,
        type: p.interfaces[0]?.type ?? '',
        ifaceId: ids.get(IFACE_ID_KEY) ?? null,
        vifUuid: ids.get(XS_VIF_UUID_KEY) ?? null,
        vmUuid: ids.get(XS_VM_UUID_KEY) ?? null,
        mac: ids.get(ATTACHED_MAC_KEY) ?? null,
        ifaceStatus: ids.get('iface-status') ?? null,
        ovnInstalled: ids.get(OVN_INSTALLED_KEY) === 'true',
      }
    }),
    controller: await probeController(ctx.paths.ovnRundir),
  }
}
