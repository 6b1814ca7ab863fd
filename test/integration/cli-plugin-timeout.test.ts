/**
 * A host plugin that does not answer within the pool client's plugin timeout: the call fails with
 * OVN_TIMEOUT, and once the command closes its pool the process exits by itself (its session
 * logged out), while the plugin is still running on the host. Before lib/pool/connection.ts closed xen-api's HTTP dispatcher,
 * the abandoned request kept its socket (and so the process) alive for the whole HTTP inactivity
 * timeout (plugin timeout + 660 s: 963 s in one user's run).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
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

test('after a plugin timeout the client process exits on its own while the plugin still runs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xapi-ovn-plugin-timeout-'))
  const pidFile = join(dir, 'plugin.pid')
  const pool = await createEmulatedPool({ hosts: memoryHosts(1), password: PASSWORD })
  const host = pool.hosts[0]?.ref ?? assert.fail('no host')
  await pool.emulator.writePlugin(host, 'silent', `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep ${PLUGIN_SLEEP_S}\n`)
  t.after(async () => {
    // The plugin first (the emulator waits for it), then the pool, then the directory.
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim())
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

  const child = spawn(process.execPath, [CHILD, pool.url, PASSWORD, host, 'silent', '1000'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<'alive'>((resolve) => {
    timer = setTimeout(() => resolve('alive'), EXIT_DEADLINE_MS)
  })
  const outcome = await Promise.race([exited, deadline])
  clearTimeout(timer)
  if (outcome === 'alive') child.kill('SIGKILL')
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
  const pid = Number((await readFile(pidFile, 'utf8')).trim())
  assert.doesNotThrow(() => process.kill(pid, 0), 'the plugin is still running')
})

test('the xapi-ovn command itself: status with --plugin-timeout 1 on a plugin that never answers exits on its own', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xapi-ovn-plugin-timeout-'))
  const pidFile = join(dir, 'plugin.pid')
  const pool = await createEmulatedPool({ hosts: memoryHosts(1), password: PASSWORD })
  const host = pool.hosts[0]?.ref ?? assert.fail('no host')
  await pool.emulator.writePlugin(
    host,
    'ovn-chassis',
    `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep ${PLUGIN_SLEEP_S}\n`,
  )
  t.after(async () => {
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim())
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
  const child = spawn(
    process.execPath,
    [CLI, 'status', '--url', pool.url, '--protocol', 'json-rpc', '--plugin-timeout', '1', '--json'],
    { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', XAPI_PASSWORD: PASSWORD }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stdout = ''
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<'alive'>((resolve) => {
    timer = setTimeout(() => resolve('alive'), EXIT_DEADLINE_MS)
  })
  const outcome = await Promise.race([exited, deadline])
  clearTimeout(timer)
  if (outcome === 'alive') child.kill('SIGKILL')
  assert.equal(outcome, 1, `exit 1 (the host failed), not still alive ${EXIT_DEADLINE_MS / 1000}s later:\n${stdout}`)
  const envelope = JSON.parse(stdout) as { ok: boolean; result: { hosts: { ok: boolean; error?: { code: string } }[] } }
  assert.equal(envelope.result.hosts[0]?.error?.code, 'OVN_TIMEOUT')
  const pid = Number((await readFile(pidFile, 'utf8')).trim())
  assert.doesNotThrow(() => process.kill(pid, 0), 'the plugin is still running')
})
