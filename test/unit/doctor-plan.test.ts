// planDoctor over hand-built verify results and show views (test/unit/show-fixtures.ts): the
// findings a user reads, each with its severity and the xapi-ovn command that fixes it, and the
// verdict (ok only without errors) doctor's exit status follows.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Check } from '../../lib/chassis/verify.js'
import { planDoctor, SHOW_SEVERITY, type DoctorInput } from '../../lib/doctor/plan-doctor.js'
import type { HostOutcome, VerifyResult } from '../../lib/pool/results.js'
import type { ChassisVerify } from '../../lib/pool/plugin-replies.js'
import { FINDING_CODES, planShow } from '../../lib/show/index.js'
import { H1, H2, healthy } from './show-fixtures.js'

const POOL = { uuid: 'pool-uuid', name: 'lab', url: 'http://xapi' }
const SB = 'tcp:192.0.2.10:6642'
const pass = (id: string): Check => ({ id, status: 'pass', message: `${id} ok`, hint: null })

function host(uuid: string, name: string, checks: readonly Check[]): HostOutcome<ChassisVerify> {
  return {
    host: { ref: `OpaqueRef:${name}`, uuid, name, address: '192.0.2.21', live: true },
    ok: true,
    value: { ok: checks.every((c) => c.status !== 'fail'), checks, hostUuid: uuid, waited: 0 },
  }
}

function verifyResult(hosts: readonly HostOutcome<ChassisVerify>[], checks: readonly Check[] = []): VerifyResult {
  return {
    operation: 'verify',
    pool: POOL,
    network: null,
    checks: [pass('network.exists'), ...checks],
    hosts,
    ok: checks.every((c) => c.status !== 'fail') && hosts.every((h) => h.ok && h.value.ok),
  }
}

const ALL_GOOD = [host(H1, 'host1', [pass('keys.required')]), host(H2, 'host2', [pass('keys.required')])]
const CENTRAL_OK: DoctorInput['central'] = [
  { db: 'northbound', remote: 'tcp:192.0.2.10:6641', ok: true },
  { db: 'southbound', remote: SB, ok: true },
]

test('a healthy pool and central: no finding, ok', () => {
  const r = planDoctor({
    verify: verifyResult(ALL_GOOD),
    show: planShow(healthy()),
    central: CENTRAL_OK,
    ovnRemote: SB,
  })
  assert.deepEqual(r.findings, [])
  assert.equal(r.ok, true)
  assert.equal(r.centralChecked, true)
  assert.deepEqual(
    r.hosts.map((h) => h.verdict),
    ['pass', 'pass'],
  )
})

test("a stray br-int on host2: an error whose fix is repair on that host; warnings don't fail", () => {
  const stray: Check = {
    id: 'bridge.no-stray-br-int',
    status: 'fail',
    message: 'a br-int bridge exists besides xapi1 (0 ports besides its own)',
    hint: `remove it: xapi-ovn repair --host ${H2}`,
  }
  const warn: Check = {
    id: 'vifs.installed',
    status: 'warn',
    message: 'not (yet) installed: vif2.0',
    hint: 'attach it',
  }
  const r = planDoctor({
    verify: verifyResult([host(H1, 'host1', [warn]), host(H2, 'host2', [pass('keys.required'), stray])]),
    show: planShow(healthy()),
    central: CENTRAL_OK,
    ovnRemote: SB,
  })
  assert.equal(r.ok, false)
  assert.equal(r.errors, 1)
  assert.equal(r.warnings, 1)
  // errors first
  assert.deepEqual(r.findings[0], {
    severity: 'error',
    code: 'bridge.no-stray-br-int',
    subject: 'host2',
    message: stray.message,
    fix: `xapi-ovn repair --host ${H2}`,
    hint: stray.hint,
  })
  assert.deepEqual(
    { ...r.findings[1], message: undefined },
    { severity: 'warning', code: 'vifs.installed', subject: 'host1', message: undefined, fix: null, hint: 'attach it' },
  )
  assert.deepEqual(
    r.hosts.map((h) => [h.name, h.verdict]),
    [
      ['host1', 'pass'],
      ['host2', 'fail'],
    ],
  )
  // Only warnings: ok.
  const warned = planDoctor({
    verify: verifyResult([host(H1, 'host1', [warn])]),
    show: null,
    central: CENTRAL_OK,
    ovnRemote: SB,
  })
  assert.equal(warned.ok, true)
})

