/** host.call_plugin: the plugin exec'd on a live host as xapi runs it (`plugin-runner.ts`). */
import { callPlugin } from '../plugin-runner.js'
import { T } from '../schema.js'
import type { EmulatedHost } from '../emulator.js'
import { str, stringMap, type MethodRegistry } from './registry.js'

export function registerHostMethods<Guest>(
  registry: MethodRegistry,
  { liveHost }: { liveHost: (hostRef: string) => EmulatedHost<Guest> },
): void {
  registry.define('host.call_plugin', {
    session: true,
    async: true,
    params: [
      { name: 'host', type: T.ref('host') },
      { name: 'plugin', type: T.string },
      { name: 'fn', type: T.string },
      { name: 'args', type: T.stringMap },
    ],
    run: async (ctx, [host, plugin, fn, args]) => {
      const h = liveHost(str(host))
      return callPlugin(
        { pluginsDir: h.pluginsDir, netns: h.backend.netns, env: h.backend.env() },
        ctx.session,
        str(plugin),
        str(fn),
        stringMap(args),
      )
    },
  })
}
