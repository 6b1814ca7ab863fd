// The pool agent's metrics registry (lib/agent/metrics.ts): the exact exposition text a scraper
// reads, escaping, histogram buckets, and refusing what Prometheus would reject.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { XapiOvnError } from '../../lib/errors.js'
import {
  agentMetrics,
  ERRORS,
  escapeLabelValue,
  EVENTS_HANDLED,
  formatValue,
  LOCK_HELD,
  NB_CONNECTED,
  PORTS_MANAGED,
  RECONCILE_DURATION,
  Registry,
} from '../../lib/agent/metrics.js'

const internal = (e: unknown): boolean => e instanceof XapiOvnError && e.code === 'OVN_INTERNAL'

test('a small registry renders exactly: HELP, TYPE, series sorted by labels, a final line feed', () => {
  const r = new Registry()
  const events = r.counter('demo_events_total', 'Events handled, by class.', ['class'])
  const up = r.gauge('demo_up', 'Whether it is up.')
  const lag = r.gauge('demo_lag_seconds', 'Lag.')
  events.inc({ class: 'VM' })
  events.inc({ class: 'VIF' }, 2)
  events.inc({ class: 'VM' })
  up.setBoolean(true)
  lag.set(0.25)
  assert.equal(
    r.render(),
    '# HELP demo_events_total Events handled, by class.\n' +
      '# TYPE demo_events_total counter\n' +
      'demo_events_total{class="VIF"} 2\n' +
      'demo_events_total{class="VM"} 2\n' +
      '# HELP demo_up Whether it is up.\n' +
      '# TYPE demo_up gauge\n' +
      'demo_up 1\n' +
      '# HELP demo_lag_seconds Lag.\n' +
      '# TYPE demo_lag_seconds gauge\n' +
      'demo_lag_seconds 0.25\n',
  )
})

test('a metric without labels shows 0 before anything is recorded; a labelled one shows no series', () => {
  const r = new Registry()
  r.counter('a_total', 'A.')
  r.counter('b_total', 'B.', ['code'])
  assert.equal(
    r.render(),
    '# HELP a_total A.\n# TYPE a_total counter\na_total 0\n# HELP b_total B.\n# TYPE b_total counter\n',
  )
  assert.equal(new Registry().render(), '')
})

test('label values escape backslash, double quote and line feed; HELP escapes backslash and line feed', () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd')
  const r = new Registry()
  r.gauge('g', 'say "hi"\\ then\nmore', ['path']).set(1, { path: 'C:\\tmp\n"x"' })
  assert.equal(r.render(), '# HELP g say "hi"\\\\ then\\nmore\n# TYPE g gauge\ng{path="C:\\\\tmp\\n\\"x\\""} 1\n')
})

test('histogram: cumulative buckets with le, +Inf last, then _sum and _count; an edge value is in its bucket', () => {
  const r = new Registry()
  const h = r.histogram('pass_seconds', 'Pass duration.', [0.1, 1, 5], ['result'])
  for (const v of [0.05, 0.1, 0.7, 3, 60]) h.observe(v, { result: 'ok' })
  h.observe(2, { result: 'error' })
  assert.equal(
    r.render(),
    '# HELP pass_seconds Pass duration.\n' +
      '# TYPE pass_seconds histogram\n' +
      'pass_seconds_bucket{result="error",le="0.1"} 0\n' +
      'pass_seconds_bucket{result="error",le="1"} 0\n' +
      'pass_seconds_bucket{result="error",le="5"} 1\n' +
      'pass_seconds_bucket{result="error",le="+Inf"} 1\n' +
      'pass_seconds_sum{result="error"} 2\n' +
      'pass_seconds_count{result="error"} 1\n' +
      'pass_seconds_bucket{result="ok",le="0.1"} 2\n' +
      'pass_seconds_bucket{result="ok",le="1"} 3\n' +
      'pass_seconds_bucket{result="ok",le="5"} 4\n' +
      'pass_seconds_bucket{result="ok",le="+Inf"} 5\n' +
      'pass_seconds_sum{result="ok"} 63.85\n' +
      'pass_seconds_count{result="ok"} 5\n',
  )
})

test('an unlabelled histogram renders its empty buckets', () => {
  const r = new Registry()
  r.histogram('d_seconds', 'D.', [1])
  assert.equal(
    r.render(),
    '# HELP d_seconds D.\n# TYPE d_seconds histogram\nd_seconds_bucket{le="1"} 0\nd_seconds_bucket{le="+Inf"} 0\nd_seconds_sum 0\nd_seconds_count 0\n',
  )
})

