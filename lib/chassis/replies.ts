/**
 * What the ovn-chassis plugin answers, as types: the plugin builds these (plugin/functions) and
 * the pool driver parses them back (lib/pool/plugin-replies.ts), so both sides share one
 * definition and the compiler keeps them in step. Types only, and fn=service's list of actions.
 */
import type { KeyChange } from './external-ids-write.js'
import type { PortKind } from './model.js'
import type { Check, ControllerState } from './verify.js'

/** What configure and unconfigure answer. */
export interface ChassisChange {
  readonly changed: boolean
  readonly dryRun: boolean
  /** The keys xapi-ovn owns (and those about to be), before; null when absent. */
  readonly before: Readonly<Record<string, string | null>>
  readonly after: Readonly<Record<string, string | null>>
  readonly changes: readonly KeyChange[]
}

/** What verify answers. */
export interface ChassisVerify {
  readonly ok: boolean
  readonly checks: readonly Check[]
  readonly hostUuid: string
  /** Seconds it waited for the checks to pass. */
  readonly waited: number
}

export interface ChassisPort {
  readonly name: string
  readonly kind: PortKind
  readonly type: string
  readonly ifaceId: string | null
  readonly vifUuid: string | null
  readonly vmUuid: string | null
  readonly mac: string | null
  readonly ifaceStatus: string | null
  readonly ovnInstalled: boolean
}

export interface ChassisBridge {
  readonly name: string
  readonly exists: boolean
  readonly networkUuids: readonly string[]
  readonly bridgeId: string | null
  readonly failMode: string | null
  readonly datapathType: string | null
}

/** What status answers. */
export interface ChassisStatus {
  readonly hostUuid: string
  readonly systemId: string | null
  readonly configured: boolean
  readonly keys: Readonly<Record<string, string>>
  readonly owned: readonly string[]
  readonly addresses: readonly string[]
  readonly bridge: ChassisBridge | null
  readonly ports: readonly ChassisPort[]
  readonly controller: ControllerState
}

/** What repair answers (plugin/functions/repair.ts). */
export interface ChassisRepair {
  readonly changed: boolean
  readonly dryRun: boolean
  /** Bridges removed (or, with dry-run, that would be), with their ports. */
  readonly removed: readonly { readonly name: string; readonly ports: readonly string[] }[]
  /** What is still wrong and needs XAPI or the operator, with what to do. */
  readonly left: readonly string[]
}

/** The actions fn=service takes (plugin/functions/service.ts). */
export const SERVICE_ACTIONS = ['status', 'start', 'stop', 'restart', 'enable', 'disable'] as const
export type ServiceAction = (typeof SERVICE_ACTIONS)[number]

/** What service answers: ovn-controller's unit after the action ran (`systemctl show`). */
export interface ServiceState {
  readonly action: ServiceAction
  readonly unit: string
  /** ActiveState is "active". */
  readonly active: boolean
  /** UnitFileState is "enabled" (or "enabled-runtime"): started at boot. */
  readonly enabled: boolean
  /** LoadState is "loaded": the unit file exists. */
  readonly loaded: boolean
  readonly activeState: string
  readonly subState: string
  readonly loadState: string
  readonly unitFileState: string
  readonly mainPid: number | null
  /** When it last became active, as systemd prints it; null when never. */
  readonly since: string | null
  /** systemd's Result of the last run ("success", "exit-code", ...). */
  readonly result: string
  readonly dropIns: readonly string[]
  /** xapi-ovn's drop-in (wait for the XAPI bridge before starting) is loaded. */
  readonly bootWait: boolean
}
