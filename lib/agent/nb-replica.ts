/**
 * The agent's copy of the northbound rows it plans from (every Logical_Switch, every
 * Logical_Switch_Port, every Port_Group: lib/nb/snapshot.ts's columns), kept by ONE monitor on the session
 * (lib/ovsdb/session.ts: monitor_cond_since, so a reconnect to a cluster member resumes with the
 * missed changes, or resyncs in full). A pass then plans without reading 5,000 ports again (a read
 * of that many took ~200 ms: too slow for a port to follow its VIF within the 200 ms).
 *
 * update2 (ovsdb-server(7) "monitor_cond"): `initial`/`insert` carry whole rows; `modify` carries,
 * for a column that may hold several values, a diff (a set: the elements to toggle; a map: the
 * pairs to add, replace or - same key and value - remove), and for any other column (scalar or
 * optional) the new value (isComposite); `delete` removes the row. The writes
 * planned from this copy stay guarded by `wait`s on what was read, so a copy that lags makes the
 * write fail and the pass plan again from the next copy; it never makes a wrong write.
 */
import type { Clock } from '../clock.js'
import { atomEquals, OvsdbSet, type Atom, type ColumnType, type OvsdbMap, type Value } from '../ovsdb/codec.js'
import type { RowUpdate2, TableUpdates2 } from '../ovsdb/monitor.js'
import { columnType, type Row, type TableSchema } from '../ovsdb/schema.js'
import type { OvsdbSession, SessionMonitor, SessionMonitorEvent } from '../ovsdb/session.js'
import { Uuid } from '../ovsdb/codec.js'
import { NB_DB, type NbPortGroupRow, type NbPortRow, type NbSnapshot, type NbSwitchRow } from '../nb/model.js'
import { PORT_COLUMNS, PORT_GROUP_COLUMNS, SWITCH_COLUMNS, toPort, toPortGroup, toSwitch } from '../nb/snapshot.js'

// Port_Group too: a pass puts ports in their security groups (plan-sync.ts).
const TABLES = {
  Logical_Switch: SWITCH_COLUMNS,
  Logical_Switch_Port: PORT_COLUMNS,
  Port_Group: PORT_GROUP_COLUMNS,
} as const
type Table = keyof typeof TABLES

function isTable(name: string): name is Table {
  return Object.hasOwn(TABLES, name)
}

function findKey(m: OvsdbMap, key: Atom): Atom | undefined {
  if (m.has(key)) return key
  for (const k of m.keys()) if (atomEquals(k, key)) return k
  return undefined
}

/**
 * Whether update2 sends a diff for this column: ovsdb-server diffs only "composite" columns, those
 * that may hold more than one value (openvswitch/ovs lib/ovsdb-data.c `ovsdb_datum_diff`,
 * `ovsdb_type_is_composite`: n_max > 1); an optional (0 or 1) or scalar column gets its new value.
 */
export function isComposite(type: ColumnType | undefined): boolean {
  return type === undefined || type.max === 'unlimited' || type.max > 1
}

/** `old` with an update2 `modify` value applied (see the header): a diff for a composite column. */
export function applyDiff(old: Value | undefined, diff: Value, composite = true): Value {
  if (!composite) return diff
  if (diff instanceof Map) {
    const m: OvsdbMap = new Map(old instanceof Map ? old : [])
    for (const [k, v] of diff) {
      const present = findKey(m, k)
      if (present !== undefined) {
        const same = atomEquals(m.get(present) as Atom, v)
        m.delete(present)
        if (same) continue
      }
      m.set(k, v)
    }
    return m
  }
  if (diff instanceof OvsdbSet) {
    const items = old instanceof OvsdbSet ? [...old.items] : old === undefined || old instanceof Map ? [] : [old]
    for (const a of diff.items) {
      const i = items.findIndex((x) => atomEquals(x, a))
      if (i >= 0) items.splice(i, 1)
      else items.push(a)
    }
    return new OvsdbSet(items)
  }
  return diff
}

