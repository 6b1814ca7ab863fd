/**
 * Pure: the picture of `xapi-ovn show --format dot` (and svg, lib/show/render-svg-io.ts): the
 * ShowView as Graphviz DOT. One cluster per host holding its chassis and the VMs XAPI runs there;
 * logical switches and routers as nodes; an edge per VIF port from its VM to its switch; a dashed
 * edge per tunnel between two chassis (ovn-controller keeps one to every other chassis with an
 * encap of the same type: ovn-org/ovn controller/encaps.c); whatever a finding is about in red,
 * and every finding listed in a red note, so nothing the text shows is lost in the picture.
 *
 * The text is deterministic (the view is sorted, nothing here adds order), so a test can compare
 * it whole. Every name is put inside a quoted DOT string through `quote`, which escapes what DOT
 * would read as syntax (`"`, `\`) and flattens newlines: a VM called `a"b` cannot end its label.
 */
import { FINDING_CODES as C, type Finding, type HostView, type PortView, type ShowView } from './model.js'

const RED = 'red3'
const TUNNEL = 'steelblue'

/** `text` for inside a DOT quoted string (DOT language: only `"` and `\` are special). */
function escaped(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\r?\n|\r/g, ' ')
}

/** A DOT quoted string holding `text` verbatim. */
export function quote(text: string): string {
  return `"${escaped(text)}"`
}

/** A label of several lines: each line escaped, joined by DOT's centred line break. */
function label(...lines: readonly string[]): string {
  return `"${lines.map(escaped).join('\\n')}"`
}

function attrs(a: Readonly<Record<string, string | null>>): string {
  const parts = Object.entries(a)
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([k, v]) => `${k}=${v}`)
  return parts.length === 0 ? '' : ` [${parts.join(', ')}]`
}

const hostId = (h: HostView): string => quote(`cluster_host:${h.uuid}`)
const chassisId = (name: string): string => quote(`chassis:${name}`)
const vmId = (uuid: string): string => quote(`vm:${uuid}`)
const switchId = (uuid: string): string => quote(`switch:${uuid}`)
const routerId = (uuid: string): string => quote(`router:${uuid}`)
const portId = (name: string): string => quote(`port:${name}`)

/** What the findings are about, by the kind of thing the picture draws. */
interface Marked {
  /** Host name -> the words of its findings (shown in its cluster's label). */
  readonly hosts: ReadonlyMap<string, string[]>
  readonly ports: ReadonlySet<string>
  readonly vifs: ReadonlySet<string>
  readonly localnets: ReadonlySet<string>
  readonly unknownChassis: readonly string[]
}

/** The few words a host's finding gets in its label (the note lists every finding in full). */
const HOST_WORDS: ReadonlyMap<string, string> = new Map([
  [C.hostNoChassis, 'no chassis'],
  [C.chassisLagging, 'chassis behind'],
  [C.mtuTooLarge, 'MTU above what the tunnel carries'],
  [C.staleOvnInstalled, 'stale ovn-installed'],
])
const PORT_CODES: ReadonlySet<string> = new Set([C.portWithoutVif, C.bindingMismatch, C.portUnbound, C.duplicateIp])

function marked(v: ShowView): Marked {
  const hosts = new Map<string, string[]>()
  const mark = (host: string, code: string): void => {
    const words = HOST_WORDS.get(code) ?? code
    const list = hosts.get(host) ?? []
    if (!list.includes(words)) list.push(words)
    hosts.set(host, list)
  }
  const ports = new Set<string>()
  const vifs = new Set<string>()
  const localnets = new Set<string>()
  const unknownChassis: string[] = []
  const hostNames = v.hosts.map((h) => h.name)
  for (const f of v.findings) {
    if (f.code === C.hostNoChassis || f.code === C.chassisLagging || f.code === C.mtuTooLarge) mark(f.subject, f.code)
    else if (PORT_CODES.has(f.code)) ports.add(f.subject.toLowerCase())
    else if (f.code === C.vifWithoutPort) vifs.add(f.subject.toLowerCase())
    else if (f.code === C.localnetLoop) localnets.add(f.subject)
    else if (f.code === C.chassisUnknown) unknownChassis.push(f.subject)
    // Subject `<host> <ovs port>` (plan-show.ts): the host whose name starts it.
    else if (f.code === C.staleOvnInstalled) {
      const h = hostNames.find((n) => f.subject.startsWith(`${n} `))
      if (h !== undefined) mark(h, f.code)
    }
  }
  return { hosts, ports, vifs, localnets, unknownChassis }
}

