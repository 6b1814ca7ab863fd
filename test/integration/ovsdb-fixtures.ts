/**
 * Real ovsdb-server processes for the OVSDB client tests: a standalone server on unix, tcp and
 * ssl remotes (certificates from test/fixtures/pki.ts), and RAFT clusters. Every process is started by
 * us (spawn, never --detach) and stopped by its pid; every temp dir is removed by `cleanup()`.
 */
import { spawn, execFile } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm, readFile, access } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { setItems } from '../../lib/ovsdb/codec.js'
import type { SessionMonitorEvent } from '../../lib/ovsdb/session.js'
import { NB_SCHEMA_PATH } from '../fixtures/ovn-schema.js'
import { createServerClientPki, type ServerClientPki } from '../fixtures/pki.js'

const run = promisify(execFile)

export const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema'

/** Poll `check` until it returns a value other than undefined; bounded, for readiness only. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  limitMs = 20_000,
  stepMs = 50,
): Promise<T> {
  const deadline = Date.now() + limitMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline)
      throw new Error(`gave up waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`)
    await new Promise((r) => setTimeout(r, stepMs))
  }
}

/** A TCP port that was free a moment ago (the kernel picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port
      srv.close(() => resolve(port))
    })
  })
}

export interface ServerProcess {
  readonly name: string
  readonly proc: ChildProcess
  readonly pid: number
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>
  kill(signal?: NodeJS.Signals): Promise<void>
}

function startProcess(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv): ServerProcess {
  const proc = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  proc.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000)
  })
  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve()
    else proc.once('exit', () => resolve())
  })
  if (proc.pid === undefined) throw new Error(`cannot start ${cmd}`)
  const pid = proc.pid
  return {
    name,
    proc,
    pid,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) {
        try {
          process.kill(pid, signal)
        } catch {
          // already gone
        }
      }
      await exited
    },
    toString: () => `${name} (pid ${pid}) stderr: ${stderr}`,
  } as ServerProcess
}

export interface Standalone {
  readonly dir: string
  readonly sock: string
  readonly tcpPort: number
  readonly sslPort: number
  readonly pki: ServerClientPki
  readonly server: ServerProcess
  /** The control socket, found from the rundir like a daemon's user would. */
  readonly ctl: string
  readonly env: NodeJS.ProcessEnv
  cleanup(): Promise<void>
}

/** One ovsdb-server with the Open_vSwitch schema on punix, ptcp and pssl (and db: manager remotes). */
export async function startStandalone(): Promise<Standalone> {
  const dir = await mkdtemp(join(tmpdir(), 'xapi-ovn-ovsdb-'))
  let server: ServerProcess | undefined
  let pki: ServerClientPki | undefined
  const cleanup = async (): Promise<void> => {
    await server?.kill('SIGKILL')
    pki?.destroy()
    await rm(dir, { recursive: true, force: true })
  }
  try {
    pki = createServerClientPki()
    await run('ovsdb-tool', ['create', join(dir, 'conf.db'), VSWITCH_SCHEMA])
    const tcpPort = await freePort()
    const sslPort = await freePort()
    const sock = join(dir, 'db.sock')
    const env = { ...process.env, OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir, OVS_SYSCONFDIR: dir }
    server = startProcess(
      'ovsdb-server',
      '/usr/sbin/ovsdb-server',
      [
        join(dir, 'conf.db'),
        `--remote=punix:${sock}`,
        `--remote=ptcp:${tcpPort}:127.0.0.1`,
        `--remote=pssl:${sslPort}:127.0.0.1`,
        '--remote=db:Open_vSwitch,Open_vSwitch,manager_options',
        `--private-key=${pki.server.keyPath}`,
        `--certificate=${pki.server.certPath}`,
        `--ca-cert=${pki.ca.certPath}`,
        '--pidfile',
        `--log-file=${join(dir, 'ovsdb-server.log')}`,
        '--no-chdir',
      ],
      env,
    )
    const s = server
    const ctl = await waitFor('ovsdb-server control socket', async () => {
      if (s.proc.exitCode !== null) throw new Error(`ovsdb-server exited: ${String(s)}`)
      const pid = (await readFile(join(dir, 'ovsdb-server.pid'), 'utf8')).trim()
      const path = join(dir, `ovsdb-server.${pid}.ctl`)
      await access(path)
      await access(sock)
      return path
    })
    return { dir, sock, tcpPort, sslPort, pki, server, ctl, env, cleanup }
  } catch (err) {
    await cleanup()
    throw err
  }
}

