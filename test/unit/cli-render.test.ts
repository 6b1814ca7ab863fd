import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  renderDoctor,
  renderPorts,
  renderProgress,
  renderRepair,
  renderService,
  renderSetup,
  renderStatus,
  renderTable,
  renderTeardown,
  renderVerify,
} from '../../lib/cli/render.js'
import { failureFromCode } from '../../lib/pool/failures.js'
import type { HostInfo } from '../../lib/pool/plan-setup.js'
import type { ChassisChange, ChassisStatus } from '../../lib/pool/plugin-replies.js'
import type { PoolInfo, SetupResult, StatusResult, TeardownResult, VerifyResult } from '../../lib/pool/results.js'
import type { RepairResult } from '../../lib/pool/repair.js'
import type { ServiceResult } from '../../lib/pool/service.js'
import type { ServiceState } from '../../lib/pool/plugin-replies.js'
import type { DoctorResult } from '../../lib/doctor/plan-doctor.js'

const POOL: PoolInfo = { uuid: 'p-uuid', name: 'lab', url: 'https://192.0.2.1' }
const host = (i: number): HostInfo => ({
  ref: `OpaqueRef:h${i}`,
  uuid: `u${i}`,
  name: `host${i}`,
  address: `192.0.2.2${i}`,
  live: true,
})
const NETWORK = { ref: 'OpaqueRef:n', uuid: 'net-uuid', nameLabel: 'ovn-int', bridge: 'xapi0', failMode: 'secure' }
const TRANSPORT = (i: number) => ({
  pifUuid: `pif${i}`,
  device: 'eth0',
  vlan: -1,
  kind: 'physical' as const,
  ip: `192.0.2.2${i}`,
  family: 'IPv4' as const,
})
const change = (changed: boolean): ChassisChange => ({
  changed,
  dryRun: false,
  before: { 'ovn-bridge': changed ? null : 'xapi0' },
  after: { 'ovn-bridge': 'xapi0' },
  changes: changed
    ? [
        { key: 'ovn-bridge', from: null, to: 'xapi0' },
        { key: 'ovn-remote', from: null, to: 'tcp:192.0.2.10:6642' },
      ]
    : [],
})

function setupResult(): SetupResult {
  return {
    operation: 'setup',
    pool: POOL,
    dryRun: false,
    removals: [],
    network: { action: 'created', nameLabel: 'ovn-int', network: NETWORK, failModeSet: false },
    hosts: [
      { host: host(1), ok: true, value: { transport: TRANSPORT(1), args: {}, chassis: change(true), pending: null } },
      { host: host(2), ok: true, value: { transport: TRANSPORT(2), args: {}, chassis: change(false), pending: null } },
      { host: host(3), ok: false, error: failureFromCode('HOST_OFFLINE', ['OpaqueRef:h3']) },
    ],
    ok: false,
    changed: true,
  }
}

test('tables pad every column to its widest cell', () => {
  assert.equal(
    renderTable(
      ['A', 'LONGER'],
      [
        ['xyz', '1'],
        ['w', '22'],
      ],
    ),
    'A    LONGER\nxyz  1\nw    22',
  )
})

test('setup: one row per host, the failure with its hint, and a verdict that says FAILED', () => {
  const text = renderSetup(setupResult())
  const lines = text.split('\n')
  assert.ok(
    lines.some((l) => /^host1\s+192\.0\.2\.21\s+eth0 192\.0\.2\.21\s+changed\s+2 keys change$/.test(l)),
    text,
  )
  assert.ok(
    lines.some((l) => /^host2\s.*unchanged\s+nothing to change$/.test(l)),
    text,
  )
  assert.ok(
    lines.some((l) => /^host3\s.*FAILED\s+HOST_OFFLINE$/.test(l)),
    text,
  )
  assert.match(text, /host3: HOST_OFFLINE: the host is offline/)
  assert.match(text, /hint: bring the host back/)
  assert.match(text, /network ovn-int \(net-uuid\), bridge xapi0: created/)
  assert.match(
    lines[lines.length - 1] ?? '',
    /^FAILED on 1 of 3 hosts: 2 of 3 hosts configured \(1 changed, 1 unchanged\)$/,
  )
})

test('setup: all good says OK and what to do next', () => {
  const r = setupResult()
  const ok: SetupResult = { ...r, hosts: r.hosts.slice(0, 2), ok: true }
  const text = renderSetup(ok)
  assert.match(text, /OK: 2 of 2 hosts configured \(1 changed, 1 unchanged\)/)
  assert.match(text, /verify --wait/)
  assert.match(text, /^next: xapi-ovn service start /m)
})

