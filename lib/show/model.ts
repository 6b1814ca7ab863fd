/**
 * `xapi-ovn show`: the three snapshots it joins (XAPI, OVN_Northbound, OVN_Southbound, plus the
 * RAFT and northd state of the central), the typed view the join makes of them, and its findings.
 * Plain data: the readers (read-*-io.ts) fill the snapshots, plan-show.ts joins them, render-show.ts
 * prints the view; tests build snapshots by hand.
 *
 * A finding is not an error: `show` reads, changes nothing and exits 0 whatever it finds. Each
 * finding has a stable code (`OVN_SHOW_*`, the set FINDING_CODES below, listed in README's `show`
 * section) and a hint naming the one xapi-ovn command that fixes it, or none when no xapi-ovn
 * command does (the central's RAFT cluster, an XAPI network's MTU).
 */
import type { NbPortRow, NbSwitchRow } from '../nb/model.js'
import type { ServerDatabase } from '../ovsdb/server-database.js'
import type { PowerState } from '../pool/records.js'

export const NB_DB_NAME = 'OVN_Northbound'
export const SB_DB_NAME = 'OVN_Southbound'

// ---------------------------------------------------------------------------------------------
// Snapshots

export interface XapiHost {
  readonly ref: string
  readonly uuid: string
  /** name_label, else hostname, else uuid (lib/pool/plan-setup.ts hostInfo). */
  readonly name: string
  readonly hostname: string
  readonly address: string
  readonly live: boolean
}

/** A PIF with an address: where a chassis' encap IP may sit, and the MTU of its network. */
export interface XapiPif {
  readonly host: string
  readonly device: string
  readonly ip: string
  /** IPv6 addresses without their prefix length. */
  readonly ipv6: readonly string[]
  readonly networkMtu: number
}

export interface XapiVm {
  readonly ref: string
  readonly uuid: string
  readonly name: string
  readonly powerState: PowerState
  /** Host ref, or null. */
  readonly residentOn: string | null
  readonly isControlDomain: boolean
  readonly isTemplate: boolean
}

export interface XapiVif {
  readonly ref: string
  readonly uuid: string
  readonly device: string
  /** Network ref. */
  readonly network: string
  /** VM ref. */
  readonly vm: string
  readonly mac: string
  readonly currentlyAttached: boolean
}

/** One OVS port of a host's integration bridge, as the ovn-chassis plugin's `status` reports it. */
export interface HostOvsPort {
  readonly name: string
  readonly ifaceId: string | null
  readonly vifUuid: string | null
  readonly ovnInstalled: boolean
}

/** A host's ports as its plugin reports them, or why it could not be asked. */
export type HostPortsRead =
  | { readonly ok: true; readonly ports: readonly HostOvsPort[] }
  | { readonly ok: false; readonly reason: string }

export interface XapiSnapshot {
  readonly pool: { readonly uuid: string; readonly name: string; readonly url: string }
  /** The OVN network (ovn-int by default), or null when the pool has none. */
  readonly network: {
    readonly ref: string
    readonly uuid: string
    readonly name: string
    readonly bridge: string
    readonly mtu: number
  } | null
  readonly hosts: readonly XapiHost[]
  readonly pifs: readonly XapiPif[]
  readonly vms: readonly XapiVm[]
  readonly vifs: readonly XapiVif[]
  /** Host ref -> its integration bridge's ports; null when the hosts were not asked (--no-host-ports). */
  readonly hostPorts: ReadonlyMap<string, HostPortsRead> | null
}

export interface NbRouterRow {
  readonly uuid: string
  readonly name: string
  readonly portUuids: readonly string[]
}

export interface NbRouterPortRow {
  readonly uuid: string
  readonly name: string
  readonly mac: string
  readonly networks: readonly string[]
  readonly peer: string | null
}

/** NB_Global's sequence numbers (ovn-nb(5)): what was asked, what northd and the chassis reached. */
export interface NbGlobalRow {
  readonly nbCfg: number
  readonly sbCfg: number
  readonly hvCfg: number
}

export interface NbShowSnapshot {
  readonly switches: readonly NbSwitchRow[]
  readonly ports: readonly NbPortRow[]
  readonly routers: readonly NbRouterRow[]
  readonly routerPorts: readonly NbRouterPortRow[]
  /** null when the database has no NB_Global row (nothing initialised it). */
  readonly global: NbGlobalRow | null
}

export interface SbChassisRow {
  readonly uuid: string
  readonly name: string
  readonly hostname: string
  readonly encapUuids: readonly string[]
}

export interface SbEncapRow {
  readonly uuid: string
  readonly type: string
  readonly ip: string
}

