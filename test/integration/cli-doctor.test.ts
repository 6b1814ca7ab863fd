/**
 * xapi-ovn doctor, repair and service as a user runs them (a spawned `node .build/lib/cli/main.js`)
 * against the XAPI emulator over 2 lab hosts with a real OVN central (its databases reached on
 * their unix sockets): a pool set up by the CLI passes doctor; a br-int appearing beside the XAPI
 * bridge on one host (what an ovn-controller started before setup makes) is doctor's error, with
 * `xapi-ovn repair --host <uuid>` as its fix; running that fix exactly as printed removes it, and
 * doctor passes again. service status, restart and stop drive each host's ovn-controller through
 * the plugin's fn=service on the lab's emulated systemd (lab/emulated-systemd.ts); a stopped one is
 * doctor's error with `xapi-ovn service start --host <uuid>` as its fix.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DoctorResult } from '../../lib/doctor/index.js'
import type { RepairResult, ServiceResult } from '../../lib/pool/index.js'
import { FINDING_CODES } from '../../lib/show/index.js'
import type { LabHost } from '../../lab/host.js'
import { createPoolFixture, PASSWORD, runCli, type CliRun, type PoolFixture } from './pool-fixture.js'

interface Envelope<T> {
  readonly apiVersion: number
  readonly ok: boolean
  readonly command: string
  readonly result?: T
  readonly error?: { readonly code: string }
}

function envelope<T>(r: CliRun, command: string): Envelope<T> {
  let e: Envelope<T>
  try {
    e = JSON.parse(r.stdout) as Envelope<T>
  } catch {
    assert.fail(`stdout is not JSON (exit ${String(r.code)}):\n${r.stdout}\n${r.stderr}`)
  }
  assert.equal(e.apiVersion, 1)
  assert.equal(e.command, command)
  assert.equal(e.ok, r.code === 0, `ok is ${String(e.ok)} with exit ${String(r.code)}`)
  return e
}

/** The pid of the ovn-controller running on a lab host (its pidfile, alive and ovn-controller), or null. */
function controllerPid(h: LabHost): number | null {
  try {
    const pid = Number(readFileSync(join(h.ovnRundir, 'ovn-controller.pid'), 'utf8').trim())
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'ovn-controller' ? pid : null
  } catch {
    return null
  }
}

function result<T>(r: CliRun, command: string): T {
  const e = envelope<T>(r, command)
  assert.ok(e.result !== undefined, `no result: ${r.stdout}\n${r.stderr}`)
  return e.result
}

