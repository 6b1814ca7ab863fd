/**
 * host.call_plugin: the plugin exec'd on a live host as xapi runs it (`plugin-runner.ts`), or
 * forwarded to a host that is another machine (HostBackend.forwardPluginCall).
 */
import { callPlugin, formatPluginCall, interpretPluginOutput } from '../plugin-runner.js'
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
      if (h.backend.forwardPluginCall !== undefined)
        return interpretPluginOutput(
          await h.backend.forwardPluginCall(str(plugin), formatPluginCall(str(fn), ctx.session, stringMap(args))),
        )
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
