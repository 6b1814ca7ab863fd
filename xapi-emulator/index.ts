/**
 * A small XAPI for tests: XAPI's JSON-RPC and XML-RPC wire protocols, sessions, the object model
 * the project needs (pool, host, host_metrics, PIF, PIF_metrics, Bond, VLAN, network, VM, VIF,
 * task), event.from/inject, Async tasks, VM.pool_migrate in xapi's order (with holds a test sets,
 * `XapiEmulator.holdMigration`), and host.call_plugin exec'd the way xapi does, over host
 * backends (the lab's LabHost, or MemoryHostBackend). The unmodified `xen-api` client works
 * against it with events on. Where XAPI fails, it fails with XAPI's codes and params. README.md
 * lists the platform facts it models, their sources, and its simplifications.
 *
 * @example
 * ```ts
 * const lab = await createLabPool({ hosts: 2 })
 * const pool = await createEmulatedPool<LabVm>({ hosts: lab.hosts, password: 'pw', managementNetworkUuid: lab.managementNetworkUuid })
 * await pool.installPlugin(pool.hosts[0].ref, 'ovn-chassis', 'dist/ovn-chassis')
 * pool.setHostLive(pool.hosts[1].ref, false)           // HOST_OFFLINE from now on
 * const xapi = createClient({ url: pool.url, auth: { user: 'root', password: 'pw' }, transport: 'json-rpc' })
 * ...
 * await xapi.disconnect(); await pool.close(); await lab.destroy()
 * ```
 */
export { XapiApiError, Codes } from './api-error.js'
export { XapiEmulator, formatToken } from './emulator.js'
export type { CallContext, EmulatedHost, EmulatorOptions, MethodDef, PifSeed, VmSeed } from './emulator.js'
export { MemoryHostBackend } from './host-backend.js'
export type {
  CreateBridgeRequest,
  FailMode,
  HostBackend,
  MemoryBridge,
  MemoryPort,
  PlugVifRequest,
  VifLockingMode,
} from './host-backend.js'
export { createEmulatedPool, seedTransportPifs } from './pool.js'
export type { EmulatedPool, EmulatedPoolOptions, PoolHost, SeedContext } from './pool.js'
export { serveEmulator } from './server.js'
export type { EmulatorServer, ServerOptions } from './server.js'
export { MIGRATION_PHASES } from './vm-migration.js'
export type { MigrationHold, MigrationPhase, MigrationPoint } from './vm-migration.js'
export { PLUGIN_PATH, formatPluginCall, pluginArgv } from './plugin-runner.js'
