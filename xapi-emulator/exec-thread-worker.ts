/**
 * The worker side of ./exec-thread.ts: spawn each argv it is sent (PATH only, no stdin, as
 * forkexecd runs xapi's commands) and post back its exit and output. Node's spawn forks and waits
 * for the child's exec on the calling thread, so this thread blocks for it, not the emulator's.
 */
import { spawn } from 'node:child_process'
import { parentPort } from 'node:worker_threads'
import { errorText } from '../lib/error-text.js'
import { isRecord, isStringArray } from '../lib/shape.js'

/** Forkhelpers' default PATH (plugin-runner.ts `PLUGIN_PATH`; not imported: this thread loads nothing else). */
const PATH = '/sbin:/usr/sbin:/bin:/usr/bin'

function run(id: number, argv: readonly string[]): void {
  const port = parentPort
  if (port === null) return
  let child: ReturnType<typeof spawn>
  try {
    child = spawn(argv[0] ?? '', argv.slice(1), { env: { PATH }, stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (err) {
    port.postMessage({ id, error: errorText(err) })
    return
  }
  const out: Buffer[] = []
  const err: Buffer[] = []
  child.stdout?.on('data', (b: Buffer) => out.push(b))
  child.stderr?.on('data', (b: Buffer) => err.push(b))
  child.on('error', (e) => port.postMessage({ id, error: e.message }))
  child.on('close', (status, signal) =>
    port.postMessage({
      id,
      status,
      signal,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
    }),
  )
}

parentPort?.on('message', (m: unknown) => {
  if (isRecord(m) && typeof m.id === 'number' && isStringArray(m.argv)) run(m.id, m.argv)
})
