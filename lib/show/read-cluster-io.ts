/**
 * The central's state as `show` reports it: for each remote of a database (every member of a
 * cluster, as `--nb` / `--sb` list them) its own `_Server.Database` row - model, leader,
 * connected, cid, sid, index - asked over a connection of its own, so a member that is down or
 * cut off shows as such instead of being skipped; `cluster/status DB` over the ovsdb-servers'
 * control sockets; and ovn-northd's `status` over its control socket.
 *
 * What is read remotely and what only on the central host: the `_Server` rows come over the same
 * remotes as the data (tcp:, ssl:, unix:), from anywhere that reaches them. `cluster/status` and
 * northd's `status` are unixctl commands (lib/ovsdb/unixctl.ts): unix sockets, so only on the
 * central host itself (`--nb-ctl`, `--sb-ctl`, `--northd-ctl` PATH; none given, none read).
 * Failures are recorded per remote or socket, never thrown: they are what `show` reports.
 */
import { errorText } from '../error-text.js'
import { OvsdbClient } from '../ovsdb/client.js'
import { selectedRows } from '../ovsdb/row-values.js'
import { formatRemote, parseRemotes, type SslOptions } from '../ovsdb/remote.js'
import { selectServerDatabase, serverDatabaseFromRow } from '../ovsdb/server-database.js'
import { unixctlCall } from '../ovsdb/unixctl.js'
import type { ClusterSnapshot, ClusterStatusRead, MemberRead, NorthdRead } from './model.js'

export interface ReadClusterOptions {
  /** Per remote and per socket, ms (default 5000). */
  readonly timeoutMs?: number
  /** Key, certificate and CA for the ssl: members (the same as the data connections'). */
  readonly ssl?: SslOptions
}

const DEFAULT_TIMEOUT_MS = 5000

async function readMember(
  remote: string,
  database: string,
  timeoutMs: number,
  ssl: SslOptions | undefined,
): Promise<MemberRead> {
  let client: OvsdbClient | undefined
  try {
    client = await OvsdbClient.connect(remote, ssl === undefined ? { timeoutMs } : { timeoutMs, ssl })
    const [result] = await client.transact('_Server', [selectServerDatabase(database)])
    const row = selectedRows(result)[0]
    return row === undefined
      ? { remote, server: null, problem: `database ${database} is not served here` }
      : { remote, server: serverDatabaseFromRow(row), problem: null }
  } catch (err) {
    return { remote, server: null, problem: errorText(err) }
  } finally {
    await client?.close().catch(() => undefined)
  }
}

async function unixctlRead(socket: string, command: string, args: readonly string[], timeoutMs: number) {
  try {
    return { socket, text: await unixctlCall(socket, command, args, { timeoutMs }), problem: null }
  } catch (err) {
    return { socket, text: null, problem: errorText(err) }
  }
}

/** Every member's `_Server` row for `database` and `cluster/status` from each control socket. */
export async function readCluster(
  remotes: string,
  database: string,
  ctlSockets: readonly string[],
  options: ReadClusterOptions = {},
): Promise<ClusterSnapshot> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const each = parseRemotes(remotes).map(formatRemote)
  const [members, clusterStatus] = await Promise.all([
    Promise.all(each.map((r) => readMember(r, database, timeoutMs, options.ssl))),
    Promise.all(
      ctlSockets.map((s): Promise<ClusterStatusRead> => unixctlRead(s, 'cluster/status', [database], timeoutMs)),
    ),
  ])
  return { database, members, clusterStatus }
}

/** ovn-northd's `status` ("Status: active|standby|paused"), over its control socket. */
export function readNorthd(socket: string, options: ReadClusterOptions = {}): Promise<NorthdRead> {
  return unixctlRead(socket, 'status', [], options.timeoutMs ?? DEFAULT_TIMEOUT_MS)
}
