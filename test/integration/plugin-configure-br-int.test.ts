/**
 * fn=configure in an experimental integration mode is all or nothing too: it makes br-int before
 * it judges the rest of the request (the plan needs the bridge), so a request refused after that
 * takes br-int away again - unless something started using it meanwhile. Real ovsdb-server.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { LabHost } from '../../lab/host.js'
import { newUuid } from '../../lab/names.js'
import { call } from './plugin-harness.js'

const OVN_NET = newUuid()
let host: LabHost

before(async () => {
  host = await LabHost.create({ name: 'cfgbrint1' })
  await host.createBridge('xenbr0', { networkUuids: [newUuid()] })
})
after(async () => {
  await host?.destroy()
})

const request = (encapIp: string): Record<string, string> => ({
  'ovn-remote': 'tcp:192.0.2.10:6642',
  'ovn-encap-ip': encapIp,
  'ovn-bridge': 'br-int',
  'network-uuid': OVN_NET,
  'ovn-bridge-datapath-type': 'netdev',
  'integration-mode': 'unmanaged',
})

test('a configure refused after making br-int leaves the database as it was', async () => {
  const before = await host.dumpConfig()
  // 192.0.2.250 is no address of this host: refused by the plan, which runs after br-int is made.
  const refused = await call(host, 'configure', request('192.0.2.250'))
  assert.equal(refused.ok, false)
  assert.equal(refused.ok ? '' : refused.code, 'OVN_INVALID_ARGUMENT')
  assert.ok(!(await host.bridges()).includes('br-int'), 'br-int is gone again')
  assert.equal(await host.dumpConfig(), before)
})
