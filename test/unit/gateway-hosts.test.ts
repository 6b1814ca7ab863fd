import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chassisArgs } from '../../lib/pool/plan-setup.js'
import { gatewayCandidates } from '../../lib/nb/gateway-chassis-io.js'

const H1 = '11111111-0000-4000-8000-000000000001'
const H2 = '11111111-0000-4000-8000-000000000002'

test('setup --gateway-hosts: ovn-cms-options=enable-chassis-as-gw on those hosts only, merged with --set ovn-cms-options', () => {
  const cases: [Record<string, string> | undefined, string, string | undefined][] = [
    [undefined, H1, 'enable-chassis-as-gw'],
    [undefined, H2, undefined],
    [{ 'ovn-cms-options': 'availability-zones=az0' }, H1, 'availability-zones=az0,enable-chassis-as-gw'],
    [{ 'ovn-cms-options': 'enable-chassis-as-gw' }, H1, 'enable-chassis-as-gw'],
    [{ 'ovn-cms-options': 'availability-zones=az0' }, H2, 'availability-zones=az0'],
  ]
  for (const [chassisKeys, host, expected] of cases) {
    const args = chassisArgs(
      { ovnRemote: 'tcp:192.0.2.10:6642', gatewayHosts: [H1], ...(chassisKeys === undefined ? {} : { chassisKeys }) },
      'xapi1',
      '192.0.2.21',
      null,
      host,
    )
    assert.equal(args['ovn-cms-options'], expected, `${JSON.stringify(chassisKeys)} ${host}`)
  }
})

test('the gateway candidates of the southbound: ovn-cms-options has enable-chassis-as-gw (other_config, else external_ids), by hostname', () => {
  const row = (name: string, hostname: string, other: Record<string, string>, ext: Record<string, string> = {}) => ({
    name,
    hostname,
    otherConfig: new Map(Object.entries(other)),
    externalIds: new Map(Object.entries(ext)),
  })
  assert.deepEqual(
    gatewayCandidates([
      row('c3', 'host-c', { 'ovn-cms-options': 'enable-chassis-as-gw' }),
      row('c1', 'host-a', { 'ovn-cms-options': 'availability-zones=az0, enable-chassis-as-gw' }),
      row('c2', 'host-b', {}),
      row('c4', 'host-d', {}, { 'ovn-cms-options': 'enable-chassis-as-gw' }),
      row('c5', 'host-e', { 'ovn-cms-options': 'enable-chassis-as-gw-not' }),
    ]).map((c) => c.name),
    ['c1', 'c3', 'c4'],
  )
})
