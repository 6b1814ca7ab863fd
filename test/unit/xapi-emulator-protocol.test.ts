// The emulator speaks XAPI's wire protocols well enough for the unmodified xen-api client, over
// JSON-RPC and XML-RPC: login, records, the event-fed object cache, barrier(), XAPI's error
// codes, Async tasks. Raw requests check the exact shapes xapi's api_server.ml produces.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createClient } from 'xen-api'
import { createEmulatedPool } from '../../xapi-emulator/index.js'
import {
  PASSWORD,
  TRANSPORTS,
  connectClient,
  memoryHosts,
  post,
  rejectsWithXapiError,
} from '../../xapi-emulator/testing.js'

type Rec = Record<string, unknown>

for (const transport of TRANSPORTS) {
  test(`${transport}: login with the right password, SESSION_AUTHENTICATION_FAILED with a wrong one`, async (t) => {
    const pool = await createEmulatedPool({ hosts: memoryHosts(1), password: PASSWORD })
    t.after(() => pool.close())
    const xapi = await connectClient(t, pool, transport, { watchEvents: false })
    assert.equal(xapi.status, 'connected')
    assert.match(xapi.sessionId, /^OpaqueRef:/)

    const bad = createClient({
      url: pool.url,
      auth: { user: 'root', password: 'wrong' },
      transport,
      watchEvents: false,
    })
    t.after(() => bad.disconnect())
    await rejectsWithXapiError(bad.connect(), 'SESSION_AUTHENTICATION_FAILED', ['root', 'Authentication failure'])
    assert.equal(bad.status, 'disconnected')
  })

  test(`${transport}: get_all_records gives the seeded pool, hosts and management PIFs`, async (t) => {
    const hosts = memoryHosts(2)
    const pool = await createEmulatedPool({ hosts, password: PASSWORD, poolName: 'lab' })
    t.after(() => pool.close())
    const xapi = await connectClient(t, pool, transport, { watchEvents: false })

    const pools = (await xapi.call('pool.get_all_records')) as Record<string, Rec>
    assert.deepEqual(Object.keys(pools), [pool.emulator.poolRef])
    const poolRec = pools[pool.emulator.poolRef] as Rec
    assert.equal(poolRec.name_label, 'lab')
    assert.equal(poolRec.master, pool.hosts[0]?.ref)

    const hostRecs = (await xapi.call('host.get_all_records')) as Record<string, Rec>
    assert.deepEqual(
      Object.values(hostRecs)
        .map((h) => [h.uuid, h.name_label, h.address])
        .sort(),
      hosts.map((h) => [h.uuid, h.name, h.managementIp]).sort(),
    )
    const pifs = Object.values((await xapi.call('PIF.get_all_records')) as Record<string, Rec>)
    assert.equal(pifs.length, 2)
    for (const pif of pifs) {
      assert.equal(pif.device, 'eth0')
      assert.equal(pif.management, true)
      assert.equal(pif.physical, true)
      assert.equal(pif.currently_attached, true)
      assert.equal(pif.ip_configuration_mode, 'Static')
      assert.equal(pif.network, pool.managementNetwork)
      // XAPI ints: JSON numbers over JSON-RPC, strings over XML-RPC.
      assert.equal(pif.MTU, transport === 'json-rpc' ? 1500 : '1500')
      assert.equal(pif.VLAN, transport === 'json-rpc' ? -1 : '-1')
    }
    assert.equal(await xapi.call('network.get_bridge', pool.managementNetwork), 'xenbr0')
    assert.deepEqual(await xapi.call('network.get_by_name_label', 'Pool-wide network associated with eth0'), [
      pool.managementNetwork,
    ])
    const hostUuid = hosts[1]?.uuid as string
    assert.equal(await xapi.call('host.get_by_uuid', hostUuid), pool.host(hostUuid).ref)
    await rejectsWithXapiError(xapi.call('host.get_by_uuid', 'no-such-uuid'), 'UUID_INVALID', ['host', 'no-such-uuid'])
  })

  test(`${transport}: the object cache follows add/mod/del events, barrier() waits for them`, async (t) => {
    const pool = await createEmulatedPool({ hosts: memoryHosts(1), password: PASSWORD })
    t.after(() => pool.close())
    const xapi = await connectClient(t, pool, transport)
    assert.equal(xapi.getObjectByRef(pool.managementNetwork).bridge, 'xenbr0')

    const net = (await xapi.call('network.create', {
      name_label: 'ovn-int',
      name_description: '',
      MTU: 1500,
      other_config: {},
    })) as string
    await xapi.barrier()
    const cached = xapi.getObjectByRef(net)
    assert.equal(cached.name_label, 'ovn-int')
    assert.equal(cached.bridge, 'xapi0')

    await xapi.call('network.add_to_other_config', net, 'vswitch-controller-fail-mode', 'secure')
    const fresh = await xapi.barrier(net)
    assert.deepEqual(fresh?.other_config, { 'vswitch-controller-fail-mode': 'secure' })
    await xapi.call('network.destroy', net)
    await xapi.barrier()
    assert.equal(xapi.getObjectByRef(net, null), null)
  })

  test(`${transport}: XAPI's error codes for bad refs, counts, types and methods`, async (t) => {
    const pool = await createEmulatedPool({ hosts: memoryHosts(1), password: PASSWORD })
    t.after(() => pool.close())
    const xapi = await connectClient(t, pool, transport, { watchEvents: false })
    await rejectsWithXapiError(xapi.call('host.get_record', 'OpaqueRef:nope'), 'HANDLE_INVALID', [
      'host',
      'OpaqueRef:nope',
    ])
    // a ref of another class is invalid too
    await rejectsWithXapiError(xapi.call('VM.get_record', pool.hosts[0]?.ref), 'HANDLE_INVALID', [
      'VM',
      pool.hosts[0]?.ref as string,
    ])
    await rejectsWithXapiError(xapi.call('host.get_record'), 'MESSAGE_PARAMETER_COUNT_MISMATCH', [
      'host.get_record',
      '1',
      '0',
    ])
    await rejectsWithXapiError(xapi.call('host.get_record', 'a', 'b'), 'MESSAGE_PARAMETER_COUNT_MISMATCH', [
      'host.get_record',
      '1',
      '2',
    ])
    await rejectsWithXapiError(xapi.call('host.get_record', true), 'FIELD_TYPE_ERROR', ['self'])
    await rejectsWithXapiError(
      xapi.call('network.set_other_config', pool.managementNetwork, { a: true }),
      'FIELD_TYPE_ERROR',
      ['value'],
    )
    await rejectsWithXapiError(xapi.call('host.no_such_method'), 'MESSAGE_METHOD_UNKNOWN', ['host.no_such_method'])
    await xapi.call('network.add_to_other_config', pool.managementNetwork, 'k', 'v')
    await rejectsWithXapiError(
      xapi.call('network.add_to_other_config', pool.managementNetwork, 'k', 'w'),
      'MAP_DUPLICATE_KEY',
      ['network', 'other_config', pool.managementNetwork, 'k'],
    )
    await xapi.call('network.remove_from_other_config', pool.managementNetwork, 'absent') // not an error in XAPI
  })

  test(`${transport}: callAsync runs Async.* as a task whose events settle the call`, async (t) => {
    const pool = await createEmulatedPool({ hosts: memoryHosts(1), password: PASSWORD })
    t.after(() => pool.close())
    const xapi = await connectClient(t, pool, transport)
    const net = await xapi.callAsync('network.create', {
      name_label: 'n',
      name_description: '',
      MTU: 1500,
      other_config: {},
    })
    assert.equal(typeof net, 'string')
    assert.equal(await xapi.call('network.get_name_label', net), 'n')
    await rejectsWithXapiError(xapi.callAsync('network.attach', net, 'OpaqueRef:gone'), 'HANDLE_INVALID', [
      'host',
      'OpaqueRef:gone',
    ])
    assert.equal(await xapi.callAsync('network.attach', net, pool.hosts[0]?.ref), '')
    // the client destroys its tasks once settled
    await xapi.barrier()
    assert.deepEqual(await xapi.call('task.get_all'), [])
    assert.ok(pool.server.calls.includes('Async.network.attach'))
    assert.ok(pool.server.calls.includes('task.destroy'))
  })
}

