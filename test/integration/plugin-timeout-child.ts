// Helper process for cli-plugin-timeout.test.ts (not a test itself): what a pool command of the
// CLI does around its work (lib/cli/connections.ts `onPool`): connect, call a host plugin, print
// the outcome, close; and then nothing: it must exit on its own. argv: URL PASSWORD HOST-REF
// PLUGIN PLUGIN-TIMEOUT-MS. Prints one JSON line: the error code the call failed with.
import { XapiPool } from '../../lib/pool/connection.js'
import { XapiOvnError } from '../../lib/errors.js'

const [url = '', password = '', host = '', plugin = '', timeoutMs = ''] = process.argv.slice(2)
const pool = await XapiPool.connect({ url, password, pluginTimeoutMs: Number(timeoutMs) })
let code = 'none'
try {
  await pool.call('host.call_plugin', host, plugin, 'verify', {})
} catch (err) {
  code = err instanceof XapiOvnError ? err.code : String(err)
} finally {
  await pool.close()
}
process.stdout.write(`${JSON.stringify({ code })}\n`)
