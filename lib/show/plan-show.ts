/**
 * Pure: the three snapshots of `xapi-ovn show` (XAPI, OVN_Northbound, OVN_Southbound, with the
 * central's RAFT and northd state) joined into one view, and the findings no other command shows.
 * Every lookup goes through a map built once, so the join is linear in ports + VIFs + bindings
 * (bench/show.ts: 32 hosts, 5,000 ports).
 *
 * How things are matched:
 * - a host's chassis is the SB Chassis named after the host UUID (setup makes the system-id the
 *   host UUID: lib/chassis/keys.ts, README "configure"), else the one whose hostname is the host's;
 * - a VIF port is the Logical_Switch_Port named after the VIF UUID (README: no override), and its
 *   SB Port_Binding has that logical_port;
 * - an encap's underlay MTU is the MTU of the XAPI network of the host's PIF holding its IP; what
 *   the overlay carries is that minus the tunnel's overhead as ovn-controller counts it
 *   (ovn-org/ovn controller/physical.c get_tunnel_overhead, lib/ovn-util.h: Geneve 38, VXLAN 30,
 *   plus the outer IP header, 20 for IPv4 or 40 for IPv6).
 */
import { portOwners } from '../nb/model.js'
import type { NbPortRow } from '../nb/model.js'
import {
  FINDING_CODES as C,
  type ClusterSnapshot,
  type ClusterStatusView,
  type ClusterView,
  type EncapView,
  type Finding,
  type HostView,
  type NorthdView,
  type PortView,
  type RouterView,
  type SbChassisRow,
  type ShowSnapshots,
  type ShowView,
  type SwitchView,
  type VmView,
  type XapiHost,
  type XapiPif,
  type XapiVm,
} from './model.js'

/** Tunnel header bytes by encap type (ovn-org/ovn lib/ovn-util.h), without the outer IP header. */
export const TUNNEL_OVERHEAD: Readonly<Record<string, number>> = { geneve: 38, vxlan: 30 }
const IPV4_HEADER = 20
const IPV6_HEADER = 40

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i

/** The IPs of a port: every address after the MAC of each `addresses` entry, and dynamic_addresses. */
export function portIps(p: Pick<NbPortRow, 'addresses' | 'dynamicAddresses'>): string[] {
  const ips: string[] = []
  for (const entry of [...p.addresses, ...(p.dynamicAddresses === null ? [] : [p.dynamicAddresses])]) {
    const words = entry.split(/\s+/).filter((w) => w !== '')
    if (words.length < 2 || !MAC.test(words[0] ?? '')) continue
    for (const w of words.slice(1)) if (w !== 'dynamic' && (w.includes('.') || w.includes(':'))) ips.push(w)
  }
  return [...new Set(ips)]
}

/** What a guest frame may be over this encap, or null when the underlay MTU or the type is unknown. */
export function carriedMtu(type: string, ip: string, underlayMtu: number | null): number | null {
  const overhead = TUNNEL_OVERHEAD[type]
  if (underlayMtu === null || overhead === undefined) return null
  return underlayMtu - overhead - (ip.includes(':') ? IPV6_HEADER : IPV4_HEADER)
}

function pifMtuByIp(pifs: readonly XapiPif[]): Map<string, number> {
  const m = new Map<string, number>()
  for (const p of pifs) {
    const key = (ip: string): string => `${p.host}\n${ip.toLowerCase()}`
    if (p.ip !== '') m.set(key(p.ip), p.networkMtu)
    for (const ip of p.ipv6) m.set(key(ip), p.networkMtu)
  }
  return m
}

/** The first line `Key: value` of a cluster/status reply. */
function statusLine(text: string, key: string): string | null {
  const m = new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(text)
  return m?.[1]?.trim() ?? null
}

/** `cluster/status DB` text (ovsdb-server(1)) -> role, term, leader, status and the server lines. */
export function parseClusterStatus(socket: string, text: string | null, problem: string | null): ClusterStatusView {
  if (text === null) return { socket, problem, role: null, term: null, leader: null, status: null, servers: [] }
  const term = statusLine(text, 'Term')
  const lines = text.split('\n')
  const start = lines.findIndex((l) => /^Servers:/.test(l))
  const servers =
    start < 0
      ? []
      : lines
          .slice(start + 1)
          .filter((l) => /^\s+\S/.test(l))
          .map((l) => l.trim())
  return {
    socket,
    problem,
    role: statusLine(text, 'Role'),
    term: term !== null && /^[0-9]+$/.test(term) ? Number(term) : null,
    leader: statusLine(text, 'Leader'),
    status: statusLine(text, 'Status'),
    servers,
  }
}

