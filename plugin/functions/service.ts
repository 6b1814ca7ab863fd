/**
 * fn=service: look at and control the ovn-controller systemd unit of this host.
 *
 *   xe host-call-plugin host-uuid=<host> plugin=ovn-chassis fn=service args:action=status
 *   {"action":"status","unit":"ovn-controller.service","active":true,"enabled":true,
 *    "loaded":true,"activeState":"active","subState":"running","unitFileState":"enabled",
 *    "mainPid":2412,"since":"Tue 2026-11-24 13:05:31 UTC","result":"success",
 *    "dropIns":["/usr/lib/systemd/system/ovn-controller.service.d/xapi-ovn.conf"],
 *    "bootWait":true}
 *
 * Arguments: `action` = status | start | stop | restart | enable | disable (required);
 * `no-block` = true | false (start/stop/restart: queue the job and answer at once instead of
 * waiting for it; a start can wait for the boot helper, see rpm/README.md).
 * Every action answers the unit's state after it ran (`systemctl show`). `bootWait` says whether
 * xapi-ovn's drop-in (the ExecStartPre that waits for the XAPI bridge) is loaded.
 *
 * The unit is always ovn-controller.service, the unit of OVN's rpm packaging, and not an
 * argument: this function is for ovn-controller only, not a remote systemctl for any unit, and
 * the drop-in the RPM ships is for that unit name.
 *
 * Errors: OVN_SYSTEMD_UNAVAILABLE [reason] when this host does not run systemd (no
 * /run/systemd/system, the test sd_booted(3) makes) or has no systemctl in PATH;
 * OVN_SERVICE_FAILED [action, unit, detail] when systemctl refuses or the job fails (detail: its
 * message and the unit's last journal lines); OVN_TIMEOUT when systemctl does not answer.
 */
import { execFile } from 'node:child_process'
import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { InvalidArgumentError, MissingArgumentError, TimeoutError, XapiOvnError, truncate } from '../../lib/errors.js'
import type { PluginContext, PluginFunction } from '../context.js'
import { withLock } from '../lock.js'
import { onlyArgs } from './args.js'
import { SERVICE_ACTIONS, type ServiceAction, type ServiceState } from '../../lib/chassis/replies.js'

export const CONTROLLER_UNIT = 'ovn-controller.service'
/** The drop-in the RPM installs for CONTROLLER_UNIT (rpm/ovn-controller-xapi-ovn.conf). */
export const DROP_IN_NAME = 'xapi-ovn.conf'
/** sd_booted(3): systemd is PID 1 exactly when this directory exists. */
export const SYSTEMD_RUNTIME_DIR = '/run/systemd/system'
/** What xapi gives a plugin, and what we fall back to when PATH is unset. */
export const DEFAULT_PATH = '/sbin:/usr/sbin:/bin:/usr/bin'

export { SERVICE_ACTIONS, type ServiceAction, type ServiceState }

/** The properties `systemctl show` is asked for, in this order. */
export const SHOW_PROPERTIES = [
  'Id',
  'LoadState',
  'ActiveState',
  'SubState',
  'UnitFileState',
  'MainPID',
  'ActiveEnterTimestamp',
  'Result',
  'DropInPaths',
] as const

/** OVN_SYSTEMD_UNAVAILABLE: this host has no usable systemd. params: [reason] */
export class SystemdUnavailableError extends XapiOvnError {
  constructor(reason: string) {
    super('OVN_SYSTEMD_UNAVAILABLE', `systemd is not available on this host: ${reason}`, [reason])
  }
}

/** OVN_SERVICE_FAILED: systemctl refused the action or the job failed. params: [action, unit, detail] */
export class ServiceActionError extends XapiOvnError {
  constructor(action: string, unit: string, detail: string) {
    super('OVN_SERVICE_FAILED', `systemctl ${action} ${unit} failed: ${detail}`, [action, unit, truncate(detail, 2048)])
  }
}

export interface CommandOutcome {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
  readonly timedOut: boolean
}

/** Runs one command (no shell) and reports how it ended; never throws for a non-zero exit. */
export type CommandRunner = (
  file: string,
  args: readonly string[],
  opts: { env: NodeJS.ProcessEnv; timeoutMs: number },
) => Promise<CommandOutcome>

