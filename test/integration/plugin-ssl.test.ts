/**
 * SSL through the bundled plugin, called as xapi calls it, in the CSR flow where the private key
 * never leaves the host (issue 9): fn=ssl-request makes the key (0600) and returns a CSR for
 * CN=<host uuid>; a CA here signs it as the operator's would; configure takes the certificate and
 * the CA only, refuses ovn-ssl-key and a certificate for another key before writing anything,
 * installs the material root-only with ovn-controller's options; verify sees it; unconfigure takes
 * it away (the host's key stays). At every call, the plugin's argv (as the emulator builds it) and
 * its log hold no private key.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { LabHost } from '../../lab/host.js'
import { Underlay } from '../../lab/underlay.js'
import { newUuid } from '../../lab/names.js'
import { formatPluginCall, pluginArgv } from '../../xapi-emulator/plugin-runner.js'
import { createPki, type Credential, type Pki } from '../fixtures/pki.js'
import { assertNoKey } from './no-key.js'
import { call, DIST_DIR, type Outcome } from './plugin-harness.js'

const BASE = { 'ovn-remote': 'ssl:192.0.2.10:6642', 'ovn-encap-ip': '192.0.2.21', 'ovn-bridge': 'xapi1' }
const KEY_FILE = 'xapi-ovn-privkey.pem'

interface SslRequestReply {
  csr: string | null
  keyCreated: boolean
  keyPath: string
  subject: string
  dryRun: boolean
}

describe('ssl-request and configure with a certificate for the host key', () => {
  let underlay: Underlay
  let host: LabHost
  let pki: Pki
  let ca: Credential
  let etc: string
  let keyPath: string
  let signed: { certPath: string; certPem: string }

  const hostKey = (): string | null => (existsSync(keyPath) ? readFileSync(keyPath, 'utf8') : null)
  const pluginLog = (): string => {
    try {
      return readFileSync(host.env().XAPI_OVN_PLUGIN_LOG, 'utf8')
    } catch {
      return ''
    }
  }
  /** Call as xapi does, and check the argv the emulator execs and the plugin log hold no key. */
  async function checkedCall(fn: string, args: Readonly<Record<string, string>> = {}): Promise<Outcome> {
    const argv = pluginArgv(
      { pluginsDir: DIST_DIR, netns: host.netns, env: host.env() },
      'ovn-chassis',
      formatPluginCall(fn, 'OpaqueRef:test-session', args),
    )
    const r = await call(host, fn, args)
    const key = hostKey()
    assertNoKey(argv.join(' '), key, `argv of ${fn}`)
    assertNoKey(pluginLog(), key, `plugin log after ${fn}`)
    assertNoKey(JSON.stringify(r), key, `reply of ${fn}`)
    return r
  }
  async function checkedValue<T>(fn: string, args: Readonly<Record<string, string>> = {}): Promise<T> {
    const r = await checkedCall(fn, args)
    if (!r.ok) throw new Error(`${fn} failed: ${r.code} ${JSON.stringify(r.params)}`)
    return r.value as T
  }
  /** Everything under the OVN etc dir: name -> content. */
  const snapshotEtc = (): Record<string, string> => {
    const out: Record<string, string> = {}
    const walk = (dir: string, rel: string): void => {
      if (!existsSync(dir)) return
      for (const n of readdirSync(dir)) {
        const p = join(dir, n)
        if (statSync(p).isDirectory()) walk(p, `${rel}${n}/`)
        else out[`${rel}${n} ${(statSync(p).mode & 0o777).toString(8)}`] = readFileSync(p, 'utf8')
      }
    }
    walk(etc, '')
    return out
  }

  before(async () => {
    pki = createPki()
    ca = pki.ca('central-ca')
    underlay = await Underlay.create()
    host = await LabHost.create({ name: 'ssl1' })
    await host.createBridge('xenbr0', { networkUuids: [newUuid()] })
    await host.addUplink('xenbr0', underlay, { ip: '192.0.2.21/24' })
    await host.createBridge('xapi1', { networkUuids: [newUuid()], failMode: 'secure' })
    etc = host.env().XAPI_OVN_ETC_DIR
    keyPath = join(etc, KEY_FILE)
  })
  after(async () => {
    await host?.destroy()
    await underlay?.destroy()
    pki?.destroy()
  })

  test('ssl-request dry-run makes nothing', async () => {
    const r = await checkedValue<SslRequestReply>('ssl-request', { 'dry-run': 'true' })
    assert.deepEqual(r, { csr: null, keyCreated: true, keyPath, subject: `/CN=${host.uuid}`, dryRun: true })
    assert.equal(existsSync(keyPath), false)
  })

  test('ssl-request makes a 0600 key on the host and returns a CSR for CN=<host uuid>, never the key', async () => {
    const r = await checkedValue<SslRequestReply>('ssl-request')
    assert.equal(r.keyCreated, true)
    assert.equal(r.keyPath, keyPath)
    assert.equal(r.subject, `/CN=${host.uuid}`)
    assert.equal(statSync(keyPath).mode & 0o777, 0o600)
    assert.match(readFileSync(keyPath, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/)
    assert.ok(r.csr !== null)
    assert.match(r.csr, /^-----BEGIN CERTIFICATE REQUEST-----\n/)
    // openssl checks the CSR's self-signature (RFC 2986: signed with the key it names).
    assert.match(pki.verifyCsr(r.csr), new RegExp(`subject=CN=${host.uuid}`))
    assert.match(pluginLog(), /fn=ssl-request .*made a new private key/)
  })

  test('ssl-request again keeps the key and gives a CSR for the same key', async () => {
    const key = hostKey()
    const r = await checkedValue<SslRequestReply>('ssl-request')
    assert.equal(r.keyCreated, false)
    assert.equal(hostKey(), key)
    assert.ok(r.csr !== null)
    pki.verifyCsr(r.csr)
    signed = pki.sign(ca, 'chassis-ssl1', r.csr, { eku: 'clientAuth', days: 365 })
  })

  test('ovn-ssl-key is refused with OVN_SSL_KEY_REFUSED, and nothing is written', async () => {
    const dump = await host.dumpConfig()
    const files = snapshotEtc()
    const stranger = pki.issue(ca, 'stranger', { eku: 'clientAuth' })
    // A caller that still sends a key puts it in argv itself (that is why it is refused): plain call.
    const r = await call(host, 'configure', {
      ...BASE,
      'ovn-ssl-key': stranger.keyPem,
      'ovn-ssl-cert': signed.certPem,
      'ovn-ssl-ca-cert': ca.certPem,
    })
    assert.equal(r.ok, false)
    if (!r.ok) {
      assert.equal(r.code, 'OVN_SSL_KEY_REFUSED')
      assert.deepEqual(r.params, ['ovn-ssl-key'])
    }
    assertNoKey(pluginLog(), stranger.keyPem, 'plugin log after a refused key')
    assertNoKey(JSON.stringify(r), stranger.keyPem, 'reply to a refused key')
    assert.equal(await host.dumpConfig(), dump)
    assert.deepEqual(snapshotEtc(), files)
  })

  test('a certificate for another key is refused with OVN_SSL_MATERIAL, and nothing is written', async () => {
    const other = pki.issue(ca, 'other-key', { eku: 'clientAuth' })
    const dump = await host.dumpConfig()
    const files = snapshotEtc()
    const r = await checkedCall('configure', { ...BASE, 'ovn-ssl-cert': other.certPem, 'ovn-ssl-ca-cert': ca.certPem })
    assert.equal(r.ok, false)
    if (!r.ok) {
      assert.equal(r.code, 'OVN_SSL_MATERIAL')
      assert.equal(r.params[0], keyPath)
      assert.match(r.params[1] ?? '', /not for this host's private key/)
    }
    assert.equal(await host.dumpConfig(), dump)
    assert.deepEqual(snapshotEtc(), files)
  })

  test('the signed certificate is installed root-only with the controller options; the key is untouched', async () => {
    const key = hostKey()
    const v = await checkedValue<{
      changed: boolean
      ssl: { summary: unknown; changed: string[]; restartNeeded: boolean }
    }>('configure', { ...BASE, 'ovn-ssl-cert': signed.certPem, 'ovn-ssl-ca-cert': ca.certPem })
    assert.equal(v.changed, true)
    assert.equal(v.ssl.restartNeeded, true)
    assert.deepEqual(v.ssl.changed, [
      join(etc, 'xapi-ovn-cert.pem'),
      join(etc, 'xapi-ovn-cacert.pem'),
      join(etc, 'sysconfig', 'ovn-controller'),
    ])
    assert.match(JSON.stringify(v.ssl.summary), new RegExp(`CN=${host.uuid}`))
    for (const name of [KEY_FILE, 'xapi-ovn-cert.pem', 'xapi-ovn-cacert.pem'])
      assert.equal(statSync(join(etc, name)).mode & 0o777, 0o600, name)
    assert.equal(hostKey(), key)
    assert.equal(readFileSync(join(etc, 'xapi-ovn-cert.pem'), 'utf8'), signed.certPem)
    // ovn-controller.service's EnvironmentFile (/etc/sysconfig/ovn-controller on a host).
    const options = readFileSync(join(etc, 'sysconfig', 'ovn-controller'), 'utf8')
    assert.match(options, /OVN_CONTROLLER_OPTS=.*--ovn-controller-ssl-key=\S*xapi-ovn-privkey\.pem/)
    // Every SSL argument is redacted in the log, whatever its name (defence in depth).
    const log = pluginLog()
    assert.match(log, /"ovn-ssl-cert":"<redacted>"/)
    assert.ok(!log.includes('BEGIN CERTIFICATE'))
    // The OVS SSL table is not used (xapi's start-of-day reset would clear it).
    assert.equal((await host.vsctl('get-ssl')).trim(), '')
  })

  test('the same call again changes nothing', async () => {
    const v = await checkedValue<{ changed: boolean; ssl: { changed: string[] } }>('configure', {
      ...BASE,
      'ovn-ssl-cert': signed.certPem,
      'ovn-ssl-ca-cert': ca.certPem,
    })
    assert.equal(v.changed, false)
    assert.deepEqual(v.ssl.changed, [])
  })

  test('verify sees the material for the ssl: remote', async () => {
    const r = await checkedValue<{ checks: { id: string; status: string; message: string }[] }>('verify')
    const ssl = r.checks.find((c) => c.id === 'ssl.material')
    assert.equal(ssl?.status, 'pass', ssl?.message)
    assert.equal(r.checks.find((c) => c.id === 'ssl.ovs-table')?.status, 'pass')
  })

  test('unconfigure removes the certificate, the CA and the options; the host key stays', async () => {
    const key = hostKey()
    const v = await checkedValue<{ changed: boolean; ssl: { removed: string[]; optionsChanged: boolean } }>(
      'unconfigure',
    )
    assert.equal(v.changed, true)
    assert.deepEqual(v.ssl.removed, [join(etc, 'xapi-ovn-cert.pem'), join(etc, 'xapi-ovn-cacert.pem')])
    assert.equal(v.ssl.optionsChanged, true)
    const options = join(etc, 'sysconfig', 'ovn-controller')
    assert.ok(!existsSync(options) || !readFileSync(options, 'utf8').includes('ovn-controller-ssl'))
    assert.equal(hostKey(), key)
  })

  test('ssl-request renew=true makes a new key (0600) and a CSR for it', async () => {
    const old = hostKey()
    assert.ok(old !== null)
    const r = await checkedValue<SslRequestReply>('ssl-request', { renew: 'true' })
    assert.equal(r.keyCreated, true)
    const now = hostKey()
    assert.ok(now !== null && now !== old)
    assert.equal(statSync(keyPath).mode & 0o777, 0o600)
    assert.ok(r.csr !== null)
    pki.verifyCsr(r.csr)
    // The certificate of the old key no longer fits.
    const refused = await checkedCall('configure', {
      ...BASE,
      'ovn-ssl-cert': signed.certPem,
      'ovn-ssl-ca-cert': ca.certPem,
    })
    assert.equal(refused.ok, false)
    if (!refused.ok) assert.equal(refused.code, 'OVN_SSL_MATERIAL')
    assertNoKey(pluginLog(), old, 'plugin log: the old key')
  })

  test('ssl-request takes only renew and dry-run, as true or false', async () => {
    const bad = await checkedCall('ssl-request', { renew: 'yes' })
    assert.ok(!bad.ok && bad.code === 'OVN_INVALID_ARGUMENT')
    const unknown = await checkedCall('ssl-request', { key: 'x' })
    assert.ok(!unknown.ok && unknown.code === 'OVN_UNKNOWN_ARGUMENT')
  })
})
