// lib/attach, pure parts: the input parsers (every mistake named by its field, before anything
// is read), the choice of a VIF per VM (chooseVifs) as a table, and the VIF fields attach writes
// for the pool agent (plan-vif-fields.ts): what, only what differs, and an undo that restores.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ADDRESSES_KEY, POOL_UUID_KEY, PORT_SECURITY_KEY, SWITCH_KEY, VM_UUID_KEY } from '../../lib/agent/keys.js'
import { desiredPort } from '../../lib/agent/plan-desired.js'
import {
  chooseVifs,
  fieldsOf,
  parseAttachOptions,
  parseDetachOptions,
  planFieldSteps,
  planUnclaimSteps,
  wantedFields,
  withFields,
  type PortSwitch,
  type VifCall,
  type VmContext,
} from '../../lib/attach/index.js'
import { parseVifPorts } from '../../lib/nb/validate-inputs.js'
import { InvalidArgumentError } from '../../lib/errors.js'
import { VifConflictError } from '../../lib/attach/errors.js'
import type { ParsedVmAttach } from '../../lib/attach/index.js'
import { parseVif, parseVm, type NetworkRecord, type VifRecord, type VmRecord } from '../../lib/pool/records.js'
import { network, rawVif, rawVm, ref } from './pool-fixtures.js'

function rejects(fn: () => unknown, key: string, reason?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, String(e))
    assert.equal(e.code, 'OVN_INVALID_ARGUMENT')
    assert.equal(e.params[0], key)
    if (reason !== undefined) assert.match(e.params[2] ?? '', reason)
    return true
  })
}

test('attach options: normalised, with defaults', () => {
  const o = parseAttachOptions({
    switch: 'tenant-a',
    vms: [
      { vm: 'web1', ips: ['198.18.10.11', 'FD00::1'] },
      { vm: 'web2', ips: 'dynamic', device: '1', mac: '02:AA:00:00:00:01' },
    ],
  })
  assert.deepEqual(o, {
    switch: 'tenant-a',
    network: undefined,
    plug: true,
    portSecurity: true,
    update: false,
    vms: [
      { vm: 'web1', ips: ['198.18.10.11', 'fd00::1'], device: null, mac: null },
      { vm: 'web2', ips: 'dynamic', device: '1', mac: '02:aa:00:00:00:01' },
    ],
  })
  assert.equal(parseAttachOptions({ switch: 's', vms: [{ vm: 'a' }], plug: false, network: 'ovn-int' }).plug, false)
})

test('attach options: every mistake names its field', () => {
  const cases: [unknown, string, RegExp?][] = [
    [null, 'options'],
    [{ switch: 's', vms: [{ vm: 'a' }], extra: 1 }, 'options', /unknown field/],
    [{ vms: [{ vm: 'a' }] }, 'switch'],
    [{ switch: 's', vms: [] }, 'vms', /non-empty/],
    [{ switch: 's', vms: 'a' }, 'vms'],
    [{ switch: 's', vms: Array.from({ length: 1001 }, (_, i) => ({ vm: `v${i}` })) }, 'vms', /at most/],
    [{ switch: 's', vms: [{ vm: '' }] }, 'vms[0].vm', /empty/],
    [{ switch: 's', vms: [{ vm: 'a\nb' }] }, 'vms[0].vm', /control/],
    [{ switch: 's', vms: [{ vm: 'OpaqueRef:NULL' }] }, 'vms[0].vm'],
    [{ switch: 's', vms: [{ vm: 7 }] }, 'vms[0].vm'],
    [{ switch: 's', vms: [{ vm: 'a', ips: ['198.18.10.256'] }] }, 'vms[0].ips[0]'],
    [{ switch: 's', vms: [{ vm: 'a', ips: ['198.18.10.1', '198.18.10.1'] }] }, 'vms[0].ips[1]', /twice/],
    [{ switch: 's', vms: [{ vm: 'a', ips: '198.18.10.1' }] }, 'vms[0].ips'],
    [{ switch: 's', vms: [{ vm: 'a', device: '07' }] }, 'vms[0].device'],
    [{ switch: 's', vms: [{ vm: 'a', device: 1 }] }, 'vms[0].device'],
    [{ switch: 's', vms: [{ vm: 'a', mac: '01:00:00:00:00:01' }] }, 'vms[0].mac', /unicast/],
    [{ switch: 's', vms: [{ vm: 'a', other: 1 }] }, 'vms[0]', /unknown field/],
    [{ switch: 's', vms: [{ vm: 'a' }, { vm: 'a' }] }, 'vms[1].vm', /also given/],
    [
      {
        switch: 's',
        vms: [
          { vm: 'a', device: '1' },
          { vm: 'a', device: '1' },
        ],
      },
      'vms[1].vm',
      /also given/,
    ],
    [
      {
        switch: 's',
        vms: [
          { vm: 'a', mac: '02:00:00:00:00:01' },
          { vm: 'b', mac: '02:00:00:00:00:01' },
        ],
      },
      'vms[1].mac',
      /also given/,
    ],
    [{ switch: 's', vms: [{ vm: 'a' }], plug: 'yes' }, 'plug'],
    [{ switch: 's', vms: [{ vm: 'a' }], network: '' }, 'network'],
  ]
  for (const [input, key, reason] of cases) rejects(() => parseAttachOptions(input), key, reason)
  // the same VM twice on two explicit devices is fine
  assert.equal(
    parseAttachOptions({
      switch: 's',
      vms: [
        { vm: 'a', device: '0' },
        { vm: 'a', device: '1' },
      ],
    }).vms.length,
    2,
  )
})

