/**
 * Run one command, optionally inside a network namespace, and get a typed result back.
 *
 * Commands are always spawned from an argv array (never through a shell), so values with spaces,
 * quotes or semicolons reach the program unchanged. Inside a namespace the argv becomes
 * `ip netns exec NS file ...args`; `ip netns exec` keeps the environment, so `env` reaches the
 * program too. By default a non-zero exit throws a `CommandError` whose message carries the argv
 * and stderr; pass `check: false` to get the result of a failing command instead.
 *
 * @example
 * ```ts
 * import { run, runSync } from './exec.js'
 * const { stdout } = await run('ip', ['-j', 'link'], { netns: 'xo1a2b-h1' })
 * const r = await run('ping', ['-c1', '-W1', '192.0.2.21'], { netns: 'xo1a2b-v1', check: false })
 * if (!r.ok) console.log('no reply:', r.stdout)
 * runSync('ip', ['netns', 'del', 'xo1a2b-h1'], { check: false }) // usable from process 'exit'
 * ```
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process'
import { errnoOf } from '../lib/error-text.js'
import { CommandError, SpawnError, type CommandResult } from './errors.js'

export type { CommandResult } from './errors.js'

export interface RunOptions {
  /** Run inside this network namespace (`ip netns exec NS ...`); absent or undefined: here. */
  readonly netns?: string | undefined
  /** Variables added to (or overriding) this process's environment. */
  readonly env?: Readonly<Record<string, string>> | undefined
  /** Replace the environment entirely instead of extending process.env. */
  readonly replaceEnv?: boolean
  /** Kill the command (SIGKILL) after this many ms. Default 30000. */
  readonly timeoutMs?: number
  /** Text written to the command's stdin (stdin is empty otherwise). */
  readonly input?: string
  readonly cwd?: string
  /** Throw a CommandError when the command fails (default true). */
  readonly check?: boolean
}

export const DEFAULT_TIMEOUT_MS = 30_000

/** The argv actually spawned for `file args` with these options. */
export function commandArgv(file: string, args: readonly string[], netns?: string): string[] {
  return netns === undefined ? [file, ...args] : ['ip', 'netns', 'exec', netns, file, ...args]
}

function environment(opts: RunOptions): NodeJS.ProcessEnv {
  if (opts.replaceEnv === true) return { ...opts.env }
  return { ...process.env, ...opts.env }
}

/** Run `file args` and resolve with its result; rejects with CommandError unless `check: false`. */
export function run(file: string, args: readonly string[] = [], opts: RunOptions = {}): Promise<CommandResult> {
  const argv = commandArgv(file, args, opts.netns)
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  return new Promise<CommandResult>((resolve, reject) => {
    let child: ChildProcessWithoutNullStreams
    try {
      child = spawn(argv[0] as string, argv.slice(1), {
        env: environment(opts),
        cwd: opts.cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    } catch (err) {
      reject(new SpawnError(argv, err))
      return
    }
    const out: Buffer[] = []
    const err: Buffer[] = []
    let timedOut = false
    let spawnFailure: unknown
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    child.on('error', (e) => {
      spawnFailure = e
    })
    child.stdin.on('error', () => {
      // The command may exit without reading its stdin; that is not our failure.
    })
    child.stdin.end(opts.input ?? '')
    child.on('close', (status, signal) => {
      clearTimeout(timer)
      if (spawnFailure !== undefined) {
        reject(new SpawnError(argv, spawnFailure))
        return
      }
      const result: CommandResult = {
        argv,
        status,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ok: status === 0 && !timedOut,
        timedOut,
      }
      if (!result.ok && opts.check !== false) reject(new CommandError(result, timeoutMs))
      else resolve(result)
    })
  })
}

/** Like `run` but returns stdout only (throws on failure). */
export async function output(file: string, args: readonly string[] = [], opts: RunOptions = {}): Promise<string> {
  return (await run(file, args, { ...opts, check: true })).stdout
}

/**
 * Synchronous variant, for the few places that cannot await: teardown from a process 'exit'
 * handler. Same options and errors as `run`.
 */
export function runSync(file: string, args: readonly string[] = [], opts: RunOptions = {}): CommandResult {
  const argv = commandArgv(file, args, opts.netns)
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const r = spawnSync(argv[0] as string, argv.slice(1), {
    env: environment(opts),
    cwd: opts.cwd,
    input: opts.input ?? '',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  const timedOut = errnoOf(r.error) === 'ETIMEDOUT'
  if (r.error !== undefined && !timedOut) throw new SpawnError(argv, r.error)
  const result: CommandResult = {
    argv,
    status: r.status,
    signal: r.signal,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    ok: r.status === 0 && !timedOut,
    timedOut,
  }
  if (!result.ok && opts.check !== false) throw new CommandError(result, timeoutMs)
  return result
}
