/**
 * fn=service. This machine has no systemd, so the OVN_SYSTEMD_UNAVAILABLE path is tested for
 * real; the systemctl path runs a fake `systemctl` (and `journalctl`) put first in PATH, which
 * records its exact argv and environment and answers like systemd would.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  CONTROLLER_UNIT,
  SHOW_PROPERTIES,
  createService,
  parseShow,
  service,
  serviceState,
  stateFromShow,
  type ServiceState,
} from '../../plugin/functions/service.js'
import { pathsFromEnv, type PluginContext } from '../../plugin/context.js'
import { memoryLogger } from '../../lib/log.js'
import { XapiOvnError } from '../../lib/errors.js'
import { registerTeardown } from '../../lab/cleanup.js'
import { tempDirPrefix } from '../../lab/names.js'

const SHOW_ARGS = ['show', '--no-pager', `--property=${SHOW_PROPERTIES.join(',')}`, CONTROLLER_UNIT]
const DROP_IN = '/usr/lib/systemd/system/ovn-controller.service.d/xapi-ovn.conf'

interface Fake {
  readonly dir: string
  readonly bin: string
  readonly runtimeDir: string
  readonly ctx: PluginContext
  readonly lines: string[]
  /** Every call so far: argv including the program path. */
  calls(): string[][]
  /** The environment the last call got. */
  lastEnv(): Record<string, string>
  setState(active: boolean): void
  failNext(verb: string, message: string): void
}

const SEP = '\u001f'

function fake(t: { after: (fn: () => void) => void }): Fake {
  const dir = mkdtempSync(tempDirPrefix('svc'))
  const reg = registerTeardown(`fake systemd ${dir}`, () => rmSync(dir, { recursive: true, force: true }))
  t.after(() => {
    rmSync(dir, { recursive: true, force: true })
    reg.release()
  })
  const bin = join(dir, 'bin')
  const runtimeDir = join(dir, 'run-systemd-system')
  mkdirSync(bin)
  mkdirSync(runtimeDir)
  const log = join(dir, 'calls')
  // Absolute paths only: the function may give it a PATH holding nothing but this directory.
  // Records `$0 "$@"` as one line, fields separated by \x1f, and its environment; answers `show`
  // from the state file; fails a verb whose fail-<verb> file exists, with that file's message.
  const script = (name: string): string => `#!/bin/sh
printf '%s\\037' "$0" "$@" >> '${log}'
printf '\\n' >> '${log}'
/usr/bin/env > '${dir}/env'
if [ "${name}" = journalctl ]; then
  echo "ovn-chassis: bridge xapi1 (external_ids:ovn-bridge) has no external_ids:xs-network-uuids yet"
  echo "ovn-controller.service: Control process exited, code=exited status=1"
  exit 0
fi
for a in "$@"; do
  case "$a" in
    show) /bin/cat '${dir}/state'; exit 0 ;;
    start|stop|restart|enable|disable)
      if [ -f '${dir}/fail-'"$a" ]; then /bin/cat '${dir}/fail-'"$a" >&2; /bin/rm -f '${dir}/fail-'"$a"; exit 1; fi
      exit 0 ;;
  esac
done
exit 0
`
  for (const name of ['systemctl', 'journalctl']) {
    writeFileSync(join(bin, name), script(name))
    chmodSync(join(bin, name), 0o755)
  }
  const { log: logger, lines } = memoryLogger()
  const ctx: PluginContext = {
    paths: pathsFromEnv({ OVS_RUNDIR: dir }),
    log: logger,
    now: () => new Date(),
    sleep: async () => {},
  }
  const f: Fake = {
    dir,
    bin,
    runtimeDir,
    ctx,
    lines,
    calls: () =>
      (existsSync(log) ? readFileSync(log, 'utf8') : '')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split(SEP).slice(0, -1)),
    lastEnv: () =>
      Object.fromEntries(
        readFileSync(join(dir, 'env'), 'utf8')
          .split('\n')
          .filter((l) => l.includes('='))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      ),
    setState: (active) =>
      writeFileSync(
        join(dir, 'state'),
        [
          `Id=${CONTROLLER_UNIT}`,
          'LoadState=loaded',
          `ActiveState=${active ? 'active' : 'inactive'}`,
          `SubState=${active ? 'running' : 'dead'}`,
          'UnitFileState=enabled',
          `MainPID=${active ? 2412 : 0}`,
          `ActiveEnterTimestamp=${active ? 'Tue 2026-11-24 13:05:31 UTC' : ''}`,
          'Result=success',
          `DropInPaths=${DROP_IN}`,
          '',
        ].join('\n'),
      ),
    failNext: (verb, message) => writeFileSync(join(dir, `fail-${verb}`), `${message}\n`),
  }
  f.setState(false)
  return f
}

