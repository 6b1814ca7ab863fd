/** The pool driver's public surface (re-exports only). */
export * from './errors.js'
export { XapiPool, normalizeXapiUrl, redactUrl } from './connection.js'
export type { ConnectOptions, PoolState, XapiCaller } from './connection.js'
export { DEFAULT_CONCURRENCY, MAX_CONCURRENCY, MAX_WAIT_SECONDS } from './run.js'
export type { RunOptions } from './run.js'
export { setup, prepareSetup, runSetup, setupPools } from './setup.js'
export type { PoolTarget, PreparedSetup, SetupOptions } from './setup.js'
export { sslRequest, parseSslRequestReply, SSL_REQUEST_FN } from './ssl-request.js'
export type { SslRequestHost, SslRequestOptions, SslRequestResult } from './ssl-request.js'
export { verify } from './verify.js'
export type { VerifyOptions } from './verify.js'
export { status } from './status.js'
export type { StatusOptions } from './status.js'
export { teardown } from './teardown.js'
export type { TeardownOptions } from './teardown.js'
export { service, serviceReached, POOL_SERVICE_ACTIONS } from './service.js'
export type { PoolServiceAction, PoolServiceOptions, ServiceResult } from './service.js'
export { repair } from './repair.js'
export type { RepairOptions, RepairResult } from './repair.js'
export { toFailure, failureFromCode, hintFor } from './failures.js'
export type { Failure } from './failures.js'
export { selectNetwork, findNetwork, DEFAULT_NETWORK_NAME, FAIL_MODE_KEY } from './ovn-network.js'
export type { NetworkSelection } from './ovn-network.js'
export {
  certificateFor,
  chassisArgs,
  checkChassisOptions,
  checkSslMaterial,
  planHosts,
  selectHosts,
  DRIVER_KEYS,
} from './plan-setup.js'
export type { ChassisOptions, HostInfo, HostPlan, SslMaterial } from './plan-setup.js'
export {
  PLUGIN,
  parseChassisChange,
  parseChassisRepair,
  parseChassisStatus,
  parseChassisVerify,
  parseServiceState,
} from './plugin-replies.js'
export type {
  ChassisBridge,
  ChassisChange,
  ChassisPort,
  ChassisRepair,
  ChassisStatus,
  ChassisVerify,
  ServiceState,
} from './plugin-replies.js'
export {
  parseHost,
  parseHostMetrics,
  parseNetwork,
  parsePif,
  parsePool,
  parseVif,
  parseVm,
  parseAllRecords,
  NULL_REF,
} from './records.js'
export type {
  HostMetricsRecord,
  HostRecord,
  NetworkRecord,
  PifRecord,
  PoolRecord,
  VifRecord,
  VmRecord,
} from './records.js'
export type * from './results.js'
export { chooseTransportPif, resolveTransportChoice, describeChoice, MANAGEMENT } from './transport-pif.js'
export type { AddressFamily, ResolvedTransportChoice, TransportChoice, TransportEndpoint } from './transport-pif.js'
