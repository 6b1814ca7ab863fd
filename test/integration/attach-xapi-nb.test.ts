// lib/attach composed against the XAPI emulator (in-memory hosts, real xen-api client over HTTP)
// and a real OVN_Northbound ovsdb-server: the order of the writes (VIFs, ONE northbound
// transaction, plugs; detach: ports, then unplug + destroy), what a failed northbound write
// leaves behind (nothing), and every refusal happening before anything is written. Attach writes
// in XAPI the fields the pool agent reads, so the agent's own planners over what XAPI and the
// northbound then hold plan nothing (the CLI and the agent never disagree).
import { after, before, beforeEach, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { ADDRESSES_KEY, POOL_UUID_KEY, PORT_SECURITY_KEY, SWITCH_KEY, VM_UUID_KEY } from '../../lib/agent/keys.js'
import { planDesired, type XapiView } from '../../lib/agent/plan-desired.js'
import { planSync, REQUESTED_CHASSIS } from '../../lib/agent/plan-sync.js'
import { attachVms, detachVms, listVmPorts, type XapiCalls } from '../../lib/attach/index.js'
import { OvsdbUnavailableError, XapiOvnError } from '../../lib/errors.js'
import { attachPorts, connectNorthbound, ensureLogicalSwitch, listPorts } from '../../lib/nb/index.js'
import { readSnapshot, type NbTransactor } from '../../lib/nb/snapshot.js'
import type { OvsdbClient } from '../../lib/ovsdb/client.js'
import type { Operation } from '../../lib/ovsdb/operations.js'
import { OvsdbRequestTimeoutError } from '../../lib/ovsdb/errors.js'
import { XapiPool } from '../../lib/pool/index.js'
import { parseAllRecords, parseHost, parseNetwork, parsePool, parseVif, parseVm } from '../../lib/pool/records.js'
import { createEmulatedPool, type EmulatedPool, type MemoryHostBackend } from '../../xapi-emulator/index.js'
import { PASSWORD, memoryHosts } from '../../xapi-emulator/testing.js'
import { NbDatabase } from './nb-server.js'

let pool: EmulatedPool
let session: XapiPool
let nbDb: NbDatabase
let nbClient: OvsdbClient
let ovnNet: string
let lanNet: string
/** What was written, in order: XAPI methods that change something, and 'NB write'. */
let log: string[]

const WRITES = new Set([
  'VIF.create',
  'VIF.plug',
  'VIF.unplug',
  'VIF.destroy',
  'VIF.add_to_other_config',
  'VIF.remove_from_other_config',
  'VIF.set_ipv4_allowed',
  'VIF.set_ipv6_allowed',
  'VIF.set_locking_mode',
])

const xapi: XapiCalls = {
  call: (method, ...args) => {
    if (WRITES.has(method)) log.push(method)
    return session.call(method, ...args)
  },
}

function isWrite(ops: readonly Operation[]): boolean {
  return ops.some((o) => o.op !== 'select' && o.op !== 'comment')
}

const nb: NbTransactor = {
  transact: (db, ops) => {
    if (isWrite(ops)) log.push('NB write')
    return nbClient.transact(db, ops)
  },
}

/** A northbound server that answers reads and dies on the first write. */
const dyingNb: NbTransactor = {
  transact: (db, ops) =>
    isWrite(ops)
      ? Promise.reject(new OvsdbUnavailableError(nbDb.remotes[0] as string, 'connection reset'))
      : nbClient.transact(db, ops),
}

/** The write reaches the server and commits, but its reply is lost (a timeout). */
const lostReplyNb: NbTransactor = {
  transact: async (db, ops) => {
    if (!isWrite(ops)) return nbClient.transact(db, ops)
    log.push('NB write')
    await nbClient.transact(db, ops)
    throw new OvsdbRequestTimeoutError('transact', 10_000, nbDb.remotes[0] as string)
  },
}

/** The write commits, then the connection is gone for good: nothing can be read back. */
function deadAfterWriteNb(): NbTransactor {
  let dead = false
  return {
    transact: async (db, ops) => {
      if (dead) throw new OvsdbUnavailableError(nbDb.remotes[0] as string, 'connection reset')
      if (!isWrite(ops)) return nbClient.transact(db, ops)
      log.push('NB write')
      await nbClient.transact(db, ops)
      dead = true
      throw new OvsdbUnavailableError(nbDb.remotes[0] as string, 'connection reset')
    },
  }
}

function vm(name: string): string {
  const refs = pool.vms.filter((r) => pool.emulator.db.field('VM', r, 'name_label') === name)
  assert.equal(refs.length, 1, name)
  return refs[0] as string
}

async function vifsOf(name: string): Promise<string[]> {
  return (await session.call('VM.get_VIFs', vm(name))) as string[]
}

/** The fields of a VIF the pool agent reads, as XAPI holds them. */
async function agentFields(vifRef: string): Promise<Record<string, unknown>> {
  const r = (await session.call('VIF.get_record', vifRef)) as Record<string, unknown>
  return {
    other_config: r.other_config,
    ipv4_allowed: r.ipv4_allowed,
    ipv6_allowed: r.ipv6_allowed,
    locking_mode: r.locking_mode,
  }
}

/** What the pool agent reads of XAPI, read the way its replica is (every record validated). */
async function xapiView(s: XapiPool): Promise<XapiView> {
  const [pools, hosts, networks, vms, vifs] = await Promise.all(
    ['pool', 'host', 'network', 'VM', 'VIF'].map((cls) => s.call(`${cls}.get_all_records`)),
  )
  return {
    poolUuid: ([...parseAllRecords('pool', pools, parsePool).values()][0]?.uuid ?? '') as string,
    hosts: parseAllRecords('host', hosts, parseHost),
    networks: parseAllRecords('network', networks, parseNetwork),
    vms: parseAllRecords('VM', vms, parseVm),
    vifs: parseAllRecords('VIF', vifs, parseVif),
  }
}

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => e instanceof XapiOvnError && e.code === code)
}