describe('xapi-ovn doctor, repair and service on 2 emulated hosts', () => {
  let f: PoolFixture
  let conn: string[]
  let central: string[]
  let broken: LabHost

  before(async () => {
    f = await createPoolFixture(2)
    conn = ['--url', f.xapi.url, '--password', PASSWORD]
    const [m] = f.lab.central.members
    assert.ok(m !== undefined)
    central = ['--nb', `unix:${join(m.dir, 'ovnnb_db.sock')}`, '--sb', `unix:${join(m.dir, 'ovnsb_db.sock')}`]
    const setup = await runCli([
      'setup',
      ...conn,
      '--ovn-remote',
      f.lab.central.sbRemote,
      '--set',
      'ovn-bridge-datapath-type=netdev',
      '--quiet',
    ])
    assert.equal(setup.code, 0, setup.stdout + setup.stderr)
    for (const h of f.hosts) await h.startOvnController({ waitConnected: true })
    broken = f.hosts[1] as LabHost
  })

  test("doctor on the set-up pool: the OVN network's MTU is larger than Geneve carries (an error without a fix command)", async () => {
    const r = await runCli(['doctor', ...conn, ...central, '--wait', '30', '--json', '--quiet'])
    assert.equal(r.code, 1, r.stdout + r.stderr)
    const d = result<DoctorResult>(r, 'doctor')
    assert.deepEqual(
      d.findings.filter((x) => x.severity === 'error').map((x) => [x.code, x.subject, x.fix]),
      [
        [FINDING_CODES.mtuTooLarge, 'host1', null],
        [FINDING_CODES.mtuTooLarge, 'host2', null],
      ],
    )
    assert.match(d.findings[0]?.hint ?? '', /lower the OVN network's MTU in XAPI to 1442/)
    // What the hint says, done in the emulated XAPI.
    const db = f.xapi.emulator.db
    const net = db.all('network').find((n) => n.record.name_label === 'ovn-int')
    assert.ok(net !== undefined)
    db.set('network', net.ref, { MTU: 1442 })
  })
  after(async () => {
    await f?.close()
  })

  test('doctor --json on the set-up pool: every host passes, the central was read, no error, exit 0', async () => {
    const r = await runCli(['doctor', ...conn, ...central, '--wait', '30', '--json', '--quiet'])
    const d = result<DoctorResult>(r, 'doctor')
    assert.equal(r.code, 0, JSON.stringify(d.findings, null, 1))
    assert.equal(d.centralChecked, true)
    assert.deepEqual(
      d.hosts.map((h) => [h.name, h.verdict]),
      [
        ['host1', 'pass'],
        ['host2', 'pass'],
      ],
    )
    assert.equal(d.errors, 0)
  })

  test('doctor without --nb/--sb says the central was not read (a warning), still exit 0', async () => {
    const r = await runCli(['doctor', ...conn])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(
      r.stdout,
      /^warning central\.not-checked \(OVN central\): .*\n {2}fix: xapi-ovn doctor --nb REMOTE --sb REMOTE$/m,
    )
    assert.match(r.stdout, /^OK: 0 errors, 1 warning$/m)
  })

  test('a br-int beside the XAPI bridge on host2: doctor exits 1 naming it with its fix; the fix as printed repairs it; doctor exits 0', async () => {
    await broken.vsctl('add-br', 'br-int', '--', 'set', 'Bridge', 'br-int', 'datapath_type=netdev', 'fail_mode=secure')
    const r = await runCli(['doctor', ...conn, ...central, '--json', '--quiet'])
    assert.equal(r.code, 1, r.stdout + r.stderr)
    const d = result<DoctorResult>(r, 'doctor')
    assert.equal(d.ok, false)
    const stray = d.findings.filter((x) => x.code === 'bridge.no-stray-br-int')
    assert.deepEqual(
      stray.map((x) => [x.severity, x.subject, x.fix]),
      [['error', 'host2', `xapi-ovn repair --host ${broken.uuid}`]],
    )
    assert.ok(
      d.findings.every((x) => x.severity !== 'error' || x.subject === 'host2'),
      JSON.stringify(d.findings),
    )
    // The text names it the same way.
    const text = await runCli(['doctor', ...conn, ...central])
    assert.equal(text.code, 1)
    assert.match(
      text.stdout,
      new RegExp(
        `^ERROR bridge\\.no-stray-br-int \\(host2\\): .*\\n {2}fix: xapi-ovn repair --host ${broken.uuid}$`,
        'm',
      ),
    )
    assert.match(text.stdout, /^FAIL: 1 error/m)

    // The fix, word for word, plus the connection: first as a dry run, then for real.
    const fix = (stray[0]?.fix ?? '').split(' ')
    assert.equal(fix[0], 'xapi-ovn')
    const dry = await runCli([...fix.slice(1), '--dry-run', ...conn, '--json', '--quiet'])
    assert.equal(dry.code, 0, dry.stdout + dry.stderr)
    const planned = result<RepairResult>(dry, 'repair')
    assert.deepEqual(
      planned.hosts.map((h) => h.ok && [h.host.name, h.value.dryRun, h.value.removed.map((b) => b.name)]),
      [['host2', true, ['br-int']]],
    )
    assert.ok((await broken.bridges()).includes('br-int'), 'a dry run removed br-int')
    const fixed = await runCli([...fix.slice(1), ...conn])
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr)
    assert.match(fixed.stdout, /^host2\s+192\.0\.2\.22\s+removed br-int\s*$/m)
    assert.match(fixed.stdout, /^OK: 1 of 1 host in order$/m)
    assert.ok(!(await broken.bridges()).includes('br-int'), 'br-int is still there')

    const again = await runCli(['doctor', ...conn, ...central, '--json', '--quiet'])
    assert.equal(again.code, 0, again.stdout)
    assert.deepEqual(
      result<DoctorResult>(again, 'doctor').findings.filter((x) => x.code === 'bridge.no-stray-br-int'),
      [],
    )
  })

  test('repair on every host with nothing to repair: exit 0, nothing removed', async () => {
    const r = await runCli(['repair', ...conn, '--json', '--quiet'])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const rep = result<RepairResult>(r, 'repair')
    assert.equal(rep.changed, false)
    assert.deepEqual(
      rep.hosts.map((h) => h.ok && h.value.removed.length),
      [0, 0],
    )
  })

  test('service status: every host answers with its ovn-controller (the one running, its pid), exit 0', async () => {
    const r = await runCli(['service', 'status', ...conn, '--json', '--quiet'])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const s = result<ServiceResult>(r, 'service status')
    assert.deepEqual(
      s.hosts.map((h) => h.ok && [h.host.name, h.value.unit, h.value.active, h.value.mainPid, h.value.bootWait]),
      f.hosts.map((h) => [h.name, 'ovn-controller.service', true, controllerPid(h), true]),
    )
    const text = await runCli(['service', 'status', ...conn])
    assert.equal(text.code, 0)
    assert.match(text.stdout, /^HOST\s+ADDRESS\s+RESULT\s+STATE\s+PID\s+ENABLED\s+BOOT-WAIT$/m)
    assert.match(text.stdout, /^host1\s+192\.0\.2\.21\s+ok\s+active\/running\s+\d+\s+enabled\s+yes$/m)
    assert.match(text.stdout, /^OK: ovn-controller active on 2 of 2 hosts$/m)
  })

  test('service restart: a new ovn-controller on every host, connected again (verify --wait passes)', async () => {
    const before = f.hosts.map(controllerPid)
    const r = await runCli(['service', 'restart', ...conn, '--json', '--quiet'])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const s = result<ServiceResult>(r, 'service restart')
    const after = s.hosts.map((h) => (h.ok ? h.value.mainPid : null))
    for (const [i, h] of f.hosts.entries()) {
      assert.equal(after[i], controllerPid(h), `${h.name}: the pid reported is not the one running`)
      assert.notEqual(after[i], before[i], `${h.name}: ovn-controller was not restarted`)
    }
    const verify = await runCli(['verify', ...conn, '--wait', '30'])
    assert.equal(verify.code, 0, verify.stdout)
  })

  test('service stop on host1: doctor names ovn-controller with service start as its fix; that fix starts it; doctor passes', async () => {
    const h1 = f.hosts[0] as LabHost
    const stop = await runCli(['service', 'stop', '--host', 'host1', ...conn, '--json', '--quiet'])
    assert.equal(stop.code, 0, stop.stdout + stop.stderr)
    assert.deepEqual(
      result<ServiceResult>(stop, 'service stop').hosts.map((h) => h.ok && [h.host.name, h.value.active]),
      [['host1', false]],
    )
    assert.equal(controllerPid(h1), null)
    const r = await runCli(['doctor', ...conn, ...central, '--json', '--quiet'])
    assert.equal(r.code, 1, r.stdout)
    const running = result<DoctorResult>(r, 'doctor').findings.find((x) => x.code === 'controller.running')
    assert.deepEqual(
      [running?.severity, running?.subject, running?.fix],
      ['error', 'host1', `xapi-ovn service start --host ${h1.uuid}`],
    )
    const fix = (running?.fix ?? '').split(' ')
    const started = await runCli([...fix.slice(1), ...conn])
    assert.equal(started.code, 0, started.stdout + started.stderr)
    assert.notEqual(controllerPid(h1), null)
    const again = await runCli(['doctor', ...conn, ...central, '--wait', '30', '--json', '--quiet'])
    assert.equal(again.code, 0, again.stdout)
  })

  test('doctor with an unreachable southbound: an error for it, exit 1', async () => {
    const [m] = f.lab.central.members
    assert.ok(m !== undefined)
    const r = await runCli([
      'doctor',
      ...conn,
      '--nb',
      `unix:${join(m.dir, 'ovnnb_db.sock')}`,
      '--sb',
      `unix:${join(m.dir, 'no-such.sock')}`,
      '--json',
      '--quiet',
    ])
    assert.equal(r.code, 1, r.stdout + r.stderr)
    const d = result<DoctorResult>(r, 'doctor')
    assert.equal(d.centralChecked, false)
    assert.deepEqual(
      d.findings.filter((x) => x.severity === 'error').map((x) => x.code),
      ['central.southbound'],
    )
  })
})
