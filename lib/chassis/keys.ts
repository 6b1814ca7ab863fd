/**
 * The Open_vSwitch external_ids keys that configure may set: ovn-controller's own documented keys
 * (ovn-controller(8)), under their own names, each with its validator. Anything else a caller
 * passes is rejected. `system-id` is not here: it comes from the host inventory, never from args.
 */
import * as v from './validators.js'

// ---- key names, defined once (ovn-controller's keys are also configure's argument names) ----

// Open_vSwitch external_ids keys of ovn-controller(8) that the rules read by name.
/** The southbound remote(s) ovn-controller connects to (`ssl:`/`tcp:`/`unix:`, comma-separated). */
export const KEY_REMOTE = 'ovn-remote'
/** The integration bridge: for xapi-ovn always the XAPI bridge of the OVN network. */
export const KEY_BRIDGE = 'ovn-bridge'
/** Tunnel encapsulation(s) of this chassis (`geneve`, `vxlan`, `stt`, comma-separated). */
export const KEY_ENCAP_TYPE = 'ovn-encap-type'
/** The tunnel endpoint address of this chassis: one of the host's own addresses. */
export const KEY_ENCAP_IP = 'ovn-encap-ip'
/** `physnet:bridge` pairs, comma-separated: where a localnet port of each physnet goes out. */
export const KEY_BRIDGE_MAPPINGS = 'ovn-bridge-mappings'

/**
 * Bridge external_ids of a bridge XAPI made for a network: `xs-network-uuids`, the network
 * UUID(s) `;`-separated (a bridge without it is not XAPI's: ovn-controller made it), and
 * `bridge-id`, the first of them, which ovs-xapi-sync sets (docs/platform.md).
 */
export const XS_NETWORK_UUIDS_KEY = 'xs-network-uuids'
export const BRIDGE_ID_KEY = 'bridge-id'

/**
 * Where xapi-ovn records, in Open_vSwitch external_ids, what it owns: a JSON object mapping each
 * key it has set to the value that key had before xapi-ovn first set it (null: absent), so
 * unconfigure can restore it.
 */
export const SAVED_KEY = 'xapi-ovn-saved'
/**
 * ovn-controller's chassis name (ovn-controller(8)); ovs-ctl sets it to the host's
 * INSTALLATION_UUID at every start (docs/platform.md). configure sets it only when it is absent
 * or when forced, and then owns it like any other key it set.
 */
export const SYSTEM_ID_KEY = 'system-id'
/** The XAPI network the integration bridge must belong to, when configure was told. */
export const NETWORK_KEY = 'xapi-ovn-network-uuid'

/**
 * How guest VIFs reach the integration bridge (issue 12; README "The br-int way"):
 * - `xapi-bridge` (the default): ovn-bridge is the XAPI bridge of the OVN network, VIFs are
 *   plugged onto it by xenopsd;
 * - `unmanaged` (experimental): an unmanaged XAPI network (`managed=false`, `bridge=br-int`):
 *   XAPI only checks that br-int exists and plugs VIFs into it (ocaml/xapi/xapi_network.ml
 *   attach_internal); the host agent makes br-int (lib/chassis/plan-integration-bridge.ts);
 * - `reconcile` (experimental, the seed's fallback): VIFs land on the OVN network's XAPI bridge
 *   and the host agent moves each port to br-int (lib/chassis/plan-port-moves.ts).
 * configure takes it as the control argument `integration-mode` and records a non-default one
 * in Open_vSwitch external_ids `xapi-ovn-integration-mode` (and on the bridge the agent makes).
 */
export const INTEGRATION_MODE_ARG = 'integration-mode'
export const INTEGRATION_MODES = ['xapi-bridge', 'unmanaged', 'reconcile'] as const
export type IntegrationMode = (typeof INTEGRATION_MODES)[number]
export const DEFAULT_INTEGRATION_MODE: IntegrationMode = 'xapi-bridge'
export const MODE_KEY = 'xapi-ovn-integration-mode'
export function isIntegrationMode(value: string): value is IntegrationMode {
  return (INTEGRATION_MODES as readonly string[]).includes(value)
}

/**
 * Interface external_ids on a VIF's port. xenopsd writes the `xs-*` keys and `attached-mac` at
 * every plug (ocaml/xenopsd/scripts/common.py); on XCP-ng 8.3 nobody writes `iface-id`
 * (docs/platform.md, "Nothing sets iface-id"): the host agent does, and ovn-controller binds
 * the logical switch port of that name (ovn-controller(8)).
 */
