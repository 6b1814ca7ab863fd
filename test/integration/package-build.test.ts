/**
 * The npm package as users get it: dist/lib (built by `node build/lib.mjs`, which npm test runs)
 * is importable with its types, and the `xapi-ovn` bin runs. And the README's install as a new
 * user follows it: `npm pack` in a fresh copy of the sources builds the tarball (prepack), `npm
 * install -g` of it puts `xapi-ovn` on PATH, and its shipped .d.ts type-check in a consumer project
 * under moduleResolution node16, nodenext and bundler without esModuleInterop.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string
  version: string
  license: string
  exports: Record<string, { types: string; import: string }>
  bin: Record<string, string>
}

test('the package entry and its declarations exist where package.json says', () => {
  const entry = pkg.exports['.']
  assert.ok(entry)
  assert.ok(existsSync(join(ROOT, entry.import)), entry.import)
  assert.ok(existsSync(join(ROOT, entry.types)), entry.types)
})

test('the entry exports the pool driver, the errors and the building blocks', async () => {
  const m = (await import(pathToFileURL(join(ROOT, pkg.exports['.']?.import ?? '')).href)) as Record<string, unknown>
  for (const name of [
    'XapiPool',
    'setup',
    'verify',
    'status',
    'teardown',
    'setupPools',
    'attachVms',
    'detachVms',
    'connectNorthbound',
    'XapiOvnError',
    'chooseTransportPif',
  ]) {
    assert.equal(typeof m[name], 'function', name)
  }
  const ns = m as { ovsdb: Record<string, unknown>; nb: Record<string, unknown>; chassis: Record<string, unknown> }
  assert.equal(typeof ns.ovsdb.OvsdbClient, 'function')
  assert.equal(typeof ns.nb.attachPorts, 'function')
  assert.equal(typeof ns.chassis.verifyChassis, 'function')
  assert.equal(typeof ns.chassis.parseConfigureArgs, 'function')
})

test('the xapi-ovn bin is executable and answers --help', () => {
  const bin = join(ROOT, pkg.bin['xapi-ovn'] ?? '')
  assert.equal(statSync(bin).mode & 0o111, 0o111)
  const r = spawnSync(bin, ['--help'], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /usage: xapi-ovn <command>/)
})

/**
 * build/lib.mjs ships the code bundled: the entry and the shared chunks it imports, not one
 * module per source file (each of ~45 modules costs Node's ESM loader memory and start-up time:
 * README "Northbound bulk"). A loader hook counts the package's files the import loads.
 */
test('importing the package loads its bundle (a handful of files), not one module per source file', () => {
  const dist = pathToFileURL(join(ROOT, 'dist', 'lib')).href
  const hooks = `export async function load(url, context, next) {
    if (url.startsWith(${JSON.stringify(`${dist}/`)})) process.stderr.write('loaded ' + url + '\\n')
    return next(url, context)
  }`
  const register = `import { register } from 'node:module'
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)})`
  const entry = pathToFileURL(join(ROOT, pkg.exports['.']?.import ?? '')).href
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      `data:text/javascript,${encodeURIComponent(register)}`,
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(entry)}); console.log(typeof m.nb.attachPorts)`,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  )
  assert.deepEqual([r.status, r.stdout], [0, 'function\n'], r.stderr)
  const loaded = r.stderr.split('\n').filter((l) => l.startsWith('loaded '))
  assert.ok(loaded.includes(`loaded ${entry}`), r.stderr)
  assert.ok(loaded.length <= 10, `${loaded.length} files loaded:\n${loaded.join('\n')}`)
  // The agent's HTTP metrics server and the SVG renderer load on demand only.
  assert.deepEqual(
    loaded.filter((l) => /metrics-http-io|render-svg-io/.test(l)),
    [],
  )
})

test('every chunk the package ships loads (those only imported on demand too)', () => {
  const chunks = readdirSync(join(ROOT, 'dist', 'lib', 'chunks')).filter((f) => f.endsWith('.js'))
  assert.ok(
    chunks.some((f) => f.startsWith('metrics-http-io')),
    chunks.join(' '),
  )
  const urls = chunks.map((f) => pathToFileURL(join(ROOT, 'dist', 'lib', 'chunks', f)).href)
  const r = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', `for (const u of ${JSON.stringify(urls)}) await import(u); console.log('loaded')`],
    { encoding: 'utf8', timeout: 60_000 },
  )
  assert.deepEqual([r.status, r.stdout], [0, 'loaded\n'], r.stderr)
})

/**
 * A child node whose module resolution refuses `xen-api` (a loader hook registered with
 * --import): anything that loads the pool client fails loudly with BLOCKED. The northbound side
 * of the package and `--help` must run there; a pool connection must hit the block (the control:
 * the hook works, and the pool side loads xen-api when, and only when, it connects).
 */
const BLOCKED = 'xen-api is blocked in this process'
const HOOKS = `export async function resolve(specifier, context, next) {
  if (specifier === 'xen-api' || specifier.startsWith('xen-api/')) throw new Error(${JSON.stringify(BLOCKED)})
  return next(specifier, context)
}`
const REGISTER = `import { register } from 'node:module'
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)})`
const WITHOUT_XEN_API = ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`]

