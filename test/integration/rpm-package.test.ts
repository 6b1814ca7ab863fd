/**
 * The host RPM as rpm sees it (name, version, files, modes, requirements, scriptlets), its
 * scriptlets run for real, and the package installed into a scratch root with rpm, its plugin
 * called exactly as xapi calls it and its boot helper run on Node 16 and on current Node.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SAVED_KEY } from '../../lib/chassis/keys.js'
import { ovnCtlSslOptions, sslPaths } from '../../lib/chassis/ssl/index.js'
import { LabHost } from '../../lab/host.js'
import { run } from '../../lab/exec.js'
import { newUuid } from '../../lab/names.js'
import { callPlugin, PLUGIN_PATH } from '../../xapi-emulator/plugin-runner.js'
import { XapiApiError } from '../../xapi-emulator/api-error.js'
import {
  DIST_PLUGIN,
  NODE16,
  ROOT,
  buildRpm,
  installScratch,
  query,
  type BuiltRpm,
  type ScratchRoot,
} from './rpm-fixture.js'

const PKG_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
const OVN_NET = newUuid()

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

describe('the xapi-ovn RPM', () => {
  let pkg: BuiltRpm
  let scratch: ScratchRoot
  let work: string

  before(async () => {
    pkg = await buildRpm()
    scratch = await installScratch(pkg)
    work = join(pkg.dir, 'work')
    mkdirSync(work)
  })
  after(() => {
    scratch?.destroy()
    pkg?.destroy()
  })

  /** Run a scriptlet's text with /bin/sh, as rpm does, with its argument ($1). */
  async function scriptlet(
    tag: 'PREIN' | 'POSTIN' | 'PREUN' | 'POSTUN',
    arg: string,
    env: Record<string, string>,
    edit: (s: string) => string = (s) => s,
  ) {
    const file = join(work, `${tag}.sh`)
    writeFileSync(file, edit(await query(pkg, `%{${tag}}`)))
    return run('/bin/sh', [file, arg], { env, replaceEnv: true, check: false })
  }

  function fakeCommand(name: string, body: string): string {
    const dir = join(work, `fake-${name}`)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`)
    chmodSync(join(dir, name), 0o755)
    return dir
  }

  test('build: prints the path and size; name, version from package.json, noarch, a payload rpm 4.11 (XCP-ng 8.x) reads', async () => {
    assert.match(
      pkg.printed,
      new RegExp(`^${pkg.rpm.replace(/[.+]/g, '\\$&')}: ${statSync(pkg.rpm).size} bytes \\([0-9.]+ KiB\\)\\n$`),
    )
    assert.equal(
      await query(pkg, '%{NAME} %{VERSION} %{RELEASE} %{ARCH} %{LICENSE}'),
      `xapi-ovn ${PKG_VERSION.replace('-', '~')} 1 noarch Apache-2.0`,
    )
    assert.equal(await query(pkg, '%{PAYLOADFORMAT} %{PAYLOADCOMPRESSOR} %{FILEDIGESTALGO}'), 'cpio gzip 8')
    const rpmlib = (await query(pkg, '[%{REQUIRENAME}\n]')).split('\n').filter((r) => r.startsWith('rpmlib('))
    const known411 = [
      'rpmlib(CompressedFileNames)',
      'rpmlib(FileDigests)',
      'rpmlib(PayloadFilesHavePrefix)',
      'rpmlib(PayloadIsXz)',
      'rpmlib(PayloadIsLzma)',
      'rpmlib(PayloadIsBzip2)',
    ]
    for (const r of rpmlib) assert.ok(known411.includes(r), `${r} is not a feature of rpm 4.11`)
  })

  test('files: exactly the plugin, the helper, the drop-in, logrotate and README, root-owned, with their modes', async () => {
    const files = (
      await query(pkg, '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILENAMES}\n]')
    )
      .trim()
      .split('\n')
    assert.deepEqual(files, [
      '-rw-r--r-- root:root cn /etc/logrotate.d/xapi-ovn-plugin',
      '-rwxr-xr-x root:root  /etc/xapi.d/plugins/ovn-chassis',
      'drwxr-xr-x root:root  /usr/lib/systemd/system/ovn-controller.service.d',
      '-rw-r--r-- root:root  /usr/lib/systemd/system/ovn-controller.service.d/xapi-ovn.conf',
      'drwxr-xr-x root:root  /usr/libexec/xapi-ovn',
      '-rwxr-xr-x root:root  /usr/libexec/xapi-ovn/ovn-wait-bridge',
      'drwxr-xr-x root:root  /usr/share/doc/xapi-ovn',
      '-rw-r--r-- root:root d /usr/share/doc/xapi-ovn/README.md',
    ])
    const list = (await run('rpm', ['-qlp', pkg.rpm])).stdout.trim().split('\n')
    assert.deepEqual(
      list,
      files.map((f) => f.split(' ').at(-1)),
    )
  })

  test('requirements: Node at /usr/bin/node (also for %pre), /usr/bin/env, openvswitch; nothing about OVN', async () => {
    const reqs = (await query(pkg, '[%{REQUIRENAME}|%{REQUIREFLAGS:deptype}\n]'))
      .trim()
      .split('\n')
      .filter((r) => !r.startsWith('rpmlib('))
    assert.deepEqual(reqs, [
      '/bin/sh|pre,interp',
      '/bin/sh|post,interp',
      '/bin/sh|preun,interp',
      '/bin/sh|postun,interp',
      '/usr/bin/env|manual',
      '/usr/bin/node|manual',
      '/usr/bin/node|pre',
      'openvswitch|manual',
      'openvswitch|preun',
    ])
    const requires = (await run('rpm', ['-qp', '--requires', pkg.rpm])).stdout
    assert.doesNotMatch(requires, /ovn/i)
    assert.equal(
      (await run('rpm', ['-qp', '--provides', pkg.rpm])).stdout.trim(),
      `xapi-ovn = ${PKG_VERSION.replace('-', '~')}-1`,
    )
  })

  test('scriptlets never start, stop, restart or unconfigure anything; %preun looks at $1', async () => {
    const scripts = (await run('rpm', ['-qp', '--scripts', pkg.rpm])).stdout
    assert.match(scripts, /^preinstall scriptlet \(using \/bin\/sh\):$/m)
    assert.match(scripts, /^preuninstall scriptlet \(using \/bin\/sh\):$/m)
    // Every command line that runs systemctl reloads units; every one that runs ovs-vsctl reads.
    const code = scripts.split('\n').filter((l) => !/^\s*#/.test(l))
    const systemctl = code.filter((l) => /\bsystemctl\b/.test(l))
    assert.equal(systemctl.length, 2)
    for (const l of systemctl) assert.match(l, /^\s*systemctl daemon-reload >\/dev\/null 2>&1 \|\| :$/)
    const vsctl = code.filter((l) => /ovs-vsctl /.test(l) && !/^\s*(echo|xapi-ovn:)/.test(l))
    assert.equal(vsctl.length, 1)
    assert.match(vsctl[0] ?? '', /\$\(ovs-vsctl --timeout=10 --if-exists get Open_vSwitch \. external_ids:\S+ 2>&1\)/)
    // The plugin is never run from a scriptlet (it would be the only way to unconfigure).
    assert.doesNotMatch(
      code.filter((l) => !/^\s*xe host-call-plugin/.test(l)).join('\n'),
      /ovn-chassis\b(?! plugin needs)/,
    )
    const preun = await query(pkg, '%{PREUN}')
    assert.match(preun, /if \[ "\$1" -ne 0 \]; then\n\s+exit 0\nfi/)
    // The scriptlet's idea of "configured" is the plugin's.
    assert.ok(preun.includes(`external_ids:${SAVED_KEY}`), `%preun reads ${SAVED_KEY}`)
    assert.ok(
      preun.includes(`-- '${ovnCtlSslOptions(sslPaths())[0] ?? ''}' ${sslPaths().optionsFile}`),
      '%preun looks for our SSL option in the options file',
    )
  })

  test('%pre: refuses Node < 16 or no Node at /usr/bin/node, accepts 16 and the Node here', async () => {
    const fake = (version: string): string => {
      const dir = fakeCommand(
        `node-${version}`,
        `
case "$1" in
  --version) echo "v${version}" ;;
  -e) case "${version}" in 1[6-9].*|[2-9][0-9].*) exit 0 ;; *) exit 1 ;; esac ;;
