/**
 * An XAPI API error: what XAPI calls `Server_error (code, params)`. Over XML-RPC it becomes
 * `{Status: "Failure", ErrorDescription: [code, ...params]}`; over JSON-RPC 2.0
 * `{error: {code: 1, message: code, data: params}}`; in a task, `error_info = [code, ...params]`.
 * Every failure the emulator reports on purpose is one of these, with XAPI's own code names.
 */
export class XapiApiError extends Error {
  readonly code: string
  readonly params: readonly string[]

  constructor(code: string, params: readonly string[] = []) {
    super(`${code}(${params.join(', ')})`)
    this.name = 'XapiApiError'
    this.code = code
    this.params = params
  }

  get description(): string[] {
    return [this.code, ...this.params]
  }
}

/** XAPI's error codes used by the emulator (names from xapi-project/xen-api api_errors). */
export const Codes = {
  SESSION_AUTHENTICATION_FAILED: 'SESSION_AUTHENTICATION_FAILED',
  SESSION_INVALID: 'SESSION_INVALID',
  HANDLE_INVALID: 'HANDLE_INVALID',
  UUID_INVALID: 'UUID_INVALID',
  MESSAGE_METHOD_UNKNOWN: 'MESSAGE_METHOD_UNKNOWN',
  MESSAGE_PARAMETER_COUNT_MISMATCH: 'MESSAGE_PARAMETER_COUNT_MISMATCH',
  FIELD_TYPE_ERROR: 'FIELD_TYPE_ERROR',
  MAP_DUPLICATE_KEY: 'MAP_DUPLICATE_KEY',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
  INVALID_VALUE: 'INVALID_VALUE',
  INVALID_IP_ADDRESS_SPECIFIED: 'INVALID_IP_ADDRESS_SPECIFIED',
  HOST_OFFLINE: 'HOST_OFFLINE',
  HOST_NOT_LIVE: 'HOST_NOT_LIVE',
  HOST_DISABLED: 'HOST_DISABLED',
  OTHER_OPERATION_IN_PROGRESS: 'OTHER_OPERATION_IN_PROGRESS',
  VIF_IN_USE: 'VIF_IN_USE',
  XENAPI_MISSING_PLUGIN: 'XENAPI_MISSING_PLUGIN',
  XENAPI_PLUGIN_FAILURE: 'XENAPI_PLUGIN_FAILURE',
  EVENT_FROM_TOKEN_PARSE_FAILURE: 'EVENT_FROM_TOKEN_PARSE_FAILURE',
  EVENTS_LOST: 'EVENTS_LOST',
  VM_BAD_POWER_STATE: 'VM_BAD_POWER_STATE',
  DEVICE_ALREADY_ATTACHED: 'DEVICE_ALREADY_ATTACHED',
  DEVICE_ALREADY_DETACHED: 'DEVICE_ALREADY_DETACHED',
  DEVICE_ALREADY_EXISTS: 'DEVICE_ALREADY_EXISTS',
  NETWORK_CONTAINS_PIF: 'NETWORK_CONTAINS_PIF',
  NETWORK_CONTAINS_VIF: 'NETWORK_CONTAINS_VIF',
  OPERATION_NOT_ALLOWED: 'OPERATION_NOT_ALLOWED',
  BRIDGE_NAME_EXISTS: 'BRIDGE_NAME_EXISTS',
  BRIDGE_NOT_AVAILABLE: 'BRIDGE_NOT_AVAILABLE',
  TASK_CANCELLED: 'TASK_CANCELLED',
} as const
