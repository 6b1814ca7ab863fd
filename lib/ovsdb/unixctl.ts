/**
 * The OVS/OVN daemons' control socket (what `ovs-appctl -t TARGET COMMAND ARGS...` talks to):
 * one JSON-RPC 1.0 request `{"method": COMMAND, "params": [ARGS...], "id": N}` on a unix socket,
 * one reply `{"id": N, "result": TEXT, "error": null}` or `{"id": N, "result": null, "error": TEXT}`,
 * framed like OVSDB (json-stream.ts). One connection per call.
 *
 * A daemon's socket is `<rundir>/<name>.<pid>.ctl`, the pid read from `<rundir>/<name>.pid`
 * (`findUnixctlSocket`). Errors: UnixctlUnavailableError (OVN_UNIXCTL_UNAVAILABLE) when the
 * socket cannot be found, reached, or answers nonsense; UnixctlError (OVN_UNIXCTL_ERROR) when the
 * daemon answers with an error.
 */
import net from 'node:net'
import { access, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { UnixctlError, UnixctlUnavailableError } from './errors.js'
import { JsonStreamDecoder, encodeMessage } from './json-stream.js'
import { isRecord } from '../shape.js'
import { errorText } from '../error-text.js'

export interface UnixctlOptions {
  /** Give up after this many ms, connect included (default 10000). */
  readonly timeoutMs?: number
  /** Largest accepted reply (default 16 MiB). */
  readonly maxMessageBytes?: number
}

let nextId = 0

/** Run one unixctl command and return its text output. */
export function unixctlCall(
  socketPath: string,
  command: string,
  args: readonly string[] = [],
  options: UnixctlOptions = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const decoder = new JsonStreamDecoder({ maxMessageBytes: options.maxMessageBytes ?? 16 * 1024 * 1024 })
  const id = nextId++
  return new Promise<string>((resolve, reject) => {
    if (typeof command !== 'string' || command === '' || !args.every((a) => typeof a === 'string')) {
      reject(new UnixctlError(String(command), 'command must be a non-empty string and args strings'))
      return
    }
    let settled = false
    const socket = net.createConnection({ path: socketPath })
    const done = (err: Error | undefined, value?: string): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      if (err) reject(err)
      else resolve(value as string)
    }
    const timer = setTimeout(
      () => done(new UnixctlUnavailableError(socketPath, `no reply to ${command} within ${timeoutMs} ms`)),
      timeoutMs,
    )
    socket.on('connect', () => {
      socket.write(encodeMessage({ method: command, params: [...args], id }))
    })
    socket.on('data', (chunk: Buffer) => {
      let messages: unknown[]
      try {
        messages = decoder.push(chunk)
      } catch (err) {
        done(new UnixctlUnavailableError(socketPath, errorText(err), { cause: err }))
        return
      }
      for (const m of messages) {
        if (!isRecord(m)) {
          done(new UnixctlUnavailableError(socketPath, 'reply is not a JSON object'))
          return
        }
        const msg = m
        if (msg.id !== id) continue
        if (msg.error !== null && msg.error !== undefined) {
          done(new UnixctlError(command, typeof msg.error === 'string' ? msg.error : JSON.stringify(msg.error)))
        } else if (typeof msg.result === 'string') {
          done(undefined, msg.result)
        } else if (msg.result === null || msg.result === undefined) {
          done(undefined, '')
        } else {
          // Newer daemons can answer in JSON (ovs-appctl --format json); hand it back as text.
          done(undefined, JSON.stringify(msg.result))
        }
        return
      }
    })
    socket.on('error', (err) => done(new UnixctlUnavailableError(socketPath, err.message, { cause: err })))
    socket.on('close', () => done(new UnixctlUnavailableError(socketPath, 'connection closed before a reply')))
  })
}

/**
 * The control socket of daemon `name` (e.g. "ovsdb-server", "ovn-controller") in `rundir`:
 * `<rundir>/<name>.<pid>.ctl`, pid from `<rundir>/<name>.pid`. Throws UnixctlUnavailableError.
 */
export async function findUnixctlSocket(rundir: string, name: string): Promise<string> {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.'))
    throw new UnixctlUnavailableError(join(rundir, `${name}.pid`), 'invalid daemon name')
  const pidFile = join(rundir, `${name}.pid`)
  let text: string
  try {
    text = await readFile(pidFile, 'utf8')
  } catch (err) {
    throw new UnixctlUnavailableError(pidFile, `cannot read pid file: ${errorText(err)}`, { cause: err })
  }
  const pid = text.trim()
  if (!/^[1-9][0-9]{0,9}$/.test(pid))
    throw new UnixctlUnavailableError(pidFile, `pid file does not hold a pid: ${JSON.stringify(text.slice(0, 40))}`)
  const socketPath = join(rundir, `${name}.${pid}.ctl`)
  try {
    await access(socketPath)
  } catch (err) {
    throw new UnixctlUnavailableError(socketPath, `no control socket (is ${name} running?): ${errorText(err)}`, {
      cause: err,
    })
  }
  return socketPath
}