test('detach options', () => {
  const vif = '11111111-1111-4111-8111-111111111111'
  assert.deepEqual(parseDetachOptions({ vms: ['a', 'a', 'b'], vifs: [vif, vif] }), {
    vms: ['a', 'b'],
    vifs: [vif],
    switch: undefined,
    network: undefined,
    keepVifs: false,
  })
  assert.equal(parseDetachOptions({ vifs: [vif], keepVifs: true, switch: 'x' }).keepVifs, true)
  rejects(() => parseDetachOptions({}), 'vms', /at least one/)
  rejects(() => parseDetachOptions({ vifs: ['NOT-A-UUID'] }), 'vifs[0]')
  rejects(() => parseDetachOptions({ vms: 'a' }), 'vms')
  rejects(() => parseDetachOptions({ vms: ['a'], keepVifs: 1 }), 'keepVifs')
})

// ---------------------------------------------------------------------------------------------
// chooseVifs

const OVN: NetworkRecord = network({ name_label: 'ovn-int', bridge: 'xapi3' })
const OTHER: NetworkRecord = network({ name_label: 'lan', bridge: 'xenbr0' })
const TARGET: PortSwitch = { uuid: 'aaaaaaaa-0000-4000-8000-00000000000a', name: 'tenant-a' }
const ELSEWHERE: PortSwitch = { uuid: 'bbbbbbbb-0000-4000-8000-00000000000b', name: 'tenant-b' }

function vm(name: string): VmRecord {
  return parseVm(ref(), rawVm({ name_label: name }))
}

function vif(
  owner: VmRecord,
  device: string,
  net: NetworkRecord,
  mac = `02:00:00:00:00:${device.padStart(2, '0')}`,
): VifRecord {
  return parseVif(ref(), rawVif({ device, network: net.ref, VM: owner.ref, MAC: mac, currently_attached: true }))
}

function spec(o: Partial<ParsedVmAttach> = {}): ParsedVmAttach {
  return { vm: 'x', ips: [], device: null, mac: null, ...o }
}

function choose(items: VmContext[], ports: Map<string, PortSwitch> = new Map()): ReturnType<typeof chooseVifs> {
  return chooseVifs(items, OVN, TARGET, (u) => ports.get(u) ?? null)
}

test('no device: a new VIF on the lowest free device when the VM has none on the OVN network', () => {
  const v = vm('a')
  const lan = vif(v, '0', OTHER)
  const [c] = choose([{ spec: spec(), vm: v, vifs: [lan, vif(v, '2', OTHER)] }])
  assert.deepEqual(c?.choice, { kind: 'create', device: '1', mac: '' })
  const [withMac] = choose([{ spec: spec({ mac: '02:00:00:00:00:77' }), vm: v, vifs: [] }])
  assert.deepEqual(withMac?.choice, { kind: 'create', device: '0', mac: '02:00:00:00:00:77' })
})

test('no device: the VIF already on this switch first (a re-run), then a free one; never one on another switch', () => {
  const v = vm('a')
  const taken = vif(v, '0', OVN)
  const free = vif(v, '1', OVN)
  const here = vif(v, '2', OVN)
  const ports = new Map([
    [taken.uuid, ELSEWHERE],
    [here.uuid, TARGET],
  ])
  assert.deepEqual(choose([{ spec: spec(), vm: v, vifs: [taken, free, here] }], ports)[0]?.choice, {
    kind: 'existing',
    vif: here,
  })
  const [c] = choose([{ spec: spec(), vm: v, vifs: [taken, free] }], ports)
  assert.deepEqual(c?.choice, { kind: 'existing', vif: free })
  const [n] = choose([{ spec: spec(), vm: v, vifs: [taken] }], ports)
  assert.deepEqual(n?.choice, { kind: 'create', device: '1', mac: '' })
  // a MAC asked for skips VIFs with another MAC
  const [m] = choose([{ spec: spec({ mac: '02:00:00:00:00:99' }), vm: v, vifs: [free] }])
  assert.deepEqual(m?.choice, { kind: 'create', device: '0', mac: '02:00:00:00:00:99' })
})

