/**
 * Pure planner for a provider network port: a logical switch port of type "localnet" with
 * addresses ["unknown"], options:network_name naming a physical network of the chassis'
 * ovn-bridge-mappings, and tag_request as the provider VLAN (none for a flat network). Each
 * ovn-controller with a mapping for that network patches its integration bridge to the mapped
 * bridge. Other options already on the port are kept.
 */
import { Uuid, namedUuid, ovsdbMap, set } from '../ovsdb/codec.js'
import { op, where, type Operation } from '../ovsdb/operations.js'
import { NbLocalnetLoopError, NbPortConflictError } from './errors.js'
import { findPortByName, findSwitch, type NbPortRow, portOwners, type NbSnapshot } from './model.js'
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
  /** The port's name: the one asked for, or the switch's existing port for that network. */
  readonly name?: string
}

/**
 * The localnet ports already on `network` and VLAN (any switch), but the one named `except`. Two
 * of them reachable from one chassis loop its integration bridge to the provider bridge.
 */
export function localnetsOnNetwork(
  s: NbSnapshot,
  network: string,
  vlan: number | null,
  except: string,
): { readonly port: NbPortRow; readonly switchName: string; readonly switchUuid: string }[] {
  const owners = portOwners(s)
  return s.ports
    .filter((p) => p.type === 'localnet' && p.name !== except)
    .filter((p) => p.options.get('network_name') === network && p.tagRequest === vlan)
    .map((p) => ({ port: p, switchName: owners.get(p.uuid)?.name ?? '', switchUuid: owners.get(p.uuid)?.uuid ?? '' }))
}

export function planLocalnetPort(s: NbSnapshot, switchRef: string, port: LocalnetPort): LocalnetPlan {
  const sw = findSwitch(s, switchRef)
  // The storm guard (issue 14): never a second localnet port on one physical network and VLAN.
  const onNetwork = localnetsOnNetwork(s, port.networkName, port.vlan, port.name)
  const here = onNetwork.find((o) => o.switchUuid === sw.uuid)
  if (here !== undefined && !port.nameGiven) {
    // The switch already reaches that network and no other name was asked for: that is the port.
    return { operations: [], switchUuid: sw.uuid, uuid: here.port.uuid, action: 'unchanged', name: here.port.name }
  }
  const first = onNetwork[0]
  if (first !== undefined) throw new NbLocalnetLoopError(port.networkName, port.vlan, first.port.name, first.switchName)
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

/** A localnet port as listed: where it is and which network (and VLAN) it reaches. */
export interface LocalnetInfo {
  readonly name: string
  readonly uuid: string
  readonly switchName: string
  readonly switchUuid: string
  readonly networkName: string
  readonly vlan: number | null
}

export function localnetInfos(s: NbSnapshot): LocalnetInfo[] {
  const owners = portOwners(s)
  return s.ports
    .filter((p) => p.type === 'localnet')
    .map((p) => ({
      name: p.name,
      uuid: p.uuid,
      switchName: owners.get(p.uuid)?.name ?? '',
      switchUuid: owners.get(p.uuid)?.uuid ?? '',
      networkName: p.options.get('network_name') ?? '',
      vlan: p.tagRequest,
    }))
    .sort((a, b) =>
      a.switchName < b.switchName
        ? -1
        : a.switchName > b.switchName
          ? 1
          : a.name < b.name
            ? -1
            : a.name > b.name
              ? 1
              : 0,
    )
}

export interface LocalnetDeletePlan {
  readonly operations: readonly Operation[]
  /** The port removed; null when there was none of that name. */
  readonly removed: LocalnetInfo | null
}

/**
 * Remove localnet port `name` from its switch (the row goes with it: ports are not root rows).
 * A port of that name that is not a localnet port is refused: `localnet del` never removes a VM's
 * port. Guarded: the switch must still hold it.
 */
export function planDeleteLocalnet(s: NbSnapshot, name: string): LocalnetDeletePlan {
  const existing = findPortByName(s, name)
  if (existing === undefined) return { operations: [], removed: null }
  const info = localnetInfos(s).find((l) => l.uuid === existing.uuid)
  if (existing.type !== 'localnet' || info === undefined)
    throw new NbPortConflictError(
      name,
      portOwners(s).get(existing.uuid)?.name ?? '',
      `it is a ${existing.type === '' ? 'VIF' : existing.type} port, not a localnet port`,
    )
  const sw = findSwitch(s, info.switchUuid)
  return {
    operations: [
      switchStillThere(sw, [existing.uuid]),
      op.mutate(
        'Logical_Switch',
        [where('_uuid', '==', new Uuid(sw.uuid))],
        [['ports', 'delete', set(new Uuid(existing.uuid))]],
      ),
      op.comment(`xapi-ovn: remove localnet port ${name} from logical switch ${sw.name}`),
    ],
    removed: info,
  }
}
