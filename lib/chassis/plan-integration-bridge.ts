/**
 * Pure: the integration bridge the host agent (and configure) makes in the experimental
 * integration modes (keys.ts INTEGRATION_MODES), when it does not exist.
 *
 * Why someone has to make it: in `unmanaged` mode the VIFs' XAPI network is `managed=false`
 * with `bridge=br-int`, and XAPI never creates such a bridge: `attach_internal` only asks
 * networkd whether it exists and raises BRIDGE_NOT_AVAILABLE otherwise, so a VM cannot start
 * and a VIF cannot plug on a host without it (xapi-project/xen-api ocaml/xapi/xapi_network.ml;
 * docs/platform.md "Unmanaged networks"). conf.db is on tmpfs, so after every boot br-int is
 * gone until someone makes it (xapi-ovn-br-int.service runs the agent's one-shot before xapi).
 * In `reconcile` mode VIFs land on XAPI's bridge and are moved to br-int (plan-port-moves.ts),
 * which must exist too. ovn-controller would make it itself, but only once it runs, and it
 * waits (ovn-wait-bridge) for a bridge with a network's ids.
 *
 * The bridge made: its own internal port, `fail_mode=secure` (what ovn-controller forces on its
 * integration bridge anyway: no window in which it floods), the datapath type configure was
 * given for ovn-controller's bridges (`ovn-bridge-datapath-type`, else the default), and the
 * ids networkd and ovs-xapi-sync give the bridge of a network (`xs-network-uuids`, `bridge-id`:
 * the VIFs' network) plus `xapi-ovn-integration-mode`, so configure, ovn-wait-bridge and verify
 * judge it like XAPI's bridge and anyone can see who made it. The write is guarded by a `wait`
 * that no bridge of that name exists (an ovn-controller or a second agent making it first).
 */
import type { ConfigureRequest } from './configure-args.js'
import {
  type IntegrationMode,
  BRIDGE_ID_KEY,
  DEFAULT_INTEGRATION_MODE,
  isIntegrationMode,
  KEY_BRIDGE,
  MODE_KEY,
  NETWORK_KEY,
  SAVED_KEY,
  XS_NETWORK_UUIDS_KEY,
} from './keys.js'
import { type ChassisSnapshot, findBridge } from './model.js'
import type { BridgeRemoval } from './plan-repair.js'

export interface IntegrationBridgeRequest {
  readonly bridge: string
  readonly networkUuid: string
  readonly mode: IntegrationMode
  /** `ovn-bridge-datapath-type` as configured; absent: Open vSwitch's default (system). */
  readonly datapathType?: string
}

export interface IntegrationBridgePlan {
  readonly ovsUuid: string
  readonly bridge: string
  readonly datapathType: string
  readonly externalIds: Readonly<Record<string, string>>
}

/** The bridge to make, or null: the default mode, or the bridge exists already (left as it is). */
export function planIntegrationBridge(
  s: ChassisSnapshot,
  request: IntegrationBridgeRequest,
): IntegrationBridgePlan | null {
  if (request.mode === DEFAULT_INTEGRATION_MODE || request.bridge === '') return null
  if (findBridge(s, request.bridge) !== undefined) return null
  return {
    ovsUuid: s.ovs.uuid,
    bridge: request.bridge,
    datapathType: request.datapathType ?? '',
    externalIds: {
      [XS_NETWORK_UUIDS_KEY]: request.networkUuid,
      [BRIDGE_ID_KEY]: request.networkUuid,
      [MODE_KEY]: request.mode,
    },
  }
}

/**
 * Undo planIntegrationBridge after a configure that made the bridge was refused (all or nothing):
 * the bridge is removed only while it is still exactly what we made, its own internal port and
 * nothing else (a VIF plugged or ovn-controller's patch ports meanwhile keep it). Null: leave it.
 */
export function planUndoIntegrationBridge(s: ChassisSnapshot, made: IntegrationBridgePlan): BridgeRemoval | null {
  const b = findBridge(s, made.bridge)
  if (b === undefined || b.portUuids.length !== 1) return null
  const own = s.ports.find((p) => p.uuid === b.portUuids[0])
  if (own === undefined || own.name !== made.bridge) return null
  if (b.externalIds.get(MODE_KEY) !== made.externalIds[MODE_KEY]) return null
  return { name: b.name, uuid: b.uuid, ports: [own.name], portUuids: b.portUuids }
}

/** The bridge a configure request (or the persisted one) of an experimental mode needs. */
export function bridgeRequestOf(request: ConfigureRequest): IntegrationBridgeRequest | null {
  if (request.integrationMode === undefined || request.networkUuid === null) return null
  const datapathType = request.keys.get(DATAPATH_TYPE_KEY)
  return {
    bridge: request.keys.get(KEY_BRIDGE) ?? '',
    networkUuid: request.networkUuid,
    mode: request.integrationMode,
    ...(datapathType !== undefined ? { datapathType } : {}),
  }
}

/** The bridge a configured chassis (its Open_vSwitch external_ids) of an experimental mode needs. */
export function bridgeRequestOfChassis(s: ChassisSnapshot): IntegrationBridgeRequest | null {
  const ext = s.ovs.externalIds
  const mode = ext.get(MODE_KEY)
  const network = ext.get(NETWORK_KEY)
  if (!ext.has(SAVED_KEY) || mode === undefined || !isIntegrationMode(mode) || network === undefined) return null
  const datapathType = ext.get(DATAPATH_TYPE_KEY)
  return {
    bridge: ext.get(KEY_BRIDGE) ?? '',
    networkUuid: network,
    mode,
    ...(datapathType !== undefined ? { datapathType } : {}),
  }
}

/** ovn-controller's key for the datapath type of the bridges it makes (ovn-controller(8)). */
const DATAPATH_TYPE_KEY = 'ovn-bridge-datapath-type'
