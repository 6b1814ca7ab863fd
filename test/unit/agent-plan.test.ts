// The pool agent's two pure planners: XAPI -> desired ports (plan-desired.ts) and desired ports +
// a northbound snapshot -> one transaction (plan-sync.ts), applied to the schema-driven fake of
// nb-fixtures.ts so "plan, apply, plan again" is checked to send nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { POOL_UUID_KEY, PORT_SECURITY_KEY, SWITCH_KEY, VM_UUID_KEY } from '../../lib/agent/keys.js'
import { planDesired, type XapiView } from '../../lib/agent/plan-desired.js'
import { planSync, REQUESTED_CHASSIS } from '../../lib/agent/plan-sync.js'
import { SWITCH_DHCPV4_KEY } from '../../lib/nb/plan-dhcp.js'
import { SWITCH_DHCPV6_KEY } from '../../lib/nb/plan-ipv6.js'
import type { NbSnapshot } from '../../lib/nb/model.js'
import {
  parseHost,
  parseNetwork,
  parseVif,
  parseVm,
  type HostRecord,
  type NetworkRecord,
  type VifRecord,
  type VmRecord,
} from '../../lib/pool/records.js'
import { applyToSnapshot, lport, lswitch, LSP1, LSP2, SW_A, SW_B } from './nb-fixtures.js'
import { rawHost, rawNetwork, rawVif, rawVm, ref, uuid } from './pool-fixtures.js'

const POOL = 'aaaa0000-0000-4000-8000-000000000001'
const OTHER_POOL = 'bbbb0000-0000-4000-8000-000000000002'

interface Pool {
  readonly view: XapiView
  readonly net: NetworkRecord
  readonly hosts: HostRecord[]
}

function pool(
  netFields: Record<string, unknown>,
  vms: { vm: Record<string, unknown>; vifs: Record<string, unknown>[] }[],
): Pool & { vms: VmRecord[]; vifs: VifRecord[] } {
  const hosts = [parseHost(ref(), rawHost()), parseHost(ref(), rawHost({ name_label: 'host2' }))]
  const net = parseNetwork(ref(), rawNetwork({ name_label: 'ovn-int', ...netFields }))
  const vmRecords: VmRecord[] = []
  const vifRecords: VifRecord[] = []
  for (const { vm, vifs } of vms) {
    const vmRef = ref()
    const vr = parseVm(vmRef, rawVm({ resident_on: hosts[0]?.ref, ...vm }))
    vmRecords.push(vr)
    vifs.forEach((v, i) => {
      vifRecords.push(parseVif(ref(), rawVif({ device: String(i), network: net.ref, VM: vmRef, ...v })))
    })
  }
  return {
    view: {
      poolUuid: POOL,
      hosts: new Map(hosts.map((h) => [h.ref, h])),
      networks: new Map([[net.ref, net]]),
      vms: new Map(vmRecords.map((v) => [v.ref, v])),
      vifs: new Map(vifRecords.map((v) => [v.ref, v])),
    },
    net,
    hosts,
    vms: vmRecords,
    vifs: vifRecords,
  }
}

const SW = { [SWITCH_KEY]: 'tenant-a' }
const mac = (n: number): string => `02:00:00:00:00:${String(n).padStart(2, '0')}`

test('the switch comes from the VIF, else its VM, else its network', () => {
  const p = pool({ other_config: { [SWITCH_KEY]: 'net-default' } }, [
    {
      vm: { other_config: { [SWITCH_KEY]: 'vm-choice' } },
      vifs: [{ other_config: { [SWITCH_KEY]: 'vif-choice' } }, {}],
    },
    { vm: {}, vifs: [{}] },
  ])
  const d = planDesired(p.view, p.net.ref)
  const by = new Map(d.ports.map((x) => [x.name, x]))
  assert.deepEqual(
    p.vifs.map((v) => [by.get(v.uuid)?.switchRef, by.get(v.uuid)?.switchFrom]),
    [
      ['vif-choice', 'VIF'],
      ['vm-choice', 'VM'],
      ['net-default', 'network'],
    ],
  )
  assert.deepEqual(d.findings, [])
})

