/**
 * setup: make every host of a pool (or of several pools toward one central) an OVN chassis.
 * Pool-wide mistakes (a bad ovn-remote or mapping, an unusable network) throw before anything is
 * touched; a host's own problem is that host's outcome.
 */
import { parseConfigureArgs } from '../chassis/configure-args.js'
import { isArgumentErrorCode, XapiOvnError } from '../errors.js'
import { XapiCallError } from './errors.js'
import { XapiPool, type ConnectOptions } from './connection.js'
import { toFailure } from './failures.js'
import {
  attachNetwork,
  ensureNetwork,
  hasSecureFailMode,
  selectNetwork,
  DEFAULT_NETWORK_NAME,
  type NetworkSelection,
} from './ovn-network.js'
import {
  chassisArgs,
  checkChassisOptions,
  resolveGatewayHosts,
  checkSslMaterial,
  planHosts,
  rejectSharedEncapIps,
  selectHosts,
  shownArgs,
  type ChassisOptions,
  type HostPlan,
} from './plan-setup.js'
import { parseChassisChange } from './plugin-replies.js'
import type { NetworkRecord } from './records.js'
import type { MultiPoolResult, PoolInfo, PoolOutcome, SetupHost, SetupNetwork, SetupResult } from './results.js'
import { HostFailed, Run, checkConcurrency, networkInfo, poolInfo, transportInfo, type RunOptions } from './run.js'
import { resolveTransportChoice, MANAGEMENT, type AddressFamily, type TransportChoice } from './transport-pif.js'

export interface SetupOptions extends ChassisOptions, RunOptions {
  /** Which PIF carries the tunnels (default the management PIF). */
  readonly transport?: TransportChoice
  readonly addressFamily?: AddressFamily
  /** Plan only: every host's plugin computes its changes, nothing is written anywhere. */
  readonly dryRun?: boolean
}

/** A setup read and checked, nothing touched yet (see prepareSetup / runSetup). */
export interface PreparedSetup {
  readonly pool: XapiPool
  readonly info: PoolInfo
  readonly options: SetupOptions
  readonly selection: NetworkSelection
  readonly plans: readonly HostPlan[]
  readonly concurrency: number
}

/**
 * Read the pool and check everything setup will do, without touching anything: the options
 * (through the plugin's own parser), the network, the transport choice, each host's arguments.
 * Throws on a pool-wide mistake; a host's own problem is in its plan.
 */
export async function prepareSetup(pool: XapiPool, asked: SetupOptions): Promise<PreparedSetup> {
  const concurrency = checkConcurrency(asked.concurrency)
  const state = await pool.readState()
  // --gateway-hosts by name are made UUIDs once, so each host's arguments can say if it is one.
  const options = { ...asked, ...resolveGatewayHosts(asked, state) }
  const selection = selectNetwork(state.networks, options.network ?? DEFAULT_NETWORK_NAME, options.integrationMode)
  const network = 'found' in selection ? selection.found : null
  checkChassisOptions(options, state, network?.bridge ?? null)
  const choice = resolveTransportChoice(options.transport ?? MANAGEMENT, state.networks)
  const hosts = selectHosts(state, options.hosts)
  // Every selected host needs its own certificate: none missing before anything is touched.
  checkSslMaterial(options.ssl, hosts)
  const plans = planHosts(
    state,
    hosts,
    options,
    choice,
    options.addressFamily ?? 'auto',
    network?.bridge ?? null,
    network?.uuid ?? null,
  )
  return { pool, info: poolInfo(pool, state), options, selection, plans, concurrency }
}

function setupVerdict(v: SetupHost): { changed: boolean | null; passed: boolean | null } {
  return { changed: v.chassis === null ? true : v.chassis.changed, passed: null }
}

