/**
 * The one base of every xapi-ovn command (lib/cli/commands/*.ts). A command is a definition: a
 * summary, a description, the names of the options it takes (see options.ts) and `run`; or, for a
 * command with verbs (`switch add|list|del`), one such definition per verb. The base owns the
 * rest: the verb choice, strict option parsing, required options, --help generated from the
 * option table, and every error, handed to the one printer (output.ts) for its exit status.
 */
import {
  flag,
  optionSynopsis,
  optionsHelp,
  parseOptions,
  requiredString,
  UsageError,
  type OptionName,
  type OptionValues,
  type StringName,
} from './options.js'
import { jsonAsked, Output, type CommandIo } from './output.js'
import { passwordInArgv } from './secrets.js'

/** What a running command gets: its parsed options, the process, the printer. */
export interface RunContext {
  readonly values: OptionValues
  readonly io: CommandIo
  readonly out: Output
}

/** A command that runs (or one verb of a command). */
export interface Action {
  /** One line, for the command (or verb) list. */
  readonly summary: string
  /** What follows the command's name on its usage line; by default the required options, then [options]. */
  readonly synopsis?: string
  /** What it does, as it reads in --help (lines of at most 100 columns). */
  readonly description: string
  /** The options it takes (--json, -q/--quiet and --help are always taken: EVERYWHERE_OPTIONS). */
  readonly options: readonly OptionName[]
  /** Options that must be given: checked before `run`, marked in --help. */
  readonly required?: readonly StringName[]
  /** After "Exit status:" in --help. */
  readonly exitStatus?: string
  /** The exit status; throw (UsageError or a library error) to fail: the base prints it. */
  run(cx: RunContext): Promise<number>
}

/** A command made of verbs: `xapi-ovn <name> <verb> [options]`. */
export interface VerbGroup {
  readonly summary: string
  readonly description: string
  readonly verbs: Readonly<Record<string, Action>>
  readonly exitStatus?: string
  /**
   * The verb run when the first word is an option (or there is none): `xapi-ovn agent --url ...`
   * runs the agent, `xapi-ovn agent status` asks a running one. Its label is the command's name.
   */
  readonly defaultVerb?: string
}

const DEFAULT_EXIT_STATUS = '0 done, 1 refused or failed (the error code is printed), 2 usage error'

/** The words that ask for help where a command or a verb is expected. */
export function isHelpWord(word: string): boolean {
  return word === '--help' || word === '-h' || word === 'help'
}

function synopsis(label: string, action: Action): string {
  const line = action.synopsis ?? [...(action.required ?? []).map(optionSynopsis), '[options]'].join(' ')
  return `xapi-ovn ${label} ${line}`
}

/** Every command and verb takes these: the JSON envelope, no progress, its help. */
export const EVERYWHERE_OPTIONS: readonly OptionName[] = ['json', 'quiet', 'help']

/** Whoever takes --nb takes what an ssl: northbound needs (-p, -c, -C, as ovn-nbctl). */
export const NB_SSL_OPTIONS: readonly OptionName[] = ['private-key', 'certificate', 'ca-cert']

function optionNames(action: Action): OptionName[] {
  const ssl = action.options.includes('nb') ? NB_SSL_OPTIONS : []
  return [...new Set([...action.options, ...ssl, ...EVERYWHERE_OPTIONS])]
}

function actionHelp(label: string, action: Action): string {
  return [
    `usage: ${synopsis(label, action)}`,
    '',
    action.description,
    '',
    optionsHelp(optionNames(action), action.required),
    '',
    `Exit status: ${action.exitStatus ?? DEFAULT_EXIT_STATUS}.`,
  ].join('\n')
}