describe('attach / detach over XAPI and a real northbound database', () => {
  before(async () => {
    pool = await createEmulatedPool({
      hosts: memoryHosts(2),
      password: PASSWORD,
      vms: ['web1', 'web2', 'halted', 'twin', 'twin', 'manual', 'lanvm', 'keeper', 'v6vm', 'par1', 'par2', 'par3'].map(
        (name_label) => ({
          name_label,
        }),
      ),
    })
    session = await XapiPool.connect({ url: pool.url, password: PASSWORD, transport: 'json-rpc' })
    ovnNet = (await session.call('network.create', {
      name_label: 'ovn-int',
      name_description: '',
      MTU: 1500,
      other_config: { 'vswitch-controller-fail-mode': 'secure' },
    })) as string
    lanNet = (await session.call('network.create', {
      name_label: 'lan',
      name_description: '',
      MTU: 1500,
      other_config: {},
    })) as string
    const [h1, h2] = pool.hosts
    for (const [name, host] of [
      ['web1', h1],
      ['web2', h2],
      ['manual', h1],
      ['lanvm', h2],
      ['par1', h1],
      ['par2', h2],
      ['par3', h1],
    ] as const)
      await session.call('VM.start_on', vm(name), host?.ref, false, false)
    nbDb = await NbDatabase.standalone()
    nbClient = await connectNorthbound(nbDb.remotes)
    await ensureLogicalSwitch(nbClient, 'tenant-a')
    await ensureLogicalSwitch(nbClient, 'tenant-b')
    await ensureLogicalSwitch(nbClient, 'tenant-c', { subnet: '198.18.30.0/24' })
  })
  after(async () => {
    await nbClient?.close()
    await nbDb?.destroy()
    await session?.close()
    await pool?.close()
  })
  beforeEach(() => {
    log = []
  })

  test('three VMs, one of them halted: VIFs created, ONE northbound write, then the running VMs plugged', async () => {
    const r = await attachVms(xapi, nb, {
      switch: 'tenant-a',
      vms: [
        { vm: 'web1', ips: ['198.18.10.11'] },
        { vm: vm('web2'), ips: ['198.18.10.12'] },
        { vm: 'halted', ips: ['198.18.10.13'] },
      ],
    })
    assert.deepEqual(log, ['VIF.create', 'VIF.create', 'VIF.create', 'NB write', 'VIF.plug', 'VIF.plug'])
    assert.deepEqual(
      r.attachments.map((a) => [a.vm.name, a.vif.device, a.vifAction, a.plug, a.port.action]),
      [
        ['web1', '0', 'created', 'plugged', 'created'],
        ['web2', '0', 'created', 'plugged', 'created'],
        ['halted', '0', 'created', 'vm-not-running', 'created'],
      ],
    )
    assert.equal(r.changed, true)
    assert.equal(r.network.bridge, 'xapi0')
    const ports = await listPorts(nbClient, 'tenant-a')
    for (const a of r.attachments) {
      const port = ports.find((p) => p.name === a.vif.uuid)
      assert.deepEqual(port?.addresses, [a.port.address])
      assert.equal(a.port.address.split(' ')[0], a.vif.mac)
      assert.equal(port?.externalIds['xapi-ovn:vm-uuid'], a.vm.uuid)
      const record = (await session.call('VIF.get_record', a.vif.ref)) as { network: string; MTU: number }
      assert.equal(record.network, ovnNet)
    }
    // xenopsd's view: the port is on the OVN bridge of the host the VM runs on.
    const h1 = pool.hosts[0]?.backend as MemoryHostBackend
    const domid = (await session.call('VM.get_domid', vm('web1'))) as number
    assert.equal(h1.port(`vif${domid}.0`)?.vifUuid, r.attachments[0]?.vif.uuid)
    assert.equal(h1.port(`vif${domid}.0`)?.bridge, 'xapi0')

    log = []
    const again = await attachVms(xapi, nb, {
      switch: 'tenant-a',
      vms: [
        { vm: 'web1', ips: ['198.18.10.11'] },
        { vm: 'halted', ips: ['198.18.10.13'] },
      ],
    })
    assert.deepEqual(log, [], 'a re-run writes nothing')
    assert.equal(again.changed, false)
  })

  test('the VIFs are plugged at once; a refused plug is thrown after the others have finished', {
    timeout: 60_000,
  }, async () => {
    // Every VIF.plug waits until all three have started: one plug after another never gets there
    // (the test times out). par2's plug is then refused by XAPI; par1's and par3's still go on.
    const started: string[] = []
    let allStarted: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      allStarted = resolve
    })
    const refused = new Error('VIF.plug refused by the test')
    const gated: XapiCalls = {
      call: async (method, ...args) => {
        if (method !== 'VIF.plug') return xapi.call(method, ...args)
        const ref = String(args[0])
        started.push(ref)
        if (started.length === 3) allStarted()
        await gate
        const vif = (await session.call('VIF.get_record', ref)) as { VM: string }
        if (vif.VM === vm('par2')) throw refused
        return xapi.call(method, ...args)
      },
    }
    await assert.rejects(
      attachVms(gated, nb, {
        switch: 'tenant-b',
        vms: ['par1', 'par2', 'par3'].map((name) => ({ vm: name, ips: [] })),
      }),
      (e: unknown) => e === refused,
    )
    assert.equal(started.length, 3)
    const attached = async (name: string) => {
      const [ref] = await vifsOf(name)
      return session.call('VIF.get_currently_attached', ref)
    }
    assert.deepEqual(await Promise.all(['par1', 'par2', 'par3'].map(attached)), [true, false, true])
  })

  test('a northbound write that fails leaves no VIF behind', async () => {
    const before = await vifsOf('web1')
    await rejectsWithCode(
      attachVms(xapi, dyingNb, { switch: 'tenant-b', vms: [{ vm: 'web1' }, { vm: 'web2' }] }),
      'OVN_OVSDB_UNAVAILABLE',
    )
    assert.deepEqual(log, ['VIF.create', 'VIF.create', 'VIF.destroy', 'VIF.destroy'])
    assert.deepEqual(await vifsOf('web1'), before)
  })

  test('a write whose reply is lost after it committed: read back, the ports are there, the VIFs are kept and plugged', async () => {
    await ensureLogicalSwitch(nbClient, 'tenant-lost')
    const r = await attachVms(xapi, lostReplyNb, { switch: 'tenant-lost', vms: [{ vm: 'web1' }] })
    assert.equal(log.includes('VIF.destroy'), false, 'no rollback of a committed write')
    const ports = await listPorts(nbClient, 'tenant-lost')
    assert.deepEqual(
      ports.map((p) => p.name),
      [r.attachments[0]?.vif.uuid],
    )
    // Again: nothing new, no duplicate.
    const again = await attachVms(xapi, nb, { switch: 'tenant-lost', vms: [{ vm: 'web1' }] })
    assert.equal(again.changed, false)
    assert.equal((await listPorts(nbClient, 'tenant-lost')).length, 1)
    await detachVms(xapi, nb, { vms: ['web1'], switch: 'tenant-lost' })
  })

  test('a write that committed, then nothing can be read back: OVN_ATTACH_IN_DOUBT, the VIF is kept, a re-run settles it', async () => {
    await ensureLogicalSwitch(nbClient, 'tenant-doubt')
    await rejectsWithCode(
      attachVms(xapi, deadAfterWriteNb(), { switch: 'tenant-doubt', vms: [{ vm: 'web2' }] }),
      'OVN_ATTACH_IN_DOUBT',
    )
    assert.equal(log.includes('VIF.destroy'), false, 'never guessed: the VIF stays')
    const port = (await listPorts(nbClient, 'tenant-doubt'))[0]
    assert.ok(port !== undefined, 'the write had committed')
    const vifRef = (await session.call('VIF.get_by_uuid', port.name)) as string
    assert.ok((await vifsOf('web2')).includes(vifRef), 'its VIF is still there: no orphan port')
    const settled = await attachVms(xapi, nb, { switch: 'tenant-doubt', vms: [{ vm: 'web2' }] })
    assert.equal(settled.attachments[0]?.vif.uuid, port.name)
    assert.equal((await listPorts(nbClient, 'tenant-doubt')).length, 1)
    await detachVms(xapi, nb, { vms: ['web2'], switch: 'tenant-doubt' })
  })

  test('refusals come before any write', async () => {
    const cases: [() => Promise<unknown>, string][] = [
      [
        () => attachVms(xapi, nb, { switch: 'no-such-switch', vms: [{ vm: 'web1', device: '5' }] }),
        'OVN_NB_SWITCH_MISSING',
      ],
      [
        () => attachVms(xapi, nb, { switch: 'tenant-b', vms: [{ vm: 'web2', device: '5' }, { vm: 'nobody' }] }),
        'OVN_VM_NOT_FOUND',
      ],
      [() => attachVms(xapi, nb, { switch: 'tenant-b', vms: [{ vm: 'twin' }] }), 'OVN_VM_AMBIGUOUS'],
      [
        () => attachVms(xapi, nb, { switch: 'tenant-b', vms: [{ vm: 'Control domain on host: host1' }] }),
        'OVN_VM_NOT_FOUND',
      ],
      [
        () =>
          attachVms(xapi, nb, {
            switch: 'tenant-b',
            vms: [{ vm: pool.emulator.db.field('host', pool.hosts[0]?.ref as string, 'control_domain') as string }],
          }),
        'OVN_INVALID_ARGUMENT',
      ],
      [
        () =>
          attachVms(xapi, nb, {
            switch: 'tenant-b',
            vms: [
              { vm: 'web2', device: '5' },
              { vm: 'web1', device: '0' },
            ],
          }),
        'OVN_VIF_CONFLICT',
      ],
      [
        () => attachVms(xapi, nb, { switch: 'tenant-b', vms: [{ vm: 'web1', ips: 'dynamic' }] }),
        'OVN_NB_SWITCH_NO_SUBNET',
      ],
      [
        () => attachVms(xapi, nb, { switch: 'tenant-a', vms: [{ vm: 'web1' }], network: 'lan-typo' }),
        'OVN_NETWORK_UNUSABLE',
      ],
    ]
    for (const [call, code] of cases) await rejectsWithCode(call(), code)
    assert.deepEqual(log, [])
  })

  test('found, not created: a VIF someone put on the OVN network by hand; a VIF on another network is left alone', async () => {
    const manual = (await session.call('VIF.create', {
      device: '0',
      network: ovnNet,
      VM: vm('manual'),
      MAC: '02:00:00:00:01:01',
      MTU: 1500,
      other_config: {},
      qos_algorithm_type: '',
      qos_algorithm_params: {},
    })) as string
    await session.call('VIF.create', {
      device: '0',
      network: lanNet,
      VM: vm('lanvm'),
      MAC: '',
      MTU: 1500,
      other_config: {},
      qos_algorithm_type: '',
      qos_algorithm_params: {},
    })
    log = []
    const r = await attachVms(xapi, nb, {
      switch: 'tenant-b',
      vms: [
        { vm: 'manual', ips: ['198.18.20.1'] },
        { vm: 'lanvm', ips: ['198.18.20.2'] },
      ],
    })
    assert.deepEqual(
      r.attachments.map((a) => [a.vm.name, a.vif.device, a.vifAction, a.plug]),
      [
        ['manual', '0', 'found', 'plugged'],
        ['lanvm', '1', 'created', 'plugged'],
      ],
    )
    assert.equal(r.attachments[0]?.vif.ref, manual)
    assert.equal(r.attachments[0]?.vif.mac, '02:00:00:00:01:01')
    // The found VIF gets the fields the agent reads (the created one has them from VIF.create).
    assert.deepEqual(log, [
      'VIF.add_to_other_config',
      'VIF.add_to_other_config',
      'VIF.set_ipv4_allowed',
      'VIF.create',
      'NB write',
      'VIF.plug',
      'VIF.plug',
    ])
  })

  test('a plugged VIF whose port would get other addresses: OVN_PORT_LIVE, nothing written; --update changes it', async () => {
    const vifUuid = (await session.call('VIF.get_uuid', (await vifsOf('web1'))[0])) as string
    const before = (await listPorts(nbClient, 'tenant-a')).find((p) => p.name === vifUuid)
    assert.ok(before !== undefined, 'web1 is attached to tenant-a')
    log = []
    await rejectsWithCode(
      attachVms(xapi, nb, { switch: 'tenant-a', vms: [{ vm: 'web1', ips: ['198.18.10.99'] }] }),
      'OVN_PORT_LIVE',
    )
    assert.deepEqual(log, [], 'refused before anything is written')
    assert.deepEqual(
      (await listPorts(nbClient, 'tenant-a')).find((p) => p.name === vifUuid)?.addresses,
      before.addresses,
    )
    await attachVms(xapi, nb, { switch: 'tenant-a', vms: [{ vm: 'web1', ips: ['198.18.10.99'] }], update: true })
    const after = (await listPorts(nbClient, 'tenant-a')).find((p) => p.name === vifUuid)
    assert.match(after?.addresses[0] ?? '', / 198\.18\.10\.99$/)
    await attachVms(xapi, nb, { switch: 'tenant-a', vms: [{ vm: 'web1', ips: ['198.18.10.11'] }], update: true })
  })

  test('port list joins each VIF port with its VM, device and host', async () => {
    const ports = await listVmPorts(nbClient, xapi, 'tenant-a')
    const web1 = ports.find((p) => p.xapi?.vm.name === 'web1')
    assert.equal(web1?.xapi?.host, 'host1')
    assert.equal(web1?.xapi?.vif.device, '0')
    assert.equal(web1?.xapi?.vif.currentlyAttached, true)
    assert.equal(ports.find((p) => p.xapi?.vm.name === 'halted')?.xapi?.host, null)
    assert.ok((await listVmPorts(nbClient, null)).every((p) => p.xapi === null))
  })

  test('detach: the ports in one write, then unplug and destroy; a port whose VIF XAPI no longer has still goes', async () => {
    const stale = '99999999-9999-4999-8999-999999999999'
    await attachPorts(nbClient, 'tenant-b', [{ vifUuid: stale, mac: '02:00:00:00:09:09' }])
    log = []
    const r = await detachVms(xapi, nb, { vms: ['web1', 'halted'], vifs: [stale] })
    assert.deepEqual(log, ['NB write', 'VIF.unplug', 'VIF.destroy', 'VIF.destroy'])
    assert.deepEqual(
      r.detached.map((d) => [d.vm?.name ?? null, d.port?.switchName ?? null, d.unplugged, d.destroyed]),
      [
        ['web1', 'tenant-a', true, true],
        ['halted', 'tenant-a', false, true],
        [null, 'tenant-b', false, false],
      ],
    )
    assert.deepEqual(await vifsOf('web1'), [])
    const names = (await listPorts(nbClient)).map((p) => p.name)
    for (const d of r.detached) assert.ok(!names.includes(d.vifUuid))
    log = []
    assert.equal((await detachVms(xapi, nb, { vms: ['web1'] })).changed, false)
    assert.deepEqual(log, [])
  })

  test('detach --switch only touches ports on that switch; keepVifs leaves the VIFs', async () => {
    await attachVms(xapi, nb, { switch: 'tenant-a', vms: [{ vm: 'web2', device: '1' }] })
    log = []
    const r = await detachVms(xapi, nb, { vms: ['web2'], switch: 'tenant-b', keepVifs: true })
    assert.deepEqual(r.detached, [])
    const onA = await detachVms(xapi, nb, { vms: ['web2'], switch: 'tenant-a', keepVifs: true })
    assert.deepEqual(
      onA.detached.map((d) => [d.port?.switchName, d.destroyed]),
      [
        ['tenant-a', false],
        ['tenant-a', false],
      ],
    )
    assert.deepEqual(log, [
      // Per VIF: xapi-ovn-switch and xapi-ovn-port-security.
      'VIF.remove_from_other_config',
      'VIF.remove_from_other_config',
      'VIF.remove_from_other_config',
      'VIF.remove_from_other_config',
      'NB write',
    ])
    assert.equal((await vifsOf('web2')).length, 2)
    const other = (await session.call('VIF.get_all_records')) as Record<
      string,
      { network: string; VM: string; uuid: string }
    >
    const lanVif = Object.values(other).find((v) => v.network === lanNet)
    assert.ok(lanVif !== undefined)
    await rejectsWithCode(detachVms(xapi, nb, { vifs: [lanVif.uuid] }), 'OVN_VIF_CONFLICT')
  })

  test('attach writes in XAPI what the agent reads: switch, allowed IPs or dynamic, port security; other keys survive', async () => {
    const vifRef = (await session.call('VIF.create', {
      device: '0',
      network: ovnNet,
      VM: vm('keeper'),
      MAC: '02:00:00:00:03:01',
      MTU: 1500,
      other_config: { 'xo:owner': 'alice', [SWITCH_KEY]: 'tenant-old' },
      qos_algorithm_type: '',
      qos_algorithm_params: {},
      ipv4_allowed: ['198.18.99.9'],
    })) as string
    log = []
    const r = await attachVms(xapi, nb, {
      switch: 'tenant-c',
      vms: [{ vm: 'keeper', ips: ['fd00::5', '198.18.30.5'] }],
    })
    assert.equal(r.attachments[0]?.vif.ref, vifRef)
    assert.deepEqual(log, [
      'VIF.remove_from_other_config',
      'VIF.add_to_other_config',
      'VIF.add_to_other_config',
      'VIF.set_ipv4_allowed',
      'VIF.set_ipv6_allowed',
      'NB write',
    ])
    // Port security as its own key; locking_mode is never written (a locked VIF breaks OVN on a
    // real host: docs/platform.md "VIF locking").
    assert.deepEqual(await agentFields(vifRef), {
      other_config: { 'xo:owner': 'alice', [SWITCH_KEY]: 'tenant-c', [PORT_SECURITY_KEY]: 'on' },
      ipv4_allowed: ['198.18.30.5'],
      ipv6_allowed: ['fd00::5'],
      locking_mode: 'network_default',
    })
    const port = (await listPorts(nbClient, 'tenant-c')).find((p) => p.name === r.attachments[0]?.vif.uuid)
    const poolUuid = (await xapiView(session)).poolUuid
    assert.deepEqual(port?.externalIds, { [POOL_UUID_KEY]: poolUuid, [VM_UUID_KEY]: r.attachments[0]?.vm.uuid })
    // The agent's order (IPv4 allowed, then IPv6), whatever order --ip came in.
    assert.deepEqual(port?.addresses, ['02:00:00:00:03:01 198.18.30.5 fd00::5'])
    const row = (await readSnapshot(nbClient, 'all')).ports.find((x) => x.name === port?.name)
    assert.deepEqual(row?.portSecurity, ['02:00:00:00:03:01 198.18.30.5 fd00::5'])

    await attachVms(xapi, nb, { switch: 'tenant-c', vms: [{ vm: 'keeper', ips: 'dynamic' }], portSecurity: false })
    assert.deepEqual(await agentFields(vifRef), {
      other_config: {
        'xo:owner': 'alice',
        [SWITCH_KEY]: 'tenant-c',
        [ADDRESSES_KEY]: 'dynamic',
        [PORT_SECURITY_KEY]: 'off',
      },
      ipv4_allowed: [],
      ipv6_allowed: [],
      locking_mode: 'network_default',
    })
    await attachVms(xapi, nb, { switch: 'tenant-c', vms: [{ vm: 'keeper', ips: ['198.18.30.5'] }] })
    assert.deepEqual((await agentFields(vifRef)).other_config, {
      'xo:owner': 'alice',
      [SWITCH_KEY]: 'tenant-c',
      [PORT_SECURITY_KEY]: 'on',
    })
    log = []
    await attachVms(xapi, nb, { switch: 'tenant-c', vms: [{ vm: 'keeper', ips: ['198.18.30.5'] }] })
    assert.deepEqual(log, [], 'a re-run writes nothing in XAPI either')
  })

  test('a northbound write that fails puts back exactly the VIF fields attach changed', async () => {
    const vifRef = (await vifsOf('keeper'))[0] as string
    const before = await agentFields(vifRef)
    log = []
    await rejectsWithCode(
      attachVms(xapi, dyingNb, {
        switch: 'tenant-b',
        vms: [{ vm: 'keeper', ips: 'dynamic' }],
        portSecurity: false,
      }),
      'OVN_NB_SWITCH_NO_SUBNET',
    )
    assert.equal(log.length, 0, 'refused before any write')
    await rejectsWithCode(
      attachVms(xapi, dyingNb, { switch: 'tenant-c', vms: [{ vm: 'keeper', ips: 'dynamic' }], portSecurity: false }),
      'OVN_OVSDB_UNAVAILABLE',
    )
    assert.deepEqual(log, [
      'VIF.add_to_other_config',
      'VIF.remove_from_other_config',
      'VIF.add_to_other_config',
      'VIF.set_ipv4_allowed',
      'VIF.set_ipv4_allowed',
      'VIF.remove_from_other_config',
      'VIF.add_to_other_config',
      'VIF.remove_from_other_config',
    ])
    assert.deepEqual(await agentFields(vifRef), before, 'switch, addresses, allowed IPs, locking mode as they were')
  })

  test('detach --keep-vif removes xapi-ovn-switch, xapi-ovn-addresses and xapi-ovn-port-security, nothing else', async () => {
    const vifRef = (await vifsOf('keeper'))[0] as string
    await attachVms(xapi, nb, { switch: 'tenant-c', vms: [{ vm: 'keeper', ips: 'dynamic' }] })
    log = []
    const r = await detachVms(xapi, nb, { vms: ['keeper'], keepVifs: true })
    assert.deepEqual(log, [
      'VIF.remove_from_other_config',
      'VIF.remove_from_other_config',
      'VIF.remove_from_other_config',
      'NB write',
    ])
    assert.equal(r.detached[0]?.keysRemoved, true)
    assert.deepEqual((await agentFields(vifRef)).other_config, { 'xo:owner': 'alice' })
    const view = await xapiView(session)
    const finding = planDesired(view, ovnNet).findings.find((f) => f.vif === r.detached[0]?.vifUuid)
    assert.equal(finding?.error.code, 'OVN_AGENT_NO_SWITCH', 'the agent makes no port for it again')
  })

  test('an XAPI write refused part-way: the fields already changed are put back, nothing reaches the northbound', async () => {
    const vifRef = (await vifsOf('keeper'))[0] as string
    const before = await agentFields(vifRef)
    // XAPI refuses the allowed IPs (INVALID_IP_ADDRESS_SPECIFIED) after the keys were written.
    const refusing: XapiCalls = {
      call: (method, ...args) =>
        method === 'VIF.set_ipv4_allowed' ? xapi.call(method, args[0], ['not-an-ip']) : xapi.call(method, ...args),
    }
    log = []
    await rejectsWithCode(
      attachVms(refusing, nb, {
        switch: 'tenant-c',
        vms: [{ vm: 'keeper', ips: ['198.18.30.8'] }],
        portSecurity: false,
      }),
      'OVN_XAPI_CALL_FAILED',
    )
    assert.deepEqual(log, [
      'VIF.add_to_other_config',
      'VIF.add_to_other_config',
      'VIF.set_ipv4_allowed',
      'VIF.remove_from_other_config',
      'VIF.remove_from_other_config',
    ])
    assert.deepEqual(await agentFields(vifRef), before)
  })

  test('IPv6: an address outside the prefix or taken is refused before XAPI is written; one inside goes to ipv6_allowed and the port, linked to DHCPv6', async () => {
    const sw = await ensureLogicalSwitch(nbClient, 'tenant-v6', {
      subnet: '198.18.60.0/24',
      ipv6: { prefix: '2001:db8:60::/64', mode: 'dhcpv6-stateful' },
    })
    await attachPorts(nbClient, 'tenant-v6', [
      { vifUuid: '66666666-6666-4666-8666-666666666666', mac: '02:00:00:00:60:01', ips: ['2001:db8:60::7'] },
    ])
    log = []
    for (const [ip, reason] of [
      ['2001:db8:61::5', "it is outside the switch's IPv6 prefix 2001:db8:60::/64"],
      ['2001:db8:60:0::7', 'port 66666666-6666-4666-8666-666666666666 already has it'],
    ] as const)
      await assert.rejects(
        attachVms(xapi, nb, { switch: 'tenant-v6', vms: [{ vm: 'v6vm', ips: ['198.18.60.5', ip] }] }),
        (e: unknown) => e instanceof XapiOvnError && e.code === 'OVN_NB_ADDRESS_CONFLICT' && e.params[2] === reason,
      )
    assert.deepEqual(log, [], 'nothing written: no VIF created, no field set, no northbound write')
    assert.deepEqual(await vifsOf('v6vm'), [])

    const r = await attachVms(xapi, nb, {
      switch: 'tenant-v6',
      vms: [{ vm: 'v6vm', ips: ['198.18.60.5', '2001:db8:60::5'] }],
    })
    const vifRef = (await vifsOf('v6vm'))[0] as string
    assert.deepEqual(pool.emulator.db.field('VIF', vifRef, 'ipv4_allowed'), ['198.18.60.5'])
    assert.deepEqual(pool.emulator.db.field('VIF', vifRef, 'ipv6_allowed'), ['2001:db8:60::5'])
    const port = (await listVmPorts(nbClient, xapi, 'tenant-v6')).find((p) => p.xapi?.vm.name === 'v6vm')
    const mac = r.attachments[0]?.vif.mac ?? ''
    assert.deepEqual(port?.addresses, [`${mac} 198.18.60.5 2001:db8:60::5`])
    assert.equal(port?.dhcpv6Options, sw.ipv6?.dhcpv6Uuid)
  })
})

