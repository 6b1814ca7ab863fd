/**
 * Errors raised by the lab fixtures. Every one is a `LabError` with a stable `code` (`LAB_*`), so
 * a test that expects a failure matches on `code`, never on message text.
 *
 * @example
 * ```ts
 * import { CommandError } from './errors.js'
 * try { await run('ovs-vsctl', ['--db=unix:/nope', 'show']) }
 * catch (err) { if (err instanceof CommandError) console.error(err.result.stderr) }
 * ```
 */
import { errorText } from '../lib/error-text.js'

/** Base class of every error the lab raises on purpose. */
export class LabError extends Error {
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** What a finished command gave back (see `exec.ts`). */
export interface CommandResult {
  /** The argv that was actually spawned (including any `ip netns exec NS` prefix). */
  readonly argv: readonly string[]
  /** Exit status, or null when the process was killed by a signal. */
  readonly status: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  /** True when the command ran to completion with status 0. */
  readonly ok: boolean
  /** True when the lab killed the command because it ran past its timeout. */
  readonly timedOut: boolean
}

/** A command exited non-zero, was killed, or timed out. `result` holds its stdout and stderr. */
export class CommandError extends LabError {
  readonly result: CommandResult

  constructor(result: CommandResult, timeoutMs?: number) {
    const how = result.timedOut
      ? `timed out after ${timeoutMs ?? '?'} ms`
      : result.signal !== null
        ? `was killed by ${result.signal}`
        : `exited with status ${String(result.status)}`
    const stderr = result.stderr.trim()
    super(
      result.timedOut ? 'LAB_COMMAND_TIMEOUT' : 'LAB_COMMAND_FAILED',
      `command ${how}: ${result.argv.join(' ')}${stderr === '' ? '' : `\n--- stderr ---\n${stderr}`}`,
    )
    this.result = result
  }
}

/** A command could not be started at all (missing binary, bad cwd). */
export class SpawnError extends LabError {
  readonly argv: readonly string[]

  constructor(argv: readonly string[], cause: unknown) {
    super('LAB_SPAWN_FAILED', `cannot start ${argv.join(' ')}: ${errorText(cause)}`, { cause })
    this.argv = argv
  }
}

/** A `waitFor` deadline passed before the condition held. */
export class LabTimeoutError extends LabError {
  constructor(what: string, timeoutMs: number, last?: unknown) {
    const detail = last === undefined ? '' : `; last observation: ${errorText(last)}`
    super('LAB_TIMEOUT', `timed out after ${timeoutMs} ms waiting for ${what}${detail}`, { cause: last })
  }
}

/** A daemon did not start, or died. `log` holds the tail of its log file when there is one. */
export class DaemonError extends LabError {
  constructor(
    daemon: string,
    reason: string,
    readonly log: string = '',
  ) {
    super('LAB_DAEMON_FAILED', `${daemon}: ${reason}${log === '' ? '' : `\n--- log tail ---\n${log}`}`)
  }
}

/** A fixture was used wrongly (bad name, already destroyed, unknown VIF). */
export class LabUsageError extends LabError {
  constructor(message: string) {
    super('LAB_USAGE', message)
  }
}
