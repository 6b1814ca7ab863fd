/**
 * The pool driver's integration fixture: a lab pool (real ovsdb-server/ovs-vswitchd per host in
 * its namespace, a real OVN central) served by the XAPI emulator, with the bundled ovn-chassis
 * plugin installed on every host. Torn down by `close()` (idempotent), emulator first.
 */
import { spawn } from 'node:child_process'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLabPool, type LabPool } from '../../lab/pool.js'
import type { LabHost } from '../../lab/host.js'
import { VOLATILE_EXTERNAL_ID_KEYS } from '../../lab/host.js'
import { createEmulatedPool, type EmulatedPool } from '../../xapi-emulator/index.js'

export const PASSWORD = 'pool-driver-secret'
/** The repository root (tests run from .build/test/integration). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const PLUGIN_FILE = join(ROOT, 'dist', 'ovn-chassis')
export const CLI = join(ROOT, '.build', 'lib', 'cli', 'main.js')
/** The lab's hosts use the userspace datapath, so ovn-controller must create netdev bridges. */
export const LAB_CHASSIS_KEYS = { 'ovn-bridge-datapath-type': 'netdev' } as const

export interface PoolFixture {
  readonly lab: LabPool
  readonly xapi: EmulatedPool
  readonly hosts: readonly LabHost[]
  /** Take `hosts[i]` off/on line in XAPI's eyes (host_metrics.live). */
  setLive(i: number, live: boolean): void
  /** Change a field of host i's management PIF in the XAPI database. */
  setManagementPif(i: number, fields: Record<string, string | boolean>): void
  close(): Promise<void>
}

/** `vms`: names of (Halted) VMs to seed, without guests: their VIFs are plain ports. */
export async function createPoolFixture(hostCount: number, vms: readonly string[] = []): Promise<PoolFixture> {
  assert.ok(existsSync(PLUGIN_FILE), `${PLUGIN_FILE} is missing: run node build/plugin.mjs first`)
  const lab = await createLabPool({ hosts: hostCount })
  let xapi: EmulatedPool | undefined
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    for (const h of lab.hosts) await h.stopOvnController().catch(() => undefined)
    await xapi?.close()
    await lab.destroy()
  }
  try {
    xapi = await createEmulatedPool({
      hosts: lab.hosts,
      password: PASSWORD,
      managementNetworkUuid: lab.managementNetworkUuid,
      vms: vms.map((name_label) => ({ name_label })),
    })
    for (const h of lab.hosts) await xapi.installPlugin(h.uuid, 'ovn-chassis', PLUGIN_FILE)
  } catch (err) {
    await close()
    throw err
  }
  const pool = xapi
  return {
    lab,
    xapi: pool,
    hosts: lab.hosts,
    setLive: (i, live) => pool.setHostLive((lab.hosts[i] as LabHost).uuid, live),
    setManagementPif: (i, fields) =>
      pool.emulator.db.set('PIF', pool.host((lab.hosts[i] as LabHost).uuid).managementPif, fields),
    close,
  }
}

/** An OVSDB map column of one row, as a plain object. */
export async function mapColumn(
  host: LabHost,
  table: string,
  record: string,
  column = 'external_ids',
): Promise<Record<string, string>> {
  const out = await host.vsctl('--format=json', `--columns=${column}`, 'list', table, record)
  const parsed = JSON.parse(out) as { data: Array<[['map', Array<[string, string]>]]> }
  const row = parsed.data[0]
  assert.ok(row !== undefined, `${table} ${record} not found on ${host.name}`)
  return Object.fromEntries(row[0][1])
}

/** Open_vSwitch external_ids without the keys ovn-controller stamps on its own clock. */
export async function ovsExternalIds(host: LabHost): Promise<Record<string, string>> {
  const ids = await mapColumn(host, 'Open_vSwitch', '.')
  for (const k of VOLATILE_EXTERNAL_ID_KEYS) delete ids[k]
  return ids
}

/** What XAPI owns on a host's Open vSwitch: the Open_vSwitch keys and every bridge's external_ids. */
export async function xapiKeys(
  host: LabHost,
): Promise<{ ovs: Record<string, string>; bridges: Record<string, Record<string, string>> }> {
  const bridges: Record<string, Record<string, string>> = {}
  for (const b of await host.bridges()) {
    const ids = await mapColumn(host, 'Bridge', b)
    for (const k of VOLATILE_EXTERNAL_ID_KEYS) delete ids[k]
    bridges[b] = ids
  }
  return { ovs: await ovsExternalIds(host), bridges }
}

export interface CliRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Run the built `xapi-ovn` as a user does: its own process, a PATH-only environment plus `env`. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
