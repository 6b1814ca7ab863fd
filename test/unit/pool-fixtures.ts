/**
 * Builders of XAPI records for the pool driver's pure tests: raw records as XAPI sends them
 * (every field, XAPI's names), and a small pool laid out like a real one.
 */
import type { PoolState } from '../../lib/pool/connection.js'
import {
  parseHost,
  parseHostMetrics,
  parseNetwork,
  parsePif,
  parsePool,
  type HostRecord,
  type NetworkRecord,
  type PifRecord,
} from '../../lib/pool/records.js'

let n = 0
export function ref(): string {
  n += 1
  return `OpaqueRef:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
}
export function uuid(): string {
  n += 1
  return `11111111-2222-4333-8444-${String(n).padStart(12, '0')}`
}

export function rawPif(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uuid: uuid(),
    device: 'eth0',
    host: 'OpaqueRef:host',
    network: 'OpaqueRef:net',
    MAC: '02:00:00:00:00:01',
    MTU: 1500,
    VLAN: -1,
    physical: true,
    currently_attached: true,
    management: false,
    ip_configuration_mode: 'None',
    IP: '',
    netmask: '',
    gateway: '',
    ipv6_configuration_mode: 'None',
    IPv6: [],
    primary_address_type: 'IPv4',
    bond_slave_of: 'OpaqueRef:NULL',
    bond_master_of: [],
    VLAN_master_of: 'OpaqueRef:NULL',
    VLAN_slave_of: [],
    other_config: {},
    ...fields,
  }
}

export function rawHost(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uuid: uuid(),
    name_label: 'host1',
    hostname: 'host1',
    address: '192.0.2.21',
    enabled: true,
    PIFs: [],
    metrics: 'OpaqueRef:NULL',
    other_config: {},
    ...fields,
  }
}

export function rawNetwork(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uuid: uuid(),
    name_label: 'net',
    name_description: '',
    bridge: 'xapi1',
    MTU: 1500,
    PIFs: [],
    VIFs: [],
    other_config: {},
    default_locking_mode: 'unlocked',
    ...fields,
  }
}

export function pif(fields: Record<string, unknown> = {}): PifRecord {
  return parsePif(ref(), rawPif(fields))
}

export function host(fields: Record<string, unknown> = {}): HostRecord {
  return parseHost(ref(), rawHost(fields))
}

export function network(fields: Record<string, unknown> = {}): NetworkRecord {
  return parseNetwork(ref(), rawNetwork(fields))
}

export interface LaidOutPool {
  readonly state: PoolState
  readonly hosts: HostRecord[]
  readonly management: NetworkRecord
  readonly storage: NetworkRecord
}

/**
 * `count` hosts, each with eth0 (management, 192.0.2.2i) on xenbr0 and eth1 (Static
 * 198.18.0.i) on xenbr1; `tweak` may change any host's raw PIFs first.
 */
export function laidOutPool(
  count: number,
  tweak: (i: number, pifs: { eth0: Record<string, unknown>; eth1: Record<string, unknown> }) => void = () => {},
  extraNetworks: NetworkRecord[] = [],
): LaidOutPool {
  const management = network({ name_label: 'Pool-wide network associated with eth0', bridge: 'xenbr0' })
  const storage = network({ name_label: 'storage', bridge: 'xenbr1' })
  const hosts: HostRecord[] = []
  const pifs = new Map<string, PifRecord>()
  const metrics = new Map<string, ReturnType<typeof parseHostMetrics>>()
  for (let i = 1; i <= count; i++) {
    const hostRef = ref()
    const metricsRef = ref()
    metrics.set(metricsRef, parseHostMetrics(metricsRef, { uuid: uuid(), live: true }))
    const raw = {
      eth0: rawPif({
        host: hostRef,
        network: management.ref,
        device: 'eth0',
        management: true,
        ip_configuration_mode: 'Static',
        IP: `192.0.2.${20 + i}`,
      }),
      eth1: rawPif({
        host: hostRef,
        network: storage.ref,
        device: 'eth1',
        ip_configuration_mode: 'Static',
        IP: `198.18.0.${i}`,
      }),
    }
    tweak(i, raw)
    const refs: string[] = []
    for (const r of Object.values(raw)) {
      const pr = ref()
      pifs.set(pr, parsePif(pr, r))
      refs.push(pr)
    }
    hosts.push(
      parseHost(
        hostRef,
        rawHost({
          name_label: `host${i}`,
          hostname: `host${i}`,
          address: `192.0.2.${20 + i}`,
          PIFs: refs,
          metrics: metricsRef,
        }),
      ),
    )
  }
  const networks = new Map([management, storage, ...extraNetworks].map((x) => [x.ref, x]))
  const pool = parsePool(ref(), {
    uuid: uuid(),
    name_label: 'pool',
    master: hosts[0]?.ref ?? 'OpaqueRef:NULL',
    other_config: {},
  })
  return {
    state: { pool, hosts: new Map(hosts.map((h) => [h.ref, h])), metrics, pifs, networks },
    hosts,
    management,
    storage,
  }
}

/** A VM record as XAPI sends it (every field the parser reads). */
export function rawVm(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uuid: uuid(),
    name_label: 'vm',
    power_state: 'Running',
    is_control_domain: false,
    is_a_template: false,
    resident_on: 'OpaqueRef:NULL',
    scheduled_to_be_resident_on: 'OpaqueRef:NULL',
    current_operations: {},
    VIFs: [],
    other_config: {},
    ...fields,
  }
}

/** A VIF record as XAPI sends it (every field the parser reads). */
export function rawVif(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uuid: uuid(),
    device: '0',
    network: 'OpaqueRef:NULL',
    VM: 'OpaqueRef:NULL',
    MAC: '02:00:00:00:00:01',
    currently_attached: false,
    other_config: {},
    locking_mode: 'network_default',
    ipv4_allowed: [],
    ipv6_allowed: [],
    ...fields,
  }
}
