/**
 * Pure: the XAPI fields of a VIF that say what its logical port is, as `port attach` writes them,
 * and the calls that write them and undo them. The pool agent reads exactly these fields
 * (lib/agent/plan-desired.ts), so a port attach made is the port the agent would make:
 * - other_config `xapi-ovn-switch` = the switch as the caller named it (the VIF's own key wins
 *   over its VM's and its network's);
 * - static IPs -> ipv4_allowed / ipv6_allowed (other_config `xapi-ovn-addresses` removed);
 *   `dynamic` -> other_config `xapi-ovn-addresses=dynamic`, both allowed lists emptied (the
 *   address is ovn-northd's to choose);
 * - port security on/off -> other_config `xapi-ovn-port-security` = on/off. Never locking_mode:
 *   on a real host a `locked` VIF gets XAPI's own OpenFlow rules on the integration bridge, which
 *   outrank ovn-controller's and cut the port off (docs/platform.md "VIF locking").
 * Other other_config keys are never written: only `add_to_other_config` and
 * `remove_from_other_config` of our two keys, and XAPI's add refuses an existing key
 * (MAP_DUPLICATE_KEY), so a changed value is a remove then an add.
 */
import {
  ADDRESSES_KEY,
  DYNAMIC_ADDRESSES,
  PORT_SECURITY_KEY,
  PORT_SECURITY_OFF,
  PORT_SECURITY_ON,
  SWITCH_KEY,
} from '../agent/keys.js'
import { ipv4 } from '../chassis/validators.js'
import type { VifRecord } from '../pool/records.js'

/** The keys attach owns in a VIF's other_config (keys.ts). */
export const OWNED_VIF_KEYS = [SWITCH_KEY, ADDRESSES_KEY, PORT_SECURITY_KEY] as const
export type OwnedVifKey = (typeof OWNED_VIF_KEYS)[number]

export interface VifFields {
  /** Each owned key's value, or null for absent. */
  readonly otherConfig: Readonly<Record<OwnedVifKey, string | null>>
  readonly ipv4Allowed: readonly string[]
  readonly ipv6Allowed: readonly string[]
}

/** One XAPI call on the VIF (its ref is the first argument, added by the caller). */
export interface VifCall {
  readonly method: string
  readonly args: readonly unknown[]
}

/** A write and the call that puts back what it changed. */
export interface VifStep {
  readonly call: VifCall
  readonly undo: VifCall
}

/** What attach writes for a port on `switchRef` with these IPs. */
export function wantedFields(switchRef: string, ips: readonly string[] | 'dynamic', portSecurity: boolean): VifFields {
  const dynamic = ips === 'dynamic'
  const list = dynamic ? [] : ips
  return {
    otherConfig: {
      [SWITCH_KEY]: switchRef,
      [ADDRESSES_KEY]: dynamic ? DYNAMIC_ADDRESSES : null,
      [PORT_SECURITY_KEY]: portSecurity ? PORT_SECURITY_ON : PORT_SECURITY_OFF,
    },
    ipv4Allowed: list.filter((ip) => ipv4(ip) === null),
    ipv6Allowed: list.filter((ip) => ipv4(ip) !== null),
  }
}

/** The VIF's fields as XAPI holds them now. */
export function fieldsOf(vif: VifRecord): VifFields {
  return {
    otherConfig: {
      [SWITCH_KEY]: vif.otherConfig[SWITCH_KEY] ?? null,
      [ADDRESSES_KEY]: vif.otherConfig[ADDRESSES_KEY] ?? null,
      [PORT_SECURITY_KEY]: vif.otherConfig[PORT_SECURITY_KEY] ?? null,
    },
    ipv4Allowed: vif.ipv4Allowed,
    ipv6Allowed: vif.ipv6Allowed,
  }
}

/** The record XAPI will hold once `fields` are written (other other_config keys kept). */
export function withFields(vif: VifRecord, fields: VifFields): VifRecord {
  const otherConfig: Record<string, string> = { ...vif.otherConfig }
  for (const k of OWNED_VIF_KEYS) {
    const v = fields.otherConfig[k]
    if (v === null) delete otherConfig[k]
    else otherConfig[k] = v
  }
  return {
    ...vif,
    otherConfig,
    ipv4Allowed: fields.ipv4Allowed,
    ipv6Allowed: fields.ipv6Allowed,
  }
}

/** The other_config a VIF created with `fields` gets (VIF.create's record). */
export function createdOtherConfig(fields: VifFields): Record<string, string> {
  const out: Record<string, string> = {}
  for (const k of OWNED_VIF_KEYS) {
    const v = fields.otherConfig[k]
    if (v !== null) out[k] = v
  }
  return out
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/**
 * The calls that bring a VIF from `from` to `to`, only where they differ (a re-run makes none),
 * each with its undo. Undoing the steps that ran, last first, restores `from` exactly.
 */
export function planFieldSteps(from: VifFields, to: VifFields): VifStep[] {
  const steps: VifStep[] = []
  for (const k of OWNED_VIF_KEYS) {
    const was = from.otherConfig[k]
    const now = to.otherConfig[k]
    if (was === now) continue
    if (was !== null)
      steps.push({
        call: { method: 'VIF.remove_from_other_config', args: [k] },
        undo: { method: 'VIF.add_to_other_config', args: [k, was] },
      })
    if (now !== null)
      steps.push({
        call: { method: 'VIF.add_to_other_config', args: [k, now] },
        undo: { method: 'VIF.remove_from_other_config', args: [k] },
      })
  }
  if (!sameList(from.ipv4Allowed, to.ipv4Allowed))
    steps.push({
      call: { method: 'VIF.set_ipv4_allowed', args: [to.ipv4Allowed] },
      undo: { method: 'VIF.set_ipv4_allowed', args: [from.ipv4Allowed] },
    })
  if (!sameList(from.ipv6Allowed, to.ipv6Allowed))
    steps.push({
      call: { method: 'VIF.set_ipv6_allowed', args: [to.ipv6Allowed] },
      undo: { method: 'VIF.set_ipv6_allowed', args: [from.ipv6Allowed] },
    })
  return steps
}

/** Detach keeping the VIF: remove the keys that would give it a port again (the agent reads them). */
export function planUnclaimSteps(vif: VifRecord): VifStep[] {
  const from = fieldsOf(vif)
  return planFieldSteps(from, {
    ...from,
    otherConfig: { [SWITCH_KEY]: null, [ADDRESSES_KEY]: null, [PORT_SECURITY_KEY]: null },
  })
}
