// The pool agent and security groups: the VIF's other_config xapi-ovn-security-groups read by
// plan-desired.ts, and plan-sync.ts putting each managed port in exactly those groups of ours
// (and the drop group) in its one transaction; an unknown group is a finding that keeps the port
// in the drop group; a port group not ours is never named in the transaction.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { POOL_UUID_KEY, SECURITY_GROUPS_KEY, SWITCH_KEY, VM_UUID_KEY } from '../../lib/agent/keys.js'
import { planDesired, type XapiView } from '../../lib/agent/plan-desired.js'
import { planSync } from '../../lib/agent/plan-sync.js'
import type { NbPortGroupRow, NbSnapshot } from '../../lib/nb/model.js'
import { DROP_GROUP, SG_DROP_KEY, SG_KEY } from '../../lib/nb/plan-security-groups.js'
import { encodeOperation } from '../../lib/ovsdb/operations.js'
import { parseHost, parseNetwork, parseVif, parseVm } from '../../lib/pool/records.js'
import { isRecord } from '../../lib/shape.js'
import { lport, lswitch, LSP1, SW_A } from './nb-fixtures.js'
import { rawHost, rawNetwork, rawVif, rawVm, ref } from './pool-fixtures.js'

const POOL = 'aaaa0000-0000-4000-8000-000000000001'
const PG_WEB = 'dddddddd-0000-4000-8000-0000000000d1'
const PG_DROP = 'dddddddd-0000-4000-8000-0000000000d0'
const PG_OPS = 'dddddddd-0000-4000-8000-0000000000d9'

function view(groups: string | undefined): { view: XapiView; network: string; vif: string; vm: string } {
  const host = parseHost(ref(), rawHost())
  const net = parseNetwork(ref(), rawNetwork({ name_label: 'ovn-int' }))
  const vmRef = ref()
  const vm = parseVm(vmRef, rawVm({ resident_on: host.ref }))
  const vif = parseVif(
    ref(),
    rawVif({
      device: '0',
      network: net.ref,
      VM: vmRef,
      MAC: '02:00:00:00:00:01',
      other_config: { [SWITCH_KEY]: 'tenant-a', ...(groups === undefined ? {} : { [SECURITY_GROUPS_KEY]: groups }) },
    }),
  )
  return {
    view: {
      poolUuid: POOL,
      hosts: new Map([[host.ref, host]]),
      networks: new Map([[net.ref, net]]),
      vms: new Map([[vm.ref, vm]]),
      vifs: new Map([[vif.ref, vif]]),
    },
    network: net.ref,
    vif: vif.uuid,
    vm: vm.uuid,
  }
}

function pg(name: string, uuid: string, ids: Record<string, string>, ports: string[] = []): NbPortGroupRow {
  return { uuid, name, portUuids: ports, aclUuids: [], externalIds: new Map(Object.entries(ids)) }
}

function nb(vif: string, vm: string, o: { web?: string[]; drop?: string[]; withPort?: boolean } = {}): NbSnapshot {
  const withPort = o.withPort !== false
  return {
    switches: [lswitch('tenant-a', SW_A, { ports: withPort ? [LSP1] : [] })],
    ports: withPort
      ? [
          lport(vif, LSP1, {
            addresses: ['02:00:00:00:00:01'],
            options: new Map([['requested-chassis', '']]),
            externalIds: new Map([
              [POOL_UUID_KEY, POOL],
              [VM_UUID_KEY, vm],
            ]),
          }),
        ]
      : [],
    portGroups: [
      pg('xapi_ovn_sg_web', PG_WEB, { [SG_KEY]: 'web' }, o.web ?? []),
      pg(DROP_GROUP, PG_DROP, { [SG_DROP_KEY]: 'true' }, o.drop ?? []),
      pg('ops', PG_OPS, {}, [LSP1]),
    ],
  }
}

/** The Port_Group mutations of a plan: [which group, mutations] as on the wire. */
function groupMutations(ops: Parameters<typeof encodeOperation>[0][]): [string, unknown][] {
  const names: Record<string, string> = { [PG_WEB]: 'web', [PG_DROP]: 'drop', [PG_OPS]: 'ops' }
  return ops
    .map((o) => JSON.parse(JSON.stringify(encodeOperation(o))) as unknown)
    .filter(isRecord)
    .filter((o) => o.op === 'mutate' && o.table === 'Port_Group')
    .map((o) => {
      const id = Object.keys(names).find((u) => JSON.stringify(o.where).includes(u)) ?? '?'
      return [names[id] ?? '?', o.mutations]
    })
}