test('setup fixes name the southbound remotes doctor was given, else REMOTE; a stopped ovn-controller is service start', () => {
  const missing: Check = {
    id: 'keys.required',
    status: 'fail',
    message: 'missing: ovn-remote',
    hint: 'run xapi-ovn setup',
  }
  const stopped: Check = {
    id: 'controller.running',
    status: 'fail',
    message: 'ovn-controller is not running',
    hint: 'x',
  }
  const given = planDoctor({
    verify: verifyResult([host(H1, 'host1', [missing, stopped])]),
    show: null,
    central: CENTRAL_OK,
    ovnRemote: SB,
  })
  assert.deepEqual(
    given.findings.map((f) => f.fix),
    [`xapi-ovn setup --host ${H1} --ovn-remote ${SB}`, `xapi-ovn service start --host ${H1}`],
  )
  const none = planDoctor({
    verify: verifyResult([host(H1, 'host1', [missing])]),
    show: null,
    central: [],
    ovnRemote: null,
  })
  assert.equal(
    none.findings.find((f) => f.code === 'keys.required')?.fix,
    `xapi-ovn setup --host ${H1} --ovn-remote REMOTE`,
  )
})

test('no central given: one warning saying so, with the command that checks it', () => {
  const r = planDoctor({ verify: verifyResult(ALL_GOOD), show: null, central: [], ovnRemote: null })
  assert.equal(r.ok, true)
  assert.equal(r.centralChecked, false)
  assert.deepEqual(
    r.findings.map((f) => [f.severity, f.code, f.fix]),
    [['warning', 'central.not-checked', 'xapi-ovn doctor --nb REMOTE --sb REMOTE']],
  )
})

test('a southbound that does not answer, and a host that could not be asked: errors with their hints', () => {
  const offline: HostOutcome<ChassisVerify> = {
    host: { ref: 'OpaqueRef:h3', uuid: 'h3-uuid', name: 'host3', address: '192.0.2.23', live: false },
    ok: false,
    error: {
      code: 'HOST_OFFLINE',
      params: ['OpaqueRef:h3'],
      message: 'the host is offline',
      hint: 'bring the host back',
    },
  }
  const r = planDoctor({
    verify: verifyResult([...ALL_GOOD, offline]),
    show: null,
    central: [
      { db: 'northbound', remote: 'tcp:192.0.2.10:6641', ok: true },
      {
        db: 'southbound',
        remote: SB,
        ok: false,
        error: { code: 'OVN_OVSDB_UNAVAILABLE', params: [SB, 'ECONNREFUSED'], message: 'refused', hint: null },
      },
    ],
    ovnRemote: SB,
  })
  assert.equal(r.ok, false)
  assert.deepEqual(
    r.findings.map((f) => [f.severity, f.code, f.subject]),
    [
      ['error', 'central.southbound', `southbound ${SB}`],
      ['error', 'HOST_OFFLINE', 'host3'],
    ],
  )
  assert.match(r.findings[0]?.message ?? '', /OVN_OVSDB_UNAVAILABLE: refused/)
  assert.match(r.findings[0]?.hint ?? '', /--sb \(or OVN_SB_DB\)/)
  assert.equal(r.findings[1]?.hint, 'bring the host back')
  assert.equal(r.hosts.find((h) => h.name === 'host3')?.verdict, 'unreachable')
})

test("show's findings come in with show's fix and their severity: an orphan port warns, a host without chassis is an error", () => {
  const s = healthy()
  s.sb = { ...s.sb, chassis: s.sb.chassis.filter((c) => c.name !== H2) }
  const view = planShow(s)
  const noChassis = view.findings.find((f) => f.code === FINDING_CODES.hostNoChassis)
  assert.ok(noChassis !== undefined, JSON.stringify(view.findings))
  const r = planDoctor({ verify: verifyResult(ALL_GOOD), show: view, central: CENTRAL_OK, ovnRemote: SB })
  const f = r.findings.find((x) => x.code === FINDING_CODES.hostNoChassis)
  assert.equal(f?.severity, 'error')
  // show's fix, with the southbound remotes doctor was given in place of REMOTE
  assert.equal(noChassis.fix, `xapi-ovn setup --host ${H2} --ovn-remote REMOTE`)
  assert.equal(f?.fix, `xapi-ovn setup --host ${H2} --ovn-remote ${SB}`)
  assert.equal(r.ok, false)
  // Every show code has a severity (the table is total: a new code without one fails to compile).
  assert.deepEqual(Object.keys(SHOW_SEVERITY).sort(), Object.values(FINDING_CODES).sort())
})

test('the pool network check without its network: an error fixed by setup', () => {
  const r = planDoctor({
    verify: {
      ...verifyResult(ALL_GOOD),
      checks: [
        { id: 'network.exists', status: 'fail', message: 'no network named ovn-int', hint: 'run xapi-ovn setup' },
      ],
    },
    show: null,
    central: CENTRAL_OK,
    ovnRemote: SB,
  })
  assert.deepEqual(
    r.findings.map((f) => [f.code, f.subject, f.fix]),
    [['network.exists', 'pool lab', `xapi-ovn setup --ovn-remote ${SB}`]],
  )
})
