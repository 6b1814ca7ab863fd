/**
 * The northbound planners work on a plain snapshot of OVN_Northbound rows: every Logical_Switch
 * (name, ports, other_config, external_ids) and the Logical_Switch_Port rows the operation looks
 * at (all of them for listings, only the named ones for attach/detach). `snapshot.ts` reads it
 * in one transaction, so it is consistent; tests build one by hand.
 *
 * Facts of the OVN_Northbound schema the planners rely on:
 * - Logical_Switch is a root table without a name index: two switches may share a name.
 * - Logical_Switch_Port is NOT a root table and has a unique index on `name`: a port exists only
 *   while a switch's `ports` refers to it (remove the reference and ovsdb-server deletes the row),
 *   and a port name is unique in the whole database, not per switch.
 */
import { Uuid } from '../ovsdb/codec.js'
import { NbSwitchAmbiguousError, NbSwitchMissingError } from './errors.js'

export const NB_DB = 'OVN_Northbound'

export interface NbSwitchRow {
  readonly uuid: string
  readonly name: string
  readonly portUuids: readonly string[]
  readonly otherConfig: ReadonlyMap<string, string>
  readonly externalIds: ReadonlyMap<string, string>
}

export interface NbPortRow {
  readonly uuid: string
  readonly name: string
  /** '' for a VIF port, 'localnet', 'router', ... */
  readonly type: string
  readonly addresses: readonly string[]
  readonly options: ReadonlyMap<string, string>
  readonly externalIds: ReadonlyMap<string, string>
  readonly tagRequest: number | null
  readonly tag: number | null
  /** Written by ovn-northd: null until it has an opinion. */
  readonly up: boolean | null
  readonly enabled: boolean | null
  readonly dynamicAddresses: string | null
}

export interface NbSnapshot {
  readonly switches: readonly NbSwitchRow[]
  /** The ports read; possibly only some of the database's (see readSnapshot). */
  readonly ports: readonly NbPortRow[]
}

/**
 * The switch `ref` names: its UUID if `ref` is one and such a switch exists, else its name
 * (the way ovn-nbctl resolves a switch). No match: NbSwitchMissingError; a shared name:
 * NbSwitchAmbiguousError.
 */
export function findSwitch(s: NbSnapshot, ref: string): NbSwitchRow {
  const found = lookupSwitch(s, ref)
  if (found === undefined) throw new NbSwitchMissingError(ref)
  return found
}

/** Like findSwitch, but undefined when there is none (ambiguity still throws). */
export function lookupSwitch(s: NbSnapshot, ref: string): NbSwitchRow | undefined {
  if (Uuid.isValid(ref)) {
    const id = ref.toLowerCase()
    const byId = s.switches.find((sw) => sw.uuid === id)
    if (byId) return byId
  }
  const byName = s.switches.filter((sw) => sw.name === ref)
  if (byName.length > 1) throw new NbSwitchAmbiguousError(ref, byName.length)
  return byName[0]
}

/** Port row UUID -> the switch whose `ports` holds it (at most one: ports are not shared). */
export function portOwners(s: NbSnapshot): Map<string, NbSwitchRow> {
  const owners = new Map<string, NbSwitchRow>()
  for (const sw of s.switches) for (const p of sw.portUuids) owners.set(p, sw)
  return owners
}

export function findPortByName(s: NbSnapshot, name: string): NbPortRow | undefined {
  return s.ports.find((p) => p.name === name)
}
