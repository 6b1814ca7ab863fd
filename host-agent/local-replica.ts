/**
 * A replica of the local Open_vSwitch tables the chassis rules read (SNAPSHOT_COLUMNS), kept up
 * to date by one OVSDB monitor: each pass plans from it instead of selecting every row again.
 * With hundreds of VIF ports, a full select per database change was most of the agent's
 * allocation (bench/agent.ts). Writes stay guarded by `wait`s on what the plan read, so a
 * replica that lags a change makes the write fail and the next pass plan again; it never makes
 * a wrong write.
 */
import { Uuid } from '../lib/ovsdb/codec.js'
import type { OvsdbClient } from '../lib/ovsdb/client.js'
import type { Monitor } from '../lib/ovsdb/client.js'
import type { TableUpdates } from '../lib/ovsdb/monitor.js'
import type { Row } from '../lib/ovsdb/schema.js'
import type { ChassisSnapshot } from '../lib/chassis/model.js'
import { DB, SNAPSHOT_COLUMNS, SNAPSHOT_TABLES, type SnapshotTable, snapshotFromRows } from '../lib/chassis/ovsdb-io.js'

function isSnapshotTable(name: string): name is SnapshotTable {
  return Object.hasOwn(SNAPSHOT_COLUMNS, name)
}

export class LocalReplica {
  readonly #rows = new Map<SnapshotTable, Map<string, Row>>(SNAPSHOT_TABLES.map((t) => [t, new Map()]))
  #monitor: Monitor<TableUpdates> | undefined

  /**
   * Start the monitor on `db`; `onChange` is called after every update has been applied (the
   * initial contents count as one).
   */
  async start(db: OvsdbClient, onChange: () => void): Promise<void> {
    const requests = Object.fromEntries(SNAPSHOT_TABLES.map((t) => [t, { columns: SNAPSHOT_COLUMNS[t] }]))
    // An update can be handled before the reply's continuation runs (both come off one socket
    // read): hold updates until the initial contents are in, then apply them in order.
    let held: TableUpdates[] | undefined = []
    this.#monitor = await db.monitor(DB, requests, (updates) => {
      if (held !== undefined) {
        held.push(updates)
        return
      }
      this.#apply(updates)
      onChange()
    })
    this.#apply(this.#monitor.initial)
    for (const u of held) this.#apply(u)
    held = undefined
    onChange()
  }

  #apply(updates: TableUpdates): void {
    for (const [table, rows] of Object.entries(updates)) {
      if (!isSnapshotTable(table)) continue
      const replica = this.#rows.get(table)
      if (replica === undefined) continue
      for (const [uuid, change] of Object.entries(rows)) {
        // monitor (RFC 7047 4.1.6): "new" holds every requested column of an inserted or
        // modified row; a deleted row has only "old".
        if (change.new === undefined) replica.delete(uuid)
        else replica.set(uuid, { ...change.new, _uuid: new Uuid(uuid) })
      }
    }
  }

  /** The snapshot of what the monitor has said so far. */
  snapshot(): ChassisSnapshot {
    const rows = (t: SnapshotTable): Row[] => [...(this.#rows.get(t)?.values() ?? [])]
    return snapshotFromRows({
      Open_vSwitch: rows('Open_vSwitch'),
      Bridge: rows('Bridge'),
      Port: rows('Port'),
      Interface: rows('Interface'),
    })
  }
}
