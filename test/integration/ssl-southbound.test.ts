/**
 * The SSL material configure writes, used for real: a southbound ovsdb-server (OVN SB schema)
 * listening on pssl: with a CA made here, and a real ovn-controller on a lab host started the
 * way OVN's ovn-controller.service starts it (the options file sourced, then
 * `ovn-ctl start_controller $OVN_CONTROLLER_OPTS`). The material comes the CSR way: the host's
 * key is made on the host (ensureHostKey, as fn=ssl-request does), its CSR (openssl req) is
 * signed by a CA here as the operator's would, and only the certificate and the CA are planned.
 * The chassis appears in the SB Chassis table only with the right material; with a certificate from another CA, or a CA that does not know
 * the server, it never connects; after removal the options are gone from its command line.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { LabHost } from '../../lab/host.js'
import { LabDaemon } from '../../lab/daemon.js'
import { run } from '../../lab/exec.js'
import { newUuid } from '../../lab/names.js'
import { waitFor } from '../../lab/wait.js'
import {
  applySslPlan,
  chassisSubject,
  ensureHostKey,
  makeCsr,
  planSslMaterial,
  readSslFile,
  removeSslMaterial,
  sslPaths,
  type SslPaths,
} from '../../lib/chassis/ssl/index.js'
import { SB_SCHEMA_PATH } from '../fixtures/ovn-schema.js'
import { createPki, type Credential, type Pki } from '../fixtures/pki.js'
import {
  controllerAppctl,
  controllerLog,
  controllerPidfile,
  startLikeService,
  stopLikeService,
} from './ovn-controller-service.js'
import { readPidfile } from '../../lab/cleanup.js'

const OVN_NET = newUuid()

describe('SSL material against a real southbound database on pssl:', () => {
  let pki: Pki
  let centralCa: Credential
  let rogueCa: Credential
  let server: Credential
  /** The host's certificate from the central CA, and one from the rogue CA, both for the host's own key. */
  let chassis: string
  let rogue: string
  let host: LabHost
  let sb: LabDaemon
  let sbSock: string
  let sbLog: string
  let paths: SslPaths

  before(async () => {
    pki = createPki()
    centralCa = pki.ca('central-ca')
    rogueCa = pki.ca('rogue-ca')
    server = pki.issue(centralCa, 'ovn-sb', { eku: 'serverAuth' })

    host = await LabHost.create({ name: 'ssl1' })
    paths = sslPaths(join(host.rundir, 'etc-ovn'))
    // The host makes its key and a CSR for CN=<host uuid>; the CAs sign it.
    assert.equal(ensureHostKey(paths, { renew: false, dryRun: false }).created, true)
    const csr = await makeCsr(paths.privateKey, chassisSubject(host.uuid))
    chassis = pki.sign(centralCa, 'chassis-ssl1', csr, { eku: 'clientAuth' }).certPem
    rogue = pki.sign(rogueCa, 'rogue-chassis', csr, { eku: 'clientAuth' }).certPem
    const sbDir = join(host.rundir, 'sb')
    mkdirSync(sbDir)
    const sbDb = join(sbDir, 'ovnsb_db.db')
    sbSock = join(sbDir, 'ovnsb_db.sock')
    sbLog = join(sbDir, 'ovsdb-server-sb.log')
    await run('ovsdb-tool', ['create', sbDb, SB_SCHEMA_PATH])
    sb = await LabDaemon.start({
      program: 'ovsdb-server',
      label: 'ssl1 SB ovsdb-server',
      netns: host.netns,
      env: { OVS_RUNDIR: sbDir },
      pidfile: join(sbDir, 'ovsdb-server-sb.pid'),
      logFile: sbLog,
      args: [
        sbDb,
        '--remote=pssl:6642:127.0.0.1',
        `--remote=punix:${sbSock}`,
        `--private-key=${server.keyPath}`,
        `--certificate=${server.certPath}`,
        `--ca-cert=${centralCa.certPath}`,
        `--unixctl=${join(sbDir, 'ovsdb-server-sb.ctl')}`,
      ],
    })
    // ovn-northd creates SB_Global on a real central; ovn-controller 23.03 crashes (SIGSEGV)
    // on a southbound database without that row, so create it the way `ovn-sbctl init` does.
    await run('ovn-sbctl', [`--db=unix:${sbSock}`, 'init'])
    await host.createBridge('xapi1', { networkUuids: [OVN_NET], failMode: 'secure' })
    await host.vsctl(
      'set',
      'Open_vSwitch',
      '.',
      'external_ids:ovn-remote="ssl:127.0.0.1:6642"',
      'external_ids:ovn-encap-type=geneve',
      'external_ids:ovn-encap-ip=127.0.0.1',
      'external_ids:ovn-bridge=xapi1',
    )
  })

  after(async () => {
    if (host !== undefined) await stopLikeService(host).catch(() => undefined)
    await sb?.stop()
    await host?.destroy()
    pki?.destroy()
  })

  async function sbChassisNames(): Promise<string[]> {
    const out = (await run('ovn-sbctl', [`--db=unix:${sbSock}`, '--bare', '--columns=name', 'list', 'Chassis'])).stdout
    return out
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
  }

  function material(cert: string, ca: Credential): Record<string, string> {
    return { 'ovn-ssl-cert': cert, 'ovn-ssl-ca-cert': ca.certPem }
  }

  /** Plan as configure does: against the key on the host, read from its file now. */
  function planFor(cert: string, ca: Credential): ReturnType<typeof planSslMaterial> {
    return planSslMaterial(material(cert, ca), paths, new Date(), readSslFile(paths.privateKey))
  }

  function controllerCmdline(): string[] {
    const pid = readPidfile(controllerPidfile(host))
    assert.ok(pid !== undefined)
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((w) => w !== '')
  }

  function logLines(path: string): string[] {
    try {
      return readFileSync(path, 'utf8').split('\n')
    } catch {
      return []
    }
  }

  /**
   * Wait until `path` has `n` more lines matching `pattern` than it had at `baseline` lines:
   * evidence of failed handshakes (events, not elapsed time).
   */
  async function logged(path: string, baseline: number, pattern: RegExp, n: number): Promise<void> {
    await waitFor(
      `${n} lines matching ${String(pattern)} in ${path}`,
      () =>
        logLines(path)
          .slice(baseline)
          .filter((l) => pattern.test(l)).length >= n || undefined,
      { timeoutMs: 90_000 },
    )
  }

  test('with the material configure writes, the chassis registers over ssl:', async () => {
    const plan = planFor(chassis, centralCa)
    assert.ok(plan !== null)
    applySslPlan(plan)
    await startLikeService(host, { optionsFile: paths.optionsFile })
    const argv = controllerCmdline()
    for (const arg of plan.controllerArgs)
      assert.ok(argv.includes(arg), `ovn-ctl passed ${arg} to ovn-controller: ${argv.join(' ')}`)
    const names = await waitFor(
      'chassis in the SB Chassis table',
      async () => {
        const n = await sbChassisNames()
        return n.length > 0 ? n : undefined
      },
      { timeoutMs: 60_000 },
    )
    assert.deepEqual(names, [host.uuid])
    assert.equal(await controllerAppctl(host, 'connection-status'), 'connected')
    await stopLikeService(host) // ExecStop: `exit` removes the chassis again
    await waitFor('chassis removed', async () => (await sbChassisNames()).length === 0, { timeoutMs: 30_000 })
  })

  test('with a certificate from another CA it never connects', async () => {
    const plan = planFor(rogue, centralCa)
    assert.ok(plan !== null)
    assert.equal(plan.summary.certificateIssuedByCa, false)
    applySslPlan(plan)
    const [sbBase, ctlBase] = [logLines(sbLog).length, logLines(controllerLog(host)).length]
    await startLikeService(host, { optionsFile: paths.optionsFile })
    // The server refuses the client certificate, again and again (ovn-controller keeps retrying).
    await logged(sbLog, sbBase, /SSL_accept: .*certificate verify failed/, 2)
    await logged(controllerLog(host), ctlBase, /SSL_read: .*unknown ca/, 2)
    assert.deepEqual(await sbChassisNames(), [])
    assert.equal(await controllerAppctl(host, 'connection-status'), 'not connected')
    await stopLikeService(host)
  })

  test('with a CA that did not issue the server certificate it never connects', async () => {
    const plan = planFor(chassis, rogueCa)
    assert.ok(plan !== null)
    applySslPlan(plan)
    const ctlBase = logLines(controllerLog(host)).length
    await startLikeService(host, { optionsFile: paths.optionsFile })
    // ovn-controller refuses the server's certificate, at every attempt.
    await logged(controllerLog(host), ctlBase, /SSL_connect: .*certificate verify failed/, 2)
    assert.deepEqual(await sbChassisNames(), [])
    assert.equal(await controllerAppctl(host, 'connection-status'), 'not connected')
    await stopLikeService(host)
  })

  test('run as a non-root user (OVN_USER_ID), ovn-controller cannot read the root-only files: apply warns, it never connects', async () => {
    const plan = planFor(chassis, centralCa)
    assert.ok(plan !== null)
    mkdirSync(dirname(paths.ovnSysconfigFile), { recursive: true })
    writeFileSync(paths.ovnSysconfigFile, 'OPTIONS=""\nOVN_USER_ID="nobody:nogroup"\n')
    const applied = applySslPlan(plan)
    assert.match(applied.warnings.join('\n'), /runs as nobody:nogroup .* cannot read the root-only SSL files/)
    // Let that user reach the lab's Open vSwitch, so the SSL files are the only thing in its way.
    chmodSync(host.rundir, 0o755)
    chmodSync(host.dbSock, 0o777)
    const ctlBase = logLines(controllerLog(host)).length
    await startLikeService(host, { optionsFile: paths.optionsFile, ovnSysconfigFile: paths.ovnSysconfigFile })
    const pid = readPidfile(controllerPidfile(host))
    assert.match(readFileSync(`/proc/${pid ?? 0}/status`, 'utf8'), /^Uid:\s+65534\s/m)
    await logged(controllerLog(host), ctlBase, /SSL_use_PrivateKey_file|Private key must be configured to use SSL/, 2)
    assert.deepEqual(await sbChassisNames(), [])
    await stopLikeService(host)
    rmSync(paths.ovnSysconfigFile)
    chmodSync(host.rundir, 0o700)
    chmodSync(host.dbSock, 0o755)
  })

  test('after removal the service starts ovn-controller without SSL options, and it cannot connect', async () => {
    const plan = planFor(chassis, centralCa)
    assert.ok(plan !== null)
    applySslPlan(plan)
    const removed = removeSslMaterial(paths)
    assert.deepEqual(removed.removed, [paths.certificate, paths.caCert])
    const ctlBase = logLines(controllerLog(host)).length
    await startLikeService(host, { optionsFile: paths.optionsFile })
    const argv = controllerCmdline()
    assert.ok(!argv.some((a) => /^--(private-key|certificate|ca-cert)=/.test(a)), argv.join(' '))
    await logged(controllerLog(host), ctlBase, /Private key must be configured to use SSL/, 2)
    assert.deepEqual(await sbChassisNames(), [])
    await stopLikeService(host)
  })
})
