import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  EXIT_READY,
  EXIT_TIMEOUT,
  EXIT_UNCONFIGURED,
  EXIT_USAGE,
  EXIT_WRONG_NETWORK,
  bootWaitMain,
  describe,
  judgeBridge,
  parseBootWaitArgs,
  waitForXapiBridge,
  type Readiness,
} from '../../plugin/boot-wait.js'
import type { ChassisSnapshot } from '../../lib/chassis/model.js'

const NET = '6f0e8a1c-3b2d-4c5e-9f70-8a9b0c1d2e3f'
const OTHER = '0b0f3b4e-1111-4222-8333-444455556666'

function snapshot(
  ext: Record<string, string>,
  bridges: { name: string; ids?: Record<string, string> }[],
): ChassisSnapshot {
  return {
    ovs: { uuid: 'ovs', externalIds: new Map(Object.entries(ext)) },
    bridges: bridges.map((b, i) => ({
      uuid: `br${i}`,
      name: b.name,
      externalIds: new Map(Object.entries(b.ids ?? {})),
      failMode: null,
      datapathType: '',
      portUuids: [],
    })),
    ports: [],
    interfaces: [],
  }
}

test('judgeBridge: every state of the integration bridge', () => {
  const cases: [string, ChassisSnapshot, Readiness][] = [
    ['not configured', snapshot({ 'system-id': 'h' }, [{ name: 'br-int' }]), { state: 'unconfigured' }],
    ['empty ovn-bridge', snapshot({ 'ovn-bridge': '' }, []), { state: 'unconfigured' }],
    [
      'wiped at boot',
      snapshot({ 'ovn-bridge': 'xapi1' }, [{ name: 'xenbr0', ids: { 'xs-network-uuids': OTHER } }]),
      { state: 'missing', bridge: 'xapi1' },
    ],
    [
      'made by ovn-controller',
      snapshot({ 'ovn-bridge': 'xapi1' }, [{ name: 'xapi1' }]),
      { state: 'not-xapi', bridge: 'xapi1' },
    ],
    [
      'XAPI bridge',
      snapshot({ 'ovn-bridge': 'xapi1' }, [{ name: 'xapi1', ids: { 'xs-network-uuids': NET } }]),
      { state: 'ready', bridge: 'xapi1', networks: [NET] },
    ],
    [
      'XAPI VLAN bridge, recorded network among its uuids',
      snapshot({ 'ovn-bridge': 'xapi1', 'xapi-ovn-network-uuid': NET }, [
        { name: 'xapi1', ids: { 'xs-network-uuids': `${OTHER};${NET}` } },
      ]),
      { state: 'ready', bridge: 'xapi1', networks: [OTHER, NET] },
    ],
    [
      'another network',
      snapshot({ 'ovn-bridge': 'xapi1', 'xapi-ovn-network-uuid': NET }, [
        { name: 'xapi1', ids: { 'xs-network-uuids': OTHER } },
      ]),
      { state: 'wrong-network', bridge: 'xapi1', networks: [OTHER], expected: NET },
    ],
  ]
  for (const [name, s, expected] of cases) assert.deepEqual(judgeBridge(s), expected, name)
  // After a reboot conf.db is empty until the host agent re-applies the persisted configuration:
  // that is a wait for the agent, not an unconfigured host. A configured database wins.
  const persisted = '/etc/xapi-ovn/chassis.json'
  assert.deepEqual(judgeBridge(snapshot({ 'system-id': 'h' }, []), persisted), { state: 'awaiting-agent', persisted })
  assert.deepEqual(judgeBridge(snapshot({ 'ovn-bridge': 'xapi1' }, []), persisted), {
    state: 'missing',
    bridge: 'xapi1',
  })
})

