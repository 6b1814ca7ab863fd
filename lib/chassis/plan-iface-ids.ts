/**
 * Pure: which `external_ids:iface-id` every VIF port of the integration bridge should carry, and
 * the changes that get it there. The host agent runs this after every change of the local
 * Open_vSwitch database (host-agent/agent.ts).
 *
 * Why we write it at all: on XCP-ng 8.3 ovs-xapi-sync no longer sets iface-id and nothing in
 * xen-api does (docs/platform.md, "Nothing sets iface-id"); without it no VIF ever binds to its
 * logical switch port. xenopsd rewrites the port at every plug (del-port + add-port with only
 * xs-vm-uuid, xs-vif-uuid, xs-network-uuid, attached-mac), so the key is lost at every plug and
 * must be written again each time.
 *
 * The rules:
 * - Only the integration bridge (`external_ids:ovn-bridge`, ovn-controller's own default br-int
 *   when unset) is looked at; a VIF on any other bridge is XAPI's business alone.
 * - A port `vifD.N` or `tapD.N` whose one Interface carries `xs-vif-uuid` (a UUID) gets
 *   `iface-id = xs-vif-uuid`: the logical switch port is named after the VIF UUID (README,
 *   "Attaching VMs"). There is no override: a VIF other_config key cannot reach this host
 *   without asking XAPI, and one name per VIF keeps the CLI, the agent and OVN in agreement.
 * - An HVM guest has `tapD.N` (the emulated NIC, qemu) and `vifD.N` (the PV netback) for one VIF
 *   until its PV drivers connect, when xenopsd removes the tap. While both exist only the tap
 *   carries the guest's traffic, so only the tap gets the iface-id and the vif loses it; when the
 *   tap goes, the vif gets it. ovn-controller, given two interfaces with one iface-id, binds the
 *   newest and rebinds when it goes (docs/platform.md, "Two interfaces with one iface-id"): we never give it the
 *   choice.
 * - An Interface whose xs-vif-uuid is not a UUID is left alone and reported.
 */
import { IFACE_ID_KEY, KEY_BRIDGE, XS_VIF_UUID_KEY } from './keys.js'
import { bridgePorts, byCodePoint, type ChassisSnapshot, findBridge, type InterfaceRow } from './model.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** One Interface whose iface-id must change. */
export interface IfaceIdChange {
  readonly interfaceUuid: string
  readonly name: string
  /** The whole external_ids map as read: the write holds only if it is still this. */
  readonly expected: ReadonlyMap<string, string>
  /** The iface-id to set, or null to remove it. */
  readonly ifaceId: string | null
}

export interface IfaceIdSkip {
  readonly name: string
  readonly reason: string
}

export interface IfaceIdPlan {
  /** The integration bridge looked at; null when it does not exist (nothing to do yet). */
  readonly bridge: string | null
  readonly changes: readonly IfaceIdChange[]
  readonly skipped: readonly IfaceIdSkip[]
  /** VIF ports that already carry the right iface-id (or rightly none). */
  readonly unchanged: number
}

/** The integration bridge ovn-controller uses: `ovn-bridge`, else its default. */
export function integrationBridgeName(s: ChassisSnapshot, fallback: string): string {
  const named = s.ovs.externalIds.get(KEY_BRIDGE)
  return named !== undefined && named !== '' ? named : fallback
}

interface VifPort {
  readonly kind: 'vif' | 'tap'
  /** `D.N` of `vifD.N` / `tapD.N`. */
  readonly device: string
  readonly iface: InterfaceRow
}

export function planIfaceIds(s: ChassisSnapshot, options: { readonly defaultBridge: string }): IfaceIdPlan {
  const bridgeName = integrationBridgeName(s, options.defaultBridge)
  const bridge = findBridge(s, bridgeName)
  if (bridge === undefined) return { bridge: null, changes: [], skipped: [], unchanged: 0 }

  const skipped: IfaceIdSkip[] = []
  const vifPorts: VifPort[] = []
  for (const p of bridgePorts(s, bridge)) {
    if (p.kind !== 'vif' && p.kind !== 'tap') continue
    const iface = p.interfaces[0]
    if (iface === undefined) continue
    const vifUuid = iface.externalIds.get(XS_VIF_UUID_KEY)
    if (vifUuid === undefined) continue
    if (!UUID.test(vifUuid)) {
      skipped.push({ name: iface.name, reason: `${XS_VIF_UUID_KEY} ${JSON.stringify(vifUuid)} is not a UUID` })
      continue
    }
    vifPorts.push({ kind: p.kind, device: p.port.name.slice(3), iface })
  }

  // The tap of a device takes the iface-id while it exists (see the rules above).
  const tapOf = new Map<string, string>()
  for (const v of vifPorts) {
    if (v.kind === 'tap') tapOf.set(v.device, v.iface.externalIds.get(XS_VIF_UUID_KEY) ?? '')
  }
  const changes: IfaceIdChange[] = []
  let unchanged = 0
  for (const v of vifPorts) {
    const vifUuid = v.iface.externalIds.get(XS_VIF_UUID_KEY) ?? ''
    const shadowedByTap = v.kind === 'vif' && tapOf.get(v.device) === vifUuid
    const want = shadowedByTap ? null : vifUuid
    const have = v.iface.externalIds.get(IFACE_ID_KEY) ?? null
    if (have === want) {
      unchanged += 1
      continue
    }
    changes.push({ interfaceUuid: v.iface.uuid, name: v.iface.name, expected: v.iface.externalIds, ifaceId: want })
  }
  changes.sort((a, b) => byCodePoint(a.name, b.name))
  return { bridge: bridgeName, changes, skipped, unchanged }
}