function code(err: unknown): string {
  return err instanceof XapiOvnError ? err.code : String(err)
}

test('this host has no systemd: OVN_SYSTEMD_UNAVAILABLE for real, for every action', async () => {
  assert.equal(existsSync('/run/systemd/system'), false, 'precondition: the test machine does not run systemd')
  const ctx: PluginContext = {
    paths: pathsFromEnv({ OVS_RUNDIR: '/nonexistent' }),
    log: memoryLogger().log,
    now: () => new Date(),
    sleep: async () => {},
  }
  for (const action of ['status', 'start', 'stop', 'restart', 'enable', 'disable']) {
    await assert.rejects(service({ action }, ctx), (e: unknown) => {
      assert.ok(e instanceof XapiOvnError)
      assert.equal(e.code, 'OVN_SYSTEMD_UNAVAILABLE')
      assert.match(e.params[0] ?? '', /not booted with systemd \(\/run\/systemd\/system does not exist\)/)
      return true
    })
  }
  await assert.rejects(serviceState(), (e: unknown) => code(e) === 'OVN_SYSTEMD_UNAVAILABLE')
})

test('systemd runs but systemctl is not in PATH: OVN_SYSTEMD_UNAVAILABLE', async (t) => {
  const f = fake(t)
  const svc = createService({ systemdRuntimeDir: f.runtimeDir, path: join(f.dir, 'empty') })
  await assert.rejects(svc({ action: 'status' }, f.ctx), (e: unknown) => {
    assert.equal(code(e), 'OVN_SYSTEMD_UNAVAILABLE')
    assert.match((e as XapiOvnError).params[0] ?? '', /systemctl is not in PATH/)
    return true
  })
})

test('status runs exactly `systemctl show` for ovn-controller.service, found first in PATH', async (t) => {
  const f = fake(t)
  const saved = process.env.PATH
  process.env.PATH = `${f.bin}:${saved ?? ''}`
  let state: ServiceState
  try {
    state = (await createService({ systemdRuntimeDir: f.runtimeDir })({ action: 'status' }, f.ctx)) as ServiceState
  } finally {
    process.env.PATH = saved
  }
  assert.deepEqual(f.calls(), [[join(f.bin, 'systemctl'), ...SHOW_ARGS]])
  const env = f.lastEnv()
  assert.equal(env.PATH, `${f.bin}:${saved ?? ''}`)
  assert.equal(env.LC_ALL, 'C')
  assert.equal(env.SYSTEMD_PAGER, '')
  assert.deepEqual(state, {
    action: 'status',
    unit: CONTROLLER_UNIT,
    active: false,
    enabled: true,
    loaded: true,
    activeState: 'inactive',
    subState: 'dead',
    loadState: 'loaded',
    unitFileState: 'enabled',
    mainPid: null,
    since: null,
    result: 'success',
    dropIns: [DROP_IN],
    bootWait: true,
  })
})

