/**
 * Pure: one reconcile pass of the pool agent. The desired ports (plan-desired.ts, from XAPI) and a
 * northbound snapshot (every switch and port, one read) -> ONE guarded transaction that makes the
 * northbound match, or no operation at all when nothing differs.
 *
 * Ownership: the agent owns the VIF ports whose external_ids carry this pool's uuid
 * (keys.ts POOL_UUID_KEY). It creates, updates, moves and deletes only those. A port of an
 * earlier `port attach` (the VM's uuid, no pool key) is adopted when XAPI still has its VIF. A port
 * with the VIF's name that is someone else's (another pool's, hand-made, not a VIF port) is a
 * finding and is never touched. A VIF with a finding keeps its port exactly as it is: a bad value
 * in XAPI must not delete a working port.
 *
 * Security groups: every placed port is put in exactly the groups of ours its VIF's
 * xapi-ovn-security-groups names (and in the default-drop group while it names any), in the same
 * transaction (lib/nb/plan-security-groups.ts membershipOperations). Port groups xapi-ovn did not
 * make are never changed, so membership someone else gave a port is never removed. A named
 * group that does not exist is an OVN_AGENT_SG_MISSING finding; the port is still written, in the
 * drop group (it asked to be filtered: fail closed), and joins the group once it exists.
 *
 * The guards are those of lib/nb/plan-ports.ts (whose header has the argument): a `wait` per
 * touched switch on its `_uuid` (and that it still holds the ports we move, update or delete), and
 * a `wait` per updated port on every column the update was based on. A failed wait or the name
 * index refusing an insert means another writer was first: the caller reads again and re-plans.
 */
import { OvsdbSet, Uuid, namedUuid, ovsdbMap, set, type NamedUuid, type Value } from '../ovsdb/codec.js'
import { op, where, type Mutation, type Operation } from '../ovsdb/operations.js'
import { NbSwitchAmbiguousError } from '../nb/errors.js'
import {
  findPortByName,
  lookupSwitch,
  portOwners,
  type NbPortRow,
  type NbSnapshot,
  type NbSwitchRow,
} from '../nb/model.js'
import { portStillAsRead } from '../nb/plan-ports.js'
import { changedEntries, setKeys, switchStillThere } from '../nb/plan-switch.js'
import { portDhcpv4 } from '../nb/plan-dhcp.js'
import { portDhcpv6 } from '../nb/plan-ipv6.js'
import { ipKey } from '../nb/plan-addresses.js'
import { membershipOperations, ourSecurityGroups, type MembershipWant } from '../nb/plan-security-groups.js'
import {
  AgentDuplicateAddressError,
  AgentPortForeignError,
  AgentSecurityGroupMissingError,
  AgentSwitchMissingError,
} from './errors.js'
import { POOL_UUID_KEY, VM_UUID_KEY } from './keys.js'
import type { DesiredPort, DesiredState, VifFinding } from './plan-desired.js'

export const REQUESTED_CHASSIS = 'requested-chassis'

export interface SyncPlan {
  /** [] when the northbound already matches. */
  readonly operations: readonly Operation[]
  readonly created: readonly string[]
  readonly updated: readonly string[]
  readonly deleted: readonly string[]
  /** Ports that are as desired. */
  readonly unchanged: number
  /** Desired-state findings plus the ones only the northbound shows (switch missing, foreign port). */
  readonly findings: readonly VifFinding[]
  /** Ports this pool's agent owns once the plan commits. */
  readonly managed: number
}

