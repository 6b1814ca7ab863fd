/**
 * The host agent's writes to Bridge and Interface rows, each ONE guarded transaction.
 *
 * An iface-id plan (plan-iface-ids.ts): for every Interface a `wait`
 * that its external_ids are still exactly what was read, then the mutation of the one key. If
 * xenopsd re-plugged a port or anyone else changed its ids in between, the waits fail, nothing
 * is written and the caller plans again from a fresh read (OVN_CONCURRENT_CHANGE).
 */
import { ConcurrentChangeError } from '../errors.js'
import { namedUuid, ovsdbMap, set, Uuid } from '../ovsdb/codec.js'
import { OvsdbWaitFailedError } from '../ovsdb/errors.js'
import { type Operation, op, where } from '../ovsdb/operations.js'
import { IFACE_ID_KEY } from './keys.js'
import { DB, type Transactor } from './ovsdb-io.js'
import type { BridgeIdsRepair } from './plan-bridge-ids.js'
import type { IfaceIdChange } from './plan-iface-ids.js'
import type { IntegrationBridgePlan } from './plan-integration-bridge.js'
import type { PortMovePlan } from './plan-port-moves.js'

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

/**
 * Make the integration bridge of an experimental mode (plan-integration-bridge.ts): Bridge, its
 * internal Port and Interface, and its place in Open_vSwitch `bridges`, if no bridge of that name
 * appeared since the read.
 */
export function integrationBridgeOperations(plan: IntegrationBridgePlan, comment: string): Operation[] {
  return [
    op.wait('Bridge', [where('name', '==', plan.bridge)], ['name'], '==', []),
    op.insert('Interface', { name: plan.bridge, type: 'internal' }, 'iface'),
    op.insert('Port', { name: plan.bridge, interfaces: namedUuid('iface') }, 'port'),
    op.insert(
      'Bridge',
      {
        name: plan.bridge,
        ports: namedUuid('port'),
        fail_mode: 'secure',
        datapath_type: plan.datapathType,
        external_ids: ovsdbMap(plan.externalIds),
      },
      'bridge',
    ),
    op.mutate(
      'Open_vSwitch',
      [where('_uuid', '==', new Uuid(plan.ovsUuid))],
      [['bridges', 'insert', set(namedUuid('bridge'))]],
    ),
    op.comment(comment),
  ]
}

export async function applyIntegrationBridge(
  client: Transactor,
  plan: IntegrationBridgePlan,
  comment: string,
): Promise<void> {
  try {
    await client.transact(DB, integrationBridgeOperations(plan, comment))
  } catch (e) {
    if (e instanceof OvsdbWaitFailedError) {
      throw new ConcurrentChangeError(`bridge ${plan.bridge} appeared since it was read; plan again`)
    }
    throw e
  }
}

/**
 * The `reconcile` mode's move (plan-port-moves.ts) as ONE transaction: every source bridge's
 * ports still as read, the moved interfaces' external_ids still as read; the ports leave their
 * bridges and join the integration bridge (the same Port rows: every Xen id kept); their
 * iface-ids are written.
 */
export function portMoveOperations(plan: PortMovePlan, comment: string): Operation[] {
  const moved = plan.sources.flatMap((b) => b.moving.map((u) => new Uuid(u)))
  const ifaceIds = ifaceIdOperations(plan.ifaceIds, comment).filter((o) => o.op !== 'comment')
  return [
    ...plan.sources.map((b) =>
      op.wait('Bridge', [where('_uuid', '==', new Uuid(b.uuid))], ['ports'], '==', [
        { ports: set(...b.portUuids.map((u) => new Uuid(u))) },
      ]),
    ),
    ...ifaceIds.filter((o) => o.op === 'wait'),
    ...plan.sources.map((b) =>
      op.mutate(
        'Bridge',
        [where('_uuid', '==', new Uuid(b.uuid))],
        [['ports', 'delete', set(...b.moving.map((u) => new Uuid(u)))]],
      ),
    ),
    op.mutate(
      'Bridge',
      [where('_uuid', '==', new Uuid(plan.integrationBridgeUuid))],
      [['ports', 'insert', set(...moved)]],
    ),
    ...ifaceIds.filter((o) => o.op !== 'wait'),
    op.comment(comment),
  ]
}

export async function applyPortMoves(client: Transactor, plan: PortMovePlan, comment: string): Promise<void> {
  try {
    await client.transact(DB, portMoveOperations(plan, comment))
  } catch (e) {
    if (e instanceof OvsdbWaitFailedError) {
      throw new ConcurrentChangeError('a VIF port to move changed since it was read (re-plugged?); plan again')
    }
    throw e
  }
}
