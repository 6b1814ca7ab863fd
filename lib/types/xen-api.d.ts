/**
 * Types for the parts of the `xen-api` npm package (vatesfr/xen-orchestra packages/xen-api,
 * ESM, no types of its own) that xapi-ovn and its tests use. Read from its index.mjs.
 *
 * Everything the server sends back is typed `unknown`: callers validate what they read
 * (lib/pool/records.ts). Over XML-RPC integers arrive as strings.
 */
declare module 'xen-api' {
  import type { EventEmitter } from 'node:events'

  export type XapiTransportName = 'auto' | 'json-rpc' | 'xml-rpc'

  export type XapiAuth = { readonly user: string; readonly password: string } | { readonly sessionId: string }

  /** A value, a function of (method, args), or a map of method name (or '*') to value. */
  export type XapiCallSetting<T> = T | ((method: string, args: readonly unknown[]) => T) | Readonly<Record<string, T>>

  export interface XapiOptions {
    /** `https://host[:port]`, `http://...`, or a bare host (HTTPS). May carry `user:password@`. */
    readonly url: string
    /** Required unless the URL carries the user. */
    readonly auth?: XapiAuth
    /** Accept a certificate that does not verify (self-signed). Default false: verified. */
    readonly allowUnauthorized?: boolean
    /** Refuse every call that is not a `*.get_*` read. */
    readonly readOnly?: boolean
    /** Default 'auto': JSON-RPC, falling back to XML-RPC on old hosts. */
    readonly transport?: XapiTransportName
    /** true (default): watch every class with event.from; a list: those classes; false: none. */
    readonly watchEvents?: boolean | readonly string[]
    /** Per-call timeout in milliseconds (default one hour). */
    readonly callTimeout?: XapiCallSetting<number>
    /** Socket inactivity timeout in milliseconds (default five minutes). */
    readonly httpInactivityTimeout?: number
    /** Calls in flight at once (default 20). */
    readonly callConcurrency?: number
    readonly httpProxy?: string
    readonly syncStackTraces?: boolean
    readonly debounce?: number
    readonly eventPollDelay?: number
    readonly roCallRetryOptions?: { readonly delay?: number; readonly tries?: number }
  }

  /** A cached XAPI object: the record's fields plus `$id`, `$ref`, `$type`. */
  export interface XapiObject {
    readonly $id: string
    readonly $ref: string
    readonly $type: string
    readonly [field: string]: unknown
  }

  export type XapiStatus = 'connected' | 'connecting' | 'disconnected'

  export class Xapi extends EventEmitter {
    constructor(options: XapiOptions)
    readonly status: XapiStatus
    /** Only while connected (asserts otherwise). */
    readonly sessionId: string
    /** The pool record, once connected. */
    readonly pool: XapiObject | null
    readonly readOnly: boolean
    /** Resolves when connected (again). */
    readonly connected: Promise<void>
    readonly disconnected: Promise<void>
    /** The object cache fed by event.from (needs watchEvents). */
    readonly objects: { readonly all: Readonly<Record<string, XapiObject>> }
    readonly objectsFetched: Promise<void>
    /** Log in (session.login_with_password) and read the pool. */
    connect(): Promise<void>
    /** Log out; idempotent. */
    disconnect(): Promise<void>
    /** `method` with the session prepended; `*.get_*` reads are retried on ECONNRESET. */
    call(method: string, ...args: unknown[]): Promise<unknown>
    /** `Async.method`, then wait for the task (needs 'task' events). */
    callAsync(method: string, ...args: unknown[]): Promise<unknown>
    getAllRecords(type: string): Promise<XapiObject[]>
    getRecord(type: string, ref: string): Promise<XapiObject>
    getRecordByUuid(type: string, uuid: string): Promise<XapiObject>
    getField(type: string, ref: string, field: string): Promise<unknown>
    /** Wait until every event up to now is in the cache (needs 'pool' events). */
    barrier(ref?: string): Promise<XapiObject | undefined>
    getObject(idOrUuidOrRef: string, defaultValue?: unknown): XapiObject
    getObjectByRef(ref: string, defaultValue?: unknown): XapiObject
    getObjectByUuid(uuid: string, defaultValue?: unknown): XapiObject
    watchTask(ref: string): Promise<unknown>
  }

  export function createClient(options: XapiOptions): Xapi

  /** What a failed call rejects with when XAPI answered with an API error. */
  export interface XapiApiErrorLike extends Error {
    readonly code: string
    readonly params: readonly string[]
    call?: { readonly method: string; readonly duration: number; readonly params: unknown }
  }
}
