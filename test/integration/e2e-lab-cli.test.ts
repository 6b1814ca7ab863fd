// `npm run lab` itself: the entry .build/lab/cli.js run as a user runs it (its own process,
// its exit status), with its state directory in a temporary place. Up, status, up again (the
// first lab is replaced), down, and nothing of the lab left afterwards.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isAlive, listNetns, processesTagged } from '../../lab/cleanup.js'
import { run } from '../../lab/exec.js'
import type { LabJson } from '../../lab/lab-command.js'
import type { LabReport } from '../../lab/lab-report.js'
import { readState } from '../../lab/lab-state.js'
import { LAB_PREFIX } from '../../lab/names.js'

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lab', 'cli.js')
let dir: string

interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

function lab(...args: string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, XAPI_OVN_LAB_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** Namespaces and temporary directories named after this keeper (its pid is in their names). */
async function namespacesOf(pid: number): Promise<string[]> {
  const tag = `${LAB_PREFIX}${pid.toString(36)}-`
  return [...(await listNetns()), ...readdirSync(tmpdir())].filter((n) => n.startsWith(tag))
}

describe('npm run lab', () => {
  before(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'xapi-ovn-lab-test-')), 'lab')
  })
  after(async () => {
    await lab('down')
    rmSync(dirname(dir), { recursive: true, force: true })
  })

  test('usage mistakes exit 2 and start nothing', async () => {
    for (const args of [['--hosts', '0'], ['--hosts', 'many'], ['--frobnicate']]) {
      const r = await lab(...args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, /usage: npm run lab/)
    }
    assert.equal(existsSync(dir), false)
    assert.equal((await lab('status')).code, 1)
  })

  test('up: builds, proves and leaves a 2-host lab running after the command exits', async () => {
    const r = await lab('--hosts', '2')
    assert.equal(r.code, 0, r.stderr + r.stdout)
    assert.match(r.stdout, /ok {4}vm1 \(host1\) -> vm2 \(host2\) 198\.18\.10\.12 {2}\[across hosts over Geneve\]/)
    assert.match(
      r.stdout,
      /ok {4}vm2 \(host2\) -> provider gateway \(underlay\) 198\.18\.0\.1 {2}\[provider network via localnet\]/,
    )
    assert.doesNotMatch(r.stdout, /FAIL/)
    assert.match(r.stdout, /npm run lab -- down/)
    const state = readState(dir)
    assert.ok(state !== null && state.status === 'up')
    assert.ok(isAlive(state.keeperPid), 'the keeper outlives the command')
    const report = state.report as LabReport
    assert.equal(report.hosts.length, 2)
    for (const h of report.hosts) {
      assert.equal(h.chassis?.name, h.uuid)
      assert.equal(h.controller, 'connected')
      assert.ok(!h.bridges.includes('br-int'))
    }
    assert.equal(report.central.clustered, true)
    assert.ok(
      (await namespacesOf(state.keeperPid)).length >= 2 + 1 + 1 + 1 + 2,
      'hosts, central, underlay, gateway, VMs',
    )
    const status = await lab('status')
    assert.equal(status.code, 0)
    assert.match(status.stdout, /Proof/)
  })

  test('up again replaces the running lab; down removes everything', async () => {
    const first = readState(dir)
    assert.ok(first !== null)
    const r = await lab('--hosts', '2', '--standalone', '--json')
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, new RegExp(`a lab is already up \\(keeper pid ${first.keeperPid}\\): tearing it down first`))
    const printed = JSON.parse(r.stdout) as LabJson
    const report = printed.report as LabReport
    assert.equal(report.central.clustered, false)
    assert.equal(report.proof.ok, true)
    // status --json prints the same object.
    const status = JSON.parse((await lab('status', '--json')).stdout) as LabJson
    assert.deepEqual(status, printed)
    assert.equal(status.up, true)
    assert.equal(isAlive(first.keeperPid), false)
    assert.deepEqual(await namespacesOf(first.keeperPid), [])

    const second = readState(dir)
    assert.ok(second !== null && second.keeperPid !== first.keeperPid)
    // A file of someone else's in the lab directory, and a dead lab's leftover namespace of
    // another owner: down removes neither.
    writeFileSync(join(dir, 'not-the-labs.txt'), 'keep me\n')
    const foreign = `${LAB_PREFIX}${(0x3fffffff).toString(36)}-x1`
    await run('ip', ['netns', 'add', foreign])
    try {
      const down = await lab('down')
      assert.equal(down.code, 0, down.stderr)
      assert.match(down.stdout, /lab removed/)
      assert.equal(isAlive(second.keeperPid), false)
      assert.deepEqual(await namespacesOf(second.keeperPid), [])
      // Returned only once its daemons were gone.
      assert.deepEqual(processesTagged(`${LAB_PREFIX}${second.keeperPid.toString(36)}-`), [])
      assert.deepEqual(readdirSync(dir), ['not-the-labs.txt'])
      assert.ok((await listNetns()).includes(foreign), "another owner's leftover is not swept by default")
      const swept = await lab('down', '--leftovers')
      assert.equal(swept.code, 0, swept.stderr)
      assert.equal((await listNetns()).includes(foreign), false, 'down --leftovers sweeps it')
    } finally {
      await run('ip', ['netns', 'del', foreign], { check: false })
      rmSync(join(dir, 'not-the-labs.txt'), { force: true })
    }
    assert.equal((await lab('status')).code, 1)
    const again = await lab('down')
    assert.equal(again.code, 0)
    assert.match(again.stdout, /no lab was up/)
  })
})
