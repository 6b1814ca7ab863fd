/**
 * Pure planners for the logical switch ports of XAPI VIFs. A VIF's port is named after the VIF
 * UUID (the iface-id XAPI's Open vSwitch integration writes), has type "" and one addresses
 * entry "<mac> <ip>..." or "<mac> dynamic".
 *
 * Attaching N ports is ONE transaction: the guards, the inserts with named UUIDs, and one mutate
 * that adds them all to the switch's `ports`. Logical_Switch_Port is not a root table, so an
 * insert without that mutate would be garbage-collected at commit: they go together or not at all.
 *
 * Detaching removes the ports from their switch's `ports`; ovsdb-server then deletes the rows.
 *
 * The guards, and why they still catch a concurrent writer. Every guard is a `wait` whose first
 * condition is `_uuid == U`, the one condition ovsdb-server answers by lookup; a condition on
 * anything else is a scan of the table, and one per port made a bulk call O(N^2) on the server
 * (issue 13). Between our read and our commit another client may:
 *   - delete, rename or re-create the target switch: the wait on its `_uuid` and `name` fails;
 *   - remove (detach, move) a port we update or detach: that wait also says the switch's `ports`
 *     still `includes` every such port's UUID, so it fails;
 *   - change a port we update (addresses, external_ids, type, name): the wait on that port's
 *     `_uuid` compares every column we based the update on, so it fails;
 *   - create a port with a name we are about to insert, on any switch: no wait states "this name
 *     is free" (that would be `where name == X`, the scan). Logical_Switch_Port's unique index on
 *     `name` does: ovsdb-server refuses our whole transaction at commit with a constraint
 *     violation, which northbound.ts treats like a failed wait (read, plan, write again; the new
 *     plan then sees the port: the same port on this switch is left alone or updated, one
 *     elsewhere is an NbPortConflictError);
 *   - attach or detach OTHER ports on the same switch: nothing we planned depends on them, and
 *     the `ports` mutations insert or delete only our UUIDs, so both writes stand.
 * Either the whole plan commits on rows exactly as it read them, or nothing is written.
 */
import { OvsdbSet, Uuid, namedUuid, ovsdbMap, set, type Value } from '../ovsdb/codec.js'
import { op, where, type Operation } from '../ovsdb/operations.js'
import { NbPortConflictError, NbSwitchNoSubnetError } from './errors.js'
import { findPortByName, findSwitch, portOwners, type NbPortRow, type NbSnapshot, type NbSwitchRow } from './model.js'
import { changedEntries, switchStillThere } from './plan-switch.js'
import type { VifPort } from './validate-inputs.js'
import { checkAttachAddresses } from './plan-addresses.js'
import { portDhcpv4 } from './plan-dhcp.js'
import { portDhcpv6 } from './plan-ipv6.js'

export type PortAction = 'created' | 'updated' | 'unchanged'

export interface AttachPortPlan {
  readonly vifUuid: string
  /** The existing row's UUID; null for a port the plan creates (see uuidName). */
  readonly uuid: string | null
  /** The insert's uuid-name for a created port, else null. */
  readonly uuidName: string | null
  readonly address: string
  readonly action: PortAction
}

export interface AttachPlan {
  /** [] when every port already is as asked. */
  readonly operations: readonly Operation[]
  readonly switchUuid: string
  readonly switchName: string
  /** One entry per requested port, in request order. */
  readonly ports: readonly AttachPortPlan[]
  readonly changed: boolean
}

export interface DetachedPort {
  readonly vifUuid: string
  readonly uuid: string
  readonly switchUuid: string
  readonly switchName: string
}

export interface DetachPlan {
  readonly operations: readonly Operation[]
  readonly removed: readonly DetachedPort[]
  /** VIF UUIDs that had no port: nothing to do for them. */
  readonly absent: readonly string[]
  readonly changed: boolean
}