test('VIFs of other networks, of templates and of dom0 get no port; a halted VM keeps its port', () => {
  const p = pool({ other_config: SW }, [
    { vm: { is_a_template: true }, vifs: [{}] },
    { vm: { is_control_domain: true }, vifs: [{}] },
    { vm: { power_state: 'Halted', resident_on: 'OpaqueRef:NULL' }, vifs: [{}] },
  ])
  const elsewhere = parseVif(ref(), rawVif({ network: ref(), VM: p.vms[2]?.ref }))
  const view = { ...p.view, vifs: new Map([...p.view.vifs, [elsewhere.ref, elsewhere]]) }
  const d = planDesired(view, p.net.ref)
  assert.deepEqual(
    d.ports.map((x) => [x.name, x.requestedChassis]),
    [[p.vifs[2]?.uuid, null]],
  )
})

test('a VIF gets a finding, not a port, when XAPI holds something unusable for it', () => {
  const p = pool({}, [
    {
      vm: {},
      vifs: [
        {},
        { other_config: SW, MAC: 'zz:00:00:00:00:01' },
        { other_config: SW, ipv4_allowed: ['198.18.0.300'] },
        { other_config: { ...SW, 'xapi-ovn-addresses': 'static' } },
        { other_config: { [SWITCH_KEY]: '' } },
        { other_config: SW, MAC: mac(9) },
      ],
    },
  ])
  const d = planDesired(p.view, p.net.ref)
  const codes = new Map(d.findings.map((f) => [f.vif, `${f.error.code} ${f.error.params[1] ?? ''}`]))
  assert.deepEqual(
    p.vifs.map((v) => codes.get(v.uuid) ?? 'port'),
    [
      `OVN_AGENT_NO_SWITCH `,
      'OVN_AGENT_VIF_INVALID MAC',
      'OVN_AGENT_VIF_INVALID ipv4_allowed',
      'OVN_AGENT_VIF_INVALID other_config xapi-ovn-addresses',
      'OVN_AGENT_VIF_INVALID VIF other_config xapi-ovn-switch',
      'port',
    ],
  )
})

test('addresses and port security follow XAPI: allowed IPs, dynamic, and every locking mode', () => {
  const p = pool({ other_config: SW, default_locking_mode: 'disabled' }, [
    {
      vm: {},
      vifs: [
        { MAC: mac(1), locking_mode: 'locked', ipv4_allowed: ['198.18.1.1'], ipv6_allowed: ['2001:DB8::1'] },
        { MAC: mac(2), locking_mode: 'locked' },
        { MAC: mac(3), locking_mode: 'locked', other_config: { 'xapi-ovn-addresses': 'dynamic' } },
        { MAC: mac(4), locking_mode: 'unlocked', ipv4_allowed: ['198.18.1.4'] },
        { MAC: mac(5), locking_mode: 'disabled' },
        { MAC: mac(6), locking_mode: 'network_default' },
      ],
    },
  ])
  const d = planDesired(p.view, p.net.ref)
  const by = new Map(d.ports.map((x) => [x.name, x]))
  assert.deepEqual(
    p.vifs.map((v) => {
      const x = by.get(v.uuid)
      return [x?.address, x?.portSecurity, x?.enabled]
    }),
    [
      [`${mac(1)} 198.18.1.1 2001:db8::1`, [`${mac(1)} 198.18.1.1 2001:db8::1`], true],
      [mac(2), [`${mac(2)} 0.0.0.0`], true],
      [`${mac(3)} dynamic`, [mac(3)], true],
      [`${mac(4)} 198.18.1.4`, [], true],
      [mac(5), [], false],
      [mac(6), [], false],
    ],
  )
})

