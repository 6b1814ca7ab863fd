/**
 * VM power: VM.start (placed by affinity, else the first live host), VM.start_on, the shutdowns;
 * and VM.pool_migrate (vm-migration.ts).
 */
import { T } from '../schema.js'
import type { VmDevices } from '../vm-devices.js'
import type { VmMigration } from '../vm-migration.js'
import { str, type MethodRegistry } from './registry.js'

export function registerVmMethods<Guest>(
  registry: MethodRegistry,
  { devices, migration }: { devices: VmDevices<Guest>; migration: VmMigration<Guest> },
): void {
  registry.define('VM.start', {
    session: true,
    async: true,
    params: [
      { name: 'vm', type: T.ref('VM') },
      { name: 'start_paused', type: T.bool },
      { name: 'force', type: T.bool },
    ],
    run: async (_c, [vm]) => {
      devices.requirePowerState(str(vm), 'Halted')
      await devices.startOn(str(vm), devices.chooseHost(str(vm)))
    },
  })
  registry.define('VM.start_on', {
    session: true,
    async: true,
    params: [
      { name: 'vm', type: T.ref('VM') },
      { name: 'host', type: T.ref('host') },
      { name: 'start_paused', type: T.bool },
      { name: 'force', type: T.bool },
    ],
    run: async (_c, [vm, host]) => {
      devices.requirePowerState(str(vm), 'Halted')
      await devices.startOn(str(vm), devices.liveHost(str(host)))
    },
  })
  for (const name of ['VM.shutdown', 'VM.clean_shutdown', 'VM.hard_shutdown']) {
    registry.define(name, {
      session: true,
      async: true,
      params: [{ name: 'vm', type: T.ref('VM') }],
      run: async (_c, [vm]) => devices.shutdown(str(vm)),
    })
  }
  registry.define('VM.pool_migrate', {
    session: true,
    async: true,
    params: [
      { name: 'vm', type: T.ref('VM') },
      { name: 'host', type: T.ref('host') },
      // xapi reads `force` (skips the CPU check, not modelled) and `network`: nothing here.
      { name: 'options', type: T.stringMap },
    ],
    run: (ctx, [vm, host]) => migration.poolMigrate(ctx.task, str(vm), str(host)),
  })
}
