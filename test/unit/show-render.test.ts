// renderShow: the text a user reads — the host table with each chassis, every port with XAPI's
// host beside the binding's (a mismatch marked), and each finding with its fix and hint.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { planShow, renderShow } from '../../lib/show/index.js'
import { CH1, H2, VIF_B, healthy } from './show-fixtures.js'

test('a healthy pool: hosts with their chassis, ports bound where XAPI runs them, no findings', () => {
  const text = renderShow(planShow(healthy()))
  assert.match(text, /^HOST\s+ADDRESS\s+CHASSIS\s+ENCAP\s+CARRIES\s+NB_CFG\s+LAG\s+VIFS$/m)
  assert.match(
    text,
    new RegExp(`^host2\\s+192\\.0\\.2\\.22\\s+${H2}\\s+geneve:192\\.0\\.2\\.22\\s+1442\\s+3\\s+0\\s+1$`, 'm'),
  )
  assert.match(text, new RegExp(`^tenant-a\\s+${VIF_B}\\s+vif\\s+vmB\\s+0\\s+host2\\s+host2\\s+up$`, 'm'))
  assert.match(text, /OVN_Northbound: clustered, leader tcp:192\.0\.2\.10:6641/)
  assert.match(text, /status active/)
  assert.match(text, /\nno findings$/)
})

test('a port bound on the wrong host: marked in the table, its finding with fix and hint', () => {
  const s = healthy()
  s.sb = { ...s.sb, bindings: s.sb.bindings.map((b) => (b.logicalPort === VIF_B ? { ...b, chassis: CH1 } : b)) }
  const text = renderShow(planShow(s))
  // (host2's OVS still says ovn-installed for it: a second finding, the stale flag)
  assert.match(text, /2 finding\(s\):/)
  assert.match(text, new RegExp(`^tenant-a\\s+${VIF_B}\\s+vif\\s+vmB\\s+0\\s+host2\\s+host1 !\\s+up$`, 'm'))
  assert.match(
    text,
    new RegExp(`\\n  OVN_SHOW_BINDING_MISMATCH ${VIF_B}: .*\\n    fix: xapi-ovn verify --host ${H2}\\n    hint: `),
  )
})

test('a host whose plugin could not be asked is named, with the reason', () => {
  const s = healthy()
  const ports = new Map(s.xapi.hostPorts)
  ports.set('OpaqueRef:h2', { ok: false, reason: 'XENAPI_MISSING_PLUGIN: ovn-chassis' })
  s.xapi = { ...s.xapi, hostPorts: ports }
  const v = planShow(s)
  assert.deepEqual(
    v.hosts.map((h) => h.portsProblem),
    [null, 'XENAPI_MISSING_PLUGIN: ovn-chassis'],
  )
  assert.match(renderShow(v), /\(host2 not asked for its ports: XENAPI_MISSING_PLUGIN: ovn-chassis\)/)
})
