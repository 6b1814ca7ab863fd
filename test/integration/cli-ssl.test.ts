/**
 * The CSR flow end to end as a user runs it (a spawned `xapi-ovn`, the XAPI emulator over 2 lab
 * hosts): `ssl request --dir` makes each host's key on the host and writes its CSR; a CA here signs
 * them as the operator's would; `setup --ssl-cert-dir` refuses a pool with a host lacking its
 * certificate before touching anything, then configures every host. With DEBUG=xen-api (which
 * prints every XAPI call's arguments and result) neither stdout nor stderr, nor the plugin's
 * argv-carried arguments in the debug output, nor the plugin logs, ever hold a private key (issue 9).
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LabHost } from '../../lab/host.js'
import { tempDirPrefix } from '../../lab/names.js'
import { createPki, type Credential, type Pki } from '../fixtures/pki.js'
import { assertNoKey } from './no-key.js'
import { createPoolFixture, PASSWORD, runCli, xapiKeys, type CliRun, type PoolFixture } from './pool-fixture.js'

const KEY_FILE = 'xapi-ovn-privkey.pem'

describe('xapi-ovn ssl request and setup --ssl-cert-dir on 2 emulated hosts', () => {
  let f: PoolFixture
  let hosts: readonly LabHost[]
  let conn: string[]
  let pki: Pki
  let ca: Credential
  let dir: string
  const debug = { DEBUG: 'xen-api' }
  const keyOf = (h: LabHost): string | null => {
    const p = join(h.env().XAPI_OVN_ETC_DIR, KEY_FILE)
    return existsSync(p) ? readFileSync(p, 'utf8') : null
  }
  const pluginLog = (h: LabHost): string => {
    try {
      return readFileSync(h.env().XAPI_OVN_PLUGIN_LOG, 'utf8')
    } catch {
      return ''
    }
  }
  /** No key of any host in the run's output or in any plugin log. */
  const noKeyAnywhere = (r: CliRun, what: string): void => {
    for (const h of hosts) {
      assertNoKey(r.stdout, keyOf(h), `${what} stdout`)
      assertNoKey(r.stderr, keyOf(h), `${what} stderr`)
      assertNoKey(pluginLog(h), keyOf(h), `${h.name} plugin log after ${what}`)
    }
  }

  before(async () => {
    pki = createPki()
    ca = pki.ca('operator-ca')
    dir = mkdtempSync(tempDirPrefix('csr'))
    f = await createPoolFixture(2)
    hosts = f.hosts
    conn = ['--url', f.xapi.url, '--password', PASSWORD]
  })
  after(async () => {
    await f?.close()
    pki?.destroy()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  test('ssl request --dir: every host makes its own key (0600, on the host) and its CSR is written (0644)', async () => {
    const r = await runCli(['ssl', 'request', ...conn, '--dir', dir], debug)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    // DEBUG=xen-api is really on: every call, its arguments and its result are printed (on stdout:
    // @xen-orchestra/log's console transport prints debug lines with console.log).
    assert.match(r.stdout + r.stderr, /xen-api DEBUG .*host\.call_plugin started/)
    assert.match(r.stdout + r.stderr, /host\.call_plugin succeeded/)
    assert.match(r.stdout, /^HOST\s+UUID\s+KEY\s+CSR$/m)
    for (const h of hosts) {
      assert.match(r.stdout, new RegExp(`^${h.name}\\s+${h.uuid}\\s+made\\s+${join(dir, `${h.uuid}.csr`)}$`, 'm'))
      const key = keyOf(h)
      assert.ok(key?.includes('BEGIN PRIVATE KEY'), `${h.name} has its key`)
      assert.equal(statSync(join(h.env().XAPI_OVN_ETC_DIR, KEY_FILE)).mode & 0o777, 0o600)
      const csrPath = join(dir, `${h.uuid}.csr`)
      assert.equal(statSync(csrPath).mode & 0o777, 0o644)
      const csr = readFileSync(csrPath, 'utf8')
      assert.match(pki.verifyCsr(csr), new RegExp(`subject=CN=${h.uuid}`))
      assertNoKey(csr, key, 'the CSR file')
    }
    noKeyAnywhere(r, 'ssl request')
    // Again: the keys are kept, the CSRs are for the same keys.
    const keys = hosts.map(keyOf)
    const again = await runCli(['ssl', 'request', ...conn, '--dir', dir], debug)
    assert.equal(again.code, 0, again.stderr)
    for (const h of hosts) assert.match(again.stdout, new RegExp(`^${h.name}\\s+${h.uuid}\\s+kept\\s`, 'm'))
    assert.deepEqual(hosts.map(keyOf), keys)
    noKeyAnywhere(again, 'ssl request again')
    // The operator's CA signs each CSR into DIR/<host-uuid>.pem.
    for (const h of hosts) {
      const signed = pki.sign(ca, `chassis-${h.name}`, readFileSync(join(dir, `${h.uuid}.csr`), 'utf8'), {
        eku: 'clientAuth',
      })
      writeFileSync(join(dir, `${h.uuid}.pem`), signed.certPem)
    }
    writeFileSync(join(dir, 'ca.pem'), ca.certPem)
  })

  test('setup --ssl-cert-dir with a host lacking its certificate: exit 2, OVN_SSL_CERT_MISSING, nothing touched', async () => {
    const second = hosts[1] as LabHost
    const pem = join(dir, `${second.uuid}.pem`)
    const aside = join(dir, 'aside')
    const before = await Promise.all(hosts.map(xapiKeys))
    const calls = f.xapi.server.calls.length
    renameSync(pem, aside)
    try {
      const r = await runCli(
        [
          'setup',
          ...conn,
          '--ovn-remote',
          'ssl:192.0.2.10:6642',
          '--set',
          'ovn-bridge-datapath-type=netdev',
          '--ssl-cert-dir',
          dir,
          '--ssl-ca-cert',
          join(dir, 'ca.pem'),
        ],
        debug,
      )
      assert.equal(r.code, 2, r.stdout + r.stderr)
      assert.match(r.stderr, new RegExp(`OVN_SSL_CERT_MISSING: no certificate for host ${second.uuid}`))
      noKeyAnywhere(r, 'refused setup')
    } finally {
      renameSync(aside, pem)
    }
    const touched = f.xapi.server.calls.slice(calls).filter((c) => /network\.create|call_plugin|PIF\.plug/.test(c))
    assert.deepEqual(touched, [])
    assert.deepEqual(await Promise.all(hosts.map(xapiKeys)), before)
    for (const h of hosts) assert.equal(existsSync(join(h.env().XAPI_OVN_ETC_DIR, 'xapi-ovn-cert.pem')), false)
  })

  test('setup --ssl-cert-dir: every host gets its own certificate for its own key; no key shown with DEBUG=xen-api', async () => {
    const keys = hosts.map(keyOf)
    const r = await runCli(
      [
        'setup',
        ...conn,
        '--ovn-remote',
        'ssl:192.0.2.10:6642',
        '--set',
        'ovn-bridge-datapath-type=netdev',
        '--ssl-cert-dir',
        dir,
        '--ssl-ca-cert',
        join(dir, 'ca.pem'),
      ],
      debug,
    )
    assert.equal(r.code, 0, r.stdout + r.stderr)
    // The certificates went through XAPI in the clear (they are public) and are in the debug output.
    assert.match(r.stdout, /xen-api DEBUG .*host\.call_plugin started/)
    assert.match(r.stdout, /^OK: 2 of 2 hosts configured/m)
    for (const h of hosts) {
      const etc = h.env().XAPI_OVN_ETC_DIR
      assert.equal(
        readFileSync(join(etc, 'xapi-ovn-cert.pem'), 'utf8'),
        readFileSync(join(dir, `${h.uuid}.pem`), 'utf8'),
      )
      assert.equal(readFileSync(join(etc, 'xapi-ovn-cacert.pem'), 'utf8'), ca.certPem)
    }
    assert.deepEqual(hosts.map(keyOf), keys, 'the keys never moved')
    noKeyAnywhere(r, 'setup')
  })
})
