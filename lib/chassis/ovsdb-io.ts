/**
 * The chassis rules' only I/O with the local Open_vSwitch database: read a snapshot (one
 * transaction of selects, so it is consistent) and send an ExternalIdsWrite as one transaction
 * guarded by waits. A failed precondition is OVN_CONCURRENT_CHANGE and nothing is written.
 */
import { ConcurrentChangeError, InternalError } from '../errors.js'
import { ovsdbMap, set, setItems, stringMap, Uuid } from '../ovsdb/codec.js'
import { optionalValue, uuidValue, uuidValues } from '../ovsdb/row-values.js'
import { OvsdbWaitFailedError } from '../ovsdb/errors.js'
import { op, where, type Operation, type ResultsOf } from '../ovsdb/operations.js'
import type { Row } from '../ovsdb/schema.js'
import type { ExternalIdsWrite } from './external-ids-write.js'
import type { BridgeRemoval } from './plan-repair.js'
import type { BridgeRow, ChassisSnapshot, InterfaceRow, PortRow } from './model.js'

export const DB = 'Open_vSwitch'

/**
 * What the chassis code needs of an OVSDB client (OvsdbClient satisfies it): its `transact`, with
 * the same signature, so each result keeps the type of its operation (a select's rows, an
 * insert's uuid) and no caller casts it back.
 */
export interface Transactor {
  transact<const Ops extends readonly Operation[]>(db: string, operations: Ops): Promise<ResultsOf<Ops>>
}

/** The tables and columns a ChassisSnapshot is made of (besides each row's _uuid). */
export const SNAPSHOT_COLUMNS = {
  Open_vSwitch: ['external_ids', 'ssl'],
  Bridge: ['name', 'external_ids', 'fail_mode', 'datapath_type', 'ports'],
  Port: ['name', 'interfaces', 'external_ids'],
  Interface: ['name', 'type', 'external_ids', 'options'],
} as const satisfies Record<string, readonly string[]>

export type SnapshotTable = keyof typeof SNAPSHOT_COLUMNS
export const SNAPSHOT_TABLES: readonly SnapshotTable[] = ['Open_vSwitch', 'Bridge', 'Port', 'Interface']

/** Rows of the snapshot tables, each with its `_uuid`, as a select or a monitor gives them. */
export type SnapshotRows = Readonly<Record<SnapshotTable, readonly Row[]>>

export async function readSnapshot(client: Transactor): Promise<ChassisSnapshot> {
  const results = await client.transact(
    DB,
    SNAPSHOT_TABLES.map((t) => op.select(t, [], ['_uuid', ...SNAPSHOT_COLUMNS[t]])),
  )
  const [ovsRows, bridgeRows, portRows, ifaceRows] = results.map((r) => r.rows)
  return snapshotFromRows({
    Open_vSwitch: ovsRows ?? [],
    Bridge: bridgeRows ?? [],
    Port: portRows ?? [],
    Interface: ifaceRows ?? [],
  })
}

/** The snapshot of these rows (one consistent read: a select, or a monitor's replica). */
export function snapshotFromRows(rows: SnapshotRows): ChassisSnapshot {
  const ovsRows = rows.Open_vSwitch
  const [ovs] = ovsRows
  if (ovs === undefined || ovsRows.length !== 1)
    throw new InternalError(`expected one Open_vSwitch row, found ${ovsRows.length}`)
  return {
    ovs: {
      uuid: uuidValue(ovs._uuid),
      externalIds: stringMap(ovs.external_ids),
      hasSslRow: setItems(ovs.ssl).length > 0,
    },
    bridges: rows.Bridge.map(toBridge),
    ports: rows.Port.map(toPort),
    interfaces: rows.Interface.map(toInterface),
  }
}

/** Send the write: waits (external_ids unchanged, bridges present), then one mutate. */
export function writeOperations(write: ExternalIdsWrite, comment: string): Operation[] {
  const self = [where('_uuid', '==', new Uuid(write.ovsUuid))]
  return [
    op.wait('Open_vSwitch', self, ['external_ids'], '==', [{ external_ids: ovsdbMap(write.expected) }]),
    ...write.bridges.map((name) => op.wait('Bridge', [where('name', '==', name)], ['name'], '==', [{ name }])),
    op.mutate('Open_vSwitch', self, [
      ['external_ids', 'delete', set(...write.remove)],
      ['external_ids', 'insert', ovsdbMap(write.set)],
    ]),
    op.comment(comment),
  ]
}

/**
 * Remove bridges (a stray br-int): each only if its ports are still the ones planned for; Port and
 * Interface rows go with it (the database collects rows nothing refers to).
 */
