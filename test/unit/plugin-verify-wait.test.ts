/**
 * fn=verify's wait= loop on a fake clock: it looks again every half second until the checks pass
 * or the time is up, and says how long it waited. No real timer runs.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { verifyUntil } from '../../plugin/functions/verify.js'
import type { VerifyReport } from '../../lib/chassis/verify.js'

/** A clock that moves only when slept on, recording every pause. */
function fakeClock(): { now: () => Date; sleep: (ms: number) => Promise<void>; sleeps: number[] } {
  let t = 1_700_000_000_000
  const sleeps: number[] = []
  return {
    now: () => new Date(t),
    sleep: async (ms) => {
      sleeps.push(ms)
      t += ms
    },
    sleeps,
  }
}

const FAIL: VerifyReport = {
  ok: false,
  checks: [{ id: 'controller.running', status: 'fail', message: 'no', hint: 'x' }],
}
const PASS: VerifyReport = {
  ok: true,
  checks: [{ id: 'controller.running', status: 'pass', message: 'yes', hint: null }],
}

test('wait=0 looks once and does not sleep', async () => {
  const clock = fakeClock()
  let looks = 0
  const r = await verifyUntil(clock, 0, async () => {
    looks += 1
    return FAIL
  })
  assert.deepEqual(r, { ...FAIL, waited: 0 })
  assert.equal(looks, 1)
  assert.deepEqual(clock.sleeps, [])
})

test('it looks every 500 ms until the checks pass, and says how long that took', async () => {
  const clock = fakeClock()
  const answers = [FAIL, FAIL, FAIL, PASS]
  const r = await verifyUntil(clock, 10, async () => answers.shift() ?? FAIL)
  assert.deepEqual(r, { ...PASS, waited: 1.5 })
  assert.deepEqual(clock.sleeps, [500, 500, 500])
})

test('when the time is up it returns the last failing report', async () => {
  const clock = fakeClock()
  let looks = 0
  const r = await verifyUntil(clock, 2, async () => {
    looks += 1
    return FAIL
  })
  assert.deepEqual(r, { ...FAIL, waited: 2 })
  assert.equal(looks, 5)
  assert.deepEqual(clock.sleeps, [500, 500, 500, 500])
})
