/**
 * The boundary between xapi and the plugin's functions.
 *
 * xapi runs the plugin with argv[1] = `<methodCall>` whose methodName is the function and whose
 * params are [session reference, struct of string arguments]; stdout must be one
 * `<methodResponse>` carrying `{Status: "Success", Value: string}` or
 * `{Status: "Failure", ErrorDescription: [code, ...params]}`. `runPlugin` turns any outcome into
 * that text and never throws:
 *
 * | outcome                                   | reply                                    |
 * |-------------------------------------------|------------------------------------------|
 * | function resolved with `r`                | Success, Value = JSON.stringify(r) ("null" for undefined) |
 * | function threw a XapiOvnError             | Failure [code, ...params]                |
 * | function threw anything else              | Failure [OVN_INTERNAL, message], stack logged |
 * | fn not in the table                       | Failure [UNKNOWN_XENAPI_PLUGIN_FUNCTION, fn] |
 * | argv[1] missing / not a valid request     | Failure [OVN_INVALID_REQUEST, reason]    |
 */
import { XmlRpcDouble, decodeMethodCall, encodeMethodResponse, isStruct } from '../lib/xmlrpc/index.js'
import type { XmlRpcValue } from '../lib/xmlrpc/index.js'
import { InvalidRequestError, XapiOvnError, truncate } from '../lib/errors.js'
import { redactArgs, safeLogger } from '../lib/log.js'
import type { PluginContext, PluginFunction } from './context.js'

export interface PluginRequest {
  /** The function to run (the methodCall's methodName). */
  fn: string
  /** The caller's XAPI session reference. A credential: never logged. */
  session: string
  args: Record<string, string>
}

export const REQUEST_LIMITS = Object.freeze({
  /** The whole methodCall, UTF-8 bytes (Linux caps one argv element at 128 KiB anyway). */
  maxBytes: 1024 * 1024,
  /** Element nesting: a valid request is 8 deep. */
  maxDepth: 16,
  maxArgs: 256,
  /** Argument names, in characters. */
  maxKeyLength: 256,
  /** Argument values, in characters: room for PEM certificates and keys passed as args:k:file=. */
  maxValueLength: 64 * 1024,
})

/** What a decoded XML-RPC value is, for error messages. */
function typeName(v: XmlRpcValue): string {
  if (v === null) return 'nil'
  if (typeof v === 'string') return 'string'
  if (typeof v === 'number') return 'int'
  if (typeof v === 'boolean') return 'boolean'
  if (Array.isArray(v)) return 'array'
  if (v instanceof Uint8Array) return 'base64'
  if (v instanceof Date) return 'dateTime.iso8601'
  if (v instanceof XmlRpcDouble) return 'double'
  return 'struct'
}

/** Decode and check argv[1]. Throws InvalidRequestError with the precise reason. */
export function parseRequest(argv1: string): PluginRequest {
  const call = decodeMethodCall(argv1, { maxBytes: REQUEST_LIMITS.maxBytes, maxDepth: REQUEST_LIMITS.maxDepth })
  const fn = call.methodName
  if (call.params.length !== 2) {
    throw new InvalidRequestError(
      `expected 2 params (session reference, struct of arguments), found ${call.params.length}`,
    )
  }
  const [session, rawArgs] = call.params as [XmlRpcValue, XmlRpcValue]
  if (typeof session !== 'string')
    throw new InvalidRequestError(`the first param (session reference) is a ${typeName(session)}, not a string`)
  if (!isStruct(rawArgs))
    throw new InvalidRequestError(`the second param (arguments) is a ${typeName(rawArgs)}, not a struct`)
  const keys = Object.keys(rawArgs)
  if (keys.length > REQUEST_LIMITS.maxArgs)
    throw new InvalidRequestError(`too many arguments: ${keys.length} (at most ${REQUEST_LIMITS.maxArgs})`)
  const args: Record<string, string> = {}
  for (const key of keys) {
    if (key.length > REQUEST_LIMITS.maxKeyLength) {
      throw new InvalidRequestError(
        `argument name ${JSON.stringify(truncate(key, 40))} is longer than ${REQUEST_LIMITS.maxKeyLength} characters`,
      )
    }
    const value = rawArgs[key] as XmlRpcValue
    if (typeof value !== 'string')
      throw new InvalidRequestError(`argument ${JSON.stringify(key)} is a ${typeName(value)}, not a string`)
    if (value.length > REQUEST_LIMITS.maxValueLength) {
      throw new InvalidRequestError(
        `argument ${JSON.stringify(key)} is ${value.length} characters long (at most ${REQUEST_LIMITS.maxValueLength})`,
      )
    }
    Object.defineProperty(args, key, { value, enumerable: true, writable: true, configurable: true })
  }
  return { fn, session, args }
}