test('port security: the xapi-ovn-port-security key wins over locking_mode; a locked VIF is a warning', () => {
  const p = pool({ other_config: SW }, [
    {
      vm: {},
      vifs: [
        { MAC: mac(1), ipv4_allowed: ['198.18.1.1'], other_config: { [PORT_SECURITY_KEY]: 'on' } },
        { MAC: mac(2), locking_mode: 'locked', other_config: { [PORT_SECURITY_KEY]: 'off' } },
        { MAC: mac(3), locking_mode: 'locked' },
        { MAC: mac(4), other_config: { [PORT_SECURITY_KEY]: 'yes' } },
      ],
    },
  ])
  const d = planDesired(p.view, p.net.ref)
  const by = new Map(d.ports.map((x) => [x.name, x.portSecurity]))
  assert.deepEqual(
    p.vifs.slice(0, 3).map((v) => by.get(v.uuid)),
    [[`${mac(1)} 198.18.1.1`], [], [`${mac(3)} 0.0.0.0`]],
  )
  assert.deepEqual(
    d.warnings.map((w) => [w.vif, w.error.code]),
    [
      [p.vifs[1]?.uuid, 'OVN_AGENT_VIF_LOCKED'],
      [p.vifs[2]?.uuid, 'OVN_AGENT_VIF_LOCKED'],
    ],
  )
  assert.deepEqual(
    d.findings.map((f) => [f.vif, f.error.code, f.error.params[1]]),
    [[p.vifs[3]?.uuid, 'OVN_AGENT_VIF_INVALID', `other_config ${PORT_SECURITY_KEY}`]],
  )
})

test('requested-chassis: the host the VM runs on, both hosts while XAPI migrates it', () => {
  const base = pool({ other_config: SW }, [{ vm: {}, vifs: [{}] }])
  const [h1, h2] = base.hosts
  assert.ok(h1 && h2)
  const migrating = pool({ other_config: SW }, [
    { vm: { current_operations: { 'OpaqueRef:t': 'pool_migrate' }, scheduled_to_be_resident_on: h2.ref }, vifs: [{}] },
  ])
  // Same hosts in both views: put the first pool's hosts in the second.
  const view = { ...migrating.view, hosts: base.view.hosts }
  const vm = migrating.vms[0]
  assert.ok(vm)
  const fixed = { ...vm, residentOn: h1.ref }
  const v2 = { ...view, vms: new Map([[vm.ref, fixed]]) }
  assert.equal(planDesired(base.view, base.net.ref).ports[0]?.requestedChassis, h1.uuid)
  assert.equal(planDesired(v2, migrating.net.ref).ports[0]?.requestedChassis, `${h1.uuid},${h2.uuid}`)
  const done = {
    ...v2,
    vms: new Map([[vm.ref, { ...fixed, residentOn: h2.ref, currentOperations: [], scheduledToBeResidentOn: null }]]),
  }
  assert.equal(planDesired(done, migrating.net.ref).ports[0]?.requestedChassis, h2.uuid)
})

test('the cache keeps what an unchanged VIF came to, and plans a VIF again once its VIF, VM or chassis changed', () => {
  const p = pool({ other_config: SW }, [{ vm: {}, vifs: [{ MAC: mac(1) }, { MAC: mac(2) }] }])
  const cache = new WeakMap()
  const first = planDesired(p.view, p.net.ref, cache)
  const again = planDesired(p.view, p.net.ref, cache)
  assert.ok(
    first.ports.every((x, i) => x === again.ports[i]),
    'the same port objects: nothing planned again',
  )
  const [v1] = p.vifs
  const vm = p.vms[0]
  const [, h2] = p.hosts
  assert.ok(v1 && vm && h2)
  const changedVif = { ...v1, ipv4Allowed: ['198.18.9.9'] }
  const moved = { ...vm, residentOn: h2.ref }
  const next = planDesired(
    { ...p.view, vifs: new Map([...p.view.vifs, [v1.ref, changedVif]]), vms: new Map([[vm.ref, moved]]) },
    p.net.ref,
    cache,
  )
  const by = new Map(next.ports.map((x) => [x.name, x]))
  assert.equal(by.get(v1.uuid)?.address, `${mac(1)} 198.18.9.9`)
  assert.ok(
    next.ports.every((x) => x.requestedChassis === h2.uuid),
    'the VM moved: every port of it planned again',
  )
  assert.deepEqual(
    next,
    planDesired(
      { ...p.view, vifs: new Map([...p.view.vifs, [v1.ref, changedVif]]), vms: new Map([[vm.ref, moved]]) },
      p.net.ref,
    ),
  )
})

