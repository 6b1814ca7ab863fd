/**
 * The one clock of long-running code (the host agent; retries): time and sleeping go through it
 * so tests can drive backoff and timeouts without waiting (undici keeps its timers in one module
 * for the same reason, STYLE.md).
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted === true) {
        resolve()
        return
      }
      const timer = setTimeout(done, ms)
      function done(): void {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      signal?.addEventListener('abort', done, { once: true })
    }),
}

/** Exponential backoff: `base * 2^attempt`, capped at `max`. */
export function backoffMs(attempt: number, base = 250, max = 5000): number {
  return Math.min(max, base * 2 ** Math.min(attempt, 20))
}
