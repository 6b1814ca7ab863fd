// The lab's physical network: two emulated hosts, each with xenbr0 (created like xcp-networkd)
// cabled to the underlay switch and the management IP on xenbr0's internal port, reach each other.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LabHost } from '../../lab/host.js'
import { Underlay } from '../../lab/underlay.js'
import { newUuid } from '../../lab/names.js'
import { listNetns } from '../../lab/cleanup.js'

test("two hosts with xenbr0 on the underlay ping each other's management IPs", async (t) => {
  const underlay = await Underlay.create()
  t.after(() => underlay.destroy())
  const mgmt = newUuid()
  const a = await LabHost.create({ name: 'a' })
  t.after(() => a.destroy())
  const b = await LabHost.create({ name: 'b' })
  t.after(() => b.destroy())
  for (const [host, ip] of [
    [a, '192.0.2.21/24'],
    [b, '192.0.2.22/24'],
  ] as const) {
    await host.createBridge('xenbr0', { networkUuids: [mgmt] })
    await host.addUplink('xenbr0', underlay, { ip })
  }
  assert.equal(a.managementIp, '192.0.2.21')
  assert.equal(b.managementIp, '192.0.2.22')

  // The NIC is a port of xenbr0 and the address is on the bridge itself, like dom0's xenbr0.
  assert.deepEqual((await a.vsctl('list-ports', 'xenbr0')).split('\n'), ['eth0'])
  const addr = await a.exec('ip', ['-4', '-o', 'addr', 'show', 'dev', 'xenbr0'])
  assert.match(addr.stdout, /inet 192\.0\.2\.21\/24/)

  const ab = await a.exec('ping', ['-c', '3', '-W', '2', '-i', '0.2', '192.0.2.22'], { check: false })
  assert.ok(ab.ok, ab.stdout + ab.stderr)
  const ba = await b.exec('ping', ['-c', '3', '-W', '2', '-i', '0.2', '192.0.2.21'], { check: false })
  assert.ok(ba.ok, ba.stdout + ba.stderr)
})

test('destroy() removes the namespaces and rundirs, and is idempotent', async () => {
  const underlay = await Underlay.create()
  const host = await LabHost.create()
  const names = [underlay.netns, host.netns]
  assert.ok(names.every((n) => n.length > 0))
  await host.destroy()
  await host.destroy()
  await underlay.destroy()
  const left = await listNetns()
  for (const n of names) assert.ok(!left.includes(n), `${n} still exists`)
  const { existsSync } = await import('node:fs')
  assert.equal(existsSync(host.rundir), false)
})
