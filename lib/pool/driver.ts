/**
 * The pool-wide driver: setup, verify, status and teardown of every host's chassis through the
 * ovn-chassis plugin (`host.call_plugin`), a bounded number of hosts at a time. One host's
 * failure (offline, no transport PIF, plugin missing, plugin refusing) is that host's outcome and
 * never stops the others. Pool-wide mistakes (a bad ovn-remote or mapping, an unusable network)
 * throw before anything is touched. Progress goes to `onProgress`; the driver never prints.
 */
import { parseConfigureArgs } from '../chassis/configure-args.js'
import type { Check } from '../chassis/verify.js'
import { InvalidArgumentError, isArgumentErrorCode, OvnNetworkError, XapiCallError, XapiOvnError } from '../errors.js'
import { mapBounded } from './bounded.js'
import { XapiPool, type ConnectOptions, type PoolState } from './connection.js'
import { failureFromCode, toFailure, type Failure } from './failures.js'
import {
  attachNetwork,
  ensureNetwork,
  findNetwork,
  hasSecureFailMode,
  selectNetwork,
  DEFAULT_NETWORK_NAME,
  FAIL_MODE_KEY,
  type NetworkSelection,
} from './ovn-network.js'
import {
  chassisArgs,
  checkChassisOptions,
  hostInfo,
  planHosts,
  rejectSharedEncapIps,
  selectHosts,
  shownArgs,
  type ChassisOptions,
  type HostInfo,
  type HostPlan,
} from './plan-setup.js'
import {
  parseChassisChange,
  parseChassisStatus,
  parseChassisVerify,
  PLUGIN,
  type ChassisChange,
  type ChassisStatus,
} from './plugin-replies.js'
import { parseVif, parseVm, type NetworkRecord } from './records.js'
import type {
  HostOutcome,
  MultiPoolResult,
  NetworkInfo,
  Operation,
  PoolInfo,
  PoolOutcome,
  ProgressEvent,
  ProgressListener,
  SetupHost,
  SetupNetwork,
  SetupResult,
  StatusHost,
  StatusResult,
  StatusVif,
  TeardownNetwork,
  TeardownResult,
  TransportInfo,
  VerifyResult,
} from './results.js'
import {
  chooseTransportPif,
  resolveTransportChoice,
  MANAGEMENT,
  type AddressFamily,
  type TransportChoice,
  type TransportEndpoint,
} from './transport-pif.js'

export const DEFAULT_CONCURRENCY = 8
export const MAX_CONCURRENCY = 64
export const MAX_WAIT_SECONDS = 600

export interface RunOptions {
  /** Hosts worked on at once (default 8). */
  readonly concurrency?: number
  readonly onProgress?: ProgressListener
  /** Only these hosts (uuid or name_label); default every host of the pool. */
  readonly hosts?: readonly string[]
  /** The OVN network by uuid or name_label (default `ovn-int`). */
  readonly network?: string
}

export interface SetupOptions extends ChassisOptions, RunOptions {
  /** Which PIF carries the tunnels (default the management PIF). */
  readonly transport?: TransportChoice
  readonly addressFamily?: AddressFamily
  /** Plan only: every host's plugin computes its changes, nothing is written anywhere. */
  readonly dryRun?: boolean
}

export interface VerifyOptions extends RunOptions {
  /** Seconds each host may wait for its checks to pass (0-600, default 0). */
  readonly wait?: number
}

export interface StatusOptions extends RunOptions {
  /** The transport choice to report per host (default the management PIF). */
  readonly transport?: TransportChoice
  readonly addressFamily?: AddressFamily
}

export interface TeardownOptions extends RunOptions {
  readonly dryRun?: boolean
  /** Also destroy the OVN network (default: leave it). Needs every host. */
  readonly removeNetwork?: boolean
}

/** A host failure decided before calling the host (plan failure, offline). */
class HostFailed extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message)
  }
}

class Run {
  constructor(
    readonly pool: XapiPool,
    readonly info: PoolInfo,
    readonly operation: Operation,
    readonly listener: ProgressListener | undefined,
  ) {}

  emit(event: ProgressEvent): void {
    if (this.listener === undefined) return
    try {
      this.listener(event)
    } catch {
      // A listener's own failure must not change the outcome of the run.
    }
  }

  /** Call a plugin function on a host; the answer is the Success Value string. */
  plugin(host: HostInfo, fn: string, args: Readonly<Record<string, string>>): Promise<unknown> {
    return this.pool.call('host.call_plugin', host.ref, PLUGIN, fn, args)
  }

