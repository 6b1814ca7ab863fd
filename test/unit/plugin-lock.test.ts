// The per-operation lock: a second concurrent call of the same operation is told OVN_BUSY.
import { describe, test, beforeEach, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { withLock, lockPath } from '../../plugin/lock.js'
import { memoryLogger } from '../../lib/log.js'
import { BusyError, XapiOvnError } from '../../lib/errors.js'
import type { PluginContext } from '../../plugin/context.js'

let dir: string
let ctx: PluginContext
let lines: string[]

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'xapi-ovn-lock-'))
  const m = memoryLogger()
  lines = m.lines
  ctx = {
    paths: {
      ovsRundir: dir,
      ovnRundir: dir,
      ovsDbRemote: `unix:${dir}/db.sock`,
      inventory: '/nonexistent',
      ovnEtcDir: dir,
      stateDir: dir,
      firewallPort: join(dir, 'firewall-port'),
    },
    log: m.log,
    now: () => new Date(),
    sleep: async () => {},
  }
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** Field 22 of /proc/<pid>/stat (proc(5)): when the process started, in clock ticks since boot. */
function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? ''
}

/** Spawn a process and wait until it has started (its first output), so /proc has it. */
async function started(args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`exited early with ${code}`)))
  })
  return child
}

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
  return Number(r.stdout)
}

function isBusy(name: string) {
  return (err: unknown) => err instanceof BusyError && err.code === 'OVN_BUSY' && err.params[0] === name
}

describe('withLock', () => {
  test('runs the function holding a lock file with our pid and start time, and removes it after', async () => {
    const path = lockPath(ctx, 'configure')
    assert.equal(path, join(dir, 'xapi-ovn-configure.lock'))
    const inside = await withLock(ctx, 'configure', async () => readFileSync(path, 'utf8'))
    assert.equal(inside, `${process.pid} ${startTime(process.pid)}\n`)
    assert.deepEqual(readdirSync(dir), [])
  })

  test('a second call while the first runs is BUSY, and runs nothing', async () => {
    let release!: () => void
    const first = withLock(
      ctx,
      'configure',
      () =>
        new Promise<string>((r) => {
          release = () => r('first done')
        }),
    )
    let secondRan = false
    await assert.rejects(
      withLock(ctx, 'configure', async () => {
        secondRan = true
      }),
      isBusy('configure'),
    )
    assert.equal(secondRan, false)
    release()
    assert.equal(await first, 'first done')
    assert.equal(
      await withLock(ctx, 'configure', async () => 'third runs once the first is done'),
      'third runs once the first is done',
    )
  })

  test('different operations do not block each other', async () => {
    const r = await withLock(ctx, 'configure', () => withLock(ctx, 'unconfigure', async () => 'both held'))
    assert.equal(r, 'both held')
  })

  test('the lock is released when the function throws', async () => {
    await assert.rejects(
      withLock(ctx, 'configure', async () => {
        throw new Error('boom')
      }),
      /boom/,
    )
    assert.equal(existsSync(lockPath(ctx, 'configure')), false)
  })

  test('a lock held by another live process is BUSY', async () => {
    const child = await started(['-e', 'process.stdout.write("up"); setTimeout(() => {}, 60000)'])
    const pid = child.pid ?? 0
    try {
      writeFileSync(lockPath(ctx, 'configure'), `${pid} ${startTime(pid)}\n`)
      await assert.rejects(
        withLock(ctx, 'configure', async () => 'ran'),
        isBusy('configure'),
      )
    } finally {
      child.kill()
    }
  })

  test('a lock left by a killed plugin whose pid now belongs to an unrelated live process is taken over', async () => {
    // A plugin run takes the lock and is killed while it holds it: its lock file stays.
    const lockModule = new URL('../../plugin/lock.js', import.meta.url).href
    const holder = await started([
      '--input-type=module',
      '-e',
      `const { withLock } = await import(${JSON.stringify(lockModule)})
       const log = { debug() {}, info() {}, warn() {}, error() {}, withFn() { return log } }
       const ctx = { paths: { ovsRundir: ${JSON.stringify(dir)} }, log, now: () => new Date(), sleep: async () => {} }
       await withLock(ctx, 'configure', () => { process.stdout.write('held'); return new Promise(() => {}) })`,
    ])
    const gone = new Promise((r) => holder.once('exit', r))
    holder.kill('SIGKILL')
    await gone
    const left = readFileSync(lockPath(ctx, 'configure'), 'utf8')
    assert.match(left, new RegExp(`^${holder.pid}[ \n]`))
    // The kernel gives that pid to another process: the same lock file, naming an unrelated live one.
    const unrelated = await started(['-e', 'process.stdout.write("up"); setTimeout(() => {}, 60000)'])
    try {
      writeFileSync(lockPath(ctx, 'configure'), left.replace(/^[0-9]+/, String(unrelated.pid)))
      assert.equal(await withLock(ctx, 'configure', async () => 'ran'), 'ran')
      assert.equal(unrelated.exitCode, null, 'the unrelated process is left alone')
      assert.ok(
        lines.some((l) => l.includes('took over a stale lock') && l.includes('"reusedPid":true')),
        lines.join('\n'),
      )
      assert.deepEqual(readdirSync(dir), [])
    } finally {
      unrelated.kill()
    }
  })

  test('a lock with only a pid (no start time) held by a live process is BUSY', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
    try {
      writeFileSync(lockPath(ctx, 'configure'), `${child.pid}\n`)
      await assert.rejects(
        withLock(ctx, 'configure', async () => 'ran'),
        isBusy('configure'),
      )
      assert.equal(readFileSync(lockPath(ctx, 'configure'), 'utf8'), `${child.pid}\n`, 'the live owner keeps its lock')
    } finally {
      child.kill()
    }
  })

  test('a stale lock whose process is dead is taken over', async () => {
    const pid = deadPid()
    writeFileSync(lockPath(ctx, 'configure'), `${pid}\n`)
    assert.equal(
      await withLock(ctx, 'configure', async () => readFileSync(lockPath(ctx, 'configure'), 'utf8')),
      `${process.pid} ${startTime(process.pid)}\n`,
    )
    assert.ok(
      lines.some((l) => l.includes('took over a stale lock') && l.includes(`"deadPid":${pid}`)),
      lines.join('\n'),
    )
    assert.deepEqual(readdirSync(dir), [])
  })

  test('a lock file with garbage in it is taken over', async () => {
    writeFileSync(lockPath(ctx, 'configure'), 'not a pid')
    assert.equal(await withLock(ctx, 'configure', async () => 'ran'), 'ran')
  })

  test('a missing run directory is OVN_OVSDB_UNAVAILABLE naming it, and runs nothing', async () => {
    const missing = join(dir, 'missing')
    const gone = { ...ctx, paths: { ...ctx.paths, ovsRundir: missing, ovsDbRemote: `unix:${missing}/db.sock` } }
    let ran = false
    await assert.rejects(
      withLock(gone, 'configure', async () => {
        ran = true
      }),
      (err: unknown) =>
        err instanceof XapiOvnError &&
        err.code === 'OVN_OVSDB_UNAVAILABLE' &&
        err.params[0] === `unix:${missing}/db.sock` &&
        (err.params[1] ?? '').includes(`${missing} does not exist`),
    )
    assert.equal(ran, false)
  })

  test('lock names are operation names, not paths', async () => {
    await assert.rejects(
      withLock(ctx, '../etc/passwd', async () => 'ran'),
      /invalid lock name/,
    )
  })
})