const unit = (active: boolean, pid: number | null): ServiceState => ({
  action: 'restart',
  unit: 'ovn-controller.service',
  active,
  enabled: true,
  loaded: true,
  activeState: active ? 'active' : 'failed',
  subState: active ? 'running' : 'failed',
  loadState: 'loaded',
  unitFileState: 'enabled',
  mainPid: pid,
  since: null,
  result: active ? 'success' : 'exit-code',
  dropIns: [],
  bootWait: false,
})

test('service: one row per host with its unit state; a unit not active after restart and a host without systemd fail', () => {
  const r: ServiceResult = {
    operation: 'service',
    pool: POOL,
    action: 'restart',
    hosts: [
      { host: host(1), ok: true, value: unit(true, 4242) },
      { host: host(2), ok: true, value: unit(false, null) },
      { host: host(3), ok: false, error: failureFromCode('OVN_SYSTEMD_UNAVAILABLE', ['no /run/systemd/system']) },
    ],
    ok: false,
  }
  const text = renderService(r)
  assert.match(text, /^service restart of pool lab/)
  assert.match(text, /^host1\s+192\.0\.2\.21\s+ok\s+active\/running\s+4242\s+enabled\s+NO$/m)
  assert.match(text, /^host2\s+192\.0\.2\.22\s+NOT REACHED\s+failed\/failed\s+-\s+enabled\s+NO$/m)
  assert.match(text, /^host3\s+192\.0\.2\.23\s+FAILED\s+OVN_SYSTEMD_UNAVAILABLE$/m)
  assert.match(text, /^FAILED on 2 of 3 hosts: ovn-controller active on 1 of 3 hosts$/m)
})

test('repair: removed or would remove per host, what is left listed, NOT DONE while something is', () => {
  const r: RepairResult = {
    operation: 'repair',
    pool: POOL,
    dryRun: true,
    hosts: [
      {
        host: host(1),
        ok: true,
        value: { changed: false, dryRun: true, removed: [{ name: 'br-int', ports: [] }], left: [] },
      },
      {
        host: host(2),
        ok: true,
        value: { changed: false, dryRun: true, removed: [], left: ['xapi0 has no XAPI ids: run xapi-ovn setup'] },
      },
    ],
    ok: false,
    changed: true,
  }
  const text = renderRepair(r)
  assert.match(text, /^repair \(dry run\) of pool lab/)
  assert.match(text, /^host1\s+192\.0\.2\.21\s+would remove br-int$/m)
  assert.match(text, /^host2\s+192\.0\.2\.22\s+nothing to remove\s+1 thing left$/m)
  assert.match(text, /^host2:\n {2}left: xapi0 has no XAPI ids: run xapi-ovn setup$/m)
  assert.match(text, /^NOT DONE: 1 of 2 hosts would be in order$/m)
})

test('doctor: hosts with their verdict, each finding with its fix and hint, the tally', () => {
  const r: DoctorResult = {
    operation: 'doctor',
    pool: POOL,
    hosts: [
      { name: 'host1', uuid: 'u1', verdict: 'fail' },
      { name: 'host2', uuid: 'u2', verdict: 'unreachable' },
    ],
    centralChecked: false,
    errors: 1,
    warnings: 1,
    findings: [
      {
        severity: 'error',
        code: 'controller.running',
        subject: 'host1',
        message: 'ovn-controller is not running',
        fix: 'xapi-ovn service start --host u1',
        hint: null,
      },
      { severity: 'warning', code: 'vifs.hvm-pairs', subject: 'host1', message: 'vif+tap', fix: null, hint: 'wait' },
    ],
    ok: false,
  }
  const text = renderDoctor(r)
  assert.match(text, /^host1\s+u1\s+FAIL$/m)
  assert.match(text, /^host2\s+u2\s+UNREACHABLE$/m)
  assert.match(text, /^the central was not read \(give --nb and --sb\)$/m)
  assert.match(
    text,
    /^ERROR controller\.running \(host1\): ovn-controller is not running\n {2}fix: xapi-ovn service start --host u1$/m,
  )
  assert.match(text, /^warning vifs\.hvm-pairs \(host1\): vif\+tap\n {2}hint: wait$/m)
  assert.match(text, /^FAIL: 1 error, 1 warning$/m)
})

