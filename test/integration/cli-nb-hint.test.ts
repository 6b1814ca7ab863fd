/**
 * A new user's `xapi-ovn port attach` with a northbound database that cannot be reached: the
 * failure must say to check the northbound (the --nb remote, its cluster), not Open vSwitch on a
 * host (lib/pool/failures.ts). The CLI is run as a user runs it, against the XAPI emulator, with
 * --nb at a loopback port nothing listens on.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { createEmulatedPool } from '../../xapi-emulator/index.js'
import { memoryHosts, PASSWORD } from '../../xapi-emulator/testing.js'
import { runCli } from './pool-fixture.js'

/** A loopback port that was just free: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = address !== null && typeof address === 'object' ? address.port : 0
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

test('port attach with an unreachable --nb: OVN_OVSDB_UNAVAILABLE with the northbound hint', async (t) => {
  const pool = await createEmulatedPool({ hosts: memoryHosts(1), password: PASSWORD })
  t.after(() => pool.close())
  const nb = `tcp:127.0.0.1:${await closedPort()}`
  const r = await runCli([
    'port',
    'attach',
    '--switch',
    'sw1',
    '--vm',
    'vm1',
    '--nb',
    nb,
    '--url',
    pool.url,
    '--password',
    PASSWORD,
  ])
  assert.equal(r.code, 1, r.stderr)
  assert.match(r.stderr, /OVN_OVSDB_UNAVAILABLE: OVSDB at tcp:127\.0\.0\.1:\d+ is unavailable/)
  assert.match(
    r.stderr,
    /hint: check the --nb remote \(or OVN_NB_DB\).*xapi-ovn show --nb REMOTE --sb REMOTE names every member and the leader/,
  )
  assert.doesNotMatch(r.stderr, /Open vSwitch/)
})
