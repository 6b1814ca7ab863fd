/**
 * Pure: judge a chassis from a snapshot of its OVSDB and a few runtime facts. Every check has a
 * stable id, a status (pass, warn, fail), a message saying what was found, and a hint saying what
 * to do when it is not a pass. `ok` is true when nothing failed.
 */
import {
  BRIDGE_ID_KEY,
  DEFAULT_INTEGRATION_BRIDGE,
  KEY_BRIDGE,
  KEY_BRIDGE_MAPPINGS,
  KEY_BY_NAME,
  KEY_ENCAP_IP,
  KEY_REMOTE,
  MODE_KEY,
  NETWORK_KEY,
  OVN_INSTALLED_KEY,
  REQUIRED_FOR_CHASSIS,
  SAVED_KEY,
  SYSTEM_ID_KEY,
  XS_VIF_UUID_KEY,
} from './keys.js'
import { bridgePorts, findBridge, type BridgePort, type BridgeRow, type ChassisSnapshot } from './model.js'
import { xsNetworkUuids, type HostFacts } from './plan-configure.js'
import { planIfaceIds } from './plan-iface-ids.js'
import { planPortMoves } from './plan-port-moves.js'
import { parseMappings } from './validators.js'
import { effectiveRules, isAcceptRule, portLabel, wantedFirewallPorts, XAPI_INPUT_CHAIN } from './encap-ports.js'
import type { XapiChainFacts } from './firewall-port-io.js'

export type CheckStatus = 'pass' | 'warn' | 'fail'

export interface Check {
  readonly id: string
  readonly status: CheckStatus
  readonly message: string
  readonly hint: string | null
}

export interface VerifyReport {
  readonly ok: boolean
  readonly checks: readonly Check[]
}

export interface ControllerState {
  /** A live ovn-controller answered on its unixctl socket. */
  readonly running: boolean
  readonly pid: number | null
  /** Its `connection-status` answer ("connected", "not connected"), when running. */
  readonly connection: string | null
  /** Why it could not be asked, when not running. */
  readonly error: string | null
}

/** What the host's SSL material for ssl: remotes looks like (lib/chassis/ssl/inspect-io.ts inspectSslMaterial). */
export interface SslFacts {
  /** xapi-ovn's material is named in ovn-controller's options file. */
  readonly configured: boolean
  readonly problems: readonly string[]
  readonly certificateDaysLeft: number | null
}

export interface VerifyFacts extends HostFacts {
  readonly controller: ControllerState
  readonly ssl: SslFacts
  /** xapi-ovn's systemd drop-in for ovn-controller is loaded; null where the host has no systemd. */
  readonly bootWait: boolean | null
  /** dom0's `iptables -S xapi-INPUT` (lib/chassis/firewall-port-io.ts readXapiChain). */
  readonly firewall: XapiChainFacts
  /** The persisted chassis configuration the host agent re-applies at boot (persisted-config-io.ts). */
  readonly persisted: PersistedFacts
}

/** What `readPersisted` found: nothing, a usable file, or a file it refuses (with why). */
export type PersistedFacts =
  | { readonly state: 'absent' }
  | { readonly state: 'ok' }
  | { readonly state: 'invalid'; readonly message: string }

export const CHECK_IDS = [
  'keys.required',
  'keys.valid',
  'system-id.host',
  'bridge.exists',
  'bridge.xapi',
  'bridge.ports',
  'bridge.fail-mode',
  'bridge.no-stray-br-int',
  'mappings.bridges',
  'encap-ip.local',
  'firewall.encap',
  'vifs.iface-id',
  'vifs.hvm-pairs',
  'controller.running',
  'controller.connected',
  'vifs.installed',
  'ssl.material',
  'ssl.ovs-table',
  'boot.drop-in',
  'chassis.persisted',
  'integration.mode',
] as const
export type CheckId = (typeof CHECK_IDS)[number]

function check(id: CheckId, status: CheckStatus, message: string, hint: string | null = null): Check {
  return { id, status, message, hint: status === 'pass' ? null : hint }
}