  /**
   * `work` on each item's host, `concurrency` at a time, each outcome kept. Offline hosts are
   * reported without being called.
   */
  async eachHost<I extends { readonly host: HostInfo }, T>(
    items: readonly I[],
    concurrency: number,
    work: (item: I) => Promise<T>,
    verdict: (value: T) => { changed: boolean | null; passed: boolean | null },
  ): Promise<HostOutcome<T>[]> {
    const base = { operation: this.operation, pool: this.info, total: items.length }
    return mapBounded(items, concurrency, async (item): Promise<HostOutcome<T>> => {
      const { host } = item
      this.emit({ type: 'host-started', ...base, host })
      try {
        if (!host.live) throw new HostFailed(failureFromCode('HOST_OFFLINE', [host.ref]))
        const value = await work(item)
        this.emit({ type: 'host-finished', ...base, host, ...verdict(value) })
        return { host, ok: true, value }
      } catch (err) {
        const error = err instanceof HostFailed ? err.failure : toFailure(err)
        this.emit({ type: 'host-failed', ...base, host, error })
        return { host, ok: false, error }
      }
    })
  }
}

function poolInfo(pool: XapiPool, state: PoolState): PoolInfo {
  return { uuid: state.pool.uuid, name: state.pool.nameLabel, url: pool.url }
}

export function networkInfo(n: NetworkRecord): NetworkInfo {
  return {
    ref: n.ref,
    uuid: n.uuid,
    nameLabel: n.nameLabel,
    bridge: n.bridge,
    failMode: n.otherConfig[FAIL_MODE_KEY] ?? null,
  }
}

function transportInfo(t: TransportEndpoint): TransportInfo {
  return { pifUuid: t.pifUuid, device: t.device, vlan: t.vlan, kind: t.kind, ip: t.ip, family: t.family }
}

function checkConcurrency(value: number | undefined): number {
  const n = value ?? DEFAULT_CONCURRENCY
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY)
    throw new InvalidArgumentError('concurrency', String(value), `expected a whole number from 1 to ${MAX_CONCURRENCY}`)
  return n
}

function checkWait(value: number | undefined): number {
  const n = value ?? 0
  if (!Number.isInteger(n) || n < 0 || n > MAX_WAIT_SECONDS)
    throw new InvalidArgumentError('wait', String(value), `expected whole seconds from 0 to ${MAX_WAIT_SECONDS}`)
  return n
}

// ---------------------------------------------------------------------------------------------
// setup

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
export async function prepareSetup(pool: XapiPool, options: SetupOptions): Promise<PreparedSetup> {
  const concurrency = checkConcurrency(options.concurrency)
  const state = await pool.readState()
  const selection = selectNetwork(state.networks, options.network ?? DEFAULT_NETWORK_NAME)
  const network = 'found' in selection ? selection.found : null
  checkChassisOptions(options, state, network?.bridge ?? null)
  const choice = resolveTransportChoice(options.transport ?? MANAGEMENT, state.networks)
  const hosts = selectHosts(state, options.hosts)
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
    const ensured = await ensureNetwork(pool, selection)
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
      const args = chassisArgs(options, net.bridge, plan.transport.ip, net.uuid)
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
            err.xapiParams[0] === net.bridge
          ) {
            return {
              transport,
              args: shownArgs(args),
              chassis: null,
              pending: `bridge ${net.bridge} is not on this host yet: setup attaches the network first`,
            }
          }
          throw err
        }
      }
      await attachNetwork(pool, net.ref, plan.host.ref)
      const chassis = parseChassisChange(plan.host.name, 'configure', await run.plugin(plan.host, 'configure', args))
      return { transport, args: shownArgs(args), chassis, pending: null }
    },
    setupVerdict,
  )

  const ok = hosts.every((h) => h.ok)
  const changed =
    setupNetwork.action !== 'found' ||
    setupNetwork.failModeSet ||
    hosts.some((h) => h.ok && (h.value.chassis === null || h.value.chassis.changed))
  return { operation: 'setup', pool: info, dryRun, network: setupNetwork, hosts, ok, changed }
}

/**
 * Make every host of the pool an OVN chassis on the OVN network's XAPI bridge: check everything
 * first, ensure the network (created, fail mode secure), then on each host attach the network and
 * call the plugin's configure. Running it again changes nothing.
 */
export async function setup(pool: XapiPool, options: SetupOptions): Promise<SetupResult> {
  return runSetup(await prepareSetup(pool, options))
}

// ---------------------------------------------------------------------------------------------
// several pools

export interface PoolTarget {
  /** A connected pool, or how to connect (then the driver also closes it). */
  readonly pool: XapiPool | ConnectOptions
  /** Per-pool overrides of the shared options (transport, network, hosts, ...). */
  readonly options?: Partial<SetupOptions>
}

function isArgumentError(err: unknown): boolean {
  return err instanceof XapiOvnError && isArgumentErrorCode(err.code)
}

