/**
 * Pure: what `repair` may put right on this host by itself, and what it must leave to XAPI.
 *
 * - A `br-int` besides the configured integration bridge is ovn-controller's work (it started
 *   before `ovn-bridge` was set, docs/platform.md). It is removed when it holds nothing but its own
 *   port and ports ovn-controller made (OVN patch and tunnel ports); one with a guest VIF or any
 *   other port is left alone and reported.
 * - An integration bridge without XAPI's ids (ovn-controller made it at boot before XAPI attached
 *   the network) cannot be mended locally: XAPI's own `add-br --may-exist` gives it its ids when
 *   the network is attached (`xapi-ovn setup` attaches it on every host first).
 *   It is reported with that hint.
 */
import { bridgePorts, findBridge, type ChassisSnapshot } from './model.js'
import { xsNetworkUuids } from './plan-configure.js'
import { KEY_BRIDGE } from './keys.js'

export interface BridgeRemoval {
  readonly name: string
  readonly uuid: string
  /** Its ports, for the record (all ovn-controller's own). */
  readonly ports: readonly string[]
  /** Precondition: the bridge still has exactly these ports when the removal lands. */
  readonly portUuids: readonly string[]
}

export interface RepairPlan {
  readonly remove: readonly BridgeRemoval[]
  /** What is wrong and cannot be repaired here, with what to do. */
  readonly left: readonly string[]
}

const OVN_MADE = new Set(['local', 'ovn-patch', 'ovn-tunnel'])

export function planRepair(s: ChassisSnapshot): RepairPlan {
  const remove: BridgeRemoval[] = []
  const left: string[] = []
  const integration = s.ovs.externalIds.get(KEY_BRIDGE) || undefined
  const stray = integration === 'br-int' ? undefined : findBridge(s, 'br-int')
  if (stray !== undefined) {
    const ports = bridgePorts(s, stray)
    const foreign = ports.filter((p) => !OVN_MADE.has(p.kind)).map((p) => p.port.name)
    if (integration === undefined)
      left.push('br-int exists but ovn-bridge is not set: run xapi-ovn setup first, then xapi-ovn repair again')
    else if (foreign.length > 0)
      left.push(
        `br-int holds ports that are not ovn-controller's (${foreign.join(', ')}): move them back to XAPI, then run xapi-ovn repair again`,
      )
    else
      remove.push({
        name: stray.name,
        uuid: stray.uuid,
        ports: ports.filter((p) => p.kind !== 'local').map((p) => p.port.name),
        portUuids: stray.portUuids,
      })
  }
  if (integration !== undefined) {
    const bridge = findBridge(s, integration)
    if (bridge === undefined)
      left.push(
        `${integration} does not exist: XAPI creates it when the network is attached (xapi-ovn setup attaches it on every host)`,
      )
    else if (xsNetworkUuids(bridge.externalIds).length === 0) {
      left.push(
        `${integration} has no XAPI ids (ovn-controller made it before XAPI attached the network): attach the network (xapi-ovn setup attaches it on every host) and XAPI gives it its ids`,
      )
    }
  }
  return { remove, left }
}
