/**
 * A pool operation works on its hosts in a sliding window, not in waves: at most `concurrency`
 * plugins run at once, the next host starts as soon as one finishes (a slow host holds one slot,
 * not the others), and the window is really that wide all the way to the plugins (no client or
 * emulator limit below it). Through the real xen-api client, the emulator and real plugin
 * processes; the plugins are held by gate files the test creates on events it sees, so nothing
 * here depends on timing: a run in waves (or a narrower window) never opens a gate and fails on
 * the test's timeout.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { systemClock } from '../../lib/clock.js'
import { verify, XapiPool, type ProgressEvent } from '../../lib/index.js'
import { createEmulatedPool, type EmulatedPool } from '../../xapi-emulator/index.js'
import { memoryHosts, PASSWORD } from '../../xapi-emulator/testing.js'

/** The test fails (rather than hangs) when a gate is never opened. */
const TIMEOUT_MS = 60_000

function verifyReply(): string {
  const value = JSON.stringify({ ok: true, checks: [], hostUuid: 'window', waited: 0 })
  return `<methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member><member><name>Value</name><value>${value}</value></member></struct></value></param></params></methodResponse>`
}

/**
 * A plugin that logs `start NAME`, waits until each of `gates` exists, logs `end NAME` and
 * answers verify. One line per `>>` append, so lines of concurrent plugins never mix.
 */
function gatedPlugin(name: string, log: string, gates: readonly string[]): string {
  const waits = gates.map((g) => `until [ -e '${g}' ]; do sleep 0.05; done\n`).join('')
  return `#!/bin/sh\necho 'start ${name}' >> '${log}'\n${waits}echo 'end ${name}' >> '${log}'\ncat <<'END'\n${verifyReply()}\nEND\n`
}

/** The log's lines as [event, host], in the order the plugins wrote them. */
async function readLog(log: string): Promise<Array<[string, string]>> {
  const text = await readFile(log, 'utf8').catch(() => '')
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l): [string, string] => {
      const [event = '', host = ''] = l.split(' ')
      return [event, host]
    })
}

/** The most plugins running at once, from the log. */
function peakInFlight(lines: ReadonlyArray<[string, string]>): number {
  let n = 0
  let peak = 0
  for (const [event] of lines) {
    n += event === 'start' ? 1 : -1
    peak = Math.max(peak, n)
  }
  return peak
}

async function until(condition: () => Promise<boolean>, signal: AbortSignal): Promise<void> {
  while (!signal.aborted && !(await condition())) await systemClock.sleep(20)
}

interface Fixture {
  readonly emulated: EmulatedPool
  readonly pool: XapiPool
  readonly dir: string
  readonly log: string
  /** Create the gate file `name` (idempotent). */
  open(name: string): Promise<void>
  gate(name: string): string
}

async function fixture(
  t: { after(fn: () => unknown): void },
  hosts: number,
  gatesOf: (name: string) => string[],
): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'xapi-ovn-window-'))
  const log = join(dir, 'plugins.log')
  const gate = (name: string): string => join(dir, `gate-${name}`)
  const open = (name: string): Promise<void> => writeFile(gate(name), '')
  const emulated = await createEmulatedPool({ hosts: memoryHosts(hosts), password: PASSWORD })
  for (const h of emulated.hosts)
    await emulated.emulator.writePlugin(
      h.ref,
      'ovn-chassis',
      gatedPlugin(h.backend.name, log, gatesOf(h.backend.name).map(gate)),
    )
  const pool = await XapiPool.connect({ url: emulated.url, password: PASSWORD, transport: 'json-rpc' })
  t.after(async () => {
    // Every gate open first, so no plugin is left waiting (the emulator waits for them).
    for (const h of emulated.hosts) for (const g of gatesOf(h.backend.name)) await open(g)
    await pool.close()
    await emulated.close()
    await rm(dir, { recursive: true, force: true })
  })
  return { emulated, pool, dir, log, open, gate }
}

test('a slow host holds one slot of the window: the other hosts finish first, never more than the concurrency at once', {
  timeout: TIMEOUT_MS,
}, async (t) => {
  const hosts = 6
  const concurrency = 3
  // host1 is slow: it waits for `others-done`, opened once every other host has finished. Every
  // other host waits for `full`, opened once `concurrency` plugins run at once.
  const f = await fixture(t, hosts, (name) => (name === 'host1' ? ['others-done'] : ['full']))
  const started: string[] = []
  const finished: string[] = []
  const stop = new AbortController()
  t.after(() => stop.abort())
  const onProgress = (e: ProgressEvent): void => {
    if (e.type === 'host-started') started.push(e.host.name)
    if (e.type !== 'host-finished' && e.type !== 'host-failed') return
    finished.push(e.host.name)
    if (finished.length === hosts - 1 && !finished.includes('host1')) void f.open('others-done')
  }
  const watcher = until(async () => peakInFlight(await readLog(f.log)) >= concurrency, stop.signal).then(() =>
    f.open('full'),
  )
  const result = await verify(f.pool, { concurrency, onProgress })
  await watcher
  assert.ok(
    result.hosts.every((h) => h.ok),
    JSON.stringify(result.hosts.filter((h) => !h.ok)),
  )
  // host1 started first (hosts go in name order) and finished last: it held back no one.
  assert.equal(started[0], 'host1')
  assert.equal(finished.at(-1), 'host1')
  assert.deepEqual(finished.slice(0, -1).sort(), ['host2', 'host3', 'host4', 'host5', 'host6'])
  const lines = await readLog(f.log)
  // Its plugin ran while every other host's plugin ended.
  const firstEnd = lines.findIndex(([event]) => event === 'end')
  assert.ok(lines.findIndex((l) => l[0] === 'start' && l[1] === 'host1') < firstEnd, lines.join('\n'))
  assert.equal(peakInFlight(lines), concurrency, lines.map((l) => l.join(' ')).join('\n'))
})

test('a window wider than xen-api’s own default of 20 calls has every host’s plugin running at once', {
  timeout: TIMEOUT_MS,
}, async (t) => {
  const hosts = 24
  // Every plugin waits for `all`, opened once all 24 run at the same time.
  const f = await fixture(t, hosts, () => ['all'])
  const stop = new AbortController()
  t.after(() => stop.abort())
  const watcher = until(async () => peakInFlight(await readLog(f.log)) >= hosts, stop.signal).then(() => f.open('all'))
  const result = await verify(f.pool, { concurrency: hosts })
  await watcher
  assert.ok(
    result.hosts.every((h) => h.ok),
    JSON.stringify(result.hosts.filter((h) => !h.ok)),
  )
  assert.equal(peakInFlight(await readLog(f.log)), hosts)
})
