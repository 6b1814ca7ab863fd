/**
 * A host plugin that does not answer within the pool client's plugin timeout: the call fails with
 * OVN_TIMEOUT, and once the command closes its pool the process exits by itself (its session
 * logged out), while the plugin is still running on the host. Before lib/pool/connection.ts closed xen-api's HTTP dispatcher,
 * the abandoned request kept its socket (and so the process) alive for the whole HTTP inactivity
 * timeout (plugin timeout + 660 s: 963 s in one user's run).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createEmulatedPool } from '../../xapi-emulator/index.js'
import { memoryHosts, PASSWORD } from '../../xapi-emulator/testing.js'

const CHILD = new URL('./plugin-timeout-child.js', import.meta.url).pathname
const CLI = new URL('../../lib/cli/main.js', import.meta.url).pathname
/** How long the plugin sleeps: far beyond the child's plugin timeout and the exit deadline. */
const PLUGIN_SLEEP_S = 600
/** The child must have exited by then: generous, since this asserts behaviour, not speed. */
const EXIT_DEADLINE_MS = 60_000

interface SilentPool {
  readonly pool: Awaited<ReturnType<typeof createEmulatedPool>>
  readonly host: string
  /** The pid the plugin wrote once it started. */
  pluginPid(): Promise<number>
}

/** A one-host emulated pool whose plugin `name` starts and never answers; torn down after the test. */
async function silentPool(t: { after(fn: () => Promise<void>): void }, name: string): Promise<SilentPool> {
  const dir = await mkdtemp(join(tmpdir(), 'xapi-ovn-plugin-timeout-'))
  const pidFile = join(dir, 'plugin.pid')
  const pool = await createEmulatedPool({ hosts: memoryHosts(1), password: PASSWORD })
  const host = pool.hosts[0]?.ref ?? assert.fail('no host')
  await pool.emulator.writePlugin(host, name, `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep ${PLUGIN_SLEEP_S}\n`)
  const pluginPid = async (): Promise<number> => Number((await readFile(pidFile, 'utf8').catch(() => '')).trim())
  t.after(async () => {
    // The plugin first (the emulator waits for it), then the pool, then the directory.
    const pid = await pluginPid()
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    await pool.close()
    await rm(dir, { recursive: true, force: true })
  })
  return { pool, host, pluginPid }
}

/** The child's exit code, or 'alive' (then it is killed) if it has not exited by EXIT_DEADLINE_MS. */
async function exitWithinDeadline(child: ChildProcess): Promise<number | null | 'alive'> {
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<'alive'>((resolve) => {
    timer = setTimeout(() => resolve('alive'), EXIT_DEADLINE_MS)
  })
  const outcome = await Promise.race([exited, deadline])
  clearTimeout(timer)
  if (outcome === 'alive') child.kill('SIGKILL')
  return outcome
}

test('after a plugin timeout the client process exits on its own while the plugin still runs', async (t) => {
  const { pool, host, pluginPid } = await silentPool(t, 'silent')
  const child = spawn(process.execPath, [CHILD, pool.url, PASSWORD, host, 'silent', '1000'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
  const outcome = await exitWithinDeadline(child)
  assert.notEqual(
    outcome,
    'alive',
    `the process was still alive ${EXIT_DEADLINE_MS / 1000}s later:\n${stdout}${stderr}`,
  )
  assert.equal(outcome, 0, stderr)
  assert.deepEqual(JSON.parse(stdout), { code: 'OVN_TIMEOUT' })
  // It logged its session out before leaving.
  assert.ok(pool.server.calls.includes('session.logout'), pool.server.calls.join(' '))
  // The plugin had not answered: it is still running on the host.
  const pid = await pluginPid()
  assert.doesNotThrow(() => process.kill(pid, 0), 'the plugin is still running')
})

test('the xapi-ovn command itself: status with --plugin-timeout 1 on a plugin that never answers exits on its own', async (t) => {
  const { pool, pluginPid } = await silentPool(t, 'ovn-chassis')
  const child = spawn(
    process.execPath,
    [CLI, 'status', '--url', pool.url, '--protocol', 'json-rpc', '--plugin-timeout', '1', '--json'],
    { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', XAPI_PASSWORD: PASSWORD }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stdout = ''
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
  const outcome = await exitWithinDeadline(child)
  assert.equal(outcome, 1, `exit 1 (the host failed), not still alive ${EXIT_DEADLINE_MS / 1000}s later:\n${stdout}`)
  const envelope = JSON.parse(stdout) as { ok: boolean; result: { hosts: { ok: boolean; error?: { code: string } }[] } }
  assert.equal(envelope.result.hosts[0]?.error?.code, 'OVN_TIMEOUT')
  const pid = await pluginPid()
  assert.doesNotThrow(() => process.kill(pid, 0), 'the plugin is still running')
})