test('values: integers and decimals as JS prints them, infinities and NaN spelled as the format wants', () => {
  assert.deepEqual(
    [1, 0.005, -2, 1e21, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN].map(formatValue),
    ['1', '0.005', '-2', '1e+21', '+Inf', '-Inf', 'NaN'],
  )
})

const badDeclarations: [string, (r: Registry) => unknown][] = [
  ['a metric name with a dash', (r) => r.counter('xapi-ovn_total', 'x')],
  ['a metric name starting with a digit', (r) => r.gauge('1up', 'x')],
  ['an empty metric name', (r) => r.gauge('', 'x')],
  ['a label name with a dot', (r) => r.gauge('g', 'x', ['a.b'])],
  ['a reserved __ label name', (r) => r.gauge('g', 'x', ['__name'])],
  ['a label declared twice', (r) => r.gauge('g', 'x', ['a', 'a'])],
  ['le on a histogram', (r) => r.histogram('h', 'x', [1], ['le'])],
  ['no buckets', (r) => r.histogram('h', 'x', [])],
  ['buckets that do not increase', (r) => r.histogram('h', 'x', [1, 1])],
  ['an explicit +Inf bucket', (r) => r.histogram('h', 'x', [1, Number.POSITIVE_INFINITY])],
  [
    'a name declared twice',
    (r) => {
      r.gauge('g', 'x')
      r.counter('g', 'y')
    },
  ],
]
for (const [what, declare] of badDeclarations) {
  test(`refused as a bug: ${what}`, () => assert.throws(() => declare(new Registry()), internal))
}

test('recording with the wrong labels, a negative increment or NaN is refused as a bug', () => {
  const r = new Registry()
  const c = r.counter('c_total', 'C.', ['code'])
  assert.throws(() => c.inc(), internal)
  assert.throws(() => c.inc({ code: 'x', other: 'y' }), internal)
  assert.throws(() => c.inc({ other: 'y' }), internal)
  assert.throws(() => c.inc({ code: 'x' }, -1), internal)
  assert.throws(() => r.histogram('h', 'H.', [1]).observe(Number.NaN), internal)
  assert.throws(() => r.gauge('g', 'G.').set(1, { code: 'x' }), internal)
  // Nothing half-recorded shows.
  assert.doesNotMatch(r.render(), /c_total\{/)
})

test("the agent's metrics: named xapi_ovn_agent_*, all declared once, typed as the agent records them", () => {
  const r = new Registry()
  const m = agentMetrics(r)
  m.eventsHandled.inc({ class: 'VIF' })
  m.errors.inc({ code: 'OVN_OVSDB_UNAVAILABLE' })
  m.reconcileDuration.observe(0.02)
  m.lockHeld.setBoolean(true)
  m.nbConnected.setBoolean(false)
  m.portsManaged.set(12)
  const text = r.render()
  const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => `${name} ${type}`)
  assert.deepEqual(types, [
    'xapi_ovn_agent_events_handled_total counter',
    'xapi_ovn_agent_reconcile_passes_total counter',
    'xapi_ovn_agent_reconcile_duration_seconds histogram',
    'xapi_ovn_agent_event_lag_seconds gauge',
    'xapi_ovn_agent_ports_managed gauge',
    'xapi_ovn_agent_errors_total counter',
    'xapi_ovn_agent_lock_held gauge',
    'xapi_ovn_agent_nb_connected gauge',
    'xapi_ovn_agent_xapi_connected gauge',
  ])
  assert.match(text, new RegExp(`^${EVENTS_HANDLED}\\{class="VIF"\\} 1$`, 'm'))
  assert.match(text, new RegExp(`^${ERRORS}\\{code="OVN_OVSDB_UNAVAILABLE"\\} 1$`, 'm'))
  assert.match(text, new RegExp(`^${RECONCILE_DURATION}_bucket\\{le="0.025"\\} 1$`, 'm'))
  assert.match(text, new RegExp(`^${LOCK_HELD} 1$`, 'm'))
  assert.match(text, new RegExp(`^${NB_CONNECTED} 0$`, 'm'))
  assert.match(text, new RegExp(`^${PORTS_MANAGED} 12$`, 'm'))
  assert.throws(() => agentMetrics(r), internal)
})