test('device given: that VIF, or a new one with that device; conflicts are refused', () => {
  const v = vm('a')
  const lan = vif(v, '0', OTHER)
  const ovn = vif(v, '1', OVN)
  assert.deepEqual(choose([{ spec: spec({ device: '1' }), vm: v, vifs: [lan, ovn] }])[0]?.choice, {
    kind: 'existing',
    vif: ovn,
  })
  assert.deepEqual(
    choose([{ spec: spec({ device: '4', mac: '02:00:00:00:00:44' }), vm: v, vifs: [lan, ovn] }])[0]?.choice,
    { kind: 'create', device: '4', mac: '02:00:00:00:00:44' },
  )
  const conflict = (items: VmContext[], ports: Map<string, PortSwitch>, reason: RegExp): void => {
    assert.throws(
      () => choose(items, ports),
      (e: unknown) => e instanceof VifConflictError && e.code === 'OVN_VIF_CONFLICT' && reason.test(e.params[2] ?? ''),
    )
  }
  conflict([{ spec: spec({ device: '0' }), vm: v, vifs: [lan, ovn] }], new Map(), /another network/)
  conflict(
    [{ spec: spec({ device: '1', mac: '02:00:00:00:00:42' }), vm: v, vifs: [lan, ovn] }],
    new Map(),
    /its MAC is/,
  )
  conflict([{ spec: spec({ device: '1' }), vm: v, vifs: [lan, ovn] }], new Map([[ovn.uuid, ELSEWHERE]]), /tenant-b/)
})

test('one VM twice in a request gets two different VIFs', () => {
  const v = vm('a')
  const ovn = vif(v, '0', OVN)
  const choices = choose([
    { spec: spec(), vm: v, vifs: [ovn] },
    { spec: spec(), vm: v, vifs: [ovn] },
  ])
  assert.deepEqual(
    choices.map((c) => c.choice),
    [
      { kind: 'existing', vif: ovn },
      { kind: 'create', device: '1', mac: '' },
    ],
  )
  const explicit = choose([
    { spec: spec({ device: '3' }), vm: v, vifs: [] },
    { spec: spec(), vm: v, vifs: [] },
  ])
  assert.deepEqual(
    explicit.map((c) => c.choice),
    [
      { kind: 'create', device: '3', mac: '' },
      { kind: 'create', device: '0', mac: '' },
    ],
  )
})

// ---------------------------------------------------------------------------------------------
// The VIF fields attach writes (plan-vif-fields.ts)

/** XAPI's semantics of the calls, on a record (add_to_other_config refuses an existing key). */
function applyCalls(v: VifRecord, calls: readonly VifCall[]): VifRecord {
  let r = v
  for (const { method, args } of calls) {
    const [a, b] = args
    if (method === 'VIF.add_to_other_config') {
      assert.ok(typeof a === 'string' && typeof b === 'string' && !(a in r.otherConfig), `MAP_DUPLICATE_KEY ${a}`)
      r = { ...r, otherConfig: { ...r.otherConfig, [a]: b } }
    } else if (method === 'VIF.remove_from_other_config') {
      const { [String(a)]: _gone, ...rest } = r.otherConfig
      r = { ...r, otherConfig: rest }
    } else if (method === 'VIF.set_ipv4_allowed') r = { ...r, ipv4Allowed: a as string[] }
    else if (method === 'VIF.set_ipv6_allowed') r = { ...r, ipv6Allowed: a as string[] }
    else assert.fail(`unexpected ${method}`)
  }
  return r
}

test('wanted fields: the switch as given, IPv4 and IPv6 apart, dynamic and port security as keys (never locking_mode)', () => {
  assert.deepEqual(wantedFields('tenant-a', ['fd00::1', '198.18.10.11'], true), {
    otherConfig: { [SWITCH_KEY]: 'tenant-a', [ADDRESSES_KEY]: null, [PORT_SECURITY_KEY]: 'on' },
    ipv4Allowed: ['198.18.10.11'],
    ipv6Allowed: ['fd00::1'],
  })
  assert.deepEqual(wantedFields(TARGET.uuid, 'dynamic', false), {
    otherConfig: { [SWITCH_KEY]: TARGET.uuid, [ADDRESSES_KEY]: 'dynamic', [PORT_SECURITY_KEY]: 'off' },
    ipv4Allowed: [],
    ipv6Allowed: [],
  })
})

