/**
 * What a plugin function is given besides its arguments: where the local daemons' sockets and
 * files are, a logger, and a clock. Built once per call from the environment; xapi gives the
 * plugin only PATH, so in production every path is the default and the overrides exist for the
 * lab (emulated hosts in network namespaces, each with its own run directories) and tests.
 */
import { statSync } from 'node:fs'
import { systemClock } from '../lib/clock.js'
import { DEFAULT_STATE_DIR } from '../lib/chassis/persisted-config-io.js'
import { OvsdbUnavailableError } from '../lib/errors.js'
import { openFileLogger, logPathFromEnv } from '../lib/log.js'
import type { Logger } from '../lib/log.js'

export type { Logger } from '../lib/log.js'

export interface PluginPaths {
  /** Open vSwitch run directory ($OVS_RUNDIR, default /var/run/openvswitch); our lock files live here too. */
  readonly ovsRundir: string
  /** OVN run directory ($OVN_RUNDIR, default /var/run/ovn): ovn-controller's pid file and unixctl socket. */
  readonly ovnRundir: string
  /** The local Open_vSwitch database remote, always `unix:<ovsRundir>/db.sock`. */
  readonly ovsDbRemote: string
  /** XAPI host inventory ($XENSOURCE_INVENTORY, default /etc/xensource-inventory): INSTALLATION_UUID. */
  readonly inventory: string
  /** Where OVN's files on the host live ($XAPI_OVN_ETC_DIR, default /etc/ovn). */
  readonly ovnEtcDir: string
  /**
   * xapi-ovn's own persistent state ($XAPI_OVN_STATE_DIR, default /etc/xapi-ovn): the chassis
   * configuration the host agent re-applies after a reboot (lib/chassis/persisted-config.ts).
   */
  readonly stateDir: string
  /**
   * xapi's firewall-port plugin ($XAPI_OVN_FIREWALL_PORT, default DEFAULT_FIREWALL_PORT), which
   * opens and closes dom0 ports (xapi-project/xen-api scripts/plugins/firewall-port): the host
   * agent opens the encapsulation ports with it, unconfigure closes them.
   */
  readonly firewallPort: string
}

export const DEFAULT_FIREWALL_PORT = '/etc/xapi.d/plugins/firewall-port'

export interface PluginContext {
  readonly paths: PluginPaths
  /** The call's log (lines carry fn=<name>); never stdout. */
  readonly log: Logger
  readonly now: () => Date
  /** Wait this many ms (the pause before a retry); a fake in tests, so no test waits on a timer. */
  readonly sleep: (ms: number) => Promise<void>
}

/**
 * One function of the plugin. `args` are the call's string arguments (own properties only: use
 * `Object.prototype.hasOwnProperty.call(args, key)` to test presence). The resolved value is
 * JSON.stringify'd into the Success Value (undefined gives "null"); throw a XapiOvnError to
 * answer `Failure [code, ...params]`.
 */
export type PluginFunction = (args: Record<string, string>, ctx: PluginContext) => Promise<unknown>

export type Env = Readonly<Record<string, string | undefined>>

function fromEnv(env: Env, name: string, fallback: string): string {
  const v = env[name]
  return v !== undefined && v !== '' ? v : fallback
}

/** The paths named by the environment; unset or empty variables give the defaults. */
export function pathsFromEnv(env: Env): PluginPaths {
  const ovsRundir = fromEnv(env, 'OVS_RUNDIR', '/var/run/openvswitch')
  return {
    ovsRundir,
    ovnRundir: fromEnv(env, 'OVN_RUNDIR', '/var/run/ovn'),
    ovsDbRemote: `unix:${ovsRundir}/db.sock`,
    inventory: fromEnv(env, 'XENSOURCE_INVENTORY', '/etc/xensource-inventory'),
    ovnEtcDir: fromEnv(env, 'XAPI_OVN_ETC_DIR', '/etc/ovn'),
    stateDir: fromEnv(env, 'XAPI_OVN_STATE_DIR', DEFAULT_STATE_DIR),
    firewallPort: fromEnv(env, 'XAPI_OVN_FIREWALL_PORT', DEFAULT_FIREWALL_PORT),
  }
}

/**
 * The context of one plugin run. Without `overrides.log` this opens the log file named by
 * $XAPI_OVN_PLUGIN_LOG (default /var/log/xapi-ovn-plugin.log).
 */
export function contextFromEnv(
  env: Env,
  overrides: { log?: Logger; now?: () => Date; sleep?: (ms: number) => Promise<void> } = {},
): PluginContext {
  const now = overrides.now ?? (() => new Date())
  return {
    paths: pathsFromEnv(env),
    log: overrides.log ?? openFileLogger(logPathFromEnv(env), { now }),
    now,
    sleep: overrides.sleep ?? ((ms) => systemClock.sleep(ms)),
  }
}

/**
 * The answer when the Open vSwitch run directory is not there, else null. ovs-ctl creates it when
 * it starts ovsdb-server (it holds db.sock, and our lock files), so without it nothing of this
 * host's OVSDB can be reached: OVN_OVSDB_UNAVAILABLE, naming the directory and what to check,
 * rather than the bare ENOENT of whichever file we tried first.
 */
export function missingOvsRundir(paths: PluginPaths): OvsdbUnavailableError | null {
  try {
    if (statSync(paths.ovsRundir).isDirectory()) return null
  } catch {
    // absent, or not reachable: either way not a run directory we can use
  }
  return new OvsdbUnavailableError(
    paths.ovsDbRemote,
    `the Open vSwitch run directory ${paths.ovsRundir} does not exist: Open vSwitch is not running on this host (systemctl status openvswitch), or OVS_RUNDIR names another directory`,
  )
}