function portIp(p: PortView): string | null {
  for (const a of p.addresses)
    for (const word of a.split(' ')) if (word.includes('.') || (word.includes(':') && word.includes('/'))) return word
  return null
}

function hostCluster(h: HostView, v: ShowView, m: Marked): string[] {
  const problems = m.hosts.get(h.name) ?? []
  const bad = problems.length > 0
  const colour = bad ? RED : h.live ? 'gray40' : 'gray70'
  const out = [
    `  subgraph ${hostId(h)} {`,
    `    label=${label(`host ${h.name}${h.live ? '' : ' (offline)'}`, h.address, ...problems.map((p) => `! ${p}`))};`,
    `    color=${colour}; fontcolor=${bad ? RED : 'black'}; style=rounded;${bad ? ' penwidth=2;' : ''}`,
  ]
  if (h.chassis === null)
    out.push(
      `    ${quote(`nochassis:${h.uuid}`)}${attrs({ label: label('no chassis'), shape: 'box', style: '"dashed"', color: RED, fontcolor: RED })};`,
    )
  else {
    const c = h.chassis
    const lines = [`chassis ${c.name.slice(0, 8)}`, ...c.encaps.map((e) => `${e.type} ${e.ip}`)]
    if (c.nbCfgLag !== null && c.nbCfgLag > 0) lines.push(`${c.nbCfgLag} behind`)
    out.push(
      `    ${chassisId(c.name)}${attrs({ label: label(...lines), shape: 'component', color: bad ? RED : null, fontcolor: bad ? RED : null })};`,
    )
  }
  for (const vm of v.vms) {
    if (vm.host !== h.name) continue
    out.push(`    ${vmNode(vm, m)};`)
  }
  out.push('  }')
  return out
}

function vmNode(vm: ShowView['vms'][number], m: Marked): string {
  const bad = vm.vifs.some((x) => m.vifs.has(x.uuid.toLowerCase()))
  const state = vm.powerState === 'Running' ? [] : [vm.powerState.toLowerCase()]
  return `${vmId(vm.uuid)}${attrs({ label: label(`VM ${vm.name}`, ...state, ...(bad ? ['VIF without port'] : [])), shape: 'box3d', color: bad ? RED : null, fontcolor: bad ? RED : null })}`
}

/** The tunnels: one per pair of chassis sharing an encap type (ovn-controller's full mesh). */
function tunnelEdges(v: ShowView, m: Marked): string[] {
  const out: string[] = []
  const withChassis = v.hosts.filter((h) => h.chassis !== null)
  for (const [i, a] of withChassis.entries())
    for (const b of withChassis.slice(i + 1)) {
      const ca = a.chassis
      const cb = b.chassis
      if (ca === null || cb === null) continue
      const types = [...new Set(ca.encaps.map((e) => e.type))].filter((t) => cb.encaps.some((e) => e.type === t))
      for (const t of types) {
        const bad = m.hosts.has(a.name) || m.hosts.has(b.name)
        out.push(
          `  ${chassisId(ca.name)} -> ${chassisId(cb.name)}${attrs({ label: quote(`${t} tunnel`), dir: 'both', style: 'dashed', color: bad ? RED : TUNNEL, fontcolor: bad ? RED : TUNNEL, constraint: 'false' })};`,
        )
      }
    }
  return out
}

function findingsNote(findings: readonly Finding[]): string[] {
  if (findings.length === 0) return []
  const lines = findings.map((f) => `${escaped(`${f.code} ${f.subject}`)}\\l`).join('')
  return [
    `  "findings"${attrs({ label: `"${findings.length} finding(s)\\l${lines}"`, shape: 'note', color: RED, fontcolor: RED })};`,
  ]
}

