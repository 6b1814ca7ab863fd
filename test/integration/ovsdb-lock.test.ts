/**
 * OVSDB locks (RFC 7047 4.1.8-4.1.12) on a real ovsdb-server: the primitive by which exactly one
 * of several agents writes (issue 10's high availability rests on it, no home-made election).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { InvalidArgumentError } from '../../lib/errors.js'
import { OvsdbClient } from '../../lib/ovsdb/client.js'
import { TransactionError } from '../../lib/ovsdb/errors.js'
import { op } from '../../lib/ovsdb/operations.js'
import { startStandalone, type Standalone } from './ovsdb-fixtures.js'

describe('OVSDB locks on a real ovsdb-server', () => {
  let srv: Standalone
  let a: OvsdbClient
  let b: OvsdbClient

  before(async () => {
    srv = await startStandalone()
    a = await OvsdbClient.connect(`unix:${srv.sock}`)
    b = await OvsdbClient.connect(`unix:${srv.sock}`)
  })
  after(async () => {
    await a?.close()
    await b?.close()
    await srv?.cleanup()
  })

  it('one owner at a time; a queued session is told when it gets the lock; assert holds only for the owner', async () => {
    assert.deepEqual(await a.lock('xapi_ovn_agent'), { locked: true })
    assert.deepEqual(await b.lock('xapi_ovn_agent'), { locked: false })
    await a.transact('Open_vSwitch', [op.assert('xapi_ovn_agent'), op.comment('owner writes')])
    await assert.rejects(b.transact('Open_vSwitch', [op.assert('xapi_ovn_agent')]), TransactionError)
    const granted = once(b, 'locked')
    await a.unlock('xapi_ovn_agent')
    assert.deepEqual(await granted, ['xapi_ovn_agent'])
    await b.transact('Open_vSwitch', [op.assert('xapi_ovn_agent')])
  })

  it('steal takes it at once and tells the robbed session', async () => {
    const robbed = once(b, 'stolen')
    assert.deepEqual(await a.steal('xapi_ovn_agent'), { locked: true })
    assert.deepEqual(await robbed, ['xapi_ovn_agent'])
    await assert.rejects(b.transact('Open_vSwitch', [op.assert('xapi_ovn_agent')]), TransactionError)
    await a.unlock('xapi_ovn_agent')
  })

  it('a lock held by a connection that goes away passes to the next in line', async () => {
    const c = await OvsdbClient.connect(`unix:${srv.sock}`)
    assert.deepEqual(await c.lock('standby_test'), { locked: true })
    assert.deepEqual(await a.lock('standby_test'), { locked: false })
    const granted = once(a, 'locked')
    await c.destroy()
    assert.deepEqual(await granted, ['standby_test'])
  })

  it('a lock id that is not an <id> is refused before anything is sent', async () => {
    await assert.rejects(a.lock('no spaces'), InvalidArgumentError)
    await assert.rejects(a.steal(''), InvalidArgumentError)
  })
})
