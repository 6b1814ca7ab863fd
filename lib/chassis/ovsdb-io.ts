/**
 * The chassis rules' only I/O with the local Open_vSwitch database: read a snapshot (one
 * transaction of selects, so it is consistent) and send an ExternalIdsWrite as one transaction
 * guarded by waits. A failed precondition is OVN_CONCURRENT_CHANGE and nothing is written.
 */
import { ConcurrentChangeError, InternalError } from '../errors.js'
import { ovsdbMap, set, setItems, stringMap, Uuid } from '../ovsdb/codec.js'
import { optionalValue, selectedRows, uuidValue, uuidValues } from '../ovsdb/row-values.js'
import { OvsdbWaitFailedError } from '../ovsdb/errors.js'
import { op, where, type Operation } from '../ovsdb/operations.js'
import type { Row } from '../ovsdb/schema.js'
import type { ExternalIdsWrite } from './external-ids-write.js'
import type { BridgeRemoval } from './plan-repair.js'
import type { BridgeRow, ChassisSnapshot, InterfaceRow, PortRow } from './model.js'

export const DB = 'Open_vSwitch'

/** What the chassis code needs of an OVSDB client (OvsdbClient satisfies it). */
export interface Transactor {
  transact(db: string, operations: readonly Operation[]): Promise<readonly unknown[]>
}

export async function readSnapshot(client: Transactor): Promise<ChassisSnapshot> {
  const results = await client.transact(DB, [
    op.select('Open_vSwitch', [], ['_uuid', 'external_ids', 'ssl']),
    op.select('Bridge', [], ['_uuid', 'name', 'external_ids', 'fail_mode', 'datapath_type', 'ports']),
    op.select('Port', [], ['_uuid', 'name', 'interfaces', 'external_ids']),
    op.select('Interface', [], ['_uuid', 'name', 'type', 'external_ids', 'options']),
  ])
  const [ovsRows, bridgeRows, portRows, ifaceRows] = results.map(selectedRows)
  if (ovsRows?.length !== 1) throw new InternalError(`expected one Open_vSwitch row, found ${ovsRows?.length ?? 0}`)
  const ovs = ovsRows[0] as Row
  return {
    ovs: {
      uuid: uuidValue(ovs._uuid),
      externalIds: stringMap(ovs.external_ids),
      hasSslRow: setItems(ovs.ssl).length > 0,
    },
    bridges: (bridgeRows ?? []).map(toBridge),
    ports: (portRows ?? []).map(toPort),
    interfaces: (ifaceRows ?? []).map(toInterface),
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
