/**
 * What the lab built, gathered from the real sources (XAPI through the user's session, OVN_Northbound,
 * OVN_Southbound, each host's Open vSwitch and ovn-controller), as plain JSON (`describeLab`), and
 * as the text `npm run lab` prints (`formatReport`).
 */
import { existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { listLogicalSwitches, listPorts } from '../lib/nb/index.js'
import type { OverlayLab } from './overlay-lab.js'
import { REPO_ROOT } from './overlay-lab.js'
import type { OverlayProof } from './overlay-proof.js'
import { sbChassis, sbPortBindings } from './southbound-view.js'

/** Where the report's `show --format svg` line puts the picture. */
export const LAB_PICTURE = 'xapi-ovn-lab.svg'

export interface LabReport {
  readonly xapi: { readonly url: string; readonly user: string; readonly password: string }
  readonly central: {
    readonly netns: string
    readonly clustered: boolean
    readonly nbRemote: string
    readonly sbRemote: string
    /** What reaches NB from outside the lab's namespaces (the members' unix sockets). */
    readonly nbSockets: readonly string[]
    readonly sbSockets: readonly string[]
    readonly nbLeader: number | null
    readonly sbLeader: number | null
  }
  readonly network: { readonly uuid: string; readonly name: string; readonly bridge: string } | null
  readonly hosts: readonly {
    readonly name: string
    readonly uuid: string
    readonly netns: string
    readonly managementIp: string
    readonly chassis: { readonly name: string; readonly encaps: readonly string[] } | null
    readonly bridges: readonly string[]
    readonly controller: string
  }[]
  readonly switches: readonly {
    readonly name: string
    readonly uuid: string
    readonly subnet: string | null
    readonly ports: readonly {
      readonly name: string
      readonly type: string
      readonly addresses: readonly string[]
      readonly up: boolean | null
      readonly boundTo: string | null
    }[]
  }[]
  readonly vms: readonly {
    readonly name: string
    readonly uuid: string
    readonly host: string
    readonly netns: string
    readonly nics: readonly {
      readonly dev: string
      readonly vif: string | null
      readonly mac: string | null
      readonly ip: string
      readonly switch: string
    }[]
  }[]
  readonly gateway: { readonly netns: string; readonly ip: string }
  readonly proof: OverlayProof
}

export async function describeLab(lab: OverlayLab, proof: OverlayProof): Promise<LabReport> {
  const central = lab.pool.central
  const chassis = await sbChassis(central)
  const bindings = await sbPortBindings(central)
  const hostByUuid = new Map(lab.pool.hosts.map((h) => [h.uuid, h.name]))
  const nb = await lab.nb()
  const ports = await listPorts(nb)
  const session = await lab.session()
  const macOf = async (vif: string | null): Promise<string | null> => {
    if (vif === null) return null
    const ref = await session.call('VIF.get_by_uuid', vif)
    return String(await session.call('VIF.get_MAC', ref)).toLowerCase()
  }
  const network = lab.setupResult?.network.network ?? null
  const hosts = []
  for (const h of lab.pool.hosts) {
    const c = chassis.find((x) => x.name === h.uuid)
    let controller = 'not running'
    try {
      controller = (await h.ovnAppctl('connection-status')).trim()
    } catch {
      // not running
    }
    hosts.push({
      name: h.name,
      uuid: h.uuid,
      netns: h.netns,
      managementIp: h.managementIp ?? '',
      chassis: c === undefined ? null : { name: c.name, encaps: c.encaps.map((e) => `${e.type} ${e.ip}`) },
      bridges: (await h.bridges()).sort(),
      controller,
    })
  }
  const switches = (await listLogicalSwitches(nb)).map((sw) => ({
    name: sw.name,
    uuid: sw.uuid,
    subnet: sw.subnet,
    ports: ports
      .filter((p) => p.switchUuid === sw.uuid)
      .map((p) => {
        const bound = bindings.get(p.name)?.chassis ?? null
        return {
          name: p.name,
          type: p.type,
          addresses: p.addresses,
          up: p.up,
          boundTo: bound === null ? null : (hostByUuid.get(bound) ?? bound),
        }
      }),
  }))
  const vms = []
  for (const g of lab.guests) {
    vms.push({
      name: g.name,
      uuid: g.uuid,
      host: g.host.name,
      netns: g.guest.netns,
      nics: [
        { dev: 'eth0', vif: g.tenantVif, mac: await macOf(g.tenantVif), ip: `${g.tenantIp}/24`, switch: 'tenant-a' },
        {
          dev: 'eth1',
          vif: g.providerVif,
          mac: await macOf(g.providerVif),
          ip: `${g.providerIp}/24`,
          switch: 'provider',
        },
      ],
    })
  }
  return {
    xapi: { url: lab.xapi.url, user: 'root', password: lab.password },
    central: {
      netns: central.netns,
      clustered: central.clustered,
      nbRemote: central.nbRemote,
      sbRemote: central.sbRemote,
      nbSockets: lab.nbRemotes,
      sbSockets: central.members.map((m) => `unix:${join(m.dir, 'ovnsb_db.sock')}`),
      nbLeader: (await central.leader('nb')) ?? null,
      sbLeader: (await central.leader('sb')) ?? null,
    },
    network: network === null ? null : { uuid: network.uuid, name: network.nameLabel, bridge: network.bridge },
    hosts,
    switches,
    vms,
    gateway: { netns: lab.gateway.netns, ip: lab.gateway.ip },
    proof,
  }
}

/** Rows as aligned columns (the first row is the heading). */
export function table(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths: number[] = []
  for (const r of rows) {
    for (const [i, cell] of r.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length)
  }
  return rows
    .map((r) => indent + r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '))
    .join('\n')
}

/**
 * How to run the xapi-ovn command line here: `xapi-ovn` when it is installed on PATH (README
 * "Install": npm pack, npm install -g), else the checkout's build, with the line that installs it.
 */
function cliCommand(path = process.env.PATH ?? ''): { run: string; install: string | null } | null {
  const onPath = path.split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, 'xapi-ovn')))
  if (onPath) return { run: 'xapi-ovn', install: null }
  const main = join(REPO_ROOT, '.build', 'lib', 'cli', 'main.js')
  if (!existsSync(main)) return null
  return {
    run: `node ${main}`,
    install: `(cd ${REPO_ROOT} && npm pack && npm install -g ./xapi-ovn-*.tgz)   # then: xapi-ovn instead of node ...`,
  }
}

