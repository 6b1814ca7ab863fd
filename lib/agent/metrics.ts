/**
 * The pool agent's metrics: a tiny registry of counters, gauges and histograms, with optional
 * labels, rendered in Prometheus' text exposition format 0.0.4 (prometheus.io/docs/instrumenting/
 * exposition_formats: `# HELP` and `# TYPE` lines, `name{label="value"} number`, a histogram's
 * cumulative `_bucket{le="..."}` series ending in `le="+Inf"`, then `_sum` and `_count`). No
 * dependency: the agent needs a dozen series, not a client library. Pure (no clock, no I/O):
 * `lib/agent/metrics-http-io.ts` serves `render()`.
 *
 * Names are checked against Prometheus' rules when a metric is declared, and label sets when a
 * value is recorded; a mismatch is a bug in the caller, so it throws InternalError (OVN_INTERNAL)
 * rather than emitting text a scraper would reject.
 */
import { InternalError } from '../errors.js'

/** Metric names: `[a-zA-Z_:][a-zA-Z0-9_:]*` (the exposition format's metric-name). */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
/** Label names: `[a-zA-Z_][a-zA-Z0-9_]*`; names starting with `__` are reserved for Prometheus. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
/** The label a histogram's buckets carry: reserved for them. */
const BUCKET_LABEL = 'le'

export type Labels = Readonly<Record<string, string>>
export type MetricType = 'counter' | 'gauge' | 'histogram'

/** The format's Content-Type (the exposition format's "Basic info"). */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

// The agent's metrics (`xapi-ovn agent --metrics HOST:PORT`). Counters end in `_total`, durations
// are seconds (Prometheus naming conventions).
const PREFIX = 'xapi_ovn_agent_'
/** Counter, label `class`: XAPI events handled, by class (VIF, VM, network...). */
export const EVENTS_HANDLED = `${PREFIX}events_handled_total`
/** Counter, label `result`: reconcile passes, by result (`ok`, `error`, `noop`...). */
export const RECONCILE_PASSES = `${PREFIX}reconcile_passes_total`
/** Histogram: how long a reconcile pass took, seconds. */
export const RECONCILE_DURATION = `${PREFIX}reconcile_duration_seconds`
/** Gauge: how far behind XAPI the last handled event was, seconds. */
export const EVENT_LAG = `${PREFIX}event_lag_seconds`
/** Gauge: logical switch ports the agent owns (external_ids `xapi-ovn:pool-uuid`, lib/agent/keys.ts). */
export const PORTS_MANAGED = `${PREFIX}ports_managed`
/** Counter, label `code`: failures, by their OVN_* (or XAPI) code. */
export const ERRORS = `${PREFIX}errors_total`
/** Gauge 0/1: this agent holds the northbound lock (it is the active writer). */
export const LOCK_HELD = `${PREFIX}lock_held`
/** Gauge 0/1: connected to the northbound database. */
export const NB_CONNECTED = `${PREFIX}nb_connected`
/** Gauge 0/1: connected to XAPI. */
export const XAPI_CONNECTED = `${PREFIX}xapi_connected`

export const LABEL_CLASS = 'class'
export const LABEL_RESULT = 'result'
export const LABEL_CODE = 'code'

/** Reconcile durations, seconds: from a no-op pass (milliseconds) to a first full pass of a big pool. */
export const RECONCILE_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

/** A number as the format writes it: Go's ParseFloat reads it back; infinities and NaN spelled out. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Number.POSITIVE_INFINITY) return '+Inf'
  if (v === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(v)
}

/** A label value inside its double quotes: `\`, `"` and line feed escaped. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

/** A HELP docstring: `\` and line feed escaped (quotes stay as they are). */
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

function checkMetricName(name: string): void {
  if (!METRIC_NAME.test(name)) throw new InternalError(`invalid metric name ${JSON.stringify(name)}`)
}

function checkLabelNames(metric: string, names: readonly string[], reserved: readonly string[]): void {
  const seen = new Set<string>()
  for (const n of names) {
    if (!LABEL_NAME.test(n) || n.startsWith('__'))
      throw new InternalError(`metric ${metric}: invalid label name ${JSON.stringify(n)}`)
    if (reserved.includes(n)) throw new InternalError(`metric ${metric}: label ${n} is reserved`)
    if (seen.has(n)) throw new InternalError(`metric ${metric}: label ${n} given twice`)
    seen.add(n)
  }
}