/** The uuid-name of the i-th port an attach plan inserts. */
export function newPortName(i: number): string {
  return `new_lsp${i}`
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** `wait` that a port row is still exactly as read in these columns. */
export function portStillAsRead(
  p: NbPortRow,
  columns: readonly (
    | 'name'
    | 'type'
    | 'addresses'
    | 'port_security'
    | 'external_ids'
    | 'options'
    | 'tag_request'
    | 'enabled'
    | 'dhcpv4_options'
    | 'dhcpv6_options'
  )[],
): Operation {
  const row: Record<string, Value> = {}
  for (const c of columns) {
    if (c === 'name') row[c] = p.name
    else if (c === 'type') row[c] = p.type
    else if (c === 'addresses') row[c] = set(...p.addresses)
    else if (c === 'port_security') row[c] = set(...p.portSecurity)
    else if (c === 'external_ids') row[c] = ovsdbMap(p.externalIds)
    else if (c === 'options') row[c] = ovsdbMap(p.options)
    else if (c === 'enabled') row[c] = p.enabled === null ? set() : set(p.enabled)
    else if (c === 'dhcpv4_options') row[c] = p.dhcpv4Options === null ? set() : set(new Uuid(p.dhcpv4Options))
    else if (c === 'dhcpv6_options') row[c] = p.dhcpv6Options === null ? set() : set(new Uuid(p.dhcpv6Options))
    else row[c] = p.tagRequest === null ? set() : set(p.tagRequest)
  }
  return op.wait('Logical_Switch_Port', [where('_uuid', '==', new Uuid(p.uuid))], columns, '==', [row])
}

function conflictIfElsewhere(p: NbPortRow, owner: NbSwitchRow | undefined, target: NbSwitchRow): void {
  if (owner === undefined) throw new NbPortConflictError(p.name, '', 'the port is on no logical switch')
  if (owner.uuid !== target.uuid)
    throw new NbPortConflictError(
      p.name,
      owner.name,
      `it is on another logical switch (${owner.uuid}); detach it first`,
    )
}

/**
 * Attach (create or update) the ports of these VIFs on switch `switchRef`. A port that exists on
 * this switch with the same address and external_ids is left alone; one on another switch, or
 * one that is not a VIF port (type other than ""), is an NbPortConflictError.
 */
export function planAttachPorts(s: NbSnapshot, switchRef: string, ports: readonly VifPort[]): AttachPlan {
  const sw = findSwitch(s, switchRef)
  if (ports.some((p) => p.ips === 'dynamic') && !sw.otherConfig.has('subnet') && !sw.otherConfig.has('ipv6_prefix')) {
    throw new NbSwitchNoSubnetError(switchRef)
  }
  const owners = portOwners(s)
  const byUuid = new Map(s.ports.map((p) => [p.uuid, p]))
  checkAttachAddresses(
    sw,
    ports,
    sw.portUuids.flatMap((u) => byUuid.get(u) ?? []),
  )
  const waits: Operation[] = []
  const updates: Operation[] = []
  const inserts: Operation[] = []
  const updatedUuids: string[] = []
  const plans: AttachPortPlan[] = []
  // The switch's DHCPv4 row (plan-dhcp.ts): every VIF port on it is answered from it.
  const dhcpv4 = portDhcpv4(sw)
  // ...and its DHCPv6 row (plan-ipv6.ts), the same way.
  const dhcpv6 = portDhcpv6(sw)
  ports.forEach((port) => {
    const existing = findPortByName(s, port.name)
    if (existing === undefined) {
      const uuidName = newPortName(inserts.length)
      // No wait that the name is still free: the name index refuses a duplicate at commit (above).
      inserts.push(
        op.insert(
          'Logical_Switch_Port',
          // Empty external_ids is the column's default: not sent (a Map and 25 bytes less per port).
          // The one address as a bare atom: the wire form of a one-element set, without the set.
          {
            name: port.name,
            addresses: port.address,
            ...(port.portSecurity === null ? {} : { port_security: port.portSecurity }),
            ...(port.externalIds.size === 0 ? {} : { external_ids: ovsdbMap(port.externalIds) }),
            ...(dhcpv4 === null ? {} : { dhcpv4_options: dhcpv4 }),
            ...(dhcpv6 === null ? {} : { dhcpv6_options: dhcpv6 }),
          },
          uuidName,
        ),
      )
      plans.push({ vifUuid: port.name, uuid: null, uuidName, address: port.address, action: 'created' })
      return
    }
    conflictIfElsewhere(existing, owners.get(existing.uuid), sw)
    if (existing.type !== '')
      throw new NbPortConflictError(port.name, sw.name, `it is a ${existing.type} port, not a VIF port`)
    const extChanges = changedEntries(existing.externalIds, port.externalIds)
    const wantedSecurity = port.portSecurity === null ? [] : [port.portSecurity]
    if (
      sameStrings(existing.addresses, [port.address]) &&
      sameStrings(existing.portSecurity, wantedSecurity) &&
      extChanges.size === 0 &&
      (dhcpv4 === null || existing.dhcpv4Options === dhcpv4.value) &&
      (dhcpv6 === null || existing.dhcpv6Options === dhcpv6.value)
    ) {
      plans.push({
        vifUuid: port.name,
        uuid: existing.uuid,
        uuidName: null,
        address: port.address,
        action: 'unchanged',
      })
      return
    }
    waits.push(
      portStillAsRead(existing, [
        'name',
        'type',
        'addresses',
        'port_security',
        'external_ids',
        ...(dhcpv4 === null ? [] : (['dhcpv4_options'] as const)),
        ...(dhcpv6 === null ? [] : (['dhcpv6_options'] as const)),
      ]),
    )
    updates.push(
      op.update('Logical_Switch_Port', [where('_uuid', '==', new Uuid(existing.uuid))], {
        addresses: set(port.address),
        port_security: set(...wantedSecurity),
        external_ids: ovsdbMap(new Map([...existing.externalIds, ...extChanges])),
        // A switch without DHCP leaves a port's link as it is (someone else's DHCP_Options).
        ...(dhcpv4 === null ? {} : { dhcpv4_options: dhcpv4 }),
        ...(dhcpv6 === null ? {} : { dhcpv6_options: dhcpv6 }),
      }),
    )
    updatedUuids.push(existing.uuid)
    plans.push({ vifUuid: port.name, uuid: existing.uuid, uuidName: null, address: port.address, action: 'updated' })
  })
  const base = { switchUuid: sw.uuid, switchName: sw.name, ports: plans }
  if (inserts.length === 0 && updates.length === 0) return { ...base, operations: [], changed: false }
  const created = plans.filter((p) => p.action === 'created').length
  const operations: Operation[] = [switchStillThere(sw, updatedUuids), ...waits, ...updates, ...inserts]
  if (inserts.length > 0) {
    const names = plans.flatMap((p) => (p.uuidName === null ? [] : [namedUuid(p.uuidName)]))
    operations.push(
      op.mutate(
        'Logical_Switch',
        [where('_uuid', '==', new Uuid(sw.uuid))],
        [['ports', 'insert', new OvsdbSet(names)]],
      ),
    )
  }
  operations.push(
    op.comment(
      `xapi-ovn: attach ${created} new and ${updates.length} updated VIF port(s) on logical switch ${sw.name}`,
    ),
  )
  return { ...base, operations, changed: true }
}

/**
 * Detach the ports of these VIFs from whatever switch holds them. A VIF without a port is
 * reported in `absent` (detaching twice is not an error); a port that is not a VIF port
 * (type other than "") is an NbPortConflictError.
 */
export function planDetachPorts(s: NbSnapshot, vifUuids: readonly string[]): DetachPlan {
  const owners = portOwners(s)
  const removed: DetachedPort[] = []
  const absent: string[] = []
  const bySwitch = new Map<string, { sw: NbSwitchRow; uuids: string[] }>()
  for (const vif of vifUuids) {
    const port = findPortByName(s, vif)
    const owner = port === undefined ? undefined : owners.get(port.uuid)
    if (port === undefined || owner === undefined) {
      absent.push(vif)
      continue
    }
    if (port.type !== '') throw new NbPortConflictError(vif, owner.name, `it is a ${port.type} port, not a VIF port`)
    let group = bySwitch.get(owner.uuid)
    if (group === undefined) {
      group = { sw: owner, uuids: [] }
      bySwitch.set(owner.uuid, group)
    }
    group.uuids.push(port.uuid)
    removed.push({ vifUuid: vif, uuid: port.uuid, switchUuid: owner.uuid, switchName: owner.name })
  }
  if (removed.length === 0) return { operations: [], removed, absent, changed: false }
  const operations: Operation[] = []
  const mutations: Operation[] = []
  for (const { sw, uuids } of bySwitch.values()) {
    // One set of the UUIDs for both the wait and the mutate (20,000 of them in a bulk detach).
    const gone = new OvsdbSet(uuids.map((u) => new Uuid(u)))
    operations.push(switchStillThere(sw, gone))
    mutations.push(op.mutate('Logical_Switch', [where('_uuid', '==', new Uuid(sw.uuid))], [['ports', 'delete', gone]]))
  }
  operations.push(...mutations)
  operations.push(op.comment(`xapi-ovn: detach ${removed.length} VIF port(s)`))
  return { operations, removed, absent, changed: true }
}
