/**
 * `show`'s southbound snapshot, in ONE transaction of selects: Chassis (name = the host's
 * system-id, hostname, encaps), Encap (type, ip), Port_Binding (logical_port, the chassis
 * it is bound on, up), Chassis_Private (the nb_cfg each ovn-controller reached) and SB_Global
 * (the nb_cfg northd asks for). Columns of ovn-sb(5), schema 20.27 (OVN 23.03).
 */
import { OvsdbClient } from '../ovsdb/client.js'
import type { SslOptions } from '../ovsdb/remote.js'
import { setItems, type Value } from '../ovsdb/codec.js'
import { op, type Operation } from '../ovsdb/operations.js'
import { optionalValue, selectedRows, uuidValue, uuidValues } from '../ovsdb/row-values.js'
import type { Row } from '../ovsdb/schema.js'
import { SB_DB_NAME, type SbBindingRow, type SbShowSnapshot } from './model.js'

/** What the southbound reader needs of an OVSDB client (OvsdbClient satisfies it). */
export interface SbTransactor {
  transact(db: string, operations: readonly Operation[]): Promise<readonly unknown[]>
}

export const CHASSIS_COLUMNS = ['_uuid', 'name', 'hostname', 'encaps'] as const
export const ENCAP_COLUMNS = ['_uuid', 'type', 'ip'] as const
export const BINDING_COLUMNS = ['logical_port', 'chassis', 'up'] as const
export const CHASSIS_PRIVATE_COLUMNS = ['name', 'nb_cfg'] as const

/** The selects readSbShowSnapshot sends (pure, for tests). */
export function sbShowOperations(): Operation[] {
  return [
    op.select('Chassis', [], CHASSIS_COLUMNS),
    op.select('Encap', [], ENCAP_COLUMNS),
    op.select('Port_Binding', [], BINDING_COLUMNS),
    op.select('Chassis_Private', [], CHASSIS_PRIVATE_COLUMNS),
    op.select('SB_Global', [], ['nb_cfg']),
  ]
}

function text(v: Value | undefined): string {
  return String(setItems(v)[0] ?? '')
}

function toBinding(r: Row): SbBindingRow {
  const [chassis] = uuidValues(r.chassis)
  return {
    logicalPort: text(r.logical_port),
    chassis: chassis ?? null,
    up: optionalValue<boolean>(r.up, 'boolean'),
  }
}

export async function readSbShowSnapshot(sb: SbTransactor): Promise<SbShowSnapshot> {
  const [chassis, encaps, bindings, priv, global] = (await sb.transact(SB_DB_NAME, sbShowOperations())).map(
    selectedRows,
  )
  const g = global?.[0]
  return {
    chassis: (chassis ?? []).map((r) => ({
      uuid: uuidValue(r._uuid),
      name: text(r.name),
      hostname: text(r.hostname),
      encapUuids: uuidValues(r.encaps),
    })),
    encaps: (encaps ?? []).map((r) => ({ uuid: uuidValue(r._uuid), type: text(r.type), ip: text(r.ip) })),
    bindings: (bindings ?? []).map(toBinding),
    chassisPrivate: (priv ?? []).map((r) => ({
      name: text(r.name),
      nbCfg: optionalValue<number>(r.nb_cfg, 'number') ?? 0,
    })),
    globalNbCfg: g === undefined ? null : (optionalValue<number>(g.nb_cfg, 'number') ?? 0),
  }
}

/**
 * Connect to OVN_Southbound for reading: any member connected to its cluster will do (a
 * follower serves committed data), the way ovn-controller's `ovn-remote` list is used.
 */
export function connectSouthbound(
  remotes: string,
  options: { readonly timeoutMs?: number; readonly ssl?: SslOptions } = {},
): Promise<OvsdbClient> {
  return OvsdbClient.connect(remotes, { ...options, database: SB_DB_NAME, leaderOnly: false })
}
