// dist/ovn-chassis's V8 code cache (plugin/code-cache.ts) is never required: whatever state the
// cache is in, a call gives the same reply as with no cache at all. Run as xapi runs the plugin
// (the single file copied alone, PATH-only environment plus our path overrides, nothing on
// stdin), on the current Node (through the shebang) and on Node 16, the runtime hosts use.
// Whether a call used the cache shows in two places a user can look at: the plugin log ("code
// cache not used" with the reason) and the cache file (a call that did not use it writes a new
// one, renamed over the old: a new inode, mode 0600).
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  copyFileSync,
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
import { fileURLToPath } from 'node:url'
import { encodeMethodCall } from '../../lib/xmlrpc/index.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const node16 = join(root, 'node_modules', 'node16', 'bin', 'node')
const PATH = '/sbin:/usr/sbin:/bin:/usr/bin'
/** plugin/code-cache.ts's test override of /var/cache/xapi-ovn. */
const CACHE_DIR_ENV = 'XAPI_OVN_CODE_CACHE_DIR'
const NOBODY = 65534

let dir: string
let plugin: string
let log: string

before(() => {
  const build = spawnSync(process.execPath, [join(root, 'build', 'plugin.mjs')], { cwd: root, encoding: 'utf8' })
  assert.equal(build.status, 0, `node build/plugin.mjs failed:\n${build.stderr}`)
  dir = mkdtempSync(join(tmpdir(), 'xapi-ovn-code-cache-'))
  mkdirSync(join(dir, 'plugins'))
  plugin = join(dir, 'plugins', 'ovn-chassis')
  copyFileSync(join(root, 'dist', 'ovn-chassis'), plugin)
  log = join(dir, 'plugin.log')
})

after(() => rmSync(dir, { recursive: true, force: true }))

// Two calls that answer without any daemon: an unknown fn, and configure refusing its arguments
// (so the argument parsers' code is in play too).
const CALLS: ReadonlyArray<readonly [string, string]> = [
  ['no-such-function', encodeMethodCall('no-such-function', ['OpaqueRef:c1', {}])],
  ['configure', encodeMethodCall('configure', ['OpaqueRef:c1', { 'ovn-remote': 'not a remote' }])],
]

interface Runtime {
  readonly name: string
  readonly version: string
  run(argv1: string, cacheDir: string): { stdout: string; logged: string }
}

