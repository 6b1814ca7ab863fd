/**
 * A real OVN_Northbound database for the lib/nb integration tests: `ovsdb-server` over a database
 * made by `ovsdb-tool` from /usr/share/ovn/ovn-nb.ovsschema (test/fixtures/ovn-schema.ts), in a temp
 * dir, on unix sockets.
 * Either standalone (one server) or a RAFT cluster (`create-cluster` on member 0, `join-cluster`
 * on the others, RAFT over loopback TCP). Optionally an SB database and ovn-northd, so that
 * what northd writes back (dynamic_addresses, up) can be observed.
 *
 * Every daemon is a LabDaemon (registered for teardown at process exit); `destroy()` stops them
 * and removes the temp dir, and is what each test registers with `t.after`.
 */
import { mkdtempSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { LabDaemon } from '../../lab/daemon.js'
import { run } from '../../lab/exec.js'
import { removeDir } from '../../lab/cleanup.js'
import { tempDirPrefix } from '../../lab/names.js'
import { waitFor } from '../../lab/wait.js'
import { NB_SCHEMA_PATH, SB_SCHEMA_PATH } from '../fixtures/ovn-schema.js'

export interface NbMember {
  readonly index: number
  readonly db: string
  /** `unix:<dir>/nbN.sock` */
  readonly remote: string
  readonly ctl: string
  readonly raftPort: number | null
  daemon: LabDaemon
}

/** One committed transaction of a standalone database file (`ovsdb-tool show-log -m`). */
export interface LogRecord {
  readonly index: number
  /** The transaction's comment (what `op.comment` / ovn-nbctl wrote), '' when none. */
  readonly comment: string
  readonly lines: readonly string[]
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port
      srv.close(() => resolve(port))
    })
  })
}

export class NbDatabase {
  readonly dir: string
  readonly members: NbMember[] = []
  readonly clustered: boolean
  private extra: LabDaemon[] = []
  private sbRemote: string | null = null

  private constructor(dir: string, clustered: boolean) {
    this.dir = dir
    this.clustered = clustered
  }

  /** One standalone ovsdb-server. */
  static async standalone(): Promise<NbDatabase> {
    const nb = new NbDatabase(mkdtempSync(tempDirPrefix('nb')), false)
    try {
      const db = join(nb.dir, 'nb0.db')
      await run('ovsdb-tool', ['create', db, NB_SCHEMA_PATH])
      await nb.startMember(0, db, null)
      // ovn-nbctl inserts the NB_Global row on its first write if it is missing (any command
      // that changes something); make it now, so later transaction counts see only our writes.
      await nb.nbctl(['init'])
      return nb
    } catch (e) {
      await nb.destroy()
      throw e
    }
  }

  /** A RAFT cluster of `size` members, all joined, with a leader elected. */
  static async cluster(size = 3): Promise<NbDatabase> {
    const nb = new NbDatabase(mkdtempSync(tempDirPrefix('nbc')), true)
    try {
      const ports: number[] = []
      for (let i = 0; i < size; i++) ports.push(await freePort())
      const raft = (i: number): string => `tcp:127.0.0.1:${ports[i]}`
      for (let i = 0; i < size; i++) {
        const db = join(nb.dir, `nb${i}.db`)
        if (i === 0) await run('ovsdb-tool', ['create-cluster', db, NB_SCHEMA_PATH, raft(0)])
        else await run('ovsdb-tool', ['join-cluster', db, 'OVN_Northbound', raft(i), raft(0)])
        await nb.startMember(i, db, ports[i] ?? null)
      }
      for (const m of nb.members) {
        await waitFor(
          `NB member ${m.index} joined`,
          async () => (await nb.clusterStatus(m.index)).status === 'cluster member',
        )
      }
      await nb.waitForLeader()
      await nb.nbctl(['init'])
      return nb
    } catch (e) {
      await nb.destroy()
      throw e
    }
  }

  private async startMember(index: number, db: string, raftPort: number | null): Promise<void> {
    const remote = `unix:${join(this.dir, `nb${index}.sock`)}`
    const ctl = join(this.dir, `nb${index}.ctl`)
    const daemon = await LabDaemon.start({
      program: 'ovsdb-server',
      label: `ovsdb-server nb${index}`,
      args: [db, `--remote=p${remote}`, `--unixctl=${ctl}`],
      pidfile: join(this.dir, `nb${index}.pid`),
      logFile: join(this.dir, `nb${index}.log`),
      env: { OVS_RUNDIR: this.dir, OVS_DBDIR: this.dir },
    })
    this.members[index] = { index, db, remote, ctl, raftPort, daemon }
  }

  /** Every member's unix remote, in member order. */
  get remotes(): string[] {
    return this.members.map((m) => m.remote)
  }

  member(index: number): NbMember {
    const m = this.members[index]
    if (!m) throw new Error(`no NB member ${index}`)
    return m
  }