interface SwitchChange {
  readonly sw: NbSwitchRow
  readonly add: (Uuid | NamedUuid)[]
  readonly remove: Uuid[]
  /** Existing ports of this switch the plan depends on (updated, moved away, deleted). */
  readonly held: Uuid[]
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** The port of this pool, or adoptable (a `port attach` port of the same VM); otherwise why not. */
function ownership(p: NbPortRow, poolUuid: string, vmUuid: string): 'ours' | string {
  if (p.type !== '') return `is a ${p.type} port, not a VIF port`
  const pool = p.externalIds.get(POOL_UUID_KEY)
  if (pool === poolUuid) return 'ours'
  if (pool !== undefined) return `belongs to the agent of pool ${pool}`
  if (p.externalIds.get(VM_UUID_KEY) === vmUuid) return 'ours'
  return 'was not made by xapi-ovn for this VM'
}

function ipsOf(addresses: readonly string[], dynamic: string | null): string[] {
  const out: string[] = []
  for (const a of [...addresses, ...(dynamic === null ? [] : [dynamic])]) {
    const parts = a.split(/\s+/)
    for (const x of parts.slice(1)) if (x !== 'dynamic' && x !== '') out.push(x)
  }
  return out
}

export function planSync(desired: DesiredState, nb: NbSnapshot, poolUuid: string): SyncPlan {
  const findings: VifFinding[] = [...desired.findings]
  const protectedNames = new Set(findings.map((f) => f.vif))
  const owners = portOwners(nb)
  const changes = new Map<string, SwitchChange>()
  const change = (sw: NbSwitchRow): SwitchChange => {
    let c = changes.get(sw.uuid)
    if (c === undefined) {
      c = { sw, add: [], remove: [], held: [] }
      changes.set(sw.uuid, c)
    }
    return c
  }
  const waits: Operation[] = []
  const writes: Operation[] = []
  const created: string[] = []
  const updated: string[] = []
  const deleted: string[] = []
  let unchanged = 0
  // IPs taken per switch: by ports we do not manage, then by desired ports in name order.
  const taken = new Map<string, Map<string, string>>()
  const desiredNames = new Set(desired.ports.map((p) => p.name))
  const byUuid = new Map(nb.ports.map((p) => [p.uuid, p]))
  for (const sw of nb.switches) {
    const m = new Map<string, string>()
    for (const u of sw.portUuids) {
      const p = byUuid.get(u)
      if (p === undefined || desiredNames.has(p.name)) continue
      for (const ip of ipsOf(p.addresses, p.dynamicAddresses)) m.set(ipKey(ip), p.name)
    }
    taken.set(sw.uuid, m)
  }
  const placed: { port: DesiredPort; sw: NbSwitchRow }[] = []
  for (const port of desired.ports) {
    let sw: NbSwitchRow | undefined
    try {
      sw = lookupSwitch(nb, port.switchRef)
    } catch (err) {
      if (!(err instanceof NbSwitchAmbiguousError)) throw err
      findings.push({
        vif: port.name,
        error: new AgentSwitchMissingError(
          port.name,
          port.switchRef,
          'is the name of several switches: name it by UUID',
        ),
      })
      protectedNames.add(port.name)
      continue
    }
    if (sw === undefined) {
      findings.push({
        vif: port.name,
        error: new AgentSwitchMissingError(
          port.name,
          port.switchRef,
          'does not exist in the northbound (xapi-ovn switch add)',
        ),
      })
      protectedNames.add(port.name)
      continue
    }
    const existing = findPortByName(nb, port.name)
    if (existing !== undefined) {
      const why = ownership(existing, poolUuid, port.vmUuid)
      if (why !== 'ours') {
        findings.push({ vif: port.name, error: new AgentPortForeignError(port.name, why) })
        protectedNames.add(port.name)
        continue
      }
    }
    const ips = taken.get(sw.uuid) ?? new Map<string, string>()
    // One spelling per address: 2001:db8::5 and 2001:DB8:0::5 on two VIFs are one address.
    const clash = port.ips === 'dynamic' ? undefined : port.ips.find((ip) => ips.has(ipKey(ip)))
    if (clash !== undefined) {
      findings.push({
        vif: port.name,
        error: new AgentDuplicateAddressError(port.name, clash, ips.get(ipKey(clash)) ?? ''),
      })
      protectedNames.add(port.name)
      continue
    }
    if (port.ips !== 'dynamic') for (const ip of port.ips) ips.set(ipKey(ip), port.name)
    placed.push({ port, sw })
  }
  const inserts: Operation[] = []
  // Security groups (lib/nb/plan-security-groups.ts): each placed port into exactly the groups of
  // ours its VIF names, in this same transaction; a group that does not exist is a finding, and
  // the port goes in the drop group all the same (fail closed: it asked to be filtered).
  const groups = ourSecurityGroups(nb)
  const wants: (MembershipWant & { readonly name: string })[] = []
  const wantGroups = (port: DesiredPort, ref: Uuid | NamedUuid): void => {
    const named = port.securityGroups ?? []
    const missing = named.filter((g) => !groups.has(g))
    for (const g of missing) findings.push({ vif: port.name, error: new AgentSecurityGroupMissingError(port.name, g) })
    wants.push({
      port: ref,
      name: port.name,
      groups: named.filter((g) => groups.has(g)),
      dropAnyway: missing.length > 0,
    })
  }
  for (const { port, sw } of placed) {
    const existing = findPortByName(nb, port.name)
    if (existing === undefined) {
      const name = `lsp${inserts.length}`
      inserts.push(op.insert('Logical_Switch_Port', insertRow(port, sw), name))
      change(sw).add.push(namedUuid(name))
      created.push(port.name)
      wantGroups(port, namedUuid(name))
      continue
    }
    wantGroups(port, new Uuid(existing.uuid))
    const owner = owners.get(existing.uuid)
    const id = new Uuid(existing.uuid)
    const moved = owner === undefined || owner.uuid !== sw.uuid
    const update = portUpdate(existing, port, sw)
    if (!moved && update === null) {
      unchanged++
      continue
    }
    if (moved) {
      if (owner !== undefined) {
        change(owner).remove.push(id)
        change(owner).held.push(id)
      }
      change(sw).add.push(id)
    } else change(sw).held.push(id)
    waits.push(
      portStillAsRead(existing, ['name', 'type', 'addresses', 'port_security', 'external_ids', 'options', 'enabled']),
    )
    if (update !== null) writes.push(...update(id))
    updated.push(port.name)
  }
  for (const p of nb.ports) {
    if (p.type !== '' || p.externalIds.get(POOL_UUID_KEY) !== poolUuid) continue
    if (desiredNames.has(p.name) || protectedNames.has(p.name)) continue
    const owner = owners.get(p.uuid)
    if (owner === undefined) continue
    const id = new Uuid(p.uuid)
    change(owner).remove.push(id)
    change(owner).held.push(id)
    deleted.push(p.name)
  }
  const membership = membershipOperations(nb, wants)
  const regrouped = new Set(membership.changed)
  const counted = new Set(updated)
  for (const w of wants)
    if (w.port instanceof Uuid && regrouped.has(w.port.value) && !counted.has(w.name)) {
      // A port whose columns were as desired but whose groups change is updated, not unchanged.
      updated.push(w.name)
      unchanged--
    }
  const managed =
    placed.length +
    [...protectedNames].filter((n) => findPortByName(nb, n)?.externalIds.get(POOL_UUID_KEY) === poolUuid).length
  const base = { created, updated, deleted, unchanged, findings, managed }
  if (created.length + updated.length + deleted.length === 0) return { ...base, operations: [] }
  const operations: Operation[] = []
  const mutates: Operation[] = []
  for (const c of changes.values()) {
    operations.push(switchStillThere(c.sw, new OvsdbSet(c.held)))
    const mutations: Mutation[] = []
    // Delete before insert: a port moving between switches is removed from one and added to the
    // other in the same transaction, so it is referenced at commit and ovsdb-server keeps it.
    if (c.remove.length > 0) mutations.push(['ports', 'delete', new OvsdbSet(c.remove)])
    if (c.add.length > 0) mutations.push(['ports', 'insert', new OvsdbSet(c.add)])
    if (mutations.length > 0)
      mutates.push(op.mutate('Logical_Switch', [where('_uuid', '==', new Uuid(c.sw.uuid))], mutations))
  }
  // Membership last: the ports inserted above are named by their uuid-names.
  operations.push(...waits, ...writes, ...inserts, ...mutates, ...membership.operations)
  operations.push(
    op.comment(
      `xapi-ovn agent (pool ${poolUuid}): ${created.length} created, ${updated.length} updated, ${deleted.length} deleted`,
    ),
  )
  return { ...base, operations }
}

function insertRow(port: DesiredPort, sw: NbSwitchRow): Record<string, Value> {
  const dhcpv4 = portDhcpv4(sw)
  const dhcpv6 = portDhcpv6(sw)
  return {
    name: port.name,
    addresses: port.address,
    ...(port.portSecurity.length === 0 ? {} : { port_security: set(...port.portSecurity) }),
    ...(port.enabled ? {} : { enabled: false }),
    ...(port.requestedChassis === null ? {} : { options: ovsdbMap({ [REQUESTED_CHASSIS]: port.requestedChassis }) }),
    external_ids: ovsdbMap(port.externalIds),
    // The switch's DHCPv4 row (lib/nb/plan-dhcp.ts), as `port attach` links it.
    ...(dhcpv4 === null ? {} : { dhcpv4_options: dhcpv4 }),
    // ...and its DHCPv6 row (lib/nb/plan-ipv6.ts).
    ...(dhcpv6 === null ? {} : { dhcpv6_options: dhcpv6 }),
  }
}

/** The operations that bring `existing` to `port` (other keys of options and external_ids kept), or null. */
function portUpdate(existing: NbPortRow, port: DesiredPort, sw: NbSwitchRow): ((id: Uuid) => Operation[]) | null {
  const row: Record<string, Value> = {}
  // The port answers DHCP from its switch's rows, or from none: a port moved to a switch without
  // DHCP drops the link to the old switch's row (it would keep handing out the old subnet).
  const dhcpv4 = portDhcpv4(sw)
  if (existing.dhcpv4Options !== (dhcpv4?.value ?? null)) row.dhcpv4_options = dhcpv4 ?? set()
  const dhcpv6 = portDhcpv6(sw)
  if (existing.dhcpv6Options !== (dhcpv6?.value ?? null)) row.dhcpv6_options = dhcpv6 ?? set()
  if (!sameStrings(existing.addresses, [port.address])) row.addresses = set(port.address)
  if (!sameStrings(existing.portSecurity, port.portSecurity)) row.port_security = set(...port.portSecurity)
  const enabledNow = existing.enabled !== false
  if (enabledNow !== port.enabled) row.enabled = port.enabled ? set() : false
  const mutations: Mutation[] = [...setKeys('external_ids', changedEntries(existing.externalIds, port.externalIds))]
  const chassisNow = existing.options.get(REQUESTED_CHASSIS) ?? null
  if (chassisNow !== port.requestedChassis) {
    if (chassisNow !== null) mutations.push(['options', 'delete', set(REQUESTED_CHASSIS)])
    if (port.requestedChassis !== null)
      mutations.push(['options', 'insert', ovsdbMap({ [REQUESTED_CHASSIS]: port.requestedChassis })])
  }
  if (Object.keys(row).length === 0 && mutations.length === 0) return null
  return (id) => {
    const ops: Operation[] = []
    const at = [where('_uuid', '==', id)]
    if (Object.keys(row).length > 0) ops.push(op.update('Logical_Switch_Port', at, row))
    if (mutations.length > 0) ops.push(op.mutate('Logical_Switch_Port', at, mutations))
    return ops
  }
}
