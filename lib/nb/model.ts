/**
 * The northbound planners work on a plain snapshot of OVN_Northbound rows: every Logical_Switch
 * (name, ports, other_config, external_ids) and, when the operation looks at ports, every
 * Logical_Switch_Port. `snapshot.ts` reads it in one transaction, so it is consistent; tests
 * build one by hand. Lookups by port name and by port UUID go through indexes built once per
 * snapshot (`portsByName`, `portOwners`): an attach or detach of N ports is O(N), not O(N^2).
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
  readonly portSecurity: readonly string[]
  readonly options: ReadonlyMap<string, string>
  readonly externalIds: ReadonlyMap<string, string>
  readonly tagRequest: number | null
  readonly tag: number | null
  /** Written by ovn-northd: null until it has an opinion. */
  readonly up: boolean | null
  readonly enabled: boolean | null
  readonly dynamicAddresses: string | null
  /** The DHCP_Options row ovn-northd answers this port's DHCPv4 from (plan-dhcp.ts), or null. */
  readonly dhcpv4Options: string | null
  /** The DHCP_Options row ovn-northd answers this port's DHCPv6 from (plan-ipv6.ts), or null. */
  readonly dhcpv6Options: string | null
}

/** A DHCP_Options row (plan-dhcp.ts): a root table, referenced weakly by ports' dhcpv4_options. */
export interface NbDhcpOptionsRow {
  readonly uuid: string
  readonly cidr: string
  readonly options: ReadonlyMap<string, string>
  readonly externalIds: ReadonlyMap<string, string>
}

/** A Port_Group row (security-groups: plan-security-groups.ts): a root table with a unique name. */
export interface NbPortGroupRow {
  readonly uuid: string
  readonly name: string
  /** Member Logical_Switch_Port UUIDs (weak references: a deleted port leaves the group). */
  readonly portUuids: readonly string[]
  /** Its ACLs (strong references: an ACL no group or switch holds is deleted). */
  readonly aclUuids: readonly string[]
  readonly externalIds: ReadonlyMap<string, string>
}

/** An ACL row, as the security group planners read it. */
export interface NbAclRow {
  readonly uuid: string
  readonly priority: number
  readonly direction: string
  readonly match: string
  readonly action: string
  readonly externalIds: ReadonlyMap<string, string>
}

export interface NbSnapshot {
  readonly switches: readonly NbSwitchRow[]
  /** Every port of the database, or none when the operation does not look at ports (see readSnapshot). */
  readonly ports: readonly NbPortRow[]
  /** Every DHCP_Options row, when the operation reads them (readSnapshot's `dhcp`); absent otherwise. */
  readonly dhcpOptions?: readonly NbDhcpOptionsRow[]
  /** Every Port_Group row, when the operation reads them (readSnapshot's `portGroups`); absent otherwise. */
  readonly portGroups?: readonly NbPortGroupRow[]
  /** Every ACL row, read with the port groups (the security group operations); absent otherwise. */
  readonly acls?: readonly NbAclRow[]
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

// Indexes of a snapshot, built on first use and kept as long as the snapshot's arrays live. A
// snapshot is immutable (readonly arrays of readonly rows), so an index never goes stale.
const ownerIndexes = new WeakMap<readonly NbSwitchRow[], ReadonlyMap<string, NbSwitchRow>>()
const nameIndexes = new WeakMap<readonly NbPortRow[], ReadonlyMap<string, NbPortRow>>()

/** Port row UUID -> the switch whose `ports` holds it (at most one: ports are not shared). */
export function portOwners(s: NbSnapshot): ReadonlyMap<string, NbSwitchRow> {
  let owners = ownerIndexes.get(s.switches)
  if (owners === undefined) {
    const m = new Map<string, NbSwitchRow>()
    for (const sw of s.switches) for (const p of sw.portUuids) m.set(p, sw)
    owners = m
    ownerIndexes.set(s.switches, owners)
  }
  return owners
}

/** Port name -> its row (names are unique in the database: Logical_Switch_Port's index). */
export function portsByName(s: NbSnapshot): ReadonlyMap<string, NbPortRow> {
  let byName = nameIndexes.get(s.ports)
  if (byName === undefined) {
    byName = new Map(s.ports.map((p) => [p.name, p]))
    nameIndexes.set(s.ports, byName)
  }
  return byName
}

export function findPortByName(s: NbSnapshot, name: string): NbPortRow | undefined {
  return portsByName(s).get(name)
}

/** A write of the northbound operations (routers.ts, security-groups.ts). */
export interface WriteOptions {
  /** Plan from a fresh read, with the same checks, and send nothing. */
  readonly dryRun?: boolean
}
