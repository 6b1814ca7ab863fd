/**
 * The xapi-ovn command as a user runs it (a spawned `node .build/lib/cli/main.js`), against the
 * XAPI emulator over 3 lab hosts with a real OVN central: exit codes, --json parsed, the human
 * tables and hints, progress on stderr, and the password never shown (flag, environment, or typed
 * at a no-echo prompt on a real pseudo-terminal).
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SetupResult, StatusResult, TeardownResult, VerifyResult } from '../../lib/index.js'
import type { LabHost } from '../../lab/host.js'
import {
  CLI,
  createPoolFixture,
  ovsExternalIds,
  PASSWORD,
  runCli,
  xapiKeys,
  type CliRun,
  type PoolFixture,
} from './pool-fixture.js'

/** CliRun under `script` (a real pseudo-terminal); type `typed` once `waitFor` shows up. */
function runOnTerminal(args: readonly string[], waitFor: string, typed: string): Promise<CliRun> {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ')
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    let sent = false
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString()
      if (!sent && stdout.includes(waitFor)) {
        sent = true
        child.stdin.write(`${typed}\r`)
      }
    })
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

interface Envelope {
  readonly apiVersion: number
  readonly ok: boolean
  readonly command: string
  readonly result?: unknown
  readonly error?: { readonly code: string }
}

/** stdout as the one JSON envelope of every command (README "JSON output"), checked against the exit status. */
function envelope(r: CliRun, command: string): Envelope {
  let e: Envelope
  try {
    e = JSON.parse(r.stdout) as Envelope
  } catch {
    assert.fail(`stdout is not JSON (exit ${String(r.code)}):\n${r.stdout}\n${r.stderr}`)
  }
  assert.equal(e.apiVersion, 1)
  assert.equal(e.command, command)
  assert.equal(e.ok, r.code === 0, `ok is ${String(e.ok)} with exit ${String(r.code)}`)
  return e
}

/** The command's result out of its envelope. */
function json<T>(r: CliRun, command: string): T {
  const e = envelope(r, command)
  assert.ok('result' in e, `no result in ${r.stdout}`)
  return e.result as T
}

function noPassword(r: CliRun, ...secrets: string[]): void {
  for (const s of [PASSWORD, ...secrets])
    assert.ok(!(r.stdout + r.stderr).includes(s), `the password ${s} was shown:\n${r.stdout}\n${r.stderr}`)
}

