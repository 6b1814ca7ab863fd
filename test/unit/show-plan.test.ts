// planShow over hand-built snapshots: the view a user reads (each port's VM, device, XAPI's host
// and the binding's chassis) and every finding, each with one snapshot that has it and one that
// is the same but for the one thing that makes it (a near miss), which must not.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { NbPortRow } from '../../lib/nb/model.js'
import { Uuid } from '../../lib/ovsdb/codec.js'
import {
  FINDING_CODES,
  carriedMtu,
  parseClusterStatus,
  planShow,
  portIps,
  type FindingCode,
  type ShowSnapshots,
  type ShowView,
} from '../../lib/show/index.js'
import { lport, lswitch } from './nb-fixtures.js'
import {
  CH1,
  CH2,
  H1,
  H2,
  P_A,
  P_B,
  SW,
  SW2,
  VIF_A,
  VIF_B,
  VM_A,
  VM_B,
  healthy,
  ovsPort,
  vif,
} from './show-fixtures.js'

function codes(v: ShowView): FindingCode[] {
  return v.findings.map((f) => f.code)
}

function findingsOf(s: ShowSnapshots, code: FindingCode) {
  return planShow(s).findings.filter((f) => f.code === code)
}

describe('planShow: the view', () => {
  test('a healthy pool: every port with its VM, device, XAPI host and chassis, and no findings', () => {
    const v = planShow(healthy())
    assert.deepEqual(codes(v), [])
    assert.deepEqual(
      v.ports.map((p) => [p.name, p.switch, p.vm, p.device, p.xapiHost, p.chassisHost, p.mismatch]),
      [
        [VIF_A, 'tenant-a', 'vmA', '0', 'host1', 'host1', false],
        [VIF_B, 'tenant-a', 'vmB', '0', 'host2', 'host2', false],
      ],
    )
    assert.deepEqual(
      v.hosts.map((h) => [h.name, h.chassis?.name, h.chassis?.nbCfgLag, h.chassis?.encaps[0]?.carriesMtu, h.vifs]),
      [
        ['host1', H1, 0, 1442, 1],
        ['host2', H2, 0, 1442, 1],
      ],
    )
    assert.equal(v.clusters.nb.leader, 'tcp:192.0.2.10:6641')
    assert.equal(v.northd.status, 'active')
    // Plain JSON: --json prints the view as it is.
    assert.deepEqual(JSON.parse(JSON.stringify(v)).ports.length, 2)
  })

  test('a chassis is found by hostname when its name is not the host UUID', () => {
    const s = healthy()
    s.sb = { ...s.sb, chassis: s.sb.chassis.map((c) => (c.uuid === CH2 ? { ...c, name: 'other-system-id' } : c)) }
    const v = planShow(s)
    assert.equal(v.hosts[1]?.chassis?.name, 'other-system-id')
    assert.equal(v.ports[1]?.chassisHost, 'host2')
  })

  test('the tunnel overhead as ovn-controller counts it; addresses as OVN writes them', () => {
    assert.equal(carriedMtu('geneve', '192.0.2.1', 1500), 1442)
    assert.equal(carriedMtu('geneve', 'fd00::1', 1500), 1422)
    assert.equal(carriedMtu('vxlan', '192.0.2.1', 1500), 1450)
    assert.equal(carriedMtu('stt', '192.0.2.1', 1500), null)
    assert.deepEqual(
      portIps({ addresses: ['02:00:00:00:00:01 198.18.10.1 fd00::1', 'router', 'unknown'], dynamicAddresses: null }),
      ['198.18.10.1', 'fd00::1'],
    )
    assert.deepEqual(
      portIps({ addresses: ['02:00:00:00:00:01 dynamic'], dynamicAddresses: '02:00:00:00:00:01 198.18.10.5' }),
      ['198.18.10.5'],
    )
  })

  test('cluster/status text is read for role, term, leader and servers', () => {
    const text = [
      'e0e0',
      'Name: OVN_Southbound',
      'Cluster ID: e0e0 (e0e0e0e0-0000-4000-8000-0000000000e0)',
      'Server ID: f0f0 (f0f0f0f0-0000-4000-8000-000000000000)',
      'Address: tcp:192.0.2.10:6644',
      'Status: cluster member',
      'Role: leader',
      'Term: 4',
      'Leader: self',
      'Vote: self',
      '',
      'Log: [2, 10]',
      'Servers:',
      '    f0f0 (f0f0 at tcp:192.0.2.10:6644) (self) next_index=9 match_index=9',
      '    f0f1 (f0f1 at tcp:192.0.2.11:6644) next_index=10 match_index=9 last msg 120 ms ago',
      '',
    ].join('\n')
    const v = parseClusterStatus('/c.ctl', text, null)
    assert.deepEqual([v.role, v.term, v.leader, v.status, v.servers.length], ['leader', 4, 'self', 'cluster member', 2])
    assert.deepEqual(parseClusterStatus('/c.ctl', null, 'no socket').role, null)
  })
})