export function verifyChassis(s: ChassisSnapshot, facts: VerifyFacts): VerifyReport {
  const ext = s.ovs.externalIds
  const bridgeName = ext.get(KEY_BRIDGE) || undefined
  const bridge = bridgeName === undefined ? undefined : findBridge(s, bridgeName)
  const ports = bridge === undefined ? [] : bridgePorts(s, bridge)
  const checks: Check[] = [
    checkRequiredKeys(ext),
    checkKeyFormats(ext),
    checkSystemId(ext, facts.hostUuid),
    checkBridgeExists(bridgeName, bridge),
    checkBridgeIsXapi(bridgeName, bridge, ext.get(NETWORK_KEY), facts.hostUuid),
    checkBridgePorts(bridge, ports),
    checkFailMode(bridge, facts.hostUuid),
    checkStrayBrInt(s, bridgeName, facts.hostUuid),
    checkMappings(s, ext.get(KEY_BRIDGE_MAPPINGS), bridgeName),
    checkEncapIp(ext.get(KEY_ENCAP_IP), facts.localAddresses),
    checkFirewall(ext, facts.firewall),
    checkIfaceIds(s, ports),
    checkHvmPairs(ports),
    checkControllerRunning(facts.controller, facts.hostUuid),
    checkControllerConnected(facts.controller, ext.get(KEY_REMOTE)),
    checkInstalled(ports, facts.controller),
    checkSslMaterial(ext.get(KEY_REMOTE), facts.ssl),
    checkOvsSslTable(s.ovs.hasSslRow === true, ext.get(KEY_REMOTE)),
    checkBootDropIn(facts.bootWait),
    checkPersisted(ext.has(SAVED_KEY), facts.persisted),
    checkIntegrationMode(s, bridgeName),
  ]
  return { ok: checks.every((c) => c.status !== 'fail'), checks }
}

// The CLI configures every host of the pool with the arguments it works out itself (the OVN
// network's bridge, each host's transport IP): nobody should have to spell fn=configure's args.
const CONFIGURE_HINT = 'run xapi-ovn setup: it configures every host of the pool as an OVN chassis'

// Hints name the xapi-ovn command that fixes what they report, with this host in it, never a raw
// xe/ovs-vsctl line (test/unit/hint-commands.test.ts): `xapi-ovn repair` runs fn=repair (which checks
// the bridge before it touches it), `xapi-ovn service` runs fn=service, setup attaches the network.
const repairCommand = (hostUuid: string): string => `xapi-ovn repair --host ${hostUuid}`
const SETUP_ATTACHES = 'xapi-ovn setup (it attaches the OVN network on every host)'

function checkRequiredKeys(ext: ReadonlyMap<string, string>): Check {
  const missing = [...REQUIRED_FOR_CHASSIS, KEY_BRIDGE].filter((k) => (ext.get(k) ?? '') === '')
  if (missing.length === 0)
    return check('keys.required', 'pass', 'system-id, ovn-remote, ovn-encap-type, ovn-encap-ip and ovn-bridge are set')
  return check('keys.required', 'fail', `missing in Open_vSwitch external_ids: ${missing.join(', ')}`, CONFIGURE_HINT)
}

function checkKeyFormats(ext: ReadonlyMap<string, string>): Check {
  const bad: string[] = []
  for (const [key, value] of ext) {
    const spec = KEY_BY_NAME.get(key)
    if (spec === undefined) continue
    const reason = spec.validate(value)
    if (reason !== null) bad.push(`${key}=${JSON.stringify(value)} (${reason})`)
  }
  if (bad.length === 0) return check('keys.valid', 'pass', 'every ovn-controller key present is well-formed')
  return check('keys.valid', 'fail', `malformed: ${bad.join('; ')}`, 'run xapi-ovn setup again with valid values')
}

function checkSystemId(ext: ReadonlyMap<string, string>, hostUuid: string): Check {
  const id = ext.get(SYSTEM_ID_KEY)
  if (id === hostUuid) return check('system-id.host', 'pass', `system-id is the host UUID ${hostUuid}`)
  return check(
    'system-id.host',
    'fail',
    id === undefined ? 'system-id is not set' : `system-id is ${id}, the host UUID is ${hostUuid}`,
    'xapi-ovn setup sets system-id to the host UUID (--force-system-id replaces a different one)',
  )
}