function runWithoutXenApi(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...WITHOUT_XEN_API, ...args], { encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

test('importing the package and using its northbound side does not load xen-api; a pool connection does', () => {
  const entry = pathToFileURL(join(ROOT, pkg.exports['.']?.import ?? '')).href
  const script = `
    const m = await import(${JSON.stringify(entry)})
    // A northbound call end to end, on a transactor that answers every select with no rows.
    const fake = { transact: async (_db, ops) => ops.map(() => ({ rows: [] })) }
    const switches = await m.nb.listLogicalSwitches(fake)
    const refused = await m.connectNorthbound('unix:/nonexistent/nb.sock', { timeoutMs: 2000 }).then(() => 'connected', (e) => e.code)
    const pool = await m.XapiPool.connect({ url: 'https://127.0.0.1:1', password: 'x' }).then(() => 'connected', (e) => String(e.message))
    console.log(JSON.stringify({ switches, refused, pool }))
  `
  const r = runWithoutXenApi(['--input-type=module', '-e', script])
  assert.equal(r.status, 0, r.stderr)
  const out = JSON.parse(r.stdout) as { switches: unknown[]; refused: string; pool: string }
  assert.deepEqual(out.switches, [])
  assert.equal(out.refused, 'OVN_OVSDB_UNAVAILABLE')
  assert.ok(out.pool.includes(BLOCKED), `the pool connection loads xen-api (and so meets the block): ${out.pool}`)
})

test('xapi-ovn --help and a northbound command run without xen-api', () => {
  const bin = join(ROOT, pkg.bin['xapi-ovn'] ?? '')
  const help = runWithoutXenApi([bin, '--help'])
  assert.equal(help.status, 0, help.stderr)
  assert.match(help.stdout, /usage: xapi-ovn <command>/)
  assert.doesNotMatch(help.stderr, new RegExp(BLOCKED))
  // A northbound command gets as far as connecting (and fails there: no server), not to a load error.
  const list = runWithoutXenApi([bin, 'switch', 'list', '--nb', 'unix:/nonexistent/nb.sock'])
  assert.doesNotMatch(list.stderr, new RegExp(BLOCKED))
  assert.match(list.stderr, /nonexistent/)
})

/**
 * npm run from `npm test` hands its scripts its configuration as npm_config_* variables (this
 * checkout's .npmrc says bin-links=false): the user's npm would not have them.
 */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith('npm_')) env[k] = v
  return { ...env, ...extra }
}

function sh(command: string, args: readonly string[], cwd: string, env = userEnv()): string {
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 300_000 })
  assert.equal(r.status, 0, `${command} ${args.join(' ')} (in ${cwd}):\n${r.stdout}\n${r.stderr}`)
  return r.stdout
}

/** What a fresh checkout has that packing needs: the sources, the build scripts, the configuration. */
const SOURCES = [
  'package.json',
  'package-lock.json',
  '.npmrc',
  'tsconfig.json',
  'tsconfig.build.json',
  'README.md',
  'LICENSE',
  'build',
  'lib',
  'plugin',
  'host-agent',
]