export class NbReplica {
  readonly #rows: Record<Table, Map<string, Row>> = {
    Logical_Switch: new Map(),
    Logical_Switch_Port: new Map(),
    Port_Group: new Map(),
  }
  // Converted rows, kept until their row changes: a pass builds its snapshot from these.
  readonly #switches = new Map<string, NbSwitchRow>()
  readonly #ports = new Map<string, NbPortRow>()
  readonly #groups = new Map<string, NbPortGroupRow>()
  #monitor: SessionMonitor | undefined
  #schema: ReadonlyMap<string, TableSchema> = new Map()
  #version = 0
  #waiters: (() => void)[] = []

  /**
   * Start the monitor; `onChange` after every applied update (initial contents included), told
   * whether a switch itself changed (inserted, deleted, or a column other than `ports`: its
   * DHCP rows, subnet, IPv6 keys), which changes what its ports should be.
   */
  async start(session: OvsdbSession, onChange: (switchChanged: boolean) => void): Promise<void> {
    const requests = Object.fromEntries(
      Object.entries(TABLES).map(([t, columns]) => [t, { columns: columns.filter((c) => c !== '_uuid') }]),
    )
    // The column types say which modify values are diffs (isComposite).
    this.#schema = (await (await session.ready()).getSchema(NB_DB)).tables
    this.#monitor = await session.monitor(NB_DB, requests, (e: SessionMonitorEvent) => {
      if (e.kind === 'initial') this.#reset()
      const switchChanged = this.#apply(e.updates)
      this.#version++
      for (const w of this.#waiters.splice(0)) w()
      onChange(switchChanged)
    })
  }

  /** Bumped by every applied update. */
  get version(): number {
    return this.#version
  }

  /** Resolves at the next applied update, or after `ms` on `clock`. */
  async changed(ms: number, clock: Clock): Promise<void> {
    const timeout = new AbortController()
    let waiter = (): void => undefined
    const update = new Promise<void>((resolve) => {
      waiter = resolve
      this.#waiters.push(resolve)
    })
    await Promise.race([update, clock.sleep(ms, timeout.signal)])
    timeout.abort()
    // A timed-out waiter leaves the list now, not at the next update (a quiet NB kept them all).
    const i = this.#waiters.indexOf(waiter)
    if (i >= 0) this.#waiters.splice(i, 1)
  }

  #reset(): void {
    for (const m of Object.values(this.#rows)) m.clear()
    this.#switches.clear()
    this.#ports.clear()
    this.#groups.clear()
  }

  /** Apply an update; true when a switch row changed other than in `ports` (see start). */
  #apply(updates: TableUpdates2): boolean {
    let switchChanged = false
    for (const [table, rows] of Object.entries(updates)) {
      if (!isTable(table)) continue
      const replica = this.#rows[table]
      for (const [uuid, change] of Object.entries(rows)) {
        // The agent's own writes only mutate a switch's `ports`: those never set this.
        if (table === 'Logical_Switch')
          switchChanged ||= change.modify === undefined || Object.keys(change.modify).some((c) => c !== 'ports')
        const row = nextRow(replica.get(uuid), change, this.#schema.get(table))
        if (row === undefined) replica.delete(uuid)
        else replica.set(uuid, { ...row, _uuid: new Uuid(uuid) })
        if (table === 'Logical_Switch') this.#switches.delete(uuid)
        else if (table === 'Logical_Switch_Port') this.#ports.delete(uuid)
        else this.#groups.delete(uuid)
      }
    }
    return switchChanged
  }

  /** The rows as an NbSnapshot, as `readSnapshot(nb, 'all')` would read them, with the port groups (not their ACLs). */
  snapshot(): NbSnapshot {
    const switches: NbSwitchRow[] = []
    for (const [uuid, row] of this.#rows.Logical_Switch) {
      let s = this.#switches.get(uuid)
      if (s === undefined) {
        s = toSwitch(row)
        this.#switches.set(uuid, s)
      }
      switches.push(s)
    }
    const ports: NbPortRow[] = []
    for (const [uuid, row] of this.#rows.Logical_Switch_Port) {
      let p = this.#ports.get(uuid)
      if (p === undefined) {
        p = toPort(row)
        this.#ports.set(uuid, p)
      }
      ports.push(p)
    }
    const portGroups: NbPortGroupRow[] = []
    for (const [uuid, row] of this.#rows.Port_Group) {
      let g = this.#groups.get(uuid)
      if (g === undefined) {
        g = toPortGroup(row)
        this.#groups.set(uuid, g)
      }
      portGroups.push(g)
    }
    return { switches, ports, portGroups }
  }

  async stop(): Promise<void> {
    await this.#monitor?.cancel().catch(() => undefined)
    for (const w of this.#waiters.splice(0)) w()
  }
}

function nextRow(old: Row | undefined, change: RowUpdate2, table: TableSchema | undefined): Row | undefined {
  if (change.delete === true) return undefined
  const whole = change.initial ?? change.insert
  if (whole !== undefined) return whole
  if (change.modify === undefined) return old
  const row: Record<string, Value> = { ...(old ?? {}) }
  for (const [column, diff] of Object.entries(change.modify))
    row[column] = applyDiff(old?.[column], diff, isComposite(columnType(table, column)))
  return row
}
