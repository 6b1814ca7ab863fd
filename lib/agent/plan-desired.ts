/**
 * Pure: what the northbound should hold for a pool, read from XAPI only (the VIFs, their VMs and
 * networks, the hosts). One DesiredPort per VIF on the OVN network, or one finding saying why that
 * VIF gets none. Nothing here looks at the northbound: plan-sync.ts compares.
 *
 * The rules (docs/agent.md says them for operators):
 * - Which VIFs: every VIF whose network is the OVN network, of every VM that is not a template
 *   (snapshots are templates too). A halted VM keeps its port, as a VIF keeps existing.
 * - Which switch: other_config `xapi-ovn-switch` (keys.ts) of the VIF, else of its VM, else of the
 *   network: the first one set wins, so one network-wide default can be overridden per VM and per
 *   VIF. `xapi-ovn port attach` writes the VIF's key, so the CLI and the agent agree.
 * - Addresses: the VIF's MAC plus XAPI's own ipv4_allowed and ipv6_allowed, or `<mac> dynamic`
 *   when the VIF's other_config `xapi-ovn-addresses` is `dynamic`.
 * - Anti-spoofing: the VIF's other_config `xapi-ovn-port-security` (on/off: what `port attach`
 *   writes), else XAPI's own locking_mode. XAPI enforces `locked` with OpenFlow rules that
 *   xenopsd's setup-vif-rules puts on the VIF's bridge — on the integration bridge they outrank
 *   ovn-controller's and cut the port off (docs/platform.md "VIF locking"), so a locked VIF is
 *   also a warning — and OVN must enforce the intent instead:
 *     locked   -> port_security "<mac> <allowed IPs>"; with no allowed IP XAPI lets only DHCP and
 *                 ARP probes out, which "<mac> 0.0.0.0" gives in OVN (docs/platform.md "VIF locking");
 *                 a dynamic port is held to its MAC (its IP is ovn-northd's to choose);
 *     unlocked -> no port_security;
 *     disabled -> the port is disabled (XAPI does not even put the VIF on the bridge);
 *     network_default -> the network's default_locking_mode (unlocked or disabled).
 * - Security groups: the VIF's other_config `xapi-ovn-security-groups` (comma-separated names,
 *   what `sg attach` writes); plan-sync.ts puts the port in exactly those groups of ours.
 * - Where it may bind: options:requested-chassis = the host the VM runs on (chassis name = host
 *   UUID, lib/chassis), so no other chassis can claim it; while XAPI migrates the VM
 *   (current_operations holds pool_migrate or migrate_send and scheduled_to_be_resident_on names
 *   another host), "src,dst" so both may; a halted VM's port names none.
 */
import {
  ADDRESSES_KEY,
  DYNAMIC_ADDRESSES,
  POOL_UUID_KEY,
  PORT_SECURITY_KEY,
  PORT_SECURITY_OFF,
  PORT_SECURITY_ON,
  SECURITY_GROUPS_KEY,
  SWITCH_KEY,
  VM_UUID_KEY,
} from './keys.js'
import { AgentNoSwitchError, AgentVifInvalidError, AgentVifLockedWarning } from './errors.js'
import { XapiOvnError } from '../errors.js'
import { formatAddress, parseIp, parseMac, parseSwitchRef } from '../nb/validate-inputs.js'
import { parseSgNames } from '../nb/validate-security-groups.js'
import type { HostRecord, NetworkRecord, VifRecord, VmRecord } from '../pool/records.js'

/** The XAPI objects the agent plans from, keyed by ref. */
export interface XapiView {
  readonly poolUuid: string
  readonly hosts: ReadonlyMap<string, HostRecord>
  readonly networks: ReadonlyMap<string, NetworkRecord>
  readonly vms: ReadonlyMap<string, VmRecord>
  readonly vifs: ReadonlyMap<string, VifRecord>
}

export type PortLock = 'none' | 'locked'

export interface DesiredPort {
  /** The port name: the VIF uuid (what the host agent writes as iface-id). */
  readonly name: string
  readonly vmUuid: string
  /** The switch as XAPI names it (name or UUID) and where the name came from. */
  readonly switchRef: string
  readonly switchFrom: 'VIF' | 'VM' | 'network'
  readonly mac: string
  /** Static IPs, or 'dynamic'. */
  readonly ips: readonly string[] | 'dynamic'
  /** The Logical_Switch_Port addresses entry. */
  readonly address: string
  readonly portSecurity: readonly string[]
  readonly enabled: boolean
  /** options:requested-chassis, or null for none. */
  readonly requestedChassis: string | null
  readonly externalIds: ReadonlyMap<string, string>
  /** The VIF's other_config xapi-ovn-security-groups, parsed (absent: none; a hand-made port may leave it out). */
  readonly securityGroups?: readonly string[]
}

