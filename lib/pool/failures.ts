/**
 * What the driver reports when a host (or a pool) could not be handled: a code a program can
 * match on, its params, a sentence for people, and a hint saying what to do. Codes are XAPI's own
 * when XAPI refused (HOST_OFFLINE, XENAPI_MISSING_PLUGIN, ...), the plugin's when the plugin
 * refused (OVN_BRIDGE_MISSING, ...), ours otherwise. Pure.
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
  OVN_NO_TRANSPORT_PIF:
    'choose another PIF (--transport-network, --transport-device, --transport-vlan) or give this one an IP (xe pif-reconfigure-ip)',
  OVN_BRIDGE_MISSING: 'XAPI did not create the bridge on this host: check xcp-networkd there, then xe network-attach',
  OVN_BRIDGE_NOT_XAPI:
    'use the bridge of the OVN network (xe network-list params=bridge); if ovn-controller made it by itself, attach the network again (xe network-attach) and XAPI gives it its ids (xe host-call-plugin host-uuid=<host> plugin=ovn-chassis fn=repair says what is left)',
  OVN_SYSTEM_ID_MISMATCH:
    'if this host really replaces the chassis of that system-id, run setup with --force-system-id',
  OVN_INVENTORY_UNREADABLE: 'check /etc/xensource-inventory on the host',
  OVN_OVSDB_UNAVAILABLE: 'check that Open vSwitch runs on the host (systemctl status openvswitch)',
  OVN_CONCURRENT_CHANGE: 'something else changed Open vSwitch meanwhile: run the command again',
  OVN_BUSY: 'another xapi-ovn run is working on this host: run again once it is done',
  OVN_TIMEOUT: 'the host did not answer in time: check it, then run again',
  OVN_STATE_CORRUPT:
    'inspect external_ids:xapi-ovn-saved (ovs-vsctl get Open_vSwitch . external_ids) and repair or remove it',
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

export function hintFor(code: string): string | null {
  return HINTS[code] ?? null
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
    return { code: err.code, params: [...err.params], message: err.message, hint: hintFor(err.code) }
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
