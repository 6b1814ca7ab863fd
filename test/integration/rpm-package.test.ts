/**
 * The host RPM as rpm sees it (name, version, files, modes, requirements, scriptlets), its
 * scriptlets run for real (systemctl faked: what they call, with and without a running systemd),
 * the agent's unit and the drop-in read directive by directive, and the package installed into a
 * scratch root with rpm: its plugin exec'd exactly as xapi execs it, through its #! line on the
 * packaged Node 16, its boot helper run on that Node, on Node 16 and on current Node, and its host
 * agent exec'd as systemd execs it, stopped by SIGTERM.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AGENT_NODE_FLAGS } from '../../host-agent/node-flags.js'
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
const AGENT = '/usr/libexec/xapi-ovn/xapi-ovn-host-agent'
const AGENT_UNIT = '/usr/lib/systemd/system/xapi-ovn-agent.service'
const DROP_IN = '/usr/lib/systemd/system/ovn-controller.service.d/xapi-ovn.conf'
const DIST_AGENT = join(ROOT, 'dist', 'xapi-ovn-host-agent')

/**
 * A systemd unit file as systemd reads it (systemd.syntax(7)): `[Section]` headers, `Key=value`
 * lines, `#`/`;` comments. Each key's values in order (a key may repeat); no continuation lines
 * (the units here have none, and the parser refuses them rather than misreading them).
 */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>()
  let current: Map<string, string[]> | undefined
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    assert.ok(!line.endsWith('\\'), `no continuation lines: ${line}`)
    const header = /^\[([A-Za-z]+)\]$/.exec(line)
    if (header !== null) {
      current = new Map()
      sections.set(header[1] as string, current)
      continue
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line)
    assert.ok(kv !== null && current !== undefined, `not a directive in a section: ${line}`)
    const values = current.get(kv[1] as string) ?? []
    values.push((kv[2] as string).trim())
    current.set(kv[1] as string, values)
  }
  return sections
}

