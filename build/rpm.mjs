// Build the host RPM, dist/xapi-ovn-<version>-<release>.noarch.rpm, from rpm/xapi-ovn.spec:
// the plugin bundle dist/ovn-chassis (build it first: `npm run rpm` does), the boot helper
// ovn-wait-bridge (bundled here from plugin/boot-wait.ts), the ovn-controller drop-in, the
// logrotate file and rpm/README.md. rpmbuild runs in a temporary _topdir that is always removed.
//
//   node build/rpm.mjs [--outdir DIR]     (default DIR: dist/)
//
// Version: package.json's, with a pre-release dash made an rpm tilde (1.2.0-rc.1 -> 1.2.0~rc.1,
// which sorts before 1.2.0). Release: $XAPI_OVN_RPM_RELEASE or 1. The payload is gzip and file
// digests SHA-256, which every rpm on XCP-ng 8.x / XenServer (rpm 4.11) reads; rpm 4.18's
// default zstd payload would not install there. With $SOURCE_DATE_EPOCH set, the build time and
// file mtimes are clamped to it (reproducible builds).
import { build } from 'esbuild'
import { HOST_BUNDLE } from './host-bundle.mjs'
import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs'
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

const outdir = resolve(option('--outdir') ?? join(root, 'dist'))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const version = rpmVersion(pkg.version)
const release = process.env.XAPI_OVN_RPM_RELEASE ?? '1'
if (!/^[0-9A-Za-z._+~]+$/.test(release)) throw new Error(`bad XAPI_OVN_RPM_RELEASE ${JSON.stringify(release)}`)

const plugin = join(root, 'dist', 'ovn-chassis')
if (!existsSync(plugin))
  throw new Error(`${relative(root, plugin)} is missing: run \`node build/plugin.mjs\` first (npm run rpm does)`)
mkdirSync(outdir, { recursive: true })

// The boot helper: plugin/boot-wait.ts as its own executable (CommonJS, Node 16, no
// node_modules), run by systemd as ovn-controller's ExecStartPre, so /usr/bin/node directly.
const helper = join(outdir, 'ovn-wait-bridge')
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
  banner: { js: '#!/usr/bin/node' },
})
chmodSync(helper, 0o755)

const topdir = mkdtempSync(join(tmpdir(), 'xapi-ovn-rpm-'))
try {
  for (const d of ['BUILD', 'BUILDROOT', 'RPMS', 'SOURCES', 'SPECS', 'SRPMS']) mkdirSync(join(topdir, d))
  const sources = {
    'ovn-chassis': plugin,
    'ovn-wait-bridge': helper,
    'ovn-controller-xapi-ovn.conf': join(root, 'rpm', 'ovn-controller-xapi-ovn.conf'),
    'xapi-ovn-plugin.logrotate': join(root, 'rpm', 'xapi-ovn-plugin.logrotate'),
    'README.md': join(root, 'rpm', 'README.md'),
  }
  for (const [name, from] of Object.entries(sources)) copyFileSync(from, join(topdir, 'SOURCES', name))
  const spec = join(topdir, 'SPECS', 'xapi-ovn.spec')
  copyFileSync(join(root, 'rpm', 'xapi-ovn.spec'), spec)

  const defines = {
    _topdir: topdir,
    _tmppath: join(topdir, 'tmp'),
    xapi_ovn_version: version,
    xapi_ovn_release: release,
    _binary_payload: 'w9.gzdio',
    _binary_filedigest_algorithm: '8',
    _build_id_links: 'none',
    ...(process.env.SOURCE_DATE_EPOCH !== undefined
      ? { use_source_date_epoch_as_buildtime: '1', clamp_mtime_to_source_date_epoch: '1' }
      : {}),
  }
  mkdirSync(defines._tmppath)
  const args = ['-bb', ...Object.entries(defines).flatMap(([k, v]) => ['--define', `${k} ${v}`]), spec]
  // rpmbuild talks a lot; keep stdout for the result line and send its output to stderr.
  execFileSync('rpmbuild', args, {
    stdio: ['ignore', process.stderr, process.stderr],
    env: { ...process.env, LC_ALL: 'C' },
  })

  const built = readdirSync(join(topdir, 'RPMS', 'noarch')).filter((f) => f.endsWith('.rpm'))
  if (built.length !== 1) throw new Error(`rpmbuild made ${built.length} packages: ${built.join(', ')}`)
  const out = join(outdir, built[0])
  copyFileSync(join(topdir, 'RPMS', 'noarch', built[0]), out)
  const size = statSync(out).size
  const shown = relative(process.cwd(), out)
  console.log(`${shown.startsWith('..') ? out : shown}: ${size} bytes (${(size / 1024).toFixed(1)} KiB)`)
} finally {
  rmSync(topdir, { recursive: true, force: true })
}