describe('the README install: npm pack, npm install -g, xapi-ovn on PATH', () => {
  let work: string
  let tarball: string
  let prefix: string
  let installed: string

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'xapi-ovn-pack-'))
    const checkout = join(work, 'checkout')
    for (const name of SOURCES) cpSync(join(ROOT, name), join(checkout, name), { recursive: true })
    // The dev dependencies a fresh checkout gets from `npm ci`; dist/ is not there: prepack makes it.
    symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'))
    assert.ok(!existsSync(join(checkout, 'dist')))
    sh('npm', ['pack', '--pack-destination', work, '--silent'], checkout)
    const tgz = readdirSync(work).filter((n) => n.endsWith('.tgz'))
    assert.deepEqual(tgz, [`${pkg.name}-${pkg.version}.tgz`])
    tarball = join(work, tgz[0] ?? '')
    // -g into a prefix of our own: the machine's global packages are not touched.
    prefix = join(work, 'prefix')
    sh('npm', ['install', '-g', '--prefix', prefix, tarball, '--prefer-offline', '--no-audit', '--no-fund'], work)
    installed = join(prefix, 'lib', 'node_modules', pkg.name)
  })
  after(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true })
  })

  test('the tarball ships the library, its types, the host files, the README and the LICENSE; no sources', () => {
    const list = sh('tar', ['-tzf', tarball], work).split('\n')
    for (const f of [
      'package/LICENSE',
      'package/README.md',
      'package/dist/lib/index.js',
      'package/dist/lib/index.d.ts',
      'package/dist/lib/cli/main.js',
      'package/dist/ovn-chassis',
      'package/dist/xapi-ovn-host-agent',
    ])
      assert.ok(list.includes(f), f)
    assert.deepEqual(
      list.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
      [],
    )
    assert.equal(pkg.license, 'Apache-2.0')
    const license = readFileSync(join(installed, 'LICENSE'), 'utf8')
    assert.match(license, /^ +Apache License\n +Version 2\.0, January 2004\n/)
    assert.match(license, /END OF TERMS AND CONDITIONS/)
    assert.match(license, /APPENDIX: How to apply the Apache License to your work/)
  })

  test('xapi-ovn runs from PATH as the README writes it: --version, --help, a command with --json', () => {
    const env = userEnv({ PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}` })
    const run = (args: readonly string[]) => spawnSync('xapi-ovn', args, { cwd: work, env, encoding: 'utf8' })
    const version = run(['--version'])
    assert.deepEqual([version.status, version.stdout], [0, `${pkg.version}\n`], version.stderr)
    const help = run(['--help'])
    assert.equal(help.status, 0, help.stderr)
    assert.match(help.stdout, /usage: xapi-ovn <command>/)
    const verify = run(['verify', '--json'])
    assert.equal(verify.status, 2, verify.stderr)
    const e = JSON.parse(verify.stdout) as { apiVersion: number; ok: boolean; command: string; error: { code: string } }
    assert.deepEqual([e.apiVersion, e.ok, e.command, e.error.code], [1, false, 'verify', 'OVN_USAGE'])
  })

  test('ESM only: import works, require() is refused by the exports map', () => {
    const consumer = join(work, 'esm-check')
    cpSync(installed, join(consumer, 'node_modules', pkg.name), { recursive: true, dereference: true })
    const imported = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', "const m = await import('xapi-ovn'); console.log(typeof m.XapiPool)"],
      { cwd: consumer, encoding: 'utf8' },
    )
    assert.deepEqual([imported.status, imported.stdout], [0, 'function\n'], imported.stderr)
    const required = spawnSync(process.execPath, ['-e', "require('xapi-ovn')"], { cwd: consumer, encoding: 'utf8' })
    assert.notEqual(required.status, 0)
    assert.match(required.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED|ERR_REQUIRE_ESM/)
  })

  /** A program using the package as the README shows, typed against the installed .d.ts. */
  const CONSUMER = `import { XapiPool, setup, verify, attachVms, connectNorthbound, XapiOvnError, ovsdb, nb, chassis } from 'xapi-ovn'
import type { SetupResult, HostOutcome, Failure } from 'xapi-ovn'

export async function main(password: string): Promise<boolean> {
  const pool = await XapiPool.connect({ url: 'https://pool-master', user: 'root', password })
  try {
    const result: SetupResult = await setup(pool, { ovnRemote: 'ssl:192.0.2.10:6642', onProgress: (e) => console.error(e) })
    const failed: Failure[] = result.hosts.flatMap((h: HostOutcome<unknown>) => (h.ok ? [] : [h.error]))
    for (const f of failed) console.error(f.code, f.hint)
    const nbc = await connectNorthbound('tcp:192.0.2.10:6641')
    await attachVms(pool, nbc, { switch: 'tenant-a', vms: [{ vm: 'web-1', ips: ['198.18.10.11'] }] })
    await nb.listLogicalSwitches(nbc)
    void ovsdb.OvsdbClient
    void chassis.verifyChassis
    return (await verify(pool, { wait: 30 })).ok
  } catch (err) {
    if (err instanceof XapiOvnError) console.error(err.code, err.params.join(' '), err.hint ?? '')
    throw err
  } finally {
    await pool.close()
  }
}
`

  for (const resolution of ['node16', 'nodenext', 'bundler'] as const) {
    test(`the shipped .d.ts type-check in a consumer: moduleResolution ${resolution}, no esModuleInterop`, () => {
      const consumer = join(work, `tsc-${resolution}`)
      const modules = join(consumer, 'node_modules')
      cpSync(installed, join(modules, pkg.name), { recursive: true, dereference: true })
      // The consumer brings its own @types/node (with undici-types beside it), as any Node program in TypeScript does.
      mkdirSync(join(modules, '@types'), { recursive: true })
      symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(modules, '@types', 'node'))
      writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
      writeFileSync(join(consumer, 'index.ts'), CONSUMER)
      writeFileSync(
        join(consumer, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: resolution === 'bundler' ? 'esnext' : resolution,
            moduleResolution: resolution,
            target: 'es2022',
            strict: true,
            noEmit: true,
            esModuleInterop: false,
            allowSyntheticDefaultImports: false,
            skipLibCheck: false,
            types: ['node'],
          },
          files: ['index.ts'],
        }),
      )
      const tsc = spawnSync(
        process.execPath,
        [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', consumer],
        {
          cwd: consumer,
          encoding: 'utf8',
          timeout: 300_000,
        },
      )
      assert.equal(tsc.status, 0, `tsc (${resolution}):\n${tsc.stdout}${tsc.stderr}`)
    })
  }
})
