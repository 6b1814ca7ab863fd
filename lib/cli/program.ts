/**
 * The xapi-ovn command line without its process: pick the subcommand from the table, parse its
 * options, run it, map every outcome to an exit status (0 all good, 1 something failed, 2 usage).
 * To add subcommands, add entries to COMMANDS (each a `Command`, see commands.ts).
 */
import { UsageError } from './args.js'
import { poolCommands, type Command } from './commands.js'
import { isCommandGroup, nbCommands, runCommandGroup } from './nb-commands.js'
import { Output, type CommandIo } from './output.js'
import { runCommand } from './run-command.js'
import { passwordInArgv } from './secrets.js'

export const COMMANDS: Readonly<Record<string, Command>> = {
  ...poolCommands,
  ...nbCommands,
}

export function generalUsage(commands: Readonly<Record<string, Command>> = COMMANDS): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length))
  const list = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  return [
    'usage: xapi-ovn <command> [options]',
    '',
    'Run OVN on an XCP-ng / XenServer pool, on an XAPI-owned bridge.',
    '',
    'Commands:',
    ...list,
    '',
    "Run 'xapi-ovn <command> --help' for a command's options.",
    'Exit status: 0 all good, 1 some host (or the pool) failed, 2 usage error.',
  ].join('\n')
}

export async function runProgram(
  argv: readonly string[],
  io: CommandIo,
  commands: Readonly<Record<string, Command>> = COMMANDS,
): Promise<number> {
  const out = new Output(io, '', [passwordInArgv(argv), io.env.XAPI_PASSWORD])
  const usage = generalUsage(commands)
  const unknown = (topic: string): number =>
    out.failure(new UsageError(`unknown command ${JSON.stringify(topic)}`, usage))
  const [name, ...rest] = argv
  if (name === undefined) return out.failure(new UsageError('', usage))
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined
    if (topic === undefined) return out.help(usage)
    const command = Object.hasOwn(commands, topic) ? commands[topic] : undefined
    return command === undefined ? unknown(topic) : out.help(command.usage)
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined
  if (command === undefined) return unknown(name)
  if (isCommandGroup(command)) return runCommandGroup(name, command, rest, io)
  return runCommand(name, command, rest, io)
}
