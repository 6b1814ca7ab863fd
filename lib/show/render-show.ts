/**
 * Pure: the text of `xapi-ovn show` (its --json is the view itself). Hosts with their chassis,
 * the central (RAFT members, northd), switches and routers, every port with XAPI's host and the
 * binding's chassis side by side (a mismatch marked `!`), then every finding with its fix.
 */
import { renderTable } from '../cli/render.js'
import type { ClusterView, ShowView } from './model.js'

const dash = (v: string | number | null | undefined): string =>
  v === null || v === undefined || v === '' ? '-' : String(v)

function clusterLines(c: ClusterView): string[] {
  const rows = c.members.map((m) => [
    m.remote,
    m.reachable ? dash(m.model) : 'UNREACHABLE',
    m.leader === true ? 'leader' : m.leader === false ? 'follower' : '-',
    m.connected === null ? '-' : m.connected ? 'connected' : 'DISCONNECTED',
    m.sid === null ? '-' : m.sid.slice(0, 8),
    m.cid === null ? '-' : m.cid.slice(0, 8),
  ])
  const out = [
    `${c.database}: ${dash(c.model)}${c.model === 'clustered' ? `, leader ${dash(c.leader)}` : ''}`,
    renderTable(
      ['  REMOTE', 'MODEL', 'ROLE', 'CLUSTER', 'SID', 'CID'],
      rows.map(([r, ...rest]) => [`  ${r}`, ...rest.map(dash)]),
    ),
  ]
  for (const s of c.clusterStatus)
    out.push(
      s.problem !== null
        ? `  cluster/status via ${s.socket}: ${s.problem}`
        : `  cluster/status via ${s.socket}: role ${dash(s.role)}, term ${dash(s.term)}, leader ${dash(s.leader)}, ${dash(s.status)}; servers: ${s.servers.join('; ') || '-'}`,
    )
  return out
}

export function renderShow(v: ShowView): string {
  const out: string[] = [
    `pool ${v.pool.name || v.pool.uuid} (${v.pool.url}); OVN network ${v.network === null ? 'none' : `${v.network.name} (bridge ${v.network.bridge}, MTU ${v.network.mtu})`}`,
    '',
  ]
  out.push(
    renderTable(
      ['HOST', 'ADDRESS', 'CHASSIS', 'ENCAP', 'CARRIES', 'NB_CFG', 'LAG', 'VIFS'],
      v.hosts.map((h) => [
        h.live ? h.name : `${h.name} (offline)`,
        h.address,
        h.chassis === null ? 'NONE' : h.chassis.name,
        h.chassis?.encaps.map((e) => `${e.type}:${e.ip}`).join(',') || '-',
        h.chassis?.encaps.map((e) => dash(e.carriesMtu)).join(',') || '-',
        dash(h.chassis?.nbCfg),
        dash(h.chassis?.nbCfgLag),
        String(h.vifs),
      ]),
    ),
    '',
    ...clusterLines(v.clusters.nb),
    ...clusterLines(v.clusters.sb),
    `ovn-northd: NB_Global nb_cfg ${dash(v.northd.nbCfg)}, sb_cfg ${dash(v.northd.sbCfg)}, hv_cfg ${dash(v.northd.hvCfg)}; SB_Global nb_cfg ${dash(v.northd.sbGlobalNbCfg)}; status ${v.northd.socket === null ? 'not asked (--northd-ctl)' : (v.northd.status ?? `unknown: ${dash(v.northd.problem)}`)}`,
    '',
  )
  out.push(
    v.switches.length === 0
      ? 'no logical switch'
      : renderTable(
          ['SWITCH', 'SUBNET', 'PORTS', 'LOCALNET'],
          v.switches.map((s) => [
            s.name,
            dash(s.subnet),
            String(s.ports),
            s.localnets.map((l) => `${l.name}@${l.network}${l.vlan === null ? '' : `.${l.vlan}`}`).join(',') || '-',
          ]),
        ),
  )
  if (v.routers.length > 0)
    out.push(
      '',
      renderTable(
        ['ROUTER', 'PORTS'],
        v.routers.map((r) => [r.name, r.ports.map((p) => `${p.name} ${p.networks.join(' ')}`).join('; ') || '-']),
      ),
    )
  out.push(
    '',
    v.ports.length === 0
      ? 'no logical switch port'
      : renderTable(
          ['SWITCH', 'PORT', 'TYPE', 'VM', 'DEV', 'XAPI HOST', 'BOUND ON', 'UP'],
          v.ports.map((p) => [
            dash(p.switch),
            p.name,
            p.type === '' ? 'vif' : p.type,
            dash(p.vm),
            dash(p.device),
            dash(p.xapiHost),
            p.chassis === null ? '-' : `${p.chassisHost ?? p.chassis}${p.mismatch ? ' !' : ''}`,
            p.bindingUp === null ? '-' : p.bindingUp ? 'up' : 'down',
          ]),
        ),
  )
  out.push('')
  if (!v.hostPortsRead) out.push('(hosts not asked for their ports: no stale ovn-installed check)')
  for (const h of v.hosts)
    if (h.portsProblem !== null) out.push(`(${h.name} not asked for its ports: ${h.portsProblem})`)
  if (v.findings.length === 0) out.push('no findings')
  else {
    out.push(`${v.findings.length} finding(s):`)
    for (const f of v.findings)
      out.push(
        `  ${f.code} ${f.subject}: ${f.message}`,
        ...(f.fix === null ? [] : [`    fix: ${f.fix}`]),
        `    hint: ${f.hint}`,
      )
  }
  return out.join('\n')
}
