/** xapi-ovn switch add|list|del: OVN logical switches (lib/nb). No pool needed. */
import { deleteLogicalSwitch, ensureLogicalSwitch, listLogicalSwitches } from '../../nb/index.js'
import { Command } from '../command.js'
import { withNorthbound } from '../connections.js'
import { flag, requiredString, stringOption } from '../options.js'
import { EXIT_OK } from '../output.js'
import { renderSwitches } from '../render.js'

export const switchCommand = new Command('switch', {
  summary: 'OVN logical switches: add, list, del',
  description: 'OVN logical switches, in the northbound database. No pool is needed.',
  verbs: {
    add: {
      summary: 'create a logical switch (or bring its subnet up to date)',
      description: `Create logical switch SWITCH (a name of letters, digits, _ . : -), or set its subnet if it
exists (running it again changes nothing).`,
      options: ['switch', 'subnet', 'nb', 'json'],
      required: ['switch'],
      async run(cx) {
        const name = requiredString(cx.values, 'switch')
        const subnet = stringOption(cx.values, 'subnet')
        return withNorthbound(cx, async (nb) => {
          const r = await ensureLogicalSwitch(nb, name, subnet === undefined ? {} : { subnet })
          cx.out.result(
            r,
            () => `logical switch ${r.name} (${r.uuid}) ${r.created ? 'created' : r.changed ? 'updated' : 'unchanged'}`,
          )
          return EXIT_OK
        })
      },
    },
    list: {
      summary: 'list the logical switches',
      description: 'Every logical switch, with its subnet and its number of ports.',
      options: ['nb', 'json'],
      async run(cx) {
        return withNorthbound(cx, async (nb) => {
          const switches = await listLogicalSwitches(nb)
          cx.out.result(switches, () => renderSwitches(switches))
          return EXIT_OK
        })
      },
    },
    del: {
      summary: 'delete a logical switch',
      description: `Delete a logical switch. It must have no ports unless --force (its ports go with it; the VIFs in
XAPI stay: detach VMs with 'xapi-ovn port detach' to remove them too).`,
      options: ['switch', 'force', 'if-exists', 'nb', 'json'],
      required: ['switch'],
      async run(cx) {
        const ref = requiredString(cx.values, 'switch')
        return withNorthbound(cx, async (nb) => {
          const r = await deleteLogicalSwitch(nb, ref, {
            force: flag(cx.values, 'force'),
            ifExists: flag(cx.values, 'if-exists'),
          })
          cx.out.result(r, () =>
            r.deleted
              ? `logical switch ${r.name} (${String(r.uuid)}) deleted${r.portCount > 0 ? ` with ${r.portCount} port(s)` : ''}`
              : `no logical switch ${r.name}: nothing to do`,
          )
          return EXIT_OK
        })
      },
    },
  },
})