export const execRunner: CommandRunner = (file, args, opts) =>
  new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { env: opts.env, timeout: opts.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null
        const timedOut = e !== null && e.killed === true
        const status = e === null ? 0 : typeof e.code === 'number' ? e.code : null
        const spawnError = e !== null && typeof e.code === 'string' ? `${e.code}: ${e.message}` : ''
        resolve({ status, stdout: String(stdout), stderr: `${String(stderr)}${spawnError}`, timedOut })
      },
    )
  })

export interface ServiceOptions {
  /** Where sd_booted looks (tests point it at a directory of their own). */
  readonly systemdRuntimeDir?: string
  readonly unit?: string
  readonly runner?: CommandRunner
  /** PATH to search for systemctl/journalctl and to give them (default: this process's PATH). */
  readonly path?: string
}

/** How long each kind of systemctl call may take before we stop waiting (the job goes on). */
const TIMEOUT_MS: Readonly<Record<ServiceAction | 'show' | 'journal', number>> = {
  status: 30_000,
  show: 30_000,
  journal: 15_000,
  enable: 60_000,
  disable: 60_000,
  stop: 120_000,
  // The drop-in lets a start wait up to its TimeoutStartSec for the XAPI bridge.
  start: 330_000,
  restart: 330_000,
}

function findExecutable(name: string, path: string): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      if (statSync(candidate).isFile()) return candidate
    } catch {
      // not here
    }
  }
  return null
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** Parse `systemctl show` KEY=VALUE lines. */
export function parseShow(text: string): Map<string, string> {
  const props = new Map<string, string>()
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0) props.set(line.slice(0, eq), line.slice(eq + 1))
  }
  return props
}

export function stateFromShow(action: ServiceAction, unit: string, props: ReadonlyMap<string, string>): ServiceState {
  const get = (k: string): string => props.get(k) ?? ''
  const pid = Number.parseInt(get('MainPID'), 10)
  const dropIns = get('DropInPaths')
    .split(/\s+/)
    .filter((p) => p !== '')
  const unitFileState = get('UnitFileState')
  return {
    action,
    unit,
    active: get('ActiveState') === 'active',
    enabled: unitFileState === 'enabled' || unitFileState === 'enabled-runtime',
    loaded: get('LoadState') === 'loaded',
    activeState: get('ActiveState'),
    subState: get('SubState'),
    loadState: get('LoadState'),
    unitFileState,
    mainPid: Number.isSafeInteger(pid) && pid > 0 ? pid : null,
    since: get('ActiveEnterTimestamp') === '' ? null : get('ActiveEnterTimestamp'),
    result: get('Result'),
    dropIns,
    bootWait: dropIns.some((p) => p.endsWith(`/${CONTROLLER_UNIT}.d/${DROP_IN_NAME}`)),
  }
}

function parseAction(args: Readonly<Record<string, string>>): { action: ServiceAction; noBlock: boolean } {
  onlyArgs(args, ['action', 'no-block'])
  const action = args.action
  if (action === undefined) throw new MissingArgumentError('action')
  if (!(SERVICE_ACTIONS as readonly string[]).includes(action))
    throw new InvalidArgumentError('action', action, `expected one of ${SERVICE_ACTIONS.join(', ')}`)
  const nb = args['no-block']
  if (nb !== undefined && nb !== 'true' && nb !== 'false')
    throw new InvalidArgumentError('no-block', nb, 'expected true or false')
  const noBlock = nb === 'true'
  if (noBlock && action !== 'start' && action !== 'stop' && action !== 'restart') {
    throw new InvalidArgumentError('no-block', 'true', 'only start, stop and restart queue a job')
  }
  return { action: action as ServiceAction, noBlock }
}

/** The systemctl argv (without the program) for one action on `unit`. */
export function actionArgv(action: Exclude<ServiceAction, 'status'>, unit: string, noBlock: boolean): string[] {
  return [...(noBlock ? ['--no-block'] : []), action, unit]
}

export function showArgv(unit: string): string[] {
  return ['show', '--no-pager', `--property=${SHOW_PROPERTIES.join(',')}`, unit]
}

export function journalArgv(unit: string): string[] {
  return ['--no-pager', '--output=cat', '--lines=10', `--unit=${unit}`]
}

interface Systemd {
  readonly systemctl: string
  readonly journalctl: string | null
  readonly env: NodeJS.ProcessEnv
}

