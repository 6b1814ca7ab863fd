/**
 * Polling with a deadline: the lab's only way to wait for asynchronous daemons (ovn-controller
 * binding a port, a RAFT election). Deadlines are generous on purpose; tests never assert on how
 * long something took.
 *
 * @example
 * ```ts
 * import { waitFor, sleep } from './wait.js'
 * // resolves with the first truthy value the probe returns; a throwing probe counts as "not yet"
 * const chassis = await waitFor('port bound', async () => (await sbctl('--bare', ...)).trim() || undefined,
 *   { timeoutMs: 60_000 })
 * await sleep(100)
 * ```
 */
import { LabTimeoutError } from './errors.js'

export interface WaitOptions {
  /** Give up after this many ms (default 30000). */
  readonly timeoutMs?: number
  /** Pause between probes (default 100 ms, growing to 1 s). */
  readonly intervalMs?: number
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Block the thread for `ms` (teardown from a process 'exit' handler only). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/**
 * Call `probe` until it returns something other than undefined/null/false, and return that.
 * Exceptions from the probe are remembered and reported if the deadline passes.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  opts: WaitOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000
  const deadline = Date.now() + timeoutMs
  let interval = opts.intervalMs ?? 100
  let last: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined && value !== null && value !== false) return value
      last = undefined
    } catch (err) {
      last = err
    }
    if (Date.now() >= deadline) throw new LabTimeoutError(what, timeoutMs, last)
    await sleep(interval)
    if (opts.intervalMs === undefined) interval = Math.min(interval * 2, 1000)
  }
}