test('setup dry run: the plan of each host that would change is listed key by key', () => {
  const r = setupResult()
  const text = renderSetup({
    ...r,
    dryRun: true,
    network: { action: 'would-create', nameLabel: 'ovn-int', network: null, failModeSet: true },
    hosts: r.hosts.slice(0, 2),
    ok: true,
  })
  assert.match(text, /setup \(dry run\)/)
  assert.match(text, /network ovn-int: would be created; vswitch-controller-fail-mode=secure would be set/)
  assert.match(text, /host1 would change:\n {2}ovn-bridge: \(absent\) -> xapi0/)
  assert.match(text, /OK: 2 of 2 hosts planned/)
})

test('verify: verdict per host, every failed and warning check with its hint, pool checks first', () => {
  const r: VerifyResult = {
    operation: 'verify',
    pool: POOL,
    network: NETWORK,
    checks: [{ id: 'network.exists', status: 'pass', message: 'network ovn-int', hint: null }],
    hosts: [
      {
        host: host(1),
        ok: true,
        value: {
          ok: true,
          hostUuid: 'u1',
          waited: 0,
          checks: [{ id: 'keys.required', status: 'pass', message: 'ok', hint: null }],
        },
      },
      {
        host: host(2),
        ok: true,
        value: {
          ok: false,
          hostUuid: 'u2',
          waited: 30,
          checks: [
            {
              id: 'controller.connected',
              status: 'fail',
              message: 'ovn-controller is not connected',
              hint: 'check that ovn-remote is reachable',
            },
            {
              id: 'vifs.installed',
              status: 'warn',
              message: 'not yet installed: vif3.0',
              hint: 'create a logical switch port',
            },
          ],
        },
      },
      { host: host(3), ok: false, error: failureFromCode('XENAPI_MISSING_PLUGIN', ['ovn-chassis']) },
    ],
    ok: false,
  }
  const text = renderVerify(r)
  assert.match(text, /^host1\s.*PASS\s+1 pass$/m)
  assert.match(text, /^host2\s.*FAIL\s+0 pass, 1 warn, 1 fail \(waited 30s\)$/m)
  assert.match(text, /^host3\s.*FAILED\s+XENAPI_MISSING_PLUGIN$/m)
  assert.match(
    text,
    /FAIL controller\.connected: ovn-controller is not connected\n\s+hint: check that ovn-remote is reachable/,
  )
  assert.match(text, /warn vifs\.installed: .*\n\s+hint: create a logical switch port/)
  assert.match(
    text,
    /host3: XENAPI_MISSING_PLUGIN: the ovn-chassis plugin is not installed on this host\n\s+hint: install the xapi-ovn RPM/,
  )
  assert.match(text, /FAIL: 1 of 3 hosts pass$/)
})

test('status: chassis, bridge, encap IP, controller and bound VIFs per host; VIFs of the network', () => {
  const chassis: ChassisStatus = {
    hostUuid: 'u1',
    systemId: 'u1',
    configured: true,
    keys: { 'ovn-bridge': 'xapi0', 'ovn-encap-ip': '192.0.2.21' },
    owned: ['ovn-bridge'],
    addresses: [],
    bridge: {
      name: 'xapi0',
      exists: true,
      networkUuids: ['net-uuid'],
      bridgeId: 'net-uuid',
      failMode: 'secure',
      datapathType: 'netdev',
    },
    ports: [
      {
        name: 'vif1.0',
        kind: 'vif',
        type: '',
        ifaceId: 'vif-uuid',
        vifUuid: 'vif-uuid',
        vmUuid: 'vm',
        mac: null,
        ifaceStatus: 'active',
        ovnInstalled: true,
      },
    ],
    controller: { running: true, pid: 1, connection: 'connected', error: null },
  }
  const r: StatusResult = {
    operation: 'status',
    pool: POOL,
    network: {
      ...NETWORK,
      vifs: [
        {
          uuid: 'vif-uuid',
          device: '0',
          mac: '02:00:00:00:00:01',
          vmUuid: 'vm',
          vmName: 'web',
          powerState: 'Running',
          currentlyAttached: true,
          host: 'host1',
          ovnInstalled: true,
          boundOn: 'host1-uuid',
          ovnBound: true,
        },
        {
          uuid: 'vif-moved',
          device: '1',
          mac: '02:00:00:00:00:02',
          vmUuid: 'vm',
          vmName: 'web',
          powerState: 'Running',
          currentlyAttached: true,
          host: 'host1',
          ovnInstalled: true,
          boundOn: 'host2-uuid',
          ovnBound: false,
        },
      ],
    },
    hosts: [
      {
        host: host(1),
        ok: true,
        value: { chassis, transport: TRANSPORT(1), transportProblem: null, onOvnNetwork: true },
      },
    ],
    bindingsProblem: null,
    ok: true,
  }
  const text = renderStatus(r)
  assert.match(text, /^host1\s+192\.0\.2\.21\s+configured\s+xapi0\s+192\.0\.2\.21\s+connected\s+1\/1 VIFs bound$/m)
  // OVN-BOUND from the southbound: a stale ovn-installed does not make a moved binding look right.
  assert.match(text, /^web\s+0\s+02:00:00:00:00:01\s+vif-uuid\s+host1\s+plugged\s+yes\s+yes$/m)
  assert.match(text, /^web\s+1\s+02:00:00:00:00:02\s+vif-moved\s+host1\s+plugged\s+elsewhere \(host2-uuid\)\s+yes$/m)
  const unread = renderStatus({ ...r, bindingsProblem: 'the chassis use ssl:' })
  assert.match(unread, /^OVN-BOUND unknown: the chassis use ssl:$/m)
})

