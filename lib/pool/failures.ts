/**
 * What the driver reports when a host (or a pool) could not be handled: a code a program can
 * match on, its params, a sentence for people, and a hint saying what to do. Codes are XAPI's own
 * when XAPI refused (HOST_OFFLINE, XENAPI_MISSING_PLUGIN, ...), the plugin's when the plugin
 * refused (OVN_BRIDGE_MISSING, ...), ours otherwise. Pure.
 *
 * The hint depends on where the failure happened. A code that came back from a host (XAPI's, or
 * the plugin's inside an XAPI error) is about that host: OVN_OVSDB_UNAVAILABLE there means its
 * Open vSwitch. An error raised in this process is about what this process talks to: XAPI, and,
 * for any OVSDB code, the northbound database, which is the only OVSDB the library and the CLI
 * open (lib/cli/connections.ts, lib/nb/, lib/attach/; the hosts' Open vSwitch is reached only
 * through the plugin).
 */
import {
  BusyError,
  ConcurrentChangeError,
  InternalError,
  InvalidArgumentError,
  MissingArgumentError,
  OvsdbUnavailableError,
  TimeoutError,
  UnknownArgumentError,
  XapiOvnError,
} from '../errors.js'
import { XapiCallError } from './errors.js'
import {
  BridgeMissingError,
  BridgeNotXapiError,
  InventoryError,
  StateCorruptError,
  SystemIdMismatchError,
} from '../chassis/errors.js'
import { apiErrorOf } from './connection.js'
import { errorText } from '../error-text.js'

export interface Failure {
  readonly code: string
  readonly params: readonly string[]
  readonly message: string
  /** What to do about it, when we know. */
  readonly hint: string | null
}

const p = (params: readonly string[], i: number): string => params[i] ?? ''

/** Sentences for codes that arrive as bare [code, params] (from XAPI or from the plugin). */
const MESSAGES: Readonly<Record<string, (params: readonly string[]) => string>> = {
  HOST_OFFLINE: () => 'the host is offline: XAPI cannot reach it',
  XENAPI_MISSING_PLUGIN: (ps) => `the ${p(ps, 0) || 'ovn-chassis'} plugin is not installed on this host`,
  UNKNOWN_XENAPI_PLUGIN_FUNCTION: (ps) =>
    `the installed ovn-chassis plugin has no function ${p(ps, 0)}: it is older than this xapi-ovn`,
  XENAPI_PLUGIN_FAILURE: (ps) =>
    `the ovn-chassis plugin failed (${[p(ps, 0), p(ps, 1)]
      .filter((x) => x !== '')
      .join(': ')
      .slice(0, 300)})`,
  SESSION_INVALID: () => 'the XAPI session expired or was closed',
  HANDLE_INVALID: (ps) => `XAPI no longer knows ${p(ps, 0)} ${p(ps, 1)} (was it removed meanwhile?)`,
  // An unmanaged network's bridge missing on the host (ocaml/xapi/xapi_network.ml attach_internal).
  BRIDGE_NOT_AVAILABLE: (ps) =>
    `bridge ${p(ps, 0)} of an unmanaged XAPI network does not exist on this host, and XAPI never makes it`,
  OVN_BRIDGE_MISSING: (ps) => new BridgeMissingError(p(ps, 0)).message,
  OVN_BRIDGE_NOT_XAPI: (ps) => new BridgeNotXapiError(p(ps, 0), p(ps, 1)).message,
  OVN_SYSTEM_ID_MISMATCH: (ps) => new SystemIdMismatchError(p(ps, 0), p(ps, 1)).message,
  OVN_INVENTORY_UNREADABLE: (ps) => new InventoryError(p(ps, 0), p(ps, 1)).message,
  OVN_OVSDB_UNAVAILABLE: (ps) => new OvsdbUnavailableError(p(ps, 0), p(ps, 1)).message,
  OVN_CONCURRENT_CHANGE: (ps) => new ConcurrentChangeError(p(ps, 0)).message,
  OVN_BUSY: (ps) => new BusyError(p(ps, 0)).message,
  OVN_TIMEOUT: (ps) => new TimeoutError(p(ps, 0), Number(p(ps, 1))).message,
  OVN_STATE_CORRUPT: (ps) => new StateCorruptError(p(ps, 0)).message,
  OVN_INVALID_ARGUMENT: (ps) => new InvalidArgumentError(p(ps, 0), p(ps, 1), p(ps, 2)).message,
  OVN_UNKNOWN_ARGUMENT: (ps) => new UnknownArgumentError(p(ps, 0)).message,
  OVN_MISSING_ARGUMENT: (ps) => new MissingArgumentError(p(ps, 0)).message,
  OVN_INTERNAL: (ps) => new InternalError(p(ps, 0)).message,
}

