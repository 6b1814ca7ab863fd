/**
 * `OvnCentral`: the OVN central of a lab pool. One network namespace plugged into the underlay,
 * running the real NB and SB `ovsdb-server`s and `ovn-northd`, either
 * - standalone: one NB and one SB server on 192.0.2.10 (ports 6641/6642), or
 * - clustered: three RAFT members for NB and three for SB, each member on its own address
 *   (192.0.2.10, .11, .12; client ports 6641/6642, RAFT ports 6643/6644). Member 0 creates the
 *   clusters (`ovsdb-tool create-cluster`), members 1 and 2 join them (`ovsdb-tool join-cluster`).
 *
 * `nbRemote`/`sbRemote` list every member (`tcp:192.0.2.10:6642,tcp:192.0.2.11:6642,...`);
 * ovn-northd, `nbctl()` and `sbctl()` connect with all of them, as a chassis' `ovn-remote` does.
 * `sbLeader()` / `killSbLeader()` find and crash the SB RAFT leader (SIGKILL) for failover tests;
 * `waitForSbLeader()` waits for the survivors to elect a new one.
 *
 * Files (databases, logs, pidfiles, unixctl sockets) live under one temp dir, one subdirectory
 * per member; OVN_RUNDIR points there so `ovn-appctl` finds the sockets.
 *
 * @example
 * ```ts
 * import { OvnCentral } from './central.js'
 * const central = await OvnCentral.create({ underlay, clustered: true })
 * await central.nbctl('ls-add', 'net1')
 * const before = await central.sbLeader()      // member index 0..2
 * await central.killSbLeader()
 * const after = await central.waitForSbLeader() // a different member
 * console.log(await central.sbctl('show'))
 * await central.destroy()
 * ```
 */
