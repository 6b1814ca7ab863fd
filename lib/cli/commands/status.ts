/** xapi-ovn status: every chassis as its plugin sees it, and the VIFs on the OVN network. */
import { status } from '../../pool/driver.js'
import { addressFamilyOption, selectionOption, sslCredentialOption, transportOption } from '../args.js'
import { Command } from '../command.js'
import { onPool } from '../connections.js'
import { POOL_OPTIONS, stringOption, UsageError } from '../options.js'
import { ovsdbRemoteList } from '../../chassis/validators.js'
import { renderStatus } from '../render.js'

export const statusCommand = new Command('status', {
  summary: 'show every chassis, its bridge, ovn-controller and the VIFs on the OVN network',
  description: `Show each host's chassis as its ovn-chassis plugin sees it (configured keys, integration bridge,
ovn-controller), where setup would put its tunnel endpoint (as the tunnel endpoint options choose
it), and the VIFs on the OVN network with OVN-BOUND from the southbound's Port_Binding (read from
--sb, else from the chassis' own ovn-remote; an ssl: one with the -p/-c/-C client credential, as
ovn-sbctl takes it). Changes nothing.`,
  options: [
    'transport-network',
    'transport-device',
    'transport-vlan',
    'ip-family',
    'sb',
    'private-key',
    'certificate',
    'ca-cert',
    ...POOL_OPTIONS,
  ],
  exitStatus: '0 every host answered, 1 some host could not be asked, 2 usage error',
  async run(cx) {
    const transport = transportOption(cx.values)
    const addressFamily = addressFamilyOption(cx.values)
    const selection = selectionOption(cx.values)
    const given = stringOption(cx.values, 'sb') ?? cx.io.env.OVN_SB_DB
    const southbound = given === '' ? undefined : given
    if (southbound !== undefined) {
      const reason = ovsdbRemoteList(southbound)
      if (reason !== null) throw new UsageError(`--sb: ${reason}`)
    }
    const southboundSsl = await sslCredentialOption(
      cx.values,
      cx.io,
      'southbound',
      southbound === undefined ? null : [southbound],
    )
    return onPool(
      cx,
      (pool, onProgress) =>
        status(pool, {
          ...selection,
          ...(transport !== undefined ? { transport } : {}),
          ...(addressFamily !== undefined ? { addressFamily } : {}),
          ...(southbound !== undefined ? { southbound } : {}),
          ...(southboundSsl !== undefined ? { southboundSsl } : {}),
          ...(onProgress !== undefined ? { onProgress } : {}),
        }),
      renderStatus,
    )
  },
})
