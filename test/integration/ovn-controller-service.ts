/**
 * Run ovn-controller on a lab host the way OVN's rpm unit (rhel/usr_lib_systemd_system_
 * ovn-controller.service) does, without systemd: the EnvironmentFiles /etc/sysconfig/ovn and
 * /etc/sysconfig/ovn-controller are read (here: sourced by a POSIX shell, which parses our
 * KEY="value" lines the way systemd does), then
 * `ovn-ctl --no-monitor --ovn-user=${OVN_USER_ID} start_controller $OVN_CONTROLLER_OPTS` runs with
 * the words of that variable, and ovn-ctl starts /usr/bin/ovn-controller with its pidfile and log in OVN_RUNDIR /
 * OVN_LOGDIR (the host's ovn rundir). Optionally an ExecStartPre command runs first and, as in
 * systemd, a failing ExecStartPre means ExecStart never runs; its stderr can go to a file, the
 * way systemd sends it to the journal.
 *
 * @example
 * ```ts
 * const pid = await startLikeService(host, { optionsFile: paths.optionsFile })
 * await stopLikeService(host)
 * ```
 */
import { join } from 'node:path'
import { isAlive, readPidfile } from '../../lab/cleanup.js'
import type { LabHost } from '../../lab/host.js'
import type { CommandResult } from '../../lab/exec.js'
import { waitFor } from '../../lab/wait.js'

export const OVN_CTL = '/usr/share/ovn/scripts/ovn-ctl'

export interface ServiceStartOptions {
  /** EnvironmentFile holding OVN_CONTROLLER_OPTS (missing file: no options, like `EnvironmentFile=-`). */
  readonly optionsFile: string
  /** The EnvironmentFile read before it (/etc/sysconfig/ovn: OVN_USER_ID); optional too. */
  readonly ovnSysconfigFile?: string
  /** ExecStartPre argv, run in the host namespace with the daemons' environment. */
  readonly execStartPre?: readonly string[]
  /** Append ExecStartPre's stderr here as it is written (the unit's journal), to watch it live. */
  readonly journal?: string
  readonly timeoutMs?: number
}

export class ExecStartPreFailed extends Error {
  constructor(readonly result: CommandResult) {
    super(`ExecStartPre failed with status ${String(result.status)}: ${result.stderr.trim()}`)
  }
}

// EnvironmentFile=-/etc/sysconfig/ovn, EnvironmentFile=-/etc/sysconfig/ovn-controller, then
// ExecStart=ovn-ctl --no-monitor --ovn-user=${OVN_USER_ID} start_controller $OVN_CONTROLLER_OPTS
const START =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell script, expanded by sh
  'set -a; for f in "$1" "$2"; do if [ -f "$f" ]; then . "$f"; fi; done; set +a; exec "$3" --no-monitor --ovn-user="${OVN_USER_ID}" start_controller $OVN_CONTROLLER_OPTS'

/** Start ovn-controller like the unit; resolves with its pid. */
export async function startLikeService(host: LabHost, opts: ServiceStartOptions): Promise<number> {
  if (opts.execStartPre !== undefined) {
    const pre =
      opts.journal === undefined
        ? await host.exec(opts.execStartPre[0] as string, opts.execStartPre.slice(1), {
            check: false,
            timeoutMs: opts.timeoutMs ?? 300_000,
          })
        : await host.exec(
            'sh',
            ['-c', 'journal=$1; shift; exec "$@" 2>>"$journal"', 'ExecStartPre', opts.journal, ...opts.execStartPre],
            { check: false, timeoutMs: opts.timeoutMs ?? 300_000 },
          )
    if (!pre.ok) throw new ExecStartPreFailed(pre)
  }
  await host.exec(
    'sh',
    ['-c', START, 'ovn-controller.service', opts.ovnSysconfigFile ?? '/nonexistent', opts.optionsFile, OVN_CTL],
    { env: { OVN_USER_ID: '' }, timeoutMs: opts.timeoutMs ?? 60_000 },
  )
  return waitFor('ovn-controller pidfile', () => readPidfile(controllerPidfile(host)), { timeoutMs: 10_000 })
}

export function controllerPidfile(host: LabHost): string {
  return join(host.ovnRundir, 'ovn-controller.pid')
}

export function controllerLog(host: LabHost): string {
  return join(host.ovnRundir, 'ovn-controller.log')
}

/** `ovn-appctl -t <pid ctl> ...` for an ovn-controller started by ovn-ctl. */
export async function controllerAppctl(host: LabHost, ...args: string[]): Promise<string> {
  const pid = readPidfile(controllerPidfile(host))
  if (pid === undefined) throw new Error('ovn-controller is not running')
  return (
    await host.exec('ovn-appctl', ['-t', join(host.ovnRundir, `ovn-controller.${pid}.ctl`), ...args])
  ).stdout.trim()
}

/** `ovn-ctl stop_controller` (ExecStop), then wait until the process is gone. Idempotent. */
export async function stopLikeService(host: LabHost): Promise<void> {
  const pid = readPidfile(controllerPidfile(host))
  if (pid === undefined || !isAlive(pid)) return
  await host.exec(OVN_CTL, ['stop_controller'], { check: false, timeoutMs: 60_000 })
  if (isAlive(pid)) process.kill(pid, 'SIGKILL')
  await waitFor('ovn-controller exit', () => !isAlive(pid), { timeoutMs: 30_000 })
}