/** Northd's `status` reply ("Status: active") -> its word. */
export function parseNorthdStatus(text: string): string | null {
  return statusLine(text, 'Status')
}

function clusterView(c: ClusterSnapshot, findings: Finding[]): ClusterView {
  const members = c.members.map((m) => ({
    remote: m.remote,
    reachable: m.server !== null,
    problem: m.problem,
    model: m.server?.model ?? null,
    leader: m.server?.leader ?? null,
    connected: m.server?.connected ?? null,
    cid: m.server?.cid?.value ?? null,
    sid: m.server?.sid?.value ?? null,
    index: m.server?.index ?? null,
  }))
  const model = members.find((m) => m.model !== null)?.model ?? null
  const leader = members.find((m) => m.leader === true && m.connected === true)?.remote ?? null
  const clustered = model === 'clustered'
  for (const m of members) {
    if (!m.reachable)
      findings.push({
        code: C.clusterMemberDown,
        subject: `${c.database} ${m.remote}`,
        message: `${c.database} member ${m.remote} did not answer: ${m.problem ?? 'no _Server row'}`,
        fix: null,
        hint: `on the central: start that ovsdb-server or, if the member is gone for good, remove it from the cluster (cluster/kick); no xapi-ovn command manages the central`,
      })
    else if (clustered && m.connected === false)
      findings.push({
        code: C.clusterMemberDown,
        subject: `${c.database} ${m.remote}`,
        message: `${c.database} member ${m.remote} is not connected to its cluster (_Server.Database connected=false)`,
        fix: null,
        hint: `on the central: check that member's RAFT port and its log (cluster/status ${c.database}); no xapi-ovn command manages the central`,
      })
  }
  if (clustered && leader === null && members.some((m) => m.reachable))
    findings.push({
      code: C.clusterNoLeader,
      subject: c.database,
      message: `no member of the ${c.database} cluster that answered says it is the leader: writes cannot commit`,
      fix: null,
      hint: 'a majority of the members must be up and connected to elect one: start the missing members on the central',
    })
  const cids = new Set(members.map((m) => m.cid).filter((x): x is string => x !== null))
  if (cids.size > 1)
    findings.push({
      code: C.clusterSplit,
      subject: c.database,
      message: `the remotes given for ${c.database} belong to ${cids.size} different clusters (cid ${[...cids].join(', ')})`,
      fix: null,
      hint: `give --${c.database === 'OVN_Northbound' ? 'nb' : 'sb'} the members of one cluster only`,
    })
  return {
    database: c.database,
    model,
    leader,
    members,
    clusterStatus: c.clusterStatus.map((s) => parseClusterStatus(s.socket, s.text, s.problem)),
  }
}

interface Indexes {
  readonly hostByRef: ReadonlyMap<string, XapiHost>
  readonly hostOfChassis: ReadonlyMap<string, XapiHost>
  readonly chassisOfHost: ReadonlyMap<string, SbChassisRow>
}

function matchChassis(s: ShowSnapshots): Indexes {
  const hostByRef = new Map(s.xapi.hosts.map((h) => [h.ref, h]))
  const byName = new Map(s.sb.chassis.map((c) => [c.name.toLowerCase(), c]))
  const byHostname = new Map<string, SbChassisRow>()
  for (const c of s.sb.chassis) if (c.hostname !== '' && !byHostname.has(c.hostname)) byHostname.set(c.hostname, c)
  const hostOfChassis = new Map<string, XapiHost>()
  const chassisOfHost = new Map<string, SbChassisRow>()
  for (const h of s.xapi.hosts) {
    const c = byName.get(h.uuid.toLowerCase()) ?? (h.hostname === '' ? undefined : byHostname.get(h.hostname))
    if (c === undefined || hostOfChassis.has(c.uuid)) continue
    hostOfChassis.set(c.uuid, h)
    chassisOfHost.set(h.ref, c)
  }
  return { hostByRef, hostOfChassis, chassisOfHost }
}