test('the VIF key is read as a list of names; a bad name is a finding and the VIF is skipped', () => {
  const cases: [string | undefined, readonly string[] | string][] = [
    [undefined, []],
    ['', []],
    ['web', ['web']],
    [' web , db,web', ['web', 'db']],
    ['web-tier', 'OVN_AGENT_VIF_INVALID'],
  ]
  for (const [value, want] of cases) {
    const p = view(value)
    const d = planDesired(p.view, p.network)
    if (typeof want === 'string') assert.equal(d.findings[0]?.error.code, want, String(value))
    else assert.deepEqual(d.ports[0]?.securityGroups, want, String(value))
  }
})

test('a managed port joins its groups and the drop group in the pass; a re-plan of that membership writes none', () => {
  const p = view('web')
  const desired = planDesired(p.view, p.network)
  const plan = planSync(desired, nb(p.vif, p.vm), POOL)
  assert.deepEqual(plan.updated, [p.vif])
  assert.deepEqual(groupMutations([...plan.operations]), [
    ['web', [['ports', 'insert', ['uuid', LSP1]]]],
    ['drop', [['ports', 'insert', ['uuid', LSP1]]]],
  ])
  // Already a member of both: no membership write (the fixture's port differs in other columns).
  const again = planSync(desired, nb(p.vif, p.vm, { web: [LSP1], drop: [LSP1] }), POOL)
  assert.deepEqual(groupMutations([...again.operations]), [])
  // A port already as desired in every column whose groups change: updated, once, not unchanged.
  const d = desired.ports[0]
  assert.ok(d !== undefined)
  const base = nb(p.vif, p.vm)
  const exact: NbSnapshot = {
    ...base,
    ports: [
      lport(p.vif, LSP1, {
        addresses: [d.address],
        portSecurity: [...d.portSecurity],
        options: new Map(d.requestedChassis === null ? [] : [['requested-chassis', d.requestedChassis]]),
        externalIds: d.externalIds,
      }),
    ],
  }
  const members = nb(p.vif, p.vm, { web: [LSP1], drop: [LSP1] }).portGroups
  const inStep = planSync(desired, { ...exact, ...(members === undefined ? {} : { portGroups: members }) }, POOL)
  assert.deepEqual([inStep.operations.length, inStep.unchanged], [0, 1], 'port and membership as desired: nothing')
  const regrouped = planSync(desired, exact, POOL)
  assert.deepEqual([regrouped.updated, regrouped.unchanged], [[p.vif], 0])
  assert.deepEqual(
    regrouped.operations
      .filter((o) => o.op !== 'wait' && o.op !== 'comment')
      .map((o) => `${o.op} ${'table' in o ? o.table : ''}`),
    ['mutate Port_Group', 'mutate Port_Group'],
  )
})

test('the key gone: out of our groups and the drop group; the foreign group keeps the port', () => {
  const p = view(undefined)
  const plan = planSync(planDesired(p.view, p.network), nb(p.vif, p.vm, { web: [LSP1], drop: [LSP1] }), POOL)
  assert.deepEqual(groupMutations([...plan.operations]), [
    ['web', [['ports', 'delete', ['uuid', LSP1]]]],
    ['drop', [['ports', 'delete', ['uuid', LSP1]]]],
  ])
  assert.ok(!JSON.stringify(plan.operations.map((o) => encodeOperation(o))).includes(PG_OPS))
})

test('a new port is inserted and put in its group in the same transaction, by its uuid-name', () => {
  const p = view('web')
  const plan = planSync(planDesired(p.view, p.network), nb(p.vif, p.vm, { withPort: false }), POOL)
  assert.deepEqual(plan.created, [p.vif])
  assert.deepEqual(groupMutations([...plan.operations]), [
    ['web', [['ports', 'insert', ['named-uuid', 'lsp0']]]],
    ['drop', [['ports', 'insert', ['named-uuid', 'lsp0']]]],
  ])
})

test('an unknown group: OVN_AGENT_SG_MISSING, the port still synced and kept in the drop group (fail closed)', () => {
  const p = view('web,nope')
  const plan = planSync(planDesired(p.view, p.network), nb(p.vif, p.vm), POOL)
  assert.deepEqual(
    plan.findings.map((f) => [f.vif, f.error.code, f.error.params[1]]),
    [[p.vif, 'OVN_AGENT_SG_MISSING', 'nope']],
  )
  assert.deepEqual(groupMutations([...plan.operations]), [
    ['web', [['ports', 'insert', ['uuid', LSP1]]]],
    ['drop', [['ports', 'insert', ['uuid', LSP1]]]],
  ])
  // Only unknown groups: the drop group alone (all its IP dropped until the group exists).
  const q = view('nope')
  const alone = planSync(planDesired(q.view, q.network), nb(q.vif, q.vm), POOL)
  assert.deepEqual(groupMutations([...alone.operations]), [['drop', [['ports', 'insert', ['uuid', LSP1]]]]])
})
