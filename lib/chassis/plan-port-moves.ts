/**
 * Pure: the `reconcile` integration mode (experimental; the seed's "Experimental fallback"):
 * which VIF ports the host agent moves from the OVN network's XAPI bridge to the integration
 * bridge (br-int), and the iface-ids they carry there, as ONE guarded transaction.
 *
 * xenopsd plugs every VIF onto its network's bridge (`del-port vifD.N -- add-port BRIDGE
 * vifD.N -- set Interface ... external-ids`, ocaml/xenopsd/scripts/common.py; docs/platform.md):
 * in this mode that is the XAPI bridge (xapiN), which ovn-controller does not use. The move
 * keeps the Port and Interface rows (their uuid, every Xen external_id: xs-vm-uuid, xs-vif-uuid,
 * xs-network-uuid, attached-mac) and only changes which Bridge refers to the Port; the same
 * transaction writes the iface-id the port must carry on the integration bridge
 * (plan-iface-ids.ts, with the HVM tap rule). xenopsd's unplug is `--if-exists del-port vifD.N`
 * by name, which finds the port on whatever bridge it is, so unplug and replug need nothing of
 * us; a replug puts a new port on XAPI's bridge and it is moved again.
 *
 * The rules:
 * - only when Open_vSwitch external_ids `xapi-ovn-integration-mode` is `reconcile`, the
 *   integration bridge (`ovn-bridge`) exists and `xapi-ovn-network-uuid` names the network;
 * - a port moves when it is a `vifD.N`/`tapD.N` port with one Interface whose `xs-network-uuid`
 *   is that network, on a bridge whose `xs-network-uuids` lists it (XAPI's bridge of it), not the
 *   integration bridge itself (which carries the same ids: plan-integration-bridge.ts);
 * - a port already on the integration bridge is left alone (idempotent); VIFs of any other
 *   network are XAPI's business.
 * The waits: each source bridge's `ports` is still what was read (a replug or unplug in between
 * changes it) and each iface-id's Interface external_ids are still what was read.
 */
import { KEY_BRIDGE, MODE_KEY, NETWORK_KEY, XS_NETWORK_UUID_KEY, XS_VIF_UUID_KEY } from './keys.js'
import { bridgePorts, byCodePoint, type ChassisSnapshot, findBridge } from './model.js'
import { xsNetworkUuids } from './plan-configure.js'
import { type IfaceIdChange, planIfaceIds } from './plan-iface-ids.js'

export interface SourceBridge {
  readonly uuid: string
  readonly name: string
  /** Its ports as read: the move holds only if they are still these. */
  readonly portUuids: readonly string[]
  /** The ports leaving it. */
  readonly moving: readonly string[]
}

export interface PortMovePlan {
  readonly integrationBridgeUuid: string
  readonly integrationBridge: string
  readonly sources: readonly SourceBridge[]
  /** The names of the ports moved, in name order (for the log). */
  readonly names: readonly string[]
  /** The iface-ids the moved ports need on the integration bridge (in the same transaction). */
  readonly ifaceIds: readonly IfaceIdChange[]
}

/** The moves to make, or null when there is nothing to move (or the mode is not reconcile). */
export function planPortMoves(s: ChassisSnapshot): PortMovePlan | null {
  const ext = s.ovs.externalIds
  if (ext.get(MODE_KEY) !== 'reconcile') return null
  const network = ext.get(NETWORK_KEY) ?? ''
  const integration = findBridge(s, ext.get(KEY_BRIDGE) ?? '')
  if (network === '' || integration === undefined) return null

  const sources: SourceBridge[] = []
  const moved = new Set<string>()
  const names: string[] = []
  for (const b of s.bridges) {
    if (b.uuid === integration.uuid || !xsNetworkUuids(b.externalIds).includes(network)) continue
    const moving: string[] = []
    for (const p of bridgePorts(s, b)) {
      if (p.kind !== 'vif' && p.kind !== 'tap') continue
      const iface = p.interfaces[0]
      if (iface === undefined || iface.externalIds.get(XS_NETWORK_UUID_KEY) !== network) continue
      if (!iface.externalIds.has(XS_VIF_UUID_KEY)) continue
      moving.push(p.port.uuid)
      moved.add(p.port.uuid)
      names.push(p.port.name)
    }
    if (moving.length > 0) sources.push({ uuid: b.uuid, name: b.name, portUuids: b.portUuids, moving })
  }
  if (sources.length === 0) return null

  // The iface-ids as they must be once the ports are on the integration bridge: plan them on
  // the snapshot as it will be, and keep the changes of the moved ports' interfaces (the others
  // are the agent's usual pass, which runs on the next change).
  const after: ChassisSnapshot = {
    ...s,
    bridges: s.bridges.map((b) =>
      b.uuid === integration.uuid
        ? { ...b, portUuids: [...b.portUuids, ...moved] }
        : { ...b, portUuids: b.portUuids.filter((u) => !moved.has(u)) },
    ),
  }
  const movedInterfaces = new Set(s.ports.filter((p) => moved.has(p.uuid)).flatMap((p) => p.interfaceUuids))
  const ifaceIds = planIfaceIds(after, { defaultBridge: integration.name }).changes.filter((c) =>
    movedInterfaces.has(c.interfaceUuid),
  )
  return {
    integrationBridgeUuid: integration.uuid,
    integrationBridge: integration.name,
    sources,
    names: names.sort(byCodePoint),
    ifaceIds,
  }
}