export function removeBridgeOperations(
  ovsUuid: string,
  removals: readonly BridgeRemoval[],
  comment: string,
): Operation[] {
  return [
    ...removals.map((b) =>
      op.wait('Bridge', [where('_uuid', '==', new Uuid(b.uuid))], ['ports'], '==', [
        { ports: set(...b.portUuids.map((u) => new Uuid(u))) },
      ]),
    ),
    op.mutate(
      'Open_vSwitch',
      [where('_uuid', '==', new Uuid(ovsUuid))],
      [['bridges', 'delete', set(...removals.map((b) => new Uuid(b.uuid)))]],
    ),
    op.comment(comment),
  ]
}

export async function applyBridgeRemovals(
  client: Transactor,
  ovsUuid: string,
  removals: readonly BridgeRemoval[],
  comment: string,
): Promise<void> {
  if (removals.length === 0) return
  try {
    await client.transact(DB, removeBridgeOperations(ovsUuid, removals, comment))
  } catch (e) {
    if (e instanceof OvsdbWaitFailedError)
      throw new ConcurrentChangeError('a bridge to remove changed since it was read; run the call again')
    throw e
  }
}

export async function applyWrite(client: Transactor, write: ExternalIdsWrite, comment: string): Promise<void> {
  try {
    await client.transact(DB, writeOperations(write, comment))
  } catch (e) {
    if (e instanceof OvsdbWaitFailedError) {
      throw new ConcurrentChangeError(
        'Open_vSwitch external_ids or a bridge changed since it was read; run the call again',
      )
    }
    throw e
  }
}

/** How often, and with which pause, a read-plan-write is tried again after OVN_CONCURRENT_CHANGE. */
export interface RetryOptions {
  /** Tries in all, the first one included. */
  readonly attempts: number
  /** The pause between tries: injected (the plugin context's sleep, a fake in tests). */
  readonly sleep: (ms: number) => Promise<void>
  /** A number in [0, 1) for the jitter; Math.random when not given. */
  readonly random?: () => number
}

/**
 * Tries for a chassis write. Our write is guarded by the whole Open_vSwitch external_ids map as
 * read (an OVSDB wait compares whole columns), so any other writer of that map between our read
 * and our write makes it fail: an operator's or a tool's ovs-vsctl, another agent of the host,
 * ovn-controller deleting its ovn-managed-flow-restore-wait key (ovn-org/ovn
 * controller/ovn-controller.c; its ovn-nb-cfg stamps go to the integration Bridge's external_ids
 * instead, store_nb_cfg, which our wait does not cover). Against a writer busy enough to make one
 * try in three lose, eight in a row is rare enough that the caller is told only then — also on a
 * loaded dom0, where each try takes longer and loses more often (five were seen to lose in a row
 * under load in the stress test of test/integration/plugin-configure.test.ts). The pauses double
 * from 10 ms, so the last try starts at most ~1.3 s after the first.
 */
export const WRITE_ATTEMPTS = 8
/** The first pause, in ms; each later one doubles, and each is jittered from half to one and a half times. */
const BASE_PAUSE_MS = 10

/** The jittered pause after failed try number `attempt` (1-based). */
export function retryPause(attempt: number, random: () => number): number {
  return Math.round(BASE_PAUSE_MS * 2 ** (attempt - 1) * (0.5 + random()))
}

/**
 * Run `attempt` (which must read its snapshot afresh, plan, and write in one guarded
 * transaction) until it does not fail with OVN_CONCURRENT_CHANGE, at most `options.attempts`
 * times. Each try is whole: a plan made from an old snapshot is never sent again. Any other error
 * ends it at once.
 */
export async function retryOnConcurrentChange<T>(
  attempt: (tryNumber: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const random = options.random ?? Math.random
  for (let n = 1; ; n++) {
    try {
      return await attempt(n)
    } catch (err) {
      if (!(err instanceof ConcurrentChangeError)) throw err
      if (n >= options.attempts) {
        throw new ConcurrentChangeError(
          `Open_vSwitch external_ids or a bridge changed between our read and our write ${n} times in a row; run the call again`,
        )
      }
    }
    await options.sleep(retryPause(n, random))
  }
}

function toBridge(r: Row): BridgeRow {
  return {
    uuid: uuidValue(r._uuid),
    name: String(r.name),
    externalIds: stringMap(r.external_ids),
    failMode: optionalValue<string>(r.fail_mode, 'string'),
    datapathType: optionalValue<string>(r.datapath_type, 'string') ?? '',
    portUuids: uuidValues(r.ports),
  }
}

function toPort(r: Row): PortRow {
  return {
    uuid: uuidValue(r._uuid),
    name: String(r.name),
    interfaceUuids: uuidValues(r.interfaces),
    externalIds: stringMap(r.external_ids),
  }
}

function toInterface(r: Row): InterfaceRow {
  return {
    uuid: uuidValue(r._uuid),
    name: String(r.name),
    type: optionalValue<string>(r.type, 'string') ?? '',
    externalIds: stringMap(r.external_ids),
    options: stringMap(r.options),
  }
}
