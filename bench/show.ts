/**
 * Benchmark: `xapi-ovn show` on a pool of BENCH_SHOW_HOSTS hosts (default 32) and BENCH_SHOW_PORTS
 * VIF ports (default 5000; two per VM): the XAPI emulator with in-memory hosts over the real
 * xen-api client, a real standalone OVN_Northbound with a real OVN_Southbound and ovn-northd
 * (test/integration/nb-server.ts), which makes one Port_Binding per port; one SB chassis per host
 * (with its encap and Chassis_Private), and every binding set on the chassis of the host its VM
 * runs on (as ovn-controller would). The aim (issue): `show` end to end <= 1 s.
 *
 * Printed: the median of BENCH_SHOW_ROUNDS (default 5) of
 *   - in process: showPool (every read in parallel + the pure join), the join alone;
 *   - end to end: `node .build/lib/cli/main.js show --json` as a user runs it (its own process:
 *     start-up, XAPI login, NB and SB connections, every read, the join, JSON on stdout), and
 *     that process's CPU time, with the load average (the machine's 2 cores are shared).
 * The hosts' plugins are not asked (`--no-host-ports`): in-memory hosts have no OVSDB; on a
 * real pool that read is one plugin call per host, 8 at a time (bench/plugin.ts times one).
 */
import { spawn } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { attachPorts, connectNorthbound, ensureLogicalSwitch, insertedUuids } from '../lib/nb/index.js'
import type { OvsdbClient } from '../lib/ovsdb/client.js'
import { NamedUuid, Uuid, setItems } from '../lib/ovsdb/codec.js'
import { op } from '../lib/ovsdb/operations.js'
import { selectedRows, uuidValue } from '../lib/ovsdb/row-values.js'
import { XapiPool } from '../lib/pool/index.js'
import {
  connectSouthbound,
  planShow,
  readCluster,
  readNbShowSnapshot,
  readSbShowSnapshot,
  readXapiSnapshot,
  showPool,
} from '../lib/show/index.js'
import { isRecord } from '../lib/shape.js'
import { waitFor } from '../lab/wait.js'
import { createEmulatedPool, type EmulatedPool } from '../xapi-emulator/index.js'
import { PASSWORD, memoryHosts } from '../xapi-emulator/testing.js'
import { NbDatabase } from '../test/integration/nb-server.js'

const HOSTS = Number(process.env.BENCH_SHOW_HOSTS ?? 32)
const PORTS = Number(process.env.BENCH_SHOW_PORTS ?? 5000)
const ROUNDS = Number(process.env.BENCH_SHOW_ROUNDS ?? 5)
const AIM_MS = 1000
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'cli', 'main.js')
const SB = 'OVN_Southbound'

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = process.hrtime.bigint()
  const value = await fn()
  return [Number(process.hrtime.bigint() - start) / 1e6, value]
}

/** In chunks of `n` calls in flight (the emulator is one process; this is setup, not measured). */
async function chunked<T, R>(items: readonly T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = []
  for (let i = 0; i < items.length; i += n) out.push(...(await Promise.all(items.slice(i, i + n).map(fn))))
  return out
}

/** One chassis per host (named after the host UUID, as setup makes it), and every binding on its VM's host. */
async function bindAll(
  sb: OvsdbClient,
  hosts: readonly { uuid: string; ip: string }[],
  hostOfPort: ReadonlyMap<string, string>,
): Promise<number> {
  const inserts = hosts.flatMap((h, i) => [
    op.insert(
      'Encap',
      { type: 'geneve', ip: h.ip, chassis_name: h.uuid, options: new Map([['csum', 'true']]) },
      `e${i}`,
    ),
    op.insert('Chassis', { name: h.uuid, hostname: `host${i + 1}`, encaps: new NamedUuid(`e${i}`) }, `c${i}`),
    op.insert('Chassis_Private', { name: h.uuid, chassis: new NamedUuid(`c${i}`), nb_cfg: 0 }),
  ])
  const inserted = insertedUuids(inserts, await sb.transact(SB, inserts))
  const chassisUuid = new Map(hosts.map((h, i) => [h.uuid, inserted.get(`c${i}`)]))
  const [rows] = await sb.transact(SB, [op.select('Port_Binding', [], ['_uuid', 'logical_port'])])
  const updates = selectedRows(rows).flatMap((r) => {
    const host = hostOfPort.get(String(setItems(r.logical_port)[0]))
    const chassis = host === undefined ? undefined : chassisUuid.get(host)
    if (chassis === undefined) return []
    return [
      op.update('Port_Binding', [['_uuid', '==', new Uuid(uuidValue(r._uuid))]], {
        chassis: new Uuid(chassis),
        up: true,
      }),
    ]
  })
  await sb.transact(SB, updates)
  return updates.length
}

