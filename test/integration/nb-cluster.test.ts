/**
 * lib/nb against a 3-member RAFT OVN_Northbound (ovsdb-tool create-cluster / join-cluster):
 * connectNorthbound picks the leader wherever it is in the list, refuses followers-only lists,
 * writes replicate to the followers, and after the leader crashes a new connection finds the
 * new leader and the writes go on.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { XapiOvnError } from '../../lib/errors.js'
import type { TableUpdates2 } from '../../lib/ovsdb/monitor.js'
import { attachPorts, connectNorthbound, detachPorts, ensureLogicalSwitch, listPorts } from '../../lib/nb/index.js'
import { waitFor } from '../../lab/wait.js'
import { NbDatabase } from './nb-server.js'

function vif(i: number): string {
  return `cccc${i.toString(16).padStart(4, '0')}-1111-4222-8333-${i.toString(16).padStart(12, '0')}`
}
function mac(i: number): string {
  return `02:00:00:00:10:${i.toString(16).padStart(2, '0')}`
}

test('a 3-member RAFT NB: leader-only connect, one-transaction attach replicated to followers, failover', async (t) => {
  const db = await NbDatabase.cluster(3)
  t.after(() => db.destroy())
  const leader = await db.waitForLeader()
  const followers = db.members.filter((m) => m.index !== leader).map((m) => m.remote)

  // Followers first in the list: the client must skip them and land on the leader.
  const nb = await connectNorthbound([...followers, db.member(leader).remote], { timeoutMs: 20_000 })
  t.after(() => nb.close())
  assert.equal(nb.remote, db.member(leader).remote)

  // A list of followers only is refused with leaderOnly (the default) and accepted without it.
  let refused: unknown
  try {
    const c = await connectNorthbound(followers)
    await c.close()
  } catch (e) {
    refused = e
  }
  assert.ok(refused instanceof XapiOvnError)
  assert.equal(refused.code, 'OVN_OVSDB_UNAVAILABLE')
  assert.match(refused.message, /not the leader/)
  const reader = await connectNorthbound(followers, { leaderOnly: false })
  t.after(() => reader.close())

  await ensureLogicalSwitch(nb, 'tenant-a', { subnet: '192.0.2.0/24' })
  // A follower's monitor gets one update per committed transaction.
  const updates: TableUpdates2[] = []
  await reader.monitorCond('OVN_Northbound', { Logical_Switch_Port: { columns: ['name'] } }, (u) => updates.push(u))
  const ports = Array.from({ length: 20 }, (_, i) => ({ vifUuid: vif(i), mac: mac(i), ips: [`192.0.2.${i + 100}`] }))
  const attached = await attachPorts(nb, 'tenant-a', ports)
  assert.equal(attached.ports.filter((p) => p.action === 'created').length, 20)
  await waitFor(
    'the follower monitor to see 20 ports',
    () => updates.reduce((n, u) => n + Object.keys(u.Logical_Switch_Port ?? {}).length, 0) >= 20,
  )
  assert.equal(updates.length, 1, 'the 20 ports arrived as one transaction')

  // ovn-nbctl through the cluster (leader only), and on each follower once it has caught up.
  assert.equal((await db.nbctl(['lsp-list', 'tenant-a'])).trim().split('\n').length, 20)
  assert.equal((await db.nbctl(['lsp-get-addresses', vif(3)])).trim(), `${mac(3)} 192.0.2.103`)
  for (const m of db.members.filter((x) => x.index !== leader)) {
    await waitFor(
      `follower ${m.index} to have the ports`,
      async () => (await db.nbctl(['lsp-list', 'tenant-a'], { member: m.index })).trim().split('\n').length === 20,
    )
    assert.equal((await db.nbctl(['lsp-get-addresses', vif(19)], { member: m.index })).trim(), `${mac(19)} 192.0.2.119`)
  }
  // A follower connection reads the same ports (leaderOnly: false).
  await waitFor(
    'the follower connection to read 20 ports',
    async () => (await listPorts(reader, 'tenant-a')).length === 20,
  )

  // Crash the leader; the survivors elect a new one; a fresh connection over the full list finds it.
  await nb.close()
  await db.kill(leader)
  const next = await db.waitForLeader()
  assert.notEqual(next, leader)
  const nb2 = await waitFor(
    'a connection to the new leader',
    async () => connectNorthbound(db.remotes, { timeoutMs: 20_000 }),
    { timeoutMs: 60_000 },
  )
  t.after(() => nb2.close())
  assert.equal(nb2.remote, db.member(next).remote)

  // Writes go on: idempotent re-run, then detach half.
  assert.equal((await attachPorts(nb2, 'tenant-a', ports)).changed, false)
  const detached = await detachPorts(
    nb2,
    ports.slice(0, 10).map((p) => p.vifUuid),
  )
  assert.equal(detached.removed.length, 10)
  assert.equal((await db.nbctl(['lsp-list', 'tenant-a'], { member: next })).trim().split('\n').length, 10)
  assert.deepEqual(
    (await listPorts(nb2, 'tenant-a')).map((p) => p.name),
    ports
      .slice(10)
      .map((p) => p.vifUuid)
      .sort(),
  )
})
