/**
 * SSL material through the bundled plugin, called as xapi calls it: configure validates it before
 * writing anything, installs it root-only with ovn-controller's options, never echoes or logs the
 * key, verify sees it, and unconfigure takes it away.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { LabHost } from '../../lab/host.js'
import { Underlay } from '../../lab/underlay.js'
import { newUuid } from '../../lab/names.js'
import { createPki, type Credential, type Pki } from '../unit/ssl-pki-fixture.js'
import { call, value } from './plugin-harness.js'

const BASE = { 'ovn-remote': 'ssl:192.0.2.10:6642', 'ovn-encap-ip': '192.0.2.21', 'ovn-bridge': 'xapi1' }

describe('configure with SSL material', () => {
  let underlay: Underlay
  let host: LabHost
  let pki: Pki
  let ca: Credential
  let chassis: Credential
  let etc: string

  before(async () => {
    pki = createPki()
    ca = pki.ca('central-ca')
    chassis = pki.issue(ca, 'chassis-1', { eku: 'clientAuth', days: 365 })
    underlay = await Underlay.create()
    host = await LabHost.create({ name: 'ssl1' })
    await host.createBridge('xenbr0', { networkUuids: [newUuid()] })
    await host.addUplink('xenbr0', underlay, { ip: '192.0.2.21/24' })
    await host.createBridge('xapi1', { networkUuids: [newUuid()], failMode: 'secure' })
    etc = host.env().XAPI_OVN_ETC_DIR
  })
  after(async () => {
    await host?.destroy()
    await underlay?.destroy()
    pki?.destroy()
  })

  test('material that does not belong together is refused, redacted, and nothing is written', async () => {
    const other = pki.issue(pki.ca('other-ca'), 'stranger', { eku: 'clientAuth' })
    const dump = await host.dumpDb()
    const r = await call(host, 'configure', {
      ...BASE,
      'ovn-ssl-key': other.keyPem,
      'ovn-ssl-cert': chassis.certPem,
      'ovn-ssl-ca-cert': ca.certPem,
    })
    assert.equal(r.ok, false)
    if (!r.ok) {
      assert.equal(r.code, 'OVN_INVALID_ARGUMENT')
      assert.equal(r.params[1], '<redacted>')
      assert.ok(!r.params.join(' ').includes('PRIVATE KEY'))
    }
    assert.equal(await host.dumpDb(), dump)
    assert.equal(existsSync(etc) ? readdirSync(etc).length : 0, 0)
  })

  test('good material is installed root-only with the controller options, and the key is never echoed or logged', async () => {
    const v = await value<{ changed: boolean; ssl: { summary: unknown; changed: string[]; restartNeeded: boolean } }>(
      host,
      'configure',
      {
        ...BASE,
        'ovn-ssl-key': chassis.keyPem,
        'ovn-ssl-cert': chassis.certPem,
        'ovn-ssl-ca-cert': ca.certPem,
      },
    )
    assert.equal(v.changed, true)
    assert.equal(v.ssl.restartNeeded, true)
    assert.match(JSON.stringify(v.ssl.summary), /chassis-1/)
    assert.ok(!JSON.stringify(v).includes('PRIVATE KEY'))
    for (const name of ['xapi-ovn-privkey.pem', 'xapi-ovn-cert.pem', 'xapi-ovn-cacert.pem']) {
      assert.equal(statSync(join(etc, name)).mode & 0o777, 0o600, name)
    }
    assert.equal(readFileSync(join(etc, 'xapi-ovn-privkey.pem'), 'utf8'), chassis.keyPem)
    // ovn-controller.service's EnvironmentFile (/etc/sysconfig/ovn-controller on a host).
    const options = readFileSync(join(etc, 'sysconfig', 'ovn-controller'), 'utf8')
    assert.match(options, /OVN_CONTROLLER_OPTS=.*--ovn-controller-ssl-key=\S*xapi-ovn-privkey\.pem/)
    const log = readFileSync(host.env().XAPI_OVN_PLUGIN_LOG, 'utf8')
    assert.ok(log.includes('configure'))
    assert.ok(!log.includes('PRIVATE KEY'))
    // The OVS SSL table is not used (xapi's start-of-day reset would clear it).
    assert.equal((await host.vsctl('get-ssl')).trim(), '')
  })

  test('the same call again changes nothing', async () => {
    const v = await value<{ changed: boolean; ssl: { changed: string[] } }>(host, 'configure', {
      ...BASE,
      'ovn-ssl-key': chassis.keyPem,
      'ovn-ssl-cert': chassis.certPem,
      'ovn-ssl-ca-cert': ca.certPem,
    })
    assert.equal(v.changed, false)
    assert.deepEqual(v.ssl.changed, [])
  })

  test('verify sees the material for the ssl: remote', async () => {
    const r = await value<{ checks: { id: string; status: string; message: string }[] }>(host, 'verify')
    const ssl = r.checks.find((c) => c.id === 'ssl.material')
    assert.equal(ssl?.status, 'pass', ssl?.message)
    assert.equal(r.checks.find((c) => c.id === 'ssl.ovs-table')?.status, 'pass')
  })

  test('unconfigure removes the material and the options', async () => {
    const v = await value<{ changed: boolean; ssl: { removed: string[]; optionsChanged: boolean } }>(
      host,
      'unconfigure',
    )
    assert.equal(v.changed, true)
    assert.equal(v.ssl.removed.length, 3)
    assert.equal(v.ssl.optionsChanged, true)
    const options = join(etc, 'sysconfig', 'ovn-controller')
    assert.ok(!existsSync(options) || !readFileSync(options, 'utf8').includes('ovn-controller-ssl'))
    assert.ok(!existsSync(join(etc, 'xapi-ovn-privkey.pem')))
  })
})
