// The VIF fields `port attach` writes and the pool agent reads, through the emulator's wire as
// real XAPI has them (xapi-project/xen-api ocaml/idl/datamodel.ml, ocaml/xapi/xapi_vif.ml):
// ipv4_allowed / ipv6_allowed have hand-written setters that check every address (an address or
// a CIDR of that family, else INVALID_IP_ADDRESS_SPECIFIED) and drop duplicates; locking_mode has
// set_locking_mode; other_config's add refuses a key that exists, remove of a missing key is fine.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createEmulatedPool } from '../../xapi-emulator/index.js'
import { PASSWORD, connectClient, memoryHosts, rejectsWithXapiError } from '../../xapi-emulator/testing.js'

test('VIF allowed addresses, locking mode and other_config keys, as XAPI sets them', async (t) => {
  const pool = await createEmulatedPool({ hosts: memoryHosts(1), password: PASSWORD, vms: [{ name_label: 'vm1' }] })
  t.after(() => pool.close())
  const xapi = await connectClient(t, pool, 'json-rpc')
  const net = (await xapi.call('network.create', {
    name_label: 'ovn-int',
    name_description: '',
    MTU: 1500,
    other_config: {},
  })) as string
  const vif = (await xapi.call('VIF.create', {
    device: '0',
    network: net,
    VM: pool.vms[0],
    MAC: '',
    MTU: 1500,
    other_config: { keep: 'me' },
    qos_algorithm_type: '',
    qos_algorithm_params: {},
  })) as string

  await xapi.call('VIF.set_ipv4_allowed', vif, ['198.18.1.1', '198.18.2.0/24', '198.18.1.1'])
  assert.deepEqual(await xapi.call('VIF.get_ipv4_allowed', vif), ['198.18.2.0/24', '198.18.1.1'])
  await xapi.call('VIF.add_ipv4_allowed', vif, '198.18.1.3')
  await xapi.call('VIF.remove_ipv4_allowed', vif, '198.18.2.0/24')
  assert.deepEqual(await xapi.call('VIF.get_ipv4_allowed', vif), ['198.18.1.1', '198.18.1.3'])
  await xapi.call('VIF.set_ipv6_allowed', vif, ['fd00::1'])
  assert.deepEqual(await xapi.call('VIF.get_ipv6_allowed', vif), ['fd00::1'])
  for (const [method, value] of [
    ['VIF.set_ipv4_allowed', ['fd00::1']],
    ['VIF.add_ipv4_allowed', '198.18.1.256'],
    ['VIF.set_ipv6_allowed', ['198.18.1.1']],
    ['VIF.add_ipv6_allowed', 'fd00::1/129'],
  ] as const)
    await rejectsWithXapiError(xapi.call(method, vif, value), 'INVALID_IP_ADDRESS_SPECIFIED', [
      method.includes('ipv4') ? 'ipv4_allowed' : 'ipv6_allowed',
    ])
  assert.deepEqual(await xapi.call('VIF.get_ipv4_allowed', vif), ['198.18.1.1', '198.18.1.3'], 'nothing set')

  await xapi.call('VIF.set_locking_mode', vif, 'locked')
  assert.equal(await xapi.call('VIF.get_locking_mode', vif), 'locked')
  await xapi.call('VIF.add_to_other_config', vif, 'xapi-ovn-switch', 'tenant-a')
  await rejectsWithXapiError(xapi.call('VIF.add_to_other_config', vif, 'xapi-ovn-switch', 'b'), 'MAP_DUPLICATE_KEY')
  await xapi.call('VIF.remove_from_other_config', vif, 'xapi-ovn-addresses')
  assert.deepEqual(await xapi.call('VIF.get_other_config', vif), { keep: 'me', 'xapi-ovn-switch': 'tenant-a' })
})