/** Carry out a prepared setup (or, with dryRun, ask every host for its plan). */
export async function runSetup(prepared: PreparedSetup): Promise<SetupResult> {
  const { pool, info, options, selection, plans, concurrency } = prepared
  const run = new Run(pool, info, 'setup', options.onProgress)
  const dryRun = options.dryRun === true
  const nameLabel = 'found' in selection ? selection.found.nameLabel : selection.create

  let network: NetworkRecord | null
  let setupNetwork: SetupNetwork
  if (dryRun) {
    network = 'found' in selection ? selection.found : null
    setupNetwork =
      network === null
        ? { action: 'would-create', nameLabel, network: null, failModeSet: true }
        : { action: 'found', nameLabel, network: networkInfo(network), failModeSet: !hasSecureFailMode(network) }
    run.emit({
      type: 'network',
      operation: 'setup',
      pool: info,
      action: network === null ? 'would-create' : 'found',
      nameLabel,
      network: network === null ? null : networkInfo(network),
    })
  } else {
    const ensured = await ensureNetwork(pool, selection, options.integrationMode)
    network = ensured.network
    setupNetwork = {
      action: ensured.created ? 'created' : 'found',
      nameLabel,
      network: networkInfo(network),
      failModeSet: ensured.failModeSet,
    }
    run.emit({
      type: 'network',
      operation: 'setup',
      pool: info,
      action: ensured.created ? 'created' : 'found',
      nameLabel,
      network: networkInfo(network),
    })
    if (ensured.failModeSet && !ensured.created)
      run.emit({
        type: 'network',
        operation: 'setup',
        pool: info,
        action: 'fail-mode-set',
        nameLabel,
        network: networkInfo(network),
      })
  }

  const net = network
  const unmanaged = options.integrationMode === 'unmanaged'
  const hosts = await run.eachHost(
    plans,
    concurrency,
    async (plan): Promise<SetupHost> => {
      if (!plan.ok) throw new HostFailed(plan.failure)
      const transport = transportInfo(plan.transport)
      if (net === null) {
        return {
          transport,
          args: shownArgs(plan.args),
          chassis: null,
          pending: `network ${nameLabel} does not exist yet: setup creates it and attaches it to this host first`,
        }
      }
      const args = chassisArgs(options, net.bridge, plan.transport.ip, net.uuid, plan.host.uuid)
      parseConfigureArgs(args)
      if (dryRun) {
        try {
          const chassis = parseChassisChange(
            plan.host.name,
            'configure',
            await run.plugin(plan.host, 'configure', { ...args, 'dry-run': 'true' }),
          )
          return { transport, args: shownArgs(args), chassis, pending: null }
        } catch (err) {
          if (
            err instanceof XapiCallError &&
            err.xapiCode === 'OVN_BRIDGE_MISSING' &&
            err.xapiParams[0] === args['ovn-bridge']
          ) {
            return {
              transport,
              args: shownArgs(args),
              chassis: null,
              pending:
                args['ovn-bridge'] === net.bridge && !unmanaged
                  ? `bridge ${net.bridge} is not on this host yet: setup attaches the network first`
                  : `bridge ${args['ovn-bridge']} is not on this host yet: configure makes it (${options.integrationMode} mode, experimental)`,
            }
          }
          throw err
        }
      }
      // unmanaged: XAPI never makes br-int; configure makes it, then network.attach is XAPI's
      // own check that it is there (BRIDGE_NOT_AVAILABLE otherwise).
      if (!unmanaged) await attachNetwork(pool, net.ref, plan.host.ref)
      const chassis = parseChassisChange(plan.host.name, 'configure', await run.plugin(plan.host, 'configure', args))
      if (unmanaged) await attachNetwork(pool, net.ref, plan.host.ref)
      return { transport, args: shownArgs(args), chassis, pending: null }
    },
    setupVerdict,
  )

  const ok = hosts.every((h) => h.ok)
  const changed =
    setupNetwork.action !== 'found' ||
    setupNetwork.failModeSet ||
    hosts.some((h) => h.ok && (h.value.chassis === null || h.value.chassis.changed))
  const removals = hosts.flatMap((h) =>
    h.ok && h.value.chassis !== null
      ? h.value.chassis.changes.flatMap((c) =>
          c.to === null && c.from !== null ? [{ host: h.host.name, key: c.key, from: c.from }] : [],
        )
      : [],
  )
  return { operation: 'setup', pool: info, dryRun, removals, network: setupNetwork, hosts, ok, changed }
}

/**
 * Make every host of the pool an OVN chassis on the OVN network's XAPI bridge: check everything
 * first, ensure the network (created, fail mode secure), then on each host attach the network and
 * call the plugin's configure. Running it again changes nothing.
 */
export async function setup(pool: XapiPool, options: SetupOptions): Promise<SetupResult> {
  return runSetup(await prepareSetup(pool, options))
}

export interface PoolTarget {
  /** A connected pool, or how to connect (then the driver also closes it). */
  readonly pool: XapiPool | ConnectOptions
  /** Per-pool overrides of the shared options (transport, network, hosts, ...). */
  readonly options?: Partial<SetupOptions>
}

function isArgumentError(err: unknown): boolean {
  return err instanceof XapiOvnError && isArgumentErrorCode(err.code)
}

/**
 * Set up several pools toward one OVN central at once. Every pool is read and checked before any
 * is touched (a bad option throws; tunnel addresses must be unique across all pools); a pool that
 * cannot be reached is that pool's outcome. One result per pool, each with one per host.
 */
export async function setupPools(
  targets: readonly PoolTarget[],
  options: SetupOptions,
): Promise<MultiPoolResult<SetupResult>> {
  const opened: XapiPool[] = []
  try {
    const connected = await Promise.all(
      targets.map(async (t): Promise<{ pool: XapiPool } | { error: unknown }> => {
        if (t.pool instanceof XapiPool) return { pool: t.pool }
        try {
          const pool = await XapiPool.connect(t.pool)
          opened.push(pool)
          return { pool }
        } catch (error) {
          return { error }
        }
      }),
    )
    const prepared = await Promise.all(
      connected.map(async (c, i): Promise<{ prepared: PreparedSetup } | { error: unknown }> => {
        if ('error' in c) return c
        try {
          return { prepared: await prepareSetup(c.pool, { ...options, ...targets[i]?.options }) }
        } catch (error) {
          return { error }
        }
      }),
    )
    const argumentError = prepared.find((p): p is { error: unknown } => 'error' in p && isArgumentError(p.error))
    if (argumentError !== undefined) throw argumentError.error

    // Tunnel endpoints must be unique across every pool driven toward the same central.
    const all = prepared.flatMap((p) => ('prepared' in p ? p.prepared.plans : []))
    const checked = rejectSharedEncapIps(all)
    let k = 0
    const final = prepared.map((p) => {
      if (!('prepared' in p)) return p
      const plans = p.prepared.plans.map(() => checked[k++] as HostPlan)
      return { prepared: { ...p.prepared, plans } }
    })

    const pools = await Promise.all(
      final.map(async (p, i): Promise<PoolOutcome<SetupResult>> => {
        const url = targets[i]?.pool.url ?? ''
        if ('error' in p) return { url, ok: false, error: toFailure(p.error) }
        try {
          return { url, ok: true, result: await runSetup(p.prepared) }
        } catch (error) {
          return { url, ok: false, error: toFailure(error) }
        }
      }),
    )
    return { pools, ok: pools.every((p) => p.ok && p.result.ok) }
  } finally {
    await Promise.all(opened.map((p) => p.close()))
  }
}