test('teardown: restored per host, the network kept, the verdict', () => {
  const r: TeardownResult = {
    operation: 'teardown',
    pool: POOL,
    dryRun: false,
    network: { action: 'kept', network: NETWORK, reason: null },
    hosts: [
      { host: host(1), ok: true, value: { ...change(true), controllerRunning: false, controllerStopped: false } },
      { host: host(2), ok: true, value: { ...change(false), controllerRunning: false, controllerStopped: false } },
    ],
    ok: true,
    changed: true,
  }
  const text = renderTeardown(r)
  assert.match(text, /^host1\s.*restored\s+2 keys$/m)
  assert.match(text, /^host2\s.*nothing to undo$/m)
  assert.match(text, /network ovn-int \(net-uuid\): kept \(pass --remove-network to remove it\)/)
  assert.match(text, /OK: 2 of 2 hosts torn down/)
  assert.match(
    renderTeardown({ ...r, dryRun: true }),
    /^host1\s.*would restore\s+2 keys$[\s\S]*OK: 2 of 2 hosts planned/m,
  )
})

test('progress lines: finished and failed hosts with a counter; started ones are silent', () => {
  const base = { operation: 'setup' as const, pool: POOL, host: host(2), total: 3 }
  assert.equal(renderProgress({ ...base, type: 'host-started' }, 0, 3), null)
  assert.equal(
    renderProgress({ ...base, type: 'host-finished', changed: true, passed: null }, 1, 3),
    '[1/3] host2: changed',
  )
  assert.equal(
    renderProgress({ ...base, type: 'host-finished', changed: true, passed: null }, 1, 3, true),
    '[1/3] host2: would change',
  )
  assert.equal(
    renderProgress({ ...base, type: 'host-finished', changed: null, passed: false }, 2, 3),
    '[2/3] host2: FAIL',
  )
  assert.equal(
    renderProgress({ ...base, type: 'host-failed', error: failureFromCode('HOST_OFFLINE', []) }, 3, 3),
    '[3/3] host2: FAILED HOST_OFFLINE',
  )
  assert.equal(
    renderProgress(
      { type: 'network', operation: 'setup', pool: POOL, action: 'created', nameLabel: 'ovn-int', network: NETWORK },
      0,
      0,
    ),
    'network ovn-int: created',
  )
})

test('port list: a dynamic port shows what ovn-northd assigned, or that it has not yet', () => {
  const base = {
    uuid: 'u',
    switchUuid: 's',
    switchName: 'tenant-a',
    type: '',
    up: true,
    enabled: null,
    tagRequest: null,
    tag: null,
    options: {},
    externalIds: {},
    dhcpv4Options: null,
    dhcpv6Options: null,
    xapi: null,
  }
  const text = renderPorts([
    { ...base, name: 'p1', addresses: ['02:00:00:00:00:01 dynamic'], dynamicAddresses: '02:00:00:00:00:01 198.18.5.2' },
    { ...base, name: 'p2', addresses: ['02:00:00:00:00:02 dynamic'], dynamicAddresses: null },
    { ...base, name: 'p3', addresses: ['02:00:00:00:00:03 198.18.5.9'], dynamicAddresses: null },
  ])
  assert.match(
    text,
    /^tenant-a\s+p1\s+vif\s+02:00:00:00:00:01 dynamic \(assigned 02:00:00:00:00:01 198\.18\.5\.2\)\s+up/m,
  )
  assert.match(text, /^tenant-a\s+p2\s+vif\s+02:00:00:00:00:02 dynamic \(not assigned yet\)\s+up/m)
  assert.match(text, /^tenant-a\s+p3\s+vif\s+02:00:00:00:00:03 198\.18\.5\.9\s+up/m)
})
