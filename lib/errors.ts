/**
 * Every error xapi-ovn raises on purpose is an XapiOvnError with a stable `code` (OVN_*) and
 * string `params`. The plugin boundary turns it into an XAPI Failure `[code, ...params]`; the
 * library and CLI let users match on `code`. Codes never change meaning once released.
 */
export class XapiOvnError extends Error {
  readonly code: string
  readonly params: readonly string[]

  constructor(code: string, message: string, params: readonly string[] = [], options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.params = params
  }
}

/** A caller-supplied value is malformed. params: [key, value, reason] */
export class InvalidArgumentError extends XapiOvnError {
  constructor(key: string, value: string, reason: string) {
    super('OVN_INVALID_ARGUMENT', `invalid ${key}=${JSON.stringify(truncate(value))}: ${reason}`, [
      key,
      truncate(value),
      reason,
    ])
  }
}

/** A key that this function does not accept. params: [key] */
export class UnknownArgumentError extends XapiOvnError {
  constructor(key: string) {
    super('OVN_UNKNOWN_ARGUMENT', `unknown argument ${JSON.stringify(truncate(key))}`, [truncate(key)])
  }
}

/** A required key is absent. params: [key] */
export class MissingArgumentError extends XapiOvnError {
  constructor(key: string) {
    super('OVN_MISSING_ARGUMENT', `missing required argument ${key}`, [key])
  }
}

/**
 * The codes that mean the caller's input was wrong rather than the pool: a bad value, an unknown
 * or missing key, an OVN network that cannot be used (unknown, ambiguous, with a PIF), a selected
 * host without its SSL certificate. The CLI
 * exits 2 on them like on any usage error; setupPools refuses every pool before touching one.
 */
export const ARGUMENT_ERROR_CODES: ReadonlySet<string> = new Set([
  'OVN_INVALID_ARGUMENT',
  'OVN_UNKNOWN_ARGUMENT',
  'OVN_MISSING_ARGUMENT',
  'OVN_NETWORK_UNUSABLE',
  'OVN_SSL_CERT_MISSING',
])

export function isArgumentErrorCode(code: string): boolean {
  return ARGUMENT_ERROR_CODES.has(code)
}

/** The request itself (XML-RPC, CLI line) cannot be understood. params: [reason] */
export class InvalidRequestError extends XapiOvnError {
  constructor(reason: string) {
    super('OVN_INVALID_REQUEST', `invalid request: ${reason}`, [reason])
  }
}

/** The named integration bridge does not exist in the local OVSDB. params: [bridge] */
export class BridgeMissingError extends XapiOvnError {
  constructor(bridge: string) {
    super(
      'OVN_BRIDGE_MISSING',
      `bridge ${bridge} does not exist on this host (XAPI creates it when the network is attached)`,
      [bridge],
    )
  }
}

/** The bridge exists but is not the XAPI bridge we were told about. params: [bridge, reason] */
export class BridgeNotXapiError extends XapiOvnError {
  constructor(bridge: string, reason: string) {
    super('OVN_BRIDGE_NOT_XAPI', `bridge ${bridge} is not usable as the OVN integration bridge: ${reason}`, [
      bridge,
      reason,
    ])
  }
}

/** Open_vSwitch external_ids:system-id is set to something other than the host UUID. params: [current, expected] */
export class SystemIdMismatchError extends XapiOvnError {
  constructor(current: string, expected: string) {
    super(
      'OVN_SYSTEM_ID_MISMATCH',
      `system-id is ${current}, not the host UUID ${expected} (pass force-system-id=true to replace it)`,
      [current, expected],
    )
  }
}

/** The host inventory (INSTALLATION_UUID) cannot be read. params: [path, reason] */
export class InventoryError extends XapiOvnError {
  constructor(path: string, reason: string) {
    super('OVN_INVENTORY_UNREADABLE', `cannot read the host UUID from ${path}: ${reason}`, [path, reason])
  }
}

/** An OVSDB server cannot be reached or the connection broke. params: [remote, reason] */
export class OvsdbUnavailableError extends XapiOvnError {
  constructor(remote: string, reason: string, options?: { cause?: unknown }) {
    super('OVN_OVSDB_UNAVAILABLE', `OVSDB at ${remote} is unavailable: ${reason}`, [remote, reason], options)
  }
}

/** The database changed between our read and our write (a wait/precondition failed). params: [detail] */
export class ConcurrentChangeError extends XapiOvnError {
  constructor(detail: string) {
    super('OVN_CONCURRENT_CHANGE', `the database changed while we were working, nothing was written: ${detail}`, [
      detail,
    ])
  }
}

/** Another call of the same operation is running on this host. params: [operation] */
export class BusyError extends XapiOvnError {
  constructor(operation: string) {
    super('OVN_BUSY', `another ${operation} is already running on this host`, [operation])
  }
}