function checkBridgeExists(name: string | undefined, bridge: BridgeRow | undefined): Check {
  if (name === undefined)
    return check(
      'bridge.exists',
      'fail',
      'ovn-bridge is not set: ovn-controller would create and use br-int',
      CONFIGURE_HINT,
    )
  if (bridge !== undefined) return check('bridge.exists', 'pass', `integration bridge ${name} exists`)
  return check(
    'bridge.exists',
    'fail',
    `integration bridge ${name} does not exist`,
    `XAPI creates it when the network is attached to this host: run ${SETUP_ATTACHES}, or plug a VIF on it`,
  )
}

function checkBridgeIsXapi(
  name: string | undefined,
  bridge: BridgeRow | undefined,
  networkUuid: string | undefined,
  hostUuid: string,
): Check {
  if (name === undefined || bridge === undefined)
    return check('bridge.xapi', 'fail', 'no integration bridge to inspect', 'see bridge.exists')
  const networks = xsNetworkUuids(bridge.externalIds)
  if (networks.length === 0) {
    return check(
      'bridge.xapi',
      'fail',
      `${name} has no external_ids:xs-network-uuids: XAPI did not create it (ovn-controller made it, probably because it started before XAPI attached the network)`,
      `attach the network again with ${SETUP_ATTACHES}: XAPI gives ${name} its ids (${repairCommand(hostUuid)} --dry-run says what is left)`,
    )
  }
  if (networkUuid !== undefined && !networks.includes(networkUuid)) {
    return check(
      'bridge.xapi',
      'fail',
      `${name} belongs to XAPI network ${networks.join(';')}, configure was told ${networkUuid}`,
      'run xapi-ovn setup again: it configures the bridge of the OVN network (--network names it)',
    )
  }
  const bridgeId = bridge.externalIds.get(BRIDGE_ID_KEY)
  if (bridgeId !== networks[0]) {
    return check(
      'bridge.xapi',
      'warn',
      `${name} is XAPI network ${networks.join(';')} but external_ids:bridge-id is ${bridgeId ?? 'absent'}`,
      'bridge-id is set by ovs-xapi-sync: check that the openvswitch-xapi-sync service runs',
    )
  }
  return check('bridge.xapi', 'pass', `${name} is the bridge of XAPI network ${networks.join(';')}`)
}

function checkBridgePorts(bridge: BridgeRow | undefined, ports: readonly BridgePort[]): Check {
  if (bridge === undefined)
    return check('bridge.ports', 'fail', 'no integration bridge to inspect', 'see bridge.exists')
  const foreign = ports
    .filter((p) => p.kind === 'other')
    .map((p) => `${p.port.name}${p.interfaces[0]?.type ? ` (${p.interfaces[0].type})` : ''}`)
  if (foreign.length === 0)
    return check(
      'bridge.ports',
      'pass',
      `${bridge.name} holds only VIF, tap, OVN patch and OVN tunnel ports (${ports.length} ports)`,
    )
  return check(
    'bridge.ports',
    'fail',
    `${bridge.name} holds ports that are neither guest VIFs nor OVN's: ${foreign.join(', ')}`,
    'underlay/physical ports must not be on the integration bridge: give the network no PIF, and reach provider networks through a localnet port and ovn-bridge-mappings',
  )
}

function checkFailMode(bridge: BridgeRow | undefined, hostUuid: string): Check {
  if (bridge === undefined)
    return check('bridge.fail-mode', 'fail', 'no integration bridge to inspect', 'see bridge.exists')
  if (bridge.failMode === 'secure') return check('bridge.fail-mode', 'pass', `${bridge.name} fail_mode is secure`)
  return check(
    'bridge.fail-mode',
    'fail',
    `${bridge.name} fail_mode is ${bridge.failMode ?? 'unset (standalone)'}: it floods like a plain switch until ovn-controller takes it`,
    `ovn-controller forces it once it runs: xapi-ovn service restart --host ${hostUuid}; xapi-ovn setup sets the OVN network's other_config vswitch-controller-fail-mode=secure, which XAPI gives the bridge`,
  )
}

