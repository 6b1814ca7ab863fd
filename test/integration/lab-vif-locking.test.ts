// XAPI's `locked` locking mode on a real host, as the lab now does it (lab/vif-locking-flows.ts,
// from xenopsd's setup-vif-rules): the VIF's rules land on the OVN integration bridge, above
// ovn-controller's flows, and the VM loses its overlay traffic — the reason nothing xapi-ovn
// writes sets `locked` (docs/platform.md "VIF locking"). Unlocked again, it is reachable again.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { OverlayLab, type LabGuest } from '../../lab/overlay-lab.js'
import { pingsNow, pingsWithin } from '../../lab/overlay-proof.js'

let lab: OverlayLab

async function replug(g: LabGuest, mode: 'locked' | 'unlocked'): Promise<void> {
  const session = await lab.session()
  const ref = (await session.call('VIF.get_by_uuid', g.tenantVif)) as string
  await session.call('VIF.unplug', ref)
  await session.call('VIF.set_locking_mode', ref, mode)
  await session.call('VIF.plug', ref)
}

describe("a locked VIF on the OVN network: XAPI's own rules cut it off", () => {
  before(async () => {
    lab = await OverlayLab.build({ hosts: 2, clustered: false, timeoutMs: 90_000 })
  })
  after(async () => {
    await lab?.destroy()
  })

  test('locked with its own IP allowed: the rules are on the integration bridge and the peer no longer reaches it', async () => {
    const [a, b] = lab.guests
    assert.ok(a && b && a.tenantVif !== null)
    assert.ok(await pingsWithin(b, a.tenantIp, 30_000), 'reachable before')
    const session = await lab.session()
    const ref = (await session.call('VIF.get_by_uuid', a.tenantVif)) as string
    await session.call('VIF.set_ipv4_allowed', ref, [a.tenantIp])
    await replug(a, 'locked')
    const bridge = (await a.host.vsctl('get', 'Open_vSwitch', '.', 'external_ids:ovn-bridge')).replace(/"/g, '').trim()
    const flows = await a.host.ofctl('dump-flows', bridge, 'table=0')
    assert.match(flows, /priority=4000,in_port=\S+ actions=drop/, flows)
    assert.equal(await pingsNow(b, a.tenantIp), false, 'the locked VIF bypasses OVN: not reachable over Geneve')
  })

  test('unlocked and plugged again: reachable again', async () => {
    const [a, b] = lab.guests
    assert.ok(a && b)
    await replug(a, 'unlocked')
    const bridge = (await a.host.vsctl('get', 'Open_vSwitch', '.', 'external_ids:ovn-bridge')).replace(/"/g, '').trim()
    assert.doesNotMatch(
      await a.host.ofctl('dump-flows', bridge, 'table=0'),
      /priority=4000,in_port=/,
      'the rules went with the unplug',
    )
    assert.ok(await pingsWithin(b, a.tenantIp, 30_000))
  })
})