/** A wait for some state ran out of time. params: [what, seconds] */
export class TimeoutError extends XapiOvnError {
  constructor(what: string, seconds: number) {
    super('OVN_TIMEOUT', `timed out after ${seconds}s waiting for ${what}`, [what, String(seconds)])
  }
}

/** xapi-ovn's own record in OVSDB (external_ids:xapi-ovn-saved) cannot be read. params: [detail] */
/**
 * The chassis configuration persisted for the host agent (`<state dir>/chassis.json`) cannot be
 * used: unreadable, not root-only, not ours, or holding arguments configure would refuse. Nothing
 * is applied from it.
 */
export class PersistedConfigError extends XapiOvnError {
  constructor(path: string, detail: string) {
    super(
      'OVN_PERSISTED_CONFIG_INVALID',
      `the persisted chassis configuration ${path} cannot be used: ${detail} (run configure again to rewrite it, or unconfigure to remove it)`,
      [path, detail],
    )
  }
}

export class StateCorruptError extends XapiOvnError {
  constructor(detail: string) {
    super(
      'OVN_STATE_CORRUPT',
      `xapi-ovn's record of what it configured is damaged: ${detail} (inspect it with ovs-vsctl get Open_vSwitch . external_ids)`,
      [detail],
    )
  }
}

/** A bug or an unexpected failure: never a caller's fault. params: [message] */
export class InternalError extends XapiOvnError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('OVN_INTERNAL', `internal error: ${message}`, [message], options)
  }
}

/** Values echoed into errors are cut so a hostile 1 MB argument does not come back whole. */
export function truncate(value: string, max = 256): string {
  return value.length <= max ? value : `${value.slice(0, max)}…(${value.length} chars)`
}

// ---- pool driver (lib/pool) ----

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

// ---- VM attachment (lib/attach) ----

/** No VM of the pool has this uuid, ref or name_label. params: [vm] */
export class VmNotFoundError extends XapiOvnError {
  constructor(vm: string) {
    super(
      'OVN_VM_NOT_FOUND',
      `no VM of this pool is ${JSON.stringify(truncate(vm))} (give its uuid, name_label or OpaqueRef)`,
      [truncate(vm)],
    )
  }
}

/** Several VMs carry this name_label. params: [vm, count] */
export class VmAmbiguousError extends XapiOvnError {
  constructor(vm: string, count: number) {
    super('OVN_VM_AMBIGUOUS', `${count} VMs are named ${JSON.stringify(truncate(vm))}; name the VM by its uuid`, [
      truncate(vm),
      String(count),
    ])
  }
}

/** No VIF of the pool has this uuid. params: [vif] */
export class VifNotFoundError extends XapiOvnError {
  constructor(vif: string) {
    super('OVN_VIF_NOT_FOUND', `no VIF of this pool has uuid ${JSON.stringify(truncate(vif))}`, [truncate(vif)])
  }
}

/**
 * A VIF cannot serve this attachment: the asked device is on another network, the VIF belongs to
 * another VM, or its MAC is not the one asked for. params: [vm, vif or device, reason]
 */
export class VifConflictError extends XapiOvnError {
  constructor(vm: string, vif: string, reason: string) {
    super('OVN_VIF_CONFLICT', `VM ${truncate(vm)}, VIF ${truncate(vif)}: ${reason}`, [
      truncate(vm),
      truncate(vif),
      reason,
    ])
  }
}

/**
 * configure was given a private key (ovn-ssl-key). Refused before anything else is looked at:
 * a private key that travels ends up in argv, logs and debug output (issue 9). The key is made
 * on the host by fn=ssl-request, and configure takes a certificate signed for it. params: [argument]
 */
export class SslKeyRefusedError extends XapiOvnError {
  constructor(argument: string) {
    super(
      'OVN_SSL_KEY_REFUSED',
      `${argument} is refused: private keys must not travel (they would show in argv, logs and debug output); ` +
        'make the key on the host with fn=ssl-request (xapi-ovn ssl request), have its CSR signed by your CA, ' +
        'and pass only ovn-ssl-cert and ovn-ssl-ca-cert',
      [argument],
    )
  }
}

/** openssl, which makes the CSR (Node has no CSR builder), is not on PATH. params: [program, PATH] */
export class OpensslMissingError extends XapiOvnError {
  constructor(program: string, path: string) {
    super('OVN_OPENSSL_MISSING', `${program} is not on PATH (${path}): it makes the certificate request`, [
      program,
      path,
    ])
  }
}

/** openssl failed or answered something that is not what was asked. params: [command, detail] */
export class OpensslFailedError extends XapiOvnError {
  constructor(command: string, detail: string) {
    super('OVN_OPENSSL_FAILED', `${command} failed: ${truncate(detail)}`, [command, truncate(detail)])
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
