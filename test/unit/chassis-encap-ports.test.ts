import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  effectiveRules,
  encapPorts,
  isAcceptRule,
  portLabel,
  wantedFirewallPorts,
} from '../../lib/chassis/encap-ports.js'
import { KEY_ENCAP_TYPE, SAVED_KEY } from '../../lib/chassis/keys.js'

/** ovn-encap-type value -> the ports dom0's firewall must accept, in order. */
const TABLE: [string | undefined, string[]][] = [
  [undefined, []],
  ['', []],
  ['geneve', ['6081/udp']],
  ['vxlan', ['4789/udp']],
  ['stt', ['7471/tcp']],
  ['geneve,vxlan', ['4789/udp', '6081/udp']],
  ['vxlan,geneve', ['4789/udp', '6081/udp']],
  [' geneve , vxlan ', ['4789/udp', '6081/udp']],
  ['geneve,geneve', ['6081/udp']],
  ['geneve,stt,vxlan', ['4789/udp', '6081/udp', '7471/tcp']],
  ['gre', []],
  ['Geneve', []],
  ['geneve,bogus', ['6081/udp']],
]

for (const [value, want] of TABLE) {
  test(`encapPorts(${JSON.stringify(value)}) is [${want.join(', ')}]`, () => {
    assert.deepEqual(encapPorts(value).map(portLabel), want)
  })
}

test('wantedFirewallPorts: only while xapi-ovn configured the chassis (its record is on the row)', () => {
  assert.deepEqual(wantedFirewallPorts(new Map([[KEY_ENCAP_TYPE, 'geneve']])), [])
  assert.deepEqual(
    wantedFirewallPorts(
      new Map([
        [KEY_ENCAP_TYPE, 'geneve,vxlan'],
        [SAVED_KEY, '{}'],
      ]),
    ).map(portLabel),
    ['4789/udp', '6081/udp'],
  )
})

const RULE: [string, boolean][] = [
  ['-A xapi-INPUT -p udp -m conntrack --ctstate NEW -m udp --dport 6081 -j ACCEPT', true],
  ['-A xapi-INPUT -p udp -m udp --dport 6081 -j ACCEPT', true],
  ['  -A   xapi-INPUT -p udp --dport 6081 -j ACCEPT  ', true],
  ['-A xapi-INPUT -p udp -m conntrack --ctstate NEW -m udp --dport 60810 -j ACCEPT', false],
  ['-A xapi-INPUT -p tcp -m conntrack --ctstate NEW -m tcp --dport 6081 -j ACCEPT', false],
  ['-A xapi-INPUT -p udp -m udp --dport 6081 -j DROP', false],
  ['-A RH-Firewall-1-INPUT -p udp -m udp --dport 6081 -j ACCEPT', false],
  ['-I xapi-INPUT -p udp --dport 6081 -j ACCEPT', false],
  ['-N xapi-INPUT', false],
  ['', false],
]

for (const [line, want] of RULE) {
  test(`isAcceptRule(${JSON.stringify(line)}, 6081/udp) is ${want}`, () => {
    assert.equal(isAcceptRule(line, { port: 6081, protocol: 'udp' }), want)
  })
}

test('effectiveRules stops at the chain end', () => {
  assert.deepEqual(effectiveRules(['-N xapi-INPUT', 'a', '-A xapi-INPUT -j RETURN', 'b']), ['-N xapi-INPUT', 'a'])
  assert.deepEqual(effectiveRules(['a']), ['a'])
})
