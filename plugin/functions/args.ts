/**
 * Small argument parsers shared by the plugin functions that take few arguments.
 */
import { InvalidArgumentError, UnknownArgumentError } from '../../lib/errors.js'

/** Reject any argument not in `allowed`. */
export function onlyArgs(args: Readonly<Record<string, string>>, allowed: readonly string[]): void {
  for (const key of Object.keys(args).sort()) if (!allowed.includes(key)) throw new UnknownArgumentError(key)
}

/** A whole number of seconds within [0, max]; absent gives `fallback`. */
export function seconds(args: Readonly<Record<string, string>>, key: string, max: number, fallback: number): number {
  const v = args[key]
  if (v === undefined) return fallback
  if (!/^[0-9]{1,6}$/.test(v) || Number(v) > max)
    throw new InvalidArgumentError(key, v, `expected whole seconds from 0 to ${max}`)
  return Number(v)
}
