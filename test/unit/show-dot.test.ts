// renderDot: the picture of `show --format dot` as exact text for a small pool (two hosts, two
// VMs, one switch), what a finding turns red, and names that would break DOT's syntax.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { planShow, quote, renderDot } from '../../lib/show/index.js'
import { lport } from './nb-fixtures.js'
import { CH1, H1, H2, SW, VIF_B, VM_A, VM_B, healthy, vif, vm } from './show-fixtures.js'

test('a healthy pool: a cluster per host with its chassis and VM, the switch, VIF edges, the tunnel', () => {
  assert.equal(
    renderDot(planShow(healthy())),
    `digraph "xapi-ovn" {
  graph [label="pool lab (http://xapi), OVN network ovn-int (xapi1, MTU 1400)", labelloc=t, rankdir=LR, fontname="Helvetica", newrank=true, nodesep=0.4];
  node [fontname="Helvetica", fontsize=11, shape=box, style=rounded];
  edge [fontname="Helvetica", fontsize=9];
  subgraph "cluster_host:${H1}" {
    label="host host1\\n192.0.2.21";
    color=gray40; fontcolor=black; style=rounded;
    "chassis:${H1}" [label="chassis 0000aaaa\\ngeneve 192.0.2.21", shape=component];
    "vm:${VM_A}" [label="VM vmA", shape=box3d];
  }
  subgraph "cluster_host:${H2}" {
    label="host host2\\n192.0.2.22";
    color=gray40; fontcolor=black; style=rounded;
    "chassis:${H2}" [label="chassis 0000aaaa\\ngeneve 192.0.2.22", shape=component];
    "vm:${VM_B}" [label="VM vmB", shape=box3d];
  }
  "switch:${SW}" [label="switch tenant-a\\n198.18.10.0/24", shape=ellipse, style=filled, fillcolor="#eef4ff"];
  "vm:${VM_A}" -> "switch:${SW}" [label="VIF 0\\n198.18.10.11", dir=none];
  "vm:${VM_B}" -> "switch:${SW}" [label="VIF 0\\n198.18.10.12", dir=none];
  "chassis:${H1}" -> "chassis:${H2}" [label="geneve tunnel", dir=both, style=dashed, color=steelblue, fontcolor=steelblue, constraint=false];
}
`,
  )
})

test('problems in red: a port bound on the wrong host, a host without chassis, a VIF without port', () => {
  const s = healthy()
  // vmB's port bound on host1's chassis; host2's chassis gone; a third VM with a VIF and no port.
  s.sb = {
    ...s.sb,
    chassis: s.sb.chassis.filter((c) => c.uuid === CH1),
    bindings: s.sb.bindings.map((b) => (b.logicalPort === VIF_B ? { ...b, chassis: CH1 } : b)),
  }
  const VM_C = 'cccccccc-3333-4333-8333-333333333333'
  const VIF_C = '33333333-3333-4333-8333-333333333333'
  s.xapi = {
    ...s.xapi,
    vms: [...s.xapi.vms, vm('OpaqueRef:vmC', VM_C, 'vmC', 'OpaqueRef:h1')],
    vifs: [...s.xapi.vifs, vif('OpaqueRef:vifC', VIF_C, 'OpaqueRef:vmC')],
  }
  const dot = renderDot(planShow(s))
  assert.match(
    dot,
    new RegExp(`subgraph "cluster_host:${H2}" \\{\\n.*\\n    color=red3; fontcolor=red3; style=rounded; penwidth=2;`),
  )
  assert.match(
    dot,
    new RegExp(`"nochassis:${H2}" \\[label="no chassis", shape=box, style="dashed", color=red3, fontcolor=red3\\];`),
  )
  assert.match(
    dot,
    new RegExp(
      `"vm:${VM_B}" -> "switch:${SW}" \\[label="VIF 0\\\\n198\\.18\\.10\\.12\\\\nbound on host1", dir=none, color=red3, fontcolor=red3, penwidth=2\\];`,
    ),
  )
  assert.match(
    dot,
    new RegExp(`"vm:${VM_C}" \\[label="VM vmC\\\\nVIF without port", shape=box3d, color=red3, fontcolor=red3\\];`),
  )
  // No tunnel: one chassis is left. The findings listed in a red note.
  assert.doesNotMatch(dot, /tunnel/)
  assert.match(
    dot,
    new RegExp(
      `"findings" \\[label="4 finding\\(s\\)\\\\l.*OVN_SHOW_BINDING_MISMATCH ${VIF_B}\\\\l.*", shape=note, color=red3, fontcolor=red3\\];`,
    ),
  )
})

test('names with quotes, backslashes and newlines cannot break out of their DOT strings', () => {
  assert.equal(quote('a"b'), '"a\\"b"')
  assert.equal(quote('c:\\d\\"'), '"c:\\\\d\\\\\\""')
  assert.equal(quote('two\nlines'), '"two lines"')
  const s = healthy()
  s.xapi = { ...s.xapi, vms: s.xapi.vms.map((v) => (v.uuid === VM_A ? { ...v, name: 'web "1"\\x\n]; evil' } : v)) }
  const dot = renderDot(planShow(s))
  assert.ok(dot.includes(`"vm:${VM_A}" [label="VM web \\"1\\"\\\\x ]; evil", shape=box3d];`), dot)
  // Every line outside the quoted strings is DOT syntax we wrote: balanced quotes on each line.
  for (const line of dot.split('\n'))
    assert.equal((line.replace(/\\\\|\\"/g, '').match(/"/g) ?? []).length % 2, 0, line)
})

test('a router: its node, and an edge to each switch whose router port joins it', () => {
  const s = healthy()
  const LSP_R = 'c3c3c3c3-0000-4000-8000-0000000000c3'
  const LR = 'e1e1e1e1-0000-4000-8000-0000000000e1'
  const LRP = 'e2e2e2e2-0000-4000-8000-0000000000e2'
  s.nb = {
    ...s.nb,
    switches: s.nb.switches.map((sw) => ({ ...sw, portUuids: [...sw.portUuids, LSP_R] })),
    ports: [
      ...s.nb.ports,
      lport('tenant-a-to-edge', LSP_R, { type: 'router', options: new Map([['router-port', 'edge-tenant-a']]) }),
    ],
    routers: [{ uuid: LR, name: 'edge', portUuids: [LRP] }],
    routerPorts: [
      { uuid: LRP, name: 'edge-tenant-a', mac: '02:00:00:00:01:01', networks: ['198.18.10.1/24'], peer: null },
    ],
  }
  const dot = renderDot(planShow(s))
  assert.ok(dot.includes(`  "router:${LR}" [label="router edge\\n198.18.10.1/24", shape=octagon];\n`), dot)
  assert.ok(dot.includes(`  "switch:${SW}" -> "router:${LR}" [label="198.18.10.1/24", dir=none];\n`), dot)
})