const HINTS: Readonly<Record<string, string>> = {
  HOST_OFFLINE:
    'bring the host back (or remove it from the pool), then run the same command again; the other hosts are not affected',
  XENAPI_MISSING_PLUGIN: 'install the xapi-ovn RPM on this host: it puts ovn-chassis in /etc/xapi.d/plugins',
  UNKNOWN_XENAPI_PLUGIN_FUNCTION: 'update the xapi-ovn RPM on this host',
  XENAPI_PLUGIN_FAILURE: 'see /var/log/xapi-ovn-plugin.log on the host',
  SESSION_INVALID: 'run the command again',
  BRIDGE_NOT_AVAILABLE:
    'the unmanaged integration mode: the host agent (and at boot xapi-ovn-br-int.service) makes br-int; check that xapi-ovn-agent runs on this host, then run the same command again',
  OVN_NO_TRANSPORT_PIF:
    'choose another PIF (--transport-network, --transport-device, --transport-vlan) or give this one an IP in XAPI (PIF.reconfigure_ip)',
  OVN_BRIDGE_MISSING:
    'XAPI did not create the bridge on this host: check xcp-networkd there, then run xapi-ovn setup again (it attaches the OVN network on every host)',
  OVN_BRIDGE_NOT_XAPI:
    'run xapi-ovn setup again: it configures the bridge of the OVN network and attaches the network, and XAPI gives a bridge ovn-controller made by itself its ids (xapi-ovn repair --dry-run says what is left)',
  OVN_SYSTEM_ID_MISMATCH:
    'if this host really replaces the chassis of that system-id, run setup with --force-system-id',
  OVN_INVENTORY_UNREADABLE: 'check /etc/xensource-inventory on the host',
  // From a host, these are about its Open vSwitch; raised here, NORTHBOUND_HINTS say what they mean.
  OVN_OVSDB_UNAVAILABLE: 'check that Open vSwitch runs on the host (systemctl status openvswitch)',
  OVN_CONCURRENT_CHANGE: 'something else changed Open vSwitch on the host meanwhile: run the command again',
  OVN_BUSY: 'another xapi-ovn run is working on this host: run again once it is done',
  OVN_TIMEOUT: 'the host did not answer in time: check it, then run again',
  OVN_STATE_CORRUPT:
    "the host's Open_vSwitch external_ids:xapi-ovn-saved is damaged: mend or remove that key on the host, then run the command again (xapi-ovn status shows the keys xapi-ovn owns)",
  OVN_INVALID_ARGUMENT: 'fix the value named above',
  OVN_UNKNOWN_ARGUMENT: 'the plugin on this host does not know this argument: update the xapi-ovn RPM',
  OVN_MISSING_ARGUMENT: 'give the argument named above',
  OVN_PLUGIN_REPLY_INVALID: 'the plugin and this xapi-ovn do not match: install the same version on the host',
  OVN_XAPI_UNREACHABLE: 'check the URL and that the pool master is up and reachable',
  OVN_XAPI_CERTIFICATE:
    "install the pool master's certificate authority, or (knowingly) allow unauthorized certificates",
  OVN_XAPI_AUTH_FAILED: 'check the user and password',
  OVN_XAPI_RECORD_INVALID: 'XAPI sent a record this xapi-ovn does not understand: report it with the XAPI version',
  OVN_NETWORK_UNUSABLE: 'name an internal network (no PIF) by uuid, or let setup create one',
  OVN_INTERNAL: 'a bug in xapi-ovn: please report it with this message',
}

/** The northbound remote, said once for the hints below. */
const NB_REMOTE = 'the --nb remote (or OVN_NB_DB)'
/** The northbound cluster's members and leader, as xapi-ovn shows them (README, "One view of everything"). */
const NB_CLUSTER_STATUS = 'xapi-ovn show --nb REMOTE --sb REMOTE names every member and the leader'
const NB_REFUSED =
  'the northbound ovsdb-server refused the transaction and nothing was written; the details above say why'
const NB_BUG =
  'the northbound ovsdb-server refused a request this xapi-ovn formed: a bug, please report it with this message and the OVN version'
const NB_SCHEMA =
  'the OVN_Northbound schema at the --nb remote lacks what this xapi-ovn uses: upgrade OVN central, or check that --nb names the northbound database'

/**
 * Hints for codes raised in this process, where OVSDB means the northbound database (see the
 * comment at the top). Codes not listed fall back to HINTS.
 */
