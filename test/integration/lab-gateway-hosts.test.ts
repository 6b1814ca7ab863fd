// `setup --gateway-hosts` end to end: the lab pool set up by xapi-ovn through the emulated XAPI
// and the real ovn-chassis plugin, then set up again with one host named as a gateway. That host's
// Open_vSwitch gets ovn-cms-options=enable-chassis-as-gw, ovn-controller copies it into its
// southbound Chassis row, and the southbound's gateway candidates (what `router gateway` schedules
// on without --chassis) are exactly that host; set up again without it, the key is gone (setup is
// declarative) and so is the candidate.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { OverlayLab, BRIDGE_MAPPINGS } from '../../lab/overlay-lab.js'
import { waitFor } from '../../lab/wait.js'
import { listGatewayChassis } from '../../lib/nb/index.js'
import { setup } from '../../lib/pool/driver.js'
import { connectSouthbound } from '../../lib/show/read-sb-io.js'

test('setup --gateway-hosts marks those hosts only, and the southbound reports them as gateway chassis', async (t) => {
  const lab = await OverlayLab.build({ hosts: 2, clustered: false, vms: false })
  t.after(() => lab.destroy())
  const [h1, h2] = lab.pool.hosts
  if (h1 === undefined || h2 === undefined) throw new Error('two hosts expected')
  const sb = await connectSouthbound(`unix:${join(lab.pool.central.members[0]?.dir ?? '', 'ovnsb_db.sock')}`)
  t.after(() => sb.close())
  const options = {
    ovnRemote: lab.pool.central.sbRemote,
    bridgeMappings: BRIDGE_MAPPINGS,
    chassisKeys: { 'ovn-bridge-datapath-type': 'netdev' },
  }
  const cms = async (host: typeof h1): Promise<string> =>
    (await host.vsctl('--if-exists', 'get', 'Open_vSwitch', '.', 'external_ids:ovn-cms-options')).replace(/"/g, '')

  const marked = await setup(await lab.session(), { ...options, gatewayHosts: [h2.name] })
  assert.ok(marked.ok, JSON.stringify(marked.hosts.map((h) => (h.ok ? 'ok' : h.error))))
  assert.equal(await cms(h2), 'enable-chassis-as-gw')
  assert.equal(await cms(h1), '')
  await waitFor('the southbound to report the gateway chassis', async () => {
    const found = await listGatewayChassis(sb)
    return found.length === 1 && found[0]?.name === h2.uuid ? true : undefined
  })

  const unmarked = await setup(await lab.session(), options)
  assert.ok(unmarked.ok)
  assert.equal(await cms(h2), '', 'setup is declarative: the key goes when the host is no longer named')
  await waitFor('no gateway chassis left', async () => ((await listGatewayChassis(sb)).length === 0 ? true : undefined))
})
