/**
 * Start and stop one OVS/OVN daemon (ovsdb-server, ovs-vswitchd, ovn-northd, ovn-controller) the
 * way their init scripts do: `--detach --no-chdir --pidfile=... --log-file=...`, inside a network
 * namespace. `--detach` returns only once the daemon is ready (its sockets are listening), so no
 * polling is needed after `start`. Console logging is turned off; everything goes to the log file,
 * whose tail is attached to every DaemonError.
 *
 * Every daemon is registered with cleanup.ts, so it is killed at process exit even when a test
 * forgets `stop()`. Kills check `/proc/<pid>/comm` first, so a recycled pid is never hit.
 *
 * @example
 * ```ts
 * import { LabDaemon } from './daemon.js'
 * const db = await LabDaemon.start({
 *   program: 'ovsdb-server', netns: 'xo1k3z-h1',
 *   args: [`${dir}/conf.db`, `--remote=punix:${dir}/db.sock`],
 *   pidfile: `${dir}/ovsdb-server.pid`, logFile: `${dir}/ovsdb-server.log`,
 *   env: { OVS_RUNDIR: dir },
 * })
 * console.log(db.pid, db.isRunning())
 * await db.stop()
 * ```
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { isAlive, killPids, killPidsSync, readPidfile, registerTeardown, type Registration } from './cleanup.js'
import { DaemonError } from './errors.js'
import { run } from './exec.js'
import { waitFor } from './wait.js'

export interface DaemonSpec {
  /** The executable (`ovsdb-server`, `/usr/bin/ovn-controller`, ...). */
  readonly program: string
  /** Arguments besides the ones `start` adds (--detach, --no-chdir, --pidfile, --log-file, -vconsole:off). */
  readonly args: readonly string[]
  readonly pidfile: string
  readonly logFile: string
  /** Network namespace to run in (`ip netns exec`). */
  readonly netns?: string
  /** Environment added to this process's (OVS_RUNDIR, OVN_RUNDIR, ...). */
  readonly env?: Readonly<Record<string, string>>
  /** Label for errors and cleanup (default: program basename). */
  readonly label?: string
  /** How long `--detach` may take to return (default, also for undefined: 30 s). */
  readonly timeoutMs?: number | undefined
}

/** Last `lines` lines of a log file ('' when unreadable). */
export function logTail(path: string, lines = 30): string {
  try {
    const text = readFileSync(path, 'utf8').trimEnd().split('\n')
    return text.slice(-lines).join('\n')
  } catch {
    return ''
  }
}

export class LabDaemon {
  readonly label: string
  readonly program: string
  readonly pid: number
  readonly pidfile: string
  readonly logFile: string
  readonly netns: string | undefined
  #registration: Registration
  #comm: string

  private constructor(spec: DaemonSpec, pid: number) {
    this.label = spec.label ?? basename(spec.program)
    this.program = spec.program
    this.pid = pid
    this.pidfile = spec.pidfile
    this.logFile = spec.logFile
    this.netns = spec.netns
    this.#comm = basename(spec.program).slice(0, 15)
    this.#registration = registerTeardown(`${this.label} (pid ${pid})`, () => {
      if (this.isRunning()) killPidsSync([pid])
    })
  }

  /** Start the daemon and return once `--detach` says it is ready. */
  static async start(spec: DaemonSpec): Promise<LabDaemon> {
    const label = spec.label ?? basename(spec.program)
    const args = [
      ...spec.args,
      '--detach',
      '--no-chdir',
      `--pidfile=${spec.pidfile}`,
      `--log-file=${spec.logFile}`,
      '-vconsole:off',
    ]
    const r = await run(spec.program, args, {
      netns: spec.netns,
      env: spec.env,
      timeoutMs: spec.timeoutMs ?? 30_000,
      check: false,
    })
    if (!r.ok) {
      throw new DaemonError(
        label,
        `failed to start (${r.timedOut ? 'timeout' : `status ${String(r.status)}`}): ${r.stderr.trim()}`,
        logTail(spec.logFile),
      )
    }
    const pid = await waitFor(`${label} pidfile ${spec.pidfile}`, () => readPidfile(spec.pidfile), {
      timeoutMs: 10_000,
    })
    return new LabDaemon({ ...spec, label }, pid)
  }

  /** True while the process exists and is still this daemon (not a recycled pid). */
  isRunning(): boolean {
    if (!isAlive(this.pid)) return false
    try {
      return readFileSync(`/proc/${this.pid}/comm`, 'utf8').trim() === this.#comm
    } catch {
      return false
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. Idempotent. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.isRunning()) await killPids([this.pid], graceMs)
    this.#registration.release()
  }

  /** Send a signal now (SIGKILL by default: a crash, pidfile and sockets are left behind). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.isRunning()) process.kill(this.pid, signal)
  }

  /** The last lines of the daemon's log file. */
  logTail(lines = 30): string {
    return logTail(this.logFile, lines)
  }
}