function checkStrayBrInt(s: ChassisSnapshot, bridgeName: string | undefined, hostUuid: string): Check {
  if (bridgeName === 'br-int')
    return check('bridge.no-stray-br-int', 'pass', 'the integration bridge is named br-int itself')
  const stray = findBridge(s, 'br-int')
  if (stray === undefined) return check('bridge.no-stray-br-int', 'pass', 'no br-int bridge')
  const count = Math.max(0, stray.portUuids.length - 1)
  return check(
    'bridge.no-stray-br-int',
    'fail',
    `a br-int bridge exists besides ${bridgeName ?? 'the integration bridge'} (${count} ports besides its own): ovn-controller made it before ovn-bridge was set`,
    count === 0
      ? `remove it: ${repairCommand(hostUuid)}`
      : `run ${repairCommand(hostUuid)}: it removes br-int when it holds only ovn-controller's ports, and names the others to move back to XAPI`,
  )
}

function checkMappings(s: ChassisSnapshot, mappings: string | undefined, bridgeName: string | undefined): Check {
  if (mappings === undefined || mappings === '')
    return check('mappings.bridges', 'pass', 'no ovn-bridge-mappings (no provider networks on this host)')
  const problems: string[] = []
  for (const m of parseMappings(mappings)) {
    if (m.bridge === bridgeName) problems.push(`${m.network} maps onto the integration bridge`)
    else if (findBridge(s, m.bridge) === undefined)
      problems.push(`${m.network} maps onto ${m.bridge}, which does not exist`)
  }
  if (problems.length === 0)
    return check('mappings.bridges', 'pass', `every mapping names an existing bridge (${mappings})`)
  return check(
    'mappings.bridges',
    'fail',
    problems.join('; '),
    'map each physical network onto an existing XAPI bridge other than the integration bridge: xapi-ovn setup --bridge-mappings physnet:xenbr0',
  )
}

function checkEncapIp(ip: string | undefined, addresses: readonly string[]): Check {
  if (ip === undefined) return check('encap-ip.local', 'fail', 'ovn-encap-ip is not set', CONFIGURE_HINT)
  if (addresses.some((a) => a.toLowerCase() === ip.toLowerCase()))
    return check('encap-ip.local', 'pass', `ovn-encap-ip ${ip} is an address of this host`)
  return check(
    'encap-ip.local',
    'fail',
    `ovn-encap-ip ${ip} is not an address of this host (${addresses.join(', ') || 'none'})`,
    "use the IP of this host's transport PIF (by default the management interface): xapi-ovn setup picks it",
  )
}

/**
 * dom0's firewall rejects what RH-Firewall-1-INPUT does not list, Geneve included (docs/platform.md,
 * "dom0 has a firewall"); the host agent opens each encap port in xapi-INPUT with xapi's
 * firewall-port (host-agent/firewall.ts). With the kernel datapath tunnel packets pass INPUT, so
 * a missing rule means no tunnel from another chassis reaches this one.
 */
function checkFirewall(ext: ReadonlyMap<string, string>, fw: XapiChainFacts): Check {
  const want = wantedFirewallPorts(ext)
  if (want.length === 0)
    return check('firewall.encap', 'pass', 'no encapsulation configured by xapi-ovn: no firewall port needed')
  const labels = want.map(portLabel).join(', ')
  if (!fw.available)
    return check(
      'firewall.encap',
      'warn',
      `cannot read dom0's firewall (${fw.error}): the encap ports ${labels} may be closed`,
      `check that iptables works as root (iptables -S ${XAPI_INPUT_CHAIN}) and that the xapi-ovn host agent runs (systemctl status xapi-ovn-agent)`,
    )
  const rules = effectiveRules(fw.rules)
  const missing = want.filter((p) => !rules.some((r) => isAcceptRule(r, p)))
  if (missing.length === 0)
    return check('firewall.encap', 'pass', `${XAPI_INPUT_CHAIN} accepts the encap ports ${labels}`)
  return check(
    'firewall.encap',
    'fail',
    `${XAPI_INPUT_CHAIN} does not accept ${missing.map(portLabel).join(', ')}: dom0's firewall rejects tunnels from other chassis`,
    "the xapi-ovn host agent opens them with xapi's firewall-port: check that it runs on this host (systemctl status xapi-ovn-agent)",
  )
}