test('start, stop, restart, enable, disable: the verb, then show; no-block queues the job', async (t) => {
  const f = fake(t)
  const svc = createService({ systemdRuntimeDir: f.runtimeDir, path: `${f.bin}:/usr/bin:/bin` })
  const systemctl = join(f.bin, 'systemctl')
  const cases: [Record<string, string>, string[]][] = [
    [{ action: 'start' }, ['start', CONTROLLER_UNIT]],
    [{ action: 'start', 'no-block': 'true' }, ['--no-block', 'start', CONTROLLER_UNIT]],
    [{ action: 'stop', 'no-block': 'false' }, ['stop', CONTROLLER_UNIT]],
    [{ action: 'restart' }, ['restart', CONTROLLER_UNIT]],
    [{ action: 'enable' }, ['enable', CONTROLLER_UNIT]],
    [{ action: 'disable' }, ['disable', CONTROLLER_UNIT]],
  ]
  let seen = 0
  for (const [args, verb] of cases) {
    f.setState(args.action !== 'stop')
    const state = (await svc(args, f.ctx)) as ServiceState
    const calls = f.calls().slice(seen)
    seen += calls.length
    assert.deepEqual(
      calls,
      [
        [systemctl, ...verb],
        [systemctl, ...SHOW_ARGS],
      ],
      JSON.stringify(args),
    )
    assert.equal(state.action, args.action)
    assert.equal(state.active, args.action !== 'stop')
  }
  const started = (await svc({ action: 'restart' }, f.ctx)) as ServiceState
  assert.equal(started.mainPid, 2412)
  assert.equal(started.since, 'Tue 2026-11-24 13:05:31 UTC')
  assert.ok(
    f.lines.some((l) =>
      /info service action \{"action":"restart","unit":"ovn-controller.service","noBlock":false\}/.test(l),
    ),
    f.lines.join('\n'),
  )
  assert.ok(!existsSync(join(f.dir, 'xapi-ovn-service.lock')), 'lock released')
})

test('a failing job: OVN_SERVICE_FAILED [action, unit, message + journal tail]', async (t) => {
  const f = fake(t)
  const svc = createService({ systemdRuntimeDir: f.runtimeDir, path: f.bin })
  f.failNext('start', 'Job for ovn-controller.service failed because the control process exited with error code.')
  await assert.rejects(svc({ action: 'start' }, f.ctx), (e: unknown) => {
    assert.ok(e instanceof XapiOvnError)
    assert.equal(e.code, 'OVN_SERVICE_FAILED')
    assert.equal(e.params[0], 'start')
    assert.equal(e.params[1], CONTROLLER_UNIT)
    assert.match(
      e.params[2] ?? '',
      /^Job for ovn-controller.service failed because the control process exited with error code\. \| journal: ovn-chassis: bridge xapi1 .* \| ovn-controller.service: Control process exited/,
    )
    return true
  })
  assert.deepEqual(f.calls(), [
    [join(f.bin, 'systemctl'), 'start', CONTROLLER_UNIT],
    [join(f.bin, 'journalctl'), '--no-pager', '--output=cat', '--lines=10', `--unit=${CONTROLLER_UNIT}`],
  ])
})

test('arguments are checked before anything runs', async (t) => {
  const f = fake(t)
  const svc = createService({ systemdRuntimeDir: f.runtimeDir, path: f.bin })
  const cases: [Record<string, string>, string, string[]][] = [
    [{}, 'OVN_MISSING_ARGUMENT', ['action']],
    [
      { action: 'reload' },
      'OVN_INVALID_ARGUMENT',
      ['action', 'reload', 'expected one of status, start, stop, restart, enable, disable'],
    ],
    [{ action: 'start', unit: 'sshd.service' }, 'OVN_UNKNOWN_ARGUMENT', ['unit']],
    [{ action: 'start', 'no-block': 'yes' }, 'OVN_INVALID_ARGUMENT', ['no-block', 'yes', 'expected true or false']],
    [
      { action: 'enable', 'no-block': 'true' },
      'OVN_INVALID_ARGUMENT',
      ['no-block', 'true', 'only start, stop and restart queue a job'],
    ],
  ]
  for (const [args, expectedCode, params] of cases) {
    await assert.rejects(
      svc(args, f.ctx),
      (e: unknown) =>
        e instanceof XapiOvnError && e.code === expectedCode && JSON.stringify(e.params) === JSON.stringify(params),
      JSON.stringify(args),
    )
  }
  assert.deepEqual(f.calls(), [])
})

test('systemctl show output of a unit that is not installed', () => {
  const props = parseShow(
    'Id=ovn-controller.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nUnitFileState=\nMainPID=0\nActiveEnterTimestamp=\nResult=success\nDropInPaths=\n',
  )
  const s = stateFromShow('status', CONTROLLER_UNIT, props)
  assert.equal(s.loaded, false)
  assert.equal(s.enabled, false)
  assert.equal(s.bootWait, false)
  assert.deepEqual(s.dropIns, [])
})
