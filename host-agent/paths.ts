/**
 * Where the host agent finds what it works on. Every path can be pointed elsewhere by an
 * environment variable, so an emulated lab host (a network namespace with its own directories)
 * runs the same bundle against its own files; on a real host every default applies. README,
 * "Host paths", lists them.
 */
import { pathsFromEnv, type Env, type PluginPaths } from '../plugin/context.js'

export interface AgentPaths extends PluginPaths {
  /** xapi's firewall-port plugin ($XAPI_OVN_FIREWALL_PORT), which opens and closes dom0 ports. */
  readonly firewallPort: string
}

export const DEFAULT_FIREWALL_PORT = '/etc/xapi.d/plugins/firewall-port'

export function agentPathsFromEnv(env: Env): AgentPaths {
  const fw = env.XAPI_OVN_FIREWALL_PORT
  return { ...pathsFromEnv(env), firewallPort: fw !== undefined && fw !== '' ? fw : DEFAULT_FIREWALL_PORT }
}
