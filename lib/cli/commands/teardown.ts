/** xapi-ovn teardown: give back every Open vSwitch key setup set, on every host. */
import { teardown } from '../../pool/driver.js'
import { selectionOption } from '../args.js'
import { Command } from '../command.js'
import { onPool } from '../connections.js'
import { flag, POOL_OPTIONS } from '../options.js'
import { renderTeardown } from '../render.js'

export const teardownCommand = new Command('teardown', {
  summary: 'give back every Open vSwitch key setup set, on every host',
  synopsis: '[--dry-run] [--remove-network] [options]',
  description: `On every host, restore the Open_vSwitch external_ids keys xapi-ovn set to the values they had
before (the ovn-chassis plugin's unconfigure); with --dry-run, show what each host would restore.
The OVN network stays unless --remove-network.`,
  options: ['dry-run', 'remove-network', ...POOL_OPTIONS],
  exitStatus: '0 every host torn down, 1 some host (or the network removal) failed, 2 usage error',
  async run(cx) {
    const selection = selectionOption(cx.values)
    return onPool(
      cx,
      (pool, onProgress) =>
        teardown(pool, {
          ...selection,
          dryRun: flag(cx.values, 'dry-run'),
          removeNetwork: flag(cx.values, 'remove-network'),
          ...(onProgress !== undefined ? { onProgress } : {}),
        }),
      renderTeardown,
    )
  },
})
