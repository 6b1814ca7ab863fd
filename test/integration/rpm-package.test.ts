/**
 * The host RPM as rpm sees it (name, version, files, modes, requirements, scriptlets), its
 * scriptlets run for real, and the package installed into a scratch root with rpm: its plugin
 * exec'd exactly as xapi execs it, through its #! line on the packaged Node 16, and its boot
 * helper run on that Node, on Node 16 and on current Node.
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
import {
  formatPluginCall,
  interpretPluginOutput,
  PLUGIN_PATH,
  pluginArgv,
  type PluginHost,
} from '../../xapi-emulator/plugin-runner.js'
import { XapiApiError } from '../../xapi-emulator/api-error.js'
import {
  DIST_PLUGIN,
  NODE16,
  PRIVATE_NODE,
  ROOT,
  RUNTIME_DIR,
  buildRpm,
  installScratch,
  query,
  withPackagedRuntime,
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
    tag: 'POSTIN' | 'PREUN' | 'POSTUN',
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

  test('build: prints the path and size; name, version from package.json, x86_64, a payload rpm 4.11 (XCP-ng 8.x) reads', async () => {
    assert.match(
      pkg.printed,
      new RegExp(`^${pkg.rpm.replace(/[.+]/g, '\\$&')}: ${statSync(pkg.rpm).size} bytes \\([0-9.]+ KiB\\)\\n$`),
    )
    assert.equal(
      await query(pkg, '%{NAME} %{VERSION} %{RELEASE} %{ARCH} %{LICENSE}'),
      `xapi-ovn ${PKG_VERSION.replace('-', '~')} 1 x86_64 Apache-2.0 AND MIT`,
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

  test('files: exactly the plugin, the helper, the runtime, the drop-in, logrotate and README, root-owned, with their modes', async () => {
    const files = (
      await query(pkg, '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILENAMES}\n]')
    )
      .trim()
      .split('\n')
    assert.deepEqual(files, [
      '-rw-r--r-- root:root cn /etc/logrotate.d/xapi-ovn',
      '-rwxr-xr-x root:root  /etc/xapi.d/plugins/ovn-chassis',
      'drwxr-xr-x root:root  /usr/lib/systemd/system/ovn-controller.service.d',
      '-rw-r--r-- root:root  /usr/lib/systemd/system/ovn-controller.service.d/xapi-ovn.conf',
      'drwxr-xr-x root:root  /usr/libexec/xapi-ovn',
      `drwxr-xr-x root:root  ${RUNTIME_DIR}`,
      `-rw-r--r-- root:root l ${RUNTIME_DIR}/LICENSE`,
      `drwxr-xr-x root:root  ${RUNTIME_DIR}/bin`,
      `-rwxr-xr-x root:root  ${PRIVATE_NODE}`,
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

  test('requirements: only what dom0 has (glibc, libstdc++, libgcc, openvswitch, logrotate); no Node, nothing about OVN', async () => {
    const reqs = (await query(pkg, '[%{REQUIRENAME}|%{REQUIREFLAGS:deptype}\n]'))
      .trim()
      .split('\n')
      .filter((r) => !r.startsWith('rpmlib('))
    assert.deepEqual(reqs, [
      '/bin/sh|post,interp',
      '/bin/sh|preun,interp',
      '/bin/sh|postun,interp',
      'libc.so.6()(64bit)|manual',
      'libgcc_s.so.1()(64bit)|manual',
      'libstdc++.so.6()(64bit)|manual',
      'logrotate|manual',
      'openvswitch|manual',
      'openvswitch|preun',
    ])
    const requires = (await run('rpm', ['-qp', '--requires', pkg.rpm])).stdout
    assert.doesNotMatch(requires, /ovn|node|\/usr\/bin\/env/i)
    const version = PKG_VERSION.replace('-', '~')
    assert.deepEqual((await run('rpm', ['-qp', '--provides', pkg.rpm])).stdout.trim().split('\n'), [
      `bundled(nodejs) = ${(await run(NODE16, ['--version'])).stdout.trim().slice(1)}`,
      `xapi-ovn = ${version}-1`,
      `xapi-ovn(x86-64) = ${version}-1`,
    ])
  })

  test('description: lines of at most 79 columns, naming the runtime; a %changelog entry for this version', async () => {
    const description = await query(pkg, '%{DESCRIPTION}')
    for (const line of description.split('\n')) assert.ok(line.length <= 79, `too long: ${JSON.stringify(line)}`)
    assert.match(description, new RegExp(`Node\\.js\\s+16\\.20\\.2 in ${RUNTIME_DIR}`))
    assert.match(await query(pkg, '%{CHANGELOGNAME}'), new RegExp(` - ${PKG_VERSION.replace(/[.]/g, '\\.')}-1$`))
  })

  test('scriptlets never start, stop, restart or unconfigure anything; %preun looks at $1', async () => {
    const scripts = (await run('rpm', ['-qp', '--scripts', pkg.rpm])).stdout
    // No %pre: the runtime comes with the package, there is nothing to check before installing.
    assert.doesNotMatch(scripts, /^preinstall/m)
    assert.equal(await query(pkg, '%{PREIN}'), '(none)')
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
    assert.doesNotMatch(code.filter((l) => !/^\s*xe host-call-plugin/.test(l)).join('\n'), /ovn-chassis\b/)
    const preun = await query(pkg, '%{PREUN}')
    assert.match(preun, /if \[ "\$1" -ne 0 \]; then\n\s+exit 0\nfi/)
    // The scriptlet's idea of "configured" is the plugin's.
    assert.ok(preun.includes(`external_ids:${SAVED_KEY}`), `%preun reads ${SAVED_KEY}`)
    assert.ok(
      preun.includes(`-- '${ovnCtlSslOptions(sslPaths())[0] ?? ''}' ${sslPaths().optionsFile}`),
      '%preun looks for our SSL option in the options file',
    )
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
    let pluginHost: PluginHost
    before(async () => {
      host = await LabHost.create({ name: 'rpm2' })
      pluginHost = { pluginsDir: join(scratch.path, 'etc', 'xapi.d', 'plugins'), netns: host.netns, env: host.env() }
    })
    after(async () => {
      await host?.destroy()
    })

    /**
     * Run the installed plugin's `fn` as xapi does (exec'd with argv [path, methodCall] and
     * xapi's PATH, which has a node in /usr/bin here but none on a host), with the packaged
     * runtime at its real path (`packaged`) or without it, and map its output as xapi does.
     */
    async function callInstalled(fn: string, args: Record<string, string>, packaged: boolean): Promise<string> {
      const plain = pluginArgv(pluginHost, 'ovn-chassis', formatPluginCall(fn, 'OpaqueRef:rpm-test', args))
      const argv = packaged ? withPackagedRuntime(scratch, plain) : plain
      const r = await run(argv[0] as string, argv.slice(1), {
        env: { PATH: PLUGIN_PATH },
        replaceEnv: true,
        check: false,
      })
      return interpretPluginOutput(r)
    }

    test('the files are on disk with their modes, rpm -V finds nothing; the runtime is node16 byte for byte', async () => {
      const at = (p: string): string => join(scratch.path, p)
      for (const [p, mode] of [
        ['/etc/xapi.d/plugins/ovn-chassis', 0o755],
        ['/usr/libexec/xapi-ovn/ovn-wait-bridge', 0o755],
        [PRIVATE_NODE, 0o755],
        [`${RUNTIME_DIR}/LICENSE`, 0o644],
        ['/usr/lib/systemd/system/ovn-controller.service.d/xapi-ovn.conf', 0o644],
        ['/etc/logrotate.d/xapi-ovn', 0o644],
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
      // Installed as upstream built it (no strip), with its license.
      assert.equal(sha256(at(PRIVATE_NODE)), sha256(NODE16))
      assert.equal(sha256(at(`${RUNTIME_DIR}/LICENSE`)), sha256(join(ROOT, 'node_modules', 'node16', 'LICENSE')))
      assert.equal((await run(at(PRIVATE_NODE), ['--version'], { env: {}, replaceEnv: true })).stdout, 'v16.20.2\n')
      assert.equal(
        readFileSync(at('/usr/lib/systemd/system/ovn-controller.service.d/xapi-ovn.conf'), 'utf8'),
        readFileSync(join(ROOT, 'rpm', 'ovn-controller-xapi-ovn.conf'), 'utf8'),
      )
      assert.match(readFileSync(at('/etc/logrotate.d/xapi-ovn'), 'utf8'), /^\/var\/log\/xapi-ovn-plugin\.log \{$/m)
    })

    test('the plugin is dist/ovn-chassis with its #! line, and only that, made the packaged node', () => {
      const installed = readFileSync(join(scratch.path, 'etc/xapi.d/plugins/ovn-chassis'), 'utf8')
      const dist = readFileSync(DIST_PLUGIN, 'utf8')
      // dist/ovn-chassis as built for npm keeps env; the RPM build rewrites the line.
      assert.ok(dist.startsWith('#!/usr/bin/env node\n'), dist.slice(0, 40))
      assert.equal(installed.split('\n')[0], `#!${PRIVATE_NODE}`)
      assert.equal(installed.slice(installed.indexOf('\n')), dist.slice(dist.indexOf('\n')))
      const helper = readFileSync(join(scratch.path, 'usr/libexec/xapi-ovn/ovn-wait-bridge'), 'utf8')
      assert.equal(helper.split('\n')[0], `#!${PRIVATE_NODE}`)
    })

    test("exec'd as xapi execs it, it runs on the packaged node: an unknown fn is UNKNOWN_XENAPI_PLUGIN_FUNCTION, fn=status answers", async () => {
      await assert.rejects(callInstalled('nonexistent', {}, true), (e: unknown) => {
        assert.ok(e instanceof XapiApiError)
        assert.equal(e.code, 'UNKNOWN_XENAPI_PLUGIN_FUNCTION')
        assert.deepEqual(e.params, ['nonexistent'])
        return true
      })
      const value = JSON.parse(await callInstalled('status', {}, true)) as { hostUuid: string; configured: boolean }
      assert.equal(value.hostUuid, host.uuid)
      assert.equal(value.configured, false)
      // Without the packaged runtime at its path the same call fails: the plugin never falls back
      // to a node on PATH (this machine has one in /usr/bin).
      await assert.rejects(callInstalled('status', {}, false), (e: unknown) => {
        assert.ok(e instanceof XapiApiError)
        assert.equal(e.code, 'XENAPI_PLUGIN_FAILURE')
        assert.equal(e.params[0], 'non-zero exit')
        assert.match(e.params[2] ?? '', /No such file or directory/)
        return true
      })
    })

    test("the boot helper runs on the packaged node (exec'd, as systemd does), Node 16 and this Node: exit 0 for an XAPI bridge, 1 with a journal line when it is missing", async () => {
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
      // Executed directly, as systemd does: its #! line finds the packaged node.
      const [cmd, ...args] = withPackagedRuntime(scratch, [helper, '--timeout', '5'])
      const direct = await host.exec(cmd as string, args, { check: false, env: { PATH: PLUGIN_PATH } })
      assert.equal(direct.status, 0, direct.stderr)
      assert.match(direct.stderr, /starting ovn-controller\n$/)
    })
  })
})
