/**
 * What the pool driver returns and the progress events it emits while it works. Plain data:
 * JSON.stringify gives the CLI's --json output as is.
 */
import type { Check } from '../chassis/verify.js'
import type { Failure } from './failures.js'
import type { HostInfo } from './plan-setup.js'
import type { ChassisChange, ChassisStatus, ChassisVerify } from './plugin-replies.js'
import type { PowerState } from './records.js'
import type { TransportEndpoint } from './transport-pif.js'

export type Operation = 'setup' | 'verify' | 'status' | 'teardown' | 'ssl-request' | 'service' | 'repair'

export interface PoolInfo {
  readonly uuid: string
  readonly name: string
  /** The pool master URL the driver talks to. */
  readonly url: string
}

/** One host's outcome: the operation's value, or why it could not be done there. */
export type HostOutcome<T> =
  | { readonly host: HostInfo; readonly ok: true; readonly value: T }
  | { readonly host: HostInfo; readonly ok: false; readonly error: Failure }

export interface NetworkInfo {
  readonly ref: string
  readonly uuid: string
  readonly nameLabel: string
  readonly bridge: string
  /** other_config vswitch-controller-fail-mode, null when absent. */
  readonly failMode: string | null
}

export type TransportInfo = Omit<TransportEndpoint, 'pifRef' | 'networkRef'>

export interface SetupNetwork {
  /** found: it existed; created: setup made it; would-create: dry run, it does not exist yet. */
  readonly action: 'found' | 'created' | 'would-create'
  /** The network's name_label (also when it is still to be created). */
  readonly nameLabel: string
  /** null only for would-create. */
  readonly network: NetworkInfo | null
  /** The fail-mode key was (dry run: would be) added or corrected. */
  readonly failModeSet: boolean
}

export interface SetupHost {
  readonly transport: TransportInfo
  /** The configure arguments sent (SSL material redacted). */
  readonly args: Readonly<Record<string, string>>
  /** The plugin's answer; null in a dry run when the bridge is not on the host yet. */
  readonly chassis: ChassisChange | null
  /** Why a dry run has no plugin plan for this host, else null. */
  readonly pending: string | null
}

/** A key a setup run removes (dry run: would remove) from a host: set before, not asked for now. */
export interface SetupRemoval {
  readonly host: string
  readonly key: string
  readonly from: string
}

export interface SetupResult {
  readonly operation: 'setup'
  readonly pool: PoolInfo
  readonly dryRun: boolean
  /** First, so no one misses them: every key this run removes (or would), per host. */
  readonly removals: readonly SetupRemoval[]
  readonly network: SetupNetwork
  readonly hosts: readonly HostOutcome<SetupHost>[]
  /** Every host succeeded. */
  readonly ok: boolean
  /** Something was (dry run: would be) changed: the network or any host. */
  readonly changed: boolean
}

export interface VerifyResult {
  readonly operation: 'verify'
  readonly pool: PoolInfo
  readonly network: NetworkInfo | null
  /** Pool-wide checks (the OVN network), same shape as the hosts' checks. */
  readonly checks: readonly Check[]
  readonly hosts: readonly HostOutcome<ChassisVerify>[]
  /** No pool check failed, and every host answered and passed. */
  readonly ok: boolean
}

export interface StatusVif {
  readonly uuid: string
  readonly device: string
  readonly mac: string
  readonly vmUuid: string
  readonly vmName: string
  readonly powerState: PowerState
  readonly currentlyAttached: boolean
  /** The host the VM runs on, null when halted. */
  readonly host: string | null
  /** ovn-controller installed the port on that host (null: that host did not say). */
  readonly ovnInstalled: boolean | null
  /** The chassis the southbound binds the port on ('' unbound; null: the southbound was not read). */
  readonly boundOn: string | null
  /** Bound on the chassis of the host XAPI says (null: the southbound was not read). */
  readonly ovnBound: boolean | null
}

export interface StatusNetwork extends NetworkInfo {
  readonly vifs: readonly StatusVif[]
}

export interface StatusHost {
  readonly chassis: ChassisStatus
  /** Where setup would put the tunnel endpoint now, or null with `transportProblem`. */
  readonly transport: TransportInfo | null
  readonly transportProblem: string | null
  /** The chassis uses the OVN network's bridge as its integration bridge. */
  readonly onOvnNetwork: boolean
}

export interface StatusResult {
  readonly operation: 'status'
  readonly pool: PoolInfo
  readonly network: StatusNetwork | null
  readonly hosts: readonly HostOutcome<StatusHost>[]
  /** Why OVN-BOUND is unknown (the southbound was not read), else null. */
  readonly bindingsProblem: string | null
  /** Every host answered. */
  readonly ok: boolean
}

export interface TeardownNetwork {
  /** kept: left in place (default); destroyed; would-destroy (dry run); not-destroyed: asked, but refused or a host failed; absent: there is none. */
  readonly action: 'kept' | 'destroyed' | 'would-destroy' | 'not-destroyed' | 'absent'
  readonly network: NetworkInfo | null
  readonly reason: string | null
}

/** One host's teardown: the keys given back (or, dry run, to give back) and its ovn-controller. */
export interface TeardownHost extends ChassisChange {
  /** ovn-controller was running when teardown looked (plugin `status`); null: not asked. */
  readonly controllerRunning: boolean | null
  /** It was stopped first (--stop-controller, the plugin's `service action=stop`). */
  readonly controllerStopped: boolean
}

export interface TeardownResult {
  readonly operation: 'teardown'
  readonly pool: PoolInfo
  readonly dryRun: boolean
  readonly network: TeardownNetwork
  readonly hosts: readonly HostOutcome<TeardownHost>[]
  /** Every host succeeded (and the network went, when asked). */
  readonly ok: boolean
  readonly changed: boolean
}

/** One pool of a multi-pool run: its result, or why the pool could not be worked on at all. */
export type PoolOutcome<R> =
  | { readonly url: string; readonly ok: true; readonly result: R }
  | { readonly url: string; readonly ok: false; readonly error: Failure }

export interface MultiPoolResult<R> {
  readonly pools: readonly PoolOutcome<R>[]
  /** Every pool could be reached and its result is ok. */
  readonly ok: boolean
}

export type ProgressEvent =
  | {
      readonly type: 'network'
      readonly operation: Operation
      readonly pool: PoolInfo
      readonly action: 'found' | 'created' | 'fail-mode-set' | 'would-create' | 'destroyed'
      readonly nameLabel: string
      readonly network: NetworkInfo | null
    }
  | (HostEventBase & { readonly type: 'host-started' })
  | (HostEventBase & {
      readonly type: 'host-finished'
      readonly changed: boolean | null
      readonly passed: boolean | null
    })
  | (HostEventBase & { readonly type: 'host-failed'; readonly error: Failure })

export interface HostEventBase {
  readonly operation: Operation
  readonly pool: PoolInfo
  readonly host: HostInfo
  /** How many hosts this run works on. */
  readonly total: number
}

export type ProgressListener = (event: ProgressEvent) => void