export const IFACE_ID_KEY = 'iface-id'
export const XS_VIF_UUID_KEY = 'xs-vif-uuid'
export const XS_VM_UUID_KEY = 'xs-vm-uuid'
/** The XAPI network of a VIF's port, as xenopsd plugged it. */
export const XS_NETWORK_UUID_KEY = 'xs-network-uuid'
/** The VIF's MAC as xenopsd plugged it (the guest's address, XAPI `VIF.MAC`). */
export const ATTACHED_MAC_KEY = 'attached-mac'
/** Set by ovn-controller once a port's flows are installed. */
export const OVN_INSTALLED_KEY = 'ovn-installed'
/** ovn-controller's default integration bridge, used when `ovn-bridge` is not set. */
export const DEFAULT_INTEGRATION_BRIDGE = 'br-int'

export interface ChassisKey {
  readonly name: string
  readonly validate: v.Validator
  readonly required?: boolean
  readonly default?: string
  readonly description: string
}

export const CHASSIS_KEYS: readonly ChassisKey[] = [
  {
    name: KEY_REMOTE,
    validate: v.ovsdbRemoteList,
    required: true,
    description: 'OVN southbound database remote(s), comma-separated',
  },
  {
    name: KEY_ENCAP_TYPE,
    validate: v.encapTypes,
    default: 'geneve',
    description: 'tunnel encapsulation(s): geneve, vxlan, stt',
  },
  { name: KEY_ENCAP_IP, validate: v.ipAddress, required: true, description: 'tunnel endpoint address of this host' },
  {
    name: KEY_BRIDGE,
    validate: v.bridgeName,
    required: true,
    description: 'the XAPI bridge used as the integration bridge',
  },
  { name: KEY_BRIDGE_MAPPINGS, validate: v.bridgeMappings, description: 'physnet:bridge pairs for localnet ports' },
  {
    name: 'ovn-bridge-datapath-type',
    validate: v.datapathType,
    description: 'datapath type of bridges ovn-controller creates',
  },
  {
    name: 'ovn-remote-probe-interval',
    validate: v.probeIntervalMs,
    description: 'SB inactivity probe, ms (0 disables)',
  },
  {
    name: 'ovn-openflow-probe-interval',
    validate: v.integer(0, 2147483),
    description: 'OpenFlow probe to the bridge, seconds',
  },
  {
    name: 'ovn-monitor-all',
    validate: v.boolean,
    description: 'monitor the whole SB instead of conditional monitoring',
  },
  { name: 'ovn-encap-csum', validate: v.boolean, description: 'checksums on tunnel packets' },
  { name: 'ovn-encap-tos', validate: v.encapTos, description: 'ToS of tunnel packets (0-255 or inherit)' },
  { name: 'ovn-encap-df_default', validate: v.boolean, description: "don't-fragment bit on tunnel packets" },
  { name: 'hostname', validate: v.hostname, description: 'chassis hostname reported to the SB' },
  { name: 'ovn-cms-options', validate: v.cmsOptions, description: 'options for the CMS, e.g. enable-chassis-as-gw' },
  { name: 'ovn-transport-zones', validate: v.nameList, description: 'transport zones of this chassis' },
  { name: 'ovn-chassis-mac-mappings', validate: v.chassisMacMappings, description: 'physnet:MAC pairs' },
  { name: 'ovn-is-interconn', validate: v.boolean, description: 'chassis is an interconnection gateway' },
  { name: 'ovn-match-northd-version', validate: v.boolean, description: 'wait for ovn-northd of the same version' },
  { name: 'ovn-enable-lflow-cache', validate: v.boolean, description: 'logical flow cache' },
  {
    name: 'ovn-limit-lflow-cache',
    validate: v.integer(0, 2147483647),
    description: 'logical flow cache size limit (entries)',
  },
  {
    name: 'ovn-memlimit-lflow-cache-kb',
    validate: v.integer(0, 2147483647),
    description: 'logical flow cache memory limit (KiB)',
  },
  {
    name: 'ovn-ofctrl-wait-before-clear',
    validate: v.integer(0, 2147483647),
    description: 'ms to wait before clearing flows at start',
  },
]

export const KEY_BY_NAME: ReadonlyMap<string, ChassisKey> = new Map(CHASSIS_KEYS.map((k) => [k.name, k]))

/** Keys that must be present for ovn-controller to register a chassis (ovn-controller(8)). */
export const REQUIRED_FOR_CHASSIS = [SYSTEM_ID_KEY, KEY_REMOTE, KEY_ENCAP_TYPE, KEY_ENCAP_IP] as const
