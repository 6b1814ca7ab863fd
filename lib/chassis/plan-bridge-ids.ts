/**
 * Pure: give XAPI's ids back to an integration bridge that ovn-controller re-created.
 *
 * The trap (docs/platform.md, "XAPI re-creates its bridges only on demand"): when the last VIF of
 * an internal network leaves a host and `ovs-vsctl list-ifaces` is empty (no tunnel port yet: a
 * one-host pool, or no peer chassis), xapi destroys the bridge; ovn-controller, whose
 * `ovn-bridge` names it, re-creates it at once, without `xs-network-uuids`; and xapi never
 * touches a bridge that already exists again (`create_internal_bridge`), so the bridge stays
 * "not XAPI's" for good: verify's bridge.xapi fails and configure refuses it.
 *
 * What the host can repair: when configure was told the network (`xapi-ovn-network-uuid`), the
 * bridge named by `ovn-bridge` exists with no `xs-network-uuids`, the plan writes that network's
 * uuid there (and `bridge-id`, as ovs-xapi-sync would) — the ids xcp-networkd would have given it.
 * A bridge that carries another network's ids is never touched: that is an operator's mistake.
 */
import { BRIDGE_ID_KEY, KEY_BRIDGE, NETWORK_KEY, XS_NETWORK_UUIDS_KEY } from './keys.js'
import { type ChassisSnapshot, findBridge } from './model.js'
import { xsNetworkUuids } from './plan-configure.js'

export interface BridgeIdsRepair {
  readonly bridgeUuid: string
  readonly bridge: string
  /** The bridge's external_ids as read: the write holds only if they are still these. */
  readonly expected: ReadonlyMap<string, string>
  readonly set: Readonly<Record<string, string>>
}

export function planBridgeIds(s: ChassisSnapshot): BridgeIdsRepair | null {
  const name = s.ovs.externalIds.get(KEY_BRIDGE) ?? ''
  const network = s.ovs.externalIds.get(NETWORK_KEY) ?? ''
  if (name === '' || network === '') return null
  const bridge = findBridge(s, name)
  if (bridge === undefined || xsNetworkUuids(bridge.externalIds).length > 0) return null
  return {
    bridgeUuid: bridge.uuid,
    bridge: name,
    expected: bridge.externalIds,
    set: { [XS_NETWORK_UUIDS_KEY]: network, [BRIDGE_ID_KEY]: network },
  }
}