test('JSON-RPC wire: XAPI error object, 2.0 and 1.0 replies, content type', async (t) => {
  const pool = await createEmulatedPool({ hosts: memoryHosts(1), password: PASSWORD })
  t.after(() => pool.close())
  const call = async (body: unknown): Promise<{ contentType: string | null; json: Rec }> => {
    const r = await post(pool.url, '/jsonrpc', JSON.stringify(body), 'application/json')
    assert.equal(r.status, 200)
    return { contentType: r.contentType, json: JSON.parse(r.text) as Rec }
  }
  const bad = await call({ jsonrpc: '2.0', method: 'host.get_all', params: ['OpaqueRef:bad'], id: 7 })
  assert.equal(bad.contentType, 'application/json')
  assert.deepEqual(bad.json, {
    jsonrpc: '2.0',
    error: { code: 1, message: 'SESSION_INVALID', data: ['OpaqueRef:bad'] },
    id: 7,
  })
  const v1 = await call({ method: 'host.get_all', params: ['OpaqueRef:bad'], id: 'x' })
  assert.deepEqual(v1.json, { result: null, error: ['SESSION_INVALID', 'OpaqueRef:bad'], id: 'x' })
  const login = await call({ jsonrpc: '2.0', method: 'session.login_with_password', params: ['root', PASSWORD], id: 1 })
  const session = login.json.result as string
  assert.match(session, /^OpaqueRef:/)
  const hosts = await call({ jsonrpc: '2.0', method: 'host.get_all', params: [session], id: 2 })
  assert.deepEqual(hosts.json, { jsonrpc: '2.0', result: [pool.hosts[0]?.ref], id: 2 })
  const methods = await call({ jsonrpc: '2.0', method: 'system.listMethods', params: [], id: 3 })
  assert.ok((methods.json.result as string[]).includes('host.call_plugin'))
  const logout = await call({ jsonrpc: '2.0', method: 'session.logout', params: [session], id: 4 })
  assert.equal(logout.json.result, '')
  const after = await call({ jsonrpc: '2.0', method: 'host.get_all', params: [session], id: 5 })
  assert.deepEqual(after.json.error, { code: 1, message: 'SESSION_INVALID', data: [session] })
})