describe('xapi-ovn on 3 emulated hosts with a real OVN central', () => {
  let f: PoolFixture
  let conn: string[]
  let hosts: readonly LabHost[]
  const setupArgs = [
    '--ovn-remote',
    'tcp:192.0.2.10:6642',
    '--set',
    'ovn-bridge-datapath-type=netdev',
    '--bridge-mappings',
    'physnet-mgmt:xenbr0',
  ]
  const keysBefore = new Map<string, Awaited<ReturnType<typeof xapiKeys>>>()

  before(async () => {
    f = await createPoolFixture(3)
    hosts = f.hosts
    conn = ['--url', f.xapi.url, '--password', PASSWORD]
    for (const h of hosts) keysBefore.set(h.name, await xapiKeys(h))
  })
  after(async () => {
    await f?.close()
  })

  test('a wrong password: exit 1, OVN_XAPI_AUTH_FAILED with its hint, neither password shown', async () => {
    const r = await runCli(['status', '--url', f.xapi.url, '--password', 'wrong-password-123'])
    assert.equal(r.code, 1)
    assert.match(
      r.stderr,
      /OVN_XAPI_AUTH_FAILED: XAPI at http:\/\/127\.0\.0\.1:\d+ refused the credentials of root\n\s+hint: check the user and password/,
    )
    noPassword(r, 'wrong-password-123')
    const j = await runCli(['status', '--json', '--url', f.xapi.url], { XAPI_PASSWORD: 'wrong-password-123' })
    assert.equal(j.code, 1)
    assert.equal(envelope(j, 'status').error?.code, 'OVN_XAPI_AUTH_FAILED')
    noPassword(j, 'wrong-password-123')
  })

  test('a bad ovn-remote: exit 2 before XAPI is even asked', async () => {
    const calls = f.xapi.server.calls.length
    const r = await runCli(['setup', ...conn, '--ovn-remote', 'tcp:central.example:6642'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /--ovn-remote: .*numeric address/)
    assert.equal(f.xapi.server.calls.length, calls)
    // a mapping the pool has no bridge for is found by the library, still before anything is touched
    const m = await runCli([
      'setup',
      ...conn,
      '--ovn-remote',
      'tcp:192.0.2.10:6642',
      '--bridge-mappings',
      'physnet:xenbr9',
    ])
    assert.equal(m.code, 2)
    assert.match(
      m.stderr,
      /OVN_INVALID_ARGUMENT: invalid --bridge-mappings "physnet:xenbr9": xenbr9 is not the bridge of any network of this pool/,
    )
    assert.ok(
      f.xapi.server.calls
        .slice(calls)
        .every((c) => c.endsWith('get_all_records') || c.startsWith('session.') || c === 'system.listMethods'),
      f.xapi.server.calls.slice(calls).join(' '),
    )
    for (const h of hosts) assert.deepEqual(await xapiKeys(h), keysBefore.get(h.name))
  })

  test('setup --dry-run --json: every host planned, exit 0, nothing created', async () => {
    const r = await runCli(['setup', ...conn, ...setupArgs, '--dry-run', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const result = json<SetupResult>(r, 'setup')
    assert.equal(result.dryRun, true)
    assert.equal(result.network.action, 'would-create')
    assert.deepEqual(
      result.hosts.map((h) => h.ok && h.value.transport.ip),
      ['192.0.2.21', '192.0.2.22', '192.0.2.23'],
    )
    assert.equal(f.xapi.server.calls.filter((c) => c.includes('network.create')).length, 0)
  })

  test('setup with host3 offline: exit 1, a table with host3 FAILED and its hint, progress on stderr', async () => {
    f.setLive(2, false)
    try {
      const r = await runCli(['setup', ...conn, ...setupArgs])
      assert.equal(r.code, 1, r.stdout + r.stderr)
      assert.match(r.stdout, /^HOST\s+ADDRESS\s+TRANSPORT\s+RESULT\s+DETAIL$/m)
      assert.match(r.stdout, /^host1\s+192\.0\.2\.21\s+eth0 192\.0\.2\.21\s+changed\s+\d+ keys change$/m)
      assert.match(r.stdout, /^host3\s+192\.0\.2\.23\s+-\s+FAILED\s+HOST_OFFLINE$/m)
      assert.match(
        r.stdout,
        /host3: HOST_OFFLINE: the host is offline: XAPI cannot reach it\n\s+hint: bring the host back/,
      )
      assert.match(r.stdout, /^FAILED on 1 of 3 hosts: 2 of 3 hosts configured \(2 changed, 0 unchanged\)$/m)
      assert.match(r.stderr, /network ovn-int: created/)
      assert.match(r.stderr, /\[\d\/3\] host3: FAILED HOST_OFFLINE/)
      noPassword(r)
    } finally {
      f.setLive(2, true)
    }
  })

  test('setup again --json (password from XAPI_PASSWORD): exit 0, only host3 changes', async () => {
    const r = await runCli(['setup', '--url', f.xapi.url, ...setupArgs, '--json', '--quiet'], {
      XAPI_PASSWORD: PASSWORD,
    })
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.equal(r.stderr, '')
    const result = json<SetupResult>(r, 'setup')
    assert.deepEqual(
      result.hosts.map((h) => [h.host.name, h.ok && h.value.chassis?.changed]),
      [
        ['host1', false],
        ['host2', false],
        ['host3', true],
      ],
    )
    noPassword(r)
  })

  test('verify --wait: exit 0 once ovn-controller runs everywhere; exit 1 and the hint while one is stopped', async () => {
    for (const h of hosts.slice(0, 2)) await h.startOvnController({ waitConnected: true })
    const failing = await runCli(['verify', ...conn])
    assert.equal(failing.code, 1)
    assert.match(failing.stdout, /^host3\s+192\.0\.2\.23\s+FAIL\s/m)
    assert.match(failing.stdout, /FAIL controller\.running: ovn-controller is not running.*\n\s+hint: start it/)
    assert.match(failing.stdout, /^FAIL: 2 of 3 hosts pass$/m)

    await (hosts[2] as LabHost).startOvnController({ waitConnected: true })
    const r = await runCli(['verify', ...conn, '--wait', '30', '--json'])
    assert.equal(r.code, 0, r.stdout)
    const result = json<VerifyResult>(r, 'verify')
    assert.equal(result.ok, true)
    for (const h of result.hosts) assert.ok(h.ok && h.value.checks.every((c) => c.status === 'pass'))
    const text = await runCli(['verify', ...conn])
    assert.equal(text.code, 0)
    assert.match(text.stdout, /^OK: all 3 hosts pass$/m)
    for (const h of hosts) assert.ok(!(await h.bridges()).includes('br-int'))
  })

  test('status: exit 0, every host configured and connected', async () => {
    const r = await runCli(['status', ...conn])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    for (const [i, h] of hosts.entries())
      assert.match(
        r.stdout,
        new RegExp(
          `^${h.name}\\s+192\\.0\\.2\\.2${i + 1}\\s+configured\\s+xapi\\d+\\s+192\\.0\\.2\\.2${i + 1}\\s+connected\\s`,
          'm',
        ),
      )
    const j = json<StatusResult>(await runCli(['status', ...conn, '--json', '--host', 'host2']), 'status')
    assert.deepEqual(
      j.hosts.map((h) => h.host.name),
      ['host2'],
    )
  })

  test('a password typed at the prompt is not echoed', async () => {
    const r = await runOnTerminal(['status', '--url', f.xapi.url, '--quiet'], 'Password for root at', PASSWORD)
    assert.equal(r.code, 0, r.stdout)
    assert.match(r.stdout, /Password for root at http:\/\/127\.0\.0\.1:\d+: /)
    assert.match(r.stdout, /OK: 3 hosts answered/)
    noPassword(r)
  })

  test('setup --config: the flags as a file change nothing; a file without a key: --dry-run lists its removal first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xapi-ovn-config-'))
    try {
      const whole = join(dir, 'pool.json')
      const config = {
        'ovn-remote': 'tcp:192.0.2.10:6642',
        'bridge-mappings': 'physnet-mgmt:xenbr0',
        set: { 'ovn-bridge-datapath-type': 'netdev' },
      }
      writeFileSync(whole, JSON.stringify(config))
      const same = json<SetupResult>(await runCli(['setup', ...conn, '--config', whole, '--json']), 'setup')
      assert.equal(same.changed, false, JSON.stringify(same.hosts))
      assert.deepEqual(same.removals, [])

      const forgot = join(dir, 'forgot.json')
      writeFileSync(forgot, JSON.stringify({ ...config, set: undefined }))
      const dry = await runCli(['setup', ...conn, '--config', forgot, '--dry-run'])
      assert.equal(dry.code, 0, dry.stdout + dry.stderr)
      const lines = dry.stdout.split('\n')
      assert.match(lines[0] ?? '', /^WOULD REMOVE 3 key\(s\) set by an earlier setup/)
      for (const h of hosts)
        assert.ok(lines.includes(`  ${h.name}: ovn-bridge-datapath-type (was "netdev")`), dry.stdout)
      const j = json<SetupResult>(await runCli(['setup', ...conn, '--config', forgot, '--dry-run', '--json']), 'setup')
      assert.deepEqual(
        j.removals,
        hosts.map((h) => ({ host: h.name, key: 'ovn-bridge-datapath-type', from: 'netdev' })),
      )
      // Beside a setup flag, --config is refused before anything is asked.
      const both = await runCli(['setup', ...conn, '--config', whole, '--encap-type', 'vxlan'])
      assert.equal(both.code, 2)
      assert.match(both.stderr, /--config is the whole configuration: put --encap-type in the file/)
      const typo = join(dir, 'typo.json')
      writeFileSync(typo, JSON.stringify({ ...config, 'encap-typ': 'vxlan' }))
      const t = await runCli(['setup', ...conn, '--config', typo])
      assert.equal(t.code, 2)
      assert.match(t.stderr, /OVN_INVALID_ARGUMENT: invalid config\.encap-typ="vxlan": unknown key/)
      for (const h of hosts) assert.equal((await ovsExternalIds(h))['ovn-bridge-datapath-type'], 'netdev')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('teardown with ovn-controller running: refused with the way to stop it, nothing given back; --dry-run lists the keys and fails', async () => {
    const before = await Promise.all(hosts.map((h) => ovsExternalIds(h)))
    const r = await runCli(['teardown', ...conn])
    assert.equal(r.code, 1, r.stdout + r.stderr)
    assert.match(r.stdout, /^host1\s+192\.0\.2\.21\s+FAILED\s+OVN_CONTROLLER_RUNNING$/m)
    assert.match(r.stdout, /ovn-controller runs on host1 \(pid \d+\).*xapi-ovn teardown --stop-controller/)
    assert.deepEqual(await Promise.all(hosts.map((h) => ovsExternalIds(h))), before)
    for (const h of hosts) assert.ok(!(await h.bridges()).includes('br-int'))

    const dry = await runCli(['teardown', ...conn, '--dry-run'])
    assert.equal(dry.code, 1, dry.stdout)
    for (const h of hosts) {
      assert.match(dry.stdout, new RegExp(`^${h.name} would give back \\d+ key\\(s\\):$`, 'm'))
      assert.match(dry.stdout, new RegExp(`^${h.name}: ovn-controller runs: teardown would be REFUSED`, 'm'))
    }
    assert.match(dry.stdout, /^ {2}ovn-bridge-datapath-type: "netdev" -> REMOVED$/m)
    assert.match(dry.stdout, /^ {2}ovn-remote: "tcp:192\.0\.2\.10:6642" -> REMOVED$/m)
    const j = json<TeardownResult>(await runCli(['teardown', ...conn, '--dry-run', '--json']), 'teardown')
    assert.equal(j.ok, false)
    for (const h of j.hosts) assert.ok(h.ok && h.value.controllerRunning === true && h.value.changes.length > 0)
    assert.deepEqual(await Promise.all(hosts.map((h) => ovsExternalIds(h))), before)
  })

  test('teardown --stop-controller: ovn-controller stopped first (fn=service), then every key given back; no br-int', async () => {
    const r = await runCli(['teardown', ...conn, '--stop-controller', '--json'])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const result = json<TeardownResult>(r, 'teardown')
    for (const h of result.hosts) assert.ok(h.ok && h.value.controllerStopped === true, JSON.stringify(h))
    for (const h of hosts) {
      assert.deepEqual((await xapiKeys(h)).ovs, keysBefore.get(h.name)?.ovs)
      assert.ok(!(await h.bridges()).includes('br-int'), `${h.name}: a stopped ovn-controller makes no br-int`)
    }
  })

  test('teardown --remove-network --dry-run: exit 1 while XAPI would refuse (a VIF plugged on it), 0 once it would not', async () => {
    for (const h of hosts) await h.stopOvnController({ cleanup: true })
    const db = f.xapi.emulator.db
    const net = db.all('network').find((n) => n.record.name_label === 'ovn-int')
    assert.ok(net !== undefined)
    const vm = db.create('VM', { name_label: 'plugged-vm' })
    const vif = db.create('VIF', { network: net.ref, VM: vm, device: '0', currently_attached: true })
    const vifUuid = String(db.field('VIF', vif, 'uuid'))
    try {
      const r = await runCli(['teardown', ...conn, '--remove-network', '--dry-run'])
      assert.equal(r.code, 1, r.stdout)
      assert.match(
        r.stdout,
        new RegExp(`NOT destroyed: XAPI would refuse \\(NETWORK_CONTAINS_VIF\\): 1 VIF\\(s\\) plugged: ${vifUuid}`),
      )
    } finally {
      db.delete('VIF', vif)
      db.delete('VM', vm)
    }
    const ok = await runCli(['teardown', ...conn, '--remove-network', '--dry-run', '--json'])
    assert.equal(ok.code, 0, ok.stdout)
    assert.equal(json<TeardownResult>(ok, 'teardown').network.action, 'would-destroy')
    assert.ok(
      db.all('network').some((n) => n.record.name_label === 'ovn-int'),
      'a dry run destroys nothing',
    )
  })

  test('teardown: exit 0, every XAPI key as it was before setup', async () => {
    for (const h of hosts) await h.stopOvnController({ cleanup: true })
    const r = await runCli(['teardown', ...conn, '--json'])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const result = json<TeardownResult>(r, 'teardown')
    assert.equal(result.network.action, 'kept')
    for (const h of hosts) assert.deepEqual((await xapiKeys(h)).ovs, keysBefore.get(h.name)?.ovs)
    const again = await runCli(['teardown', ...conn])
    assert.equal(again.code, 0)
    assert.match(again.stdout, /^host1\s+192\.0\.2\.21\s+nothing to undo$/m)
  })
})
