/**
 * Pure: from a snapshot of the local OVSDB, the host's facts and a validated request, compute
 * what configure changes in Open_vSwitch external_ids, or throw a coded error. Nothing else of
 * Open_vSwitch, Bridge, Port or Interface is ever written.
 *
 * Configure is declarative over the keys xapi-ovn owns: a key given now gets its value; a key
 * xapi-ovn set earlier but not given now goes back to the value it had before xapi-ovn first set
 * it. The first value of every owned key is kept in external_ids:xapi-ovn-saved for unconfigure.
 */
import { InvalidArgumentError } from '../errors.js'
import { BridgeMissingError, BridgeNotXapiError, SystemIdMismatchError } from './errors.js'
import type { ConfigureRequest } from './configure-args.js'
import { planExternalIds, readSaved, serializeSaved, type ExternalIdsPlan } from './external-ids-write.js'
import {
  KEY_BRIDGE,
  KEY_BRIDGE_MAPPINGS,
  KEY_ENCAP_IP,
  MODE_KEY,
  NETWORK_KEY,
  SAVED_KEY,
  SYSTEM_ID_KEY,
  XS_NETWORK_UUIDS_KEY,
} from './keys.js'
import { findBridge, type ChassisSnapshot, type SavedValues } from './model.js'
import { parseMappings } from './validators.js'

export interface HostFacts {
  /** INSTALLATION_UUID from the host inventory. */
  readonly hostUuid: string
  /** Every IP address configured on this host. */
  readonly localAddresses: readonly string[]
}

export type ConfigurePlan = ExternalIdsPlan

export function planConfigure(snapshot: ChassisSnapshot, request: ConfigureRequest, host: HostFacts): ConfigurePlan {
  const ext = snapshot.ovs.externalIds
  const bridgeName = request.keys.get(KEY_BRIDGE) ?? ''
  checkIntegrationBridge(snapshot, bridgeName, request.networkUuid)
  const mappedBridges = parseMappings(request.keys.get(KEY_BRIDGE_MAPPINGS) ?? '').map((m) => m.bridge)
  for (const name of mappedBridges) {
    if (findBridge(snapshot, name) === undefined) throw new BridgeMissingError(name)
  }
  const encapIp = request.keys.get(KEY_ENCAP_IP) ?? ''
  if (!host.localAddresses.some((a) => sameAddress(a, encapIp))) {
    throw new InvalidArgumentError(KEY_ENCAP_IP, encapIp, 'not an address of this host')
  }

  const saved = readSaved(ext)
  const desired = new Map(request.keys)
  const systemId = ext.get(SYSTEM_ID_KEY)
  if (systemId === undefined || systemId === '') desired.set(SYSTEM_ID_KEY, host.hostUuid)
  else if (systemId !== host.hostUuid) {
    if (!request.forceSystemId) throw new SystemIdMismatchError(systemId, host.hostUuid)
    desired.set(SYSTEM_ID_KEY, host.hostUuid)
  } else if (SYSTEM_ID_KEY in saved) {
    // Already the host UUID because an earlier configure set it: it is still ours and still
    // wanted. Leaving it out of `desired` would make the loop below give it back its saved value
    // (absent, or the id force-system-id replaced), so every other identical call would undo
    // the one before.
    desired.set(SYSTEM_ID_KEY, host.hostUuid)
  }
  if (request.networkUuid !== null) desired.set(NETWORK_KEY, request.networkUuid)
  // A non-default integration mode is recorded (the host agent and verify read it); the default
  // writes nothing, so a chassis of the XAPI-bridge way is exactly what it was before issue 12.
  if (request.integrationMode !== undefined) desired.set(MODE_KEY, request.integrationMode)

  const nextSaved: SavedValues = {}
  const wanted = new Map<string, string | null>()
  for (const [key, value] of desired) {
    nextSaved[key] = key in saved ? (saved[key] ?? null) : (ext.get(key) ?? null)
    wanted.set(key, value)
  }
  for (const [key, previous] of Object.entries(saved)) {
    if (!desired.has(key)) wanted.set(key, previous)
  }
  const shown = [...wanted.keys()].sort()
  wanted.set(SAVED_KEY, serializeSaved(nextSaved))

  return planExternalIds(snapshot.ovs.uuid, ext, wanted, shown, [bridgeName, ...mappedBridges])
}

/** The integration bridge must exist and be XAPI's: never one we or ovn-controller made. */
export function checkIntegrationBridge(snapshot: ChassisSnapshot, name: string, networkUuid: string | null): void {
  const bridge = findBridge(snapshot, name)
  if (bridge === undefined) throw new BridgeMissingError(name)
  const networks = xsNetworkUuids(bridge.externalIds)
  if (networks.length === 0) {
    throw new BridgeNotXapiError(
      name,
      'it has no external_ids:xs-network-uuids, so XAPI did not create it (ovn-controller creates bridges without XAPI ids)',
    )
  }
  if (networkUuid !== null && !networks.includes(networkUuid)) {
    throw new BridgeNotXapiError(name, `it belongs to XAPI network ${networks.join(';')}, not ${networkUuid}`)
  }
}

export function xsNetworkUuids(externalIds: ReadonlyMap<string, string>): string[] {
  return (externalIds.get(XS_NETWORK_UUIDS_KEY) ?? '').split(';').filter((u) => u !== '')
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}