function list(entries: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...entries.map(([name]) => name.length))
  return entries.map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`)
}

/** Parse, answer --help, check required options, run; whatever is thrown goes to the printer. */
async function runAction(label: string, action: Action, argv: readonly string[], io: CommandIo): Promise<number> {
  // --json is honoured before parsing: a command line that does not parse is answered in JSON too.
  const text = new Output(io, label, [passwordInArgv(argv), io.env.XAPI_PASSWORD], { json: jsonAsked(argv) })
  let out = text
  try {
    const values = parseOptions(argv, optionNames(action))
    if (flag(values, 'help')) return text.help(actionHelp(label, action))
    out = text.withMode({ json: flag(values, 'json'), quiet: flag(values, 'quiet') })
    for (const name of action.required ?? []) requiredString(values, name)
    return await action.run({ values, io, out })
  } catch (err) {
    return out.failure(err)
  }
}

export class Command {
  readonly name: string
  readonly #body: Action | VerbGroup

  constructor(name: string, body: Action | VerbGroup) {
    this.name = name
    this.#body = body
  }

  get summary(): string {
    return this.#body.summary
  }

  /** The verb run when no verb is named, if any. */
  get defaultVerb(): string | undefined {
    return 'verbs' in this.#body ? this.#body.defaultVerb : undefined
  }

  /** Its verbs, by name; none for a plain command. */
  get verbs(): Readonly<Record<string, Action>> {
    return 'verbs' in this.#body ? this.#body.verbs : {}
  }

  /** Every option it takes (any of its verbs), each once. */
  get options(): readonly OptionName[] {
    const body = this.#body
    const names = 'verbs' in body ? Object.values(body.verbs).flatMap(optionNames) : optionNames(body)
    return [...new Set(names)]
  }

  /** Its --help: for a command with verbs, every verb's usage line and every option of any verb. */
  help(): string {
    const body = this.#body
    if (!('verbs' in body)) return actionHelp(this.name, body)
    const verbs = Object.entries(body.verbs)
    return [
      ...verbs.map(
        ([verb, action], i) => `${i === 0 ? 'usage:' : '   or:'} ${synopsis(`${this.name} ${verb}`, action)}`,
      ),
      '',
      body.description,
      '',
      'Verbs:',
      ...list(verbs.map(([verb, action]) => [verb, action.summary])),
      '',
      optionsHelp(this.options),
      '',
      `Run 'xapi-ovn ${this.name} <verb> --help' for the options of one verb.`,
      `Exit status: ${body.exitStatus ?? DEFAULT_EXIT_STATUS}.`,
    ].join('\n')
  }

  /** Run with the words after the command's name; resolves to the exit status. */
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const body = this.#body
    if (!('verbs' in body)) return runAction(this.name, body, argv, io)
    const out = new Output(io, this.name, [passwordInArgv(argv), io.env.XAPI_PASSWORD], { json: jsonAsked(argv) })
    const [verb, ...rest] = argv
    if (verb !== undefined && isHelpWord(verb)) return out.help(this.help())
    const fallback = body.defaultVerb === undefined ? undefined : body.verbs[body.defaultVerb]
    if ((verb === undefined || verb.startsWith('-')) && fallback !== undefined)
      return runAction(this.name, fallback, argv, io)
    if (verb === undefined || verb.startsWith('-'))
      return out.failure(new UsageError(`a verb comes first: ${Object.keys(body.verbs).join(', ')}`, this.help()))
    // A two-word verb (`sg rule add`) is one entry of `verbs`, named with its space.
    const pair = rest[0] === undefined ? undefined : `${verb} ${rest[0]}`
    const paired = pair !== undefined && Object.hasOwn(body.verbs, pair) ? body.verbs[pair] : undefined
    if (pair !== undefined && paired !== undefined) return runAction(`${this.name} ${pair}`, paired, rest.slice(1), io)
    const action = Object.hasOwn(body.verbs, verb) ? body.verbs[verb] : undefined
    if (action === undefined) return out.failure(new UsageError(`unknown verb ${JSON.stringify(verb)}`, this.help()))
    return runAction(`${this.name} ${verb}`, action, rest, io)
  }
}

/** The command list of a usage text: name and summary, aligned. */
export function commandList(commands: readonly Command[]): string[] {
  return list(commands.map((c) => [c.name, c.summary]))
}