/** The whole picture as DOT text. */
export function renderDot(v: ShowView): string {
  const m = marked(v)
  const title = `pool ${v.pool.name || v.pool.uuid} (${v.pool.url})${v.network === null ? ', no OVN network' : `, OVN network ${v.network.name} (${v.network.bridge}, MTU ${v.network.mtu})`}`
  const out = [
    'digraph "xapi-ovn" {',
    `  graph [label=${quote(title)}, labelloc=t, rankdir=LR, fontname="Helvetica", newrank=true, nodesep=0.4];`,
    '  node [fontname="Helvetica", fontsize=11, shape=box, style=rounded];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ]
  for (const h of v.hosts) out.push(...hostCluster(h, v, m))
  const hostNames = new Set(v.hosts.map((h) => h.name))
  // Halted VMs (or on a host outside the view) stand alone.
  for (const vm of v.vms) if (vm.host === null || !hostNames.has(vm.host)) out.push(`  ${vmNode(vm, m)};`)
  for (const name of m.unknownChassis)
    out.push(
      `  ${chassisId(name)}${attrs({ label: label(`chassis ${name}`, 'not of this pool'), shape: 'component', color: RED, fontcolor: RED })};`,
    )

  const switchByName = new Map<string, string>()
  for (const s of v.switches) {
    if (!switchByName.has(s.name)) switchByName.set(s.name, s.uuid)
    const bad = s.localnets.some((l) => m.localnets.has(l.name))
    const lines = [`switch ${s.name}`, ...(s.subnet === null ? [] : [s.subnet])]
    for (const l of s.localnets) lines.push(`localnet ${l.network}${l.vlan === null ? '' : ` vlan ${l.vlan}`}`)
    out.push(
      `  ${switchId(s.uuid)}${attrs({ label: label(...lines), shape: 'ellipse', style: 'filled', fillcolor: '"#eef4ff"', color: bad ? RED : null, fontcolor: bad ? RED : null })};`,
    )
  }
  for (const r of v.routers)
    out.push(
      `  ${routerId(r.uuid)}${attrs({ label: label(`router ${r.name}`, ...r.ports.map((p) => p.networks.join(' '))), shape: 'octagon' })};`,
    )

  // A switch's router port joins a router through options:router-port (ovn-nb(5)).
  const routerOfPort = new Map<string, { uuid: string; networks: readonly string[] }>()
  for (const r of v.routers) for (const p of r.ports) routerOfPort.set(p.name, { uuid: r.uuid, networks: p.networks })
  for (const p of v.ports) {
    const sw = p.switch === null ? undefined : switchByName.get(p.switch)
    const r = p.routerPort === null ? undefined : routerOfPort.get(p.routerPort)
    if (sw !== undefined && r !== undefined)
      // switch -> router: with rankdir=LR the routers stand right of the switches they join.
      out.push(`  ${switchId(sw)} -> ${routerId(r.uuid)}${attrs({ label: label(...r.networks), dir: 'none' })};`)
  }

  const vmUuids = new Set(v.vms.map((x) => x.uuid))
  for (const p of v.ports) {
    if (p.type !== '') continue
    const sw = p.switch === null ? undefined : switchByName.get(p.switch)
    const bad = m.ports.has(p.name.toLowerCase())
    const ip = portIp(p)
    const text = [`VIF ${p.device ?? '?'}`, ...(ip === null ? [] : [ip])]
    if (p.mismatch) text.push(`bound on ${p.chassisHost ?? p.chassis ?? '?'}`)
    else if (p.vmUuid !== null && p.chassis === null) text.push('unbound')
    const from = p.vmUuid !== null && vmUuids.has(p.vmUuid) ? vmId(p.vmUuid) : null
    if (from === null) {
      // A port no VIF of the pool is behind: its own red node beside its switch.
      out.push(
        `  ${portId(p.name)}${attrs({ label: label(`port ${p.name}`, 'no VIF'), shape: 'box', style: '"dashed"', color: bad ? RED : null, fontcolor: bad ? RED : null })};`,
      )
      if (sw !== undefined)
        out.push(`  ${portId(p.name)} -> ${switchId(sw)}${attrs({ dir: 'none', color: bad ? RED : null })};`)
      continue
    }
    if (sw === undefined) continue
    out.push(
      `  ${from} -> ${switchId(sw)}${attrs({ label: label(...text), dir: 'none', color: bad ? RED : null, fontcolor: bad ? RED : null, penwidth: bad ? '2' : null })};`,
    )
  }
  out.push(...tunnelEdges(v, m))
  out.push(...findingsNote(v.findings))
  out.push('}')
  return `${out.join('\n')}\n`
}
