import { test } from 'node:test'
import assert from 'node:assert/strict'
import { XapiOvnError } from '../../lib/errors.js'
import { parseAllRecords, parseHost, parseNetwork, parsePif, parseVif, parseVm } from '../../lib/pool/records.js'
import { rawHost, rawNetwork, rawPif } from './pool-fixtures.js'

const REF = 'OpaqueRef:aaaa'

function recordError(fn: () => unknown): string[] {
  try {
    fn()
  } catch (e) {
    assert.ok(e instanceof XapiOvnError, String(e))
    assert.equal(e.code, 'OVN_XAPI_RECORD_INVALID')
    return [...e.params]
  }
  return ['no error']
}

test('a PIF record as XAPI sends it over JSON-RPC', () => {
  const p = parsePif(REF, rawPif({ VLAN: 100, IPv6: ['2001:db8::1/64'], bond_master_of: ['OpaqueRef:b'] }))
  assert.equal(p.vlan, 100)
  assert.deepEqual(p.ipv6, ['2001:db8::1/64'])
  assert.deepEqual(p.bondMasterOf, ['OpaqueRef:b'])
  assert.equal(p.bondSlaveOf, null, 'OpaqueRef:NULL reads as null')
  assert.equal(p.vlanMasterOf, null)
})

test('integers arrive as strings over XML-RPC and are read as numbers', () => {
  assert.equal(parsePif(REF, rawPif({ VLAN: '-1' })).vlan, -1)
  assert.equal(parseNetwork(REF, rawNetwork({ MTU: '9000' })).mtu, 9000)
})

const malformed: [string, () => unknown, string[]][] = [
  ['a PIF without VLAN', () => parsePif(REF, { ...rawPif(), VLAN: undefined }), ['PIF', REF, 'VLAN']],
  ['a PIF whose VLAN is not a number', () => parsePif(REF, rawPif({ VLAN: '1e3' })), ['PIF', REF, 'VLAN']],
  ['a PIF whose VLAN is fractional', () => parsePif(REF, rawPif({ VLAN: 1.5 })), ['PIF', REF, 'VLAN']],
  [
    'a PIF with an unknown ip_configuration_mode',
    () => parsePif(REF, rawPif({ ip_configuration_mode: 'Magic' })),
    ['PIF', REF, 'ip_configuration_mode'],
  ],
  [
    'a PIF whose physical is the string "true"',
    () => parsePif(REF, rawPif({ physical: 'true' })),
    ['PIF', REF, 'physical'],
  ],
  ['a PIF whose host is not a ref', () => parsePif(REF, rawPif({ host: 'host1' })), ['PIF', REF, 'host']],
  ['a PIF whose host is the null ref', () => parsePif(REF, rawPif({ host: 'OpaqueRef:NULL' })), ['PIF', REF, 'host']],
  ['a PIF whose IPv6 is a string', () => parsePif(REF, rawPif({ IPv6: '2001:db8::1' })), ['PIF', REF, 'IPv6']],
  [
    'a host whose PIFs hold a null ref',
    () => parseHost(REF, rawHost({ PIFs: ['OpaqueRef:NULL'] })),
    ['host', REF, 'PIFs'],
  ],
  ['a host without address', () => parseHost(REF, { ...rawHost(), address: undefined }), ['host', REF, 'address']],
  [
    'a network whose other_config holds a number',
    () => parseNetwork(REF, rawNetwork({ other_config: { a: 1 } })),
    ['network', REF, 'other_config'],
  ],
  [
    'a network whose other_config is a list',
    () => parseNetwork(REF, rawNetwork({ other_config: [] })),
    ['network', REF, 'other_config'],
  ],
  ['a record that is a string', () => parseNetwork(REF, 'nope'), ['network', REF, '(record)']],
  ['a record that is null', () => parseHost(REF, null), ['host', REF, '(record)']],
  [
    'a VM with an unknown power state',
    () =>
      parseVm(REF, {
        uuid: 'u',
        name_label: 'vm',
        power_state: 'Exploded',
        is_control_domain: false,
        is_a_template: false,
        resident_on: 'OpaqueRef:NULL',
        VIFs: [],
      }),
    ['VM', REF, 'power_state'],
  ],
  [
    'a VIF without network',
    () =>
      parseVif(REF, {
        uuid: 'u',
        device: '0',
        network: 'OpaqueRef:NULL',
        VM: 'OpaqueRef:v',
        MAC: '',
        currently_attached: false,
        other_config: {},
      }),
    ['VIF', REF, 'network'],
  ],
  ['get_all_records answering a list', () => parseAllRecords('PIF', [], parsePif), ['PIF', '(all)', '(records)']],
  [
    'get_all_records keyed by something else than refs',
    () => parseAllRecords('PIF', { eth0: rawPif() }, parsePif),
    ['PIF', 'eth0', '(ref)'],
  ],
]
for (const [name, fn, want] of malformed) {
  test(`malformed record: ${name} is a coded error naming class, ref and field`, () => {
    assert.deepEqual(recordError(fn).slice(0, 3), want)
  })
}

test('get_all_records keeps every record by ref', () => {
  const m = parseAllRecords(
    'network',
    { 'OpaqueRef:1': rawNetwork({ bridge: 'xapi1' }), 'OpaqueRef:2': rawNetwork({ bridge: 'xapi2' }) },
    parseNetwork,
  )
  assert.deepEqual(
    [...m.values()].map((n) => n.bridge),
    ['xapi1', 'xapi2'],
  )
  assert.equal(m.get('OpaqueRef:2')?.ref, 'OpaqueRef:2')
})

test('a huge string in a bad field is not echoed whole', () => {
  const params = recordError(() => parsePif(REF, rawPif({ VLAN: 'x'.repeat(100_000) })))
  assert.ok((params[3] ?? '').length < 400)
})
