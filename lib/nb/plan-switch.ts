/**
 * Pure planners for logical switches: snapshot + validated arguments -> the ONE transaction that
 * makes it so (empty when nothing needs writing). Every transaction starts with `wait`s that
 * restate what the plan assumed, so if the database changed since the snapshot the server
 * refuses the whole transaction (OvsdbWaitFailedError) and nothing is written.
 */
import { OvsdbSet, Uuid, ovsdbMap, set } from '../ovsdb/codec.js'
import { op, where, type Mutation, type Operation } from '../ovsdb/operations.js'
import { NbSwitchNotEmptyError } from './errors.js'
import { InvalidArgumentError } from '../errors.js'
import { findSwitch, lookupSwitch, type NbSnapshot, type NbSwitchRow } from './model.js'
import type { ParsedSwitchOptions } from './validate-inputs.js'
import { dhcpRowOf, planDeleteDhcp, planDhcp, SWITCH_DHCPV4_KEY, type DhcpPlan } from './plan-dhcp.js'
import { dhcpv6RowOf, planDeleteDhcpv6, planIpv6, SWITCH_DHCPV6_KEY, type Ipv6Plan } from './plan-ipv6.js'

/** The uuid-name of a switch inserted by planEnsureSwitch. */
export const NEW_SWITCH = 'new_switch'

export interface EnsureSwitchPlan {
  /** [] when the switch already is as asked. */
  readonly operations: readonly Operation[]
  /** The existing switch's UUID; null when the plan creates it (see NEW_SWITCH). */
  readonly switchUuid: string | null
  readonly created: boolean
  readonly changed: boolean
  /** The switch's DHCP_Options row (plan-dhcp.ts), when DHCP was asked for. */
  readonly dhcp: DhcpPlan | null
  /** The switch's IPv6 (plan-ipv6.ts), when asked for. */
  readonly ipv6: Ipv6Plan | null
}

export interface DeleteSwitchPlan {
  readonly operations: readonly Operation[]
  readonly switchUuid: string
  readonly name: string
  /** Ports deleted with it (non-zero only with force). */
  readonly portCount: number
  /** Its DHCP_Options row, deleted with it (null: it had none). */
  readonly dhcpUuid: string | null
  /** Its DHCPv6 row, deleted with it (null: it had none). */
  readonly dhcpv6Uuid: string | null
}

/**
 * `wait` that the switch row still exists under the name we read (and, given `alsoHolds`, that its
 * `ports` still include those port UUIDs).
 */
export function switchStillThere(sw: NbSwitchRow, alsoHolds: readonly string[] | OvsdbSet = []): Operation {
  const held = alsoHolds instanceof OvsdbSet ? alsoHolds : new OvsdbSet(alsoHolds.map((u) => new Uuid(u)))
  return op.wait(
    'Logical_Switch',
    [
      // `_uuid ==` first: ovsdb-server looks that row up instead of scanning the table.
      where('_uuid', '==', new Uuid(sw.uuid)),
      ...(held.size > 0 ? [where('ports', 'includes', held)] : []),
    ],
    ['name'],
    '==',
    [{ name: sw.name }],
  )
}

/** Keys of `wanted` whose value differs from (or is missing in) `current`. */
export function changedEntries(
  current: ReadonlyMap<string, string>,
  wanted: ReadonlyMap<string, string>,
): Map<string, string> {
  const out = new Map<string, string>()
  for (const [k, v] of wanted) if (current.get(k) !== v) out.set(k, v)
  return out
}

/** Mutations setting these keys of a string map column (delete the old values, insert the new). */
export function setKeys(column: string, entries: ReadonlyMap<string, string>): Mutation[] {
  if (entries.size === 0) return []
  return [
    [column, 'delete', set(...entries.keys())],
    [column, 'insert', ovsdbMap(entries)],
  ]
}

/**
 * Create the switch `name` (other_config:subnet, external_ids) or bring an existing one to the
 * given subnet and external_ids. Keys not given are left alone. Idempotent. With `options.dhcp`,
 * its DHCP_Options row (plan-dhcp.ts) is created or updated in the same transaction, a new one
 * with UUID `newDhcpUuid`, and the switch's VIF ports are linked to it.
 */
