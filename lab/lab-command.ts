/**
 * `npm run lab` — the lab pool in one command (entered through cli.ts, which makes sure a Node.js
 * >= 18 runs this file).
 *
 *   npm run lab                    build a 3-host lab, prove it, leave it running
 *   npm run lab -- --hosts 5       more hosts (1..200)
 *   npm run lab -- --standalone    a standalone OVN central instead of 3-member RAFT
 *   npm run lab -- --json          build it, then print the lab as JSON on stdout (progress on stderr)
 *   npm run lab -- status [--json] what is up (from the state file), exit 1 when nothing is;
 *                                  --json prints the same object as up --json
 *   npm run lab -- down            remove every namespace, process and file this lab made, and
 *                                  return once its daemons are gone
 *   npm run lab -- down --leftovers   also sweep what dead lab runs (of anyone) left behind
 *
 * How it stays up: the lab's namespaces and daemons belong to the process that made them (their
 * names carry its pid, cleanup.ts tears them down when it exits), and the XAPI emulator is an
 * HTTP server inside a process. So `npm run lab` starts a detached *keeper* process (this same
 * file with the argument `keeper`) that builds the lab (OverlayLab), runs the proof, serves XAPI
 * and then just stays alive. The command you ran streams the keeper's progress over an IPC
 * channel, prints the report and exits (status 0 when every ping answered, 1 otherwise), while
 * the keeper keeps the lab running. `down` sends the keeper SIGTERM (it tears everything down
 * synchronously, newest first), then sweeps what a killed keeper would have left
 * (`sweepLeftovers`) and removes the lab directory (state file and keeper log, see lab-state.ts).
 * Running `npm run lab` while a lab is up tears the old one down first. Ctrl-C while it is being
 * built stops the keeper too.
 */
import { spawn } from 'node:child_process'
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { listNetns, processesTagged, sweepLeftovers } from './cleanup.js'
import { describeLab, formatReport } from './lab-report.js'
import {
  KEEPER_ARG,
  ensureLabDir,
  keeperAlive,
  logPath,
  readState,
  removeLabDir,
  writeState,
  type LabState,
} from './lab-state.js'
import { LAB_PREFIX } from './names.js'
import { OverlayLab, PLUGIN_FILE } from './overlay-lab.js'
import { proveOverlay } from './overlay-proof.js'
import { sleep } from './wait.js'
import { errnoOf, errorStackText, errorText } from '../lib/error-text.js'

/** The entry (cli.js): the keeper is started through it too, so its command line names it. */
const CLI_FILE = join(dirname(fileURLToPath(import.meta.url)), 'cli.js')
const DEFAULT_HOSTS = 3
/** How long the keeper may take to build the lab before the command gives up on it. */
const BUILD_DEADLINE_MS = 20 * 60_000
const STOP_GRACE_MS = 120_000

interface Args {
  readonly command: 'up' | 'down' | 'status' | 'keeper' | 'help'
  readonly hosts: number
  readonly clustered: boolean
  readonly json: boolean
  readonly leftovers: boolean
}

class UsageError extends Error {}

const USAGE = `usage: npm run lab [-- [up] [--hosts N] [--standalone] [--json] | status [--json] | down [--leftovers]]`

function parseArgs(argv: readonly string[]): Args {
  let command: Args['command'] = 'up'
  let hosts = DEFAULT_HOSTS
  let clustered = true
  let json = false
  let leftovers = false
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === 'up' || a === 'down' || a === 'status' || a === KEEPER_ARG) command = a === KEEPER_ARG ? 'keeper' : a
    else if (a === '--help' || a === '-h' || a === 'help') command = 'help'
    else if (a === '--standalone') clustered = false
    else if (a === '--json') json = true
    else if (a === '--leftovers') leftovers = true
    else if (a === '--hosts' || a.startsWith('--hosts=')) {
      const v = a === '--hosts' ? argv[++i] : a.slice('--hosts='.length)
      if (v === undefined || !/^[0-9]{1,3}$/.test(v) || Number(v) < 1 || Number(v) > 200)
        throw new UsageError(`--hosts takes a number from 1 to 200, got ${String(v)}`)
      hosts = Number(v)
    } else throw new UsageError(`unknown argument ${JSON.stringify(a)}`)
  }
  if (leftovers && command !== 'down') throw new UsageError('--leftovers goes with down')
  return { command, hosts, clustered, json, leftovers }
}

/** Messages the keeper sends the command that started it. */
type KeeperMessage =
  | { readonly type: 'step'; readonly message: string }
  | { readonly type: 'ready'; readonly state: LabState }
  | { readonly type: 'failed'; readonly message: string }

function send(message: KeeperMessage): void {
  if (process.connected && process.send !== undefined) process.send(message)
}

/** The error's text with its code in front, for the keeper's `failed` message to its parent. */
function codedErrorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const code = errnoOf(err)
  return `${code !== undefined ? `${code}: ` : ''}${err.message}`
}

