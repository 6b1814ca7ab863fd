/**
 * Connecting to a pool: certificates verified unless the caller allows otherwise, a pool master
 * that is not there, a record XAPI sends in a shape we do not expect, hosts without the plugin.
 * The emulator's hosts here have no Open vSwitch (in-memory backends): nothing needs one.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { setup, status, XapiOvnError, XapiPool } from '../../lib/index.js'
import { createEmulatedPool, type EmulatedPool } from '../../xapi-emulator/index.js'
import { memoryHosts } from '../../xapi-emulator/testing.js'
import { PASSWORD, runCli } from './pool-fixture.js'

describe('a pool master on HTTPS with a self-signed certificate', () => {
  let pool: EmulatedPool
  before(async () => {
    pool = await createEmulatedPool({ hosts: memoryHosts(3), password: PASSWORD, https: true })
  })
  after(async () => {
    await pool?.close()
  })

  test('the certificate is verified by default: OVN_XAPI_CERTIFICATE, and no session is opened', async () => {
    await assert.rejects(XapiPool.connect({ url: pool.url, password: PASSWORD }), (e: unknown) => {
      assert.ok(e instanceof XapiOvnError, String(e))
      assert.equal(e.code, 'OVN_XAPI_CERTIFICATE')
      assert.equal(e.params[0], pool.url)
      return true
    })
    assert.ok(!pool.server.calls.includes('session.login_with_password'), 'the password was never sent')
  })

  test('allowUnauthorized connects; hosts without the plugin are each reported, not thrown', async () => {
    const xapi = await XapiPool.connect({ url: pool.url, password: PASSWORD, allowUnauthorized: true })
    try {
      const r = await status(xapi)
      assert.equal(r.ok, false)
      assert.equal(r.hosts.length, 3)
      for (const h of r.hosts) {
        assert.ok(!h.ok)
        assert.equal(h.error.code, 'XENAPI_MISSING_PLUGIN')
      }
    } finally {
      await xapi.close()
    }
  })

  test('the CLI: exit 1 with the hint to trust the CA; --allow-unauthorized says verification is off', async () => {
    const refused = await runCli(['status', '--url', pool.url, '--password', PASSWORD])
    assert.equal(refused.code, 1)
    assert.match(
      refused.stderr,
      /OVN_XAPI_CERTIFICATE: the TLS certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted/,
    )
    assert.match(refused.stderr, /hint: install the pool master's certificate authority/)
    const allowed = await runCli(['status', '--url', pool.url, '--password', PASSWORD, '--allow-unauthorized'])
    assert.equal(allowed.code, 1, 'every host lacks the plugin')
    assert.match(allowed.stderr, /warning: TLS certificate verification is off/)
    assert.match(allowed.stdout, /^host1\s+192\.0\.2\.11\s+FAILED\s.*XENAPI_MISSING_PLUGIN$/m)
    assert.match(allowed.stdout, /hint: install the xapi-ovn RPM/)
  })
})

describe('records and reachability', () => {
  let pool: EmulatedPool
  before(async () => {
    pool = await createEmulatedPool({ hosts: memoryHosts(2), password: PASSWORD })
  })
  after(async () => {
    await pool?.close()
  })

  test('a pool master that is not there: OVN_XAPI_UNREACHABLE', async () => {
    await assert.rejects(
      XapiPool.connect({ url: 'http://127.0.0.1:9', password: PASSWORD }),
      (e: unknown) => e instanceof XapiOvnError && e.code === 'OVN_XAPI_UNREACHABLE',
    )
  })

  test('a record with a field of the wrong type is OVN_XAPI_RECORD_INVALID naming it, before anything is touched', async () => {
    const pif = pool.host(pool.hosts[1]?.uuid ?? '').managementPif
    pool.emulator.db.set('PIF', pif, { VLAN: 'not-a-number' as unknown as number })
    const xapi = await XapiPool.connect({ url: pool.url, password: PASSWORD, transport: 'xml-rpc' })
    try {
      const calls = pool.server.calls.length
      await assert.rejects(setup(xapi, { ovnRemote: 'tcp:192.0.2.10:6642' }), (e: unknown) => {
        assert.ok(e instanceof XapiOvnError, String(e))
        assert.equal(e.code, 'OVN_XAPI_RECORD_INVALID')
        assert.deepEqual(e.params.slice(0, 3), ['PIF', pif, 'VLAN'])
        return true
      })
      assert.ok(pool.server.calls.slice(calls).every((c) => c.endsWith('.get_all_records')))
    } finally {
      pool.emulator.db.set('PIF', pif, { VLAN: -1 })
      await xapi.close()
    }
  })
})
