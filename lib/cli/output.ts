/**
 * The one output path of xapi-ovn. Results go to stdout (text, or JSON with --json), progress and
 * notes to stderr; every failure (a usage mistake, a coded error of the library, an aborted
 * prompt) is printed here and mapped to its exit status here, and nowhere else. Everything passes
 * through redact(): the password never reaches the terminal.
 */
import { isArgumentErrorCode } from '../errors.js'
import { toFailure } from '../pool/failures.js'
import type { CliEnv } from './args.js'
import { UsageError } from './options.js'
import { PromptAborted } from './prompt.js'
import { renderFailure } from './render.js'
import { redact } from './secrets.js'

/** 0 all good; 1 something failed or was refused; 2 the command line (or an argument) was wrong. */
export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

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

  /** The result: as JSON with --json, else the text `render` makes. */
  result(value: unknown, render: () => string): void {
    this.#io.stdout(`${this.#clean(this.#mode.json === true ? JSON.stringify(value, null, 2) : render())}\n`)
  }

  /** A line on stderr (progress, a warning), unless --quiet. */
  note(line: string): void {
    if (this.#mode.quiet !== true) this.#io.stderr(`${this.#clean(line)}\n`)
  }

  /** Print anything thrown by a command and say which exit status it means. */
  failure(err: unknown): number {
    if (err instanceof UsageError) {
      const text =
        err.usage === undefined
          ? `${this.#prefix}: ${err.message}\nRun '${this.#prefix} --help' for its options.`
          : err.message === ''
            ? err.usage
            : `${this.#prefix}: ${err.message}\n\n${err.usage}`
      this.#io.stderr(`${this.#clean(text)}\n`)
      return EXIT_USAGE
    }
    if (err instanceof PromptAborted) {
      this.#io.stderr('xapi-ovn: aborted\n')
      return EXIT_FAILED
    }
    const f = toFailure(err)
    if (this.#mode.json === true) this.#io.stdout(`${this.#clean(JSON.stringify({ ok: false, error: f }, null, 2))}\n`)
    else this.#io.stderr(`${this.#clean(renderFailure(this.#prefix, f))}\n`)
    return isArgumentErrorCode(f.code) ? EXIT_USAGE : EXIT_FAILED
  }
}