const EMPTY: NbSnapshot = { switches: [lswitch('tenant-a', SW_A), lswitch('tenant-b', SW_B)], ports: [] }

function converge(nb: NbSnapshot, view: XapiView, net: string): NbSnapshot {
  const plan = planSync(planDesired(view, net), nb, POOL)
  const { snapshot } = applyToSnapshot(nb, plan.operations)
  const again = planSync(planDesired(view, net), snapshot, POOL)
  assert.deepEqual(again.operations, [], 'a second pass sends nothing')
  return snapshot
}

test('a first pass creates every port in one transaction; a second sends nothing', () => {
  const p = pool({ other_config: SW }, [
    {
      vm: {},
      vifs: [
        { MAC: mac(1), ipv4_allowed: ['198.18.1.1'] },
        { MAC: mac(2), locking_mode: 'locked' },
      ],
    },
  ])
  const plan = planSync(planDesired(p.view, p.net.ref), EMPTY, POOL)
  assert.equal(plan.created.length, 2)
  const after = converge(EMPTY, p.view, p.net.ref)
  const a = after.switches.find((s) => s.uuid === SW_A)
  assert.equal(a?.portUuids.length, 2)
  const port = after.ports.find((x) => x.name === p.vifs[0]?.uuid)
  assert.deepEqual(port?.addresses, [`${mac(1)} 198.18.1.1`])
  assert.equal(port?.externalIds.get(POOL_UUID_KEY), POOL)
  assert.equal(port?.externalIds.get(VM_UUID_KEY), p.vms[0]?.uuid)
  assert.equal(port?.options.get(REQUESTED_CHASSIS), p.hosts[0]?.uuid)
})

test('a VIF gone from XAPI loses its port; ports of another pool and foreign ports stay', () => {
  const p = pool({ other_config: SW }, [{ vm: {}, vifs: [{ MAC: mac(1) }] }])
  const nb: NbSnapshot = {
    switches: [lswitch('tenant-a', SW_A, { ports: [LSP1, LSP2, 'c4c4c4c4-0000-4000-8000-0000000000c4'] })],
    ports: [
      lport(uuid(), LSP1, { addresses: [mac(7)], externalIds: new Map([[POOL_UUID_KEY, POOL]]) }),
      lport(uuid(), LSP2, { addresses: [mac(8)], externalIds: new Map([[POOL_UUID_KEY, OTHER_POOL]]) }),
      lport(uuid(), 'c4c4c4c4-0000-4000-8000-0000000000c4', { addresses: [mac(9)] }),
    ],
  }
  const plan = planSync(planDesired(p.view, p.net.ref), nb, POOL)
  assert.deepEqual(plan.deleted, [nb.ports[0]?.name])
  assert.deepEqual(plan.created, [p.vifs[0]?.uuid])
  const after = converge(nb, p.view, p.net.ref)
  assert.deepEqual(
    after.ports.map((x) => x.name).sort(),
    [nb.ports[1]?.name, nb.ports[2]?.name, p.vifs[0]?.uuid].sort(),
  )
})

