// Helper process for agent-metrics-http.test.ts (not a test itself): serves the metrics endpoint
// on 127.0.0.1 (a free port), prints `{"url": ...}`, and on SIGUSR2 closes it and prints
// `{"closed": true}`. Nothing else keeps it alive: once closed it must exit on its own.
import { serveMetrics } from '../../lib/agent/metrics-http-io.js'
import { Registry } from '../../lib/agent/metrics.js'

const registry = new Registry()
registry.gauge('demo_up', 'Up.').set(1)
const server = await serveMetrics({
  address: { host: '127.0.0.1', port: 0 },
  metrics: () => registry.render(),
  health: () => ({ ok: true }),
})
process.once('SIGUSR2', () => {
  void server.close().then(() => process.stdout.write(`${JSON.stringify({ closed: true })}\n`))
})
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`)