const NORTHBOUND_HINTS: Readonly<Record<string, string>> = {
  OVN_OVSDB_UNAVAILABLE: `check ${NB_REMOTE}: the northbound ovsdb-server must listen there and be reachable from here; give every member of a RAFT cluster, and check that it has a leader (${NB_CLUSTER_STATUS})`,
  OVN_OVSDB_REQUEST_TIMEOUT: `the northbound ovsdb-server did not answer in time: check its load and, for a cluster, its leader (${NB_CLUSTER_STATUS}), then run again`,
  OVN_OVSDB_PROTOCOL_ERROR: `${NB_REMOTE} did not answer as an OVSDB server: check that it names the northbound ovsdb-server (port 6641 by default; 6642 is the southbound)`,
  OVN_OVSDB_UNKNOWN_DATABASE: `the server at ${NB_REMOTE} has no OVN_Northbound database: point it at the northbound ovsdb-server, not the southbound one`,
  OVN_OVSDB_NOT_ALLOWED: `the northbound ovsdb-server is read-only (an active-backup standby?): point ${NB_REMOTE} at the active server`,
  OVN_OVSDB_PERMISSION_ERROR: `the northbound ovsdb-server does not let this connection write (a role on its remote?): use a remote that allows writes`,
  OVN_OVSDB_CLUSTER_ERROR: `the northbound cluster could not commit (no leader, no quorum?): check its members (${NB_CLUSTER_STATUS}), then run again`,
  OVN_OVSDB_CANCELED:
    'the northbound ovsdb-server dropped the transaction (its leader or schema changed): run the command again',
  OVN_OVSDB_WAIT_FAILED:
    'something else (a change by hand, another xapi-ovn, the pool agent) changed the northbound database meanwhile and nothing was written: run the command again',
  OVN_CONCURRENT_CHANGE:
    'something else (a change by hand, another xapi-ovn, the pool agent) kept changing the northbound database and nothing was written: run the command again',
  OVN_OVSDB_CONSTRAINT_VIOLATION: NB_REFUSED,
  OVN_OVSDB_REFERENTIAL_INTEGRITY_VIOLATION: NB_REFUSED,
  OVN_OVSDB_RESOURCES_EXHAUSTED: NB_REFUSED,
  OVN_OVSDB_IO_ERROR: `${NB_REFUSED}: the northbound server could not write its database file, check its disk and log`,
  OVN_OVSDB_TIMED_OUT: NB_REFUSED,
  OVN_OVSDB_ERROR: NB_REFUSED,
  OVN_OVSDB_ABORTED: NB_REFUSED,
  OVN_OVSDB_NOT_SUPPORTED: NB_REFUSED,
  OVN_OVSDB_NOT_OWNER: NB_REFUSED,
  OVN_OVSDB_INTERNAL_ERROR: `${NB_REFUSED}; see the northbound ovsdb-server's log`,
  OVN_OVSDB_SERVER_ERROR: `${NB_REFUSED}; see the northbound ovsdb-server's log`,
  OVN_OVSDB_CONSISTENCY_VIOLATION: NB_BUG,
  OVN_OVSDB_DUPLICATE_UUID: NB_BUG,
  OVN_OVSDB_DUPLICATE_UUID_NAME: NB_BUG,
  OVN_OVSDB_DOMAIN_ERROR: NB_BUG,
  OVN_OVSDB_RANGE_ERROR: NB_BUG,
  OVN_OVSDB_SYNTAX_ERROR: NB_BUG,
  OVN_OVSDB_UNKNOWN_METHOD: NB_BUG,
  OVN_OVSDB_INVALID_PARAMETERS: NB_BUG,
  OVN_OVSDB_UNKNOWN_MONITOR: NB_BUG,
  OVN_OVSDB_DUPLICATE_MONITOR_ID: NB_BUG,
  OVN_OVSDB_UNKNOWN_FUNCTION: NB_BUG,
  OVN_OVSDB_UNKNOWN_MUTATOR: NB_BUG,
  OVN_OVSDB_UNKNOWN_TABLE: NB_SCHEMA,
  OVN_OVSDB_UNKNOWN_COLUMN: NB_SCHEMA,
  OVN_OVSDB_INVALID_VALUE:
    'the northbound database holds a value this xapi-ovn cannot read: report it with the OVN version',
  OVN_OVSDB_INTEGER_OUT_OF_RANGE:
    'the northbound database holds an integer this xapi-ovn cannot read exactly: report it with the OVN version',
}

