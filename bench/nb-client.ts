/**
 * The client side of the northbound bench (bench/nb.ts), one process per run so that its peak
 * RSS is the client's own (not the bench's, nor an earlier run's):
 *
 *   node .build/bench/nb-client.js <lib|raw> <remote> <server pid> <ports> <first VIF index>
 *
 * Connects, then times an attach of <ports> new VIF ports on switch `bench-<mode>` and a detach
 * of them by VIF name, the library's way (one public call each) or the raw peer's (see nb.ts).
 * Prints one JSON line: each wall time, the server's CPU meanwhile, and process.resourceUsage()
 * maxRSS after the attach and after both.
 * Both sides run on the package as users import it, dist/lib/index.js (build/lib.mjs bundles it),
 * not on .build's one module per source file: its RSS and load time are what a user gets.
 */
import { readFileSync } from 'node:fs'
import type * as Package from '../lib/index.js'
import type { OvsdbClient } from '../lib/ovsdb/client.js'
import type { Uuid } from '../lib/ovsdb/codec.js'
import type { Operation } from '../lib/ovsdb/operations.js'
import { isRecord } from '../lib/shape.js'

/** dist/lib/index.js, from .build/bench/nb-client.js. */
const PACKAGE_ENTRY = new URL('../../dist/lib/index.js', import.meta.url)

function isPackage(m: unknown): m is typeof Package {
  return (
    isRecord(m) &&
    isRecord(m.nb) &&
    isRecord(m.ovsdb) &&
    typeof m.nb.attachPorts === 'function' &&
    typeof m.nb.detachPorts === 'function' &&
    typeof m.ovsdb.OvsdbSet === 'function'
  )
}

async function loadPackage(): Promise<typeof Package> {
  const m: unknown = await import(PACKAGE_ENTRY.href)
  if (!isPackage(m)) throw new Error(`${PACKAGE_ENTRY.pathname} is not the xapi-ovn package (npm run build)`)
  return m
}

const DB = 'OVN_Northbound'

export interface Timed {
  readonly ms: number
  /** ovsdb-server CPU time meanwhile, ms. */
  readonly serverMs: number
}

export interface ClientRun {
  readonly attach: Timed
  readonly detach: Timed
  /** Peak RSS of the client process after its attach, MB. */
  readonly attachPeakRssMb: number
  /** Peak RSS of the client process after both, MB. */
  readonly peakRssMb: number
}

function vif(i: number): string {
  const h = i.toString(16).padStart(12, '0')
  return `${h.slice(0, 8)}-1111-4222-8333-${h}`
}

function mac(i: number): string {
  const h = i.toString(16).padStart(6, '0')
  return `02:00:00:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`
}