function isGuestPort(p: BridgePort): boolean {
  return p.kind === 'vif' || p.kind === 'tap'
}

/**
 * iface-id is what the host agent makes it (plan-iface-ids.ts): the VIF UUID on every VIF port,
 * the tap alone of an HVM vif+tap pair. On XCP-ng 8.3 nobody else writes it (docs/platform.md).
 */
function checkIfaceIds(s: ChassisSnapshot, ports: readonly BridgePort[]): Check {
  const guests = ports.filter(isGuestPort)
  const plan = planIfaceIds(s, { defaultBridge: DEFAULT_INTEGRATION_BRIDGE })
  const wrong = plan.changes.map((c) => `${c.name} (want ${c.ifaceId ?? 'none'})`)
  if (wrong.length > 0)
    return check(
      'vifs.iface-id',
      'fail',
      `VIF ports whose external_ids:iface-id is not yet what binds them: ${wrong.join(', ')}`,
      'the xapi-ovn host agent writes iface-id after every plug: check it runs (systemctl status xapi-ovn-agent)',
    )
  if (plan.skipped.length > 0)
    return check(
      'vifs.iface-id',
      'warn',
      `VIF ports left alone: ${plan.skipped.map((k) => `${k.name}: ${k.reason}`).join('; ')}`,
      'these ports were not plugged by xenopsd: remove them, or plug the VIF again through XAPI',
    )
  return check('vifs.iface-id', 'pass', `${guests.length} VIF ports, each with the iface-id that binds it`)
}

function checkHvmPairs(ports: readonly BridgePort[]): Check {
  const byVif = new Map<string, string[]>()
  for (const p of ports.filter(isGuestPort)) {
    const id = p.interfaces[0]?.externalIds.get(XS_VIF_UUID_KEY)
    if (id === undefined) continue
    byVif.set(id, [...(byVif.get(id) ?? []), p.port.name])
  }
  const pairs = [...byVif].filter(([, names]) => names.length > 1).map(([id, names]) => `${names.join('+')} (${id})`)
  if (pairs.length === 0) return check('vifs.hvm-pairs', 'pass', 'no VIF is on the bridge twice')
  return check(
    'vifs.hvm-pairs',
    'warn',
    `HVM guests with both an emulated (tap) and a PV (vif) port for one VIF: ${pairs.join(', ')}; the tap carries the traffic and the iface-id until the guest's PV drivers load and xenopsd removes it, then the vif takes both`,
    'expected while an HVM guest boots; if it lasts, install PV drivers in the guest',
  )
}

function checkControllerRunning(c: ControllerState, hostUuid: string): Check {
  if (c.running) return check('controller.running', 'pass', `ovn-controller is running (pid ${c.pid ?? '?'})`)
  return check(
    'controller.running',
    'fail',
    `ovn-controller is not running: ${c.error ?? 'no answer'}`,
    `start it once the XAPI bridge exists: xapi-ovn service start --host ${hostUuid}`,
  )
}

function checkControllerConnected(c: ControllerState, remote: string | undefined): Check {
  if (!c.running)
    return check('controller.connected', 'fail', 'ovn-controller is not running', 'see controller.running')
  if (c.connection === 'connected')
    return check(
      'controller.connected',
      'pass',
      `ovn-controller is connected to the southbound database (${remote ?? '?'})`,
    )
  return check(
    'controller.connected',
    'fail',
    `ovn-controller is ${c.connection ?? 'in an unknown state'} to ${remote ?? 'no remote'}`,
    "check that ovn-remote is reachable from this host and, for ssl:, that the SSL material matches the central's CA",
  )
}