export interface ClusterMember {
  readonly index: number
  readonly sock: string
  readonly remote: string
  readonly ctl: string
  server: ServerProcess
}

export interface Cluster {
  readonly dir: string
  readonly members: ClusterMember[]
  readonly remotes: string[]
  cleanup(): Promise<void>
}

/** A 3-member RAFT cluster of the OVN Northbound database, each member on its own unix socket. */
export async function startCluster(size = 3): Promise<Cluster> {
  const dir = await mkdtemp(join(tmpdir(), 'xapi-ovn-raft-'))
  const members: ClusterMember[] = []
  const cleanup = async (): Promise<void> => {
    await Promise.all(members.map((m) => m.server.kill('SIGKILL')))
    await rm(dir, { recursive: true, force: true })
  }
  try {
    const ports: number[] = []
    for (let i = 0; i < size; i++) ports.push(await freePort())
    const raft = (i: number): string => `tcp:127.0.0.1:${ports[i]}`
    await run('ovsdb-tool', ['create-cluster', join(dir, 's0.db'), NB_SCHEMA_PATH, raft(0)])
    for (let i = 1; i < size; i++) {
      await run('ovsdb-tool', ['join-cluster', join(dir, `s${i}.db`), 'OVN_Northbound', raft(i), raft(0)])
    }
    for (let i = 0; i < size; i++) {
      const sock = join(dir, `s${i}.sock`)
      const ctl = join(dir, `s${i}.ctl`)
      const server = startProcess(
        `ovsdb-server s${i}`,
        '/usr/sbin/ovsdb-server',
        [
          join(dir, `s${i}.db`),
          `--remote=punix:${sock}`,
          `--unixctl=${ctl}`,
          `--pidfile=${join(dir, `s${i}.pid`)}`,
          `--log-file=${join(dir, `s${i}.log`)}`,
          '--no-chdir',
        ],
        { ...process.env, OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir },
      )
      members.push({ index: i, sock, remote: `unix:${sock}`, ctl, server })
    }
    for (const m of members) {
      await waitFor(`cluster member s${m.index} socket`, async () => {
        if (m.server.proc.exitCode !== null) throw new Error(`exited: ${String(m.server)}`)
        await access(m.sock)
        return true
      })
    }
    return { dir, members, remotes: members.map((m) => m.remote), cleanup }
  } catch (err) {
    await cleanup()
    throw err
  }
}

/** Run OVS's own ovsdb-client and parse its JSON output. */
export async function ovsdbClientJson(args: string[]): Promise<unknown> {
  const { stdout } = await run('ovsdb-client', args, { maxBuffer: 64 * 1024 * 1024 })
  return JSON.parse(stdout)
}

export async function appctl(ctl: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('ovs-appctl', ['-t', ctl, ...args])
  return stdout
}

/** The switch names a session monitor's handler has seen so far, applying its events as a replica would. */
export class SwitchReplica {
  readonly names = new Map<string, string>()
  readonly events: SessionMonitorEvent[] = []

  readonly handler = (e: SessionMonitorEvent): void => {
    this.events.push(e)
    if (e.kind === 'initial') this.names.clear()
    for (const [uuid, u] of Object.entries(e.updates.Logical_Switch ?? {})) {
      const row = u.initial ?? u.insert ?? u.modify
      if (u.delete) this.names.delete(uuid)
      else if (row?.name !== undefined) this.names.set(uuid, String(setItems(row.name)[0]))
    }
  }

  has(name: string): boolean {
    return [...this.names.values()].includes(name)
  }
}
