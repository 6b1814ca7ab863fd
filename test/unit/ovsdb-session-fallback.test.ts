/**
 * The monitor_cond fallback of OvsdbSession. Every ovsdb-server of the suite (Debian's 3.1) knows
 * monitor_cond_since, and `ovsdb-server/disable-monitor-cond` turns monitor_cond off with it, so
 * no real daemon answers "unknown method" to monitor_cond_since alone (an ovsdb-server before
 * 2.12 did). This small in-memory server over a unix socket does exactly that and nothing more:
 * the session must fall back to monitor_cond, flag every reconnect as a full resync, and not ask
 * for monitor_cond_since again.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JsonStreamDecoder, encodeMessage } from '../../lib/ovsdb/json-stream.js'
import { OvsdbSession, type SessionMonitorEvent } from '../../lib/ovsdb/session.js'
import { isRecord } from '../../lib/shape.js'

/** Answers as an ovsdb-server before monitor_cond_since would, for one database "DB" without _Server. */
function oldServer(path: string): { methods: string[][]; sockets: net.Socket[]; server: net.Server } {
  const methods: string[][] = []
  const sockets: net.Socket[] = []
  const server = net.createServer((socket) => {
    const seen: string[] = []
    const connection = methods.push(seen)
    sockets.push(socket)
    const decoder = new JsonStreamDecoder()
    socket.on('data', (chunk: Buffer) => {
      for (const m of decoder.push(chunk)) {
        if (!isRecord(m) || typeof m.method !== 'string') continue
        const params = Array.isArray(m.params) ? m.params : []
        seen.push(m.method)
        const reply = (result: unknown, error: unknown = null): void => {
          socket.write(encodeMessage({ id: m.id, result, error }))
        }
        if (params[0] === '_Server') reply(null, { error: 'unknown database' })
        else if (m.method === 'monitor_cond_since') reply(null, 'unknown method')
        else if (m.method === 'monitor_cond') {
          const uuid = `0000000${connection}-0000-4000-8000-000000000000`
          reply({ T: { [uuid]: { initial: { name: `row-${connection}` } } } })
        } else if (m.method === 'echo') reply(params)
        else reply({})
      }
    })
    socket.on('error', () => undefined)
  })
  server.listen(path)
  return { methods, sockets, server }
}

test('a server without monitor_cond_since: monitor_cond, and every reconnect is a flagged full resync', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'xapi-ovn-session-old-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'old.sock')
  const old = oldServer(path)
  t.after(() => new Promise<void>((resolve) => old.server.close(() => resolve())))

  const session = new OvsdbSession(`unix:${path}`, { database: 'DB', typedDecode: false, probeIntervalMs: 0 })
  t.after(() => session.close())
  const events: SessionMonitorEvent[] = []
  const mon = await session.monitor('DB', { T: { columns: ['name'] } }, (e) => events.push(e))
  assert.equal(mon.method, 'monitor_cond')

  const reconnected = new Promise((resolve) => session.once('connected', resolve))
  old.sockets[0]?.destroy()
  await reconnected
  for (let i = 0; events.length < 2 && i < 10_000; i++) await new Promise((r) => setImmediate(r))

  assert.deepEqual(
    events.map((e) => [e.kind, e.resync, e.method, Object.keys(e.updates.T ?? {}).length]),
    [
      ['initial', false, 'monitor_cond', 1],
      ['initial', true, 'monitor_cond', 1],
    ],
  )
  assert.equal(mon.resyncs, 1)
  assert.ok(old.methods[0]?.includes('monitor_cond_since'), 'asked first')
  assert.equal(old.methods[1]?.includes('monitor_cond_since'), false, 'not asked again after the server said no')
  await session.close()
  for (const s of old.sockets) s.destroy()
})
