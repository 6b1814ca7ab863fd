/**
 * The `xapi-ovn` command table run in-process against a lab (runProgram, as bin/main does, with
 * an environment instead of flags: XAPI_URL / XAPI_PASSWORD / OVN_NB_DB, and OVN_SB_DB when
 * asked), for the end-to-end tests on an OverlayLab: its output captured, no terminal, no files.
 */
import assert from 'node:assert/strict'
import type { OverlayLab } from '../../lab/overlay-lab.js'
import type { CommandIo } from '../../lib/cli/output.js'
import { runProgram } from '../../lib/cli/program.js'

export interface Ran {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Run `argv` with the lab's connection variables (and `env` on top). */
export async function labCli(lab: OverlayLab, argv: readonly string[], env: Record<string, string> = {}): Promise<Ran> {
  let stdout = ''
  let stderr = ''
  const io: CommandIo = {
    env: { XAPI_URL: lab.xapi.url, XAPI_PASSWORD: lab.password, OVN_NB_DB: lab.nbRemotes.join(','), ...env },
    interactive: false,
    promptPassword: () => Promise.reject(new Error('no terminal')),
    readFile: () => Promise.reject(new Error('no files here')),
    readDir: () => Promise.reject(new Error('no files here')),
    writeFile: () => Promise.reject(new Error('no files here')),
    stdout: (t) => {
      stdout += t
    },
    stderr: (t) => {
      stderr += t
    },
  }
  const code = await runProgram(argv, io)
  return { code, stdout, stderr }
}

/**
 * The result out of the one JSON envelope of every command (README "JSON output"): apiVersion 1,
 * ok with exit 0, and the command's full path.
 */
export function envelopeResult<T>(r: Ran, command: string): T {
  const e = JSON.parse(r.stdout) as { apiVersion: number; ok: boolean; command: string; result: T }
  assert.deepEqual([e.apiVersion, e.ok, e.command], [1, r.code === 0, command])
  assert.deepEqual(Object.keys(e).sort(), ['apiVersion', 'command', 'ok', 'result'])
  return e.result
}

/** Run `argv` and insist on exit 0 (the output in the message when not). */
export async function labCliOk(lab: OverlayLab, argv: readonly string[]): Promise<Ran> {
  const r = await labCli(lab, argv)
  assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}${r.stdout}`)
  return r
}