import { mkdirSync, mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import {
  createNetns,
  killNetns,
  killNetnsSync,
  registerTeardown,
  removeDir,
  removeDirSync,
  type Registration,
} from './cleanup.js'
import { LabDaemon } from './daemon.js'
import { LabUsageError } from './errors.js'
import { run, type CommandResult } from './exec.js'
import { netnsName, tempDirPrefix } from './names.js'
import type { Underlay, UnderlayLink } from './underlay.js'
import { waitFor } from './wait.js'

export const NB_SCHEMA = '/usr/share/ovn/ovn-nb.ovsschema'
export const SB_SCHEMA = '/usr/share/ovn/ovn-sb.ovsschema'
export const NB_PORT = 6641
export const SB_PORT = 6642
export const NB_RAFT_PORT = 6643
export const SB_RAFT_PORT = 6644

/** Default member addresses (standalone uses the first). */
export const CENTRAL_IPS: readonly string[] = ['192.0.2.10', '192.0.2.11', '192.0.2.12']

export type OvnDb = 'nb' | 'sb'

export interface OvnCentralOptions {
  readonly underlay: Underlay
  /** Three RAFT members instead of one standalone server per database (default false). */
  readonly clustered?: boolean
  /** Member addresses (default CENTRAL_IPS); prefix length 24 on the underlay. */
  readonly ips?: readonly string[]
  /** How long to wait for the clusters to form (default 60 s). */
  readonly timeoutMs?: number
}

/** One member: its address, directory and the two database servers. */
export interface CentralMember {
  readonly index: number
  readonly ip: string
  readonly dir: string
  nb: LabDaemon
  sb: LabDaemon
}

const DB_NAME: Record<OvnDb, string> = { nb: 'OVN_Northbound', sb: 'OVN_Southbound' }

export class OvnCentral {
  readonly netns: string
  readonly dir: string
  readonly clustered: boolean
  readonly members: CentralMember[] = []
  /** Every member's NB client address: `tcp:IP:6641,...`. */
  readonly nbRemote: string
  /** Every member's SB client address: `tcp:IP:6642,...`. */
  readonly sbRemote: string
  #northd: LabDaemon | undefined
  #link: UnderlayLink | undefined
  #ips: readonly string[]
  #registration: Registration
  #destroyed = false

  private constructor(netns: string, dir: string, clustered: boolean, ips: readonly string[]) {
    this.netns = netns
    this.dir = dir
    this.clustered = clustered
    this.#ips = ips
    this.nbRemote = ips.map((ip) => `tcp:${ip}:${NB_PORT}`).join(',')
    this.sbRemote = ips.map((ip) => `tcp:${ip}:${SB_PORT}`).join(',')
    this.#registration = registerTeardown(`ovn central netns ${netns} dir ${dir}`, () => {
      killNetnsSync(netns)
      removeDirSync(dir)
    })
  }

  static async create(opts: OvnCentralOptions): Promise<OvnCentral> {
    const clustered = opts.clustered === true
    const allIps = opts.ips ?? CENTRAL_IPS
    const ips = clustered ? allIps.slice(0, 3) : allIps.slice(0, 1)
    if (ips.length !== (clustered ? 3 : 1))
      throw new LabUsageError(
        `a ${clustered ? 'clustered' : 'standalone'} central needs ${clustered ? 3 : 1} addresses`,
      )
    const ns = netnsName('c')
    const dir = mkdtempSync(tempDirPrefix('c'))
    let central: OvnCentral | undefined
    try {
      await createNetns(ns)
      central = new OvnCentral(ns, dir, clustered, ips)
      central.#link = await opts.underlay.attach(ns, 'eth0')
      for (const ip of ips) await run('ip', ['addr', 'add', `${ip}/24`, 'dev', 'eth0'], { netns: ns })
      await central.#startMembers(opts.timeoutMs ?? 60_000)
      await central.#startNorthd()
      return central
    } catch (err) {
      if (central !== undefined) await central.destroy()
      else {
        await killNetns(ns)
        await removeDir(dir)
      }
      throw err
    }
  }

  #env(member?: CentralMember | string): Record<string, string> {
    const dir = typeof member === 'string' ? member : (member?.dir ?? this.dir)
    return { OVN_RUNDIR: dir, OVN_DBDIR: dir, OVN_LOGDIR: dir, OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir }
  }

  async #createDbFile(db: OvnDb, index: number, dir: string): Promise<string> {
    const file = join(dir, `ovn${db}_db.db`)
    const schema = db === 'nb' ? NB_SCHEMA : SB_SCHEMA
    if (!this.clustered) {
      await run('ovsdb-tool', ['create', file, schema])
      return file
    }
    const raftPort = db === 'nb' ? NB_RAFT_PORT : SB_RAFT_PORT
    const self = `tcp:${this.#ips[index] as string}:${raftPort}`
    if (index === 0) await run('ovsdb-tool', ['create-cluster', file, schema, self])
    else await run('ovsdb-tool', ['join-cluster', file, DB_NAME[db], self, `tcp:${this.#ips[0] as string}:${raftPort}`])
    return file
  }

  async #startServer(db: OvnDb, index: number, dir: string, file: string): Promise<LabDaemon> {
    const ip = this.#ips[index] as string
    return LabDaemon.start({
      program: 'ovsdb-server',
      label: `central member ${index} ${db.toUpperCase()} ovsdb-server`,
      netns: this.netns,
      env: this.#env(dir),
      pidfile: join(dir, `ovn${db}_db.pid`),
      logFile: join(dir, `ovn${db}_db.log`),
      args: [
        file,
        `--remote=ptcp:${db === 'nb' ? NB_PORT : SB_PORT}:${ip}`,
        `--remote=punix:${join(dir, `ovn${db}_db.sock`)}`,
        `--unixctl=${join(dir, `ovn${db}_db.ctl`)}`,
      ],
    })
  }

  async #startMembers(timeoutMs: number): Promise<void> {
    for (let index = 0; index < this.#ips.length; index++) {
      const dir = join(this.dir, `m${index}`)
      mkdirSync(dir)
      const nbFile = await this.#createDbFile('nb', index, dir)
      const sbFile = await this.#createDbFile('sb', index, dir)
      const nb = await this.#startServer('nb', index, dir, nbFile)
      const sb = await this.#startServer('sb', index, dir, sbFile)
      this.members.push({ index, ip: this.#ips[index] as string, dir, nb, sb })
    }
    if (this.clustered) {
      for (const db of ['nb', 'sb'] as const) {
        for (const m of this.members) {
          await waitFor(
            `${db.toUpperCase()} member ${m.index} joined the cluster`,
            async () => (await this.clusterStatus(db, m.index)).includes('Status: cluster member'),
            { timeoutMs },
          )
        }
        await waitFor(`${db.toUpperCase()} leader`, () => this.leader(db), { timeoutMs })
      }
    }
  }

  async #startNorthd(): Promise<void> {
    this.#northd = await LabDaemon.start({
      program: 'ovn-northd',
      label: 'ovn-northd',
      netns: this.netns,
      env: this.#env(),
      pidfile: join(this.dir, 'ovn-northd.pid'),
      logFile: join(this.dir, 'ovn-northd.log'),
      args: [
        `--ovnnb-db=${this.nbRemote}`,
        `--ovnsb-db=${this.sbRemote}`,
        `--unixctl=${join(this.dir, 'ovn-northd.ctl')}`,
      ],
    })
  }

  /** The central's cable to the underlay. */
  get link(): UnderlayLink | undefined {
    return this.#link
  }

  get northd(): LabDaemon | undefined {
    return this.#northd
  }

  /** Addresses of the members (without prefix length). */
  get ips(): readonly string[] {
    return this.#ips
  }

  /** `ovn-nbctl --db=<all NB remotes> ARGS` (inside the central's namespace); resolves with stdout. */
  async nbctl(...args: string[]): Promise<string> {
    return (await this.#ctl('ovn-nbctl', this.nbRemote, args)).stdout
  }

  /** `ovn-sbctl --db=<all SB remotes> ARGS`; resolves with stdout. */
  async sbctl(...args: string[]): Promise<string> {
    return (await this.#ctl('ovn-sbctl', this.sbRemote, args)).stdout
  }

  #ctl(program: string, db: string, args: readonly string[]): Promise<CommandResult> {
    return run(program, [`--db=${db}`, '--timeout=30', ...args], {
      netns: this.netns,
      env: this.#env(),
      timeoutMs: 40_000,
    })
  }

  /** `ovs-appctl -t <member ctl> cluster/status <db>` of one member ('' for a dead member). */
  async clusterStatus(db: OvnDb, index: number): Promise<string> {
    const m = this.#member(index)
    if (!(db === 'nb' ? m.nb : m.sb).isRunning()) return ''
    const r = await run('ovs-appctl', ['-t', join(m.dir, `ovn${db}_db.ctl`), 'cluster/status', DB_NAME[db]], {
      env: this.#env(m),
      check: false,
      timeoutMs: 10_000,
    })
    return r.ok ? r.stdout : ''
  }

  /** Index of the member that is RAFT leader of `db` now, or undefined (none, or standalone: 0). */
  async leader(db: OvnDb): Promise<number | undefined> {
    if (!this.clustered) return 0
    for (const m of this.members) {
      const status = await this.clusterStatus(db, m.index)
      if (/^Role: leader$/m.test(status)) return m.index
    }
    return undefined
  }

  /** Index of the SB leader; throws when there is none right now. */
  async sbLeader(): Promise<number> {
    const index = await this.leader('sb')
    if (index === undefined) throw new LabUsageError('the SB cluster has no leader right now')
    return index
  }

  /** Wait until some running member is SB leader (after a kill: a new election) and return it. */
  async waitForSbLeader(timeoutMs = 60_000): Promise<number> {
    return waitFor('an SB RAFT leader', () => this.leader('sb'), { timeoutMs })
  }

  /** SIGKILL the SB leader's ovsdb-server (a crash); returns the member index that was killed. */
  async killSbLeader(): Promise<number> {
    if (!this.clustered) throw new LabUsageError('killSbLeader needs a clustered central')
    const index = await this.sbLeader()
    const m = this.#member(index)
    m.sb.kill('SIGKILL')
    await waitFor(`SB member ${index} gone`, () => !m.sb.isRunning(), { timeoutMs: 10_000 })
    await m.sb.stop()
    return index
  }

  /** Start a killed member's SB server again on its existing database file. */
  async restartSb(index: number): Promise<void> {
    const m = this.#member(index)
    if (m.sb.isRunning()) return
    m.sb = await this.#startServer('sb', index, m.dir, join(m.dir, 'ovnsb_db.db'))
  }

  #member(index: number): CentralMember {
    const m = this.members[index]
    if (m === undefined) throw new LabUsageError(`no central member ${index}`)
    return m
  }

  /** Stop northd and every server, delete the namespace and the files. Idempotent. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return
    this.#destroyed = true
    await this.#northd?.stop()
    for (const m of this.members) {
      await m.sb.stop()
      await m.nb.stop()
    }
    await killNetns(this.netns)
    await removeDir(this.dir)
    this.#registration.release()
  }
}
