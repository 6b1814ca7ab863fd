/**
 * The XAPI network whose bridge is every host's OVN integration bridge: find it (by uuid or
 * name_label, default `ovn-int`), or create it; give it other_config
 * `vswitch-controller-fail-mode=secure` so XAPI creates its bridges in OVN's fail mode; make its
 * bridge exist on a host (`network.attach`) before ovn-controller is pointed at it.
 *
 * Only that one other_config key is ever written (remove_from/add_to_other_config), so keys set
 * by others are never clobbered.
 */
import { OvnNetworkError } from './errors.js'
import { bridgeName, isUuid } from '../chassis/validators.js'
import { DEFAULT_INTEGRATION_BRIDGE, type IntegrationMode } from '../chassis/keys.js'
import type { XapiPool } from './connection.js'
import { parseNetwork, parseRef, type NetworkRecord } from './records.js'

export const DEFAULT_NETWORK_NAME = 'ovn-int'
export const FAIL_MODE_KEY = 'vswitch-controller-fail-mode'
export const NETWORK_DESCRIPTION = 'OVN integration bridge (managed by xapi-ovn)'
/**
 * The unmanaged mode's network (issue 12, experimental): `managed=false`, `bridge=br-int`. XAPI
 * never makes or removes br-int; it checks that it exists (BRIDGE_NOT_AVAILABLE) and plugs VIFs
 * into it (ocaml/xapi/xapi_network.ml attach_internal); the host agent makes it.
 */
export const UNMANAGED_BRIDGE = DEFAULT_INTEGRATION_BRIDGE

/** The network found, or the name a new one would get. */
export type NetworkSelection = { readonly found: NetworkRecord } | { readonly create: string }

/**
 * Pure: pick the OVN network among `networks`. A uuid must exist; a name matching nothing means
 * "create it"; a name matching several, or a network with PIFs (not internal), is refused.
 */
export function selectNetwork(
  networks: ReadonlyMap<string, NetworkRecord>,
  selector: string = DEFAULT_NETWORK_NAME,
  mode?: IntegrationMode,
): NetworkSelection {
  const all = [...networks.values()]
  if (isUuid(selector)) {
    const n = all.find((x) => x.uuid === selector)
    if (n === undefined) throw new OvnNetworkError(selector, 'no network of this pool has this uuid')
    return { found: checkMode(checkUsable(n), mode) }
  }
  if (selector === '') throw new OvnNetworkError(selector, 'empty network name')
  const named = all.filter((x) => x.nameLabel === selector)
  if (named.length > 1)
    throw new OvnNetworkError(
      selector,
      `${named.length} networks have this name (${named.map((n) => n.uuid).join(', ')}): give the uuid`,
    )
  const n = named[0]
  return n === undefined ? { create: selector } : { found: checkMode(checkUsable(n), mode) }
}

/**
 * setup's mode and the network must agree: the unmanaged mode needs an unmanaged network on
 * br-int, the others a managed one (whose bridge XAPI makes). No mode (verify, status,
 * teardown): any.
 */
function checkMode(n: NetworkRecord, mode: IntegrationMode | undefined): NetworkRecord {
  if (mode === undefined) return n
  const unmanaged = n.managed === false
  if (mode === 'unmanaged' && !(unmanaged && n.bridge === UNMANAGED_BRIDGE))
    throw new OvnNetworkError(
      label(n),
      `the unmanaged integration mode needs an unmanaged network on ${UNMANAGED_BRIDGE} (managed=false, bridge=${UNMANAGED_BRIDGE}); this one is ${unmanaged ? 'unmanaged' : 'managed'} on ${n.bridge}: name another --network`,
    )
  if (mode !== 'unmanaged' && unmanaged)
    throw new OvnNetworkError(
      label(n),
      `it is an unmanaged network (XAPI never makes its bridge ${n.bridge}): only --integration-mode unmanaged uses one`,
    )
  return n
}

/** Pure: like selectNetwork, but never plans a creation (verify, status, teardown). */
export function findNetwork(
  networks: ReadonlyMap<string, NetworkRecord>,
  selector: string = DEFAULT_NETWORK_NAME,
): NetworkRecord | null {
  const s = selectNetwork(networks, selector)
  return 'found' in s ? s.found : null
}

function label(n: NetworkRecord): string {
  return n.nameLabel === '' ? n.uuid : `${n.nameLabel} (${n.uuid})`
}

function checkUsable(n: NetworkRecord): NetworkRecord {
  if (n.pifs.length > 0)
    throw new OvnNetworkError(
      label(n),
      `it has ${n.pifs.length} PIF(s): OVN needs an internal network, without any physical port on its bridge`,
    )
  const reason = bridgeName(n.bridge)
  if (reason !== null)
    throw new OvnNetworkError(label(n), `its bridge ${JSON.stringify(n.bridge)} is unusable: ${reason}`)
  return n
}

export function hasSecureFailMode(n: NetworkRecord): boolean {
  return n.otherConfig[FAIL_MODE_KEY] === 'secure'
}

export interface EnsuredNetwork {
  readonly network: NetworkRecord
  readonly created: boolean
  /** The fail-mode key was added (or changed from this previous value, null when absent). */
  readonly failModeSet: boolean
  readonly previousFailMode: string | null
}

/** Create the network when needed and make its fail mode secure. */
export async function ensureNetwork(
  pool: XapiPool,
  selection: NetworkSelection,
  mode?: IntegrationMode,
): Promise<EnsuredNetwork> {
  let network: NetworkRecord
  let created = false
  if (mode === 'unmanaged') {
    // No fail mode: XAPI never makes this bridge; the host agent makes it secure.
    if ('found' in selection) return { network: selection.found, created, failModeSet: false, previousFailMode: null }
    const ref = parseRef(
      'network',
      'network.create',
      await pool.call('network.create', {
        name_label: selection.create,
        name_description: `${NETWORK_DESCRIPTION}: unmanaged, br-int made by the host agent (experimental)`,
        MTU: 1500,
        other_config: {},
        tags: [],
        managed: false,
        bridge: UNMANAGED_BRIDGE,
      }),
    )
    network = parseNetwork(ref, await pool.call('network.get_record', ref))
    return { network, created: true, failModeSet: false, previousFailMode: null }
  }
  if ('create' in selection) {
    const ref = parseRef(
      'network',
      'network.create',
      await pool.call('network.create', {
        name_label: selection.create,
        name_description: NETWORK_DESCRIPTION,
        MTU: 1500,
        other_config: { [FAIL_MODE_KEY]: 'secure' },
        tags: [],
      }),
    )
    network = parseNetwork(ref, await pool.call('network.get_record', ref))
    created = true
  } else {
    network = selection.found
  }
  if (hasSecureFailMode(network)) return { network, created, failModeSet: false, previousFailMode: null }
  const previous = network.otherConfig[FAIL_MODE_KEY] ?? null
  if (previous !== null) await pool.call('network.remove_from_other_config', network.ref, FAIL_MODE_KEY)
  await pool.call('network.add_to_other_config', network.ref, FAIL_MODE_KEY, 'secure')
  network = parseNetwork(network.ref, await pool.call('network.get_record', network.ref))
  return { network, created, failModeSet: true, previousFailMode: previous }
}

/** Make the network's bridge exist on `hostRef` (xcp-networkd add-br, may-exist). */
export async function attachNetwork(pool: XapiPool, networkRef: string, hostRef: string): Promise<void> {
  await pool.call('network.attach', networkRef, hostRef)
}
