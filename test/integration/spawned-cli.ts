/**
 * The built `xapi-ovn` (.build/lib/cli/main.js) as a user's shell runs it: spawned with only
 * PATH and the variables given, its output and exit status collected; and the one JSON envelope
 * of `--json` (README "JSON output") checked against the exit status and the command path.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lib', 'cli', 'main.js')

export interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface Envelope {
  readonly apiVersion: number
  readonly ok: boolean
  readonly command: string | null
  readonly result?: unknown
  readonly error?: { readonly code: string; readonly params: readonly string[]; readonly message: string }
}

export function spawnCli(argv: readonly string[], env: Record<string, string>): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...argv], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** A `--json` run's envelope: exit `exit`, nothing on stderr, apiVersion 1, `command`, result or error. */
export function checkedEnvelope(r: Ran, argv: readonly string[], command: string, exit: number): Envelope {
  assert.equal(r.code, exit, `${argv.join(' ')}: ${r.stdout}${r.stderr}`)
  assert.equal(r.stderr, '')
  const e = JSON.parse(r.stdout) as Envelope
  assert.equal(e.apiVersion, 1)
  assert.equal(e.command, command)
  assert.equal(e.ok, exit === 0)
  assert.deepEqual(Object.keys(e).sort(), ['apiVersion', 'command', 'ok', exit === 0 ? 'result' : 'error'].sort())
  return e
}
