/**
 * Where the host agent finds what it works on: the plugin's paths (plugin/context.ts
 * `pathsFromEnv`), firewall-port included. Every path can be pointed elsewhere by an environment
 * variable, so an emulated lab host (a network namespace with its own directories) runs the same
 * bundle against its own files; on a real host every default applies. README, "Host paths",
 * lists them.
 */
import { pathsFromEnv, type Env, type PluginPaths } from '../plugin/context.js'

export type AgentPaths = PluginPaths

export function agentPathsFromEnv(env: Env): AgentPaths {
  return pathsFromEnv(env)
}