function checkInstalled(ports: readonly BridgePort[], c: ControllerState): Check {
  const guests = ports.filter(isGuestPort)
  const installed = guests
    .filter((p) => p.interfaces[0]?.externalIds.get(OVN_INSTALLED_KEY) === 'true')
    .map((p) => p.port.name)
  const waiting = guests
    .filter((p) => p.interfaces[0]?.externalIds.get(OVN_INSTALLED_KEY) !== 'true')
    .map((p) => p.port.name)
  if (waiting.length === 0)
    return check(
      'vifs.installed',
      'pass',
      guests.length === 0
        ? 'no VIFs on the integration bridge yet'
        : `ovn-controller installed every VIF: ${installed.join(', ')}`,
    )
  const why = c.running ? 'no logical switch port of that name yet, or still binding' : 'ovn-controller is not running'
  return check(
    'vifs.installed',
    'warn',
    `not (yet) installed by ovn-controller: ${waiting.join(', ')} (${why})${installed.length ? `; installed: ${installed.join(', ')}` : ''}`,
    'create an OVN logical switch port named after each VIF UUID (xapi-ovn port attach)',
  )
}

const SSL_WARN_DAYS = 30

function checkSslMaterial(remote: string | undefined, ssl: SslFacts): Check {
  const usesSsl = (remote ?? '').split(',').some((r) => r.startsWith('ssl:'))
  if (ssl.problems.length > 0)
    return check(
      'ssl.material',
      'fail',
      `SSL material: ${ssl.problems.join('; ')}`,
      'have the CSR of xapi-ovn ssl request signed, run xapi-ovn setup --ssl-cert-dir DIR --ssl-ca-cert FILE, then xapi-ovn service restart',
    )
  if (!usesSsl)
    return check(
      'ssl.material',
      'pass',
      ssl.configured ? 'SSL material installed (no ssl: remote uses it)' : 'no ssl: remote, no SSL material needed',
    )
  if (!ssl.configured)
    return check(
      'ssl.material',
      'warn',
      'ovn-remote uses ssl: but xapi-ovn installed no SSL material for ovn-controller',
      'give setup the certificates (xapi-ovn ssl request, then xapi-ovn setup --ssl-cert-dir DIR --ssl-ca-cert FILE), unless ovn-controller gets its SSL options some other way',
    )
  if (ssl.certificateDaysLeft !== null && ssl.certificateDaysLeft < SSL_WARN_DAYS) {
    return check(
      'ssl.material',
      'warn',
      `the chassis certificate expires in ${ssl.certificateDaysLeft} days`,
      'have a new certificate signed for the CSR of xapi-ovn ssl request, then xapi-ovn setup --ssl-cert-dir DIR --ssl-ca-cert FILE',
    )
  }
  return check(
    'ssl.material',
    'pass',
    `SSL material installed for ovn-controller${ssl.certificateDaysLeft === null ? '' : ` (certificate valid ${ssl.certificateDaysLeft} more days)`}`,
  )
}

/**
 * An Open_vSwitch SSL row: Xen Orchestra's SDN controller makes xapi write one (xapi-ssl.pem and
 * sdn-controller-ca.pem, docs/platform.md), and ovn-controller then uses it instead of its
 * command-line material for every ssl: connection (ovn-org/ovn controller/ovn-controller.c). With
 * ssl: southbound remotes our key, certificate and CA are ignored: fail.
 */
function checkOvsSslTable(hasSslRow: boolean, remote: string | undefined): Check {
  if (!hasSslRow) return check('ssl.ovs-table', 'pass', 'the Open_vSwitch SSL table is not used')
  if ((remote ?? '').split(',').some((r) => r.trim().startsWith('ssl:')))
    return check(
      'ssl.ovs-table',
      'fail',
      "Open_vSwitch has an SSL row (Xen Orchestra's SDN controller makes xapi write one): ovn-controller uses it, not xapi-ovn's material, for its ssl: southbound connection, so it presents XAPI's host certificate and trusts only the SDN controller's CA",
      "run OVN's southbound over tcp: on a trusted management network while XO's SDN controller manages this pool, or remove the pool's SDN controller in Xen Orchestra (README, \"Xen Orchestra's SDN controller\")",
    )
  return check(
    'ssl.ovs-table',
    'warn',
    "Open_vSwitch has an SSL row (Xen Orchestra's SDN controller makes xapi write one): unused while the southbound remotes are tcp:, but an ssl: remote would use it instead of xapi-ovn's material",
    'keep tcp: southbound remotes while XO\'s SDN controller manages this pool (README, "Xen Orchestra\'s SDN controller")',
  )
}