test('a port with the VIF name that is not ours is a finding and is left exactly as it is', () => {
  const p = pool({ other_config: SW }, [{ vm: {}, vifs: [{ MAC: mac(1) }, { MAC: mac(2) }] }])
  const [v1, v2] = p.vifs
  assert.ok(v1 && v2)
  const nb: NbSnapshot = {
    switches: [lswitch('tenant-a', SW_A, { ports: [LSP1, LSP2] })],
    ports: [
      lport(v1.uuid, LSP1, { addresses: ['02:aa:00:00:00:01'], externalIds: new Map([[POOL_UUID_KEY, OTHER_POOL]]) }),
      lport(v2.uuid, LSP2, { type: 'router' }),
    ],
  }
  const plan = planSync(planDesired(p.view, p.net.ref), nb, POOL)
  assert.deepEqual(plan.operations, [])
  assert.deepEqual(
    plan.findings.map((f) => f.error.code),
    ['OVN_AGENT_PORT_FOREIGN', 'OVN_AGENT_PORT_FOREIGN'],
  )
})

test('a port of an earlier port attach (same VM, no pool key) is adopted', () => {
  const p = pool({ other_config: SW }, [{ vm: {}, vifs: [{ MAC: mac(1) }] }])
  const [v1] = p.vifs
  assert.ok(v1)
  const nb: NbSnapshot = {
    switches: [lswitch('tenant-a', SW_A, { ports: [LSP1] })],
    ports: [lport(v1.uuid, LSP1, { addresses: [mac(1)], externalIds: new Map([[VM_UUID_KEY, p.vms[0]?.uuid ?? '']]) })],
  }
  const plan = planSync(planDesired(p.view, p.net.ref), nb, POOL)
  assert.deepEqual([plan.created, plan.updated], [[], [v1.uuid]])
  converge(nb, p.view, p.net.ref)
})

test('a VIF with a finding keeps its existing port; the others are synced', () => {
  const ok = pool({ other_config: SW }, [{ vm: {}, vifs: [{ MAC: mac(1) }, { MAC: mac(2) }] }])
  const after = converge(EMPTY, ok.view, ok.net.ref)
  const broken = ok.vifs[0]
  assert.ok(broken)
  const bad: VifRecord = { ...broken, ipv4Allowed: ['not-an-ip'] }
  const view = { ...ok.view, vifs: new Map([...ok.view.vifs, [broken.ref, bad]]) }
  const plan = planSync(planDesired(view, ok.net.ref), after, POOL)
  assert.deepEqual(plan.operations, [])
  assert.deepEqual(
    plan.findings.map((f) => [f.vif, f.error.code]),
    [[broken.uuid, 'OVN_AGENT_VIF_INVALID']],
  )
})

test('moving a VIF to another switch keeps the port row; migration widens then narrows requested-chassis', () => {
  const p = pool({ other_config: SW }, [{ vm: {}, vifs: [{ MAC: mac(1) }] }])
  const first = converge(EMPTY, p.view, p.net.ref)
  const vif = p.vifs[0]
  const vm = p.vms[0]
  const [h1, h2] = p.hosts
  assert.ok(vif && vm && h1 && h2)
  const rowBefore = first.ports[0]?.uuid
  const movedView = { ...p.view, vifs: new Map([[vif.ref, { ...vif, otherConfig: { [SWITCH_KEY]: 'tenant-b' } }]]) }
  const moved = converge(first, movedView, p.net.ref)
  assert.equal(moved.switches.find((s) => s.uuid === SW_B)?.portUuids[0], rowBefore)
  assert.deepEqual(moved.switches.find((s) => s.uuid === SW_A)?.portUuids, [])
  // Someone else's option on the port survives the agent's requested-chassis changes.
  const withOption: NbSnapshot = {
    ...moved,
    ports: moved.ports.map((x) => ({ ...x, options: new Map([...x.options, ['mcast_flood', 'true']]) })),
  }
  const migrating = {
    ...movedView,
    vms: new Map([[vm.ref, { ...vm, currentOperations: ['pool_migrate'], scheduledToBeResidentOn: h2.ref }]]),
  }
  const during = converge(withOption, migrating, p.net.ref)
  assert.deepEqual(Object.fromEntries(during.ports[0]?.options ?? []), {
    mcast_flood: 'true',
    [REQUESTED_CHASSIS]: `${h1.uuid},${h2.uuid}`,
  })
  const landed = { ...movedView, vms: new Map([[vm.ref, { ...vm, residentOn: h2.ref }]]) }
  const after = converge(during, landed, p.net.ref)
  assert.equal(after.ports[0]?.options.get(REQUESTED_CHASSIS), h2.uuid)
})

