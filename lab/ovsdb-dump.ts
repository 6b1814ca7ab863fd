/**
 * Dumps of a host's whole Open_vSwitch database as stable text (LabHost.dumpDb/dumpConfig): the
 * "this call changed nothing" checks of the tests compare two of them.
 */

/** Columns whose values change on their own in a running switch; `dumpConfig()` leaves them out. */
export const VOLATILE_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  Open_vSwitch: [
    'cur_cfg',
    'next_cfg',
    'statistics',
    'iface_types',
    'datapath_types',
    'dpdk_initialized',
    'dpdk_version',
  ],
  Bridge: ['datapath_id', 'datapath_version', 'status', 'rstp_status'],
  Port: ['statistics', 'status', 'rstp_statistics', 'rstp_status', 'bond_active_slave', 'lacp_status'],
  Interface: [
    'admin_state',
    'link_state',
    'link_resets',
    'link_speed',
    'duplex',
    'mtu',
    'mac_in_use',
    'ifindex',
    'ofport',
    'statistics',
    'status',
    'error',
    'lacp_current',
    'bfd_status',
    'cfm_fault',
    'cfm_fault_status',
    'cfm_health',
    'cfm_flap_count',
    'cfm_remote_mpids',
    'cfm_remote_opstate',
  ],
  Controller: ['is_connected', 'role', 'status'],
  Manager: ['is_connected', 'status'],
  Mirror: ['statistics'],
  Datapath: ['capabilities'],
}

/**
 * external_ids keys that ovn-controller rewrites on its own clock (timestamps of nb_cfg and of
 * port installation); `dumpConfig()` leaves them out too.
 */
export const VOLATILE_EXTERNAL_ID_KEYS: readonly string[] = [
  'ovn-nb-cfg',
  'ovn-nb-cfg-ts',
  'ovn-installed-ts',
  'ovn-startup-ts',
]

/** The value of an OVSDB atom in JSON: a uuid's string, else the atom. */
export function atomText(v: unknown): unknown {
  return Array.isArray(v) && (v[0] === 'uuid' || v[0] === 'named-uuid') ? v[1] : v
}

export interface DumpTable {
  readonly caption: string
  readonly headings: string[]
  readonly data: unknown[][]
}

/** `ovsdb-client --format=json dump` prints one JSON object per table, concatenated. */
export function parseJsonDump(text: string): DumpTable[] {
  const tables: DumpTable[] = []
  let depth = 0
  let start = -1
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
      continue
    }
    if (c === '"') inString = true
    else if (c === '{') {
      if (depth === 0) start = i
      depth++
    } else if (c === '}') {
      depth--
      if (depth === 0) tables.push(JSON.parse(text.slice(start, i + 1)) as DumpTable)
    }
  }
  return tables
}

/** Canonical JSON of an OVSDB value: sets and maps sorted. */
function canonicalValue(v: unknown, dropKeys: readonly string[]): unknown {
  if (!Array.isArray(v)) return v
  const [tag, body] = v as [string, unknown]
  if (tag === 'set') {
    return ['set', (body as unknown[]).map((x) => canonicalValue(x, dropKeys)).sort(compareJson)]
  }
  if (tag === 'map') {
    const pairs = (body as [unknown, unknown][])
      .filter(([k]) => !(typeof k === 'string' && dropKeys.includes(k)))
      .map(([k, val]) => [canonicalValue(k, dropKeys), canonicalValue(val, dropKeys)] as [unknown, unknown])
    return ['map', pairs.sort((a, b) => compareJson(a[0], b[0]))]
  }
  return v
}

function compareJson(a: unknown, b: unknown): number {
  const x = JSON.stringify(a)
  const y = JSON.stringify(b)
  return x < y ? -1 : x > y ? 1 : 0
}

export function canonicalDump(
  tables: DumpTable[],
  dropColumn: (table: string, column: string) => boolean,
  dropKeys: readonly string[] = [],
): string {
  const lines: string[] = []
  const named = tables
    .map((t) => ({ ...t, name: t.caption.replace(/ table$/, '') }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const t of named) {
    const uuidIndex = t.headings.indexOf('_uuid')
    const columns = t.headings
      .map((h, i) => ({ h, i }))
      .filter(({ h }) => h !== '_uuid' && h !== '_version' && !dropColumn(t.name, h))
      .sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : 0))
    const rows = t.data.map((row) => {
      const uuid = String(atomText(row[uuidIndex]))
      const body = columns.map(
        ({ h, i }) =>
          `${JSON.stringify(h)}:${JSON.stringify(canonicalValue(row[i], h === 'external_ids' ? dropKeys : []))}`,
      )
      return `${t.name} ${uuid} {${body.join(',')}}`
    })
    lines.push(...rows.sort())
  }
  return `${lines.join('\n')}\n`
}
