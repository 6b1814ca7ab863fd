// A 3-member clustered OVN central: NB and SB are RAFT clusters on 192.0.2.10-12, reachable
// through every remote; killing the SB leader (SIGKILL) makes the survivors elect a new one, and
// ovn-sbctl with all remotes keeps working. A standalone central answers on 192.0.2.10.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { OvnCentral } from '../../lab/central.js'
import { Underlay } from '../../lab/underlay.js'
import { run } from '../../lab/exec.js'
import { newUuid } from '../../lab/names.js'
import { waitFor } from '../../lab/wait.js'

test('a clustered central serves NB and SB on every member and survives losing the SB leader', async (t) => {
  const underlay = await Underlay.create()
  t.after(() => underlay.destroy())
  const central = await OvnCentral.create({ underlay, clustered: true })
  t.after(() => central.destroy())

  assert.equal(central.nbRemote, 'tcp:192.0.2.10:6641,tcp:192.0.2.11:6641,tcp:192.0.2.12:6641')
  assert.equal(central.sbRemote, 'tcp:192.0.2.10:6642,tcp:192.0.2.11:6642,tcp:192.0.2.12:6642')
  for (const db of ['nb', 'sb'] as const) {
    for (const m of central.members) assert.match(await central.clusterStatus(db, m.index), /Status: cluster member/)
  }

  // Every member answers on its own address (a non-leader answers reads too).
  for (const ip of central.ips) {
    for (const [port, name] of [
      [6641, 'OVN_Northbound'],
      [6642, 'OVN_Southbound'],
    ] as const) {
      const r = await run('ovsdb-client', ['--timeout=20', 'list-dbs', `tcp:${ip}:${port}`], { netns: central.netns })
      assert.ok(r.stdout.split('\n').includes(name), `${name} on ${ip}:${port}: ${r.stdout}`)
    }
  }

  // Writes through all remotes reach the SB via ovn-northd.
  await central.nbctl('ls-add', 'ls-cluster')
  const lsp = newUuid()
  await central.nbctl('lsp-add', 'ls-cluster', lsp)
  await waitFor(
    'northd to create the Port_Binding',
    async () =>
      (
        await central.sbctl('--bare', '--columns=logical_port', 'find', 'Port_Binding', `logical_port=${lsp}`)
      ).trim() === lsp,
    { timeoutMs: 60_000 },
  )
  await central.sbctl('chassis-add', 'ch-before', 'geneve', '192.0.2.31')

  const killed = await central.killSbLeader()
  assert.equal(central.members[killed]?.sb.isRunning(), false)
  const leader = await central.waitForSbLeader()
  assert.notEqual(leader, killed)

  // ovn-sbctl with all remotes still reads and writes (it finds the new leader).
  assert.match(await central.sbctl('--bare', '--columns=name', 'list', 'Chassis'), /ch-before/)
  await central.sbctl('chassis-add', 'ch-after', 'geneve', '192.0.2.32')
  const names = (await central.sbctl('--bare', '--columns=name', 'list', 'Chassis'))
    .split('\n')
    .filter((l) => l !== '')
    .sort()
  assert.deepEqual(names, ['ch-after', 'ch-before'])
  // And NB -> northd -> SB still flows with one SB member down.
  const lsp2 = newUuid()
  await central.nbctl('lsp-add', 'ls-cluster', lsp2)
  await waitFor(
    'northd to create the second Port_Binding',
    async () =>
      (
        await central.sbctl('--bare', '--columns=logical_port', 'find', 'Port_Binding', `logical_port=${lsp2}`)
      ).trim() === lsp2,
    { timeoutMs: 60_000 },
  )

  // The killed member comes back and rejoins as a follower.
  await central.restartSb(killed)
  await waitFor(
    `SB member ${killed} back in the cluster`,
    async () => (await central.clusterStatus('sb', killed)).includes('Role: follower'),
    { timeoutMs: 60_000 },
  )
})

test('a standalone central answers NB and SB on 192.0.2.10', async (t) => {
  const underlay = await Underlay.create()
  t.after(() => underlay.destroy())
  const central = await OvnCentral.create({ underlay })
  t.after(() => central.destroy())
  assert.equal(central.nbRemote, 'tcp:192.0.2.10:6641')
  assert.equal(central.sbRemote, 'tcp:192.0.2.10:6642')
  assert.equal(await central.sbLeader(), 0)
  await central.nbctl('ls-add', 'ls-solo')
  assert.equal((await central.nbctl('--bare', '--columns=name', 'list', 'Logical_Switch')).trim(), 'ls-solo')
  await waitFor(
    'northd to create the Datapath_Binding',
    async () => (await central.sbctl('--bare', '--columns=_uuid', 'list', 'Datapath_Binding')).trim() !== '',
    { timeoutMs: 60_000 },
  )
})