/** Characters XML 1.0 cannot carry, replaced by U+FFFD in failure texts so a reply always encodes. */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

/** Success reply text; `value` is the Value string as is. Throws TypeError on U+0000 and the like. */
export function successResponse(value: string): string {
  return encodeMethodResponse({ Status: 'Success', Value: value })
}

/** Failure reply text: ErrorDescription = [code, ...params]; any character XML cannot carry becomes U+FFFD. */
export function failureResponse(code: string, params: readonly string[]): string {
  const description = [code, ...params].map((s) => String(s).replace(NOT_XML, '\uFFFD'))
  return encodeMethodResponse({ Status: 'Failure', ErrorDescription: description })
}

/** The reply when even building a reply failed: a constant, so it cannot fail. */
export const LAST_RESORT_RESPONSE =
  '<?xml version="1.0"?><methodResponse><params><param><value><struct>' +
  '<member><name>Status</name><value><string>Failure</string></value></member>' +
  '<member><name>ErrorDescription</name><value><array><data>' +
  '<value><string>OVN_INTERNAL</string></value><value><string>the plugin failed to build its reply</string></value>' +
  '</data></array></value></member></struct></value></param></params></methodResponse>'

/**
 * JSON text of a result, safe to carry in XML: U+FFFE and U+FFFF (legal in JSON strings, not in
 * XML) are written as \\u escapes, which JSON.parse reads back to the same characters.
 * (JSON.stringify already escapes control characters and lone surrogates.)
 */
export function resultJson(result: unknown): string {
  const json = JSON.stringify(result)
  if (json === undefined) return 'null'
  return json.replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`)
}

function describe(err: unknown): { message: string; stack?: string } {
  if (err instanceof Error)
    return err.stack !== undefined ? { message: err.message, stack: err.stack } : { message: err.message }
  try {
    return { message: `non-Error thrown: ${String(err)}` }
  } catch {
    return { message: 'non-Error thrown' }
  }
}

function errorResponse(err: unknown, ctx: PluginContext): string {
  if (err instanceof XapiOvnError && typeof err.code === 'string' && err.code !== '') {
    const params = Array.isArray(err.params) ? err.params.map((p) => String(p)) : []
    ctx.log.warn('failure', { code: err.code, params, message: err.message })
    return failureResponse(err.code, params)
  }
  const { message, stack } = describe(err)
  ctx.log.error('internal error', { message, stack: stack ?? null })
  return failureResponse('OVN_INTERNAL', [truncate(message, 2048)])
}

async function dispatch(
  argv: readonly string[],
  functions: Readonly<Record<string, PluginFunction>>,
  ctx: PluginContext,
): Promise<string> {
  let request: PluginRequest
  try {
    if (argv.length < 2)
      throw new InvalidRequestError('argv[1] is missing: xapi passes the XML-RPC methodCall as the only argument')
    if (argv.length > 2)
      throw new InvalidRequestError(`expected one argument (the XML-RPC methodCall), found ${argv.length - 1}`)
    request = parseRequest(argv[1] as string)
  } catch (err) {
    return errorResponse(err, ctx)
  }
  const log = ctx.log.withFn(request.fn)
  const callCtx: PluginContext = { ...ctx, log }
  const fn = Object.hasOwn(functions, request.fn) ? functions[request.fn] : undefined
  if (typeof fn !== 'function') {
    log.warn('unknown function')
    return failureResponse('UNKNOWN_XENAPI_PLUGIN_FUNCTION', [request.fn])
  }
  log.info('call', { args: redactArgs(request.args) })
  const started = ctx.now().getTime()
  try {
    const value = resultJson(await fn(request.args, callCtx))
    const reply = successResponse(value)
    log.info('success', { ms: ctx.now().getTime() - started, bytes: value.length })
    return reply
  } catch (err) {
    return errorResponse(err, callCtx)
  }
}

/**
 * Run one plugin call: `argv` as the process got it, argv[0] the program and argv[1] the request
 * (pass `process.argv.slice(1)`). Resolves to the exact stdout text; never rejects.
 */
export async function runPlugin(
  argv: readonly string[],
  functions: Readonly<Record<string, PluginFunction>>,
  ctx: PluginContext,
): Promise<string> {
  const safeCtx: PluginContext = { ...ctx, log: safeLogger(ctx.log) }
  try {
    return await dispatch(argv, functions, safeCtx)
  } catch (err) {
    // Only a bug in this file gets here (e.g. a reply that would not encode).
    try {
      return errorResponse(err, safeCtx)
    } catch {
      return LAST_RESORT_RESPONSE
    }
  }
}
