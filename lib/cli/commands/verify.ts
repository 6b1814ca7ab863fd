/** xapi-ovn verify: the ovn-chassis checks on every host, and the OVN network's. */
import { MAX_WAIT_SECONDS, verify } from '../../pool/driver.js'
import { selectionOption } from '../args.js'
import { Command } from '../command.js'
import { onPool } from '../connections.js'
import { intOption, POOL_OPTIONS } from '../options.js'
import { renderVerify } from '../render.js'

export const verifyCommand = new Command('verify', {
  summary: 'check every chassis (keys, XAPI bridge, ovn-controller connected) and the OVN network',
  synopsis: '[--wait SECONDS] [options]',
  description: `Run the ovn-chassis checks on every host and check the OVN network. Every failed or warning check
is shown with its hint.`,
  options: ['wait', ...POOL_OPTIONS],
  exitStatus: '0 every host passes, 1 some host fails or could not be asked, 2 usage error',
  async run(cx) {
    const wait = intOption(cx.values, 'wait', 0, MAX_WAIT_SECONDS)
    const selection = selectionOption(cx.values)
    return onPool(
      cx,
      (pool, onProgress) =>
        verify(pool, {
          ...selection,
          ...(wait !== undefined ? { wait } : {}),
          ...(onProgress !== undefined ? { onProgress } : {}),
        }),
      renderVerify,
    )
  },
})