export async function benchShow(): Promise<void> {
  let pool: EmulatedPool | undefined
  let session: XapiPool | undefined
  let db: NbDatabase | undefined
  let nb: OvsdbClient | undefined
  let sb: OvsdbClient | undefined
  try {
    const backends = memoryHosts(HOSTS)
    const vmCount = Math.ceil(PORTS / 2)
    pool = await createEmulatedPool({
      hosts: backends,
      password: PASSWORD,
      vms: Array.from({ length: vmCount }, (_, i) => ({ name_label: `vm${i + 1}` })),
    })
    session = await XapiPool.connect({ url: pool.url, password: PASSWORD, transport: 'json-rpc' })
    const xapi = session
    const net = String(
      await xapi.call('network.create', {
        name_label: 'ovn-int',
        name_description: '',
        MTU: 1400,
        other_config: { 'vswitch-controller-fail-mode': 'secure' },
      }),
    )
    const emulated = pool
    const hostOfVm = new Map<string, string>()
    const vifs = await chunked(
      emulated.vms.flatMap((vm) => ['0', '1'].map((device) => ({ vm, device }))).slice(0, PORTS),
      64,
      async ({ vm, device }) => {
        const ref = String(
          await xapi.call('VIF.create', {
            device,
            network: net,
            VM: vm,
            MAC: '',
            MTU: 1400,
            other_config: {},
            qos_algorithm_type: '',
            qos_algorithm_params: {},
          }),
        )
        return {
          vm,
          uuid: String(await xapi.call('VIF.get_uuid', ref)),
          mac: String(await xapi.call('VIF.get_MAC', ref)),
        }
      },
    )
    await chunked([...emulated.vms.entries()], 64, async ([i, vm]) => {
      const host = emulated.hosts[i % emulated.hosts.length]
      if (host === undefined) return
      hostOfVm.set(vm, host.uuid)
      await xapi.call('VM.start_on', vm, host.ref, false, false)
    })

    db = await NbDatabase.standalone()
    await db.startNorthd()
    const sbRemote = `unix:${join(db.dir, 'sb.sock')}`
    nb = await connectNorthbound(db.remotes, { timeoutMs: 120_000 })
    await ensureLogicalSwitch(nb, 'tenant-a')
    await attachPorts(
      nb,
      'tenant-a',
      vifs.map((v, i) => ({ vifUuid: v.uuid, mac: v.mac, ips: [`198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`] })),
    )
    sb = await connectSouthbound(sbRemote, { timeoutMs: 120_000 })
    const sbc = sb
    await waitFor(
      `ovn-northd made ${vifs.length} port bindings`,
      async () => {
        const [r] = await sbc.transact(SB, [op.select('Port_Binding', [], ['_uuid'])])
        return selectedRows(r).length >= vifs.length
      },
      { timeoutMs: 120_000 },
    )
    const hostOfPort = new Map(vifs.map((v) => [v.uuid, hostOfVm.get(v.vm) ?? '']))
    const bound = await bindAll(
      sb,
      emulated.hosts.map((h, i) => ({ uuid: h.uuid, ip: `192.0.2.${11 + i}` })),
      hostOfPort,
    )

    const options = { nbRemotes: db.remotes.join(','), sbRemotes: sbRemote, hostPorts: false }
    const inProcess: number[] = []
    const joinOnly: number[] = []
    const endToEnd: number[] = []
    const cpu: number[] = []
    let findings = ''
    for (let round = 0; round < ROUNDS; round++) {
      const [ms, view] = await timed(() => showPool(xapi, nbc(nb), sbc, options))
      inProcess.push(ms)
      if (view.ports.length !== vifs.length || view.ports.some((p) => p.chassis === null || p.mismatch))
        throw new Error(`show saw ${view.ports.length} ports, not every one bound where its VM runs`)
      findings = [...new Set(view.findings.map((f) => f.code))].join(',') || 'none'
      const snapshots = {
        xapi: await readXapiSnapshot(xapi, { hostPorts: false }),
        nb: await readNbShowSnapshot(nbc(nb)),
        sb: await readSbShowSnapshot(sbc),
        nbCluster: await readCluster(options.nbRemotes, 'OVN_Northbound', []),
        sbCluster: await readCluster(sbRemote, SB, []),
        northd: null,
      }
      joinOnly.push((await timed(async () => planShow(snapshots)))[0])
      const started = process.hrtime.bigint()
      // Not spawnSync: the XAPI emulator the command talks to runs in this process.
      const r = await runCli(['show', '--json', '--no-host-ports'], {
        XAPI_URL: emulated.url,
        XAPI_PASSWORD: PASSWORD,
        OVN_NB_DB: options.nbRemotes,
        OVN_SB_DB: sbRemote,
      })
      endToEnd.push(Number(process.hrtime.bigint() - started) / 1e6)
      if (r.cpuMs !== null) cpu.push(r.cpuMs)
      if (r.code !== 0) throw new Error(`xapi-ovn show exited ${r.code}: ${r.stderr}`)
      if (printedPorts(JSON.parse(r.stdout)) !== vifs.length)
        throw new Error('xapi-ovn show --json printed another number of ports')
    }
    const e2e = median(endToEnd)
    console.log(
      `show bench: ${HOSTS} hosts, ${vifs.length} ports (${bound} bound), median of ${ROUNDS}: ` +
        `showPool ${median(inProcess).toFixed(0)} ms (join ${median(joinOnly).toFixed(1)} ms), ` +
        `xapi-ovn show --json end to end ${e2e.toFixed(0)} ms (aim <= ${AIM_MS} ms: ${e2e <= AIM_MS ? 'met' : 'MISSED'}), ` +
        `its process's CPU ${cpu.length === 0 ? '?' : median(cpu).toFixed(0)} ms; load average ${loadavg()[0]?.toFixed(1)}; findings: ${findings}`,
    )
  } finally {
    await nb?.close().catch(() => undefined)
    await sb?.close().catch(() => undefined)
    await db?.destroy()
    await session?.close()
    await pool?.close()
  }
}

/**
 * The command line as its own process, under /usr/bin/time for its CPU (user + system): on 2
 * cores shared with other work, its wall time says as much about the neighbours as about show.
 */
function runCli(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string; cpuMs: number | null }> {
  const timeFile = join(tmpdir(), `xapi-ovn-show-bench-${process.pid}.time`)
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, process.execPath, CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    child.on('error', reject)
    child.on('close', (code) => {
      let cpuMs: number | null = null
      try {
        const [user, system] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number)
        if (user !== undefined && system !== undefined) cpuMs = (user + system) * 1000
        rmSync(timeFile, { force: true })
      } catch {
        cpuMs = null
      }
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), cpuMs })
    })
  })
}

/** How many ports a printed view holds (-1: not a view). */
/** The number of ports in `show --json`'s one envelope ({ ok, result }, lib/cli/output.ts). */
function printedPorts(v: unknown): number {
  const result = isRecord(v) ? v.result : undefined
  return isRecord(result) && Array.isArray(result.ports) ? result.ports.length : -1
}

function nbc(nb: OvsdbClient | undefined): OvsdbClient {
  if (nb === undefined) throw new Error('no NB connection')
  return nb
}
