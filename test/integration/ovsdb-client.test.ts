/**
 * OvsdbClient against REAL ovsdb-server processes (Open vSwitch 3.x): a standalone server on
 * unix, tcp and ssl, and a 3-member RAFT cluster of the OVN Northbound database.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { InvalidArgumentError, OvsdbUnavailableError } from '../../lib/errors.js'
import { NamedUuid, OvsdbSet, Uuid, ovsdbMap, set, setItems, stringMap } from '../../lib/ovsdb/codec.js'
import type { Value } from '../../lib/ovsdb/codec.js'
import { OvsdbClient } from '../../lib/ovsdb/client.js'
import type { OvsdbLogger } from '../../lib/ovsdb/client.js'
import type { TableUpdates, TableUpdates2 } from '../../lib/ovsdb/monitor.js'
import {
  OvsdbError,
  OvsdbRequestTimeoutError,
  OvsdbUnknownDatabaseError,
  OvsdbWaitFailedError,
  TransactionError,
  UnixctlError,
  UnixctlUnavailableError,
} from '../../lib/ovsdb/errors.js'
import { op } from '../../lib/ovsdb/operations.js'
import { decodeRow } from '../../lib/ovsdb/schema.js'
import type { Row } from '../../lib/ovsdb/schema.js'
import { findUnixctlSocket, unixctlCall } from '../../lib/ovsdb/unixctl.js'
import { appctl, freePort, ovsdbClientJson, startCluster, startStandalone, waitFor } from './ovsdb-fixtures.js'
import type { Cluster, Standalone } from './ovsdb-fixtures.js'

const DB = 'Open_vSwitch'

/** Rows in a comparable form: sets and maps sorted, rows sorted by _uuid. */
function canonRows(rows: readonly Row[]): unknown {
  const atom = (a: unknown): unknown =>
    a instanceof Uuid ? `uuid:${a.value}` : a instanceof NamedUuid ? `named:${a.name}` : a
  const key = (x: unknown): string => JSON.stringify(x)
  const value = (v: Value): unknown => {
    if (v instanceof OvsdbSet) return { set: v.items.map(atom).sort((a, b) => key(a).localeCompare(key(b))) }
    if (v instanceof Map)
      return { map: [...v].map(([k, x]) => [atom(k), atom(x)]).sort((a, b) => key(a).localeCompare(key(b))) }
    return atom(v)
  }
  return rows
    .map((r) =>
      Object.fromEntries(
        Object.keys(r)
          .sort()
          .map((c) => [c, value(r[c] as Value)]),
      ),
    )
    .sort((a, b) => key(a._uuid).localeCompare(key(b._uuid)))
}

