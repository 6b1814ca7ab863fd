/**
 * What the OVN southbound database says about the lab, read with `ovn-sbctl --format=json` from
 * the central: registered chassis (name = the host's system-id, hostname, tunnel endpoints) and
 * port bindings (which chassis each logical port is bound to). This is the ground truth the lab
 * prints and the end-to-end test asserts against.
 *
 * @example
 * ```ts
 * import { sbChassis, sbPortBindings } from './southbound-view.js'
 * const chassis = await sbChassis(pool.central)          // [{ name: hostUuid, hostname, encaps }]
 * const bindings = await sbPortBindings(pool.central)    // Map(vifUuid -> { chassis: hostUuid })
 * ```
 */
import type { OvnCentral } from './central.js'

export interface SbChassis {
  readonly uuid: string
  /** The chassis name: the host's Open_vSwitch external_ids:system-id. */
  readonly name: string
  readonly hostname: string
  readonly encaps: readonly { readonly type: string; readonly ip: string }[]
}

export interface SbPortBinding {
  readonly logicalPort: string
  /** '' for a VIF port, 'localnet', 'patch', ... */
  readonly type: string
  /** Name of the chassis it is bound to, or null. */
  readonly chassis: string | null
}

type Cell = unknown

interface SbctlTable {
  readonly headings: string[]
  readonly data: Cell[][]
}

async function list(central: OvnCentral, table: string, columns: readonly string[]): Promise<Record<string, Cell>[]> {
  const out = await central.sbctl('--format=json', `--columns=${columns.join(',')}`, 'list', table)
  const parsed = JSON.parse(out) as SbctlTable
  return parsed.data.map((row) => Object.fromEntries(parsed.headings.map((h, i) => [h, row[i]])))
}

/** An atom's text: a uuid cell ["uuid", U] gives U. */
function atom(cell: Cell): string {
  if (Array.isArray(cell) && (cell[0] === 'uuid' || cell[0] === 'named-uuid')) return String(cell[1])
  return String(cell)
}

/** A set cell as a list: ["set", [...]] or a bare atom. */
function items(cell: Cell): string[] {
  if (Array.isArray(cell) && cell[0] === 'set') return (cell[1] as Cell[]).map(atom)
  return [atom(cell)]
}

export async function sbChassis(central: OvnCentral): Promise<SbChassis[]> {
  const encaps = await list(central, 'Encap', ['_uuid', 'type', 'ip'])
  const byUuid = new Map(encaps.map((e) => [atom(e._uuid), { type: atom(e.type), ip: atom(e.ip) }]))
  const rows = await list(central, 'Chassis', ['_uuid', 'name', 'hostname', 'encaps'])
  return rows
    .map((r) => ({
      uuid: atom(r._uuid),
      name: atom(r.name),
      hostname: atom(r.hostname),
      encaps: items(r.encaps).flatMap((u) => byUuid.get(u) ?? []),
    }))
    .sort((a, b) => a.hostname.localeCompare(b.hostname))
}

export async function sbPortBindings(central: OvnCentral): Promise<Map<string, SbPortBinding>> {
  const chassis = await list(central, 'Chassis', ['_uuid', 'name'])
  const names = new Map(chassis.map((c) => [atom(c._uuid), atom(c.name)]))
  const rows = await list(central, 'Port_Binding', ['logical_port', 'type', 'chassis'])
  const out = new Map<string, SbPortBinding>()
  for (const r of rows) {
    const bound = items(r.chassis)[0]
    const logicalPort = atom(r.logical_port)
    out.set(logicalPort, {
      logicalPort,
      type: atom(r.type),
      chassis: bound === undefined ? null : (names.get(bound) ?? bound),
    })
  }
  return out
}
