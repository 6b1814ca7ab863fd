/**
 * Entry of dist/ovn-chassis, the XAPI host plugin (installed as /etc/xapi.d/plugins/ovn-chassis).
 * xapi runs it with the XML-RPC request as argv[1], only PATH in the environment and nothing on
 * stdin, and reads ONE methodResponse from stdout. So: stdout carries exactly the reply, written
 * once; anything else that tries to write there (a stray console.log) goes to the log instead;
 * the exit code is always 0, as with XenAPIPlugin.py, because a non-zero exit would hide our
 * error code behind XENAPI_PLUGIN_FAILURE.
 */
import { contextFromEnv } from './context.js'
import type { PluginFunction } from './context.js'
import { silentLogger, type Logger } from '../lib/log.js'
import { LAST_RESORT_RESPONSE, failureResponse, runPlugin } from './protocol.js'
import { truncate } from '../lib/errors.js'
import { functions } from './functions/index.js'
import { errorStackText, errorText } from '../lib/error-text.js'
import { codeCacheState } from './code-cache-state.js'

const writeStdout = process.stdout.write.bind(process.stdout) as (
  text: string,
  done: (err?: Error | null) => void,
) => boolean
let replied = false
let log: Logger = silentLogger

/** Write the reply (first call only), then exit 0 once it is flushed. */
function reply(text: string): void {
  if (replied) return
  replied = true
  process.exitCode = 0
  writeStdout(text, () => process.exit(0))
}

function crashReply(what: string, err: unknown): void {
  const message = errorText(err)
  log.error(what, { message, stack: err instanceof Error ? (err.stack ?? null) : null, replied })
  if (replied) return
  try {
    reply(failureResponse('OVN_INTERNAL', [truncate(message, 2048)]))
  } catch {
    reply(LAST_RESORT_RESPONSE)
  }
}

function guardProcess(): void {
  // Everything but the reply is diverted to the log (console.log writes through this too).
  process.stdout.write = ((chunk: unknown) => {
    log.warn('diverted a write to stdout', { text: truncate(typeof chunk === 'string' ? chunk : String(chunk)) })
    return true
  }) as typeof process.stdout.write
  process.on('uncaughtException', (err) => crashReply('uncaught exception', err))
  process.on('unhandledRejection', (err) => crashReply('unhandled rejection', err))
}

async function main(table: Readonly<Record<string, PluginFunction>>): Promise<void> {
  try {
    guardProcess()
    const ctx = contextFromEnv(process.env)
    log = ctx.log
    // Why this call compiled the plugin from its text (plugin/code-cache.ts), when it did.
    const cache = codeCacheState()
    if (cache !== undefined && cache !== 'used') log.info('code cache not used', { state: cache })
    reply(await runPlugin(process.argv.slice(1), table, ctx))
  } catch (err) {
    // runPlugin never rejects; this is a crash of the entry itself, the one case for stderr.
    try {
      process.stderr.write(`ovn-chassis: internal crash: ${errorStackText(err)}\n`)
    } finally {
      reply(LAST_RESORT_RESPONSE)
    }
  }
}

// The dispatch table (XAPI fn name -> function) is declared once, in plugin/functions/index.ts;
// test/integration/plugin-bundle-guards.test.ts bundles this entry with a table of its own there.
void main(functions)
