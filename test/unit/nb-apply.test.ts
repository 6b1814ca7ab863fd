/**
 * The read-plan-write loop of lib/nb/northbound.ts over an in-memory fake transactor: what is
 * read, that nothing is sent when nothing changes, the retry when a precondition fails because
 * someone else wrote in between, and the mapping of inserted UUIDs back into results.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Uuid, setItems } from '../../lib/ovsdb/codec.js'
import {
  OvsdbConstraintViolationError,
  OvsdbError,
  OvsdbWaitFailedError,
  TransactionError,
} from '../../lib/ovsdb/errors.js'
import type { Operation } from '../../lib/ovsdb/operations.js'
import type { Row } from '../../lib/ovsdb/schema.js'
import type { NbSnapshot } from '../../lib/nb/model.js'
import type { NbTransactor } from '../../lib/nb/snapshot.js'
import {
  MAX_ATTEMPTS,
  addLocalnetPort,
  attachPorts,
  deleteLogicalSwitch,
  detachPorts,
  ensureLogicalSwitch,
  listLogicalSwitches,
  listPorts,
} from '../../lib/nb/northbound.js'
import { LSP1, SW_A, SW_B, VIF1, VIF2, applyToSnapshot, lport, lswitch, snapshotRows } from './nb-fixtures.js'
import { rejectionCode as code } from './error-code.js'

/** A fake OVN_Northbound: selects read `state`, writes go through applyToSnapshot. */
class FakeNb implements NbTransactor {
  state: NbSnapshot
  writes: Operation[][] = []
  reads = 0
  /** Called before each write is applied (simulate another writer). */
  beforeWrite: ((fake: FakeNb) => void) | undefined

  constructor(state: NbSnapshot) {
    this.state = state
  }

  async transact(db: string, ops: readonly Operation[]): Promise<readonly unknown[]> {
    assert.equal(db, 'OVN_Northbound')
    if (ops.every((o) => o.op === 'select')) {
      this.reads += 1
      return ops.map((o) => ({ rows: this.select(o) }))
    }
    this.beforeWrite?.(this)
    this.writes.push([...ops])
    let applied: ReturnType<typeof applyToSnapshot>
    try {
      applied = applyToSnapshot(this.state, ops)
    } catch (e) {
      const message = e instanceof Error ? e.message : ''
      if (message === 'wait failed') throw new OvsdbWaitFailedError(0, new OvsdbError('timed out'), [])
      // As ovsdb-server reports a unique index violated at commit: the extra result element.
      if (message.startsWith('constraint violation'))
        throw new TransactionError(ops.length, 'commit', new OvsdbConstraintViolationError(message), [])
      throw e
    }
    this.state = applied.snapshot
    return ops.map((o) =>
      o.op === 'insert' && o.uuidName ? { uuid: new Uuid(applied.inserted.get(o.uuidName) ?? '') } : {},
    )
  }

  private select(o: Operation): Row[] {
    if (o.op !== 'select') return []
    const nameIs = o.where.find((c) => c[0] === 'name')?.[2]
    const { ls, lsp } = snapshotRows(this.state)
    if (o.table === 'Logical_Switch') return ls
    return lsp.filter((r) => nameIs === undefined || setItems(nameIs)[0] === r.name)
  }
}

