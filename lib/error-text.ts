/**
 * How an unknown thrown value reads in a message or a log, said once: anything can be thrown
 * (a string, an object from a callback), so callers never assume an Error. See DESIGN.md
 * "Errors" for what is thrown on purpose.
 */

/** The message of an Error, else the value as a string. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** The stack of an Error (its message when it has none), else the value as a string: for crash reports. */
export function errorStackText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err)
}

/** The errno code of a Node system error ('ENOENT', 'EPERM', ...); undefined for anything else. */
export function errnoOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined
  return typeof err.code === 'string' ? err.code : undefined
}