function hostViews(
  s: ShowSnapshots,
  ix: Indexes,
  vifCount: ReadonlyMap<string, number>,
  findings: Finding[],
): HostView[] {
  const encaps = new Map(s.sb.encaps.map((e) => [e.uuid, e]))
  const priv = new Map(s.sb.chassisPrivate.map((p) => [p.name, p]))
  const mtus = pifMtuByIp(s.xapi.pifs)
  const guestMtu = s.xapi.network?.mtu ?? null
  const hosts = [...s.xapi.hosts].sort((a, b) => a.name.localeCompare(b.name) || a.uuid.localeCompare(b.uuid))
  const views = hosts.map((h): HostView => {
    const read = s.xapi.hostPorts?.get(h.ref)
    const portsProblem = read === undefined || read.ok ? null : read.reason
    const c = ix.chassisOfHost.get(h.ref)
    if (c === undefined) {
      if (h.live)
        findings.push({
          code: C.hostNoChassis,
          subject: h.name,
          message: `host ${h.name} (${h.uuid}) has no chassis in the southbound database: its VMs' ports cannot bind`,
          fix: `xapi-ovn setup --host ${h.uuid} --ovn-remote REMOTE`,
          hint: 'configure the chassis (then start ovn-controller); `xapi-ovn verify --host` says what is missing',
        })
      return {
        uuid: h.uuid,
        name: h.name,
        address: h.address,
        live: h.live,
        chassis: null,
        vifs: vifCount.get(h.ref) ?? 0,
        portsProblem,
      }
    }
    const encapViews = c.encapUuids.flatMap((u): EncapView[] => {
      const e = encaps.get(u)
      if (e === undefined) return []
      const underlayMtu = mtus.get(`${h.ref}\n${e.ip.toLowerCase()}`) ?? null
      return [{ type: e.type, ip: e.ip, underlayMtu, carriesMtu: carriedMtu(e.type, e.ip, underlayMtu) }]
    })
    const nbCfg = priv.get(c.name)?.nbCfg ?? null
    const lag = nbCfg === null || s.sb.globalNbCfg === null ? null : Math.max(0, s.sb.globalNbCfg - nbCfg)
    if (lag !== null && lag > 0)
      findings.push({
        code: C.chassisLagging,
        subject: h.name,
        message: `chassis of ${h.name} reached nb_cfg ${nbCfg}, the southbound asks for ${s.sb.globalNbCfg}: its ovn-controller is ${lag} request(s) behind (not running, not connected, or busy)`,
        fix: `xapi-ovn verify --host ${h.uuid}`,
        hint: "verify checks this host's ovn-controller and says why it is not current",
      })
    const tightest = encapViews
      .filter((e): e is EncapView & { carriesMtu: number; underlayMtu: number } => e.carriesMtu !== null)
      .sort((a, b) => a.carriesMtu - b.carriesMtu)[0]
    const least = tightest?.carriesMtu ?? null
    if (guestMtu !== null && tightest !== undefined && least !== null && guestMtu > least)
      findings.push({
        code: C.mtuTooLarge,
        subject: h.name,
        message: `guests on ${s.xapi.network?.name ?? 'the OVN network'} get MTU ${guestMtu}, but ${h.name}'s tunnel carries at most ${least} (underlay MTU ${tightest.underlayMtu} minus the ${tightest.type} overhead): larger frames between hosts are dropped`,
        fix: null,
        hint: `no xapi-ovn command changes it: lower the OVN network's MTU in XAPI to ${least} (guests pick it up at their next VIF plug), or raise the underlay network's MTU to ${guestMtu + tightest.underlayMtu - least}`,
      })
    return {
      uuid: h.uuid,
      name: h.name,
      address: h.address,
      live: h.live,
      chassis: { name: c.name, hostname: c.hostname, encaps: encapViews, nbCfg, nbCfgLag: lag },
      vifs: vifCount.get(h.ref) ?? 0,
      portsProblem,
    }
  })
  for (const c of s.sb.chassis)
    if (!ix.hostOfChassis.has(c.uuid))
      findings.push({
        code: C.chassisUnknown,
        subject: c.name,
        message: `chassis ${c.name} (${c.hostname || 'no hostname'}) is not a host of this pool (another pool, a gateway, or a host that left)`,
        fix: null,
        hint: 'if it is a host that left the pool, remove its chassis on the central (ovn-sbctl chassis-del); no xapi-ovn command removes chassis',
      })
  return views
}