/** Hints for the codes only the northbound operations and `port attach` raise, wherever seen. */
const NB_OPERATION_HINTS: Readonly<Record<string, string>> = {
  OVN_NB_SWITCH_MISSING: 'see the switches with xapi-ovn switch list, or create it with xapi-ovn switch add',
  OVN_NB_SWITCH_AMBIGUOUS: 'name the switch by its UUID (xapi-ovn switch list shows them)',
  OVN_NB_SWITCH_NOT_EMPTY: 'detach its ports first (xapi-ovn port detach), or delete it with them (--force)',
  OVN_NB_SWITCH_NO_SUBNET:
    'give the switch a subnet (xapi-ovn switch add --switch SWITCH --subnet CIDR), or give static addresses (--ip)',
  OVN_NB_PORT_CONFLICT:
    'the port is already used elsewhere: detach it there first (xapi-ovn port detach), or use another VIF (--device)',
  OVN_NB_PORT_MISSING: 'see the ports with xapi-ovn port list --switch SWITCH',
  OVN_NB_ADDRESS_CONFLICT:
    "give an address inside the switch's subnet that no other port has (xapi-ovn port list --switch SWITCH shows them)",
  OVN_NB_LOCALNET_LOOP: 'use the existing localnet port, remove it first, or give another VLAN (--vlan)',
  OVN_NB_SG_MISSING: 'see the northbound security groups with xapi-ovn sg list, or create it with xapi-ovn sg add',
  OVN_NB_SG_FOREIGN:
    "that port group is not xapi-ovn's: pick another security group name, or remove the port group if it is stale",
  OVN_NB_SG_IN_USE:
    'detach its ports first (xapi-ovn sg detach), or --force; delete the rules of other groups that name it first',
  OVN_NB_SG_RULE_MISSING:
    'see the rules in the northbound with xapi-ovn sg list (a rule is named by the same options it was added with)',
  OVN_NB_ROUTER_MISSING:
    "see the northbound's routers with xapi-ovn router list, or create it with xapi-ovn router add",
  OVN_NB_ROUTER_AMBIGUOUS: "name the router by its UUID (xapi-ovn router list shows the northbound's routers)",
  OVN_NB_ROUTER_FOREIGN:
    'that router belongs to another CMS of this northbound: use a router made with xapi-ovn router add',
  OVN_NB_ROUTER_ATTACHED: 'see which switch is on which router with xapi-ovn router list; router detach it there first',
  OVN_NB_ROUTER_NOT_EMPTY:
    'router detach its switches and fip del its floating IPs first, or delete it with them (--force)',
  OVN_NB_ROUTER_NO_GATEWAY:
    "attach the port's switch to a router (xapi-ovn router attach) and give that router a gateway (xapi-ovn router gateway)",
  OVN_NB_NOT_PROVIDER: 'give the provider switch its localnet port first (xapi-ovn localnet add)',
  OVN_NB_FIP_CONFLICT: 'pick a free address of the provider network (xapi-ovn fip list shows the ones in use)',
  OVN_ATTACH_IN_DOUBT: `check the northbound database (${NB_REMOTE} reachable, the cluster's leader: ${NB_CLUSTER_STATUS}), then run the same attach again: it settles it`,
}

/** Every code with a hint of its own, wherever seen (for the table test of hint texts). */
export const HINTED_CODES: readonly string[] = [
  ...new Set([...Object.keys(HINTS), ...Object.keys(NORTHBOUND_HINTS), ...Object.keys(NB_OPERATION_HINTS)]),
]

/** Where a failure happened: on a host (a code XAPI or the plugin returned), or in this process. */
export type FailureOrigin = 'host' | 'local'

/** The hint for `code`; `origin` decides what an OVSDB code is about (the top comment). */
export function hintFor(code: string, origin: FailureOrigin = 'host'): string | null {
  return (origin === 'local' ? NORTHBOUND_HINTS[code] : undefined) ?? NB_OPERATION_HINTS[code] ?? HINTS[code] ?? null
}

/** A failure from a bare XAPI/plugin [code, ...params]. */
export function failureFromCode(code: string, params: readonly string[]): Failure {
  const message = MESSAGES[code]?.(params) ?? `${code}(${params.join(', ')})`
  return { code, params: [...params], message, hint: hintFor(code) }
}

/**
 * Any error as a Failure. An XAPI API error (XapiCallError or a raw xen-api error) keeps XAPI's
 * code and params; our own coded errors keep theirs; anything else is OVN_INTERNAL.
 */
export function toFailure(err: unknown): Failure {
  if (err instanceof XapiCallError) return failureFromCode(err.xapiCode, err.xapiParams)
  if (err instanceof XapiOvnError)
    return { code: err.code, params: [...err.params], message: err.message, hint: hintFor(err.code, 'local') }
  const api = apiErrorOf(err)
  if (api !== null) return failureFromCode(api.code, api.params)
  const message = errorText(err)
  return {
    code: 'OVN_INTERNAL',
    params: [message],
    message: `internal error: ${message}`,
    hint: hintFor('OVN_INTERNAL'),
  }
}
