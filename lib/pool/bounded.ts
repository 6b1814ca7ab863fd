/**
 * Run an async function over items with at most `limit` calls in flight, keeping the input order
 * in the results. A sliding window, not waves: `limit` workers each take the next item as soon as
 * their last call settles, so a slow item holds one slot only (test/unit/pool-window.test.ts). The function is expected not to reject (the driver turns every host's failure
 * into a value); if it does, the first rejection is passed on once the running calls settle.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  const width = Math.max(1, Math.min(Math.floor(limit) || 1, items.length))
  let next = 0
  let failure: { error: unknown } | null = null
  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      const i = next++
      try {
        results[i] = await fn(items[i] as T, i)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: width }, worker))
  if (failure !== null) throw (failure as { error: unknown }).error
  return results
}
