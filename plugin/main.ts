/**
 * Entry of dist/ovn-chassis, the XAPI host plugin (installed as /etc/xapi.d/plugins/ovn-chassis).
 * xapi runs it with the XML-RPC request as argv[1], only PATH in the environment and nothing on
 * stdin, and reads ONE methodResponse from stdout. So: stdout carries exactly the reply, written
 * once; anything else that tries to write there (a stray console.log) goes to the log instead;
 * the exit code is always 0, as with XenAPIPlugin.py, because a non-zero exit would hide our
 * error code behind XENAPI_PLUGIN_FAILURE.
 */
import { writeSync } from 'node:fs'
import { Writable } from 'node:stream'
import { contextFromEnv } from './context.js'
import type { PluginFunction } from './context.js'
import { silentLogger, type Logger } from '../lib/log.js'
import { LAST_RESORT_RESPONSE, failureResponse, runPlugin } from './protocol.js'
import { truncate } from '../lib/errors.js'
import { functions } from './functions/index.js'
import { errnoOf, errorStackText, errorText } from '../lib/error-text.js'
import { codeCacheState } from './code-cache-state.js'

let replied = false
let log: Logger = silentLogger

/**
 * Write the reply (first call only) straight to fd 1, then exit 0. Not through process.stdout:
 * making that stream (a net.Socket over the pipe from forkexecd) is work on every call that
 * nothing here needs (with the unawaited close in functions/local-db.ts, ~1 ms of a configure on
 * Node 16, bench/plugin.ts). fd 1 is the pipe as xapi handed it over, blocking; should it be
 * non-blocking and full (EAGAIN), the rest goes through the real stream, and the process exits
 * once that is flushed. Any other error (EPIPE: xapi stopped reading) leaves nothing to do but
 * exit.
 */
function reply(text: string): void {
  if (replied) return
  replied = true
  process.exitCode = 0
  const bytes = Buffer.from(text, 'utf8')
  let off = 0
  try {
    while (off < bytes.length) off += writeSync(1, bytes, off, bytes.length - off)
  } catch (err) {
    if (errnoOf(err) === 'EAGAIN') {
      realStdout().write(bytes.subarray(off), () => process.exit(0))
      return
    }
  }
  process.exit(0)
}

/** Node's own process.stdout getter, kept before guardProcess replaces it. */
const stdoutProperty = Object.getOwnPropertyDescriptor(process, 'stdout')

function realStdout(): Writable {
  const stream: unknown = stdoutProperty?.get?.call(process)
  if (!(stream instanceof Writable)) throw new Error('process.stdout is not a stream')
  return stream
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
  // Everything but the reply is diverted to the log: process.stdout (console.log writes through
  // it too) becomes a stream made on first use whose every write is a log line.
  let diverted: Writable | undefined
  Object.defineProperty(process, 'stdout', {
    configurable: true,
    enumerable: true,
    get: () =>
      (diverted ??= new Writable({
        decodeStrings: false,
        write(chunk: unknown, _encoding, done) {
          log.warn('diverted a write to stdout', { text: truncate(typeof chunk === 'string' ? chunk : String(chunk)) })
          done()
        },
      })),
  })
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