/** Find systemctl, or say why systemd cannot be used here. */
export function locateSystemd(options: ServiceOptions = {}): Systemd {
  const runtimeDir = options.systemdRuntimeDir ?? SYSTEMD_RUNTIME_DIR
  const path = options.path ?? process.env.PATH ?? DEFAULT_PATH
  if (!isDirectory(runtimeDir))
    throw new SystemdUnavailableError(`this host was not booted with systemd (${runtimeDir} does not exist)`)
  const systemctl = findExecutable('systemctl', path)
  if (systemctl === null) throw new SystemdUnavailableError(`systemctl is not in PATH (${path})`)
  // C locale: messages we pass on are the same on every host; no pager, no colours.
  return {
    systemctl,
    journalctl: findExecutable('journalctl', path),
    env: { PATH: path, LC_ALL: 'C', SYSTEMD_PAGER: '', SYSTEMD_COLORS: '0' },
  }
}

async function runChecked(
  sd: Systemd,
  runner: CommandRunner,
  what: ServiceAction | 'show',
  unit: string,
  args: readonly string[],
): Promise<string> {
  const timeoutMs = TIMEOUT_MS[what]
  const r = await runner(sd.systemctl, args, { env: sd.env, timeoutMs })
  if (r.timedOut) throw new TimeoutError(`systemctl ${args.join(' ')}`, Math.round(timeoutMs / 1000))
  if (r.status !== 0) {
    const message = (r.stderr.trim() || r.stdout.trim() || `exit status ${String(r.status)}`)
      .split('\n')
      .slice(0, 5)
      .join(' ')
    const journal = what === 'show' ? '' : await journalTail(sd, runner, unit)
    throw new ServiceActionError(
      what === 'show' ? 'status' : what,
      unit,
      journal === '' ? message : `${message} | journal: ${journal}`,
    )
  }
  return r.stdout
}

async function journalTail(sd: Systemd, runner: CommandRunner, unit: string): Promise<string> {
  if (sd.journalctl === null) return ''
  try {
    const r = await runner(sd.journalctl, journalArgv(unit), { env: sd.env, timeoutMs: TIMEOUT_MS.journal })
    return r.status === 0 ? r.stdout.trim().split('\n').slice(-10).join(' | ') : ''
  } catch {
    return ''
  }
}

/** The unit's state now (for fn=status / fn=verify too). Throws OVN_SYSTEMD_UNAVAILABLE. */
export async function serviceState(
  options: ServiceOptions = {},
  action: ServiceAction = 'status',
): Promise<ServiceState> {
  const sd = locateSystemd(options)
  const unit = options.unit ?? CONTROLLER_UNIT
  const out = await runChecked(sd, options.runner ?? execRunner, 'show', unit, showArgv(unit))
  return stateFromShow(action, unit, parseShow(out))
}

/** fn=service, with its collaborators replaceable (tests: a fake systemctl, a runtime dir). */
export function createService(options: ServiceOptions = {}): PluginFunction {
  return async (args: Record<string, string>, ctx: PluginContext): Promise<ServiceState> => {
    const { action, noBlock } = parseAction(args)
    const sd = locateSystemd(options)
    const unit = options.unit ?? CONTROLLER_UNIT
    const runner = options.runner ?? execRunner
    const show = async (): Promise<ServiceState> =>
      stateFromShow(action, unit, parseShow(await runChecked(sd, runner, 'show', unit, showArgv(unit))))
    if (action === 'status') return show()
    return withLock(ctx, 'service', async () => {
      ctx.log.info('service action', { action, unit, noBlock })
      await runChecked(sd, runner, action, unit, actionArgv(action, unit, noBlock))
      const state = await show()
      ctx.log.info('service state', {
        action,
        unit,
        activeState: state.activeState,
        subState: state.subState,
        unitFileState: state.unitFileState,
      })
      return state
    })
  }
}

/**
 * Where systemd is, as the call's environment says: xapi gives a plugin only PATH, so on a host
 * these are the defaults (sd_booted's directory, systemctl in PATH); the lab points them at its
 * emulated systemd (lab/emulated-systemd.ts), as plugin/context.ts's paths are pointed.
 */
export function serviceOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): ServiceOptions {
  const runtimeDir = env.XAPI_OVN_SYSTEMD_DIR
  const path = env.XAPI_OVN_SYSTEMD_PATH
  return {
    ...(runtimeDir !== undefined && runtimeDir !== '' ? { systemdRuntimeDir: runtimeDir } : {}),
    ...(path !== undefined && path !== '' ? { path } : {}),
  }
}

export const service: PluginFunction = (args, ctx) => createService(serviceOptionsFromEnv(process.env))(args, ctx)
