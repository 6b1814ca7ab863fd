/**
 * xapi-ovn service start|stop|restart|status: ovn-controller's systemd unit on every host, through
 * the plugin's fn=service (lib/pool/service.ts). setup does not start ovn-controller (one started
 * before ovn-bridge is set makes br-int): this is the command that does, pool-wide.
 */
import { POOL_SERVICE_ACTIONS, service, type PoolServiceAction } from '../../pool/index.js'
import { selectionOption } from '../args.js'
import type { Action } from '../command.js'
import { Command } from '../command.js'
import { onPool } from '../connections.js'
import { POOL_OPTIONS } from '../options.js'
import { renderService } from '../render.js'

const SUMMARIES: Readonly<Record<PoolServiceAction, string>> = {
  status: "ovn-controller's unit on every host: active, enabled, its pid, the boot drop-in",
  start: 'start ovn-controller on every host (once setup has configured it)',
  stop: 'stop ovn-controller on every host',
  restart: 'restart ovn-controller on every host',
}

function verb(action: PoolServiceAction): Action {
  return {
    summary: SUMMARIES[action],
    description: `${action === 'status' ? 'Show' : `${action[0]?.toUpperCase()}${action.slice(1)}`} ovn-controller.service on every host (or --host) through the ovn-chassis
plugin's fn=service, and show each unit's state afterwards.${action === 'status' ? '' : ' Waits for each job to finish.'}`,
    options: POOL_OPTIONS,
    exitStatus:
      action === 'status'
        ? '0 every host answered, 1 some host could not be asked (no systemd?), 2 usage error'
        : `0 every unit ${action === 'stop' ? 'inactive' : 'active'} afterwards, 1 some host failed or is not, 2 usage error`,
    async run(cx) {
      const selection = selectionOption(cx.values)
      return onPool(
        cx,
        (pool, onProgress) =>
          service(pool, { action, ...selection, ...(onProgress !== undefined ? { onProgress } : {}) }),
        renderService,
      )
    },
  }
}

export const serviceCommand = new Command('service', {
  summary: 'ovn-controller on every host: start, stop, restart, status',
  description: `Control ovn-controller's systemd unit (ovn-controller.service) on every host of the pool through
the ovn-chassis plugin's fn=service. Start it after setup, never before: an ovn-controller started
before ovn-bridge is set makes a br-int of its own (xapi-ovn repair removes it).`,
  verbs: Object.fromEntries(POOL_SERVICE_ACTIONS.map((a) => [a, verb(a)])),
})