test('XML-RPC wire: Status/Value and Status/ErrorDescription structs written like rpclib, listMethods bare', async (t) => {
  const pool = await createEmulatedPool({ hosts: memoryHosts(1), password: PASSWORD })
  t.after(() => pool.close())
  const xmlCall = (method: string, ...params: string[]): string =>
    `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${params.map((p) => `<param><value>${p}</value></param>`).join('')}</params></methodCall>`
  const bad = await post(pool.url, '/', xmlCall('host.get_all', 'OpaqueRef:bad'), 'text/xml')
  assert.equal(bad.status, 200)
  assert.equal(bad.contentType, 'text/xml')
  assert.equal(
    bad.text,
    '<?xml version="1.0"?><methodResponse><params><param><value><struct>' +
      '<member><name>Status</name><value>Failure</value></member>' +
      '<member><name>ErrorDescription</name><value><array><data><value>SESSION_INVALID</value><value>OpaqueRef:bad</value></data></array></value></member>' +
      '</struct></value></param></params></methodResponse>',
  )
  const login = await post(pool.url, '/RPC2', xmlCall('session.login_with_password', 'root', PASSWORD), 'text/xml')
  const session = /<name>Value<\/name><value>(OpaqueRef:[^<]+)<\/value>/.exec(login.text)?.[1] as string
  assert.ok(session !== undefined, login.text)
  // an int field: bare text, as XAPI's rpclib writes 64-bit ints
  const mtu = await post(pool.url, '/', xmlCall('network.get_MTU', session, pool.managementNetwork), 'text/xml')
  assert.match(mtu.text, /<member><name>Value<\/name><value>1500<\/value><\/member>/)
  const methods = await post(pool.url, '/', xmlCall('system.listMethods'), 'text/xml')
  assert.match(methods.text, /^<\?xml version="1.0"\?><methodResponse><params><param><value><array><data><value>/)
  assert.doesNotMatch(methods.text, /Status/)
})

test('HTTPS: a self-signed certificate is refused unless the client allows it', async (t) => {
  const pool = await createEmulatedPool({ hosts: memoryHosts(1), password: PASSWORD, https: true })
  t.after(() => pool.close())
  assert.match(pool.url, /^https:\/\/127\.0\.0\.1:\d+$/)
  assert.match(pool.server.certificate ?? '', /BEGIN CERTIFICATE/)
  const strict = createClient({
    url: pool.url,
    auth: { user: 'root', password: PASSWORD },
    transport: 'json-rpc',
    watchEvents: false,
  })
  t.after(() => strict.disconnect())
  await assert.rejects(strict.connect(), (err: Error & { code?: string; cause?: { code?: string } }) => {
    const code = err.code ?? err.cause?.code ?? ''
    assert.match(code, /SELF_SIGNED|CERT|UNABLE_TO_VERIFY/, `${String(code)} ${err.message}`)
    return true
  })
  const lenient = await connectClient(t, pool, 'json-rpc', { allowUnauthorized: true })
  assert.equal(lenient.status, 'connected')
})
