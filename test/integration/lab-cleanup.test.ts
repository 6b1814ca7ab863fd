// The lab never leaves anything behind: names are short and unique per process, SIGTERM tears a
// lab down, and sweepLeftovers removes what a SIGKILLed run left (namespaces with their daemons,
// temp dirs) without touching live runs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { isAlive, listNetns, sweepLeftovers } from '../../lab/cleanup.js'
import { IFNAME_MAX, RUN_TAG, ifaceName, netnsName, ownerPid } from '../../lab/names.js'

interface ChildReport {
  netns: string[]
  dirs: string[]
  pids: number[]
}

const CHILD = fileURLToPath(new URL('./lab-cleanup-child.js', import.meta.url))

function startChild(): Promise<{ pid: number; report: ChildReport; exited: Promise<NodeJS.Signals | number | null> }> {
  const child = spawn(process.execPath, [CHILD], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  )
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const nl = out.indexOf('\n')
      if (nl >= 0) resolve({ pid: child.pid as number, report: JSON.parse(out.slice(0, nl)) as ChildReport, exited })
    })
    child.on('exit', (code) => reject(new Error(`child exited early with ${String(code)}`)))
  })
}

test('names: short, unique, and carrying the owning pid', () => {
  assert.match(RUN_TAG, /^xo[0-9a-z]+$/)
  const a = ifaceName('u')
  const b = ifaceName('u')
  assert.notEqual(a, b)
  assert.ok(a.length <= IFNAME_MAX)
  const ns = netnsName('h')
  assert.equal(ownerPid(ns), process.pid)
  assert.equal(ownerPid('xo-h1'), undefined)
  assert.equal(ownerPid('other-h1'), undefined)
  assert.throws(() => netnsName('Host'), { code: 'LAB_USAGE' })
})

test('SIGTERM tears the lab down: namespaces, daemons and rundir are gone', async () => {
  const { pid, report, exited } = await startChild()
  assert.ok((await listNetns()).includes(report.netns[1] as string))
  process.kill(pid, 'SIGTERM')
  assert.equal(await exited, 'SIGTERM')
  const left = await listNetns()
  for (const ns of report.netns) assert.ok(!left.includes(ns), `${ns} left behind`)
  for (const pid of report.pids) assert.equal(isAlive(pid), false, `daemon ${pid} still alive`)
  for (const dir of report.dirs) assert.equal(existsSync(dir), false, `${dir} left behind`)
})

test('after a SIGKILL, sweepLeftovers removes the namespaces, daemons and dirs of the dead run', async () => {
  const { pid, report, exited } = await startChild()
  process.kill(pid, 'SIGKILL')
  await exited
  const before = await listNetns()
  for (const ns of report.netns) assert.ok(before.includes(ns), `${ns} should survive a SIGKILL`)
  assert.ok(report.pids.every(isAlive), 'the daemons survive a SIGKILL')

  // A live run's names (ours) are never swept.
  const mine = netnsName('h')
  // Only the dead child's: other test files may hold a dead owner's names on purpose (e2e-lab-cli).
  const swept = await sweepLeftovers(undefined, { owners: [pid] })
  for (const ns of report.netns) assert.ok(swept.netns.includes(ns), `${ns} swept`)
  assert.ok(!swept.netns.includes(mine))
  const after = await listNetns()
  for (const ns of report.netns) assert.ok(!after.includes(ns), `${ns} left behind`)
  for (const p of report.pids) assert.equal(isAlive(p), false, `daemon ${p} still alive`)
  for (const dir of report.dirs) assert.equal(existsSync(dir), false, `${dir} left behind`)
})
