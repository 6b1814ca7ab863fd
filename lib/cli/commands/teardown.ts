/** xapi-ovn teardown: give back every Open vSwitch key setup set, on every host. */
import { teardown } from '../../pool/driver.js'
import { selectionOption } from '../args.js'
import { Command } from '../command.js'
import { onPool } from '../connections.js'
import { flag, POOL_OPTIONS } from '../options.js'
import { renderTeardown } from '../render.js'
import { teardownNotes } from '../render-removals.js'

export const teardownCommand = new Command('teardown', {
  summary: 'give back every Open vSwitch key setup set, on every host',
  synopsis: '[--dry-run] [--remove-network] [--stop-controller] [options]',
  description: `On every host, restore the Open_vSwitch external_ids keys xapi-ovn set to the values they had
before (the ovn-chassis plugin's unconfigure); with --dry-run, list every key each host would give
back. A host whose ovn-controller runs is refused (OVN_CONTROLLER_RUNNING: given back its keys it
would make br-int at once) unless --stop-controller, which stops it first through the plugin
(fn=service action=stop). The OVN network stays unless --remove-network; with --dry-run, XAPI's
refusals are checked (a VIF still plugged on it) and the dry run fails on them.`,
  options: ['dry-run', 'remove-network', 'stop-controller', ...POOL_OPTIONS],
  exitStatus: '0 all torn down, 1 a host or the network removal failed (or would), 2 usage error',
  async run(cx) {
    const selection = selectionOption(cx.values)
    return onPool(
      cx,
      (pool, onProgress) =>
        teardown(pool, {
          ...selection,
          dryRun: flag(cx.values, 'dry-run'),
          removeNetwork: flag(cx.values, 'remove-network'),
          stopController: flag(cx.values, 'stop-controller'),
          ...(onProgress !== undefined ? { onProgress } : {}),
        }),
      (r) => [...teardownNotes(r), renderTeardown(r)].join('\n'),
    )
  },
})
