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
// The public API, named one by one: what a program driving a pool needs, not the driver's
// internals (its record parsers, its planners, NULL_REF, truncate); those stay inside, or in the
// namespaces below for the building blocks.
import { hintFor } from './pool/failures.js'
import { useHints } from './errors.js'

// XapiOvnError#hint answers from the driver's hint table (lib/errors.ts says why it is wired here).
useHints(hintFor)

export { XapiPool } from './pool/connection.js'
export type { ConnectOptions, PoolState, XapiCaller } from './pool/connection.js'
export { DEFAULT_CONCURRENCY, MAX_CONCURRENCY, MAX_WAIT_SECONDS } from './pool/run.js'
export type { RunOptions } from './pool/run.js'
export { setup, setupPools } from './pool/setup.js'
export type { PoolTarget, SetupOptions } from './pool/setup.js'
export { sslRequest } from './pool/ssl-request.js'
export type { SslRequestHost, SslRequestOptions, SslRequestResult } from './pool/ssl-request.js'
export { verify } from './pool/verify.js'
export type { VerifyOptions } from './pool/verify.js'
export { status } from './pool/status.js'
export type { StatusOptions } from './pool/status.js'
export { teardown } from './pool/teardown.js'
export type { TeardownOptions } from './pool/teardown.js'
export { service, POOL_SERVICE_ACTIONS } from './pool/service.js'
export type { PoolServiceAction, PoolServiceOptions, ServiceResult } from './pool/service.js'
export { repair } from './pool/repair.js'
export type { RepairOptions, RepairResult } from './pool/repair.js'
export { toFailure, hintFor } from './pool/failures.js'
export type { Failure } from './pool/failures.js'
export { DEFAULT_NETWORK_NAME } from './pool/ovn-network.js'
export type { ChassisOptions, SslMaterial } from './pool/plan-setup.js'
export type {
  ChassisBridge,
  ChassisChange,
  ChassisPort,
  ChassisRepair,
  ChassisStatus,
  ChassisVerify,
  ServiceState,
} from './pool/plugin-replies.js'
export type * from './pool/results.js'
export { chooseTransportPif } from './pool/transport-pif.js'
export type { AddressFamily, TransportChoice, TransportEndpoint } from './pool/transport-pif.js'
export {
  XapiOvnError,
  InvalidArgumentError,
  UnknownArgumentError,
  MissingArgumentError,
  InvalidRequestError,
  OvsdbUnavailableError,
  ConcurrentChangeError,
  BusyError,
  TimeoutError,
  InternalError,
} from './errors.js'
export {
  NoTransportPifError,
  XapiRecordError,
  XapiUnreachableError,
  XapiCertificateError,
  XapiAuthError,
  XapiCallError,
  OvnNetworkError,
  PluginReplyError,
  SslCertificateMissingError,
} from './pool/errors.js'
export {
  AttachInDoubtError,
  VifConflictError,
  VifNotFoundError,
  VmAmbiguousError,
  VmNotFoundError,
} from './attach/errors.js'
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
export {
  addFloatingIp,
  addLogicalRouter,
  attachRouter,
  deleteFloatingIp,
  deleteLogicalRouter,
  detachRouter,
  listFloatingIps,
  listGatewayChassis,
  listLogicalRouters,
  removeRouterGateway,
  setRouterGateway,
} from './nb/index.js'
export type {
  DeleteRouterResult,
  FipDeleteResult,
  FipInfo,
  FipResult,
  FipSpec,
  GatewayChassis,
  GatewayResult,
  GatewaySpec,
  RouterAttachResult,
  RouterInfo,
  RouterResult,
} from './nb/index.js'
export { attachSecurityGroup, detachSecurityGroup } from './attach/index.js'
export type {
  SecurityGroupAttachOptions,
  SecurityGroupAttachResult,
  SecurityGroupVifChange,
} from './attach/index.js'
export {
  addSecurityGroupRules,
  deleteSecurityGroup,
  deleteSecurityGroupRule,
  ensureSecurityGroups,
  listSecurityGroups,
  setPortSecurityGroups,
} from './nb/index.js'
export type {
  SecurityGroupInfo,
  SecurityGroupRuleSpec,
  SecurityGroupSpec,
  SgRuleInfo,
} from './nb/index.js'
export { connectSouthbound, FINDING_CODES, planShow, showPool } from './show/index.js'
export type { Finding, FindingCode, ShowOptions, ShowView } from './show/index.js'
export { doctor, planDoctor } from './doctor/index.js'
export type { DoctorCentral, DoctorFinding, DoctorOptions, DoctorResult } from './doctor/index.js'
// The building blocks, by namespace: our RFC 7047 OVSDB client, the OVN northbound operations,
// and the chassis rules shared with the host plugin.
export * as ovsdb from './ovsdb/index.js'
export * as nb from './nb/index.js'
export * as chassis from './chassis/index.js'
export { lockName, PoolAgent, startAgent } from './agent/agent.js'
export type { AgentOptions, AgentStatus, PassSummary } from './agent/agent.js'
export {
  ADDRESSES_KEY,
  DYNAMIC_ADDRESSES,
  POOL_UUID_KEY,
  PORT_SECURITY_KEY,
  SECURITY_GROUPS_KEY,
  SWITCH_KEY,
} from './agent/keys.js'
export {
  AgentDuplicateAddressError,
  AgentNoSwitchError,
  AgentPortForeignError,
  AgentSwitchMissingError,
  AgentUnreachableError,
  AgentVifInvalidError,
  AgentVifLockedWarning,
} from './agent/errors.js'