test('describe says what is awaited and what to do', () => {
  assert.match(
    describe({ state: 'missing', bridge: 'xapi1' }),
    /xapi1 .*does not exist yet: XAPI creates it when a VIF .*\(xapi-ovn setup attaches it/,
  )
  assert.match(describe({ state: 'not-xapi', bridge: 'xapi1' }), /no external_ids:xs-network-uuids/)
  assert.match(describe({ state: 'unconfigured' }), /not configured as an OVN chassis yet \(xapi-ovn setup\).* br-int/)
  assert.match(
    describe({ state: 'awaiting-agent', persisted: '/etc/xapi-ovn/chassis.json' }),
    /host agent re-applies the persisted chassis configuration \(\/etc\/xapi-ovn\/chassis\.json\).*systemctl status xapi-ovn-agent/,
  )
  assert.match(
    describe({ state: 'wrong-network', bridge: 'xapi1', networks: [OTHER], expected: NET }),
    new RegExp(`${OTHER}.*${NET}`),
  )
})

/** A clock that only moves when the waiter sleeps. */
function fakeTime(): { now: () => number; sleep: (ms: number) => Promise<void>; slept: number[] } {
  let t = 1_000_000
  const slept: number[] = []
  return {
    now: () => t,
    sleep: async (ms) => {
      slept.push(ms)
      t += ms
    },
    slept,
  }
}

test('the wait logs each change of state once, and ends ready when XAPI brings the bridge', async () => {
  const states: Readiness[] = [
    { state: 'unreadable', reason: 'connection refused' },
    { state: 'missing', bridge: 'xapi1' },
    { state: 'missing', bridge: 'xapi1' },
    { state: 'missing', bridge: 'xapi1' },
    { state: 'not-xapi', bridge: 'xapi1' },
    { state: 'ready', bridge: 'xapi1', networks: [NET] },
  ]
  const clock = fakeTime()
  const lines: string[] = []
  let i = 0
  const out = await waitForXapiBridge({
    timeoutMs: 60_000,
    intervalMs: 1000,
    probe: async () => states[i++] as Readiness,
    log: (l) => lines.push(l),
    ...clock,
  })
  assert.equal(out.exitCode, EXIT_READY)
  assert.equal(out.probes, 6)
  assert.deepEqual(lines, [
    describe(states[0] as Readiness),
    describe(states[1] as Readiness),
    describe(states[4] as Readiness),
    describe(states[5] as Readiness),
  ])
  assert.deepEqual(clock.slept, [1000, 1000, 1000, 1000, 1000])
})

test('the wait gives up at the deadline, with an exit code saying what it was still waiting for', async () => {
  const clock = fakeTime()
  const lines: string[] = []
  const timedOut = await waitForXapiBridge({
    timeoutMs: 3500,
    intervalMs: 1000,
    probe: async () => ({ state: 'missing', bridge: 'xapi1' }),
    log: (l) => lines.push(l),
    ...clock,
  })
  assert.equal(timedOut.exitCode, EXIT_TIMEOUT)
  assert.deepEqual(clock.slept, [1000, 1000, 1000, 500], 'never sleeps past the deadline')
  assert.equal(timedOut.probes, 5)
  assert.match(lines.at(-1) ?? '', /^gave up after 4s, still: bridge xapi1 .*does not exist yet.*Restart=on-failure/)

  // Not configured yet, or the bridge of another network: waited for too (configure may come),
  // and the exit code tells `systemctl status` why.
  for (const [r, code] of [
    [{ state: 'unconfigured' }, EXIT_UNCONFIGURED],
    [{ state: 'awaiting-agent', persisted: '/etc/xapi-ovn/chassis.json' }, EXIT_TIMEOUT],
    [{ state: 'wrong-network', bridge: 'xapi1', networks: [OTHER], expected: NET }, EXIT_WRONG_NETWORK],
    [{ state: 'not-xapi', bridge: 'xapi1' }, EXIT_TIMEOUT],
  ] as [Readiness, number][]) {
    const c = fakeTime()
    const out = await waitForXapiBridge({
      timeoutMs: 2000,
      intervalMs: 1000,
      probe: async () => r,
      log: () => undefined,
      ...c,
    })
    assert.equal(out.exitCode, code)
    assert.equal(out.probes, 3)
  }
  // ... and a host configured while we wait starts as soon as its bridge is XAPI's.
  const c = fakeTime()
  const seq: Readiness[] = [
    { state: 'unconfigured' },
    { state: 'unconfigured' },
    { state: 'missing', bridge: 'xapi1' },
    { state: 'ready', bridge: 'xapi1', networks: [NET] },
  ]
  let k = 0
  assert.equal(
    (
      await waitForXapiBridge({
        timeoutMs: 60_000,
        intervalMs: 1000,
        probe: async () => seq[k++] as Readiness,
        log: () => undefined,
        ...c,
      })
    ).exitCode,
    EXIT_READY,
  )
})

test('arguments', () => {
  assert.deepEqual(parseBootWaitArgs([]), { timeoutS: 120, intervalS: 1, db: null })
  assert.deepEqual(parseBootWaitArgs(['--timeout', '300', '--interval=0.2', '--db', 'unix:/x/db.sock']), {
    timeoutS: 300,
    intervalS: 0.2,
    db: 'unix:/x/db.sock',
  })
  for (const bad of [
    ['--timeout'],
    ['--timeout', '-1'],
    ['--interval', '0'],
    ['--timeout', 'ten'],
    ['--frobnicate'],
    ['xapi1'],
  ]) {
    assert.throws(() => parseBootWaitArgs(bad), Error, bad.join(' '))
  }
})

test('the program: usage errors exit 2; an unreachable database is waited for, then exit 1', async () => {
  const lines: string[] = []
  assert.equal(await bootWaitMain(['--bogus'], {}, (l) => lines.push(l)), EXIT_USAGE)
  assert.match(lines[0] ?? '', /^ovn-wait-bridge: unknown argument "--bogus" \(usage: /)
  lines.length = 0
  const code = await bootWaitMain(['--timeout', '0', '--db', 'unix:/nonexistent/db.sock'], {}, (l) => lines.push(l))
  assert.equal(code, EXIT_TIMEOUT)
  assert.match(
    lines[0] ?? '',
    /^ovn-wait-bridge: waiting up to 0s for the integration bridge \(external_ids:ovn-bridge in unix:\/nonexistent\/db.sock\)/,
  )
  assert.match(lines[1] ?? '', /^ovn-wait-bridge: cannot read the Open_vSwitch database yet: /)
  assert.match(lines[2] ?? '', /^ovn-wait-bridge: gave up after 0s/)
})
