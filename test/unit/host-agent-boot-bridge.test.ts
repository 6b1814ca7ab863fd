// The host agent's boot one-shot (host-agent/boot-bridge.ts): nothing to do, and no database
// asked, on a host of the default mode or with nothing persisted; in an experimental mode it
// waits for the database and gives up at its deadline (systemd logs the failure). Making the
// bridge on a real database is lab-br-int.test.ts's reboot.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serializePersisted } from '../../lib/chassis/persisted-config.js'
import { writePersisted } from '../../lib/chassis/persisted-config-io.js'
import { memoryLogger } from '../../lib/log.js'
import { ensureBootBridge } from '../../host-agent/boot-bridge.js'
import { pathsFromEnv } from '../../plugin/context.js'

const ARGS = {
  'ovn-remote': 'tcp:192.0.2.10:6642',
  'ovn-encap-ip': '192.0.2.21',
  'ovn-bridge': 'br-int',
  'network-uuid': 'c0ffee00-1111-4222-8333-444455556666',
}

function host(t: { after(fn: () => void): void }): ReturnType<typeof pathsFromEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'boot-bridge-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  // No ovsdb-server behind this rundir: a connection attempt fails at once.
  return pathsFromEnv({ OVS_RUNDIR: join(dir, 'run'), XAPI_OVN_STATE_DIR: join(dir, 'state') })
}

/** A clock whose sleeps pass at once and move time on. */
function fastClock(): { now(): number; sleep(ms: number): Promise<void> } {
  let t = 0
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms
    },
  }
}

test('nothing persisted, or the default mode: not needed, the database never asked', async (t) => {
  const paths = host(t)
  const { log } = memoryLogger()
  assert.equal(await ensureBootBridge(paths, log, fastClock(), 0), 'not-needed')
  writePersisted(paths.stateDir, serializePersisted({ ...ARGS, 'ovn-bridge': 'xapi1' }))
  assert.equal(await ensureBootBridge(paths, log, fastClock(), 0), 'not-needed')
})

test('an experimental mode without a database: it waits, then fails at its deadline', async (t) => {
  const paths = host(t)
  writePersisted(paths.stateDir, serializePersisted({ ...ARGS, 'integration-mode': 'unmanaged' }))
  const { log, lines } = memoryLogger()
  await assert.rejects(ensureBootBridge(paths, log, fastClock(), 5000))
  assert.ok(
    lines.some((l) => l.includes('waiting for the local OVSDB to make the integration bridge')),
    lines.join('\n'),
  )
})
