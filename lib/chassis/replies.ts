/**
 * What the ovn-chassis plugin answers, as types: the plugin builds these (plugin/functions) and
 * the pool driver parses them back (lib/pool/plugin-replies.ts), so both sides share one
 * definition and the compiler keeps them in step. Types only.
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
