/** xapi-ovn setup: every host of the pool an OVN chassis on the OVN network's XAPI bridge. */
import { setup } from '../../pool/driver.js'
import {
  addressFamilyOption,
  chassisKeysOption,
  ovnRemoteOption,
  selectionOption,
  sslOption,
  transportOption,
} from '../args.js'
import { Command } from '../command.js'
import { onPool } from '../connections.js'
import { flag, POOL_OPTIONS, stringOption } from '../options.js'
import { renderSetup } from '../render.js'

export const setupCommand = new Command('setup', {
  summary: "make every host an OVN chassis on the OVN network's XAPI bridge",
  description: `Find or create the OVN network (default ovn-int) with vswitch-controller-fail-mode=secure, attach
it on every host, and set each host's ovn-controller keys through the ovn-chassis plugin, the
tunnel endpoint being the host's transport PIF. Everything is checked before anything is touched.
Running it again changes nothing. For ssl: remotes, run 'xapi-ovn ssl request --dir DIR' first,
have your CA sign each DIR/<host-uuid>.csr into DIR/<host-uuid>.pem, then pass --ssl-cert-dir DIR
and --ssl-ca-cert FILE: private keys stay on their hosts. A selected host without its certificate
stops setup before anything is touched.`,
  options: [
    'ovn-remote',
    'encap-type',
    'bridge-mappings',
    'set',
    'ssl-cert-dir',
    'ssl-ca-cert',
    'force-system-id',
    'dry-run',
    'transport-network',
    'transport-device',
    'transport-vlan',
    'ip-family',
    ...POOL_OPTIONS,
  ],
  required: ['ovn-remote'],
  exitStatus: '0 every host configured, 1 some host (or the pool) failed, 2 usage error',
  async run(cx) {
    const { values } = cx
    const ovnRemote = ovnRemoteOption(values)
    const transport = transportOption(values)
    const addressFamily = addressFamilyOption(values)
    const chassisKeys = chassisKeysOption(values)
    const ssl = await sslOption(values, cx.io)
    const encapType = stringOption(values, 'encap-type')
    const bridgeMappings = stringOption(values, 'bridge-mappings')
    const selection = selectionOption(values)
    return onPool(
      cx,
      (pool, onProgress) =>
        setup(pool, {
          ovnRemote,
          ...(encapType !== undefined ? { encapType } : {}),
          ...(bridgeMappings !== undefined ? { bridgeMappings } : {}),
          ...(chassisKeys !== undefined ? { chassisKeys } : {}),
          ...(ssl !== undefined ? { ssl } : {}),
          ...(transport !== undefined ? { transport } : {}),
          ...(addressFamily !== undefined ? { addressFamily } : {}),
          forceSystemId: flag(values, 'force-system-id'),
          dryRun: flag(values, 'dry-run'),
          ...selection,
          ...(onProgress !== undefined ? { onProgress } : {}),
        }),
      renderSetup,
    )
  },
})
