/**
 * The pool agent's /metrics and /healthz endpoint (lib/agent/metrics-http-io.ts) on a real
 * loopback socket: what a scraper and a health check get, and that close() leaves nothing open:
 * a child process serving it exits on its own after close(), even with a scraper's idle
 * keep-alive connection and a half-sent request still open (Node would otherwise keep them for
 * its keep-alive and request timeouts).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { XapiOvnError } from '../../lib/errors.js'
import { serveMetrics, type HealthStatus } from '../../lib/agent/metrics-http-io.js'
import { agentMetrics, Registry } from '../../lib/agent/metrics.js'

const CHILD = new URL('./agent-metrics-http-child.js', import.meta.url).pathname
/** Generous: this asserts that the child exits by itself, not how fast. */
const EXIT_DEADLINE_MS = 60_000

test('GET/HEAD /metrics, /healthz 200 and 503, 404 and 405', async (t) => {
  const registry = new Registry()
  const m = agentMetrics(registry)
  m.nbConnected.setBoolean(true)
  let status: HealthStatus = { ok: true, nb: 'connected', lock: 'held' }
  let failing = false
  const server = await serveMetrics({
    address: { host: '127.0.0.1', port: 0 },
    metrics: () => registry.render(),
    health: () => {
      if (failing) throw new Error('status unavailable')
      return status
    },
  })
  t.after(() => server.close())
  assert.notEqual(server.address.port, 0)
  assert.equal(server.url, `http://127.0.0.1:${server.address.port}`)

  const metrics = await fetch(`${server.url}/metrics`)
  assert.equal(metrics.status, 200)
  assert.equal(metrics.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
  assert.equal(await metrics.text(), registry.render())
  // Each scrape renders afresh.
  m.portsManaged.set(7)
  assert.match(await (await fetch(`${server.url}/metrics?x=1`)).text(), /^xapi_ovn_agent_ports_managed 7$/m)

  const head = await fetch(`${server.url}/metrics`, { method: 'HEAD' })
  assert.equal(head.status, 200)
  assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(registry.render())))
  assert.equal(await head.text(), '')

  const ok = await fetch(`${server.url}/healthz`)
  assert.equal(ok.status, 200)
  assert.equal(ok.headers.get('content-type'), 'application/json')
  assert.deepEqual(await ok.json(), { ok: true, nb: 'connected', lock: 'held' })

  status = { ok: false, nb: 'disconnected' }
  const down = await fetch(`${server.url}/healthz`)
  assert.equal(down.status, 503)
  assert.deepEqual(await down.json(), { ok: false, nb: 'disconnected' })

  failing = true
  const broken = await fetch(`${server.url}/healthz`)
  assert.equal(broken.status, 503)
  assert.deepEqual(await broken.json(), { ok: false, error: 'status unavailable' })

  const missing = await fetch(`${server.url}/nope`)
  assert.equal(missing.status, 404)
  await missing.text()
  const post = await fetch(`${server.url}/metrics`, { method: 'POST', body: 'x' })
  assert.equal(post.status, 405)
  assert.equal(post.headers.get('allow'), 'GET, HEAD')
  await post.text()
})

test('an address already in use is OVN_INVALID_ARGUMENT naming --metrics', async (t) => {
  const first = await serveMetrics({
    address: { host: '127.0.0.1', port: 0 },
    metrics: () => '',
    health: () => ({ ok: true }),
  })
  t.after(() => first.close())
  await assert.rejects(
    serveMetrics({ address: first.address, metrics: () => '', health: () => ({ ok: true }) }),
    (e: unknown) =>
      e instanceof XapiOvnError &&
      e.code === 'OVN_INVALID_ARGUMENT' &&
      e.params[0] === 'metrics' &&
      e.params[1] === `127.0.0.1:${first.address.port}` &&
      /EADDRINUSE/.test(e.params[2] ?? ''),
  )
})

/** A connection that resolves once `text` shows up in what the server sent. */
function openConnection(
  port: number,
  send: string,
  waitFor: string | null,
): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const closed = new Promise<void>((done) => socket.once('close', () => done()))
    let got = ''
    socket.once('error', reject)
    socket.on('data', (b: Buffer) => {
      got += b.toString()
      if (waitFor !== null && got.includes(waitFor)) resolve({ socket, closed })
    })
    socket.once('connect', () => {
      socket.write(send)
      if (waitFor === null) resolve({ socket, closed })
    })
  })
}

test('after close() the serving process exits on its own, open connections and all', async () => {
  const child = spawn(process.execPath, [CHILD], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString()
      const first = stdout.split('\n')[0]
      if (stdout.includes('\n') && first !== undefined) resolve((JSON.parse(first) as { url: string }).url)
    })
    child.once('exit', () => reject(new Error(`the child exited early: ${stderr}`)))
  })
  const port = Number(new URL(url).port)
  try {
    // A scraper's keep-alive connection, idle after its answer, and a request still arriving.
    const idle = await openConnection(
      port,
      'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n',
      'demo_up 1',
    )
    const partial = await openConnection(port, 'GET /metrics HTTP/1.1\r\nHost: x\r\n', null)
    child.kill('SIGUSR2')
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<'alive'>((resolve) => {
      timer = setTimeout(() => resolve('alive'), EXIT_DEADLINE_MS)
    })
    const outcome = await Promise.race([exited, deadline])
    clearTimeout(timer)
    assert.notEqual(outcome, 'alive', `still alive ${EXIT_DEADLINE_MS / 1000}s after close():\n${stdout}${stderr}`)
    assert.equal(outcome, 0, stderr)
    assert.match(stdout, /\{"closed":true\}/)
    // The server ended both connections rather than leaving them to time out.
    await Promise.all([idle.closed, partial.closed])
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
  }
})
