/**
 * xapi-ovn repair: the plugin's fn=repair on every host (lib/pool/repair.ts): a stray br-int an
 * early ovn-controller made is removed where it holds only ovn-controller's ports; what only XAPI
 * or the operator can mend is listed per host. --dry-run asks what it would do.
 */
import { repair } from '../../pool/index.js'
import { selectionOption } from '../args.js'
import { Command } from '../command.js'
import { onPool } from '../connections.js'
import { flag, POOL_OPTIONS } from '../options.js'
import { renderRepair } from '../render.js'

export const repairCommand = new Command('repair', {
  summary: 'put right on every host what it can by itself (a stray br-int), say what is left',
  description: `Run the ovn-chassis plugin's repair on every host (or --host): a br-int that an ovn-controller
started before setup made is removed when it holds nothing but ovn-controller's own ports; a br-int
with a guest VIF or another port is left alone and reported, as is an integration bridge without
XAPI's ids (xapi-ovn setup attaches the network, and XAPI gives it its ids).`,
  options: ['dry-run', ...POOL_OPTIONS],
  exitStatus: '0 every host answered, nothing left; 1 a host failed or has some left; 2 usage error',
  async run(cx) {
    const selection = selectionOption(cx.values)
    const dryRun = flag(cx.values, 'dry-run')
    return onPool(
      cx,
      (pool, onProgress) => repair(pool, { dryRun, ...selection, ...(onProgress !== undefined ? { onProgress } : {}) }),
      renderRepair,
    )
  },
})