/** `{a="x",b="y"}` in the declared order, or '' without labels; `extra` (le) goes last. */
function labelText(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeLabelValue(values[i] ?? '')}"`)
  if (extra !== undefined) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`)
  return parts.length === 0 ? '' : `{${parts.join(',')}}`
}

/** One declared metric: its series keyed by their label values. */
abstract class Metric<S> {
  readonly #series = new Map<string, { values: readonly string[]; state: S }>()

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
    readonly labelNames: readonly string[],
  ) {}

  protected abstract initial(): S
  protected abstract lines(labels: readonly string[], state: S): string[]

  /** The series of `labels`, made on first use; the label set must be exactly the declared one. */
  protected series(labels: Labels | undefined): S {
    const given = labels ?? {}
    const keys = Object.keys(given)
    if (keys.length !== this.labelNames.length || !this.labelNames.every((n) => Object.hasOwn(given, n)))
      throw new InternalError(
        `metric ${this.name}: labels ${JSON.stringify(keys)} are not the declared ${JSON.stringify(this.labelNames)}`,
      )
    const values = this.labelNames.map((n) => {
      const v: unknown = given[n]
      if (typeof v !== 'string') throw new InternalError(`metric ${this.name}: label ${n} is not a string`)
      return v
    })
    const key = JSON.stringify(values)
    let entry = this.#series.get(key)
    if (entry === undefined) {
      entry = { values, state: this.initial() }
      this.#series.set(key, entry)
    }
    return entry.state
  }

  /** HELP, TYPE, then every series sorted by label values (a metric without labels always shows). */
  render(): string[] {
    if (this.labelNames.length === 0) this.series(undefined)
    const out = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`]
    const keys = [...this.#series.keys()].sort()
    for (const k of keys) {
      const entry = this.#series.get(k)
      if (entry !== undefined) out.push(...this.lines(entry.values, entry.state))
    }
    return out
  }
}

export class Counter extends Metric<{ value: number }> {
  constructor(name: string, help: string, labelNames: readonly string[]) {
    super(name, help, 'counter', labelNames)
  }
  protected initial(): { value: number } {
    return { value: 0 }
  }
  protected lines(values: readonly string[], s: { value: number }): string[] {
    return [`${this.name}${labelText(this.labelNames, values)} ${formatValue(s.value)}`]
  }
  /** Add `by` (default 1; a counter only goes up). */
  inc(labels?: Labels, by = 1): void {
    if (!Number.isFinite(by) || by < 0) throw new InternalError(`counter ${this.name}: cannot add ${by}`)
    this.series(labels).value += by
  }
}

export class Gauge extends Metric<{ value: number }> {
  constructor(name: string, help: string, labelNames: readonly string[]) {
    super(name, help, 'gauge', labelNames)
  }
  protected initial(): { value: number } {
    return { value: 0 }
  }
  protected lines(values: readonly string[], s: { value: number }): string[] {
    return [`${this.name}${labelText(this.labelNames, values)} ${formatValue(s.value)}`]
  }
  set(value: number, labels?: Labels): void {
    this.series(labels).value = value
  }
  /** 1 when true, 0 when false: the agent's connected/lock gauges. */
  setBoolean(value: boolean, labels?: Labels): void {
    this.set(value ? 1 : 0, labels)
  }
  inc(labels?: Labels, by = 1): void {
    this.series(labels).value += by
  }
  dec(labels?: Labels, by = 1): void {
    this.series(labels).value -= by
  }
}

interface HistogramState {
  /** Per bucket (not cumulative), plus the +Inf bucket last. */
  counts: number[]
  sum: number
  count: number
}

export class Histogram extends Metric<HistogramState> {
  readonly buckets: readonly number[]

