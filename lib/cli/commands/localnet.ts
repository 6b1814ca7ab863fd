/** xapi-ovn localnet add|list|del: logical switches onto provider networks (localnet ports, lib/nb). */
import { addLocalnetPort, deleteLocalnetPort, listLocalnetPorts } from '../../nb/index.js'
import { Command } from '../command.js'
import { withNorthbound } from '../connections.js'
import { flag, intOption, requiredString, stringOption } from '../options.js'
import { EXIT_OK } from '../output.js'
import { renderLocalnets } from '../render.js'

export const localnetCommand = new Command('localnet', {
  summary: 'provider networks on logical switches (localnet ports): add, list, del',
  description: `Provider networks on logical switches, as localnet ports in the northbound database. No pool
is needed. One physical network (and VLAN) has at most one localnet port: a second one would
loop every chassis's integration bridge to the provider bridge (a broadcast storm), so it is
refused and nothing is written.`,
  verbs: {
    add: {
      summary: 'connect a logical switch to a provider network (a localnet port)',
      description: `Add (or update) a localnet port: the switch reaches the physical network PHYSNET, which every
chassis maps onto one of its XAPI bridges with ovn-bridge-mappings (setup --bridge-mappings
PHYSNET:xenbr0). Traffic of such a switch between hosts goes over that network, not Geneve.
Without --name, a localnet port the switch already has for that network is the one meant:
nothing changes and its name is shown.`,
      options: ['switch', 'network-name', 'name', 'vlan', 'nb', 'json'],
      required: ['switch', 'network-name'],
      async run(cx) {
        const sw = requiredString(cx.values, 'switch')
        const networkName = requiredString(cx.values, 'network-name')
        const name = stringOption(cx.values, 'name')
        const vlan = intOption(cx.values, 'vlan', 1, 4094)
        return withNorthbound(cx, async (nb) => {
          const r = await addLocalnetPort(nb, sw, {
            networkName,
            ...(name !== undefined ? { name } : {}),
            ...(vlan !== undefined ? { vlan } : {}),
          })
          cx.out.result(
            r,
            () =>
              `localnet port ${r.name} (${r.uuid}) on ${sw} -> ${networkName}${vlan === undefined ? '' : ` VLAN ${vlan}`}: ${r.action}`,
          )
          return EXIT_OK
        })
      },
    },
    list: {
      summary: 'list the localnet ports',
      description: 'Every localnet port, with its switch, physical network and VLAN.',
      options: ['nb', 'json'],
      async run(cx) {
        return withNorthbound(cx, async (nb) => {
          const ports = await listLocalnetPorts(nb)
          cx.out.result(ports, () => renderLocalnets(ports))
          return EXIT_OK
        })
      },
    },
    del: {
      summary: 'remove a localnet port',
      description: `Remove localnet port NAME from its switch. A port of that name that is not a localnet port
(a VM's) is refused.`,
      options: ['name', 'if-exists', 'nb', 'json'],
      required: ['name'],
      async run(cx) {
        const name = requiredString(cx.values, 'name')
        return withNorthbound(cx, async (nb) => {
          const r = await deleteLocalnetPort(nb, name, { ifExists: flag(cx.values, 'if-exists') })
          cx.out.result(r, () =>
            r.removed === null
              ? `no localnet port ${name}: nothing to remove`
              : `localnet port ${r.removed.name} removed from ${r.removed.switchName}`,
          )
          return EXIT_OK
        })
      },
    },
  },
})