export interface VifFinding {
  /** The VIF uuid (= the port name it would have). */
  readonly vif: string
  readonly error: XapiOvnError
}

export interface DesiredState {
  /** Sorted by name, so every plan from the same XAPI state is the same plan. */
  readonly ports: readonly DesiredPort[]
  /** VIFs on the OVN network that get no port; their existing ports are left alone. */
  readonly findings: readonly VifFinding[]
  /** VIFs that get their port but will not work as XAPI holds them (a `locked` VIF, see keys.ts). */
  readonly warnings: readonly VifFinding[]
}

const MIGRATING = new Set(['pool_migrate', 'migrate_send'])

/** The VIFs of `network` and what their ports should be. */
/**
 * What one VIF came to, kept by the agent between passes (a pass plans every VIF; most did not
 * change). Valid while the VIF, VM and network records are the same objects — the replica replaces
 * a record on every event about it (xapi-replica.ts) — and the chassis it resolved is the same.
 */
export type DesiredCache = WeakMap<
  VifRecord,
  {
    readonly vm: VmRecord
    readonly network: NetworkRecord
    readonly chassis: string | null
    readonly port: DesiredPort | null
    readonly error: XapiOvnError | null
    readonly locked: boolean
  }
>

/** The VIFs of `network` and what their ports should be (`cache`: see DesiredCache). */
export function planDesired(view: XapiView, networkRef: string, cache?: DesiredCache): DesiredState {
  const network = view.networks.get(networkRef)
  const ports: DesiredPort[] = []
  const findings: VifFinding[] = []
  const warnings: VifFinding[] = []
  if (network === undefined) return { ports, findings, warnings }
  for (const vif of view.vifs.values()) {
    if (vif.network !== networkRef) continue
    const vm = view.vms.get(vif.vm)
    if (vm === undefined || vm.isATemplate || vm.isControlDomain) continue
    const chassis = requestedChassis(view, vm)
    let hit = cache?.get(vif)
    if (hit === undefined || hit.vm !== vm || hit.network !== network || hit.chassis !== chassis) {
      let port: DesiredPort | null = null
      let error: XapiOvnError | null = null
      try {
        port = desiredPort(view, network, vm, vif)
      } catch (err) {
        if (!(err instanceof XapiOvnError)) throw err
        error = err
      }
      hit = { vm, network, chassis, port, error, locked: lockingMode(network, vif) === 'locked' }
      cache?.set(vif, hit)
    }
    if (hit.port !== null) {
      ports.push(hit.port)
      if (hit.locked) warnings.push({ vif: vif.uuid, error: new AgentVifLockedWarning(vif.uuid) })
    } else if (hit.error !== null) findings.push({ vif: vif.uuid, error: hit.error })
  }
  ports.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return { ports, findings, warnings }
}

function chooseSwitch(
  network: NetworkRecord,
  vm: VmRecord,
  vif: VifRecord,
): { ref: string; from: DesiredPort['switchFrom'] } {
  for (const [from, config] of [
    ['VIF', vif.otherConfig],
    ['VM', vm.otherConfig],
    ['network', network.otherConfig],
  ] as const) {
    const value = config[SWITCH_KEY]
    if (value === undefined) continue
    try {
      return { ref: parseSwitchRef(value, SWITCH_KEY), from }
    } catch {
      throw new AgentVifInvalidError(
        vif.uuid,
        `${from} other_config ${SWITCH_KEY}`,
        value,
        'is not a switch name or UUID',
      )
    }
  }
  throw new AgentNoSwitchError(vif.uuid)
}

function checked<T>(vif: string, field: string, value: string, parse: () => T): T {
  try {
    return parse()
  } catch (err) {
    const reason = err instanceof XapiOvnError ? (err.params[2] ?? err.message) : 'is not valid'
    throw new AgentVifInvalidError(vif, field, value, reason)
  }
}