export interface SbBindingRow {
  readonly logicalPort: string
  /** Chassis row UUID, or null when unbound. */
  readonly chassis: string | null
  /** Set by ovn-controller once the port's flows are installed (ovn-sb(5)); null when unset. */
  readonly up: boolean | null
}

export interface SbChassisPrivateRow {
  readonly name: string
  readonly nbCfg: number
}

export interface SbShowSnapshot {
  readonly chassis: readonly SbChassisRow[]
  readonly encaps: readonly SbEncapRow[]
  readonly bindings: readonly SbBindingRow[]
  readonly chassisPrivate: readonly SbChassisPrivateRow[]
  /** SB_Global nb_cfg (northd copies NB_Global nb_cfg into it); null when there is no row. */
  readonly globalNbCfg: number | null
}

/** One remote of a database as it answered: its `_Server.Database` row, or why not. */
export interface MemberRead {
  readonly remote: string
  readonly server: ServerDatabase | null
  /** Why the remote could not be asked (null when it answered). */
  readonly problem: string | null
}

/** `cluster/status DB` over one ovsdb-server's control socket (only on the central host). */
export interface ClusterStatusRead {
  readonly socket: string
  /** The reply as the server wrote it, or null when the socket could not be used. */
  readonly text: string | null
  readonly problem: string | null
}

export interface ClusterSnapshot {
  readonly database: string
  readonly members: readonly MemberRead[]
  readonly clusterStatus: readonly ClusterStatusRead[]
}

/** ovn-northd's `status` over its control socket, when one was given. */
export interface NorthdRead {
  readonly socket: string
  readonly text: string | null
  readonly problem: string | null
}

export interface ShowSnapshots {
  readonly xapi: XapiSnapshot
  readonly nb: NbShowSnapshot
  readonly sb: SbShowSnapshot
  readonly nbCluster: ClusterSnapshot
  readonly sbCluster: ClusterSnapshot
  readonly northd: NorthdRead | null
}

// ---------------------------------------------------------------------------------------------
// Findings

export const FINDING_CODES = {
  hostNoChassis: 'OVN_SHOW_HOST_NO_CHASSIS',
  chassisUnknown: 'OVN_SHOW_CHASSIS_UNKNOWN',
  chassisLagging: 'OVN_SHOW_CHASSIS_LAGGING',
  vifWithoutPort: 'OVN_SHOW_VIF_WITHOUT_PORT',
  portWithoutVif: 'OVN_SHOW_PORT_WITHOUT_VIF',
  bindingMismatch: 'OVN_SHOW_BINDING_MISMATCH',
  portUnbound: 'OVN_SHOW_PORT_UNBOUND',
  staleOvnInstalled: 'OVN_SHOW_STALE_OVN_INSTALLED',
  duplicateIp: 'OVN_SHOW_DUPLICATE_IP',
  localnetLoop: 'OVN_SHOW_LOCALNET_LOOP',
  mtuTooLarge: 'OVN_SHOW_MTU_TOO_LARGE',
  clusterNoLeader: 'OVN_SHOW_CLUSTER_NO_LEADER',
  clusterMemberDown: 'OVN_SHOW_CLUSTER_MEMBER_DOWN',
  clusterSplit: 'OVN_SHOW_CLUSTER_SPLIT',
  northdBehind: 'OVN_SHOW_NORTHD_BEHIND',
  northdNotActive: 'OVN_SHOW_NORTHD_NOT_ACTIVE',
  noSbGlobal: 'OVN_SHOW_NO_SB_GLOBAL',
} as const

export type FindingCode = (typeof FINDING_CODES)[keyof typeof FINDING_CODES]

export interface Finding {
  readonly code: FindingCode
  /** What it is about: a host, port, VIF, switch or database name. */
  readonly subject: string
  readonly message: string
  /** The one xapi-ovn command line that fixes it, or null when no xapi-ovn command does. */
  readonly fix: string | null
  /** How to fix it, in words (always present; says what to do when `fix` is null). */
  readonly hint: string
}

// ---------------------------------------------------------------------------------------------
// The view

export interface EncapView {
  readonly type: string
  readonly ip: string
  /** MTU of the XAPI network of the PIF holding this IP (null: no PIF of the host has it). */
  readonly underlayMtu: number | null
  /** What a guest frame may be: underlayMtu minus the tunnel's overhead (null when unknown). */
  readonly carriesMtu: number | null
}

