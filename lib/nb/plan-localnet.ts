/**
 * Pure planner for a provider network port: a logical switch port of type "localnet" with
 * addresses ["unknown"], options:network_name naming a physical network of the chassis'
 * ovn-bridge-mappings, and tag_request as the provider VLAN (none for a flat network). Each
 * ovn-controller with a mapping for that network patches its integration bridge to the mapped
 * bridge. Other options already on the port are kept.
 */
import { Uuid, namedUuid, ovsdbMap, set } from '../ovsdb/codec.js'
import { op, where, type Operation } from '../ovsdb/operations.js'
import { NbPortConflictError } from './errors.js'
import { findPortByName, findSwitch, portOwners, type NbSnapshot } from './model.js'
import { portStillAsRead, type PortAction } from './plan-ports.js'
import { switchStillThere } from './plan-switch.js'
import type { LocalnetPort } from './validate-inputs.js'

/** The uuid-name of the port a localnet plan inserts. */
export const NEW_LOCALNET = 'new_localnet'

export interface LocalnetPlan {
  readonly operations: readonly Operation[]
  readonly switchUuid: string
  /** The existing row's UUID; null when the plan creates it (see NEW_LOCALNET). */
  readonly uuid: string | null
  readonly action: PortAction
}

export function planLocalnetPort(s: NbSnapshot, switchRef: string, port: LocalnetPort): LocalnetPlan {
  const sw = findSwitch(s, switchRef)
  const tagRequest = port.vlan === null ? set() : set(port.vlan)
  const comment = op.comment(
    `xapi-ovn: localnet port ${port.name} on logical switch ${sw.name} to network ${port.networkName}${port.vlan === null ? '' : ` VLAN ${port.vlan}`}`,
  )
  const existing = findPortByName(s, port.name)
  if (existing === undefined) {
    return {
      operations: [
        switchStillThere(sw),
        // That the name is still free is not a wait (a scan of the port table): the name index
        // refuses a duplicate at commit, and northbound.ts re-reads and re-plans (plan-ports.ts).
        op.insert(
          'Logical_Switch_Port',
          {
            name: port.name,
            type: 'localnet',
            addresses: set('unknown'),
            options: ovsdbMap({ network_name: port.networkName }),
            tag_request: tagRequest,
          },
          NEW_LOCALNET,
        ),
        op.mutate(
          'Logical_Switch',
          [where('_uuid', '==', new Uuid(sw.uuid))],
          [['ports', 'insert', set(namedUuid(NEW_LOCALNET))]],
        ),
        comment,
      ],
      switchUuid: sw.uuid,
      uuid: null,
      action: 'created',
    }
  }
  const owner = portOwners(s).get(existing.uuid)
  if (owner === undefined || owner.uuid !== sw.uuid) {
    throw new NbPortConflictError(
      port.name,
      owner?.name ?? '',
      `it is on another logical switch (${owner?.uuid ?? 'none'})`,
    )
  }
  if (existing.type !== 'localnet')
    throw new NbPortConflictError(
      port.name,
      sw.name,
      `it is a ${existing.type === '' ? 'VIF' : existing.type} port, not a localnet port`,
    )
  const same =
    existing.addresses.length === 1 &&
    existing.addresses[0] === 'unknown' &&
    existing.options.get('network_name') === port.networkName &&
    existing.tagRequest === port.vlan
  if (same) return { operations: [], switchUuid: sw.uuid, uuid: existing.uuid, action: 'unchanged' }
  return {
    operations: [
      switchStillThere(sw, [existing.uuid]),
      portStillAsRead(existing, ['name', 'type', 'addresses', 'options', 'tag_request']),
      op.update('Logical_Switch_Port', [where('_uuid', '==', new Uuid(existing.uuid))], {
        addresses: set('unknown'),
        options: ovsdbMap(new Map([...existing.options, ['network_name', port.networkName]])),
        tag_request: tagRequest,
      }),
      comment,
    ],
    switchUuid: sw.uuid,
    uuid: existing.uuid,
    action: 'updated',
  }
}
