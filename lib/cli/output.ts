/**
 * The one output path of xapi-ovn. Results go to stdout (text, or with --json the one envelope of
 * every command, README "JSON output"), progress and notes to stderr; every failure (a usage
 * mistake, a coded error of the library, an aborted prompt) is printed here and mapped to its exit
 * status here, and nowhere else. Everything passes through redact(): the password never reaches
 * the terminal.
 */
import { isArgumentErrorCode } from '../errors.js'
import { type Failure, toFailure } from '../pool/failures.js'
import type { CliEnv } from './args.js'
import { isFailure, rewordFailure } from './failure-wording.js'
import { UsageError } from './options.js'
import { PromptAborted } from './prompt.js'
import { renderFailure } from './render.js'
import { redact } from './secrets.js'

/** 0 all good; 1 something failed or was refused; 2 the command line (or an argument) was wrong. */
export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

/** The version of the JSON envelope: a change that breaks a reader of it gets a new number. */
export const API_VERSION = 1

/** The code of a mistake in the command line (an unknown option, a missing value, ...). */
export const USAGE_ERROR_CODE = 'OVN_USAGE'
/** The code of a password prompt answered with Ctrl-C. */
export const ABORTED_CODE = 'OVN_ABORTED'

/**
 * What every command prints on stdout with --json, success or not: `result` when the command ran
 * (`ok` false when its result reports a failure, a host that failed), `error` when it did not.
 * `command` is the command's full path (`port attach`), null when argv named no command.
 */
export type Envelope =
  | {
      readonly apiVersion: typeof API_VERSION
      readonly ok: boolean
      readonly command: string | null
      readonly result: unknown
    }
  | {
      readonly apiVersion: typeof API_VERSION
      readonly ok: false
      readonly command: string | null
      readonly error: Failure
    }

/** --json among the words (before a `--`): even a command line that does not parse is answered in JSON. */
export function jsonAsked(argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json')
}

/** The process as a command sees it: environment, terminal, files and the two streams. */
export interface CommandIo extends CliEnv {
  stdout(text: string): void
  stderr(text: string): void
}

export interface OutputMode {
  /** Results and failures as JSON on stdout. */
  readonly json?: boolean
  /** No progress or notes on stderr. */
  readonly quiet?: boolean
}

export class Output {
  readonly #io: CommandIo
  readonly #secrets: (string | undefined)[]
  readonly #mode: OutputMode
  /** Names the command in messages: "xapi-ovn setup: ...", "xapi-ovn port attach: ...". */
  readonly #prefix: string
  readonly #label: string

  constructor(io: CommandIo, label: string, secrets: readonly (string | undefined)[], mode: OutputMode = {}) {
    this.#io = io
    this.#label = label
    this.#prefix = label === '' ? 'xapi-ovn' : `xapi-ovn ${label}`
    this.#secrets = [...secrets]
    this.#mode = mode
  }

  /** The same printer, for a command whose options are now known. */
  withMode(mode: OutputMode): Output {
    return new Output(this.#io, this.#label, this.#secrets, mode)
  }

  /** A secret learned on the way (the password typed at the prompt). */
  keepSecret(secret: string | undefined): void {
    this.#secrets.push(secret)
  }

  #clean(text: string): string {
    return redact(text, this.#secrets)
  }

  /**
   * --help asked for: on stdout, exit 0. Not redacted: it is made from the option table alone,
   * and a password that happens to be a word of it must not blank that word out.
   */
  help(text: string): number {
    this.#io.stdout(`${text}\n`)
    return EXIT_OK
  }

  #json(envelope: Envelope): void {
    // Every Failure inside (a host's error in a pool result) in the command line's words too.
    const text = JSON.stringify(envelope, (_key, v: unknown) => (isFailure(v) ? rewordFailure(v) : v), 2)
    this.#io.stdout(`${this.#clean(text)}\n`)
  }

  /** The command's name in the envelope. */
  get #command(): string | null {
    return this.#label === '' ? null : this.#label
  }

  /**
   * The result: in the envelope with --json, else the text `render` makes. `ok` false: the result
   * itself reports a failure (some host failed); the caller exits 1.
   */
  result(value: unknown, render: () => string, ok = true): void {
    if (this.#mode.json === true) this.#json({ apiVersion: API_VERSION, ok, command: this.#command, result: value })
    else this.#io.stdout(`${this.#clean(render())}\n`)
  }

  /** A line on stderr (progress, a warning), unless --quiet. */
  note(line: string): void {
    if (this.#mode.quiet !== true) this.#io.stderr(`${this.#clean(line)}\n`)
  }

  /** What `err` is, as a Failure in the command line's words. */
  #failureOf(err: unknown): Failure {
    if (err instanceof UsageError) {
      const help = this.#label === '' ? 'xapi-ovn --help' : `${this.#prefix} --help`
      return {
        code: USAGE_ERROR_CODE,
        params: [err.message],
        message: err.message,
        hint: `run '${help}' for ${this.#label === '' ? 'the commands' : 'its options'}`,
      }
    }
    if (err instanceof PromptAborted)
      return { code: ABORTED_CODE, params: [], message: 'aborted at the password prompt', hint: null }
    return rewordFailure(toFailure(err))
  }

  /** Print anything thrown by a command and say which exit status it means. */
  failure(err: unknown): number {
    const f = this.#failureOf(err)
    const exit = f.code === USAGE_ERROR_CODE || isArgumentErrorCode(f.code) ? EXIT_USAGE : EXIT_FAILED
    if (this.#mode.json === true) {
      this.#json({ apiVersion: API_VERSION, ok: false, command: this.#command, error: f })
      return exit
    }
    let text: string
    if (err instanceof UsageError)
      text =
        err.usage === undefined
          ? `${this.#prefix}: ${err.message}\nRun '${this.#prefix} --help' for its options.`
          : `${this.#prefix}: ${err.message}\n\n${err.usage}`
    else if (err instanceof PromptAborted) text = `${this.#prefix}: aborted`
    else text = renderFailure(this.#prefix, f)
    this.#io.stderr(`${this.#clean(text)}\n`)
    return exit
  }
}