// ---------------------------------------------------------------------------------------------
// keeper (detached; stdout/stderr are the keeper log)

async function keeper(args: Args): Promise<void> {
  process.on('disconnect', () => undefined) // the command that started us may exit at any time
  const started = Date.now()
  const base = { keeperPid: process.pid, startedAt: new Date(started).toISOString(), hosts: args.hosts }
  writeState({ ...base, status: 'building', report: null })
  const step = (message: string): void => {
    const line = `[${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`
    process.stdout.write(`${line}\n`)
    send({ type: 'step', message: line })
  }
  let lab: OverlayLab
  try {
    lab = await OverlayLab.build({ hosts: args.hosts, clustered: args.clustered, onStep: step })
  } catch (err) {
    process.stdout.write(`build failed: ${errorStackText(err)}\n`)
    send({ type: 'failed', message: codedErrorText(err) })
    removeLabDir()
    process.exit(1)
  }
  step('proof: VM-to-VM pings across hosts (Geneve) and VM-to-provider-gateway pings (localnet)')
  const proof = await proveOverlay(lab)
  const state: LabState = { ...base, status: 'up', report: await describeLab(lab, proof) }
  writeState(state)
  process.stdout.write(
    `${formatReport(state.report as NonNullable<LabState['report']>, { pid: process.pid, log: logPath() })}\n`,
  )
  send({ type: 'ready', state })
  if (process.connected) process.disconnect()
  // Stay up: the XAPI server keeps the event loop alive; SIGTERM (down) tears everything down.
}

// ---------------------------------------------------------------------------------------------
// down / status

/** How long `down` waits for a lab's daemons to be reaped after its keeper is gone. */
const REAP_DEADLINE_MS = 30_000

async function down(quiet = false, leftovers = false): Promise<boolean> {
  const say = (line: string): void => {
    if (!quiet) process.stdout.write(`${line}\n`)
  }
  const state = readState()
  let clean = true
  if (state !== null && keeperAlive(state.keeperPid)) {
    say(`stopping the lab keeper (pid ${state.keeperPid}): it removes its namespaces, daemons and files`)
    process.kill(state.keeperPid, 'SIGTERM')
    const deadline = Date.now() + STOP_GRACE_MS
    while (keeperAlive(state.keeperPid) && Date.now() < deadline) await sleep(100)
    if (keeperAlive(state.keeperPid)) {
      say(`the keeper did not stop in ${STOP_GRACE_MS / 1000}s: killing it`)
      process.kill(state.keeperPid, 'SIGKILL')
      while (keeperAlive(state.keeperPid)) await sleep(50)
    }
  } else if (state !== null) {
    say(`the lab keeper (pid ${state.keeperPid}) is gone: sweeping what it left`)
  }
  // Only this lab's own leftovers, unless asked: another user's dead lab is not ours to sweep.
  const swept = await sweepLeftovers(LAB_PREFIX, leftovers ? {} : { owners: state === null ? [] : [state.keeperPid] })
  if (swept.netns.length + swept.dirs.length > 0) say(`swept leftovers: ${[...swept.netns, ...swept.dirs].join(' ')}`)
  if (state !== null) {
    const tag = `${LAB_PREFIX}${state.keeperPid.toString(36)}-`
    // The keeper is gone, but the daemons it stopped may still be being reaped: wait for them.
    const deadline = Date.now() + REAP_DEADLINE_MS
    while (processesTagged(tag).length > 0 && Date.now() < deadline) await sleep(50)
    const remaining = (await listNetns()).filter((n) => n.startsWith(tag))
    const processes = processesTagged(tag)
    if (remaining.length > 0 || processes.length > 0) {
      clean = false
      if (remaining.length > 0) say(`namespaces still there: ${remaining.join(' ')}`)
      if (processes.length > 0) say(`processes still there: ${processes.join(' ')}`)
    }
  }
  removeLabDir()
  say(
    state === null
      ? 'no lab was up; nothing of ours remains'
      : 'lab removed: no namespace, process or file of it remains',
  )
  return clean
}

/** The one JSON shape of `up --json` and `status --json`. */
export interface LabJson {
  readonly up: boolean
  readonly keeperPid: number | null
  readonly startedAt: string | null
  readonly hosts: number | null
  readonly status: LabState['status'] | null
  readonly log: string
  readonly report: LabState['report']
}

function labJson(state: LabState | null, up: boolean): LabJson {
  return {
    up,
    keeperPid: state?.keeperPid ?? null,
    startedAt: state?.startedAt ?? null,
    hosts: state?.hosts ?? null,
    status: state?.status ?? null,
    log: logPath(),
    report: state?.report ?? null,
  }
}

