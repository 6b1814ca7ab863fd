/**
 * Open the host's own Open_vSwitch database for the length of one plugin call.
 */
import { OvsdbClient } from '../../lib/ovsdb/client.js'
import { OvsdbUnavailableError } from '../../lib/errors.js'
import { missingOvsRundir, type PluginContext } from '../context.js'

const DB_TIMEOUT_MS = 10_000
// The chassis rules normalise values themselves (setItems/stringMap), so the client need not
// fetch the large Open_vSwitch schema on every call just to type the select results.

export async function withLocalDb<T>(ctx: PluginContext, fn: (db: OvsdbClient) => Promise<T>): Promise<T> {
  let db: OvsdbClient
  try {
    db = await OvsdbClient.connect(ctx.paths.ovsDbRemote, { timeoutMs: DB_TIMEOUT_MS, typedDecode: false })
  } catch (err) {
    // Say why when it is the whole run directory that is missing, not just the socket.
    if (err instanceof OvsdbUnavailableError) throw missingOvsRundir(ctx.paths) ?? err
    throw err
  }
  try {
    return await fn(db)
  } finally {
    // Ended, not waited for: every reply we needed is in, and the plugin exits as soon as its
    // own reply is written (plugin/main.ts), which closes the socket anyway. Waiting for
    // ovsdb-server's side of the close only made every call longer (with the direct write of
    // the reply, ~1 ms of a configure on Node 16, bench/plugin.ts).
    void db.close()
  }
}