export interface HostView {
  readonly uuid: string
  readonly name: string
  readonly address: string
  readonly live: boolean
  /** The SB chassis of this host (named after its system-id = host UUID), or null. */
  readonly chassis: {
    readonly name: string
    readonly hostname: string
    readonly encaps: readonly EncapView[]
    /** Chassis_Private nb_cfg: the last sequence number this chassis' ovn-controller reached. */
    readonly nbCfg: number | null
    /** SB_Global nb_cfg minus nbCfg: how many requests behind (0 is current; null unknown). */
    readonly nbCfgLag: number | null
  } | null
  /** Ports of this host's VMs on the OVN network (XAPI's view). */
  readonly vifs: number
  /** Why its plugin could not be asked for its ports (null: asked, or hosts not asked at all). */
  readonly portsProblem: string | null
}

export interface SwitchView {
  readonly uuid: string
  readonly name: string
  readonly subnet: string | null
  readonly ports: number
  readonly localnets: readonly { readonly name: string; readonly network: string; readonly vlan: number | null }[]
}

export interface RouterView {
  readonly uuid: string
  readonly name: string
  readonly ports: readonly { readonly name: string; readonly mac: string; readonly networks: readonly string[] }[]
}

export interface PortView {
  readonly name: string
  readonly switch: string | null
  /** '' for a VIF port, 'localnet', 'router', ... */
  readonly type: string
  /** A `router` port's options:router-port: the Logical_Router_Port it joins (null otherwise). */
  readonly routerPort: string | null
  readonly addresses: readonly string[]
  /** NB Logical_Switch_Port up (written by northd from the SB binding). */
  readonly up: boolean | null
  /** XAPI's side of a VIF port (null for other ports, or when XAPI has no such VIF). */
  readonly vm: string | null
  readonly vmUuid: string | null
  readonly device: string | null
  /** Host XAPI says the VM is resident on (name), or null. */
  readonly xapiHost: string | null
  /** The SB chassis the port is bound on (chassis name), and the pool host it belongs to. */
  readonly chassis: string | null
  readonly chassisHost: string | null
  /** SB Port_Binding up. */
  readonly bindingUp: boolean | null
  /** XAPI's host and the binding's host are both known and differ. */
  readonly mismatch: boolean
}

export interface ClusterMemberView {
  readonly remote: string
  readonly reachable: boolean
  readonly problem: string | null
  readonly model: string | null
  readonly leader: boolean | null
  readonly connected: boolean | null
  /** Cluster ID and server ID, for clustered databases. */
  readonly cid: string | null
  readonly sid: string | null
  readonly index: number | null
}

export interface ClusterStatusView {
  readonly socket: string
  readonly problem: string | null
  readonly role: string | null
  readonly term: number | null
  readonly leader: string | null
  readonly status: string | null
  /** The member lines of `Servers:` as the server printed them. */
  readonly servers: readonly string[]
}

export interface ClusterView {
  readonly database: string
  readonly model: string | null
  /** Remote of the member whose `_Server` row says leader, or null. */
  readonly leader: string | null
  readonly members: readonly ClusterMemberView[]
  /** Read over unixctl on the central host only (`--nb-ctl`, `--sb-ctl`). */
  readonly clusterStatus: readonly ClusterStatusView[]
}

export interface NorthdView {
  /** NB_Global nb_cfg / sb_cfg / hv_cfg (null without an NB_Global row). */
  readonly nbCfg: number | null
  readonly sbCfg: number | null
  readonly hvCfg: number | null
  /** SB_Global nb_cfg (null without an SB_Global row). */
  readonly sbGlobalNbCfg: number | null
  /** `status` over the northd control socket (`--northd-ctl`): "active", "standby", "paused". */
  readonly status: string | null
  readonly socket: string | null
  readonly problem: string | null
}

/** A VM with a VIF on the OVN network (XAPI's view): what the picture draws inside its host. */
export interface VmView {
  readonly uuid: string
  readonly name: string
  readonly powerState: PowerState
  /** The host XAPI says it runs on (name), or null when halted or unknown. */
  readonly host: string | null
  /** Its VIFs on the OVN network: device and VIF UUID (the logical port's name). */
  readonly vifs: readonly { readonly device: string; readonly uuid: string }[]
}

export interface ShowView {
  readonly pool: { readonly uuid: string; readonly name: string; readonly url: string }
  readonly network: {
    readonly uuid: string
    readonly name: string
    readonly bridge: string
    readonly mtu: number
  } | null
  readonly hosts: readonly HostView[]
  readonly switches: readonly SwitchView[]
  readonly routers: readonly RouterView[]
  readonly ports: readonly PortView[]
  /** Every VM with a VIF on the OVN network, by name then UUID. */
  readonly vms: readonly VmView[]
  readonly clusters: { readonly nb: ClusterView; readonly sb: ClusterView }
  readonly northd: NorthdView
  /** Whether the hosts' plugins were asked (stale ovn-installed needs them). */
  readonly hostPortsRead: boolean
  readonly findings: readonly Finding[]
}
