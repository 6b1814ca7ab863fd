/**
 * `show`: read the snapshots - XAPI, OVN_Northbound, OVN_Southbound (in parallel), and the
 * central's RAFT and northd state - then join them with the one pure planner (plan-show.ts).
 * Changes nothing anywhere. The caller owns the connections (lib/cli/commands/show.ts opens
 * and closes them).
 */
import type { NbTransactor } from '../nb/snapshot.js'
import type { SslOptions } from '../ovsdb/remote.js'
import type { XapiPool } from '../pool/connection.js'
import { NB_DB_NAME, SB_DB_NAME, type ShowView } from './model.js'
import { planShow } from './plan-show.js'
import { readCluster, readNorthd } from './read-cluster-io.js'
import { readNbShowSnapshot } from './read-nb-io.js'
import { readSbShowSnapshot, type SbTransactor } from './read-sb-io.js'
import { readXapiSnapshot } from './read-xapi-io.js'

export interface ShowOptions {
  /** Every NB remote (each member's `_Server` row is read on its own connection). */
  readonly nbRemotes: string
  readonly sbRemotes: string
  /** The ovsdb-servers' control sockets for `cluster/status` (on the central host only). */
  readonly nbCtl?: readonly string[]
  readonly sbCtl?: readonly string[]
  /** ovn-northd's control socket for `status`. */
  readonly northdCtl?: string
  /** The OVN network, uuid or name (default ovn-int). */
  readonly network?: string
  /** Ask each host's plugin for its ports (stale ovn-installed); default true. */
  readonly hostPorts?: boolean
  readonly concurrency?: number
  /** Per cluster member and control socket, ms. */
  readonly timeoutMs?: number
  /** Key, certificate and CA for ssl: members (each member's `_Server` row is its own connection). */
  readonly ssl?: SslOptions
}

export async function showPool(
  pool: XapiPool,
  nb: NbTransactor,
  sb: SbTransactor,
  options: ShowOptions,
): Promise<ShowView> {
  const timing = {
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
  }
  const [xapi, nbSnap, sbSnap, nbCluster, sbCluster, northd] = await Promise.all([
    readXapiSnapshot(pool, {
      ...(options.network !== undefined ? { network: options.network } : {}),
      ...(options.hostPorts !== undefined ? { hostPorts: options.hostPorts } : {}),
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    }),
    readNbShowSnapshot(nb),
    readSbShowSnapshot(sb),
    readCluster(options.nbRemotes, NB_DB_NAME, options.nbCtl ?? [], timing),
    readCluster(options.sbRemotes, SB_DB_NAME, options.sbCtl ?? [], timing),
    options.northdCtl === undefined ? Promise.resolve(null) : readNorthd(options.northdCtl, timing),
  ])
  return planShow({ xapi, nb: nbSnap, sb: sbSnap, nbCluster, sbCluster, northd })
}
