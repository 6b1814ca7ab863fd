/** xapi-ovn localnet add: a logical switch onto a provider network (a localnet port, lib/nb). */
import { addLocalnetPort } from '../../nb/index.js'
import { Command } from '../command.js'
import { withNorthbound } from '../connections.js'
import { intOption, requiredString, stringOption } from '../options.js'
import { EXIT_OK } from '../output.js'

export const localnetCommand = new Command('localnet', {
  summary: 'provider networks on logical switches (localnet ports): add',
  description: `Provider networks on logical switches, as localnet ports in the northbound database. No pool
is needed.`,
  verbs: {
    add: {
      summary: 'connect a logical switch to a provider network (a localnet port)',
      description: `Add (or update) a localnet port: the switch reaches the physical network PHYSNET, which every
chassis maps onto one of its XAPI bridges with ovn-bridge-mappings (setup --bridge-mappings
PHYSNET:xenbr0). Traffic of such a switch between hosts goes over that network, not Geneve.`,
      options: ['switch', 'network-name', 'name', 'vlan', 'nb', 'json'],
      required: ['switch', 'network-name'],
      async run(cx) {
        const sw = requiredString(cx.values, 'switch')
        const networkName = requiredString(cx.values, 'network-name')
        const name = stringOption(cx.values, 'name') ?? `provnet-${networkName}`
        const vlan = intOption(cx.values, 'vlan', 1, 4094)
        return withNorthbound(cx, async (nb) => {
          const r = await addLocalnetPort(nb, sw, { name, networkName, ...(vlan !== undefined ? { vlan } : {}) })
          cx.out.result(
            r,
            () =>
              `localnet port ${r.name} (${r.uuid}) on ${sw} -> ${networkName}${vlan === undefined ? '' : ` VLAN ${vlan}`}: ${r.action}`,
          )
          return EXIT_OK
        })
      },
    },
  },
})