test('ensure, attach, list, detach, delete through the public API; re-runs send nothing', async () => {
  const nb = new FakeNb({ switches: [], ports: [] })
  const created = await ensureLogicalSwitch(nb, 'tenant-a', { subnet: '192.0.2.0/24' })
  assert.equal(created.created, true)
  assert.equal(created.uuid, nb.state.switches[0]?.uuid)
  assert.deepEqual(await ensureLogicalSwitch(nb, 'tenant-a', { subnet: '192.0.2.0/24' }), {
    ...created,
    created: false,
    changed: false,
  })
  assert.equal(nb.writes.length, 1)

  const ports = [
    { vifUuid: VIF1, mac: '02:00:00:00:00:01', ips: ['192.0.2.11'] },
    { vifUuid: VIF2, mac: '02:00:00:00:00:02', ips: 'dynamic' as const },
  ]
  const attached = await attachPorts(nb, 'tenant-a', ports)
  assert.equal(nb.writes.length, 2)
  assert.deepEqual(
    attached.ports.map((p) => [p.vifUuid, p.action, p.uuid]),
    [
      [VIF1, 'created', nb.state.ports.find((p) => p.name === VIF1)?.uuid],
      [VIF2, 'created', nb.state.ports.find((p) => p.name === VIF2)?.uuid],
    ],
  )
  const again = await attachPorts(nb, 'tenant-a', ports)
  assert.equal(again.changed, false)
  assert.equal(nb.writes.length, 2, 'an idempotent re-run sends no transaction')
  assert.deepEqual(
    again.ports.map((p) => p.uuid),
    attached.ports.map((p) => p.uuid),
  )

  const ln = await addLocalnetPort(nb, 'tenant-a', { name: 'provnet', networkName: 'physnet-mgmt', vlan: 7 })
  assert.equal(ln.action, 'created')
  assert.equal(ln.uuid, nb.state.ports.find((p) => p.name === 'provnet')?.uuid)

  const listed = await listPorts(nb, 'tenant-a')
  assert.deepEqual(
    listed.map((p) => [p.name, p.type, p.addresses, p.tagRequest, p.options]),
    [
      [VIF1, '', ['02:00:00:00:00:01 192.0.2.11'], null, {}],
      [VIF2, '', ['02:00:00:00:00:02 dynamic'], null, {}],
      ['provnet', 'localnet', ['unknown'], 7, { network_name: 'physnet-mgmt' }],
    ],
  )
  assert.deepEqual(
    (await listLogicalSwitches(nb)).map((s) => [s.name, s.subnet, s.portCount]),
    [['tenant-a', '192.0.2.0/24', 3]],
  )

  assert.equal(await code(deleteLogicalSwitch(nb, 'tenant-a')), 'OVN_NB_SWITCH_NOT_EMPTY tenant-a|3')
  const detached = await detachPorts(nb, [VIF1, VIF2])
  assert.deepEqual(
    detached.removed.map((r) => r.vifUuid),
    [VIF1, VIF2],
  )
  assert.deepEqual((await detachPorts(nb, [VIF1])).absent, [VIF1])
  assert.deepEqual(
    nb.state.ports.map((p) => p.name),
    ['provnet'],
  )

  const deleted = await deleteLogicalSwitch(nb, 'tenant-a', { force: true })
  assert.deepEqual([deleted.deleted, deleted.portCount], [true, 1])
  assert.deepEqual(nb.state, { switches: [], ports: [] })
  assert.deepEqual(await deleteLogicalSwitch(nb, 'tenant-a', { ifExists: true }), {
    deleted: false,
    uuid: null,
    name: 'tenant-a',
    portCount: 0,
    dhcpUuid: null,
    dhcpv6Uuid: null,
    dryRun: false,
  })
  assert.equal(await code(deleteLogicalSwitch(nb, 'tenant-a')), 'OVN_NB_SWITCH_MISSING tenant-a')
})

test('attach reads the switches and the ports in one transaction, one select per table (not one per name)', async () => {
  const nb = new FakeNb({ switches: [lswitch('tenant-a', SW_A)], ports: [] })
  const seen: Operation[][] = []
  const inner = nb.transact.bind(nb)
  nb.transact = async (db, ops) => {
    seen.push([...ops])
    return inner(db, ops)
  }
  await attachPorts(nb, 'tenant-a', [{ vifUuid: VIF1, mac: '02:00:00:00:00:01' }])
  assert.deepEqual(
    seen[0]?.map((o) => (o.op === 'select' ? `${o.table} ${JSON.stringify(o.where)}` : o.op)),
    ['Logical_Switch []', 'Logical_Switch_Port []'],
  )
})

test('a precondition broken by another writer: read, plan and write again, and the result reflects it', async () => {
  const nb = new FakeNb({ switches: [lswitch('tenant-a', SW_A)], ports: [] })
  let interfered = false
  nb.beforeWrite = (fake) => {
    if (interfered) return
    interfered = true
    // Someone attaches the same VIF with another address between our read and our write.
    fake.state = {
      switches: [lswitch('tenant-a', SW_A, { ports: [LSP1] })],
      ports: [lport(VIF1, LSP1, { addresses: ['02:00:00:00:00:01 192.0.2.99'] })],
    }
  }
  const r = await attachPorts(nb, 'tenant-a', [{ vifUuid: VIF1, mac: '02:00:00:00:00:01', ips: ['192.0.2.11'] }])
  assert.equal(nb.reads, 2)
  assert.deepEqual(
    r.ports.map((p) => [p.action, p.uuid]),
    [['updated', LSP1]],
  )
  assert.deepEqual(
    nb.state.ports.map((p) => p.addresses),
    [['02:00:00:00:00:01 192.0.2.11']],
  )
})

