/**
 * What a method file gets from the emulator: `define` to register a method, and the checked reads
 * of unmarshalled arguments. Each file under `methods/` exports one `register*Methods(registry,
 * capabilities)`; the emulator keeps its state (sessions, hosts, guests, tasks) private and hands
 * each file only the capabilities it names.
 */
import type { ParamSpec } from '../unmarshal.js'
import { isStruct, type XapiValue } from '../values.js'

export interface CallContext {
  /** The session ref ('' for session-less methods). */
  readonly session: string
  /** The method's name without any Async. prefix. */
  readonly method: string
  /**
   * The call's task: the Async task's ref, or for a synchronous call a fresh ref with no record
   * (xapi gives every call a task; keys of `current_operations` are task refs).
   */
  readonly task: string
}

export interface MethodDef {
  readonly params: readonly ParamSpec[]
  readonly session: boolean
  /** XAPI offers `Async.<method>` for it. */
  readonly async: boolean
  /** The result; void methods (XAPI's `unit`) answer "". */
  readonly run: (ctx: CallContext, args: XapiValue[]) => MethodResult | Promise<MethodResult>
}

// biome-ignore lint/suspicious/noConfusingVoidType: lets a handler that returns nothing be a plain `void` function
export type MethodResult = XapiValue | undefined | void

/** The emulator's method table, as the method files see it: register only. */
export interface MethodRegistry {
  define(name: string, def: MethodDef): void
}

/** The sessions, as the session and event methods see them (the password stays in the emulator). */
export interface SessionControl {
  /** A new session ref for these credentials, or SESSION_AUTHENTICATION_FAILED. */
  login(user: string, password: string): string
  logout(session: string): void
  /** SESSION_INVALID unless `session` is live. */
  check(session: string): void
}

export function str(v: XapiValue | undefined): string {
  if (typeof v !== 'string') throw new Error(`expected a string, got ${String(v)}`)
  return v
}

export function num(v: XapiValue | undefined): number {
  if (typeof v !== 'number') throw new Error(`expected an int, got ${String(v)}`)
  return v
}

/** A set of strings (ipv4_allowed, ...): its string items; anything else is none. */
export function strings(v: XapiValue | undefined): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}

export function stringMap(v: XapiValue | undefined): Record<string, string> {
  return isStruct(v) ? (v as Record<string, string>) : {}
}
