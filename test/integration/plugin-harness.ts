/**
 * Call the bundled plugin dist/ovn-chassis on a lab host exactly as xapi does (xapi-emulator's
 * plugin runner: argv[1] the methodCall xml-light writes, PATH-only environment plus the host's
 * overrides, inside its network namespace), and see the outcome as an API caller does.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LabHost } from '../../lab/host.js'
import { callPlugin, execPlugin, interpretPluginOutput, pluginArgv } from '../../xapi-emulator/plugin-runner.js'
import { XapiApiError } from '../../xapi-emulator/api-error.js'

/** The repository's dist/, where `node build/plugin.mjs` (run by npm test) puts the bundle. */
export const DIST_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dist')

export type Outcome = { ok: true; value: unknown } | { ok: false; code: string; params: readonly string[] }

export async function call(host: LabHost, fn: string, args: Readonly<Record<string, string>> = {}): Promise<Outcome> {
  try {
    const text = await callPlugin(
      { pluginsDir: DIST_DIR, netns: host.netns, env: host.env() },
      'OpaqueRef:test-session',
      'ovn-chassis',
      fn,
      args,
    )
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch (e) {
    if (e instanceof XapiApiError) return { ok: false, code: e.code, params: e.params }
    throw e
  }
}

/** The Value of a call that must succeed. */
export async function value<T = Record<string, unknown>>(
  host: LabHost,
  fn: string,
  args: Readonly<Record<string, string>> = {},
): Promise<T> {
  const r = await call(host, fn, args)
  if (!r.ok) throw new Error(`${fn} failed: ${r.code} ${JSON.stringify(r.params)}`)
  return r.value as T
}

/** Run the plugin with a raw argv[1] (not necessarily a valid methodCall), as xapi would exec it. */
export async function callRaw(host: LabHost, argv1: string): Promise<Outcome> {
  const argv = pluginArgv({ pluginsDir: DIST_DIR, netns: host.netns, env: host.env() }, 'ovn-chassis', argv1)
  const exit = await execPlugin(argv)
  try {
    return { ok: true, value: JSON.parse(interpretPluginOutput(exit)) as unknown }
  } catch (e) {
    if (e instanceof XapiApiError) return { ok: false, code: e.code, params: e.params }
    throw e
  }
}
