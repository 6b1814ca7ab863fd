// The rules setup-vif-rules gives a locked VIF (lab/vif-locking-flows.ts): DHCP and ARP probes
// always, ARP/IPv4 per allowed IPv4, ND and traffic per allowed IPv6, the ND/RA drops, the final drop.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { lockedVifFlows } from '../../lab/vif-locking-flows.js'

test('a locked VIF with one IPv4 and no IPv6: 4 allows, the 9 ICMPv6 drops, the drop of everything else', () => {
  const flows = lockedVifFlows({ ofport: 7, mac: '02:00:00:00:00:01', ipv4Allowed: ['198.18.1.1'], ipv6Allowed: [] })
  assert.equal(flows.length, 4 + 9 + 1)
  assert.ok(flows.every((f) => f.startsWith('in_port=7,')))
  assert.ok(flows.some((f) => f.includes('tp_dst=67') && f.endsWith('action=normal')))
  assert.ok(flows.some((f) => f.includes('dl_type=0x0806') && f.includes('nw_src=0.0.0.0')))
  assert.ok(flows.some((f) => f.includes('priority=6000,dl_type=0x0800,nw_src=198.18.1.1')))
  assert.equal(flows.at(-1), 'in_port=7,priority=4000,idle_timeout=0,action=drop')
})

test('no allowed address: only DHCP and ARP probes get through; each IPv6 adds ND and its traffic', () => {
  const none = lockedVifFlows({ ofport: 3, mac: '02:00:00:00:00:02', ipv4Allowed: [], ipv6Allowed: [] })
  assert.deepEqual(
    none.filter((f) => f.endsWith('action=normal')).map((f) => f.split(',')[1]),
    ['priority=8000', 'priority=7000'],
  )
  const v6 = lockedVifFlows({ ofport: 3, mac: '02:00:00:00:00:02', ipv4Allowed: [], ipv6Allowed: ['2001:db8::2'] })
  assert.equal(v6.filter((f) => f.includes('ipv6_src=2001:db8::2')).length, 5)
})
