// The pool agent's monitored copy of the northbound (lib/agent/nb-replica.ts) against a real
// ovsdb-server: after every kind of change update2 can carry (inserts, a map key added, changed
// and removed, set elements toggled, an optional column set and cleared, rows deleted by garbage
// collection), the copy equals what one full read returns.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { systemClock } from '../../lib/clock.js'
import { NbReplica } from '../../lib/agent/nb-replica.js'
import { NB_DB, type NbSnapshot } from '../../lib/nb/model.js'
import { attachPorts, connectNorthbound, detachPorts, ensureLogicalSwitch } from '../../lib/nb/index.js'
import { readSnapshot } from '../../lib/nb/snapshot.js'
import { Uuid, ovsdbMap, set } from '../../lib/ovsdb/codec.js'
import type { OvsdbClient } from '../../lib/ovsdb/client.js'
import { op, where } from '../../lib/ovsdb/operations.js'
import { OvsdbSession } from '../../lib/ovsdb/session.js'
import { NbDatabase } from './nb-server.js'

let db: NbDatabase
let nb: OvsdbClient
let session: OvsdbSession
const replica = new NbReplica()

function plain(s: NbSnapshot): unknown {
  const sw = s.switches
    .map((x) => ({
      ...x,
      portUuids: [...x.portUuids].sort(),
      otherConfig: [...x.otherConfig].sort(),
      externalIds: [...x.externalIds].sort(),
    }))
    .sort((a, b) => a.uuid.localeCompare(b.uuid))
  const ports = s.ports
    .map((p) => ({
      ...p,
      addresses: [...p.addresses].sort(),
      portSecurity: [...p.portSecurity].sort(),
      options: [...p.options].sort(),
      externalIds: [...p.externalIds].sort(),
    }))
    .sort((a, b) => a.uuid.localeCompare(b.uuid))
  return { sw, ports }
}

async function same(what: string): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const want = plain(await readSnapshot(nb, 'all'))
    const got = plain(replica.snapshot())
    try {
      assert.deepEqual(got, want, what)
      return
    } catch (e) {
      if (Date.now() > deadline) throw e
      await replica.changed(200, systemClock)
    }
  }
}

before(async () => {
  db = await NbDatabase.standalone()
  nb = await connectNorthbound(db.remotes)
  session = new OvsdbSession(db.remotes, { database: NB_DB, probeIntervalMs: 0 })
  await replica.start(session, () => undefined)
})
after(async () => {
  await replica.stop()
  await session?.close()
  await nb?.close()
  await db?.destroy()
})

test('the monitored copy equals a full read after every kind of change', async () => {
  await same('empty')
  await ensureLogicalSwitch(nb, 'a', { subnet: '198.18.30.0/24' })
  await ensureLogicalSwitch(nb, 'b')
  const v = [randomUUID(), randomUUID(), randomUUID()]
  await attachPorts(nb, 'a', [
    { vifUuid: v[0] as string, mac: '02:00:00:00:30:01', ips: ['198.18.30.11'] },
    { vifUuid: v[1] as string, mac: '02:00:00:00:30:02', ips: 'dynamic' },
  ])
  await same('inserts (and northd-less dynamic)')
  const port = (await readSnapshot(nb, 'all')).ports.find((p) => p.name === v[0])
  assert.ok(port)
  const at = [where('_uuid', '==', new Uuid(port.uuid))]
  await nb.transact(NB_DB, [
    op.mutate('Logical_Switch_Port', at, [['options', 'insert', ovsdbMap({ 'requested-chassis': 'h1', k: 'x' })]]),
  ])
  await same('map keys added')
  await nb.transact(NB_DB, [
    op.mutate('Logical_Switch_Port', at, [
      ['options', 'delete', set('requested-chassis')],
      ['options', 'insert', ovsdbMap({ 'requested-chassis': 'h1,h2' })],
    ]),
  ])
  await same('a map value changed')
  await nb.transact(NB_DB, [op.mutate('Logical_Switch_Port', at, [['options', 'delete', set('k')]])])
  await same('a map key removed')
  await nb.transact(NB_DB, [
    op.update('Logical_Switch_Port', at, { port_security: set('02:00:00:00:30:01 198.18.30.11'), enabled: false }),
  ])
  await same('a set element added, an optional column set')
  await nb.transact(NB_DB, [
    op.update('Logical_Switch_Port', at, {
      addresses: set('02:00:00:00:30:01 198.18.30.12', 'router'),
      enabled: set(),
    }),
  ])
  await same('set elements toggled, an optional column cleared')
  await attachPorts(nb, 'b', [{ vifUuid: v[2] as string, mac: '02:00:00:00:30:03', ips: [] }])
  await detachPorts(nb, [v[0] as string])
  await same('a port deleted by garbage collection, another inserted')
  await nb.transact(NB_DB, [op.delete('Logical_Switch', [where('name', '==', 'b')])])
  await same('a switch deleted with its port')
})
