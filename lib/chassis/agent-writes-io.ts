/**
 * The host agent's writes to Bridge and Interface rows, each ONE guarded transaction.
 *
 * An iface-id plan (plan-iface-ids.ts): for every Interface a `wait`
 * that its external_ids are still exactly what was read, then the mutation of the one key. If
 * xenopsd re-plugged a port or anyone else changed its ids in between, the waits fail, nothing
 * is written and the caller plans again from a fresh read (OVN_CONCURRENT_CHANGE).
 */
import { ConcurrentChangeError } from '../errors.js'
import { ovsdbMap, set, Uuid } from '../ovsdb/codec.js'
import { OvsdbWaitFailedError } from '../ovsdb/errors.js'
import { type Operation, op, where } from '../ovsdb/operations.js'
import { IFACE_ID_KEY } from './keys.js'
import { DB, type Transactor } from './ovsdb-io.js'
import type { BridgeIdsRepair } from './plan-bridge-ids.js'
import type { IfaceIdChange } from './plan-iface-ids.js'

export function ifaceIdOperations(changes: readonly IfaceIdChange[], comment: string): Operation[] {
  const waits = changes.map((c) =>
    op.wait('Interface', [where('_uuid', '==', new Uuid(c.interfaceUuid))], ['external_ids'], '==', [
      { external_ids: ovsdbMap(c.expected) },
    ]),
  )
  const mutations = changes.map((c) =>
    op.mutate(
      'Interface',
      [where('_uuid', '==', new Uuid(c.interfaceUuid))],
      [
        ['external_ids', 'delete', set(IFACE_ID_KEY)],
        ...(c.ifaceId === null ? [] : [['external_ids', 'insert', ovsdbMap({ [IFACE_ID_KEY]: c.ifaceId })] as const]),
      ],
    ),
  )
  return [...waits, ...mutations, op.comment(comment)]
}

export async function applyIfaceIds(
  client: Transactor,
  changes: readonly IfaceIdChange[],
  comment: string,
): Promise<void> {
  if (changes.length === 0) return
  try {
    await client.transact(DB, ifaceIdOperations(changes, comment))
  } catch (e) {
    if (e instanceof OvsdbWaitFailedError) {
      throw new ConcurrentChangeError('a VIF interface changed since it was read (re-plugged?); plan again')
    }
    throw e
  }
}

/** Give a re-created integration bridge XAPI's ids back (plan-bridge-ids.ts), guarded. */
export async function applyBridgeIds(client: Transactor, repair: BridgeIdsRepair, comment: string): Promise<void> {
  const self = [where('_uuid', '==', new Uuid(repair.bridgeUuid))]
  try {
    await client.transact(DB, [
      op.wait('Bridge', self, ['external_ids'], '==', [{ external_ids: ovsdbMap(repair.expected) }]),
      op.mutate('Bridge', self, [
        ['external_ids', 'delete', set(...Object.keys(repair.set))],
        ['external_ids', 'insert', ovsdbMap(repair.set)],
      ]),
      op.comment(comment),
    ])
  } catch (e) {
    if (e instanceof OvsdbWaitFailedError) {
      throw new ConcurrentChangeError(`bridge ${repair.bridge} changed since it was read; plan again`)
    }
    throw e
  }
}