/**
 * The port one VIF of `vm` on `network` should have, by the rules above; throws the finding
 * (AgentNoSwitchError, AgentVifInvalidError) when it gets none. `xapi-ovn port attach` builds its
 * ports with it too (lib/attach/attach.ts), so the CLI and the agent apply one rule.
 */
export function desiredPort(
  view: Pick<XapiView, 'poolUuid' | 'hosts'>,
  network: NetworkRecord,
  vm: VmRecord,
  vif: VifRecord,
): DesiredPort {
  const sw = chooseSwitch(network, vm, vif)
  const mac = checked(vif.uuid, 'MAC', vif.mac, () => parseMac(vif.mac))
  const wantsDynamic = vif.otherConfig[ADDRESSES_KEY]
  if (wantsDynamic !== undefined && wantsDynamic !== DYNAMIC_ADDRESSES)
    throw new AgentVifInvalidError(
      vif.uuid,
      `other_config ${ADDRESSES_KEY}`,
      wantsDynamic,
      `is not "${DYNAMIC_ADDRESSES}"`,
    )
  const ips: readonly string[] | 'dynamic' =
    wantsDynamic === DYNAMIC_ADDRESSES
      ? 'dynamic'
      : [
          ...vif.ipv4Allowed.map((ip) => checked(vif.uuid, 'ipv4_allowed', ip, () => parseIp(ip))),
          ...vif.ipv6Allowed.map((ip) => checked(vif.uuid, 'ipv6_allowed', ip, () => parseIp(ip))),
        ]
  const mode = lockingMode(network, vif)
  const security = vif.otherConfig[PORT_SECURITY_KEY]
  if (security !== undefined && security !== PORT_SECURITY_ON && security !== PORT_SECURITY_OFF)
    throw new AgentVifInvalidError(vif.uuid, `other_config ${PORT_SECURITY_KEY}`, security, 'is not "on" or "off"')
  const secured = security === undefined ? mode === 'locked' : security === PORT_SECURITY_ON
  return {
    name: vif.uuid,
    vmUuid: vm.uuid,
    switchRef: sw.ref,
    switchFrom: sw.from,
    mac,
    ips,
    address: formatAddress(mac, ips),
    portSecurity: secured ? [lockedSecurity(mac, ips)] : [],
    enabled: mode !== 'disabled',
    requestedChassis: requestedChassis(view, vm),
    externalIds: new Map([
      [POOL_UUID_KEY, view.poolUuid],
      [VM_UUID_KEY, vm.uuid],
    ]),
    securityGroups: checked(
      vif.uuid,
      `other_config ${SECURITY_GROUPS_KEY}`,
      vif.otherConfig[SECURITY_GROUPS_KEY] ?? '',
      () => parseSecurityGroupsValue(vif.otherConfig[SECURITY_GROUPS_KEY]),
    ),
  }
}

/** The VIF key's value (SECURITY_GROUPS_KEY: comma-separated names) as a list; absent or empty: []. */
export function parseSecurityGroupsValue(value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return []
  return parseSgNames(
    value.split(',').map((n) => n.trim()),
    SECURITY_GROUPS_KEY,
  )
}

/** The list written back as the key's value ('' for none: the key is then removed). */
export function formatSecurityGroupsValue(groups: readonly string[]): string {
  return groups.join(',')
}

/** The VIF's locking mode, `network_default` resolved to the network's. */
export function lockingMode(network: NetworkRecord, vif: VifRecord): 'locked' | 'unlocked' | 'disabled' {
  return vif.lockingMode === 'network_default' ? network.defaultLockingMode : vif.lockingMode
}

function lockedSecurity(mac: string, ips: readonly string[] | 'dynamic'): string {
  if (ips === 'dynamic') return mac
  return ips.length === 0 ? `${mac} 0.0.0.0` : [mac, ...ips].join(' ')
}

function requestedChassis(view: Pick<XapiView, 'hosts'>, vm: VmRecord): string | null {
  if (vm.powerState === 'Halted' || vm.powerState === 'Suspended' || vm.residentOn === null) return null
  const here = view.hosts.get(vm.residentOn)?.uuid
  if (here === undefined) return null
  const to = vm.scheduledToBeResidentOn === null ? undefined : view.hosts.get(vm.scheduledToBeResidentOn)?.uuid
  if (to !== undefined && to !== here && vm.currentOperations.some((o) => MIGRATING.has(o))) return `${here},${to}`
  return here
}