function recordingLogger(): OvsdbLogger & { lines: string[] } {
  const lines: string[] = []
  const rec = (level: string) => (message: string) => {
    lines.push(`${level} ${message}`)
  }
  return { lines, debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') }
}

/** Insert the Open_vSwitch root row once, so Bridges (non-root) can be kept by reference. */
async function ensureRoot(client: OvsdbClient): Promise<Uuid> {
  const [sel] = await client.transact(DB, [op.select('Open_vSwitch', [], ['_uuid'])])
  const existing = sel.rows[0]?._uuid
  if (existing instanceof Uuid) return existing
  const [ins] = await client.transact(DB, [op.insert('Open_vSwitch', {})])
  return ins.uuid
}

/** Add a bridge referenced from the root row; returns its uuid. */
async function addBridge(client: OvsdbClient, name: string, extra: Record<string, Value> = {}): Promise<Uuid> {
  const [ins] = await client.transact(DB, [
    op.insert('Bridge', { name, ...extra }, 'br'),
    op.mutate('Open_vSwitch', [], [['bridges', 'insert', new NamedUuid('br')]]),
  ])
  return ins.uuid
}

describe('OvsdbClient against a standalone ovsdb-server', () => {
  let srv: Standalone
  let unix: string

  before(async () => {
    srv = await startStandalone()
    unix = `unix:${srv.sock}`
    const c = await OvsdbClient.connect(unix)
    await ensureRoot(c)
    await c.close()
  })
  after(async () => {
    await srv?.cleanup()
  })

  it('list_dbs lists the databases the server serves', async (t) => {
    const client = await OvsdbClient.connect(unix)
    t.after(() => client.destroy())
    assert.deepEqual((await client.listDbs()).sort(), ['Open_vSwitch', '_Server'])
  })

  it('get_schema returns the parsed schema with column types', async (t) => {
    const client = await OvsdbClient.connect(unix)
    t.after(() => client.destroy())
    const schema = await client.getSchema(DB)
    assert.equal(schema.name, 'Open_vSwitch')
    const ports = schema.tables.get('Bridge')?.columns.get('ports')
    assert.equal(ports?.type.key.type, 'uuid')
    assert.equal(ports?.type.key.refTable, 'Port')
    assert.equal(ports?.type.max, 'unlimited')
    assert.equal(schema.tables.get('Open_vSwitch')?.isRoot, true)
    assert.ok(schema.tables.get('Bridge')?.columns.get('external_ids')?.type.value)
  })

  it('transact runs insert, mutate, wait and comment atomically, then update and delete', async (t) => {
    const client = await OvsdbClient.connect(unix)
    t.after(() => client.destroy())
    const name = `br-${randomUUID().slice(0, 8)}`
    const results = await client.transact(DB, [
      op.wait('Bridge', [['name', '==', name]], ['name'], '==', []),
      op.insert('Bridge', { name, external_ids: ovsdbMap({ 'xs-network-uuids': 'n1' }) }, 'newbr'),
      op.mutate('Open_vSwitch', [], [['bridges', 'insert', new NamedUuid('newbr')]]),
      op.comment(`xapi-ovn test: add ${name}`),
    ])
    assert.equal(results.length, 4)
    assert.deepEqual(results[0], {})
    assert.ok(results[1].uuid instanceof Uuid)
    assert.deepEqual(results[2], { count: 1 })
    assert.deepEqual(results[3], {})
    const br = results[1].uuid

    const [upd] = await client.transact(DB, [op.update('Bridge', [['_uuid', '==', br]], { fail_mode: 'secure' })])
    assert.deepEqual(upd, { count: 1 })
    const [mut] = await client.transact(DB, [
      op.mutate('Bridge', [['_uuid', '==', br]], [['external_ids', 'insert', ovsdbMap({ 'bridge-id': 'x' })]]),
    ])
    assert.deepEqual(mut, { count: 1 })
    const [sel] = await client.transact(DB, [op.select('Bridge', [['_uuid', '==', br]])])
    const row = sel.rows[0] as Row
    assert.ok(row.fail_mode instanceof OvsdbSet, 'an optional column decodes as a set')
    assert.deepEqual(setItems(row.fail_mode), ['secure'])
    assert.deepEqual(Object.fromEntries(stringMap(row.external_ids)), { 'xs-network-uuids': 'n1', 'bridge-id': 'x' })
    assert.ok(row.ports instanceof OvsdbSet)

    const del = await client.transact(DB, [
      op.mutate('Open_vSwitch', [], [['bridges', 'delete', set(br)]]),
      op.delete('Bridge', [['_uuid', '==', br]]),
    ])
    assert.deepEqual(del, [{ count: 1 }, { count: 1 }])
    const [after] = await client.transact(DB, [op.select('Bridge', [['name', '==', name]])])
    assert.equal(after.rows.length, 0)
  })

  it('a failing wait throws OvsdbWaitFailedError and writes nothing', async (t) => {
    const client = await OvsdbClient.connect(unix)
    t.after(() => client.destroy())
    const name = `br-${randomUUID().slice(0, 8)}`
    await assert.rejects(
      client.transact(DB, [
        op.insert('Bridge', { name }, 'b'),
        op.mutate('Open_vSwitch', [], [['bridges', 'insert', new NamedUuid('b')]]),
        // Precondition: system-id is some value it is not.
        op.wait('Open_vSwitch', [], ['external_ids'], '==', [
          { external_ids: ovsdbMap({ 'system-id': 'not-this-one' }) },
        ]),
      ]),
      (err: unknown) => {
        assert.ok(err instanceof OvsdbWaitFailedError)
        assert.ok(err instanceof TransactionError)
        assert.equal(err.code, 'OVN_OVSDB_WAIT_FAILED')
        assert.equal(err.index, 2)
        assert.equal(err.op, 'wait')
        assert.equal(err.error, 'timed out')
        assert.equal(err.cause.code, 'OVN_OVSDB_TIMED_OUT')
        return true
      },
    )
    const [sel] = await client.transact(DB, [op.select('Bridge', [['name', '==', name]])])
    assert.equal(sel.rows.length, 0)
  })

  it('operation errors are typed, with the index of the failed operation', async (t) => {
    const client = await OvsdbClient.connect(unix)
    t.after(() => client.destroy())
    const cases: {
      name: string
      ops: Parameters<OvsdbClient['transact']>[1]
      code: string
      index: number
      op: string
    }[] = [
      {
        name: 'enum constraint',
        ops: [op.comment('x'), op.insert('Bridge', { name: 'c1', fail_mode: 'bogus' })],
        code: 'OVN_OVSDB_CONSTRAINT_VIOLATION',
        index: 1,
        op: 'insert',
      },
      {
        name: 'duplicate uuid-name',
        ops: [op.insert('Bridge', { name: 'd1' }, 'x'), op.insert('Bridge', { name: 'd2' }, 'x')],
        code: 'OVN_OVSDB_DUPLICATE_UUID_NAME',
        index: 1,
        op: 'insert',
      },
      { name: 'abort', ops: [op.comment('before'), op.abort()], code: 'OVN_OVSDB_ABORTED', index: 1, op: 'abort' },
      {
        name: 'assert without the lock',
        ops: [op.assert('nobody_holds_this')],
        code: 'OVN_OVSDB_NOT_OWNER',
        index: 0,
        op: 'assert',
      },
      {
        name: 'unknown column',
        ops: [op.select('Bridge', [['no_such_column', '==', 1]])],
        code: 'OVN_OVSDB_UNKNOWN_COLUMN',
        index: 0,
        op: 'select',
      },
      {
        name: 'unknown table',
        ops: [op.comment('x'), op.comment('y'), op.delete('No_Such_Table', [])],
        code: 'OVN_OVSDB_SYNTAX_ERROR',
        index: 2,
        op: 'delete',
      },
      {
        name: 'mutate an immutable column',
        ops: [op.mutate('Bridge', [], [['name', '+=', 'x']])],
        code: 'OVN_OVSDB_CONSTRAINT_VIOLATION',
        index: 0,
        op: 'mutate',
      },
    ]
    for (const c of cases) {
      await assert.rejects(client.transact(DB, c.ops), (err: unknown) => {
        assert.ok(err instanceof TransactionError, c.name)
        assert.ok(!(err instanceof OvsdbWaitFailedError), c.name)
        assert.equal(err.code, c.code, c.name)
        assert.equal(err.index, c.index, c.name)
        assert.equal(err.op, c.op, c.name)
        return true
      })
    }
  })

  it('a commit that fails reports the extra result element as operation "commit"', async (t) => {
    const client = await OvsdbClient.connect(unix)
    t.after(() => client.destroy())
    // Every operation succeeds; the commit then finds a reference to a row that does not exist.
    const ghost = new Uuid(randomUUID())
    const ops = [
      op.insert('Bridge', { name: 'ghostly', ports: set(ghost) }, 'g'),
      op.mutate('Open_vSwitch', [], [['bridges', 'insert', new NamedUuid('g')]]),
    ]
    await assert.rejects(client.transact(DB, ops), (err: unknown) => {
      assert.ok(err instanceof TransactionError)
      assert.equal(err.code, 'OVN_OVSDB_REFERENTIAL_INTEGRITY_VIOLATION')
      assert.equal(err.index, ops.length)
      assert.equal(err.op, 'commit')
      assert.equal(err.results.length, ops.length + 1)
      return true
    })
    const [sel] = await client.transact(DB, [op.select('Bridge', [['name', '==', 'ghostly']])])
    assert.equal(sel.rows.length, 0)
  })

  it('JSON-RPC level errors are typed: unknown database, unknown monitor, unknown method', async (t) => {
    const client = await OvsdbClient.connect(unix)
    t.after(() => client.destroy())
    await assert.rejects(client.transact('No_Such_DB', [op.comment('x')]), OvsdbUnknownDatabaseError)
    await assert.rejects(
      client.getSchema('No_Such_DB'),
      (e: unknown) => e instanceof OvsdbUnknownDatabaseError && e.code === 'OVN_OVSDB_UNKNOWN_DATABASE',
    )
    await assert.rejects(
      client.monitorCancel('never-started'),
      (e: unknown) => e instanceof OvsdbError && e.code === 'OVN_OVSDB_UNKNOWN_MONITOR',
    )
    await assert.rejects(
      client.request('no_such_method', []),
      (e: unknown) => e instanceof OvsdbError && e.code === 'OVN_OVSDB_UNKNOWN_METHOD',
    )
    // The connection is still fine after errors.
    assert.ok((await client.listDbs()).includes(DB))
  })

  it("select returns the same rows as OVS's own ovsdb-client for the same query", async (t) => {
    const client = await OvsdbClient.connect(unix)
    t.after(() => client.destroy())
    await addBridge(client, 'cmp-a', { external_ids: ovsdbMap({ a: '1', b: '2' }), fail_mode: 'standalone' })
    await addBridge(client, 'cmp-b', { other_config: ovsdbMap({ 'disable-in-band': 'true' }) })
    const query = { op: 'select', table: 'Bridge', where: [['name', 'includes', 'cmp-a']] }
    for (const where of [[], [['name', '==', 'cmp-a']]] as const) {
      const theirs = (await ovsdbClientJson(['transact', unix, JSON.stringify([DB, { ...query, where }])])) as [
        { rows: unknown[] },
      ]
      const [ours] = await client.transact(DB, [
        op.select(
          'Bridge',
          where.map((w) => [w[0], w[1], w[2]] as const),
        ),
      ])
      const schema = await client.getSchema(DB)
      const theirRows = theirs[0].rows.map((r) => decodeRow(r, schema.tables.get('Bridge')))
      assert.ok(ours.rows.length >= 1)
      assert.deepEqual(canonRows(ours.rows), canonRows(theirRows))
    }
    // And a whole-table dump of Open_vSwitch through `ovsdb-client -f json dump`.
    const dump = (await ovsdbClientJson(['-f', 'json', 'dump', unix, DB, 'Open_vSwitch'])) as {
      headings: string[]
      data: unknown[][]
    }
    const [ours] = await client.transact(DB, [op.select('Open_vSwitch', [], dump.headings)])
    const schema = await client.getSchema(DB)
    const theirRows = dump.data.map((cells) =>
      decodeRow(Object.fromEntries(dump.headings.map((h, i) => [h, cells[i]])), schema.tables.get('Open_vSwitch')),
    )
    assert.deepEqual(canonRows(ours.rows), canonRows(theirRows))
  })

  it('monitor delivers the initial rows, then update notifications; cancel stops them', async (t) => {
    const client = await OvsdbClient.connect(unix)
    t.after(() => client.destroy())
    const writer = await OvsdbClient.connect(unix)
    t.after(() => writer.destroy())
    await addBridge(writer, 'mon-initial')

    const seen: TableUpdates[] = []
    const mon = await client.monitor(DB, { Bridge: { columns: ['name', 'external_ids'] } }, (u) => seen.push(u))
    const initialNames = Object.values(mon.initial.Bridge ?? {}).map((u) => u.new?.name)
    assert.ok(initialNames.includes('mon-initial'))

    const br = await addBridge(writer, 'mon-new')
    const inserted = await waitFor('update for mon-new', () =>
      seen.find((u) => u.Bridge?.[br.value]?.new?.name === 'mon-new'),
    )
    const rowUpdate = inserted.Bridge?.[br.value]
    assert.equal(rowUpdate?.old, undefined)
    assert.ok(rowUpdate?.new?.external_ids instanceof Map)

    await writer.transact(DB, [op.update('Bridge', [['_uuid', '==', br]], { external_ids: ovsdbMap({ k: 'v' }) })])
    const modified = await waitFor('modify update', () => seen.find((u) => u.Bridge?.[br.value]?.old !== undefined))
    assert.deepEqual(Object.fromEntries(stringMap(modified.Bridge?.[br.value]?.new?.external_ids)), { k: 'v' })
    assert.ok(modified.Bridge?.[br.value]?.old?.external_ids instanceof Map)

    // Cancel, then prove no more updates arrive: a second monitor on the same connection sees
    // the next change, the cancelled one does not.
    await mon.cancel()
    await mon.cancel()
    const seen2: TableUpdates[] = []
    await client.monitor(DB, { Bridge: { columns: ['name'] } }, (u) => seen2.push(u))
    const count = seen.length
    const br2 = await addBridge(writer, 'mon-after-cancel')
    await waitFor('second monitor update', () => seen2.find((u) => u.Bridge?.[br2.value]))
    await client.echo()
    assert.equal(seen.length, count)
  })

  it('monitor_cond delivers update2 notifications for the rows matching its condition only', async (t) => {
    const client = await OvsdbClient.connect(unix)
    t.after(() => client.destroy())
    const writer = await OvsdbClient.connect(unix)
    t.after(() => writer.destroy())
    const seen: TableUpdates2[] = []
    const mon = await client.monitorCond(
      DB,
      { Bridge: { columns: ['name', 'fail_mode'], where: [['name', '==', 'cond-yes']] } },
      (u) => seen.push(u),
    )
    assert.deepEqual(mon.initial, {})
    const no = await addBridge(writer, 'cond-no')
    const yes = await addBridge(writer, 'cond-yes')
    const ins = await waitFor('insert of cond-yes', () => seen.find((u) => u.Bridge?.[yes.value]?.insert))
    assert.equal(ins.Bridge?.[yes.value]?.insert?.name, 'cond-yes')
    await writer.transact(DB, [op.update('Bridge', [['_uuid', '==', yes]], { fail_mode: 'secure' })])
    const mod = await waitFor('modify of cond-yes', () => seen.find((u) => u.Bridge?.[yes.value]?.modify))
    assert.deepEqual(setItems(mod.Bridge?.[yes.value]?.modify?.fail_mode), ['secure'])
    await writer.transact(DB, [op.mutate('Open_vSwitch', [], [['bridges', 'delete', set(yes)]])])
    await waitFor('delete of cond-yes', () => seen.find((u) => u.Bridge?.[yes.value]?.delete === true))
    assert.ok(seen.every((u) => u.Bridge?.[no.value] === undefined))
    await mon.cancel()
  })

  it("answers the server's echo probes, so an idle connection with a 1 s inactivity probe stays up", async (t) => {
    const port = await freePort()
    const setup = await OvsdbClient.connect(unix)
    const [manager] = await setup.transact(DB, [
      op.insert('Manager', { target: `ptcp:${port}:127.0.0.1`, inactivity_probe: 1000 }, 'm'),
      op.mutate('Open_vSwitch', [], [['manager_options', 'insert', new NamedUuid('m')]]),
    ])
    // node:test runs after-hooks in the order they were added: remove the Manager, then disconnect.
    t.after(async () => {
      await setup.transact(DB, [op.mutate('Open_vSwitch', [], [['manager_options', 'delete', set(manager.uuid)]])])
      await setup.destroy()
    })
    const logger = recordingLogger()
    const client = await waitFor('manager listener', () => OvsdbClient.connect(`tcp:127.0.0.1:${port}`, { logger }))
    t.after(() => client.destroy())
    let closed = false
    client.on('close', () => {
      closed = true
    })
    // The server disconnects a peer that does not answer its echo within one more interval; a
    // second echo on the same connection proves the first was answered.
    await waitFor(
      'two echo requests answered',
      () => (logger.lines.filter((l) => l.includes('answering echo')).length >= 2 ? true : undefined),
      20_000,
      100,
    )
    assert.equal(closed, false)
    assert.ok((await client.listDbs()).includes(DB))
  })

  it('echo() round-trips its params', async (t) => {
    const client = await OvsdbClient.connect(unix)
    t.after(() => client.destroy())
    assert.deepEqual(await client.echo(['hello', 1, { a: [true] }]), ['hello', 1, { a: [true] }])
    assert.deepEqual(await client.echo(), [])
  })

  it('a request without a reply times out with OvsdbRequestTimeoutError and the connection stays usable', async (t) => {
    const client = await OvsdbClient.connect(unix)
    t.after(() => client.destroy())
    // A wait without timeout on a condition that never holds: the server holds the reply.
    const blocked = op.wait('Bridge', [['name', '==', 'never-there']], ['name'], '!=', [], { timeoutMs: null })
    await assert.rejects(
      client.transact(DB, [blocked], { timeoutMs: 200 }),
      (e: unknown) => e instanceof OvsdbRequestTimeoutError && e.code === 'OVN_OVSDB_REQUEST_TIMEOUT',
    )
    assert.ok((await client.listDbs()).includes(DB))
    // The client-wide default applies too.
    const quick = await OvsdbClient.connect(unix, { timeoutMs: 200 })
    t.after(() => quick.destroy())
    await assert.rejects(quick.transact(DB, [blocked]), OvsdbRequestTimeoutError)
  })

  it('close() is graceful and idempotent; pending and later requests are rejected', async (t) => {
    const client = await OvsdbClient.connect(unix)
    t.after(() => client.destroy())
    let closeEvents = 0
    client.on('close', () => closeEvents++)
    const pending = client.transact(DB, [
      op.wait('Bridge', [['name', '==', 'never-there']], ['name'], '!=', [], { timeoutMs: null }),
    ])
    const p1 = client.close()
    const p2 = client.close()
    assert.equal(p1, p2)
    await assert.rejects(
      pending,
      (e: unknown) => e instanceof OvsdbUnavailableError && e.code === 'OVN_OVSDB_UNAVAILABLE',
    )
    await p1
    assert.equal(client.closed, true)
    await assert.rejects(client.listDbs(), OvsdbUnavailableError)
    assert.equal(client.destroy(), p1)
    await client.destroy()
    assert.equal(closeEvents, 1)
  })

  it('destroy(err) aborts, rejects pending requests with err, and is idempotent', async (t) => {
    const client = await OvsdbClient.connect(unix)
    t.after(() => client.destroy())
    const pending = client.transact(DB, [
      op.wait('Bridge', [['name', '==', 'never-there']], ['name'], '!=', [], { timeoutMs: null }),
    ])
    const boom = new Error('boom')
    const d1 = client.destroy(boom)
    const d2 = client.destroy(new Error('second'))
    assert.equal(d1, d2)
    await assert.rejects(pending, (e: unknown) => e === boom)
    await d1
    await client.close()
    await assert.rejects(client.echo(), OvsdbUnavailableError)
  })

  it('connects over tcp', async (t) => {
    const client = await OvsdbClient.connect(`tcp:127.0.0.1:${srv.tcpPort}`)
    t.after(() => client.destroy())
    assert.equal(client.remote, `tcp:127.0.0.1:${srv.tcpPort}`)
    assert.ok((await client.listDbs()).includes(DB))
  })

  it('connects over ssl, verifying the server against the CA', async (t) => {
    const ssl = { key: srv.pki.client.keyPem, cert: srv.pki.client.certPem, ca: srv.pki.ca.certPem }
    const client = await OvsdbClient.connect(`ssl:127.0.0.1:${srv.sslPort}`, { ssl })
    t.after(() => client.destroy())
    assert.ok((await client.listDbs()).includes(DB))
    const [sel] = await client.transact(DB, [op.select('Open_vSwitch', [], ['_uuid'])])
    assert.equal(sel.rows.length, 1)
  })

  it('refuses an ssl server whose certificate does not chain to our CA', async () => {
    const ssl = { key: srv.pki.client.keyPem, cert: srv.pki.client.certPem, ca: srv.pki.otherCa.certPem }
    await assert.rejects(
      OvsdbClient.connect(`ssl:127.0.0.1:${srv.sslPort}`, { ssl }),
      (e: unknown) => e instanceof OvsdbUnavailableError,
    )
  })

  it('an ssl remote without key/cert/ca is a caller error', async () => {
    await assert.rejects(OvsdbClient.connect(`ssl:127.0.0.1:${srv.sslPort}`), InvalidArgumentError)
  })

  it('tries remotes in turn and collects every reason when none works', async (t) => {
    const dead1 = `unix:${srv.dir}/nothing-here.sock`
    const dead2 = `tcp:127.0.0.1:${await freePort()}`
    const client = await OvsdbClient.connect(`${dead1},${dead2},${unix}`)
    t.after(() => client.destroy())
    assert.equal(client.remote, unix)
    await assert.rejects(OvsdbClient.connect([dead1, dead2], { timeoutMs: 2000 }), (e: unknown) => {
      assert.ok(e instanceof OvsdbUnavailableError)
      assert.ok(e.params[1]?.includes(dead1), e.message)
      assert.ok(e.params[1]?.includes(dead2), e.message)
      return true
    })
  })

  it('with database set, a server that does not serve it is skipped', async (t) => {
    await assert.rejects(
      OvsdbClient.connect(unix, { database: 'OVN_Northbound' }),
      (e: unknown) => e instanceof OvsdbUnavailableError && /not served here/.test(e.message),
    )
    const client = await OvsdbClient.connect(unix, { database: DB, leaderOnly: true })
    t.after(() => client.destroy())
    const info = await client.serverDatabase(DB)
    assert.equal(info?.model, 'standalone')
    assert.equal(info?.leader, true)
  })

  it('rejects pending requests and emits close when the server goes away', async (t) => {
    const other = await startStandalone()
    t.after(() => other.cleanup())
    const client = await OvsdbClient.connect(`unix:${other.sock}`)
    t.after(() => client.destroy())
    const closed = new Promise<unknown>((resolve) => client.once('close', resolve))
    const pending = client.transact(DB, [op.wait('Open_vSwitch', [], ['_uuid'], '!=', [], { timeoutMs: null })])
    const outcome = pending.then(
      () => undefined,
      (e: unknown) => e,
    )
    await client.echo() // the wait is now held by the server
    await other.server.kill('SIGKILL')
    assert.ok((await outcome) instanceof OvsdbUnavailableError)
    assert.ok((await closed) instanceof OvsdbUnavailableError)
    assert.equal(client.closed, true)
  })

  it('unixctl: finds the control socket from the rundir and runs commands', async () => {
    const ctl = await findUnixctlSocket(srv.dir, 'ovsdb-server')
    assert.equal(ctl, srv.ctl)
    assert.match(await unixctlCall(ctl, 'version'), /^ovsdb-server \(Open vSwitch\) \d+\.\d+/)
    const dbs = await unixctlCall(ctl, 'ovsdb-server/list-dbs')
    assert.deepEqual(dbs.trim().split('\n').sort(), ['Open_vSwitch', '_Server'])
    // Same answer as ovs-appctl gives.
    assert.equal(await unixctlCall(ctl, 'ovsdb-server/list-remotes'), await appctl(ctl, 'ovsdb-server/list-remotes'))
  })

  it('unixctl: a daemon error is UnixctlError, an unreachable socket UnixctlUnavailableError', async () => {
    await assert.rejects(
      unixctlCall(srv.ctl, 'no/such-command'),
      (e: unknown) =>
        e instanceof UnixctlError && e.code === 'OVN_UNIXCTL_ERROR' && /not a valid command/.test(e.message),
    )
    await assert.rejects(unixctlCall(srv.ctl, 'ovsdb-server/add-db', []), UnixctlError)
    await assert.rejects(
      unixctlCall(`${srv.dir}/absent.ctl`, 'version'),
      (e: unknown) => e instanceof UnixctlUnavailableError && e.code === 'OVN_UNIXCTL_UNAVAILABLE',
    )
    await assert.rejects(findUnixctlSocket(srv.dir, 'ovn-controller'), UnixctlUnavailableError)
  })
})

describe('OvsdbClient against a 3-member RAFT cluster (OVN_Northbound)', () => {
  let cluster: Cluster
  const NB = 'OVN_Northbound'

  before(async () => {
    cluster = await startCluster(3)
    // Wait until the cluster has elected a leader and every member has joined (is connected),
    // so that killing the leader later still leaves a majority of three.
    const c = await waitFor(
      'a cluster leader',
      () => OvsdbClient.connect(cluster.remotes, { database: NB, leaderOnly: true, timeoutMs: 2000 }),
      30_000,
      200,
    )
    await c.close()
    for (const m of cluster.members) {
      const mc = await waitFor(
        `member s${m.index} connected`,
        () => OvsdbClient.connect(m.remote, { database: NB, timeoutMs: 2000 }),
        30_000,
        200,
      )
      await mc.close()
    }
  })
  after(async () => {
    await cluster?.cleanup()
  })

  function memberOf(client: OvsdbClient) {
    const m = cluster.members.find((x) => x.remote === client.remote)
    assert.ok(m, `unknown remote ${client.remote}`)
    return m
  }

  it('leaderOnly connects to the leader, whatever the order of the remotes', async (t) => {
    for (const remotes of [cluster.remotes, [...cluster.remotes].reverse()]) {
      const client = await OvsdbClient.connect(remotes, { database: NB, leaderOnly: true })
      t.after(() => client.destroy())
      const info = await client.serverDatabase(NB)
      assert.equal(info?.model, 'clustered')
      assert.equal(info?.leader, true)
      assert.equal(info?.connected, true)
      assert.match(await appctl(memberOf(client).ctl, 'cluster/status', NB), /Role: leader/)
    }
  })

  it('without leaderOnly, the first connected member is used and transactions are forwarded', async (t) => {
    const leader = await OvsdbClient.connect(cluster.remotes, { database: NB, leaderOnly: true })
    t.after(() => leader.destroy())
    const follower = cluster.members.find((m) => m.remote !== leader.remote)
    assert.ok(follower)
    const client = await OvsdbClient.connect([follower.remote, leader.remote], { database: NB })
    t.after(() => client.destroy())
    assert.equal(client.remote, follower.remote)
    const info = await client.serverDatabase(NB)
    assert.equal(info?.leader, false)
    assert.equal(info?.connected, true)
    const [ins] = await client.transact(NB, [op.insert('Logical_Switch', { name: 'ls-via-follower' })])
    assert.ok(ins.uuid instanceof Uuid)
    // leaderOnly refuses a follower-only list, saying why.
    await assert.rejects(
      OvsdbClient.connect([follower.remote], { database: NB, leaderOnly: true }),
      (e: unknown) => e instanceof OvsdbUnavailableError && /not the leader/.test(e.message),
    )
  })

  it('leaderOnly without database is a caller error', async () => {
    await assert.rejects(OvsdbClient.connect(cluster.remotes, { leaderOnly: true }), InvalidArgumentError)
  })

  it('a leaderOnly client drops its connection when its server loses the leadership', async (t) => {
    const client = await OvsdbClient.connect(cluster.remotes, { database: NB, leaderOnly: true })
    t.after(() => client.destroy())
    const leader = memberOf(client)
    const closed = new Promise<unknown>((resolve) => client.once('close', resolve))
    // Freeze the leader: the others elect a new one. Thawed, it learns it is no longer leader.
    process.kill(leader.server.pid, 'SIGSTOP')
    let frozen = true
    t.after(() => {
      if (frozen) process.kill(leader.server.pid, 'SIGCONT')
    })
    const others = cluster.remotes.filter((r) => r !== leader.remote)
    const next = await waitFor(
      'a leader among the others',
      () => OvsdbClient.connect(others, { database: NB, leaderOnly: true, timeoutMs: 2000 }),
      30_000,
      200,
    )
    t.after(() => next.destroy())
    process.kill(leader.server.pid, 'SIGCONT')
    frozen = false
    const err = await closed
    assert.ok(err instanceof OvsdbUnavailableError)
    assert.match(err.message, /not the leader|not connected to its cluster/)
    assert.equal(client.closed, true)
    // The cluster heals: all three members connected again (the next test needs a majority).
    for (const m of cluster.members) {
      const mc = await waitFor(
        `member s${m.index} connected again`,
        () => OvsdbClient.connect(m.remote, { database: NB, timeoutMs: 2000 }),
        30_000,
        200,
      )
      await mc.close()
    }
  })

  it('after the leader is killed, a new connect finds the new leader and skips the dead member', async (t) => {
    const first = await OvsdbClient.connect(cluster.remotes, { database: NB, leaderOnly: true })
    t.after(() => first.destroy())
    const oldLeader = memberOf(first)
    const gone = new Promise<unknown>((resolve) => first.once('close', resolve))
    await oldLeader.server.kill('SIGKILL')
    assert.ok((await gone) instanceof OvsdbUnavailableError)

    const client = await waitFor(
      'a new leader',
      () => OvsdbClient.connect(cluster.remotes, { database: NB, leaderOnly: true, timeoutMs: 2000 }),
      30_000,
      200,
    )
    t.after(() => client.destroy())
    assert.notEqual(client.remote, oldLeader.remote)
    assert.equal((await client.serverDatabase(NB))?.leader, true)
    const [ins] = await client.transact(NB, [op.insert('Logical_Switch', { name: 'ls-after-failover' })])
    assert.ok(ins.uuid instanceof Uuid)

    // The dead member is skipped (its reason kept); alone, it gives OvsdbUnavailableError.
    const any = await OvsdbClient.connect(
      [oldLeader.remote, ...cluster.remotes.filter((r) => r !== oldLeader.remote)],
      { database: NB },
    )
    t.after(() => any.destroy())
    assert.notEqual(any.remote, oldLeader.remote)
    await assert.rejects(OvsdbClient.connect([oldLeader.remote], { database: NB, leaderOnly: true }), (e: unknown) => {
      assert.ok(e instanceof OvsdbUnavailableError)
      assert.ok(e.params[1]?.startsWith(`${oldLeader.remote}: `), e.message)
      return true
    })
  })
})