function switchViews(s: ShowSnapshots, findings: Finding[]): SwitchView[] {
  const byUuid = new Map(s.nb.ports.map((p) => [p.uuid, p]))
  const seen = new Map<string, { port: string; switch: string }>()
  const views = [...s.nb.switches]
    .sort((a, b) => a.name.localeCompare(b.name) || a.uuid.localeCompare(b.uuid))
    .map((sw): SwitchView => {
      const ports = sw.portUuids.map((u) => byUuid.get(u)).filter((p): p is NbPortRow => p !== undefined)
      const localnets = ports
        .filter((p) => p.type === 'localnet')
        .map((p) => ({ name: p.name, network: p.options.get('network_name') ?? '', vlan: p.tag ?? p.tagRequest }))
      for (const l of localnets) {
        const key = `${l.network}\n${l.vlan ?? ''}`
        const first = seen.get(key)
        if (first === undefined) seen.set(key, { port: l.name, switch: sw.name })
        else
          findings.push({
            code: C.localnetLoop,
            subject: l.name,
            message: `localnet ports ${first.port} (switch ${first.switch}) and ${l.name} (switch ${sw.name}) are both on physical network ${l.network}${l.vlan === null ? ' untagged' : ` VLAN ${l.vlan}`}: every chassis bridges the provider network to itself twice (a loop)`,
            fix: `xapi-ovn localnet del --name ${l.name}`,
            hint: 'keep one localnet port per physical network and VLAN',
          })
      }
      const owners = new Map<string, string>()
      for (const p of ports)
        for (const ip of portIps(p)) {
          const other = owners.get(ip)
          if (other === undefined) owners.set(ip, p.name)
          else
            findings.push({
              code: C.duplicateIp,
              subject: p.name,
              message: `IP ${ip} is on two ports of switch ${sw.name}: ${other} and ${p.name}`,
              fix: `xapi-ovn port detach --vif ${p.name}`,
              hint: `detach one of them, then attach it again with another --ip`,
            })
        }
      return {
        uuid: sw.uuid,
        name: sw.name,
        subnet: sw.otherConfig.get('subnet') ?? null,
        ports: ports.length,
        localnets,
      }
    })
  return views
}

function routerViews(s: ShowSnapshots): RouterView[] {
  const rp = new Map(s.nb.routerPorts.map((p) => [p.uuid, p]))
  return [...s.nb.routers]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((r) => ({
      uuid: r.uuid,
      name: r.name,
      ports: r.portUuids.flatMap((u) => {
        const p = rp.get(u)
        return p === undefined ? [] : [{ name: p.name, mac: p.mac, networks: p.networks }]
      }),
    }))
}

/** Code-unit order: the same on every machine, and far cheaper than localeCompare at 5,000 ports. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** The VMs with a VIF on the OVN network, each with the host XAPI runs it on (if running). */
function vmViews(
  vmVifs: ReadonlyMap<string, { device: string; uuid: string }[]>,
  vms: ReadonlyMap<string, XapiVm>,
  ix: Indexes,
): VmView[] {
  const out: VmView[] = []
  for (const [ref, vifs] of vmVifs) {
    const vm = vms.get(ref)
    if (vm === undefined) continue
    const running = vm.powerState === 'Running' || vm.powerState === 'Paused'
    const host = running && vm.residentOn !== null ? (ix.hostByRef.get(vm.residentOn)?.name ?? null) : null
    vifs.sort((a, b) => compare(a.device, b.device) || compare(a.uuid, b.uuid))
    out.push({ uuid: vm.uuid, name: vm.name, powerState: vm.powerState, host, vifs })
  }
  return out.sort((a, b) => compare(a.name, b.name) || compare(a.uuid, b.uuid))
}

