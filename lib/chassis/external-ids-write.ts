/**
 * The one kind of write the chassis rules make: change some keys of Open_vSwitch external_ids,
 * on the condition that external_ids is still exactly what we read (and that named bridges still
 * exist). Pure: `diffExternalIds` computes it, `write-operations.ts` turns it into OVSDB operations.
 */
import { StateCorruptError } from './errors.js'
import { isRecord } from '../shape.js'
import { SAVED_KEY } from './keys.js'
import { byCodePoint, type SavedValues } from './model.js'

export interface KeyChange {
  readonly key: string
  readonly from: string | null
  readonly to: string | null
}

export interface ExternalIdsWrite {
  /** _uuid of the Open_vSwitch row. */
  readonly ovsUuid: string
  /** Precondition: external_ids still equals this map when the write lands. */
  readonly expected: ReadonlyMap<string, string>
  /** Precondition: these bridges still exist. */
  readonly bridges: readonly string[]
  /** Keys to delete (also the keys being given a new value). */
  readonly remove: readonly string[]
  /** Keys to insert with their new values. */
  readonly set: ReadonlyMap<string, string>
}

/** Compare the current external_ids with the wanted value of some keys (null: absent). */
export function diffExternalIds(
  current: ReadonlyMap<string, string>,
  wanted: ReadonlyMap<string, string | null>,
): KeyChange[] {
  const changes: KeyChange[] = []
  for (const [key, to] of [...wanted].sort(([a], [b]) => byCodePoint(a, b))) {
    const from = current.get(key) ?? null
    if (from !== to) changes.push({ key, from, to })
  }
  return changes
}

/** external_ids as they will be once the changes are written. */
export function applyChanges(current: ReadonlyMap<string, string>, changes: readonly KeyChange[]): Map<string, string> {
  const after = new Map(current)
  for (const c of changes) {
    if (c.to === null) after.delete(c.key)
    else after.set(c.key, c.to)
  }
  return after
}

export type KeyValues = Record<string, string | null>

/** What configure or unconfigure would do: the owned keys before and after, and the write. */
export interface ExternalIdsPlan {
  readonly changed: boolean
  /** The owned keys (and those about to be) before, null when absent. */
  readonly before: KeyValues
  /** The same keys after the write. */
  readonly after: KeyValues
  /** What changes, without xapi-ovn's own record. */
  readonly changes: readonly KeyChange[]
  readonly write: ExternalIdsWrite | null
}

/**
 * The plan that gives `wanted` keys their values (null: remove), showing the `shown` keys before
 * and after; the write is guarded by external_ids as read and by `bridges` still existing.
 */
export function planExternalIds(
  ovsUuid: string,
  current: ReadonlyMap<string, string>,
  wanted: ReadonlyMap<string, string | null>,
  shown: readonly string[],
  bridges: readonly string[],
): ExternalIdsPlan {
  const changes = diffExternalIds(current, wanted)
  const after = applyChanges(current, changes)
  return {
    changed: changes.length > 0,
    before: pick(current, shown),
    after: pick(after, shown),
    changes: changes.filter((c) => c.key !== SAVED_KEY),
    write: writeFor(ovsUuid, current, bridges, changes),
  }
}

function pick(map: ReadonlyMap<string, string>, keys: readonly string[]): KeyValues {
  const out: KeyValues = {}
  for (const k of keys) out[k] = map.get(k) ?? null
  return out
}

export function writeFor(
  ovsUuid: string,
  current: ReadonlyMap<string, string>,
  bridges: readonly string[],
  changes: readonly KeyChange[],
): ExternalIdsWrite | null {
  if (changes.length === 0) return null
  const set = new Map<string, string>()
  for (const c of changes) if (c.to !== null) set.set(c.key, c.to)
  return { ovsUuid, expected: current, bridges, remove: changes.map((c) => c.key), set }
}

/** Read xapi-ovn's ownership record; a damaged record is reported, never guessed at. */
export function readSaved(externalIds: ReadonlyMap<string, string>): SavedValues {
  const raw = externalIds.get(SAVED_KEY)
  if (raw === undefined) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw new StateCorruptError(`external_ids:${SAVED_KEY} is not JSON`)
  }
  if (!isRecord(parsed)) throw new StateCorruptError(`external_ids:${SAVED_KEY} is not an object`)
  const saved: SavedValues = {}
  for (const [k, value] of Object.entries(parsed)) {
    if (value !== null && typeof value !== 'string')
      throw new StateCorruptError(`external_ids:${SAVED_KEY} has a non-string value for ${k}`)
    saved[k] = value
  }
  return saved
}

/** Deterministic text for the record, so an identical configure finds nothing to change. */
export function serializeSaved(saved: SavedValues): string | null {
  const keys = Object.keys(saved).sort()
  if (keys.length === 0) return null
  return JSON.stringify(Object.fromEntries(keys.map((k) => [k, saved[k]])))
}
