/**
 * `show --format svg`: the DOT of render-dot.ts piped through Graphviz's `dot -Tsvg` in a child
 * process. Its exit status is checked (a failure is OVN_GRAPHVIZ_FAILED with its stderr), a
 * missing `dot` is OVN_GRAPHVIZ_MISSING; node:child_process is loaded only here, on use.
 */
import { errnoOf } from '../error-text.js'
import { GraphvizFailedError, GraphvizMissingError } from './errors.js'

export const DOT_COMMAND = 'dot'
/** Graphviz lays out a pool of hundreds of ports in well under this; a hung dot is killed. */
const DOT_TIMEOUT_MS = 60_000

/** DOT text -> SVG text, through `command -Tsvg` (default `dot` on PATH). */
export async function renderSvg(dot: string, command: string = DOT_COMMAND): Promise<string> {
  const { spawn } = await import('node:child_process')
  return new Promise<string>((resolve, reject) => {
    const child = spawn(command, ['-Tsvg'], { stdio: ['pipe', 'pipe', 'pipe'], timeout: DOT_TIMEOUT_MS })
    const out: Buffer[] = []
    const err: Buffer[] = []
    let failed = false
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', (e) => {
      failed = true
      reject(
        errnoOf(e) === 'ENOENT'
          ? new GraphvizMissingError(command)
          : new GraphvizFailedError(command, 'spawn', String(e)),
      )
    })
    // A dot that dies early closes its stdin: EPIPE here, the exit status below says why.
    child.stdin.on('error', () => undefined)
    child.on('close', (code, signal) => {
      if (failed) return
      const stderr = Buffer.concat(err).toString('utf8').trim()
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'))
      else
        reject(
          new GraphvizFailedError(
            command,
            signal === null ? `exit status ${String(code)}` : `signal ${signal}`,
            stderr,
          ),
        )
    })
    child.stdin.end(dot, 'utf8')
  })
}
