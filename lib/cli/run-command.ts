/**
 * Run one command with its argv: parse its options, answer --help, and map every outcome to an
 * exit status (usage errors 2 with a pointer to --help, an aborted prompt 1, a crash 1), never
 * letting a password through to the terminal. Shared by plain commands and verb groups.
 */
import { parseCommandArgs, passwordInArgv, redact, UsageError } from './args.js'
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type Command, type CommandIo } from './commands.js'
import { PromptAborted } from './prompt.js'

/** `label` names the command in messages: "setup", or "port attach". */
export async function runCommand(
  label: string,
  command: Command,
  argv: readonly string[],
  io: CommandIo,
): Promise<number> {
  const secrets = [passwordInArgv(argv), io.env.XAPI_PASSWORD]
  try {
    const values = parseCommandArgs(argv, command.options)
    if (values.help === true) {
      io.stdout(`${command.usage}\n`)
      return EXIT_OK
    }
    return await command.run(values, io)
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`xapi-ovn ${label}: ${redact(err.message, secrets)}\nRun 'xapi-ovn ${label} --help' for its options.\n`)
      return EXIT_USAGE
    }
    if (err instanceof PromptAborted) {
      io.stderr('xapi-ovn: aborted\n')
      return EXIT_FAILED
    }
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err)
    io.stderr(`xapi-ovn ${label}: internal error: ${redact(message, secrets)}\n`)
    return EXIT_FAILED
  }
}
