/**
 * The one line logger of every process we ship (the plugin, the host agent, `xapi-ovn agent`).
 * The plugin's log: one line per event appended to /var/log/xapi-ovn-plugin.log (or
 * $XAPI_OVN_PLUGIN_LOG), never stdout, because stdout is the XML-RPC reply. A log that cannot be
 * opened or written is dropped silently: logging must never change the answer.
 *
 *   2026-11-24T13:09:36.123Z pid=4242 fn=configure info call {"args":{"ssl-key":"<redacted>"}}
 *
 * The same logger writes JSON lines instead when asked (`format: 'json'`: the pool agent's
 * `--log-format json`, for a log collector), one object per line with the same facts:
 *
 *   {"time":"2026-11-24T13:09:36.123Z","level":"info","msg":"call","pid":4242,"fn":"configure","fields":{"args":{}}}
 */
import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs'
import { truncate } from './errors.js'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void
  info(message: string, data?: Record<string, unknown>): void
  warn(message: string, data?: Record<string, unknown>): void
  error(message: string, data?: Record<string, unknown>): void
  /** The same log, with `fn=<name>` on every line. */
  withFn(fn: string): Logger
}

export const DEFAULT_LOG_PATH = '/var/log/xapi-ovn-plugin.log'

/** Where the log goes: $XAPI_OVN_PLUGIN_LOG when set and non-empty, else the default. */
export function logPathFromEnv(env: Readonly<Record<string, string | undefined>>): string {
  const v = env.XAPI_OVN_PLUGIN_LOG
  return v !== undefined && v !== '' ? v : DEFAULT_LOG_PATH
}

/**
 * Argument names whose values never reach the log: every SSL argument whatever its name
 * (ovn-ssl-cert and ovn-ssl-ca-cert too: a private key pasted into the wrong one must not land
 * here, issue 9), and anything named like a key, password or secret.
 */
const SECRET_KEY = /ssl|cert|pem|csr|key|private|password|secret|passphrase|token/i
/** Values that are never logged whatever their argument's name: PEM blocks of any kind. */
const SECRET_VALUE = /-----BEGIN |PRIVATE KEY/

/** Copy of `args` fit for the log: secret values replaced by `<redacted>`, long values cut. */
export function redactArgs(args: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const key of Object.keys(args)) {
    const raw = String(args[key])
    const value = SECRET_KEY.test(key) || SECRET_VALUE.test(raw) ? '<redacted>' : truncate(raw)
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  }
  return out
}

/** How a line is written: `text` (above, the default) or `json` (one object per line). */
export type LogFormat = 'text' | 'json'
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json']

export function isLogFormat(v: unknown): v is LogFormat {
  return v === 'text' || v === 'json'
}

export interface LineLoggerOptions {
  pid?: number
  now?: () => Date
  /** Default `text`. */
  format?: LogFormat
}

/** `data` as JSON (bigints as strings); data JSON cannot carry becomes `{"unserialisable": ...}`. */
function dataJson(data: Record<string, unknown>): string {
  try {
    return JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? ''
  } catch (err) {
    return JSON.stringify({ unserialisable: String(err) })
  }
}

/** Format one log line (without its newline). Newlines inside the message are escaped. */
export function formatLine(
  time: Date,
  pid: number,
  fn: string,
  level: LogLevel,
  message: string,
  data?: Record<string, unknown>,
): string {
  let line = `${time.toISOString()} pid=${pid} fn=${fn} ${level} ${message.replace(/\r/g, '\\r').replace(/\n/g, '\\n')}`
  if (data !== undefined) line += ` ${dataJson(data)}`
  return line
}

/**
 * Format one JSON log line (without its newline): time, level, msg, pid, fn, and the data under
 * `fields` (absent without data), so a field can never overwrite one of the others. JSON escapes
 * every line feed, so an event is one line whatever its message holds.
 */
export function formatJsonLine(
  time: Date,
  pid: number,
  fn: string,
  level: LogLevel,
  message: string,
  data?: Record<string, unknown>,
): string {
  const head = JSON.stringify({ time: time.toISOString(), level, msg: message, pid, fn })
  const fields = data === undefined ? '' : dataJson(data)
  return fields === '' ? head : `${head.slice(0, -1)},"fields":${fields}}`
}

/** A logger that hands each formatted line to `sink`; a sink that throws is ignored. */
export function lineLogger(sink: (line: string) => void, options: LineLoggerOptions = {}, fn = '-'): Logger {
  const pid = options.pid ?? process.pid
  const now = options.now ?? (() => new Date())
  const format = options.format ?? 'text'
  const line = format === 'json' ? formatJsonLine : formatLine
  const emit = (level: LogLevel, message: string, data?: Record<string, unknown>): void => {
    try {
      sink(line(now(), pid, fn, level, message, data))
    } catch {
      // logging never changes the answer
    }
  }
  return {
    debug: (m, d) => emit('debug', m, d),
    info: (m, d) => emit('info', m, d),
    warn: (m, d) => emit('warn', m, d),
    error: (m, d) => emit('error', m, d),
    withFn: (name) => lineLogger(sink, { pid, now, format }, name),
  }
}

/**
 * Append-only file logger. The file is opened once (O_APPEND, created 0640); if it cannot be
 * opened, or is not a regular file, the logger silently drops everything.
 *
 * The open must never block: opening a FIFO for writing waits until something opens it for
 * reading (fifo(7)), and a plugin stuck there never answers xapi, which has no timeout for
 * plugins (docs/platform.md). So it is opened O_NONBLOCK (a FIFO without a reader then fails at
 * once with ENXIO) and anything but a regular file (a FIFO with a reader, a device, a socket) is
 * refused after fstat. There is no fallback: stdout is the reply and xapi discards stderr when we
 * exit 0, so the log lines of this call are skipped.
 */
export function openFileLogger(path: string, options: LineLoggerOptions = {}): Logger {
  let fd: number | undefined
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK, 0o640)
    if (!fstatSync(fd).isFile()) throw new Error('not a regular file')
  } catch {
    if (fd !== undefined) closeQuietly(fd)
    fd = undefined
  }
  const sink = (line: string): void => {
    if (fd !== undefined) writeSync(fd, `${line}\n`)
  }
  return lineLogger(sink, options)
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd)
  } catch {
    // nothing to do: the descriptor is not used again
  }
}

/** A logger that keeps its lines in memory: for tests of plugin functions. */
export function memoryLogger(options: LineLoggerOptions = {}): { log: Logger; lines: string[] } {
  const lines: string[] = []
  return { log: lineLogger((line) => lines.push(line), options), lines }
}

/** The same logger, except that a method that throws is ignored: logging never changes the answer. */
export function safeLogger(log: Logger): Logger {
  const guard =
    (method: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, data?: Record<string, unknown>): void => {
      try {
        log[method](message, data)
      } catch {
        // ignored
      }
    }
  return {
    debug: guard('debug'),
    info: guard('info'),
    warn: guard('warn'),
    error: guard('error'),
    withFn: (fn) => {
      try {
        return safeLogger(log.withFn(fn))
      } catch {
        return silentLogger
      }
    },
  }
}

/** A logger that drops everything. */
export const silentLogger: Logger = lineLogger(() => {})