test('field steps: only what differs, other other_config keys never written, and the undo restores the VIF exactly', () => {
  const before = parseVif(
    ref(),
    rawVif({
      network: OVN.ref,
      VM: ref(),
      other_config: { 'xo:owner': 'alice', [SWITCH_KEY]: 'old', [ADDRESSES_KEY]: 'dynamic' },
      ipv4_allowed: ['198.18.99.1'],
      locking_mode: 'network_default',
    }),
  )
  const want = wantedFields('tenant-a', ['198.18.10.11'], true)
  const steps = planFieldSteps(fieldsOf(before), want)
  assert.deepEqual(
    steps.map((x) => [x.call.method, ...x.call.args]),
    [
      ['VIF.remove_from_other_config', SWITCH_KEY],
      ['VIF.add_to_other_config', SWITCH_KEY, 'tenant-a'],
      ['VIF.remove_from_other_config', ADDRESSES_KEY],
      ['VIF.add_to_other_config', PORT_SECURITY_KEY, 'on'],
      ['VIF.set_ipv4_allowed', ['198.18.10.11']],
    ],
  )
  const after = applyCalls(
    before,
    steps.map((x) => x.call),
  )
  assert.deepEqual(after, withFields(before, want), 'withFields is what XAPI then holds')
  assert.deepEqual(after.otherConfig, { 'xo:owner': 'alice', [SWITCH_KEY]: 'tenant-a', [PORT_SECURITY_KEY]: 'on' })
  assert.equal(after.lockingMode, 'network_default', 'locking_mode is never written')
  assert.deepEqual(planFieldSteps(fieldsOf(after), want), [], 'a re-run writes nothing')
  // Undo of any prefix (a failure part-way), last first, gives the VIF back as it was.
  for (let n = 0; n <= steps.length; n++) {
    const ran = steps.slice(0, n)
    const partial = applyCalls(
      before,
      ran.map((x) => x.call),
    )
    assert.deepEqual(
      applyCalls(
        partial,
        [...ran].reverse().map((x) => x.undo),
      ),
      before,
      `undo after ${n} steps`,
    )
  }
  const kept = applyCalls(
    after,
    planUnclaimSteps(after).map((x) => x.call),
  )
  assert.deepEqual(kept.otherConfig, { 'xo:owner': 'alice' }, 'detach --keep-vif: our keys only')
  assert.deepEqual(planUnclaimSteps(kept), [])
})

test("attach's port is the agent's: same addresses, port_security and external_ids through lib/nb", () => {
  const net = network({ name_label: 'ovn-int', default_locking_mode: 'unlocked' })
  const owner = vm('a')
  const bare = parseVif(ref(), rawVif({ network: net.ref, VM: owner.ref, MAC: '02:AA:00:00:00:01' }))
  const view = { poolUuid: 'aaaa0000-0000-4000-8000-000000000001', hosts: new Map() }
  const cases: [readonly string[] | 'dynamic', boolean, string, string[]][] = [
    [
      ['fd00::1', '198.18.10.11'],
      true,
      '02:aa:00:00:00:01 198.18.10.11 fd00::1',
      ['02:aa:00:00:00:01 198.18.10.11 fd00::1'],
    ],
    [[], true, '02:aa:00:00:00:01', ['02:aa:00:00:00:01 0.0.0.0']],
    ['dynamic', true, '02:aa:00:00:00:01 dynamic', ['02:aa:00:00:00:01']],
    [['198.18.10.11'], false, '02:aa:00:00:00:01 198.18.10.11', []],
  ]
  for (const [ips, security, address, portSecurity] of cases) {
    const d = desiredPort(view, net, owner, withFields(bare, wantedFields('tenant-a', ips, security)))
    assert.equal(d.switchRef, 'tenant-a')
    assert.equal(d.enabled, true)
    assert.equal(d.requestedChassis, null)
    assert.deepEqual(
      d.externalIds,
      new Map([
        [POOL_UUID_KEY, view.poolUuid],
        [VM_UUID_KEY, owner.uuid],
      ]),
    )
    const [port] = parseVifPorts([{ vifUuid: d.name, mac: d.mac, ips: d.ips, portSecurity: d.portSecurity }])
    assert.equal(port?.address, address)
    assert.deepEqual(port?.portSecurity === null ? [] : [port?.portSecurity], portSecurity)
  }
  const k = 'ports[0].portSecurity'
  for (const bad of [['02:aa:00:00:00:02'], ['02:aa:00:00:00:01 198.18.10.256'], ['a', 'b'], 'yes'])
    rejects(() => parseVifPorts([{ vifUuid: bare.uuid, mac: '02:aa:00:00:00:01', portSecurity: bad }]), k)
})
