/**
 * The host agent's FirewallPortKeeper against a stand-in firewall-port (a shell script that logs
 * its calls and fails a close when told to): what it runs as the wanted ports change.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FirewallPortKeeper } from '../../host-agent/firewall.js'
import { SAVED_KEY } from '../../lib/chassis/keys.js'
import { memoryLogger } from '../../lib/log.js'
import { SnapshotBuilder } from './chassis-fixtures.js'

function fakePlugin(dir: string): { path: string; calls: () => string[]; failClose: (on: boolean) => void } {
  const path = join(dir, 'firewall-port')
  const log = join(dir, 'calls')
  const fail = join(dir, 'fail-close')
  writeFileSync(
    path,
    `#!/bin/sh\necho "$*" >> ${log}\nif [ "$1" = close ] && [ -e ${fail} ]; then echo "iptables: Bad rule" >&2; exit 1; fi\nexit 0\n`,
    { mode: 0o755 },
  )
  return {
    path,
    calls: () => {
      try {
        return readFileSync(log, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
      } catch {
        return []
      }
    },
    failClose: (on) => (on ? writeFileSync(fail, '') : rmSync(fail, { force: true })),
  }
}

const configured = (encap: string) => new SnapshotBuilder().ext({ 'ovn-encap-type': encap, [SAVED_KEY]: '{}' }).build()
const unconfigured = () => new SnapshotBuilder().ext({ 'ovn-encap-type': 'geneve' }).build()

test('opens what is configured once, closes what is no longer, and a failed close is tried again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xapi-ovn-fw-'))
  try {
    const plugin = fakePlugin(dir)
    const { log, lines } = memoryLogger()
    const keeper = new FirewallPortKeeper(plugin.path, log)
    await keeper.sync(configured('geneve'))
    await keeper.sync(configured('geneve'))
    assert.deepEqual(plugin.calls(), ['open 6081 udp'], 'no plugin run while nothing changes')
    await keeper.sync(configured('geneve,vxlan'))
    assert.deepEqual(plugin.calls().slice(1), ['open 4789 udp'])
    plugin.failClose(true)
    await keeper.sync(unconfigured())
    assert.deepEqual(plugin.calls().slice(2), ['close 4789 udp', 'close 6081 udp'])
    assert.ok(
      lines.some((l) => l.includes('Bad rule')),
      'the failure is logged',
    )
    assert.deepEqual(keeper.opened, [])
    plugin.failClose(false)
    await keeper.sync(unconfigured())
    assert.deepEqual(plugin.calls().slice(4), ['close 4789 udp', 'close 6081 udp'], 'tried again')
    await keeper.sync(unconfigured())
    assert.equal(plugin.calls().length, 6, 'then left alone')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a port whose close failed is opened for real when wanted again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xapi-ovn-fw-'))
  try {
    const plugin = fakePlugin(dir)
    const keeper = new FirewallPortKeeper(plugin.path, memoryLogger().log)
    await keeper.sync(configured('geneve'))
    plugin.failClose(true)
    // The close lost a race (the rule was already gone): the agent cannot know it is closed...
    await keeper.sync(unconfigured())
    plugin.failClose(false)
    // ...so a configure now must run open, not trust the port to be still open.
    await keeper.sync(configured('geneve'))
    assert.deepEqual(plugin.calls(), ['open 6081 udp', 'close 6081 udp', 'open 6081 udp'])
    assert.deepEqual(
      keeper.opened.map((p) => p.port),
      [6081],
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
