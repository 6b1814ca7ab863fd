/**
 * fn=configure and fn=unconfigure of the bundled plugin on a real Open vSwitch (a lab host: its
 * own ovsdb-server and ovs-vswitchd in a network namespace, bridges and VIFs made the way XAPI's
 * daemons make them), called exactly as xapi calls it.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { LabHost } from '../../lab/host.js'
import { Underlay } from '../../lab/underlay.js'
import { newUuid } from '../../lab/names.js'
import { call, callRaw, value } from './plugin-harness.js'
import { OvsdbClient } from '../../lib/ovsdb/client.js'
import { ovsdbMap, set } from '../../lib/ovsdb/codec.js'
import { op } from '../../lib/ovsdb/operations.js'

const MGMT_NET = newUuid()
const OVN_NET = newUuid()
const ARGS = {
  'ovn-remote': 'tcp:192.0.2.10:6642,tcp:192.0.2.11:6642',
  'ovn-encap-ip': '192.0.2.21',
  'ovn-bridge': 'xapi1',
  'ovn-bridge-mappings': 'physnet-mgmt:xenbr0',
  'ovn-bridge-datapath-type': 'netdev',
}

interface ConfigureValue {
  changed: boolean
  dryRun: boolean
  before: Record<string, string | null>
  after: Record<string, string | null>
  changes: { key: string; from: string | null; to: string | null }[]
}

describe('configure / unconfigure on a real Open vSwitch', () => {
  let underlay: Underlay
  let host: LabHost

  before(async () => {
    underlay = await Underlay.create()
    host = await LabHost.create({ name: 'cfg1' })
    await host.createBridge('xenbr0', { networkUuids: [MGMT_NET] })
    await host.addUplink('xenbr0', underlay, { ip: '192.0.2.21/24' })
    await host.createBridge('xapi1', { networkUuids: [OVN_NET], failMode: 'secure' })
    await host.plugVif({
      domid: 3,
      devid: 0,
      vifUuid: newUuid(),
      vmUuid: newUuid(),
      networkUuid: OVN_NET,
      bridge: 'xapi1',
      mac: '02:00:00:00:03:00',
    })
    // A key someone else owns, and one ovn-controller key set by hand before us.
    await host.vsctl(
      'set',
      'Open_vSwitch',
      '.',
      'external_ids:xs-other=keep-me',
      'external_ids:ovn-remote-probe-interval=30000',
    )
  })
  after(async () => {
    await host?.destroy()
    await underlay?.destroy()
  })

  test('dry-run returns the plan and writes nothing', async () => {
    const dump = await host.dumpConfig()
    const v = await value<ConfigureValue>(host, 'configure', { ...ARGS, 'dry-run': 'true' })
    assert.equal(v.dryRun, true)
    assert.equal(v.changed, true)
    assert.equal(v.after['ovn-bridge'], 'xapi1')
    assert.equal(await host.dumpConfig(), dump)
  })

  // The configuration as XAPI left it (dumpConfig: without counters and link state, which a
  // running switch changes on its own over the seconds these tests take).
  let original = ''
  test('configure sets exactly the ovn-controller keys, and says what changed', async () => {
    original = await host.dumpConfig()
    const v = await value<ConfigureValue>(host, 'configure', ARGS)
    assert.equal(v.changed, true)
    assert.deepEqual(v.after, { ...ARGS, 'ovn-encap-type': 'geneve' })
    assert.deepEqual(Object.values(v.before), [null, null, null, null, null, null])
    const ext = await host.vsctl('get', 'Open_vSwitch', '.', 'external_ids')
    for (const [k, val] of Object.entries({
      ...ARGS,
      'ovn-encap-type': 'geneve',
      'xs-other': 'keep-me',
      'ovn-remote-probe-interval': '30000',
      'system-id': host.uuid,
    })) {
      assert.match(ext, new RegExp(`${k}="?${val.replace(/[.]/g, '\\.')}"?[,}]`), k)
    }
    // Bridge, Port and Interface rows are exactly as XAPI left them.
    const tables = (dump: string) =>
      dump
        .split('\n')
        .filter((l) => !l.startsWith('Open_vSwitch '))
        .join('\n')
    assert.equal(tables(await host.dumpConfig()), tables(original))
  })

  test('a second identical configure changes nothing', async () => {
    const dump = await host.dumpConfig()
    const v = await value<ConfigureValue>(host, 'configure', ARGS)
    assert.equal(v.changed, false)
    assert.deepEqual(v.changes, [])
    assert.equal(await host.dumpConfig(), dump)
  })

  test("configure is refused, with nothing written, when the bridge is not XAPI's or missing", async () => {
    await host.vsctl('--no-wait', 'add-br', 'br-lonely', '--', 'set', 'Bridge', 'br-lonely', 'datapath_type=netdev')
    const dump = await host.dumpConfig()
    const cases: [Record<string, string>, string, string][] = [
      [{ ...ARGS, 'ovn-bridge': 'xapi9' }, 'OVN_BRIDGE_MISSING', 'xapi9'],
      [{ ...ARGS, 'ovn-bridge': 'br-lonely' }, 'OVN_BRIDGE_NOT_XAPI', 'br-lonely'],
      [{ ...ARGS, 'network-uuid': MGMT_NET }, 'OVN_BRIDGE_NOT_XAPI', 'xapi1'],
      [{ ...ARGS, 'ovn-bridge-mappings': 'physnet:xenbr7' }, 'OVN_BRIDGE_MISSING', 'xenbr7'],
      [{ ...ARGS, 'ovn-encap-ip': '192.0.2.99' }, 'OVN_INVALID_ARGUMENT', 'ovn-encap-ip'],
    ]
    for (const [args, code, first] of cases) {
      const r = await call(host, 'configure', args)
      assert.equal(r.ok, false, JSON.stringify(args))
      if (!r.ok) {
        assert.equal(r.code, code)
        assert.equal(r.params[0], first)
      }
    }
    assert.equal(await host.dumpConfig(), dump)
    await host.vsctl('--no-wait', 'del-br', 'br-lonely')
  })

  test('network-uuid of the right network is accepted and recorded', async () => {
    const v = await value<ConfigureValue>(host, 'configure', { ...ARGS, 'network-uuid': OVN_NET })
    assert.equal(v.after['xapi-ovn-network-uuid'], OVN_NET)
  })

  test('a different system-id is refused unless forced', async () => {
    await host.vsctl('--no-wait', 'set', 'Open_vSwitch', '.', 'external_ids:system-id=not-the-host')
    const r = await call(host, 'configure', ARGS)
    assert.deepEqual(r, { ok: false, code: 'OVN_SYSTEM_ID_MISMATCH', params: ['not-the-host', host.uuid] })
    const v = await value<ConfigureValue>(host, 'configure', { ...ARGS, 'force-system-id': 'true' })
    assert.deepEqual(
      v.changes.find((c) => c.key === 'system-id'),
      { key: 'system-id', from: 'not-the-host', to: host.uuid },
    )
  })

  test('unconfigure gives back every value, and then changes nothing', async () => {
    const v = await value<ConfigureValue>(host, 'unconfigure')
    assert.equal(v.changed, true)
    // The hand-set probe interval was not ours; system-id goes back to what it was before we forced it.
    assert.equal(
      (await host.vsctl('get', 'Open_vSwitch', '.', 'external_ids:system-id')).trim().replace(/"/g, ''),
      'not-the-host',
    )
    // --no-wait: without it ovs-vsctl bumps next_cfg, which our writes never touch.
    await host.vsctl('--no-wait', 'set', 'Open_vSwitch', '.', `external_ids:system-id=${host.uuid}`)
    assert.equal(await host.dumpConfig(), original)
    const again = await value<ConfigureValue>(host, 'unconfigure')
    assert.equal(again.changed, false)
  })

  test('unknown fn is UNKNOWN_XENAPI_PLUGIN_FUNCTION', async () => {
    assert.deepEqual(await call(host, 'reboot'), {
      ok: false,
      code: 'UNKNOWN_XENAPI_PLUGIN_FUNCTION',
      params: ['reboot'],
    })
  })

  const HOSTILE: [string, () => Promise<Awaited<ReturnType<typeof call>>>, string][] = [
    [
      'malformed XML',
      () => callRaw(host, '<methodCall><methodName>configure</methodName><params>'),
      'OVN_INVALID_REQUEST',
    ],
    [
      'an entity bomb',
      () =>
        callRaw(
          host,
          '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><methodCall><methodName>configure</methodName></methodCall>',
        ),
      'OVN_INVALID_REQUEST',
    ],
    ['not XML at all', () => callRaw(host, 'configure ovn-bridge=xapi1'), 'OVN_INVALID_REQUEST'],
    ['binary in argv', () => callRaw(host, '\u0001\u0002\u00ff<methodCall>'), 'OVN_INVALID_REQUEST'],
    [
      'a huge argument (refused by the request limits)',
      () => call(host, 'configure', { ...ARGS, hostname: 'a'.repeat(100_000) }),
      'OVN_INVALID_REQUEST',
    ],
    [
      "a long argument (refused by the key's limit)",
      () => call(host, 'configure', { ...ARGS, 'ovn-cms-options': 'a'.repeat(5000) }),
      'OVN_INVALID_ARGUMENT',
    ],
    [
      'shell metacharacters in the bridge',
      () => call(host, 'configure', { ...ARGS, 'ovn-bridge': 'x;touch /tmp/pwned' }),
      'OVN_INVALID_ARGUMENT',
    ],
    [
      'a 16-character bridge name',
      () => call(host, 'configure', { ...ARGS, 'ovn-bridge': 'xapi123456789012' }),
      'OVN_INVALID_ARGUMENT',
    ],
    [
      '$() in a mapping',
      () => call(host, 'configure', { ...ARGS, 'ovn-bridge-mappings': 'p:$(reboot)' }),
      'OVN_INVALID_ARGUMENT',
    ],
    ['a bad IP', () => call(host, 'configure', { ...ARGS, 'ovn-encap-ip': '300.1.1.1' }), 'OVN_INVALID_ARGUMENT'],
    [
      'a bad remote',
      () => call(host, 'configure', { ...ARGS, 'ovn-remote': 'tcp:192.0.2.10' }),
      'OVN_INVALID_ARGUMENT',
    ],
    ['an unknown key', () => call(host, 'configure', { ...ARGS, 'ovn-sneaky': 'x' }), 'OVN_UNKNOWN_ARGUMENT'],
    ['a missing required key', () => call(host, 'configure', { 'ovn-bridge': 'xapi1' }), 'OVN_MISSING_ARGUMENT'],
    [
      'a newline in a value',
      () => call(host, 'configure', { ...ARGS, hostname: 'h1\nsystem-id=evil' }),
      'OVN_INVALID_ARGUMENT',
    ],
    ['an unknown verify argument', () => call(host, 'verify', { wait: '5', evil: '1' }), 'OVN_UNKNOWN_ARGUMENT'],
    ['a bad wait', () => call(host, 'verify', { wait: '-1' }), 'OVN_INVALID_ARGUMENT'],
  ]
  for (const [name, run, code] of HOSTILE) {
    test(`hostile input: ${name} gets ${code} and OVSDB stays byte-for-byte unchanged`, async () => {
      const dump = await host.dumpConfig()
      const r = await run()
      assert.equal(r.ok, false)
      if (!r.ok) {
        assert.equal(r.code, code)
        assert.ok(r.params.length > 0)
        assert.ok(
          r.params.every((p) => p.length < 2000),
          'params are short',
        )
      }
      assert.equal(await host.dumpConfig(), dump)
    })
  }
})

describe('configure owns system-id only when it set it', () => {
  let underlay: Underlay
  let host: LabHost
  const systemId = async () =>
    (await host.vsctl('--if-exists', 'get', 'Open_vSwitch', '.', 'external_ids:system-id')).trim().replace(/"/g, '')

  before(async () => {
    underlay = await Underlay.create()
    host = await LabHost.create({ name: 'cfg2' })
    await host.createBridge('xenbr0', { networkUuids: [MGMT_NET] })
    await host.addUplink('xenbr0', underlay, { ip: '192.0.2.21/24' })
    await host.createBridge('xapi1', { networkUuids: [OVN_NET], failMode: 'secure' })
  })
  after(async () => {
    await host?.destroy()
    await underlay?.destroy()
  })

  test('absent before: set once, kept by identical calls, removed by unconfigure', async () => {
    await host.vsctl('--no-wait', 'remove', 'Open_vSwitch', '.', 'external_ids', 'system-id')
    const original = await host.dumpConfig()
    assert.equal((await value<ConfigureValue>(host, 'configure', ARGS)).changed, true)
    assert.equal(await systemId(), host.uuid)
    const configured = await host.dumpConfig()
    for (let i = 0; i < 2; i++) {
      const again = await value<ConfigureValue>(host, 'configure', ARGS)
      assert.equal(again.changed, false)
      assert.deepEqual(again.changes, [])
      assert.equal(await host.dumpConfig(), configured)
    }
    assert.equal((await value<ConfigureValue>(host, 'unconfigure')).changed, true)
    assert.equal(await systemId(), '')
    assert.equal(await host.dumpConfig(), original)
  })

  test('another id before: force-system-id replaces it once, identical calls keep it, unconfigure puts it back', async () => {
    await host.vsctl('--no-wait', 'set', 'Open_vSwitch', '.', 'external_ids:system-id=not-the-host')
    const original = await host.dumpConfig()
    const forced = { ...ARGS, 'force-system-id': 'true' }
    assert.equal((await value<ConfigureValue>(host, 'configure', forced)).changed, true)
    assert.equal(await systemId(), host.uuid)
    const configured = await host.dumpConfig()
    for (const args of [forced, forced, ARGS]) {
      const again = await value<ConfigureValue>(host, 'configure', args)
      assert.equal(again.changed, false)
      assert.equal(await host.dumpConfig(), configured)
    }
    assert.equal((await value<ConfigureValue>(host, 'unconfigure')).changed, true)
    assert.equal(await systemId(), 'not-the-host')
    assert.equal(await host.dumpConfig(), original)
  })

  test('the host UUID before: not taken over, and still there after unconfigure', async () => {
    await host.vsctl('--no-wait', 'set', 'Open_vSwitch', '.', `external_ids:system-id=${host.uuid}`)
    const original = await host.dumpConfig()
    await value<ConfigureValue>(host, 'configure', { ...ARGS, 'force-system-id': 'true' })
    const configured = await host.dumpConfig()
    assert.equal((await value<ConfigureValue>(host, 'configure', ARGS)).changed, false)
    assert.equal(await host.dumpConfig(), configured)
    await value<ConfigureValue>(host, 'unconfigure')
    assert.equal(await systemId(), host.uuid)
    assert.equal(await host.dumpConfig(), original)
  })
})

describe('configure while another writer keeps changing Open_vSwitch external_ids', () => {
  let underlay: Underlay
  let host: LabHost

  before(async () => {
    underlay = await Underlay.create()
    host = await LabHost.create({ name: 'cfg3' })
    await host.createBridge('xenbr0', { networkUuids: [MGMT_NET] })
    await host.addUplink('xenbr0', underlay, { ip: '192.0.2.21/24' })
    await host.createBridge('xapi1', { networkUuids: [OVN_NET], failMode: 'secure' })
  })
  after(async () => {
    await host?.destroy()
    await underlay?.destroy()
  })

  test('every configure and unconfigure succeeds, and the other writer never loses its key', async () => {
    // Another agent of the host stamping a counter (as ovn-controller stamps ovn-nb-cfg on its
    // bridge) every few ms: busy enough that a single try loses about one call in four here.
    const KEY = 'test-writer-cfg'
    const writer = await OvsdbClient.connect(host.dbRemote, { typedDecode: false })
    let written = 0
    let stop = false
    const writing = (async () => {
      while (!stop) {
        const next = String(written + 1)
        await writer.transact('Open_vSwitch', [
          op.mutate(
            'Open_vSwitch',
            [],
            [
              ['external_ids', 'delete', set(KEY)],
              ['external_ids', 'insert', ovsdbMap({ [KEY]: next })],
            ],
          ),
        ])
        written += 1
        await new Promise((r) => setTimeout(r, 10))
      }
    })()
    const failures: string[] = []
    try {
      for (let i = 0; i < 40; i++) {
        // A new probe interval every time, so every call has something to write.
        const r = await call(host, i % 4 === 3 ? 'unconfigure' : 'configure', {
          ...(i % 4 === 3 ? {} : { ...ARGS, 'ovn-openflow-probe-interval': String(i + 1) }),
        })
        if (!r.ok) failures.push(`${i}: ${r.code} ${r.params.join('|')}`)
      }
    } finally {
      stop = true
      await writing
      await writer.close()
    }
    assert.deepEqual(failures, [])
    assert.ok(written > 40, `the writer wrote ${written} times`)
    const stamped = (await host.vsctl('get', 'Open_vSwitch', '.', `external_ids:${KEY}`)).replace(/"/g, '')
    assert.equal(stamped, String(written))
  })
})
