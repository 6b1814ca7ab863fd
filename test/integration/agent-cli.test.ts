// `xapi-ovn agent` as an operator runs it: two agent processes for one pool against the XAPI
// emulator and a real northbound; exactly one writes; `kill -9` of the active one and the standby
// syncs a VIF created afterwards; SIGTERM stops an agent cleanly (exit 0, its status on stdout);
// the password is never printed.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { SWITCH_KEY } from '../../lib/agent/keys.js'
import { connectNorthbound, ensureLogicalSwitch } from '../../lib/nb/index.js'
import { readSnapshot } from '../../lib/nb/snapshot.js'
import type { OvsdbClient } from '../../lib/ovsdb/client.js'
import { XapiPool } from '../../lib/pool/index.js'
import { createEmulatedPool, type EmulatedPool } from '../../xapi-emulator/index.js'
import { PASSWORD, memoryHosts, vifRecord } from '../../xapi-emulator/testing.js'
import { NbDatabase } from './nb-server.js'
import { waitFor } from '../../lab/wait.js'
import { CLI } from './pool-fixture.js'

interface AgentProcess {
  readonly child: ChildProcess
  stdout: string
  stderr: string
  readonly exited: Promise<number | null>
}

let pool: EmulatedPool
let xapi: XapiPool
let nbDb: NbDatabase
let nb: OvsdbClient
let ovnNet: string
const running: AgentProcess[] = []

function runAgent(...extra: string[]): AgentProcess {
  const child = spawn(
    process.execPath,
    [CLI, 'agent', '--url', pool.url, '--nb', nbDb.remotes.join(','), '--protocol', 'json-rpc', ...extra],
    {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', XAPI_PASSWORD: PASSWORD },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const p: AgentProcess = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  }
  child.stdout?.on('data', (b: Buffer) => (p.stdout += b.toString()))
  child.stderr?.on('data', (b: Buffer) => (p.stderr += b.toString()))
  running.push(p)
  return p
}

async function createVif(vmName: string, device: string): Promise<string> {
  const vm = pool.vms.find((r) => pool.emulator.db.field('VM', r, 'name_label') === vmName)
  assert.ok(vm !== undefined, vmName)
  const ref = (await xapi.call('VIF.create', vifRecord(ovnNet, vm, device))) as string
  return (await xapi.call('VIF.get_uuid', ref)) as string
}

async function hasPort(name: string): Promise<true | undefined> {
  return (await readSnapshot(nb, 'all')).ports.some((p) => p.name === name) ? true : undefined
}

describe('xapi-ovn agent, two processes for one pool', () => {
  before(async () => {
    pool = await createEmulatedPool({ hosts: memoryHosts(1), password: PASSWORD, vms: [{ name_label: 'web1' }] })
    xapi = await XapiPool.connect({ url: pool.url, password: PASSWORD, transport: 'json-rpc' })
    ovnNet = (await xapi.call('network.create', {
      name_label: 'ovn-int',
      name_description: '',
      MTU: 1500,
      other_config: { [SWITCH_KEY]: 'tenant-a' },
    })) as string
    nbDb = await NbDatabase.standalone()
    nb = await connectNorthbound(nbDb.remotes)
    await ensureLogicalSwitch(nb, 'tenant-a')
  })
  after(async () => {
    for (const p of running) p.child.kill('SIGKILL')
    await nb?.close()
    await nbDb?.destroy()
    await xapi?.close()
    await pool?.close()
  })

  test('one active, one standby; kill -9 the active and the standby takes over', async () => {
    const first = runAgent()
    await waitFor('the first agent to be active', () => (first.stderr.includes('lock acquired') ? true : undefined))
    const second = runAgent()
    await waitFor('the second agent to stand by', () => (second.stderr.includes('standing by') ? true : undefined))
    const before = await createVif('web1', '0')
    await waitFor('the port made by the active agent', () => hasPort(before))
    assert.ok(!second.stderr.includes('northbound synced'), 'the standby wrote nothing')
    first.child.kill('SIGKILL')
    await first.exited
    const afterKill = await createVif('web1', '1')
    await waitFor('the standby to take the lock', () => (second.stderr.includes('lock acquired') ? true : undefined))
    await waitFor('the port made by the former standby', () => hasPort(afterKill))
    second.child.kill('SIGTERM')
    assert.equal(await second.exited, 0)
    for (const p of [first, second]) assert.ok(!(p.stdout + p.stderr).includes(PASSWORD), 'the password was printed')
  })

  test('--metrics serves /metrics and /healthz; agent status reads it; --log-format json logs JSON lines', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000)
    const at = `127.0.0.1:${port}`
    const p = runAgent('--metrics', at, '--log-format', 'json')
    await waitFor('the agent to be active', () => (p.stderr.includes('lock acquired') ? true : undefined))
    const metrics = await waitFor('a scrape', async () => {
      const r = await fetch(`http://${at}/metrics`).catch(() => undefined)
      return r === undefined ? undefined : r.text()
    })
    assert.match(metrics, /^xapi_ovn_agent_lock_held 1$/m)
    assert.match(metrics, /^xapi_ovn_agent_ports_managed 2$/m)
    const status = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const c = spawn(process.execPath, [CLI, 'agent', 'status', '--metrics', at, '--json'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      c.stdout.on('data', (b: Buffer) => (out += b.toString()))
      c.on('exit', (code) => resolve({ code, stdout: out }))
    })
    assert.equal(status.code, 0)
    const envelope = JSON.parse(status.stdout) as { command: string; result: { active: boolean; managedPorts: number } }
    assert.deepEqual(
      [envelope.command, envelope.result.active, envelope.result.managedPorts],
      ['agent status', true, 2],
    )
    const lines = p.stderr.trim().split('\n')
    for (const line of lines) assert.equal(typeof (JSON.parse(line) as { msg: unknown }).msg, 'string', line)
    p.child.kill('SIGTERM')
    assert.equal(await p.exited, 0)
  })

  test('agent status with nothing listening: OVN_AGENT_UNREACHABLE, exit 1', async () => {
    const r = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const c = spawn(process.execPath, [CLI, 'agent', 'status', '--metrics', '127.0.0.1:9', '--json'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      c.stdout.on('data', (b: Buffer) => (out += b.toString()))
      c.on('exit', (code) => resolve({ code, stdout: out }))
    })
    assert.equal(r.code, 1)
    assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'OVN_AGENT_UNREACHABLE')
  })

  test('SIGTERM with --json: exit 0 and the last status as JSON on stdout', async () => {
    const p = runAgent('--json')
    await waitFor('the agent to have caught up', () =>
      /northbound (in step|synced)/.test(p.stderr) ? true : undefined,
    )
    p.child.kill('SIGTERM')
    assert.equal(await p.exited, 0)
    const envelope = JSON.parse(p.stdout) as {
      ok: boolean
      command: string
      result: { active: boolean; managedPorts: number; pool: string }
    }
    assert.deepEqual([envelope.ok, envelope.command], [true, 'agent'])
    const status = envelope.result
    assert.equal(typeof status.pool, 'string')
    assert.equal(status.managedPorts, 2)
  })
})
