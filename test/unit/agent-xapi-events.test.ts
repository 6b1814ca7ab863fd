/**
 * lib/agent/xapi-events-io.ts: following event.from keeps only what the replica needs. The agent
 * once held every event.from answer for its whole run (a Promise.race against one never-settling
 * "aborted" promise), ~0.5 MB per event at 5,000 VIFs: bench/agent-pool.ts's RSS after activity.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { ABORTED, followXapi, untilAborted } from '../../lib/agent/xapi-events-io.js'
import { rawNetwork, ref } from './pool-fixtures.js'

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }

/** A full collection, without starting node with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc')
  const gc: unknown = runInNewContext('gc')
  assert.equal(typeof gc, 'function')
  if (typeof gc === 'function') gc()
}

test('untilAborted: the call settles it, an abort answers ABORTED at once, and no listener stays behind', async () => {
  const stop = new AbortController()
  for (let i = 0; i < 100; i++) assert.equal(await untilAborted(Promise.resolve(i), stop.signal), i)
  await assert.rejects(untilAborted(Promise.reject(new Error('lost')), stop.signal), /lost/)
  assert.equal(getEventListeners(stop.signal, 'abort').length, 0)

  const pending = untilAborted(new Promise<never>(() => undefined), stop.signal)
  assert.equal(getEventListeners(stop.signal, 'abort').length, 1)
  stop.abort()
  assert.equal(await pending, ABORTED)
  assert.equal(await untilAborted(new Promise<never>(() => undefined), stop.signal), ABORTED)
})

test('followXapi: an answer applied to the replica is garbage afterwards (51 answers, at most the last kept)', async () => {
  const stop = new AbortController()
  const netRef = ref()
  const answers: WeakRef<object>[] = []
  let calls = 0
  let applied = 0
  let keptWhileRunning = -1
  const xapi = {
    call: async (method: string): Promise<unknown> => {
      assert.equal(method, 'event.from')
      calls++
      if (calls > 51) {
        // While the agent still runs (it waits on this call), count the earlier answers alive.
        await new Promise((r) => setImmediate(r))
        collectGarbage()
        keptWhileRunning = answers.filter((a) => a.deref() !== undefined).length
        stop.abort()
        return new Promise<never>(() => undefined)
      }
      // A network record with many VIF refs, as XAPI sends one after every VIF.create.
      const snapshot = rawNetwork({ VIFs: Array.from({ length: 2000 }, (_, i) => `OpaqueRef:${calls}-${i}`) })
      const answer = {
        events:
          calls === 1
            ? []
            : [{ id: calls, timestamp: null, class: 'network', operation: 'mod', ref: netRef, snapshot }],
        token: `t${calls}`,
      }
      answers.push(new WeakRef(answer))
      return answer
    },
  }
  await followXapi(xapi, {
    signal: stop.signal,
    timeoutS: 30,
    log: quiet,
    onFullRead: () => undefined,
    onEvents: (byClass) => {
      applied += byClass.get('network') ?? 0
    },
  })
  assert.equal(applied, 50)
  // The answer being applied last may still be on the loop's stack; the 50 before it must be gone.
  assert.ok(
    keptWhileRunning >= 0 && keptWhileRunning <= 1,
    `${keptWhileRunning} of 51 event.from answers still reachable`,
  )
})