function runner(name: string, argv: (argv1: string) => [string, string[]]): Runtime {
  const version = name.startsWith('Node 16')
    ? spawnSync(node16, ['--version'], { encoding: 'utf8' }).stdout.trim()
    : process.version
  return {
    name,
    version,
    run(argv1, cacheDir) {
      const before = existsSync(log) ? readFileSync(log, 'utf8').length : 0
      const [cmd, args] = argv(argv1)
      const r = spawnSync(cmd, args, {
        env: {
          PATH,
          XAPI_OVN_PLUGIN_LOG: log,
          [CACHE_DIR_ENV]: cacheDir,
          OVS_RUNDIR: join(dir, 'run-ovs'),
          OVN_RUNDIR: join(dir, 'run-ovn'),
          XENSOURCE_INVENTORY: join(dir, 'xensource-inventory'),
          XAPI_OVN_ETC_DIR: join(dir, 'etc-ovn'),
          XAPI_OVN_STATE_DIR: join(dir, 'etc-xapi-ovn'),
        },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
      })
      assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`)
      assert.equal(r.stderr, '')
      return { stdout: r.stdout, logged: readFileSync(log, 'utf8').slice(before) }
    },
  }
}

const runtimes: Runtime[] = [
  runner('the current Node (shebang)', (argv1) => [plugin, [argv1]]),
  runner('Node 16.20', (argv1) => [node16, [plugin, argv1]]),
]

for (const rt of runtimes) {
  describe(`the code cache on ${rt.name}`, () => {
    const cacheFile = (cacheDir: string) => join(cacheDir, `ovn-chassis-${rt.version}-${process.arch}.cache`)
    /** The reply of each call with no cache at all (a directory the loader refuses to use). */
    const expected = new Map<string, string>()
    let n = 0
    const freshDir = () => join(dir, `cache-${rt.version}-${n++}`)
    /** A directory holding a cache made by the calls in CALLS, as a host's would after a while. */
    function warmDir(): string {
      const d = freshDir()
      for (const [, xml] of CALLS) rt.run(xml, d)
      assert.ok(existsSync(cacheFile(d)))
      return d
    }
    const inode = (p: string) => statSync(p).ino

    before(() => {
      const refused = freshDir()
      mkdirSync(refused, { mode: 0o777 })
      chmodSync(refused, 0o777)
      for (const [fn, xml] of CALLS) {
        const { stdout, logged } = rt.run(xml, refused)
        assert.match(logged, /code cache not used \{"state":"untrusted"\}/)
        expected.set(fn, stdout)
      }
      assert.match(expected.get('configure') ?? '', /OVN_/)
      assert.deepEqual(readdirSync(refused), [], 'nothing is written in a directory others can write')
    })

    test('a missing directory: same replies; it is created 0700 with a cache file 0600', () => {
      const d = freshDir()
      for (const [fn, xml] of CALLS) assert.equal(rt.run(xml, d).stdout, expected.get(fn))
      assert.equal(statSync(d).mode & 0o777, 0o700)
      const file = cacheFile(d)
      assert.equal(statSync(file).mode & 0o777, 0o600)
      const headerLine = readFileSync(file, 'latin1').split('\n')[0] ?? ''
      assert.match(headerLine, new RegExp(`^xapi-ovn-code-cache/1 [0-9a-f]{32} ${rt.version} ${process.arch} `))
      assert.deepEqual(readdirSync(d), [`ovn-chassis-${rt.version}-${process.arch}.cache`], 'no temporary file left')
    })

    test('a current cache is used: same replies, nothing logged, the file left in place', () => {
      const d = warmDir()
      const ino = inode(cacheFile(d))
      for (const [fn, xml] of CALLS) {
        const { stdout, logged } = rt.run(xml, d)
        assert.equal(stdout, expected.get(fn))
        assert.doesNotMatch(logged, /code cache/)
      }
      assert.equal(inode(cacheFile(d)), ino)
    })

    // Each broken cache: the call answers as without one, says why, and writes a good one.
    const broken: ReadonlyArray<readonly [string, (file: string) => void, RegExp]> = [
      [
        'a payload with flipped bytes',
        (file) => {
          const b = readFileSync(file)
          for (const at of [0.3, 0.5, 0.8]) {
            const i = Math.floor(b.length * at)
            b[i] = (b[i] as number) ^ 0xff
          }
          writeFileSync(file, b)
        },
        /"state":"(corrupt|stale)"/, // Node 16's V8 checks its own checksum and refuses the data first
      ],
      ['a truncated file', (file) => writeFileSync(file, readFileSync(file).subarray(0, 5000)), /"state":"corrupt"/],
      ['garbage', (file) => writeFileSync(file, 'not a cache at all'), /"state":"corrupt"/],
      [
        'a cache for another bundle',
        (file) => {
          const text = readFileSync(file, 'latin1').replace(/^(\S+) [0-9a-f]{32}/, `$1 ${'0'.repeat(32)}`)
          writeFileSync(file, Buffer.from(text, 'latin1'))
        },
        /"state":"stale"/,
      ],
      [
        'a cache for another Node version',
        (file) => {
          const other = runtimes.find((r) => r !== rt) as Runtime
          const text = readFileSync(file, 'latin1').replace(` ${rt.version} `, ` ${other.version} `)
          writeFileSync(file, Buffer.from(text, 'latin1'))
        },
        /"state":"stale"/,
      ],
      ['a file others can write', (file) => chmodSync(file, 0o666), /"state":"untrusted"/],
      ['a file owned by someone else', (file) => chownSync(file, NOBODY, NOBODY), /"state":"untrusted"/],
      [
        'a symbolic link to a good cache',
        (file) => {
          copyFileSync(file, `${file}.elsewhere`)
          rmSync(file)
          symlinkSync(`${file}.elsewhere`, file)
        },
        /"state":"untrusted"/,
      ],
    ]
    for (const [what, spoil, why] of broken) {
      test(`${what}: same replies, not used, replaced by a good cache`, () => {
        const d = warmDir()
        const file = cacheFile(d)
        spoil(file)
        const [fn, xml] = CALLS[0] as readonly [string, string]
        const first = rt.run(xml, d)
        assert.equal(first.stdout, expected.get(fn))
        assert.match(first.logged, why)
        const st = statSync(file)
        assert.ok(st.isFile() && st.uid === 0 && (st.mode & 0o777) === 0o600, 'rewritten, ours, 0600')
        // The new one is good: the next call uses it.
        const next = rt.run(xml, d)
        assert.equal(next.stdout, expected.get(fn))
        assert.doesNotMatch(next.logged, /code cache/)
      })
    }

    test('a directory owned by someone else: a good cache in it is not used, nothing is written', () => {
      const d = warmDir()
      chownSync(d, NOBODY, NOBODY)
      const ino = inode(cacheFile(d))
      for (const [fn, xml] of CALLS) {
        const { stdout, logged } = rt.run(xml, d)
        assert.equal(stdout, expected.get(fn))
        assert.match(logged, /"state":"untrusted"/)
      }
      assert.equal(inode(cacheFile(d)), ino)
    })

    test('an unwritable place (the directory would be under a file): same replies, no error', () => {
      const blocker = join(dir, `a-file-${rt.version}`)
      writeFileSync(blocker, '')
      for (const [fn, xml] of CALLS) {
        const { stdout, logged } = rt.run(xml, join(blocker, 'cache'))
        assert.equal(stdout, expected.get(fn))
        assert.match(logged, /code cache not used/)
      }
    })

    test('a cache that cannot be written: same replies, no error, nothing left behind', () => {
      // Root ignores permission bits, so the write is made to fail otherwise: the cache file's
      // name is taken by a directory, and rename() over it fails (EISDIR).
      const d = freshDir()
      mkdirSync(d, { mode: 0o700 })
      mkdirSync(cacheFile(d))
      for (const [fn, xml] of CALLS) assert.equal(rt.run(xml, d).stdout, expected.get(fn))
      assert.deepEqual(readdirSync(d), [`ovn-chassis-${rt.version}-${process.arch}.cache`])
      assert.ok(statSync(cacheFile(d)).isDirectory())
    })
  })
}