describe('planShow: each finding, and its near miss', () => {
  test(FINDING_CODES.hostNoChassis, () => {
    const s = healthy()
    s.sb = { ...s.sb, chassis: s.sb.chassis.filter((c) => c.uuid !== CH2) }
    const [f, ...more] = findingsOf(s, FINDING_CODES.hostNoChassis)
    assert.equal(more.length, 0)
    assert.equal(f?.subject, 'host2')
    assert.match(f?.fix ?? '', new RegExp(`^xapi-ovn setup --host ${H2}`))
    // An offline host without a chassis is not a finding of its own.
    const offline = healthy()
    offline.sb = s.sb
    offline.xapi = {
      ...offline.xapi,
      hosts: offline.xapi.hosts.map((h) => (h.uuid === H2 ? { ...h, live: false } : h)),
    }
    assert.deepEqual(findingsOf(offline, FINDING_CODES.hostNoChassis), [])
  })

  test(FINDING_CODES.chassisUnknown, () => {
    const s = healthy()
    s.sb = { ...s.sb, chassis: [...s.sb.chassis, { uuid: 'd3', name: 'gw-1', hostname: 'gateway', encapUuids: [] }] }
    assert.deepEqual(
      findingsOf(s, FINDING_CODES.chassisUnknown).map((f) => f.subject),
      ['gw-1'],
    )
    assert.deepEqual(findingsOf(healthy(), FINDING_CODES.chassisUnknown), [])
  })

  test(FINDING_CODES.chassisLagging, () => {
    const s = healthy()
    s.sb = {
      ...s.sb,
      globalNbCfg: 5,
      chassisPrivate: [
        { name: H1, nbCfg: 5 },
        { name: H2, nbCfg: 3 },
      ],
    }
    const found = findingsOf(s, FINDING_CODES.chassisLagging)
    assert.deepEqual(
      found.map((f) => f.subject),
      ['host2'],
    )
    assert.equal(found[0]?.fix, `xapi-ovn verify --host ${H2}`)
    assert.equal(planShow(s).hosts[1]?.chassis?.nbCfgLag, 2)
    const current = healthy()
    current.sb = {
      ...current.sb,
      globalNbCfg: 5,
      chassisPrivate: [
        { name: H1, nbCfg: 5 },
        { name: H2, nbCfg: 5 },
      ],
    }
    assert.deepEqual(findingsOf(current, FINDING_CODES.chassisLagging), [])
  })

  test(FINDING_CODES.vifWithoutPort, () => {
    const s = healthy()
    const extra = '33333333-3333-4333-8333-333333333333'
    s.xapi = { ...s.xapi, vifs: [...s.xapi.vifs, vif('OpaqueRef:vifC', extra, 'OpaqueRef:vmA', '1')] }
    const [f] = findingsOf(s, FINDING_CODES.vifWithoutPort)
    assert.equal(f?.subject, extra)
    assert.equal(f?.fix, `xapi-ovn port attach --switch SWITCH --vm ${VM_A} --device 1`)
    // The same VIF on another network is not the OVN network's business.
    const other = healthy()
    other.xapi = {
      ...other.xapi,
      vifs: [...other.xapi.vifs, { ...vif('OpaqueRef:vifC', extra, 'OpaqueRef:vmA', '1'), network: 'OpaqueRef:lan' }],
    }
    assert.deepEqual(findingsOf(other, FINDING_CODES.vifWithoutPort), [])
  })

  test(FINDING_CODES.portWithoutVif, () => {
    const s = healthy()
    const orphan = '44444444-4444-4444-8444-444444444444'
    s.nb = {
      ...s.nb,
      switches: [lswitch('tenant-a', SW, { ports: [P_A, P_B, 'p3'] })],
      ports: [...s.nb.ports, lport(orphan, 'p3')],
    }
    const [f] = findingsOf(s, FINDING_CODES.portWithoutVif)
    assert.equal(f?.subject, orphan)
    assert.equal(f?.fix, `xapi-ovn port detach --vif ${orphan}`)
    // A localnet or router port is not a VIF port: no VIF expected.
    const lnet = healthy()
    lnet.nb = {
      ...lnet.nb,
      switches: [lswitch('tenant-a', SW, { ports: [P_A, P_B, 'p3'] })],
      ports: [
        ...lnet.nb.ports,
        lport('provnet', 'p3', { type: 'localnet', options: new Map([['network_name', 'phys']]) }),
      ],
    }
    assert.deepEqual(findingsOf(lnet, FINDING_CODES.portWithoutVif), [])
  })

  test(FINDING_CODES.bindingMismatch, () => {
    const s = healthy()
    s.sb = { ...s.sb, bindings: s.sb.bindings.map((b) => (b.logicalPort === VIF_B ? { ...b, chassis: CH1 } : b)) }
    const v = planShow(s)
    const [f] = v.findings.filter((x) => x.code === FINDING_CODES.bindingMismatch)
    assert.equal(f?.subject, VIF_B)
    assert.equal(f?.fix, `xapi-ovn verify --host ${H2}`)
    assert.deepEqual(
      v.ports.filter((p) => p.mismatch).map((p) => [p.xapiHost, p.chassisHost]),
      [['host2', 'host1']],
    )
    // A halted VM's port bound nowhere is neither a mismatch nor unbound.
    const halted = healthy()
    halted.xapi = {
      ...halted.xapi,
      vms: halted.xapi.vms.map((x) =>
        x.uuid === VM_B ? { ...x, powerState: 'Halted' as const, residentOn: null } : x,
      ),
    }
    halted.sb = { ...halted.sb, bindings: halted.sb.bindings.filter((b) => b.logicalPort !== VIF_B) }
    // (and its OVS port went with its domain)
    halted.xapi = {
      ...halted.xapi,
      hostPorts: new Map([
        ['OpaqueRef:h1', { ok: true, ports: [ovsPort('vif1.0', VIF_A)] }],
        ['OpaqueRef:h2', { ok: true, ports: [] }],
      ]),
    }
    assert.deepEqual(codes(planShow(halted)), [])
  })

  test(FINDING_CODES.portUnbound, () => {
    const s = healthy()
    s.sb = { ...s.sb, bindings: s.sb.bindings.filter((b) => b.logicalPort !== VIF_A) }
    assert.deepEqual(
      findingsOf(s, FINDING_CODES.portUnbound).map((f) => f.subject),
      [VIF_A],
    )
    // Unplugged VIF: nothing is expected to bind.
    const unplugged = healthy()
    unplugged.sb = s.sb
    unplugged.xapi = {
      ...unplugged.xapi,
      vifs: unplugged.xapi.vifs.map((x) => (x.uuid === VIF_A ? { ...x, currentlyAttached: false } : x)),
    }
    assert.deepEqual(findingsOf(unplugged, FINDING_CODES.portUnbound), [])
  })

  test(FINDING_CODES.staleOvnInstalled, () => {
    // host1's OVS still says ovn-installed for VIF_B, which is bound on host2.
    const s = healthy()
    s.xapi = {
      ...s.xapi,
      hostPorts: new Map([
        ['OpaqueRef:h1', { ok: true, ports: [ovsPort('vif1.0', VIF_A), ovsPort('vif1.1', VIF_B)] }],
        ['OpaqueRef:h2', { ok: true, ports: [ovsPort('vif2.0', VIF_B)] }],
      ]),
    }
    const [f, ...more] = findingsOf(s, FINDING_CODES.staleOvnInstalled)
    assert.equal(more.length, 0)
    assert.equal(f?.subject, 'host1 vif1.1')
    assert.equal(f?.fix, `xapi-ovn verify --host ${H1}`)
    // The same port without the flag is just a port not (yet) claimed.
    const cleared = healthy()
    cleared.xapi = {
      ...cleared.xapi,
      hostPorts: new Map([
        ['OpaqueRef:h1', { ok: true, ports: [ovsPort('vif1.0', VIF_A), ovsPort('vif1.1', VIF_B, false)] }],
        ['OpaqueRef:h2', { ok: true, ports: [ovsPort('vif2.0', VIF_B)] }],
      ]),
    }
    assert.deepEqual(findingsOf(cleared, FINDING_CODES.staleOvnInstalled), [])
    // Hosts not asked: no such check, and the view says so.
    const skipped = healthy()
    skipped.xapi = { ...s.xapi, hostPorts: null }
    assert.deepEqual(findingsOf(skipped, FINDING_CODES.staleOvnInstalled), [])
    assert.equal(planShow(skipped).hostPortsRead, false)
  })

  test(FINDING_CODES.duplicateIp, () => {
    const withB = (addresses: string[], dyn: string | null = null): ShowSnapshots => {
      const s = healthy()
      s.nb = {
        ...s.nb,
        ports: s.nb.ports.map((p): NbPortRow => (p.name === VIF_B ? { ...p, addresses, dynamicAddresses: dyn } : p)),
      }
      return s
    }
    const [f] = findingsOf(withB(['02:00:00:00:00:0b 198.18.10.11']), FINDING_CODES.duplicateIp)
    assert.match(f?.message ?? '', /198\.18\.10\.11 is on two ports of switch tenant-a/)
    assert.equal(
      findingsOf(withB(['02:00:00:00:00:0b dynamic'], '02:00:00:00:00:0b 198.18.10.11'), FINDING_CODES.duplicateIp)
        .length,
      1,
    )
    assert.deepEqual(findingsOf(withB(['02:00:00:00:00:0b 198.18.10.13']), FINDING_CODES.duplicateIp), [])
    // The same IP on two different switches is two networks, not a duplicate.
    const s = healthy()
    s.nb = {
      ...s.nb,
      switches: [lswitch('tenant-a', SW, { ports: [P_A] }), lswitch('tenant-b', SW2, { ports: [P_B] })],
      ports: s.nb.ports.map((p) => (p.name === VIF_B ? { ...p, addresses: ['02:00:00:00:00:0b 198.18.10.11'] } : p)),
    }
    assert.deepEqual(findingsOf(s, FINDING_CODES.duplicateIp), [])
  })

  test(FINDING_CODES.localnetLoop, () => {
    const twoLocalnets = (secondVlan: number | null): ShowSnapshots => {
      const s = healthy()
      const ln = (name: string, uuid: string, tag: number | null) =>
        lport(name, uuid, { type: 'localnet', options: new Map([['network_name', 'physnet']]), tagRequest: tag })
      s.nb = {
        ...s.nb,
        switches: [
          ...s.nb.switches,
          lswitch('prov-a', 'sa', { ports: ['l1'] }),
          lswitch('prov-b', 'sb', { ports: ['l2'] }),
        ],
        ports: [...s.nb.ports, ln('provnet-a', 'l1', null), ln('provnet-b', 'l2', secondVlan)],
      }
      return s
    }
    const [f] = findingsOf(twoLocalnets(null), FINDING_CODES.localnetLoop)
    assert.equal(f?.fix, 'xapi-ovn localnet del --name provnet-b')
    assert.deepEqual(findingsOf(twoLocalnets(20), FINDING_CODES.localnetLoop), [])
  })

  test(FINDING_CODES.mtuTooLarge, () => {
    const s = healthy()
    s.xapi = { ...s.xapi, network: s.xapi.network === null ? null : { ...s.xapi.network, mtu: 1500 } }
    const found = findingsOf(s, FINDING_CODES.mtuTooLarge)
    assert.deepEqual(
      found.map((f) => f.subject),
      ['host1', 'host2'],
    )
    assert.equal(found[0]?.fix, null)
    assert.match(found[0]?.hint ?? '', /to 1442 .* to 1558/)
    // 1442 is exactly what Geneve over IPv4 on a 1500 underlay carries.
    const fits = healthy()
    fits.xapi = { ...fits.xapi, network: fits.xapi.network === null ? null : { ...fits.xapi.network, mtu: 1442 } }
    assert.deepEqual(findingsOf(fits, FINDING_CODES.mtuTooLarge), [])
  })

  test(FINDING_CODES.clusterMemberDown, () => {
    const s = healthy()
    const members = s.sbCluster.members.map((m, i) =>
      i === 1
        ? { remote: m.remote, server: null, problem: 'connection refused' }
        : i === 2 && m.server !== null
          ? { ...m, server: { ...m.server, connected: false } }
          : m,
    )
    s.sbCluster = { ...s.sbCluster, members }
    assert.deepEqual(
      findingsOf(s, FINDING_CODES.clusterMemberDown).map((f) => f.subject),
      ['OVN_Southbound tcp:192.0.2.11:6641', 'OVN_Southbound tcp:192.0.2.12:6641'],
    )
    // A standalone server is never "not connected to its cluster".
    const standalone = healthy()
    standalone.sbCluster = {
      database: 'OVN_Southbound',
      members: [
        {
          remote: 'unix:/sb.sock',
          server: { name: 'OVN_Southbound', model: 'standalone', connected: false, leader: true },
          problem: null,
        },
      ],
      clusterStatus: [],
    }
    assert.deepEqual(findingsOf(standalone, FINDING_CODES.clusterMemberDown), [])
  })

  test(FINDING_CODES.clusterNoLeader, () => {
    const s = healthy()
    s.nbCluster = {
      ...s.nbCluster,
      members: s.nbCluster.members.map((m) =>
        m.server === null ? m : { ...m, server: { ...m.server, leader: false } },
      ),
    }
    assert.deepEqual(
      findingsOf(s, FINDING_CODES.clusterNoLeader).map((f) => f.subject),
      ['OVN_Northbound'],
    )
    assert.deepEqual(findingsOf(healthy(), FINDING_CODES.clusterNoLeader), [])
  })

  test(FINDING_CODES.clusterSplit, () => {
    const s = healthy()
    s.nbCluster = {
      ...s.nbCluster,
      members: s.nbCluster.members.map((m, i) =>
        i === 2 && m.server !== null
          ? { ...m, server: { ...m.server, cid: new Uuid('e1e1e1e1-0000-4000-8000-0000000000e1') } }
          : m,
      ),
    }
    assert.equal(findingsOf(s, FINDING_CODES.clusterSplit).length, 1)
    assert.deepEqual(findingsOf(healthy(), FINDING_CODES.clusterSplit), [])
  })

  test(FINDING_CODES.northdBehind, () => {
    const s = healthy()
    s.nb = { ...s.nb, global: { nbCfg: 4, sbCfg: 3, hvCfg: 3 } }
    assert.equal(findingsOf(s, FINDING_CODES.northdBehind).length, 1)
    // hv_cfg behind is the chassis' lag, not northd's.
    const hv = healthy()
    hv.nb = { ...hv.nb, global: { nbCfg: 4, sbCfg: 4, hvCfg: 3 } }
    assert.deepEqual(findingsOf(hv, FINDING_CODES.northdBehind), [])
  })

  test(FINDING_CODES.northdNotActive, () => {
    const s = healthy()
    s.northd = { socket: '/n.ctl', text: 'Status: paused\n', problem: null }
    assert.equal(findingsOf(s, FINDING_CODES.northdNotActive).length, 1)
    const standby = healthy()
    standby.northd = { socket: '/n.ctl', text: 'Status: standby\n', problem: null }
    assert.deepEqual(findingsOf(standby, FINDING_CODES.northdNotActive), [])
  })

  test(FINDING_CODES.noSbGlobal, () => {
    const s = healthy()
    s.sb = { ...s.sb, globalNbCfg: null }
    assert.equal(findingsOf(s, FINDING_CODES.noSbGlobal).length, 1)
    assert.deepEqual(findingsOf(healthy(), FINDING_CODES.noSbGlobal), [])
  })

  test('every finding code is tested above', () => {
    // A new code without its pair of cases fails here (the test names are the codes).
    assert.equal(Object.values(FINDING_CODES).length, 17)
  })
})
