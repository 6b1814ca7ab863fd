/**
 * A hand-built healthy 2-host pool for the show tests (show-plan, show-render): vmA on host1, vmB
 * on host2, each port bound where its VM runs, a 3-member RAFT central with a leader, northd
 * active. Tests change one thing of it at a time.
 */
import type { ShowSnapshots } from '../../lib/show/index.js'
import { Uuid } from '../../lib/ovsdb/codec.js'
import { lport, lswitch } from './nb-fixtures.js'

export const H1 = '0000aaaa-0000-4000-8000-000000000001'
export const H2 = '0000aaaa-0000-4000-8000-000000000002'
export const VIF_A = '11111111-1111-4111-8111-111111111111'
export const VIF_B = '22222222-2222-4222-8222-222222222222'
export const VM_A = 'aaaaaaaa-1111-4111-8111-111111111111'
export const VM_B = 'bbbbbbbb-2222-4222-8222-222222222222'
export const SW = 'aaaaaaaa-0000-4000-8000-00000000000a'
export const SW2 = 'bbbbbbbb-0000-4000-8000-00000000000b'
export const P_A = 'c1c1c1c1-0000-4000-8000-0000000000c1'
export const P_B = 'c2c2c2c2-0000-4000-8000-0000000000c2'
export const CH1 = 'd1d1d1d1-0000-4000-8000-0000000000d1'
export const CH2 = 'd2d2d2d2-0000-4000-8000-0000000000d2'
export const CID = new Uuid('e0e0e0e0-0000-4000-8000-0000000000e0')

export type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** A healthy 2-host pool: vmA on host1, vmB on host2, each port bound where its VM runs. */
export function healthy(): Mutable<ShowSnapshots> {
  return {
    xapi: {
      pool: { uuid: 'pool-uuid', name: 'lab', url: 'http://xapi' },
      network: { ref: 'OpaqueRef:net', uuid: 'net-uuid', name: 'ovn-int', bridge: 'xapi1', mtu: 1400 },
      hosts: [
        { ref: 'OpaqueRef:h1', uuid: H1, name: 'host1', hostname: 'host1', address: '192.0.2.21', live: true },
        { ref: 'OpaqueRef:h2', uuid: H2, name: 'host2', hostname: 'host2', address: '192.0.2.22', live: true },
      ],
      pifs: [
        { host: 'OpaqueRef:h1', device: 'eth0', ip: '192.0.2.21', ipv6: [], networkMtu: 1500 },
        { host: 'OpaqueRef:h2', device: 'eth0', ip: '192.0.2.22', ipv6: [], networkMtu: 1500 },
      ],
      vms: [
        vm('OpaqueRef:vmA', VM_A, 'vmA', 'OpaqueRef:h1'),
        vm('OpaqueRef:vmB', VM_B, 'vmB', 'OpaqueRef:h2'),
        { ...vm('OpaqueRef:dom0', 'dom0-uuid', 'Control domain', 'OpaqueRef:h1'), isControlDomain: true },
      ],
      vifs: [vif('OpaqueRef:vifA', VIF_A, 'OpaqueRef:vmA'), vif('OpaqueRef:vifB', VIF_B, 'OpaqueRef:vmB')],
      hostPorts: new Map([
        ['OpaqueRef:h1', { ok: true, ports: [ovsPort('vif1.0', VIF_A)] }],
        ['OpaqueRef:h2', { ok: true, ports: [ovsPort('vif2.0', VIF_B)] }],
      ]),
    },
    nb: {
      switches: [lswitch('tenant-a', SW, { ports: [P_A, P_B], otherConfig: { subnet: '198.18.10.0/24' } })],
      ports: [
        lport(VIF_A, P_A, { addresses: ['02:00:00:00:00:0a 198.18.10.11'], up: true }),
        lport(VIF_B, P_B, { addresses: ['02:00:00:00:00:0b 198.18.10.12'], up: true }),
      ],
      routers: [],
      routerPorts: [],
      global: { nbCfg: 3, sbCfg: 3, hvCfg: 3 },
    },
    sb: {
      chassis: [
        { uuid: CH1, name: H1, hostname: 'host1', encapUuids: ['e1'] },
        { uuid: CH2, name: H2, hostname: 'host2', encapUuids: ['e2'] },
      ],
      encaps: [
        { uuid: 'e1', type: 'geneve', ip: '192.0.2.21' },
        { uuid: 'e2', type: 'geneve', ip: '192.0.2.22' },
      ],
      bindings: [
        { logicalPort: VIF_A, chassis: CH1, up: true },
        { logicalPort: VIF_B, chassis: CH2, up: true },
      ],
      chassisPrivate: [
        { name: H1, nbCfg: 3 },
        { name: H2, nbCfg: 3 },
      ],
      globalNbCfg: 3,
    },
    nbCluster: cluster('OVN_Northbound'),
    sbCluster: cluster('OVN_Southbound'),
    northd: { socket: '/run/ovn/ovn-northd.ctl', text: 'Status: active\n', problem: null },
  }
}

export function vm(ref: string, uuid: string, name: string, host: string | null) {
  return {
    ref,
    uuid,
    name,
    powerState: 'Running' as const,
    residentOn: host,
    isControlDomain: false,
    isTemplate: false,
  }
}

export function vif(ref: string, uuid: string, vmRef: string, device = '0') {
  return { ref, uuid, device, network: 'OpaqueRef:net', vm: vmRef, mac: '02:00:00:00:00:0a', currentlyAttached: true }
}

export function ovsPort(name: string, ifaceId: string, ovnInstalled = true) {
  return { name, ifaceId, vifUuid: ifaceId, ovnInstalled }
}

export function cluster(database: string): ShowSnapshots['nbCluster'] {
  const member = (i: number, leader: boolean) => ({
    remote: `tcp:192.0.2.1${i}:6641`,
    server: {
      name: database,
      model: 'clustered',
      connected: true,
      leader,
      cid: CID,
      sid: new Uuid(`f0f0f0f0-0000-4000-8000-00000000000${i}`),
    },
    problem: null,
  })
  return { database, members: [member(0, true), member(1, false), member(2, false)], clusterStatus: [] }
}
