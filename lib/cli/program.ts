/**
 * The xapi-ovn command line without its process (main.ts wires it to one): the command table, the
 * general usage, and the one dispatcher, which picks the command by its name and hands it the
 * rest of argv. Each command is one file of commands/ on the base of command.ts.
 */
import { type Command, commandList, isHelpWord } from './command.js'
import { agentCommand } from './commands/agent.js'
import { doctorCommand } from './commands/doctor.js'
import { fipCommand } from './commands/fip.js'
import { localnetCommand } from './commands/localnet.js'
import { portCommand } from './commands/port.js'
import { repairCommand } from './commands/repair.js'
import { routerCommand } from './commands/router.js'
import { serviceCommand } from './commands/service.js'
import { setupCommand } from './commands/setup.js'
import { sgCommand } from './commands/sg.js'
import { showCommand } from './commands/show.js'
import { sslCommand } from './commands/ssl.js'
import { statusCommand } from './commands/status.js'
import { switchCommand } from './commands/switch.js'
import { teardownCommand } from './commands/teardown.js'
import { verifyCommand } from './commands/verify.js'
import { UsageError } from './options.js'
import { EXIT_OK, jsonAsked, Output, type CommandIo } from './output.js'
import { passwordInArgv } from './secrets.js'
import { packageVersion } from './version.js'

export const COMMANDS: readonly Command[] = [
  setupCommand,
  verifyCommand,
  statusCommand,
  serviceCommand,
  repairCommand,
  showCommand,
  doctorCommand,
  teardownCommand,
  switchCommand,
  portCommand,
  routerCommand,
  fipCommand,
  localnetCommand,
  sgCommand,
  sslCommand,
  agentCommand,
]

export function generalUsage(commands: readonly Command[] = COMMANDS): string {
  return [
    'usage: xapi-ovn <command> [options]',
    '',
    'Run OVN on an XCP-ng / XenServer pool, on an XAPI-owned bridge.',
    '',
    'Commands:',
    ...commandList(commands),
    '',
    "Run 'xapi-ovn <command> --help' for a command's options; 'xapi-ovn --version' for the version.",
    'Exit status: 0 all good, 1 some host (or the pool) failed, 2 usage error.',
  ].join('\n')
}

/** `xapi-ovn --version [--json]`: the installed package's version. */
function showVersion(out: Output): number {
  try {
    const v = packageVersion()
    out.result(v, () => v.version)
    return EXIT_OK
  } catch (err) {
    return out.failure(err)
  }
}

/** `xapi-ovn <command> ...`, `xapi-ovn --help`, `xapi-ovn help <command>`: the exit status. */
export async function runProgram(
  argv: readonly string[],
  io: CommandIo,
  commands: readonly Command[] = COMMANDS,
): Promise<number> {
  const out = new Output(io, '', [passwordInArgv(argv), io.env.XAPI_PASSWORD], { json: jsonAsked(argv) })
  const usage = generalUsage(commands)
  const find = (name: string): Command | undefined => commands.find((c) => c.name === name)
  const unknown = (name: string): number =>
    out.failure(new UsageError(`unknown command ${JSON.stringify(name)}`, usage))
  const [name, ...rest] = argv
  const isVersion = (w: string): boolean => w === '--version' || w === '-V'
  if (argv.some(isVersion) && argv.every((w) => isVersion(w) || w === '--json')) return showVersion(out)
  if (name === undefined || name === '--json') return out.failure(new UsageError('no command given', usage))
  if (isHelpWord(name)) {
    const topic = name === 'help' ? rest[0] : undefined
    if (topic === undefined) return out.help(usage)
    const command = find(topic)
    return command === undefined ? unknown(topic) : out.help(command.help())
  }
  const command = find(name)
  return command === undefined ? unknown(name) : command.run(rest, io)
}