function targetUrl(target: PoolTarget): string {
  return target.pool instanceof XapiPool ? target.pool.url : target.pool.url
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
        const url = targets[i] === undefined ? '' : targetUrl(targets[i] as PoolTarget)
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

// ---------------------------------------------------------------------------------------------
// verify

function networkChecks(state: PoolState, selector: string): { network: NetworkRecord | null; checks: Check[] } {
  let network: NetworkRecord | null
  try {
    network = findNetwork(state.networks, selector)
  } catch (err) {
    if (!(err instanceof OvnNetworkError)) throw err
    return {
      network: null,
      checks: [
        {
          id: 'network.usable',
          status: 'fail',
          message: err.message,
          hint: 'name the OVN network by uuid with --network, or run xapi-ovn setup',
        },
      ],
    }
  }
  if (network === null) {
    return {
      network,
      checks: [
        {
          id: 'network.exists',
          status: 'fail',
          message: `no network named ${selector} in this pool`,
          hint: 'run xapi-ovn setup (it creates the network), or name it with --network',
        },
      ],
    }
  }
  const checks: Check[] = [
    {
      id: 'network.exists',
      status: 'pass',
      message: `network ${network.nameLabel} (${network.uuid}) has bridge ${network.bridge} and no PIF`,
      hint: null,
    },
  ]
  checks.push(
    hasSecureFailMode(network)
      ? { id: 'network.fail-mode', status: 'pass', message: `other_config ${FAIL_MODE_KEY}=secure`, hint: null }
      : {
          id: 'network.fail-mode',
          status: 'fail',
          message: `other_config ${FAIL_MODE_KEY} is ${network.otherConfig[FAIL_MODE_KEY] ?? 'absent'}: XAPI creates the bridge in standalone mode, flooding until ovn-controller takes it`,
          hint: `run xapi-ovn setup again, or xe network-param-set uuid=${network.uuid} other-config:${FAIL_MODE_KEY}=secure`,
        },
  )
  return { network, checks }
}

/** Run the plugin's checks on every host (waiting up to `wait` seconds each), plus the network's. */
export async function verify(pool: XapiPool, options: VerifyOptions = {}): Promise<VerifyResult> {
  const concurrency = checkConcurrency(options.concurrency)
  const wait = checkWait(options.wait)
  const state = await pool.readState()
  const info = poolInfo(pool, state)
  const { network, checks } = networkChecks(state, options.network ?? DEFAULT_NETWORK_NAME)
  const run = new Run(pool, info, 'verify', options.onProgress)
  const items = selectHosts(state, options.hosts).map((h) => ({ host: hostInfo(state, h) }))
  const args: Record<string, string> = wait > 0 ? { wait: String(wait) } : {}
  const hosts = await run.eachHost(
    items,
    concurrency,
    async ({ host }) => parseChassisVerify(host.name, await run.plugin(host, 'verify', args)),
    (v) => ({ changed: null, passed: v.ok }),
  )
  const ok = checks.every((c) => c.status !== 'fail') && hosts.every((h) => h.ok && h.value.ok)
  return { operation: 'verify', pool: info, network: network === null ? null : networkInfo(network), checks, hosts, ok }
}

// ---------------------------------------------------------------------------------------------
// status

/** Every host's chassis as its plugin sees it, where setup would put its tunnel, and the VIFs on the OVN network. */
export async function status(pool: XapiPool, options: StatusOptions = {}): Promise<StatusResult> {
  const concurrency = checkConcurrency(options.concurrency)
  const state = await pool.readState()
  const info = poolInfo(pool, state)
  const network = findNetwork(state.networks, options.network ?? DEFAULT_NETWORK_NAME)
  const choice = resolveTransportChoice(options.transport ?? MANAGEMENT, state.networks)
  const run = new Run(pool, info, 'status', options.onProgress)
  const items = selectHosts(state, options.hosts).map((h) => ({ host: hostInfo(state, h), record: h }))
  const hosts = await run.eachHost(
    items,
    concurrency,
    async ({ host, record }): Promise<StatusHost> => {
      const chassis: ChassisStatus = parseChassisStatus(host.name, await run.plugin(host, 'status', {}))
      let transport: TransportInfo | null = null
      let transportProblem: string | null = null
      try {
        transport = transportInfo(
          chooseTransportPif(record, state.pifs.values(), choice, options.addressFamily ?? 'auto'),
        )
      } catch (err) {
        transportProblem = toFailure(err).message
      }
      return {
        chassis,
        transport,
        transportProblem,
        onOvnNetwork: network !== null && chassis.keys['ovn-bridge'] === network.bridge,
      }
    },
    () => ({ changed: null, passed: null }),
  )
  const vifs = network === null ? [] : await readVifs(pool, state, network, hosts, concurrency)
  return {
    operation: 'status',
    pool: info,
    network: network === null ? null : { ...networkInfo(network), vifs },
    hosts,
    ok: hosts.every((h) => h.ok),
  }
}

async function readVifs(
  pool: XapiPool,
  state: PoolState,
  network: NetworkRecord,
  hosts: readonly HostOutcome<StatusHost>[],
  concurrency: number,
): Promise<StatusVif[]> {
  const read = await mapBounded(network.vifs, concurrency, async (ref): Promise<StatusVif | null> => {
    let vif: ReturnType<typeof parseVif>
    let vm: ReturnType<typeof parseVm>
    try {
      vif = parseVif(ref, await pool.call('VIF.get_record', ref))
      vm = parseVm(vif.vm, await pool.call('VM.get_record', vif.vm))
    } catch (err) {
      // Gone between the two reads: nothing to report.
      if (err instanceof XapiCallError && err.xapiCode === 'HANDLE_INVALID') return null
      throw err
    }
    const hostRecord = vm.residentOn === null ? undefined : state.hosts.get(vm.residentOn)
    const outcome = hostRecord === undefined ? undefined : hosts.find((h) => h.host.ref === hostRecord.ref)
    const port =
      outcome?.ok === true
        ? outcome.value.chassis.ports.find((p) => p.vifUuid === vif.uuid || p.ifaceId === vif.uuid)
        : undefined
    return {
      uuid: vif.uuid,
      device: vif.device,
      mac: vif.mac,
      vmUuid: vm.uuid,
      vmName: vm.nameLabel,
      powerState: vm.powerState,
      currentlyAttached: vif.currentlyAttached,
      host: hostRecord === undefined ? null : hostInfo(state, hostRecord).name,
      ovnInstalled: outcome?.ok === true ? port?.ovnInstalled === true : null,
    }
  })
  return read.filter((v): v is StatusVif => v !== null)
}

// ---------------------------------------------------------------------------------------------
// teardown

/**
 * Give back, on every host, every Open vSwitch key setup set (the plugin's unconfigure restores
 * the values they had). The network stays unless `removeNetwork`, which needs every host done.
 */
export async function teardown(pool: XapiPool, options: TeardownOptions = {}): Promise<TeardownResult> {
  const concurrency = checkConcurrency(options.concurrency)
  const dryRun = options.dryRun === true
  const removeNetwork = options.removeNetwork === true
  if (removeNetwork && options.hosts !== undefined && options.hosts.length > 0) {
    throw new InvalidArgumentError(
      'remove-network',
      'true',
      'the network can only be removed together with every host, not with a host list',
    )
  }
  const state = await pool.readState()
  const info = poolInfo(pool, state)
  const selector = options.network ?? DEFAULT_NETWORK_NAME
  let network: NetworkRecord | null = null
  try {
    network = findNetwork(state.networks, selector)
  } catch (err) {
    if (removeNetwork || !(err instanceof OvnNetworkError)) throw err
  }
  const run = new Run(pool, info, 'teardown', options.onProgress)
  const items = selectHosts(state, options.hosts).map((h) => ({ host: hostInfo(state, h) }))
  const args: Record<string, string> = dryRun ? { 'dry-run': 'true' } : {}
  const hosts = await run.eachHost(
    items,
    concurrency,
    async ({ host }): Promise<ChassisChange> =>
      parseChassisChange(host.name, 'unconfigure', await run.plugin(host, 'unconfigure', args)),
    (v) => ({ changed: v.changed, passed: null }),
  )

  let net: TeardownNetwork
  const shown = network === null ? null : networkInfo(network)
  if (network === null) net = { action: 'absent', network: null, reason: null }
  else if (!removeNetwork) net = { action: 'kept', network: shown, reason: null }
  else if (!hosts.every((h) => h.ok))
    net = {
      action: 'not-destroyed',
      network: shown,
      reason: 'not every host could be torn down: run teardown again once they are back',
    }
  else if (dryRun)
    net = {
      action: 'would-destroy',
      network: shown,
      reason:
        network.vifs.length > 0 ? `${network.vifs.length} VIF(s) are on it: XAPI refuses while any is plugged` : null,
    }
  else {
    try {
      await pool.call('network.destroy', network.ref)
      net = { action: 'destroyed', network: shown, reason: null }
      run.emit({
        type: 'network',
        operation: 'teardown',
        pool: info,
        action: 'destroyed',
        nameLabel: network.nameLabel,
        network: shown,
      })
    } catch (err) {
      net = { action: 'not-destroyed', network: shown, reason: toFailure(err).message }
    }
  }
  const ok = hosts.every((h) => h.ok) && net.action !== 'not-destroyed'
  const changed =
    hosts.some((h) => h.ok && h.value.changed) || net.action === 'destroyed' || net.action === 'would-destroy'
  return { operation: 'teardown', pool: info, dryRun, network: net, hosts, ok, changed }
}
