/**
 * Pure: put back every key xapi-ovn owns to the value it had before xapi-ovn first set it, and
 * drop xapi-ovn's record. Keys xapi-ovn never set are not touched. Nothing recorded: no change.
 */
import { applyChanges, diffExternalIds, readSaved, writeFor, type ExternalIdsWrite, type KeyChange } from './external-ids-write.js'
import { SAVED_KEY } from './keys.js'
import type { ChassisSnapshot } from './model.js'
import { pick, type KeyValues } from './plan-configure.js'

export interface UnconfigurePlan {
  readonly changed: boolean
  readonly before: KeyValues
  readonly after: KeyValues
  readonly changes: readonly KeyChange[]
  readonly write: ExternalIdsWrite | null
}

export function planUnconfigure(snapshot: ChassisSnapshot): UnconfigurePlan {
  const ext = snapshot.ovs.externalIds
  const saved = readSaved(ext)
  const wanted = new Map<string, string | null>(Object.entries(saved))
  const shown = [...wanted.keys()].sort()
  wanted.set(SAVED_KEY, null)
  const changes = diffExternalIds(ext, wanted)
  const after = applyChanges(ext, changes)
  return {
    changed: changes.length > 0,
    before: pick(ext, shown),
    after: pick(after, shown),
    changes: changes.filter((c) => c.key !== SAVED_KEY),
    write: writeFor(snapshot.ovs.uuid, ext, [], changes),
  }
}