export function planEnsureSwitch(
  s: NbSnapshot,
  name: string,
  options: ParsedSwitchOptions,
  newDhcpUuid = '',
  newDhcpv6Uuid = '',
): EnsureSwitchPlan {
  const existing = lookupSwitch(s, name)
  const served = existing === undefined ? undefined : dhcpRowOf(s, existing)
  // A new subnet under a DHCP row of the old one would leave its server and router outside it.
  if (options.dhcp === null && options.subnet !== null && served !== undefined && served.cidr !== options.subnet)
    throw new InvalidArgumentError(
      'subnet',
      options.subnet,
      `logical switch ${name} serves DHCP on ${served.cidr}: give the DHCP options again with the new subnet`,
    )
  const dhcp = options.dhcp === null ? null : planDhcp(s, existing ?? null, name, options.dhcp, newDhcpUuid)
  const ipv6 = options.ipv6 === null ? null : planIpv6(s, existing ?? null, name, options.ipv6, newDhcpv6Uuid)
  const wantedOther = new Map<string, string>([
    ...(options.subnet === null ? [] : ([['subnet', options.subnet]] as const)),
    ...(dhcp?.switchOtherConfig ?? []),
    ...(ipv6?.switchOtherConfig ?? []),
  ])
  const wantedExternal = new Map([
    ...options.externalIds,
    ...(dhcp?.switchExternalIds ?? []),
    ...(ipv6?.switchExternalIds ?? []),
  ])
  const dhcpOps = [...(dhcp?.operations ?? []), ...(ipv6?.operations ?? [])]
  const dropped = ipv6?.switchExternalIdsDropped ?? []
  if (existing === undefined) {
    return {
      operations: [
        op.wait('Logical_Switch', [where('name', '==', name)], ['name'], '==', []),
        ...dhcpOps,
        op.insert(
          'Logical_Switch',
          { name, other_config: ovsdbMap(wantedOther), external_ids: ovsdbMap(wantedExternal) },
          NEW_SWITCH,
        ),
        op.comment(
          `xapi-ovn: create logical switch ${name}${dhcp === null ? '' : ' with DHCPv4'}${ipv6 === null ? '' : ' with IPv6'}`,
        ),
      ],
      switchUuid: null,
      created: true,
      changed: true,
      dhcp,
      ipv6,
    }
  }
  const externalChanges = changedEntries(existing.externalIds, wantedExternal)
  const mutations = [
    ...setKeys('other_config', changedEntries(existing.otherConfig, wantedOther)),
    ...setKeys('external_ids', externalChanges),
    ...(dropped.length === 0 ? [] : ([['external_ids', 'delete', set(...dropped)]] as const)),
  ]
  if (mutations.length === 0 && dhcpOps.length === 0)
    return { operations: [], switchUuid: existing.uuid, created: false, changed: false, dhcp, ipv6 }
  const self = [where('_uuid', '==', new Uuid(existing.uuid))]
  return {
    operations: [
      switchStillThere(existing),
      // Re-linking the switch to a row: it must still point where we read (two runs at once would
      // otherwise each insert a row and one of them would be left unreferenced).
      ...(externalChanges.has(SWITCH_DHCPV4_KEY) || externalChanges.has(SWITCH_DHCPV6_KEY) || dropped.length > 0
        ? [op.wait('Logical_Switch', self, ['external_ids'], '==', [{ external_ids: ovsdbMap(existing.externalIds) }])]
        : []),
      ...dhcpOps,
      ...(mutations.length === 0 ? [] : [op.mutate('Logical_Switch', self, mutations)]),
      op.comment(
        `xapi-ovn: update logical switch ${name}${dhcp === null ? '' : ' and its DHCPv4'}${ipv6 === null ? '' : ' and its IPv6'}`,
      ),
    ],
    switchUuid: existing.uuid,
    created: false,
    changed: true,
    dhcp,
    ipv6,
  }
}

/**
 * Delete the switch `ref` (name or UUID). With ports and without `force`: NbSwitchNotEmptyError,
 * and the transaction also waits for `ports` to still be empty, so a port attached meanwhile
 * makes it fail rather than be deleted unseen. With `force` its ports go with it.
 */
export function planDeleteSwitch(s: NbSnapshot, ref: string, options: { force: boolean }): DeleteSwitchPlan {
  const sw = findSwitch(s, ref)
  if (sw.portUuids.length > 0 && !options.force) throw new NbSwitchNotEmptyError(ref, sw.portUuids.length)
  const self = [where('_uuid', '==', new Uuid(sw.uuid))]
  return {
    operations: [
      options.force
        ? switchStillThere(sw)
        : op.wait('Logical_Switch', self, ['name', 'ports'], '==', [{ name: sw.name, ports: set() }]),
      op.delete('Logical_Switch', self),
      ...planDeleteDhcp(s, sw),
      ...planDeleteDhcpv6(s, sw),
      op.comment(
        `xapi-ovn: delete logical switch ${sw.name}${options.force && sw.portUuids.length > 0 ? ` and its ${sw.portUuids.length} port(s)` : ''}`,
      ),
    ],
    switchUuid: sw.uuid,
    name: sw.name,
    portCount: sw.portUuids.length,
    dhcpUuid: dhcpRowOf(s, sw)?.uuid ?? null,
    dhcpv6Uuid: dhcpv6RowOf(s, sw)?.uuid ?? null,
  }
}