esac`,
      )
      return join(dir, `node-${version}`)
    }
    const env = { PATH: PLUGIN_PATH }
    for (const [node, ok] of [
      [fake('14.21.3'), false],
      [fake('16.20.2'), true],
      [join(work, 'no-such-node'), false],
      ['/usr/bin/node', true],
    ] as [string, boolean][]) {
      const r = await scriptlet('PREIN', '1', env, (s) => s.replaceAll('/usr/bin/node', node))
      assert.equal(r.status, ok ? 0 : 1, `${node}: ${r.stderr}`)
      if (!ok)
        assert.match(
          r.stderr,
          /^xapi-ovn: the ovn-chassis plugin needs Node.js >= 16 at .*; found: (v14\.21\.3|none that runs)\n$/,
        )
    }
    // And the real Node of this machine runs the real check.
    const real = await scriptlet('PREIN', '1', env)
    assert.equal(real.status, 0, real.stderr)
  })

  test('%post and %postun on a host without systemd: nothing to reload, success', async () => {
    const calls = join(work, 'systemctl-calls')
    const dir = fakeCommand('systemctl', `echo "$@" >> '${calls}'`)
    for (const [tag, arg] of [
      ['POSTIN', '1'],
      ['POSTIN', '2'],
      ['POSTUN', '0'],
      ['POSTUN', '1'],
    ] as const) {
      const r = await scriptlet(tag, arg, { PATH: `${dir}:${PLUGIN_PATH}` })
      assert.equal(r.status, 0, `${tag} ${arg}: ${r.stderr}`)
    }
    assert.throws(() => readFileSync(calls), /ENOENT/, 'no /run/systemd/system here: systemctl is not called')
  })

  describe('%preun on a real Open vSwitch', () => {
    let host: LabHost
    before(async () => {
      host = await LabHost.create({ name: 'rpm1' })
    })
    after(async () => {
      await host?.destroy()
    })

    test('upgrade ($1=1): exits 0 without even reading the database', async () => {
      const calls = join(work, 'ovs-vsctl-calls')
      const dir = fakeCommand('ovs-vsctl', `echo "$@" >> '${calls}'; exit 1`)
      const r = await scriptlet('PREUN', '1', { PATH: `${dir}:${PLUGIN_PATH}`, OVS_RUNDIR: host.rundir })
      assert.equal(r.status, 0, r.stderr)
      assert.throws(() => readFileSync(calls), /ENOENT/)
    })

    test('erase ($1=0): allowed when not configured, refused while configured or unreadable, and says what to do', async () => {
      const options = join(work, 'sysconfig-ovn-controller')
      const edit = (s: string): string => s.replaceAll('/etc/sysconfig/ovn-controller', options)
      const env = { PATH: PLUGIN_PATH, OVS_RUNDIR: host.rundir }

      const clean = await scriptlet('PREUN', '0', env, edit)
      assert.equal(clean.status, 0, clean.stderr)

      await host.vsctl(
        'set',
        'Open_vSwitch',
        '.',
        `external_ids:${SAVED_KEY}=${JSON.stringify(JSON.stringify({ 'ovn-remote': null }))}`,
      )
      const configured = await scriptlet('PREUN', '0', env, edit)
      assert.equal(configured.status, 1)
      assert.match(configured.stderr, /still configured as an OVN chassis by xapi-ovn/)
      assert.match(configured.stderr, /xe host-call-plugin host-uuid=<this host> plugin=ovn-chassis fn=unconfigure/)
      assert.match(configured.stderr, /rpm -e --nopreun xapi-ovn/)
      await host.vsctl('remove', 'Open_vSwitch', '.', 'external_ids', SAVED_KEY)

      writeFileSync(options, `OVN_CONTROLLER_OPTS="${ovnCtlSslOptions(sslPaths()).join(' ')}"\n`)
      const ssl = await scriptlet('PREUN', '0', env, edit)
      assert.equal(ssl.status, 1)
      assert.match(ssl.stderr, /still configured/)
      writeFileSync(options, 'OVN_CONTROLLER_OPTS="--ovn-controller-priority=-5"\n')
      assert.equal((await scriptlet('PREUN', '0', env, edit)).status, 0)

      const unreadable = await scriptlet('PREUN', '0', { PATH: PLUGIN_PATH, OVS_RUNDIR: join(work, 'no-ovs') }, edit)
      assert.equal(unreadable.status, 1)
      assert.match(unreadable.stderr, /cannot read the Open vSwitch database .*database connection failed/)
      assert.match(unreadable.stderr, /rpm -e --nopreun xapi-ovn/)
    })
  })

  describe('installed into a scratch root', () => {
    let host: LabHost
    before(async () => {
      host = await LabHost.create({ name: 'rpm2' })
    })
    after(async () => {
      await host?.destroy()
    })

    test('the files are on disk with their modes, rpm -V finds nothing, the plugin is dist/ovn-chassis byte for byte', async () => {
      const at = (p: string): string => join(scratch.path, p)
      for (const [p, mode] of [
        ['/etc/xapi.d/plugins/ovn-chassis', 0o755],
        ['/usr/libexec/xapi-ovn/ovn-wait-bridge', 0o755],
        ['/usr/lib/systemd/system/ovn-controller.service.d/xapi-ovn.conf', 0o644],
        ['/etc/logrotate.d/xapi-ovn-plugin', 0o644],
        ['/usr/share/doc/xapi-ovn/README.md', 0o644],
      ] as [string, number][]) {
        const st = statSync(at(p))
        assert.equal(st.mode & 0o7777, mode, p)
        assert.equal(st.uid, 0, p)
      }
      const verify = await run(
        'rpm',
        ['--root', scratch.path, '--dbpath', '/var/lib/rpm', '-V', '--nodeps', 'xapi-ovn'],
        { check: false },
      )
      assert.equal(verify.status, 0, verify.stdout + verify.stderr)
      assert.equal(sha256(at('/etc/xapi.d/plugins/ovn-chassis')), sha256(DIST_PLUGIN))
      assert.match(readFileSync(at('/etc/xapi.d/plugins/ovn-chassis'), 'utf8'), /^#!\/usr\/bin\/env node\n/)
      assert.match(readFileSync(at('/usr/libexec/xapi-ovn/ovn-wait-bridge'), 'utf8'), /^#!\/usr\/bin\/node\n/)
      assert.equal(
        readFileSync(at('/usr/lib/systemd/system/ovn-controller.service.d/xapi-ovn.conf'), 'utf8'),
        readFileSync(join(ROOT, 'rpm', 'ovn-controller-xapi-ovn.conf'), 'utf8'),
      )
      assert.match(
        readFileSync(at('/etc/logrotate.d/xapi-ovn-plugin'), 'utf8'),
        /^\/var\/log\/xapi-ovn-plugin\.log \{$/m,
      )
    })

    test('called as xapi calls it: an unknown fn is UNKNOWN_XENAPI_PLUGIN_FUNCTION, fn=status answers a Success', async () => {
      const pluginHost = {
        pluginsDir: join(scratch.path, 'etc', 'xapi.d', 'plugins'),
        netns: host.netns,
        env: host.env(),
      }
      await assert.rejects(
        callPlugin(pluginHost, 'OpaqueRef:rpm-test', 'ovn-chassis', 'nonexistent', {}),
        (e: unknown) => {
          assert.ok(e instanceof XapiApiError)
          assert.equal(e.code, 'UNKNOWN_XENAPI_PLUGIN_FUNCTION')
          assert.deepEqual(e.params, ['nonexistent'])
          return true
        },
      )
      const value = JSON.parse(await callPlugin(pluginHost, 'OpaqueRef:rpm-test', 'ovn-chassis', 'status', {})) as {
        hostUuid: string
        configured: boolean
      }
      assert.equal(value.hostUuid, host.uuid)
      assert.equal(value.configured, false)
    })

    test('the boot helper runs on Node 16 and on this Node: exit 0 for an XAPI bridge, 1 with a journal line when it is missing', async () => {
      const helper = join(scratch.path, 'usr', 'libexec', 'xapi-ovn', 'ovn-wait-bridge')
      await host.vsctl('set', 'Open_vSwitch', '.', 'external_ids:ovn-bridge=xapi1')
      for (const node of [NODE16, process.execPath]) {
        const missing = await host.exec(node, [helper, '--timeout', '0'], { check: false })
        assert.equal(missing.status, 1, `${node}: ${missing.stderr}`)
        assert.match(
          missing.stderr,
          /^ovn-wait-bridge: waiting up to 0s for the integration bridge \(external_ids:ovn-bridge in unix:.*\/db\.sock\) to be XAPI's\novn-wait-bridge: bridge xapi1 \(external_ids:ovn-bridge\) does not exist yet: XAPI creates it/,
        )
      }
      await host.createBridge('xapi1', { networkUuids: [OVN_NET], failMode: 'secure' })
      for (const node of [NODE16, process.execPath]) {
        const ready = await host.exec(node, [helper, '--timeout', '5'], { check: false })
        assert.equal(ready.status, 0, `${node}: ${ready.stderr}`)
        assert.match(
          ready.stderr,
          new RegExp(`bridge xapi1 is XAPI's \\(network ${OVN_NET}\\): starting ovn-controller\\n$`),
        )
      }
      // Executed directly, as systemd does (its shebang is /usr/bin/node).
      const direct = await host.exec(helper, ['--timeout', '5'], { check: false, env: { PATH: PLUGIN_PATH } })
      assert.equal(direct.status, 0, direct.stderr)
    })
  })
})
