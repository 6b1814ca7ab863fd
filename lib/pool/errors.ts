/**
 * The pool driver's errors (lib/pool): XAPI reachability, credentials and records, the OVN
 * network, the transport PIF, the host plugin's replies, a selected host's SSL certificate.
 */
import { XapiOvnError, truncate } from '../errors.js'

/** No PIF of a host can carry OVN's tunnels. params: [host, pif, reason] (pif '' when none was found) */
export class NoTransportPifError extends XapiOvnError {
  constructor(host: string, pif: string, reason: string) {
    super(
      'OVN_NO_TRANSPORT_PIF',
      `host ${host} has no usable transport PIF${pif === '' ? '' : ` (${pif})`}: ${reason}`,
      [host, pif, reason],
    )
  }
}

/** An XAPI record lacks a field we read or has it in another shape. params: [class, ref, field, reason] */
export class XapiRecordError extends XapiOvnError {
  constructor(cls: string, ref: string, field: string, reason: string) {
    super('OVN_XAPI_RECORD_INVALID', `XAPI ${cls} ${ref}: field ${field} ${reason}`, [
      cls,
      ref,
      field,
      truncate(reason),
    ])
  }
}

/** The pool master cannot be reached (connection refused, DNS, timeout, HTTP). params: [url, reason] */
export class XapiUnreachableError extends XapiOvnError {
  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super('OVN_XAPI_UNREACHABLE', `cannot reach XAPI at ${url}: ${reason}`, [url, truncate(reason)], options)
  }
}

/** The pool master's TLS certificate does not verify. params: [url, reason] */
export class XapiCertificateError extends XapiOvnError {
  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super(
      'OVN_XAPI_CERTIFICATE',
      `the TLS certificate of ${url} is not trusted (${reason}); install the pool's CA or, knowingly, allow unauthorized certificates`,
      [url, truncate(reason)],
      options,
    )
  }
}

/** XAPI refused the credentials. params: [url, user] */
export class XapiAuthError extends XapiOvnError {
  constructor(url: string, user: string, options?: { cause?: unknown }) {
    super('OVN_XAPI_AUTH_FAILED', `XAPI at ${url} refused the credentials of ${user}`, [url, truncate(user)], options)
  }
}

/** An XAPI call failed with an API error. params: [method, xapi code, ...xapi params] */
export class XapiCallError extends XapiOvnError {
  readonly method: string
  readonly xapiCode: string
  readonly xapiParams: readonly string[]

  constructor(method: string, xapiCode: string, xapiParams: readonly string[], options?: { cause?: unknown }) {
    super(
      'OVN_XAPI_CALL_FAILED',
      `XAPI ${method} failed: ${xapiCode}(${xapiParams.map((p) => truncate(p, 120)).join(', ')})`,
      [method, xapiCode, ...xapiParams.map((p) => truncate(p))],
      options,
    )
    this.method = method
    this.xapiCode = xapiCode
    this.xapiParams = xapiParams.map((p) => truncate(p))
  }
}

/** The network meant for OVN cannot be found or cannot be used. params: [network, reason] */
export class OvnNetworkError extends XapiOvnError {
  constructor(network: string, reason: string) {
    super('OVN_NETWORK_UNUSABLE', `OVN network ${network}: ${reason}`, [truncate(network), reason])
  }
}

/** A host plugin answered, but not with the JSON it documents. params: [host, fn, reason] */
export class PluginReplyError extends XapiOvnError {
  constructor(host: string, fn: string, reason: string) {
    super('OVN_PLUGIN_REPLY_INVALID', `ovn-chassis ${fn} on ${host} gave an unexpected answer: ${reason}`, [
      host,
      fn,
      truncate(reason),
    ])
  }
}
/**
 * setup with SSL has no certificate for a selected host (`<dir>/<host uuid>.pem`); found before
 * anything is touched. params: [host uuid, where it was looked for]
 */
export class SslCertificateMissingError extends XapiOvnError {
  constructor(hostUuid: string, where: string) {
    super(
      'OVN_SSL_CERT_MISSING',
      `no certificate for host ${hostUuid} (${where}): run xapi-ovn ssl request, sign the host's CSR with your CA and put the certificate there`,
      [hostUuid, where],
    )
  }
}

/**
 * teardown on a host whose ovn-controller runs: once the keys are given back it falls back to its
 * defaults and makes br-int at once (ovn-org/ovn controller/ovn-controller.c, `ovn-bridge`
 * defaults to br-int), so teardown refuses and says how to stop it. params: [host, host uuid, pid]
 */
export class ControllerRunningError extends XapiOvnError {
  constructor(host: string, hostUuid: string, pid: string) {
    super(
      'OVN_CONTROLLER_RUNNING',
      `ovn-controller runs on ${host} (pid ${pid}): given back its keys it would make br-int at once; stop it first: xapi-ovn teardown --stop-controller (or xapi-ovn service stop --host ${hostUuid}, then teardown)`,
      [host, hostUuid, pid],
    )
  }
}