describe('the pool agent agrees with port attach: its planners over XAPI and the northbound plan nothing', () => {
  let p: EmulatedPool
  let s: XapiPool
  let db: NbDatabase
  let c: OvsdbClient
  let net: string
  let subnetSwitch: string

  before(async () => {
    p = await createEmulatedPool({
      hosts: memoryHosts(2),
      password: PASSWORD,
      vms: ['static', 'dyn', 'open', 'bare', 'found', 'runner'].map((name_label) => ({ name_label })),
    })
    s = await XapiPool.connect({ url: p.url, password: PASSWORD, transport: 'json-rpc' })
    net = (await s.call('network.create', {
      name_label: 'ovn-int',
      name_description: '',
      MTU: 1500,
      other_config: {},
    })) as string
    db = await NbDatabase.standalone()
    c = await connectNorthbound(db.remotes)
    await ensureLogicalSwitch(c, 'plain')
    subnetSwitch = (await ensureLogicalSwitch(c, 'with-subnet', { subnet: '198.18.60.0/24' })).uuid
  })
  after(async () => {
    await c?.close()
    await db?.destroy()
    await s?.close()
    await p?.close()
  })

  const vmOf = (name: string): string =>
    p.vms.find((r) => p.emulator.db.field('VM', r, 'name_label') === name) as string

  test('static IPs, dynamic (switch named by UUID), --no-port-security, no IP, a found VIF: no operation', async () => {
    // A VIF made by hand, left at network_default with another key, before attach finds it.
    await s.call('VIF.create', {
      device: '0',
      network: net,
      VM: vmOf('found'),
      MAC: '02:00:00:00:06:01',
      MTU: 1500,
      other_config: { 'xo:owner': 'bob' },
      qos_algorithm_type: '',
      qos_algorithm_params: {},
    })
    await attachVms(s, c, { switch: 'plain', vms: [{ vm: 'static', ips: ['198.18.61.1', 'fd00::61:1'] }] })
    await attachVms(s, c, { switch: subnetSwitch, vms: [{ vm: 'dyn', ips: 'dynamic' }] })
    await attachVms(s, c, { switch: 'plain', vms: [{ vm: 'open', ips: ['198.18.61.3'] }], portSecurity: false })
    await attachVms(s, c, { switch: 'plain', vms: [{ vm: 'bare' }, { vm: 'found', ips: ['198.18.61.5'] }] })
    const view = await xapiView(s)
    const desired = planDesired(view, net)
    assert.deepEqual(desired.findings, [])
    assert.equal(desired.ports.length, 5)
    const plan = planSync(desired, await readSnapshot(c, 'all'), view.poolUuid)
    assert.deepEqual(plan.findings, [])
    assert.deepEqual(plan.operations, [], 'the agent would change nothing')
    assert.equal(plan.unchanged, 5)
    assert.equal(plan.managed, 5)
  })

  test('a running VM: the agent only adds requested-chassis, the placement attach leaves to it', async () => {
    await s.call('VM.start_on', vmOf('runner'), p.hosts[0]?.ref, false, false)
    const r = await attachVms(s, c, { switch: 'plain', vms: [{ vm: 'runner', ips: ['198.18.61.9'] }] })
    assert.equal(r.attachments[0]?.plug, 'plugged')
    const view = await xapiView(s)
    const plan = planSync(planDesired(view, net), await readSnapshot(c, 'all'), view.poolUuid)
    assert.deepEqual(plan.updated, [r.attachments[0]?.vif.uuid])
    const writes = plan.operations.filter((o) => o.op === 'update' || o.op === 'mutate' || o.op === 'insert')
    assert.deepEqual(
      writes.map((o) => (o.op === 'mutate' ? [o.table, o.mutations.map((m) => [m[0], m[1]])] : [o.table, o.op])),
      [['Logical_Switch_Port', [['options', 'insert']]]],
    )
    const hostUuid = view.hosts.get(p.hosts[0]?.ref as string)?.uuid
    const [first] = writes
    assert.deepEqual(
      first?.op === 'mutate' ? first.mutations[0]?.[2] : undefined,
      new Map([[REQUESTED_CHASSIS, hostUuid]]),
    )
  })
})
