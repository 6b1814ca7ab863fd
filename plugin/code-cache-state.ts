/**
 * What plugin/code-cache.ts (the outer part of dist/ovn-chassis) did with the V8 code cache,
 * handed to the bundled body (plugin/main.ts logs any state but `used`): a global under a
 * registered symbol, because the loader and the body are two separately bundled programs.
 * Absent when the entry runs without the loader (tests that bundle plugin/main.ts alone).
 */
export const CODE_CACHE_STATE_KEY = Symbol.for('xapi-ovn.code-cache-state')

export type CodeCacheState =
  /** Read, verified and accepted by V8. */
  | 'used'
  /** No cache file yet (or no directory). */
  | 'missing'
  /** For another bundle, Node, architecture or V8, or refused by V8. */
  | 'stale'
  /** Truncated, oversized, a bad header or a wrong checksum. */
  | 'corrupt'
  /** The directory or the file could be written by someone else, or is not a plain dir/file. */
  | 'untrusted'
  /** It could not be read (an I/O error). */
  | 'unreadable'

const STATES: readonly string[] = ['used', 'missing', 'stale', 'corrupt', 'untrusted', 'unreadable']

function isCodeCacheState(value: unknown): value is CodeCacheState {
  return typeof value === 'string' && STATES.includes(value)
}

export function setCodeCacheState(state: CodeCacheState): void {
  Object.defineProperty(globalThis, CODE_CACHE_STATE_KEY, { value: state, configurable: true })
}

export function codeCacheState(): CodeCacheState | undefined {
  const value: unknown = Reflect.get(globalThis, CODE_CACHE_STATE_KEY)
  return isCodeCacheState(value) ? value : undefined
}
