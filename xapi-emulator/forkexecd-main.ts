/**
 * The emulator's forkexecd (./forkexecd.ts starts it): a small Node process that spawns each argv
 * it is sent over IPC (PATH only, no stdin, as forkexecd runs xapi's commands) and sends back its
 * exit and output. It loads nothing else, so each fork here copies a small process; it exits when
 * the emulator's process goes (its IPC channel closes).
 */
import { spawn } from 'node:child_process'
import { errorText } from '../lib/error-text.js'
import { isRecord, isStringArray } from '../lib/shape.js'

/** Forkhelpers' default PATH (plugin-runner.ts `PLUGIN_PATH`; not imported: this process loads nothing else). */
const PATH = '/sbin:/usr/sbin:/bin:/usr/bin'

function reply(message: unknown): void {
  if (process.connected) process.send?.(message)
}

function run(id: number, argv: readonly string[]): void {
  let child: ReturnType<typeof spawn>
  try {
    child = spawn(argv[0] ?? '', argv.slice(1), { env: { PATH }, stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (err) {
    reply({ id, error: errorText(err) })
    return
  }
  const out: Buffer[] = []
  const err: Buffer[] = []
  child.stdout?.on('data', (b: Buffer) => out.push(b))
  child.stderr?.on('data', (b: Buffer) => err.push(b))
  child.on('error', (e) => reply({ id, error: e.message }))
  child.on('close', (status, signal) =>
    reply({
      id,
      status,
      signal,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
    }),
  )
}

process.on('message', (m: unknown) => {
  if (isRecord(m) && typeof m.id === 'number' && isStringArray(m.argv)) run(m.id, m.argv)
})
process.on('disconnect', () => process.exit(0))