  /**
   * Run the real ovn-nbctl against the database. Default: every member, leader only (what
   * ovn-nbctl does by default); `member` targets one server and allows a follower.
   */
  async nbctl(args: readonly string[], options: { member?: number } = {}): Promise<string> {
    const db = options.member === undefined ? this.remotes.join(',') : this.member(options.member).remote
    const flags = [`--db=${db}`, '--timeout=20', ...(options.member === undefined ? [] : ['--no-leader-only'])]
    const r = await run('ovn-nbctl', [...flags, ...args], { env: { OVN_RUNDIR: this.dir } })
    return r.stdout
  }

  /** Run the real ovn-sbctl against the southbound startNorthd made (what northd wrote from the NB). */
  async sbctl(args: readonly string[]): Promise<string> {
    if (this.sbRemote === null) throw new Error('no southbound: call startNorthd first')
    const r = await run('ovn-sbctl', [`--db=${this.sbRemote}`, '--timeout=20', ...args], {
      env: { OVN_RUNDIR: this.dir },
    })
    return r.stdout
  }

  /** The committed transactions of a standalone database, oldest first. */
  async showLog(): Promise<LogRecord[]> {
    if (this.clustered) throw new Error('showLog reads a standalone database file')
    const text = (await run('ovsdb-tool', ['-m', 'show-log', this.member(0).db])).stdout
    const records: LogRecord[] = []
    const re = /^record (\d+):(.*)$/gm
    const heads = [...text.matchAll(re)]
    heads.forEach((h, i) => {
      const start = (h.index ?? 0) + h[0].length
      const end = heads[i + 1]?.index ?? text.length
      const comment = /"((?:[^"\\]|\\.)*)"\s*$/.exec(h[2] ?? '')?.[1] ?? ''
      records.push({
        index: Number(h[1]),
        comment,
        lines: text
          .slice(start, end)
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean),
      })
    })
    return records
  }

  /** `cluster/status` of one member: its role (leader/follower/candidate) and status. */
  async clusterStatus(index: number): Promise<{ role: string; status: string }> {
    const r = await run('ovs-appctl', ['-t', this.member(index).ctl, 'cluster/status', 'OVN_Northbound'], {
      check: false,
      timeoutMs: 10_000,
    })
    if (!r.ok) return { role: '', status: '' }
    return {
      role: /^Role: (.*)$/m.exec(r.stdout)?.[1]?.trim() ?? '',
      status: /^Status: (.*)$/m.exec(r.stdout)?.[1]?.trim() ?? '',
    }
  }

  /** The index of the current leader, waiting for an election if needed. */
  async waitForLeader(): Promise<number> {
    return waitFor(
      'an NB RAFT leader',
      async () => {
        for (const m of this.members) {
          if (!m.daemon.isRunning()) continue
          if ((await this.clusterStatus(m.index)).role === 'leader') return m.index
        }
        return undefined
      },
      { timeoutMs: 60_000 },
    )
  }

  /** Crash a member (SIGKILL) and wait until it is gone. */
  async kill(index: number): Promise<void> {
    const m = this.member(index)
    m.daemon.kill('SIGKILL')
    await m.daemon.stop(0)
  }

  /** Start a killed member again on its database file and socket (its data is what it committed). */
  async restart(index: number): Promise<void> {
    const m = this.member(index)
    await this.startMember(index, m.db, m.raftPort)
  }

  /** Start an SB database and ovn-northd over this NB (standalone NB only). */
  async startNorthd(): Promise<void> {
    const sbDb = join(this.dir, 'sb.db')
    await run('ovsdb-tool', ['create', sbDb, SB_SCHEMA_PATH])
    this.sbRemote = `unix:${join(this.dir, 'sb.sock')}`
    this.extra.push(
      await LabDaemon.start({
        program: 'ovsdb-server',
        label: 'ovsdb-server sb',
        args: [sbDb, `--remote=p${this.sbRemote}`, `--unixctl=${join(this.dir, 'sb.ctl')}`],
        pidfile: join(this.dir, 'sb.pid'),
        logFile: join(this.dir, 'sb.log'),
        env: { OVS_RUNDIR: this.dir },
      }),
    )
    this.extra.push(
      await LabDaemon.start({
        program: 'ovn-northd',
        args: [
          `--ovnnb-db=${this.remotes.join(',')}`,
          `--ovnsb-db=${this.sbRemote}`,
          `--unixctl=${join(this.dir, 'northd.ctl')}`,
        ],
        pidfile: join(this.dir, 'northd.pid'),
        logFile: join(this.dir, 'northd.log'),
        env: { OVN_RUNDIR: this.dir },
      }),
    )
  }

  /** Stop every daemon we started and remove the temp dir. Idempotent. */
  async destroy(): Promise<void> {
    for (const d of [...this.extra].reverse()) await d.stop()
    for (const m of this.members) if (m) await m.daemon.stop()
    this.extra = []
    await removeDir(this.dir)
  }
}