test(`a precondition that fails ${MAX_ATTEMPTS} times in a row is OVN_CONCURRENT_CHANGE, nothing written`, async () => {
  const nb = new FakeNb({ switches: [lswitch('tenant-a', SW_A)], ports: [] })
  nb.beforeWrite = (fake) => {
    // The switch is renamed every time, so the "switch still there" wait never holds.
    const sw = fake.state.switches[0]
    if (sw) fake.state = { ...fake.state, switches: [{ ...sw, name: `${sw.name}x` }] }
  }
  let renamedBack = 0
  const inner = nb.transact.bind(nb)
  nb.transact = async (db, ops) => {
    // Reads always see the original name again (the other writer keeps flapping it).
    if (ops.every((o) => o.op === 'select')) {
      renamedBack += 1
      nb.state = { switches: [lswitch('tenant-a', SW_A)], ports: [] }
    }
    return inner(db, ops)
  }
  const got = await code(attachPorts(nb, 'tenant-a', [{ vifUuid: VIF1, mac: '02:00:00:00:00:01' }]))
  assert.match(got, /^OVN_CONCURRENT_CHANGE ports on logical switch tenant-a kept changing/)
  assert.equal(renamedBack, MAX_ATTEMPTS)
  assert.deepEqual(nb.state.ports, [])
})

test('invalid input is refused before anything is read', async () => {
  const nb = new FakeNb({ switches: [], ports: [] })
  assert.equal(
    await code(attachPorts(nb, 'tenant-a', [{ vifUuid: 'x', mac: '02:00:00:00:00:01' }])),
    'OVN_INVALID_ARGUMENT ports[0].vifUuid|x|expected the lower-case UUID of a XAPI VIF',
  )
  assert.equal(
    await code(ensureLogicalSwitch(nb, 'a b')),
    'OVN_INVALID_ARGUMENT name|a b|switch names are 1-64 letters, digits, "_", ".", ":" or "-", starting with a letter, digit or "_"',
  )
  assert.equal(
    await code(addLocalnetPort(nb, 'tenant-a', { name: 'p', networkName: 'x:y' })),
    'OVN_INVALID_ARGUMENT networkName|x:y|"x:y" is not a name (letters, digits, "_", ".", "-") (it must match a physnet of ovn-bridge-mappings)',
  )
  assert.equal(nb.reads, 0)
})

test('a port of the same name created elsewhere between read and write: the name index refuses, the re-read refuses it too', async () => {
  const nb = new FakeNb({ switches: [lswitch('tenant-a', SW_A), lswitch('tenant-b', SW_B)], ports: [] })
  let interfered = false
  nb.beforeWrite = (fake) => {
    if (interfered) return
    interfered = true
    // Another client attaches VIF1 to tenant-b; our plan had it free (no wait says so).
    fake.state = {
      switches: [lswitch('tenant-a', SW_A), lswitch('tenant-b', SW_B, { ports: [LSP1] })],
      ports: [lport(VIF1, LSP1, { addresses: ['02:00:00:00:00:01'] })],
    }
  }
  assert.equal(
    await code(attachPorts(nb, 'tenant-a', [{ vifUuid: VIF1, mac: '02:00:00:00:00:01' }])),
    `OVN_NB_PORT_CONFLICT ${VIF1}|tenant-b|it is on another logical switch (${SW_B}); detach it first`,
  )
  assert.equal(nb.reads, 2)
  assert.deepEqual(
    nb.state.switches.map((s) => s.portUuids),
    [[], [LSP1]],
    'nothing of ours was written',
  )
})

test('a constraint violation the same plan meets again is no race: thrown as it is, not retried', async () => {
  const nb = new FakeNb({ switches: [lswitch('tenant-a', SW_A)], ports: [] })
  let writes = 0
  const inner = nb.transact.bind(nb)
  nb.transact = async (db, ops) => {
    if (ops.every((o) => o.op === 'select')) return inner(db, ops)
    writes += 1
    throw new TransactionError(ops.length, 'commit', new OvsdbConstraintViolationError('something else'), [])
  }
  assert.equal(
    await code(attachPorts(nb, 'tenant-a', [{ vifUuid: VIF1, mac: '02:00:00:00:00:01' }])),
    'OVN_OVSDB_CONSTRAINT_VIOLATION 4|commit|constraint violation|something else',
  )
  assert.equal(writes, 2)
})

test('detach: duplicate VIFs are one, a bad one is named by its own index', async () => {
  const nb = new FakeNb({
    switches: [lswitch('tenant-a', SW_A, { ports: [LSP1] })],
    ports: [lport(VIF1, LSP1, { addresses: ['02:00:00:00:00:01'] })],
  })
  assert.equal(
    await code(detachPorts(nb, [VIF1, VIF1, 'bad'])),
    'OVN_INVALID_ARGUMENT vifUuids[2]|bad|expected the lower-case UUID of a XAPI VIF',
  )
  assert.equal(nb.reads, 0)
  const r = await detachPorts(nb, [VIF1, VIF2, VIF1])
  assert.deepEqual([r.removed.map((p) => p.vifUuid), r.absent], [[VIF1], [VIF2]])
})
