// Routers, SNAT and floating IPs with real traffic (lab/router-lab.ts): a tenant VM on host1
// behind router r1 reaches the provider gateway, which sees the router's SNAT address as the
// source; a floating IP is reachable from the provider network and lands on the VM (which then
// leaves from it); the active gateway chassis dies and the gateway moves to the next priority,
// traffic resumes. How long it stops is measured by bench/router.ts, not asserted here.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { addFloatingIp, deleteFloatingIp } from '../../lib/nb/index.js'
import { RouterLab, sourceSeen, VM_IP } from '../../lab/router-lab.js'
import { waitFor } from '../../lab/wait.js'

const FIP = '198.18.0.201'

test('SNAT to the gateway address, a floating IP onto the VM, and gateway failover to the next chassis', async (t) => {
  const lab = await RouterLab.build()
  t.after(() => lab.destroy())
  const gw = lab.gateway

  // The tenant VM reaches the provider gateway (nothing on the provider network routes to
  // 198.18.10.0/24: replies come back only because the router SNATed the source).
  await waitFor('VM -> provider gateway through the router', () => lab.vm.ping(gw.address), { timeoutMs: 60_000 })
  assert.equal(
    await sourceSeen({ server: gw.netns, listen: gw.address, client: lab.vm.netns, address: gw.address }),
    '198.18.0.200',
    'the provider gateway sees the router gateway address as the source',
  )

  // A floating IP: reachable from the provider network, it lands on the VM (its own address
  // is what the VM sees as destination; the provider's address as source, no SNAT inbound).
  assert.equal(
    await gw.exec('ping', ['-c1', '-W1', FIP], { check: false }).then((r) => r.ok),
    false,
    'not before fip add',
  )
  await addFloatingIp(lab.nb, { vifUuid: lab.vifUuid, ip: FIP })
  await waitFor(
    'provider -> floating IP',
    async () => (await gw.exec('ping', ['-c1', '-W1', FIP], { check: false })).ok,
    { timeoutMs: 60_000 },
  )
  assert.equal(
    await sourceSeen({ server: lab.vm.netns, listen: VM_IP, client: gw.netns, address: FIP }),
    gw.address,
    'the connection to the floating IP arrives on the VM from the provider gateway',
  )
  assert.equal(
    await sourceSeen({ server: gw.netns, listen: gw.address, client: lab.vm.netns, address: gw.address, port: 5003 }),
    FIP,
    'with a floating IP, the VM leaves from it',
  )
  await deleteFloatingIp(lab.nb, { ip: FIP })
  await waitFor(
    'the floating IP gone',
    async () => !(await gw.exec('ping', ['-c1', '-W1', FIP], { check: false })).ok,
    { timeoutMs: 30_000 },
  )

  // Failover: the active gateway chassis (priority 100) dies; the next (90) takes the gateway.
  const [first, second] = lab.gatewayChassis as [string, string]
  assert.equal(await lab.activeGateway(), first)
  await waitFor('SNAT traffic again', () => lab.vm.ping(gw.address), { timeoutMs: 30_000 })
  assert.equal(await lab.crashActiveGateway(), first)
  await waitFor(
    'the gateway on the next chassis',
    async () => ((await lab.activeGateway()) === second ? true : undefined),
    {
      timeoutMs: 60_000,
    },
  )
  await waitFor('SNAT traffic resumes through the new gateway chassis', () => lab.vm.ping(gw.address, { count: 1 }), {
    timeoutMs: 60_000,
  })
  assert.equal(
    await sourceSeen({ server: gw.netns, listen: gw.address, client: lab.vm.netns, address: gw.address, port: 5004 }),
    '198.18.0.200',
  )
})