/** Join the three snapshots: the view and its findings. */
export function planShow(s: ShowSnapshots): ShowView {
  const findings: Finding[] = []
  const ix = matchChassis(s)
  const vms = new Map(s.xapi.vms.map((v) => [v.ref, v]))
  const network = s.xapi.network
  const vifsByUuid = new Map(s.xapi.vifs.map((v) => [v.uuid.toLowerCase(), v]))
  const portsByName = new Map(s.nb.ports.map((p) => [p.name.toLowerCase(), p]))
  const bindings = new Map(s.sb.bindings.map((b) => [b.logicalPort.toLowerCase(), b]))
  const chassisByUuid = new Map(s.sb.chassis.map((c) => [c.uuid, c]))
  const owners = portOwners(s.nb)

  // VIFs on the OVN network, per host; those without a port.
  const vifCount = new Map<string, number>()
  const vmVifs = new Map<string, { device: string; uuid: string }[]>()
  for (const vif of s.xapi.vifs) {
    if (network === null || vif.network !== network.ref) continue
    const vm = vms.get(vif.vm)
    if (vm === undefined || vm.isControlDomain || vm.isTemplate) continue
    const own = vmVifs.get(vm.ref) ?? []
    own.push({ device: vif.device, uuid: vif.uuid })
    vmVifs.set(vm.ref, own)
    if (vm.residentOn !== null) vifCount.set(vm.residentOn, (vifCount.get(vm.residentOn) ?? 0) + 1)
    if (!portsByName.has(vif.uuid.toLowerCase()))
      findings.push({
        code: C.vifWithoutPort,
        subject: vif.uuid,
        message: `VIF ${vif.device} of VM ${vm.name} (${vif.uuid}) is on ${network.name} but no logical switch port is named after it: it has no network`,
        fix: `xapi-ovn port attach --switch SWITCH --vm ${vm.uuid} --device ${vif.device}`,
        hint: 'attach it to its logical switch (or remove the VIF from the VM)',
      })
  }

  // Sorted by switch, then name: flat string keys computed once (a comparator that looks the
  // switch up, or one concatenated key, was most of the join's time at 5,000 ports).
  const keyed = s.nb.ports.map((p) => ({ sw: owners.get(p.uuid)?.name ?? '', name: p.name, p }))
  keyed.sort((a, b) => compare(a.sw, b.sw) || compare(a.name, b.name))
  const ports = keyed.map(({ p }): PortView => {
    const sw = owners.get(p.uuid)
    const b = bindings.get(p.name.toLowerCase())
    const chassis = b?.chassis == null ? undefined : chassisByUuid.get(b.chassis)
    const chassisHost = chassis === undefined ? undefined : ix.hostOfChassis.get(chassis.uuid)
    const isVif = p.type === ''
    const vif = isVif ? vifsByUuid.get(p.name.toLowerCase()) : undefined
    const vm = vif === undefined ? undefined : vms.get(vif.vm)
    let xapiHost: XapiHost | undefined
    let mismatch = false
    if (isVif && (vif === undefined || vm === undefined || (network !== null && vif.network !== network.ref)))
      findings.push({
        code: C.portWithoutVif,
        subject: p.name,
        message:
          vif === undefined || vm === undefined
            ? `port ${p.name} on switch ${sw?.name ?? '?'} is named after no VIF of this pool: nothing can bind it here`
            : `port ${p.name} on switch ${sw?.name ?? '?'} is named after VIF ${vif.device} of VM ${vm.name}, which is not on ${network?.name ?? 'the OVN network'}`,
        fix: `xapi-ovn port detach --vif ${p.name}`,
        hint: 'remove the port (it goes even if XAPI no longer has the VIF)',
      })
    else if (vif !== undefined && vm !== undefined) {
      const running = vm.powerState === 'Running' || vm.powerState === 'Paused'
      xapiHost = running && vm.residentOn !== null ? ix.hostByRef.get(vm.residentOn) : undefined
      mismatch = xapiHost !== undefined && chassis !== undefined && chassisHost?.ref !== xapiHost.ref
      if (mismatch && xapiHost !== undefined && chassis !== undefined)
        findings.push({
          code: C.bindingMismatch,
          subject: p.name,
          message: `VM ${vm.name} runs on ${xapiHost.name} (XAPI), but its port ${p.name} is bound on chassis ${chassis.name}${chassisHost === undefined ? '' : ` (${chassisHost.name})`}: its traffic goes to the wrong host`,
          fix: `xapi-ovn verify --host ${xapiHost.uuid}`,
          hint: `verify checks the iface-id on ${xapiHost.name}'s port and its ovn-controller; the old host's ovn-controller must release the port`,
        })
      else if (xapiHost !== undefined && chassis === undefined && vif.currentlyAttached)
        findings.push({
          code: C.portUnbound,
          subject: p.name,
          message: `VM ${vm.name} runs on ${xapiHost.name} with VIF ${vif.device} plugged, but its port ${p.name} is bound on no chassis`,
          fix: `xapi-ovn verify --host ${xapiHost.uuid}`,
          hint: `verify checks ${xapiHost.name}'s chassis, ovn-controller and the iface-id the host agent writes`,
        })
    }
    return {
      name: p.name,
      switch: sw?.name ?? null,
      type: p.type,
      routerPort: p.type === 'router' ? (p.options.get('router-port') ?? null) : null,
      addresses: p.addresses,
      up: p.up,
      vm: vm?.name ?? null,
      vmUuid: vm?.uuid ?? null,
      device: vif?.device ?? null,
      xapiHost: xapiHost?.name ?? null,
      chassis: chassis?.name ?? null,
      chassisHost: chassisHost?.name ?? null,
      bindingUp: b?.up ?? null,
      mismatch,
    }
  })

  // Stale ovn-installed: a host's OVS port says ovn-installed, the SB binding is not on its chassis.
  if (s.xapi.hostPorts !== null)
    for (const h of s.xapi.hosts) {
      const read = s.xapi.hostPorts.get(h.ref)
      if (read === undefined || !read.ok) continue
      const own = ix.chassisOfHost.get(h.ref)
      for (const op of read.ports) {
        if (!op.ovnInstalled || op.ifaceId === null) continue
        const b = bindings.get(op.ifaceId.toLowerCase())
        if (b !== undefined && own !== undefined && b.chassis === own.uuid) continue
        const where =
          b?.chassis == null ? 'bound nowhere' : `bound on ${chassisByUuid.get(b.chassis)?.name ?? b.chassis}`
        findings.push({
          code: C.staleOvnInstalled,
          subject: `${h.name} ${op.name}`,
          message: `OVS port ${op.name} on ${h.name} says ovn-installed=true for ${op.ifaceId}, but the southbound has it ${b === undefined ? 'not at all' : where}: the flag is stale`,
          fix: `xapi-ovn verify --host ${h.uuid}`,
          hint: `${h.name}'s ovn-controller clears the flag when it runs and is connected; verify says whether it is`,
        })
      }
    }

  const hosts = hostViews(s, ix, vifCount, findings)
  const switches = switchViews(s, findings)
  const nbCluster = clusterView(s.nbCluster, findings)
  const sbCluster = clusterView(s.sbCluster, findings)
  const northd = northdView(s, findings)
  return {
    pool: s.xapi.pool,
    network:
      network === null ? null : { uuid: network.uuid, name: network.name, bridge: network.bridge, mtu: network.mtu },
    hosts,
    switches,
    routers: routerViews(s),
    ports,
    vms: vmViews(vmVifs, vms, ix),
    clusters: { nb: nbCluster, sb: sbCluster },
    northd,
    hostPortsRead: s.xapi.hostPorts !== null,
    findings,
  }
}