/**
 * The persisted chassis configuration: what the host agent re-applies after a reboot (conf.db is
 * on tmpfs, docs/platform.md). Configured but not persisted means the next reboot loses the chassis.
 */
function checkPersisted(configured: boolean, p: PersistedFacts): Check {
  if (p.state === 'invalid')
    return check(
      'chassis.persisted',
      'fail',
      p.message,
      'run xapi-ovn setup again (configure rewrites the file), or xapi-ovn teardown to remove it',
    )
  if (p.state === 'absent')
    return configured
      ? check(
          'chassis.persisted',
          'warn',
          'configured, but nothing is persisted: after a reboot the host agent has nothing to re-apply and the chassis is gone',
          'run xapi-ovn setup again (configure persists its arguments)',
        )
      : check('chassis.persisted', 'pass', 'not configured, and nothing persisted')
  return configured
    ? check('chassis.persisted', 'pass', 'the configuration is persisted for the host agent to re-apply after a reboot')
    : check(
        'chassis.persisted',
        'warn',
        'a configuration is persisted but not applied: the host agent applies it once the bridge, the mapped bridges and the tunnel address exist',
        'systemctl status xapi-ovn-agent; journalctl -u xapi-ovn-agent says what it waits for',
      )
}

function checkBootDropIn(bootWait: boolean | null): Check {
  if (bootWait === null) return check('boot.drop-in', 'pass', 'no systemd on this host: boot ordering does not apply')
  if (bootWait)
    return check('boot.drop-in', 'pass', 'ovn-controller waits at boot for the XAPI bridge (xapi-ovn drop-in loaded)')
  return check(
    'boot.drop-in',
    'warn',
    'ovn-controller.service does not load the xapi-ovn drop-in: at boot it may start before XAPI recreates the bridge and make its own',
    'install the xapi-ovn RPM (it ships the drop-in), then systemctl daemon-reload',
  )
}

const MODE_HINT =
  'the XAPI-bridge way is the default and the one to choose (README, "The br-int way"): xapi-ovn setup without --integration-mode'

/**
 * Which integration mode this chassis is in (keys.ts INTEGRATION_MODES). The experimental ones
 * warn: they depend on the host agent more than the default does (README, "The br-int way").
 */
function checkIntegrationMode(s: ChassisSnapshot, bridgeName: string | undefined): Check {
  const mode = s.ovs.externalIds.get(MODE_KEY)
  const bridge = bridgeName ?? 'the integration bridge'
  if (mode === undefined)
    return check('integration.mode', 'pass', `xapi-bridge (the default): XAPI plugs VIFs onto its own bridge ${bridge}`)
  if (mode === 'unmanaged')
    return check(
      'integration.mode',
      'warn',
      `unmanaged (experimental): VIFs are plugged onto ${bridge} of an unmanaged XAPI network, which XAPI never makes: the host agent does (xapi-ovn-br-int.service at boot), and no VM on that network starts on this host without it`,
      MODE_HINT,
    )
  if (mode === 'reconcile') {
    const waiting = planPortMoves(s)?.names ?? []
    return check(
      'integration.mode',
      waiting.length > 0 ? 'fail' : 'warn',
      waiting.length > 0
        ? `reconcile (experimental): ${waiting.length} VIF port(s) still on XAPI's bridge, not on ${bridge}: ${waiting.join(', ')} (is the host agent running?)`
        : `reconcile (experimental): XAPI plugs VIFs onto its bridge and the host agent moves each to ${bridge}; while the agent is down, a VIF plugged does not bind`,
      waiting.length > 0 ? 'the host agent moves them: start xapi-ovn-agent.service on this host' : MODE_HINT,
    )
  }
  return check(
    'integration.mode',
    'fail',
    `unknown integration mode ${JSON.stringify(mode)} (external_ids:${MODE_KEY})`,
    MODE_HINT,
  )
}