function status(json: boolean): boolean {
  const state = readState()
  const alive = state !== null && keeperAlive(state.keeperPid)
  if (json) {
    process.stdout.write(`${JSON.stringify(labJson(state, alive), null, 2)}\n`)
    return alive
  }
  if (state === null) process.stdout.write('no lab is up\n')
  else if (!alive) process.stdout.write(`the lab keeper (pid ${state.keeperPid}) is gone; run: npm run lab -- down\n`)
  else if (state.report === null)
    process.stdout.write(`a lab is being built (keeper pid ${state.keeperPid}, log ${logPath()})\n`)
  else process.stdout.write(`${formatReport(state.report, { pid: state.keeperPid, log: logPath() })}\n`)
  return alive
}

// ---------------------------------------------------------------------------------------------
// up

function logTail(lines = 40): string {
  try {
    return readFileSync(logPath(), 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

async function up(args: Args): Promise<boolean> {
  if (!existsSync(PLUGIN_FILE))
    throw new UsageError(`${PLUGIN_FILE} is missing: run it as npm run lab (which builds the plugin first)`)
  const previous = readState()
  if (previous !== null) {
    if (keeperAlive(previous.keeperPid))
      process.stderr.write(`a lab is already up (keeper pid ${previous.keeperPid}): tearing it down first\n`)
    await down(true)
  }
  ensureLabDir()
  const log = openSync(logPath(), 'a', 0o600)
  const passed = [KEEPER_ARG, '--hosts', String(args.hosts), ...(args.clustered ? [] : ['--standalone'])]
  const child = spawn(process.execPath, [CLI_FILE, ...passed], { detached: true, stdio: ['ignore', log, log, 'ipc'] })
  closeSync(log)
  const out = args.json ? process.stderr : process.stdout
  out.write(
    `building a lab of ${args.hosts} host(s) in a detached keeper (pid ${String(child.pid)}, log ${logPath()})\n`,
  )

  const stopKeeper = (): void => {
    if (child.pid !== undefined && keeperAlive(child.pid)) process.kill(child.pid, 'SIGTERM')
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\n${signal}: stopping the lab being built (npm run lab -- down removes what is left)\n`)
    stopKeeper()
    process.exit(130)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  const outcome = await new Promise<{ state: LabState } | { error: string }>((resolve) => {
    const timer = setTimeout(() => {
      stopKeeper()
      resolve({ error: `the lab was not up after ${BUILD_DEADLINE_MS / 60_000} minutes` })
    }, BUILD_DEADLINE_MS)
    child.on('message', (raw) => {
      const m = raw as KeeperMessage
      if (m.type === 'step') out.write(`${m.message}\n`)
      else if (m.type === 'ready') {
        clearTimeout(timer)
        resolve({ state: m.state })
      } else if (m.type === 'failed') {
        clearTimeout(timer)
        resolve({ error: m.message })
      }
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ error: `the lab keeper exited (${signal ?? `status ${String(code)}`}) before the lab was up` })
    })
  })
  process.removeListener('SIGINT', onSignal)
  process.removeListener('SIGTERM', onSignal)
  if (child.connected) child.disconnect()
  child.unref()

  if ('error' in outcome) {
    process.stderr.write(`lab failed: ${outcome.error}\n`)
    const tail = logTail()
    if (tail !== '') process.stderr.write(`--- keeper log (${logPath()}) ---\n${tail}\n`)
    await down(true)
    return false
  }
  const report = outcome.state.report
  if (report === null) return false
  if (args.json) process.stdout.write(`${JSON.stringify(labJson(outcome.state, true), null, 2)}\n`)
  else process.stdout.write(`\n${formatReport(report, { pid: outcome.state.keeperPid, log: logPath() })}\n`)
  if (!report.proof.ok)
    process.stderr.write(
      '\nthe proof FAILED (see above); the lab is left running for inspection: npm run lab -- down removes it\n',
    )
  return report.proof.ok
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  let args: Args
  try {
    args = parseArgs(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`${errorText(err)}\n${USAGE}\n`)
    return 2
  }
  if (process.getuid?.() !== 0 && args.command !== 'help') {
    process.stderr.write('the lab needs root (network namespaces): run it as root, e.g. sudo ./scripts/lab\n')
    return 2
  }
  switch (args.command) {
    case 'help':
      process.stdout.write(`${USAGE}\n`)
      return 0
    case 'keeper':
      await keeper(args)
      return -1
    case 'down':
      return (await down(false, args.leftovers)) ? 0 : 1
    case 'status':
      return status(args.json) ? 0 : 1
    case 'up':
      try {
        return (await up(args)) ? 0 : 1
      } catch (err) {
        if (err instanceof UsageError) {
          process.stderr.write(`${err.message}\n`)
          return 2
        }
        throw err
      }
  }
}

/** Run the lab command with these arguments; resolves with the exit status (-1: keep running, the keeper). */
export function runLabCommand(): Promise<number> {
  return main()
}
