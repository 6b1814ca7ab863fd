/** xapi-ovn setup: every host of the pool an OVN chassis on the OVN network's XAPI bridge. */
import { setup } from '../../pool/driver.js'
import {
  addressFamilyOption,
  chassisKeysOption,
  integrationModeOption,
  ovnRemoteOption,
  selectionOption,
  sslOption,
  transportOption,
} from '../args.js'
import { Command } from '../command.js'
import { onPool } from '../connections.js'
import { CONFIG_FLAGS, parseSetupConfig } from '../../pool/setup-config.js'
import { errorText } from '../../error-text.js'
import { flag, POOL_OPTIONS, stringOption, UsageError, type OptionValues } from '../options.js'
import type { CommandIo } from '../output.js'
import { renderSetup } from '../render.js'
import { setupRemovals } from '../render-removals.js'

/**
 * --config FILE: its values in place of the setup flags. Beside them it is refused, not merged:
 * a file that is the whole desired configuration and a flag that overrides part of it would make
 * two sources of truth (README "A setup file").
 */
async function withConfig(values: OptionValues, io: CommandIo): Promise<OptionValues> {
  const path = stringOption(values, 'config')
  if (path === undefined) {
    if (stringOption(values, 'ovn-remote') === undefined)
      throw new UsageError('--ovn-remote is required (or --config FILE)')
    return values
  }
  const given = CONFIG_FLAGS.filter((f) => values[f] !== undefined)
  if (given.length > 0)
    throw new UsageError(
      `--config is the whole configuration: put ${given.map((f) => `--${f}`).join(', ')} in the file instead of beside it`,
    )
  let text: string
  try {
    text = await io.readFile(path)
  } catch (err) {
    throw new UsageError(`--config ${path}: ${errorText(err)}`)
  }
  return { ...values, ...parseSetupConfig(text) }
}

export const setupCommand = new Command('setup', {
  summary: "make every host an OVN chassis on the OVN network's XAPI bridge",
  description: `Find or create the OVN network (default ovn-int) with vswitch-controller-fail-mode=secure, attach
it on every host, and set each host's ovn-controller keys through the ovn-chassis plugin, the
tunnel endpoint being the host's transport PIF. Everything is checked before anything is touched.
Running it again changes nothing. For ssl: remotes, run 'xapi-ovn ssl request --dir DIR' first,
have your CA sign each DIR/<host-uuid>.csr into DIR/<host-uuid>.pem, then pass --ssl-cert-dir DIR
and --ssl-ca-cert FILE: private keys stay on their hosts. A selected host without its certificate
stops setup before anything is touched.
Declarative: each run sets exactly the keys asked for; a key an earlier run set and this one does
not name is removed, and the run (and its --dry-run, first and in capitals) lists every such
removal. --config FILE gives the whole configuration as JSON instead of the flags (README "A
setup file"); it is not combined with them.`,
  synopsis: '--ovn-remote REMOTE [options] | --config FILE [options]',
  options: [
    'config',
    'ovn-remote',
    'encap-type',
    'bridge-mappings',
    'gateway-hosts',
    'set',
    'ssl-cert-dir',
    'ssl-ca-cert',
    'force-system-id',
    'integration-mode',
    'dry-run',
    'transport-network',
    'transport-device',
    'transport-vlan',
    'ip-family',
    ...POOL_OPTIONS,
  ],
  exitStatus: '0 every host configured, 1 some host (or the pool) failed, 2 usage error',
  async run(cx) {
    const values = await withConfig(cx.values, cx.io)
    const ovnRemote = ovnRemoteOption(values)
    const transport = transportOption(values)
    const addressFamily = addressFamilyOption(values)
    const chassisKeys = chassisKeysOption(values)
    const ssl = await sslOption(values, cx.io)
    const encapType = stringOption(values, 'encap-type')
    const bridgeMappings = stringOption(values, 'bridge-mappings')
    const gatewayHosts = stringOption(values, 'gateway-hosts')
    const selection = selectionOption(values)
    const integrationMode = integrationModeOption(values)
    return onPool(
      cx,
      (pool, onProgress) =>
        setup(pool, {
          ovnRemote,
          ...(encapType !== undefined ? { encapType } : {}),
          ...(bridgeMappings !== undefined ? { bridgeMappings } : {}),
          ...(chassisKeys !== undefined ? { chassisKeys } : {}),
          ...(gatewayHosts !== undefined ? { gatewayHosts: gatewayHosts.split(',').filter((h) => h !== '') } : {}),
          ...(ssl !== undefined ? { ssl } : {}),
          ...(transport !== undefined ? { transport } : {}),
          ...(addressFamily !== undefined ? { addressFamily } : {}),
          forceSystemId: flag(values, 'force-system-id'),
          ...(integrationMode !== undefined ? { integrationMode } : {}),
          dryRun: flag(values, 'dry-run'),
          ...selection,
          ...(onProgress !== undefined ? { onProgress } : {}),
        }),
      (r) => [...setupRemovals(r), renderSetup(r)].join('\n'),
    )
  },
})
