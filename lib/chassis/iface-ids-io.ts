/**
 * Send an iface-id plan (plan-iface-ids.ts) as ONE transaction: for every Interface a `wait`
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
