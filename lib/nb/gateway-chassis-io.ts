/**
 * Which chassis may carry a router's gateway: the ones whose ovn-controller was set up with
 * `ovn-cms-options=enable-chassis-as-gw` (`xapi-ovn setup --gateway-hosts`, lib/chassis/keys.ts).
 * ovn-controller copies the key from its Open_vSwitch external_ids into its southbound Chassis
 * row, `other_config` (since OVN 22.x; `external_ids` before, still read here), which is where a
 * CMS reads it (Neutron's ovn_client gateway scheduling does the same). One select.
 */
import { setItems, stringMap } from '../ovsdb/codec.js'
import { op } from '../ovsdb/operations.js'
import { selectedRows } from '../ovsdb/row-values.js'
import type { NbTransactor } from './snapshot.js'

export const SB_DB = 'OVN_Southbound'
/** The ovn-cms-options word that makes a chassis a gateway candidate (ovn-controller(8)). */
export const GATEWAY_CMS_OPTION = 'enable-chassis-as-gw'
const CMS_OPTIONS_KEY = 'ovn-cms-options'

export interface GatewayChassis {
  /** Chassis name: ovn-controller's system-id, what HA_Chassis.chassis_name holds. */
  readonly name: string
  readonly hostname: string
}

export interface SbChassisRow {
  readonly name: string
  readonly hostname: string
  readonly otherConfig: ReadonlyMap<string, string>
  readonly externalIds: ReadonlyMap<string, string>
}

/** Pure: the gateway candidates among these Chassis rows, by hostname then name (a stable priority order). */
export function gatewayCandidates(rows: readonly SbChassisRow[]): GatewayChassis[] {
  const isGateway = (r: SbChassisRow): boolean =>
    (r.otherConfig.get(CMS_OPTIONS_KEY) ?? r.externalIds.get(CMS_OPTIONS_KEY) ?? '')
      .split(',')
      .some((w) => w.trim() === GATEWAY_CMS_OPTION)
  return rows
    .filter(isGateway)
    .map((r) => ({ name: r.name, hostname: r.hostname }))
    .sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : a.name < b.name ? -1 : 1))
}

/** Read the southbound's Chassis rows and return the gateway candidates. */
export async function listGatewayChassis(sb: NbTransactor): Promise<GatewayChassis[]> {
  const [result] = await sb.transact(SB_DB, [
    op.select('Chassis', [], ['name', 'hostname', 'other_config', 'external_ids']),
  ])
  return gatewayCandidates(
    selectedRows(result).map((r) => ({
      name: String(setItems(r.name)[0] ?? ''),
      hostname: String(setItems(r.hostname)[0] ?? ''),
      otherConfig: stringMap(r.other_config),
      externalIds: stringMap(r.external_ids),
    })),
  )
}