/** A unit parsed, as plain objects: `{ Unit: { After: ['a'] } }`. */
function unitObject(text: string): Record<string, Record<string, string[]>> {
  return Object.fromEntries([...parseUnit(text)].map(([k, v]) => [k, Object.fromEntries(v)]))
}

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

  test('files: exactly the plugin, the helper, the agent and its unit, the runtime, the drop-in, logrotate, README, /etc/xapi-ovn and /var/cache/xapi-ovn (0700), root-owned, with their modes', async () => {
    const files = (
      await query(pkg, '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILENAMES}\n]')
    )
      .trim()
      .split('\n')
    assert.deepEqual(files, [
      '-rw-r--r-- root:root cn /etc/logrotate.d/xapi-ovn',
      'drwx------ root:root  /etc/xapi-ovn',
      '-rwxr-xr-x root:root  /etc/xapi.d/plugins/ovn-chassis',
      'drwxr-xr-x root:root  /usr/lib/systemd/system/ovn-controller.service.d',
      `-rw-r--r-- root:root  ${DROP_IN}`,
      `-rw-r--r-- root:root  ${AGENT_UNIT}`,
      'drwxr-xr-x root:root  /usr/libexec/xapi-ovn',
      `drwxr-xr-x root:root  ${RUNTIME_DIR}`,
      `-rw-r--r-- root:root l ${RUNTIME_DIR}/LICENSE`,
      `drwxr-xr-x root:root  ${RUNTIME_DIR}/bin`,
      `-rwxr-xr-x root:root  ${PRIVATE_NODE}`,
      '-rwxr-xr-x root:root  /usr/libexec/xapi-ovn/ovn-wait-bridge',
      `-rwxr-xr-x root:root  ${AGENT}`,
      'drwxr-xr-x root:root  /usr/share/doc/xapi-ovn',
      '-rw-r--r-- root:root d /usr/share/doc/xapi-ovn/README.md',
      'drwx------ root:root  /var/cache/xapi-ovn',
    ])
    const list = (await run('rpm', ['-qlp', pkg.rpm])).stdout.trim().split('\n')
    assert.deepEqual(
      list,
      files.map((f) => f.split(' ').at(-1)),
    )
  })

  test('requirements: only what dom0 has (glibc, libstdc++, libgcc, openvswitch, logrotate, systemd); no Node, nothing about OVN', async () => {
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
      'systemd|manual',
      'systemd|post',
      'systemd|preun',
      'systemd|postun',
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

  test('scriptlets: systemctl only reloads units and enables, starts, restarts, stops the agent (systemd 219 options); ovn-controller and the chassis untouched; %preun looks at $1', async () => {
    const scripts = (await run('rpm', ['-qp', '--scripts', pkg.rpm])).stdout
    // No %pre: the runtime comes with the package, there is nothing to check before installing.
    assert.doesNotMatch(scripts, /^preinstall/m)
    assert.equal(await query(pkg, '%{PREIN}'), '(none)')
    assert.match(scripts, /^preuninstall scriptlet \(using \/bin\/sh\):$/m)
    // Every command line that runs systemctl reloads units or acts on the agent's unit, and may
    // fail; every one that runs ovs-vsctl reads.
    const code = (text: string): string[] => text.split('\n').filter((l) => !/^\s*#/.test(l))
    const calls = (text: string): string[] =>
      code(text)
        .filter((l) => /\bsystemctl\b/.test(l))
        .map((l) => {
          const m = /^\s*systemctl (.+) >\/dev\/null 2>&1 \|\| :$/.exec(l)
          assert.ok(m !== null, `a systemctl call that may fail silently: ${l}`)
          return m[1] as string
        })
    assert.deepEqual(calls(await query(pkg, '%{POSTIN}')), [
      'daemon-reload',
      'enable xapi-ovn-agent.service',
      'start xapi-ovn-agent.service',
    ])
    assert.deepEqual(calls(await query(pkg, '%{PREUN}')), [
      '--no-reload disable xapi-ovn-agent.service',
      'stop xapi-ovn-agent.service',
    ])
    assert.deepEqual(calls(await query(pkg, '%{POSTUN}')), ['daemon-reload', 'try-restart xapi-ovn-agent.service'])
    // systemctl of systemd 219 (dom0) has no --now (220), and the macros are not used.
    assert.doesNotMatch(code(scripts).join('\n'), /--now\b|%systemd_/)
    const vsctl = code(scripts).filter((l) => /ovs-vsctl /.test(l) && !/^\s*(echo|xapi-ovn:)/.test(l))
    assert.equal(vsctl.length, 1)
    assert.match(vsctl[0] ?? '', /\$\(ovs-vsctl --timeout=10 --if-exists get Open_vSwitch \. external_ids:\S+ 2>&1\)/)
    // The plugin is never run from a scriptlet (it would be the only way to unconfigure); its
    // code caches are only removed, on erase.
    assert.doesNotMatch(
      code(scripts)
        .filter(
          (l) => !/^\s*xe host-call-plugin/.test(l) && !/^\s*rm -f \/var\/cache\/xapi-ovn\/ovn-chassis-\*/.test(l),
        )
        .join('\n'),
      /ovn-chassis\b/,
    )
    const preun = await query(pkg, '%{PREUN}')
    assert.match(preun, /if \[ "\$1" -ne 0 \]; then\n\s+exit 0\nfi/)
    // The agent is stopped only after the refusal: a refused erase leaves it running.
    assert.ok(preun.lastIndexOf('exit 1') < preun.indexOf('systemctl'), 'stop and disable come after every refusal')
    // The scriptlet's idea of "configured" is the plugin's.
    assert.ok(preun.includes(`external_ids:${SAVED_KEY}`), `%preun reads ${SAVED_KEY}`)
    assert.ok(
      preun.includes(`-- '${ovnCtlSslOptions(sslPaths())[0] ?? ''}' ${sslPaths().optionsFile}`),
      '%preun looks for our SSL option in the options file',
    )
  })

  test('scriptlets run with a fake systemctl: without systemd (chroot, scratch root) only enable/disable, with it reload, start, try-restart, stop; a failing systemctl never fails them', async () => {
    const calls = join(work, 'systemctl-calls')
    const systemctl = fakeCommand('systemctl', `echo "$@" >> '${calls}'; exit "\${FAKE_SYSTEMCTL_STATUS:-0}"`)
    // An unconfigured host as %preun reads it: the record is empty.
    const vsctl = fakeCommand('ovs-vsctl', 'exit 0')
    const booted = join(work, 'run-systemd-system')
    mkdirSync(booted)
    const cases: [tag: 'POSTIN' | 'PREUN' | 'POSTUN', arg: string, withSystemd: boolean, calls: string[]][] = [
      // rpm -i, rpm -U (the new package's %post), erase and upgrade (the old package's scriptlets).
      ['POSTIN', '1', false, ['enable xapi-ovn-agent.service']],
      ['POSTIN', '2', false, ['enable xapi-ovn-agent.service']],
      ['PREUN', '0', false, ['--no-reload disable xapi-ovn-agent.service']],
      ['PREUN', '1', false, []],
      ['POSTUN', '0', false, []],
      ['POSTUN', '1', false, []],
      ['POSTIN', '1', true, ['daemon-reload', 'enable xapi-ovn-agent.service', 'start xapi-ovn-agent.service']],
      ['POSTIN', '2', true, ['daemon-reload', 'enable xapi-ovn-agent.service', 'start xapi-ovn-agent.service']],
      ['PREUN', '0', true, ['--no-reload disable xapi-ovn-agent.service', 'stop xapi-ovn-agent.service']],
      ['PREUN', '1', true, []],
      ['POSTUN', '0', true, ['daemon-reload']],
      ['POSTUN', '1', true, ['daemon-reload', 'try-restart xapi-ovn-agent.service']],
    ]
    for (const status of ['0', '1']) {
      for (const [tag, arg, withSystemd, expected] of cases) {
        rmSync(calls, { force: true })
        const edit = (t: string): string =>
          t
            .replaceAll('/run/systemd/system', withSystemd ? booted : join(work, 'no-run-systemd-system'))
            .replaceAll('/etc/sysconfig/ovn-controller', join(work, 'no-sysconfig'))
            .replaceAll('/var/cache/xapi-ovn', join(work, 'no-cache'))
        const r = await scriptlet(
          tag,
          arg,
          { PATH: `${systemctl}:${vsctl}:${PLUGIN_PATH}`, FAKE_SYSTEMCTL_STATUS: status },
          edit,
        )
        const what = `${tag} ${arg} ${withSystemd ? 'with' : 'without'} systemd, systemctl exits ${status}`
        assert.equal(r.status, 0, `${what}: ${r.stderr}`)
        let got: string[] = []
        try {
          got = readFileSync(calls, 'utf8').trim().split('\n')
        } catch {
          // not called at all
        }
        assert.deepEqual(got, expected, what)
      }
    }
    // A refused erase stops nothing.
    rmSync(calls, { force: true })
    const configured = fakeCommand('ovs-vsctl-configured', '')
    writeFileSync(join(configured, 'ovs-vsctl'), `#!/bin/sh\necho '"{}"'\n`)
    chmodSync(join(configured, 'ovs-vsctl'), 0o755)
    const refused = await scriptlet('PREUN', '0', { PATH: `${systemctl}:${configured}:${PLUGIN_PATH}` }, (t) =>
      t.replaceAll('/run/systemd/system', booted),
    )
    assert.equal(refused.status, 1)
    assert.match(refused.stderr, /still configured/)
    assert.throws(() => readFileSync(calls), /ENOENT/, 'a refused erase calls no systemctl')
  })

  test('%postun: an erase removes the code caches and their directory, an upgrade keeps them', async () => {
    const systemctl = fakeCommand('systemctl', 'exit 0')
    for (const [arg, kept] of [
      ['0', false],
      ['1', true],
    ] as const) {
      const cache = join(work, `cache-${arg}`)
      mkdirSync(cache, { recursive: true })
      writeFileSync(join(cache, 'ovn-chassis-v16.20.2-x64.cache'), 'x')
      writeFileSync(join(cache, 'ovn-chassis-v16.20.2-x64.cache.123.tmp'), 'x')
      const r = await scriptlet('POSTUN', arg, { PATH: `${systemctl}:${PLUGIN_PATH}` }, (t) =>
        t.replaceAll('/var/cache/xapi-ovn', cache).replaceAll('/run/systemd/system', join(work, 'no-systemd')),
      )
      assert.equal(r.status, 0, r.stderr)
      assert.equal(existsSync(cache), kept, `POSTUN ${arg}`)
      if (kept) assert.equal(readdirSync(cache).length, 2)
    }
  })

  test("the agent's unit: exactly these directives, all known to systemd 219; the drop-in wants and follows the agent", async () => {
    const unit = unitObject(readFileSync(join(ROOT, 'rpm', 'xapi-ovn-agent.service'), 'utf8'))
    assert.deepEqual(unit, {
      Unit: {
        Description: ['xapi-ovn host agent (OVN chassis configuration and VIF iface-ids)'],
        Documentation: ['file:/usr/share/doc/xapi-ovn/README.md'],
        Wants: ['openvswitch.service'],
        After: ['openvswitch.service'],
        Before: ['ovn-controller.service'],
      },
      Service: {
        Type: ['simple'],
        ExecStart: [['/usr/libexec/xapi-ovn/node/bin/node', ...AGENT_NODE_FLAGS, AGENT].join(' ')],
        Restart: ['always'],
        RestartSec: ['3'],
        RestartPreventExitStatus: ['3'],
      },
      Install: { WantedBy: ['multi-user.target'] },
    })
    // The journal gets its stderr: no StandardOutput=/StandardError= of ours.
    const dropIn = unitObject(readFileSync(join(ROOT, 'rpm', 'ovn-controller-xapi-ovn.conf'), 'utf8'))
    assert.deepEqual(dropIn.Unit, {
      After: ['openvswitch.service xcp-networkd.service xapi.service', 'xapi-ovn-agent.service'],
      Wants: ['openvswitch.service', 'xapi-ovn-agent.service'],
    })
    assert.deepEqual(dropIn.Service?.ExecStartPre, ['/usr/libexec/xapi-ovn/ovn-wait-bridge --timeout 120'])
    assert.deepEqual(dropIn.Service?.Restart, ['on-failure'])
    // The exit status the unit does not restart on is the agent's "another agent runs".
    const main = readFileSync(join(ROOT, 'host-agent', 'main.ts'), 'utf8')
    assert.match(main, /export const EXIT_ALREADY_RUNNING = 3\n/)
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
      // systemctl faked: the erase that is allowed disables the agent, and this machine's own
      // systemd is never asked.
      const env = { PATH: `${fakeCommand('systemctl', 'exit 0')}:${PLUGIN_PATH}`, OVS_RUNDIR: host.rundir }

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

      const unreadable = await scriptlet('PREUN', '0', { ...env, OVS_RUNDIR: join(work, 'no-ovs') }, edit)
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
        [AGENT, 0o755],
        [PRIVATE_NODE, 0o755],
        [`${RUNTIME_DIR}/LICENSE`, 0o644],
        [DROP_IN, 0o644],
        [AGENT_UNIT, 0o644],
        ['/etc/xapi-ovn', 0o700],
        ['/var/cache/xapi-ovn', 0o700],
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
        readFileSync(at(DROP_IN), 'utf8'),
        readFileSync(join(ROOT, 'rpm', 'ovn-controller-xapi-ovn.conf'), 'utf8'),
      )
      assert.equal(
        readFileSync(at(AGENT_UNIT), 'utf8'),
        readFileSync(join(ROOT, 'rpm', 'xapi-ovn-agent.service'), 'utf8'),
      )
      assert.match(readFileSync(at('/etc/logrotate.d/xapi-ovn'), 'utf8'), /^\/var\/log\/xapi-ovn-plugin\.log \{$/m)
    })

    test('the plugin and the agent are dist/ovn-chassis and dist/xapi-ovn-host-agent with their #! line, and only that, made the packaged node', () => {
      const installed = readFileSync(join(scratch.path, 'etc/xapi.d/plugins/ovn-chassis'), 'utf8')
      const dist = readFileSync(DIST_PLUGIN, 'utf8')
      // dist/ovn-chassis as built for npm keeps env; the RPM build rewrites the line.
      assert.ok(dist.startsWith('#!/usr/bin/env node\n'), dist.slice(0, 40))
      assert.equal(installed.split('\n')[0], `#!${PRIVATE_NODE}`)
      assert.equal(installed.slice(installed.indexOf('\n')), dist.slice(dist.indexOf('\n')))
      const helper = readFileSync(join(scratch.path, 'usr/libexec/xapi-ovn/ovn-wait-bridge'), 'utf8')
      assert.equal(helper.split('\n')[0], `#!${PRIVATE_NODE}`)
      const agent = readFileSync(join(scratch.path, AGENT), 'utf8')
      const distAgent = readFileSync(DIST_AGENT, 'utf8')
      assert.ok(distAgent.startsWith('#!/usr/bin/env node\n'), distAgent.slice(0, 40))
      assert.equal(agent.split('\n')[0], `#!${PRIVATE_NODE}`)
      assert.equal(agent.slice(agent.indexOf('\n')), distAgent.slice(distAgent.indexOf('\n')))
    })

    test("the agent exec'd as systemd execs it runs on the packaged node: with no OVSDB it says so on stderr and keeps retrying; SIGTERM stops it with status 0", async () => {
      const empty = join(work, 'agent-no-ovs')
      const state = join(work, 'agent-state')
      mkdirSync(empty)
      mkdirSync(state, { mode: 0o700 })
      const [cmd, ...args] = withPackagedRuntime(scratch, [AGENT])
      const child = spawn(cmd as string, args, {
        // As systemd starts it: no arguments, its own environment, stdout and stderr to the journal.
        env: {
          PATH: PLUGIN_PATH,
          OVS_RUNDIR: empty,
          OVN_RUNDIR: join(work, 'agent-no-ovn'),
          XAPI_OVN_STATE_DIR: state,
          XENSOURCE_INVENTORY: join(work, 'agent-no-inventory'),
          XAPI_OVN_FIREWALL_PORT: join(work, 'agent-no-firewall-port'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stderr = ''
      let stdout = ''
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString()
      })
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString()
      })
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      )
      try {
        // A generous bound: only that it gets there, never how fast.
        const deadline = Date.now() + 30_000
        while (!/cannot reach the local OVSDB/.test(stderr) && Date.now() < deadline && child.exitCode === null)
          await new Promise((r) => setTimeout(r, 50))
        assert.match(stderr, new RegExp(`cannot reach the local OVSDB unix:${empty}/db\\.sock; retrying`), stderr)
        // Still running a moment later: it retries, it does not give up.
        await new Promise((r) => setTimeout(r, 1000))
        assert.equal(child.exitCode, null, stderr)
        child.kill('SIGTERM')
        const end = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))])
        assert.deepEqual(end, { code: 0, signal: null }, stderr)
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      }
      // One journal line per event: each newline-terminated, in the log's line format.
      assert.ok(stderr.endsWith('\n'), stderr)
      const lines = stderr.slice(0, -1).split('\n')
      for (const l of lines) assert.match(l, /^\S+Z pid=[0-9]+ fn=agent (info|warn|error) /, l)
      assert.match(lines[0] ?? '', / info started \{/)
      assert.match(lines.at(-1) ?? '', / info stopped \{/)
      assert.equal(stdout, '', 'the agent writes nothing to stdout')
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
