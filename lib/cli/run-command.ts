/**
 * Run one command with its argv: parse its options, answer --help, run it; whatever it throws
 * goes to the one printer (output.ts), which says the exit status. Shared by plain commands and
 * verb groups.
 */
import { flag, parseCommandArgs } from './args.js'
import type { Command } from './commands.js'
import { Output, type CommandIo } from './output.js'
import { passwordInArgv } from './secrets.js'

/** `label` names the command in messages: "setup", or "port attach". */
export async function runCommand(
  label: string,
  command: Command,
  argv: readonly string[],
  io: CommandIo,
): Promise<number> {
  const text = new Output(io, label, [passwordInArgv(argv), io.env.XAPI_PASSWORD])
  let out = text
  try {
    const values = parseCommandArgs(argv, command.options)
    if (flag(values, 'help')) return text.help(command.usage)
    out = text.withMode({ json: flag(values, 'json'), quiet: flag(values, 'quiet') })
    return await command.run({ values, io, out })
  } catch (err) {
    return out.failure(err)
  }
}