export function formatReport(r: LabReport, keeper: { pid: number; log: string }): string {
  const out: string[] = []
  const c = r.central
  out.push(`XAPI (emulated pool master)  ${r.xapi.url}   user ${r.xapi.user}   password ${r.xapi.password}`)
  out.push(
    `OVN central  netns ${c.netns}, ${c.clustered ? `RAFT: NB leader member ${String(c.nbLeader)}, SB leader member ${String(c.sbLeader)}` : 'standalone'}`,
  )
  out.push(`  NB ${c.nbRemote}`)
  out.push(`  SB ${c.sbRemote}`)
  out.push(`  NB from this machine: ${c.nbSockets.join(',')}`)
  if (r.network !== null)
    out.push(`OVN network  ${r.network.name} (${r.network.uuid}), bridge ${r.network.bridge} on every host`)
  out.push('')
  out.push('Hosts')
  out.push(
    table([
      ['HOST', 'UUID = CHASSIS', 'NETNS', 'MGMT IP', 'ENCAP', 'BRIDGES', 'OVN-CONTROLLER'],
      ...r.hosts.map((h) => [
        h.name,
        h.uuid,
        h.netns,
        h.managementIp,
        h.chassis?.encaps.join(',') ?? '(no chassis)',
        h.bridges.join(','),
        h.controller,
      ]),
    ]),
  )
  out.push('')
  out.push('VMs (guest namespaces behind XAPI VIFs)')
  out.push(
    table([
      ['VM', 'HOST', 'NETNS', 'NIC', 'VIF = LOGICAL PORT', 'MAC', 'IP', 'SWITCH'],
      ...r.vms.flatMap((v) =>
        v.nics.map((n) => [v.name, v.host, v.netns, n.dev, n.vif ?? '-', n.mac ?? '-', n.ip, n.switch]),
      ),
    ]),
  )
  out.push('')
  for (const sw of r.switches) {
    out.push(`Logical switch ${sw.name}${sw.subnet === null ? '' : ` (${sw.subnet})`}`)
    out.push(
      table([
        ['PORT', 'TYPE', 'ADDRESSES', 'UP', 'BOUND TO'],
        ...sw.ports.map((p) => [
          p.name,
          p.type === '' ? 'vif' : p.type,
          p.addresses.join(' '),
          String(p.up ?? '-'),
          p.boundTo ?? '-',
        ]),
      ]),
    )
  }
  out.push(
    `Provider gateway  netns ${r.gateway.netns}, ${r.gateway.ip} on the underlay (reached through localnet physnet-mgmt -> xenbr0)`,
  )
  out.push('')
  out.push('Proof')
  for (const p of r.proof.pings) {
    out.push(
      `  ${p.ok ? 'ok  ' : 'FAIL'}  ${p.from} (${p.fromHost}) -> ${p.to} (${p.toHost}) ${p.address}  [${p.path === 'geneve' ? 'across hosts over Geneve' : 'provider network via localnet'}]`,
    )
  }
  out.push('')
  const vm = r.vms[0]
  const other = r.vms[1]
  out.push(`The lab keeps running in the background (keeper pid ${keeper.pid}, log ${keeper.log}).`)
  out.push('Try:')
  if (vm !== undefined && other !== undefined)
    out.push(`  ip netns exec ${vm.netns} ping -c3 ${other.nics[0]?.ip.split('/')[0] ?? ''}`)
  out.push(`  ovn-sbctl --db=${c.sbSockets.join(',')} show`)
  out.push(`  ovn-nbctl --db=${c.nbSockets.join(',')} show`)
  const found = cliCommand()
  if (found !== null) {
    const cli = found.run
    if (found.install !== null) out.push(`  ${found.install}`)
    out.push(
      `  export XAPI_URL=${r.xapi.url} XAPI_PASSWORD=${r.xapi.password} OVN_NB_DB=${c.nbSockets.join(',')} OVN_SB_DB=${c.sbSockets.join(',')}`,
    )
    out.push(`  ${cli} verify`)
    // The picture (lib/show/render-dot.ts): Graphviz is in scripts/ensure-deps.sh.
    out.push(
      `  ${cli} show --format svg > ${LAB_PICTURE}   # the picture: hosts, chassis, VMs, switches, tunnels; problems in red`,
    )
    out.push(`  ${cli} port list`)
    const nic = vm?.nics[0]
    if (vm !== undefined && nic !== undefined) {
      out.push(`  ${cli} port detach --vm ${vm.name} --switch tenant-a`)
      out.push(
        `  ${cli} port attach --vm ${vm.name} --switch tenant-a --ip ${nic.ip.split('/')[0] ?? ''} --mac ${nic.mac ?? ''}   # same MAC: peers' ARP caches stay right`,
      )
    }
  }
  out.push('Tear it down: npm run lab -- down   (or ./scripts/lab down)')
  return out.join('\n')
}