test("a port follows its switch's DHCP rows: linked on tenant-a, unlinked once moved to tenant-b (which has none)", () => {
  const D4 = 'd4d4d4d4-0000-4000-8000-0000000000d4'
  const D6 = 'd6d6d6d6-0000-4000-8000-0000000000d6'
  const withDhcp: NbSnapshot = {
    switches: [
      lswitch('tenant-a', SW_A, { externalIds: { [SWITCH_DHCPV4_KEY]: D4, [SWITCH_DHCPV6_KEY]: D6 } }),
      lswitch('tenant-b', SW_B),
    ],
    ports: [],
    dhcpOptions: [
      { uuid: D4, cidr: '198.18.10.0/24', options: new Map(), externalIds: new Map() },
      { uuid: D6, cidr: '2001:db8:10::/64', options: new Map(), externalIds: new Map() },
    ],
  }
  const p = pool({ other_config: SW }, [{ vm: {}, vifs: [{ MAC: mac(1) }] }])
  const vif = p.vifs[0]
  assert.ok(vif)
  const first = converge(withDhcp, p.view, p.net.ref)
  assert.deepEqual([first.ports[0]?.dhcpv4Options, first.ports[0]?.dhcpv6Options], [D4, D6])
  const movedView = { ...p.view, vifs: new Map([[vif.ref, { ...vif, otherConfig: { [SWITCH_KEY]: 'tenant-b' } }]]) }
  const moved = converge(first, movedView, p.net.ref)
  assert.deepEqual([moved.ports[0]?.dhcpv4Options, moved.ports[0]?.dhcpv6Options], [null, null])
  const back = converge(moved, p.view, p.net.ref)
  assert.deepEqual([back.ports[0]?.dhcpv4Options, back.ports[0]?.dhcpv6Options], [D4, D6])
})

test('a missing switch and a duplicate IP are findings; nothing is written for those VIFs', () => {
  const p = pool({ other_config: SW }, [
    {
      vm: {},
      vifs: [
        { MAC: mac(1), other_config: { [SWITCH_KEY]: 'nowhere' } },
        { MAC: mac(2), ipv4_allowed: ['198.18.1.2'] },
        { MAC: mac(3), ipv4_allowed: ['198.18.1.2'] },
      ],
    },
  ])
  const plan = planSync(planDesired(p.view, p.net.ref), EMPTY, POOL)
  const names = [p.vifs[1]?.uuid ?? '', p.vifs[2]?.uuid ?? ''].sort()
  assert.deepEqual(plan.created, [names[0]])
  assert.deepEqual(
    plan.findings.map((f) => [f.vif, f.error.code]).sort(),
    [
      [p.vifs[0]?.uuid, 'OVN_AGENT_SWITCH_MISSING'],
      [names[1], 'OVN_AGENT_DUPLICATE_ADDRESS'],
    ].sort(),
  )
})

test('a duplicate IPv6 address is found whatever its spelling (RFC 5952: 2001:DB8:0::5 is 2001:db8::5)', () => {
  const p = pool({ other_config: SW }, [
    {
      vm: {},
      vifs: [
        { MAC: mac(1), ipv6_allowed: ['2001:db8::5'] },
        { MAC: mac(2), ipv6_allowed: ['2001:DB8:0::5'] },
      ],
    },
  ])
  const plan = planSync(planDesired(p.view, p.net.ref), EMPTY, POOL)
  assert.equal(plan.created.length, 1)
  assert.deepEqual(
    plan.findings.map((f) => f.error.code),
    ['OVN_AGENT_DUPLICATE_ADDRESS'],
  )
})