/** utime + stime of `pid` in ms (/proc/<pid>/stat fields 14 and 15, clock ticks of 1/100 s). */
function cpuMs(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

async function timed(serverPid: number, fn: () => Promise<unknown>): Promise<Timed> {
  const cpu0 = cpuMs(serverPid)
  const start = process.hrtime.bigint()
  await fn()
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  return { ms, serverMs: cpuMs(serverPid) - cpu0 }
}

async function switchUuid({ ovsdb }: typeof Package, nb: OvsdbClient, name: string): Promise<Uuid> {
  const { op, where, setItems, selectedRows } = ovsdb
  const [r] = await nb.transact(DB, [op.select('Logical_Switch', [where('name', '==', name)], ['_uuid'])])
  const [u] = setItems(selectedRows(r)[0]?._uuid)
  if (!(u instanceof ovsdb.Uuid)) throw new Error(`no switch ${name}`)
  return u
}

/** The raw attach: N inserts and one mutate, one transaction, nothing read first. */
function rawAttachOps({ ovsdb }: typeof Package, sw: Uuid, vifs: readonly string[], from: number): Operation[] {
  const { op, where, NamedUuid, OvsdbSet } = ovsdb
  const ops: Operation[] = []
  const names: InstanceType<typeof NamedUuid>[] = []
  vifs.forEach((name, i) => {
    names.push(new NamedUuid(`p${i}`))
    ops.push(op.insert('Logical_Switch_Port', { name, addresses: mac(from + i) }, `p${i}`))
  })
  ops.push(op.mutate('Logical_Switch', [where('_uuid', '==', sw)], [['ports', 'insert', new OvsdbSet(names)]]))
  return ops
}

/** The raw detach by VIF name: one select of names and UUIDs, one mutate. */
async function rawDetach(
  { ovsdb }: typeof Package,
  nb: OvsdbClient,
  sw: Uuid,
  vifs: ReadonlySet<string>,
): Promise<void> {
  const { op, where, setItems, selectedRows, OvsdbSet, Uuid } = ovsdb
  const [r] = await nb.transact(DB, [op.select('Logical_Switch_Port', [], ['_uuid', 'name'])])
  const gone: Uuid[] = []
  for (const row of selectedRows(r)) {
    const [name] = setItems(row.name)
    const [u] = setItems(row._uuid)
    if (typeof name === 'string' && vifs.has(name) && u instanceof Uuid) gone.push(u)
  }
  if (gone.length !== vifs.size) throw new Error(`raw detach found ${gone.length} of ${vifs.size} ports`)
  await nb.transact(DB, [
    op.mutate('Logical_Switch', [where('_uuid', '==', sw)], [['ports', 'delete', new OvsdbSet(gone)]]),
  ])
}

/** The library's attach; its arguments are garbage once it returns (the detach needs only the VIF names). */
async function libAttach(
  { nb: lib }: typeof Package,
  nb: OvsdbClient,
  pid: number,
  vifs: readonly string[],
  from: number,
): Promise<Timed> {
  const ports = vifs.map((vifUuid, i) => ({ vifUuid, mac: mac(from + i) }))
  return timed(pid, async () => {
    const r = await lib.attachPorts(nb, 'bench-lib', ports)
    if (r.ports.length !== vifs.length || !r.ports.every((p) => p.action === 'created'))
      throw new Error('library attach did not create every port')
  })
}

async function main(): Promise<void> {
  const [mode, remote, pidText, portsText, fromText] = process.argv.slice(2)
  if ((mode !== 'lib' && mode !== 'raw') || remote === undefined)
    throw new Error('usage: nb-client <lib|raw> <remote> <server pid> <ports> <first VIF index>')
  const pid = Number(pidText)
  const n = Number(portsText)
  const from = Number(fromText)
  const vifs = Array.from({ length: n }, (_, i) => vif(from + i))
  const pkg = await loadPackage()
  const nb = await pkg.connectNorthbound(remote, { timeoutMs: 600_000 })
  try {
    let attach: Timed
    let detach: Timed
    let attachPeakRssMb = 0
    if (mode === 'lib') {
      attach = await libAttach(pkg, nb, pid, vifs, from)
      attachPeakRssMb = process.resourceUsage().maxRSS / 1024
      detach = await timed(pid, async () => {
        const r = await pkg.nb.detachPorts(nb, vifs)
        if (r.removed.length !== n) throw new Error('library detach did not remove every port')
      })
    } else {
      const sw = await switchUuid(pkg, nb, `bench-${mode}`)
      attach = await timed(pid, () => nb.transact(DB, rawAttachOps(pkg, sw, vifs, from)))
      attachPeakRssMb = process.resourceUsage().maxRSS / 1024
      detach = await timed(pid, () => rawDetach(pkg, nb, sw, new Set(vifs)))
    }
    const run: ClientRun = { attach, detach, attachPeakRssMb, peakRssMb: process.resourceUsage().maxRSS / 1024 }
    process.stdout.write(`${JSON.stringify(run)}\n`)
  } finally {
    await nb.close()
  }
}

if (process.argv[1]?.endsWith('nb-client.js')) await main()