function northdView(s: ShowSnapshots, findings: Finding[]): NorthdView {
  const g = s.nb.global
  const status = s.northd?.text == null ? null : parseNorthdStatus(s.northd.text)
  if (s.sb.globalNbCfg === null)
    findings.push({
      code: C.noSbGlobal,
      subject: 'OVN_Southbound',
      message:
        'the southbound database has no SB_Global row: ovn-northd has never run against it (ovn-controller 23.03 crashes without it)',
      fix: null,
      hint: 'start ovn-northd on the central with this NB and SB',
    })
  if (g !== null && g.sbCfg < g.nbCfg)
    findings.push({
      code: C.northdBehind,
      subject: 'ovn-northd',
      message: `NB_Global nb_cfg is ${g.nbCfg} but sb_cfg only ${g.sbCfg}: ovn-northd has not carried the last northbound change to the southbound`,
      fix: null,
      hint: 'check that ovn-northd runs and is active (--northd-ctl shows its status)',
    })
  if (status !== null && status !== 'active' && status !== 'standby')
    findings.push({
      code: C.northdNotActive,
      subject: 'ovn-northd',
      message: `ovn-northd says it is ${status}: it does not translate the northbound`,
      fix: null,
      hint: 'resume it on the central (ovn-appctl -t ovn-northd resume)',
    })
  return {
    nbCfg: g?.nbCfg ?? null,
    sbCfg: g?.sbCfg ?? null,
    hvCfg: g?.hvCfg ?? null,
    sbGlobalNbCfg: s.sb.globalNbCfg,
    status,
    socket: s.northd?.socket ?? null,
    problem: s.northd?.problem ?? null,
  }
}
