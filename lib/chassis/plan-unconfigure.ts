/**
 * Pure: put back every key xapi-ovn owns to the value it had before xapi-ovn first set it, and
 * drop xapi-ovn's record. Keys xapi-ovn never set are not touched. Nothing recorded: no change.
 */
import { planExternalIds, readSaved, type ExternalIdsPlan } from './external-ids-write.js'
import { SAVED_KEY } from './keys.js'
import type { ChassisSnapshot } from './model.js'

export type UnconfigurePlan = ExternalIdsPlan

export function planUnconfigure(snapshot: ChassisSnapshot): UnconfigurePlan {
  const ext = snapshot.ovs.externalIds
  const saved = readSaved(ext)
  const wanted = new Map<string, string | null>(Object.entries(saved))
  const shown = [...wanted.keys()].sort()
  wanted.set(SAVED_KEY, null)
  return planExternalIds(snapshot.ovs.uuid, ext, wanted, shown, [])
}
