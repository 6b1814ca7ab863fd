/**
 * xapi-ovn: run OVN on an XCP-ng / XenServer pool, on XAPI-owned bridges.
 *
 * ```ts
 * import { XapiPool, setup, verify } from 'xapi-ovn'
 * const pool = await XapiPool.connect({ url: 'https://pool-master', user: 'root', password })
 * try {
 *   const result = await setup(pool, { ovnRemote: 'ssl:192.0.2.10:6642', onProgress: console.error })
 *   for (const h of result.hosts) if (!h.ok) console.error(h.host.name, h.error.code, h.error.message)
 *   console.log((await verify(pool, { wait: 30 })).ok)
 * } finally {
 *   await pool.close()
 * }
 * ```
 */
export * from './pool/index.js'
export * from './errors.js'
export { VifConflictError, VifNotFoundError, VmAmbiguousError, VmNotFoundError } from './attach/errors.js'
export {
  BridgeMissingError,
  BridgeNotXapiError,
  InventoryError,
  OpensslFailedError,
  OpensslMissingError,
  PersistedConfigError,
  SslKeyRefusedError,
  StateCorruptError,
  SystemIdMismatchError,
} from './chassis/errors.js'
export type { Check, CheckStatus, ControllerState } from './chassis/verify.js'
export type { KeyChange } from './chassis/external-ids-write.js'
export { attachVms, detachVms, listVmPorts, VM_UUID_KEY } from './attach/index.js'
export type {
  AttachVmsOptions,
  AttachVmsResult,
  DetachVmsOptions,
  DetachVmsResult,
  VmAttachSpec,
  VmAttachment,
  VifDetachment,
  VmPortInfo,
  XapiCalls,
} from './attach/index.js'
export { connectNorthbound } from './nb/index.js'
export { connectSouthbound, FINDING_CODES, planShow, showPool } from './show/index.js'
export type { Finding, FindingCode, ShowOptions, ShowView } from './show/index.js'
// The building blocks, by namespace: our RFC 7047 OVSDB client, the OVN northbound operations,
// and the chassis rules shared with the host plugin.
export * as ovsdb from './ovsdb/index.js'
export * as nb from './nb/index.js'
export * as chassis from './chassis/index.js'