  constructor(name: string, help: string, buckets: readonly number[], labelNames: readonly string[]) {
    super(name, help, 'histogram', labelNames)
    if (buckets.length === 0) throw new InternalError(`histogram ${name}: no buckets`)
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i] ?? Number.NaN
      if (!Number.isFinite(b)) throw new InternalError(`histogram ${name}: bucket ${b} is not finite (+Inf is implied)`)
      if (i > 0 && b <= (buckets[i - 1] ?? Number.NaN))
        throw new InternalError(`histogram ${name}: buckets must increase`)
    }
    this.buckets = [...buckets]
  }

  protected initial(): HistogramState {
    return { counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 }
  }

  protected lines(values: readonly string[], s: HistogramState): string[] {
    const out: string[] = []
    let cumulative = 0
    const bounds = [...this.buckets, Number.POSITIVE_INFINITY]
    bounds.forEach((le, i) => {
      cumulative += s.counts[i] ?? 0
      out.push(
        `${this.name}_bucket${labelText(this.labelNames, values, [BUCKET_LABEL, formatValue(le)])} ${cumulative}`,
      )
    })
    const labels = labelText(this.labelNames, values)
    out.push(`${this.name}_sum${labels} ${formatValue(s.sum)}`, `${this.name}_count${labels} ${s.count}`)
    return out
  }

  /** Count `value` in the first bucket whose bound is >= it (`le`: less or equal). */
  observe(value: number, labels?: Labels): void {
    if (Number.isNaN(value)) throw new InternalError(`histogram ${this.name}: cannot observe NaN`)
    const s = this.series(labels)
    const i = this.buckets.findIndex((b) => value <= b)
    const slot = i === -1 ? this.buckets.length : i
    s.counts[slot] = (s.counts[slot] ?? 0) + 1
    s.sum += value
    s.count += 1
  }
}

/** The metrics of one process, rendered in the order they were declared. */
export class Registry {
  readonly #metrics = new Map<string, Counter | Gauge | Histogram>()

  #add<M extends Counter | Gauge | Histogram>(metric: M, reserved: readonly string[]): M {
    checkMetricName(metric.name)
    checkLabelNames(metric.name, metric.labelNames, reserved)
    if (this.#metrics.has(metric.name)) throw new InternalError(`metric ${metric.name} declared twice`)
    this.#metrics.set(metric.name, metric)
    return metric
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.#add(new Counter(name, help, labelNames), [])
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.#add(new Gauge(name, help, labelNames), [])
  }

  histogram(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []): Histogram {
    return this.#add(new Histogram(name, help, buckets, labelNames), [BUCKET_LABEL])
  }

  /** The whole registry in the text format; the last line ends with a line feed, as it must. */
  render(): string {
    const lines: string[] = []
    for (const m of this.#metrics.values()) lines.push(...m.render())
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`
  }
}

/** The agent's metrics, declared on `registry`: the handles the agent records through. */
export interface AgentMetrics {
  readonly eventsHandled: Counter
  readonly reconcilePasses: Counter
  readonly reconcileDuration: Histogram
  readonly eventLag: Gauge
  readonly portsManaged: Gauge
  readonly errors: Counter
  readonly lockHeld: Gauge
  readonly nbConnected: Gauge
  readonly xapiConnected: Gauge
}

export function agentMetrics(registry: Registry): AgentMetrics {
  return {
    eventsHandled: registry.counter(EVENTS_HANDLED, 'XAPI events handled, by class.', [LABEL_CLASS]),
    reconcilePasses: registry.counter(RECONCILE_PASSES, 'Reconcile passes, by result.', [LABEL_RESULT]),
    reconcileDuration: registry.histogram(
      RECONCILE_DURATION,
      'How long a reconcile pass took, in seconds.',
      RECONCILE_BUCKETS,
    ),
    eventLag: registry.gauge(EVENT_LAG, 'How far behind XAPI the last handled event was, in seconds.'),
    portsManaged: registry.gauge(PORTS_MANAGED, 'Logical switch ports this pool agent owns.'),
    errors: registry.counter(ERRORS, 'Failures, by code.', [LABEL_CODE]),
    lockHeld: registry.gauge(LOCK_HELD, '1 when this agent holds the northbound lock (the active writer), else 0.'),
    nbConnected: registry.gauge(NB_CONNECTED, '1 when connected to the northbound database, else 0.'),
    xapiConnected: registry.gauge(XAPI_CONNECTED, '1 when connected to XAPI, else 0.'),
  }
}
