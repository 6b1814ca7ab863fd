// The built plugin, run exactly as xapi runs it: the single file dist/ovn-chassis copied alone
// into an empty directory, exec'd with the request as argv[1], only PATH (plus our path
// overrides) in the environment, nothing on stdin. On the current Node and on Node 16.
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { builtinModules } from 'node:module'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeMethodResponse, encodeMethodCall } from '../../lib/xmlrpc/index.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const node16 = join(root, 'node_modules', 'node16', 'bin', 'node')
const PATH = '/sbin:/usr/sbin:/bin:/usr/bin'

let dir: string
let plugin: string
let env: Record<string, string>

before(() => {
  const build = spawnSync(process.execPath, [join(root, 'build', 'plugin.mjs')], { cwd: root, encoding: 'utf8' })
  assert.equal(build.status, 0, `node build/plugin.mjs failed:\n${build.stderr}`)
  dir = mkdtempSync(join(tmpdir(), 'xapi-ovn-bundle-'))
  mkdirSync(join(dir, 'plugins'))
  mkdirSync(join(dir, 'run-ovs'))
  mkdirSync(join(dir, 'run-ovn'))
  plugin = join(dir, 'plugins', 'ovn-chassis')
  copyFileSync(join(root, 'dist', 'ovn-chassis'), plugin)
  env = {
    PATH,
    XAPI_OVN_PLUGIN_LOG: join(dir, 'plugin.log'),
    OVS_RUNDIR: join(dir, 'run-ovs'),
    OVN_RUNDIR: join(dir, 'run-ovn'),
    XENSOURCE_INVENTORY: join(dir, 'xensource-inventory'),
    XAPI_OVN_ETC_DIR: join(dir, 'etc-ovn'),
    XAPI_OVN_STATE_DIR: join(dir, 'etc-xapi-ovn'),
    // The code cache (plugin/code-cache.ts) here, not in the machine's /var/cache/xapi-ovn.
    XAPI_OVN_CODE_CACHE_DIR: join(dir, 'cache'),
  }
})

after(() => rmSync(dir, { recursive: true, force: true }))

type Reply = { Status: string; Value?: string; ErrorDescription?: string[] }

/** Check what xapi checks: exit 0, and stdout is one methodResponse with a Status struct. */
function expectOneReply(r: ReturnType<typeof spawnSync>): Reply {
  assert.equal(r.error, undefined, String(r.error))
  assert.equal(r.signal, null)
  const stdout = String(r.stdout)
  const stderr = String(r.stderr)
  assert.equal(r.status, 0, `exit ${r.status}\nstdout: ${stdout}\nstderr: ${stderr}`)
  assert.equal(stderr, '')
  assert.ok(stdout.startsWith('<?xml version="1.0"?><methodResponse>'), stdout.slice(0, 200))
  assert.equal(stdout.split('<methodResponse>').length, 2, 'exactly one methodResponse')
  const decoded = decodeMethodResponse(stdout) // strict: anything else on stdout fails here
  assert.equal(decoded.kind, 'params')
  const v = (decoded as unknown as { params: [Reply] }).params[0]
  assert.ok(
    v.Status === 'Success' ? typeof v.Value === 'string' : v.Status === 'Failure' && Array.isArray(v.ErrorDescription),
    JSON.stringify(v),
  )
  return v
}

/** What a run may change: variables added to the environment, and how long to wait at most. */
interface RunOptions {
  readonly env?: Readonly<Record<string, string>>
  readonly timeout?: number
}

const runtimes: Array<[string, (args: string[], options?: RunOptions) => ReturnType<typeof spawnSync>]> = [
  [
    'exec through the shebang (current Node)',
    (args, options = {}) =>
      spawnSync(plugin, args, {
        env: { ...env, ...options.env },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: options.timeout ?? 120_000,
      }),
  ],
  [
    'Node 16.20',
    (args, options = {}) =>
      spawnSync(node16, [plugin, ...args], {
        env: { ...env, ...options.env },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: options.timeout ?? 120_000,
      }),
  ],
]

const request = (fn: string, args: Record<string, string> = {}) => encodeMethodCall(fn, ['OpaqueRef:b1d2', args])

for (const [runtime, run] of runtimes) {
  describe(`dist/ovn-chassis on ${runtime}`, () => {
    test('the runtime is what we think it is', () => {
      const r = spawnSync(
        runtime.startsWith('Node 16') ? node16 : '/usr/bin/env',
        runtime.startsWith('Node 16') ? ['--version'] : ['node', '--version'],
        { env, encoding: 'utf8' },
      )
      assert.match(r.stdout, runtime.startsWith('Node 16') ? /^v16\.20\./ : /^v\d+\./)
    })

    test('an unknown fn answers UNKNOWN_XENAPI_PLUGIN_FUNCTION [fn]', () => {
      const v = expectOneReply(run([request('no-such-function')]))
      assert.deepEqual(v, {
        Status: 'Failure',
        ErrorDescription: ['UNKNOWN_XENAPI_PLUGIN_FUNCTION', 'no-such-function'],
      })
      assert.match(
        readFileSync(env.XAPI_OVN_PLUGIN_LOG as string, 'utf8'),
        /pid=\d+ fn=no-such-function warn unknown function/,
      )
    })

    test('the request exactly as xapi writes it (untyped values)', () => {
      const xml =
        '<?xml version="1.0"?><methodCall><methodName>no-such-function</methodName><params><param><value>OpaqueRef:x</value></param><param><value><struct><member><name>k</name><value>v</value></member></struct></value></param></params></methodCall>'
      assert.deepEqual(expectOneReply(run([xml])), {
        Status: 'Failure',
        ErrorDescription: ['UNKNOWN_XENAPI_PLUGIN_FUNCTION', 'no-such-function'],
      })
    })

    test('malformed XML answers OVN_INVALID_REQUEST', () => {
      const v = expectOneReply(run(['<methodCall><methodName>status</methodName><params>']))
      assert.deepEqual(v.ErrorDescription, ['OVN_INVALID_REQUEST', 'element <params> (offset 43) is not closed'])
    })

    test('an entity bomb answers OVN_INVALID_REQUEST', () => {
      const v = expectOneReply(
        run([
          '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><methodCall><methodName>&b;</methodName></methodCall>',
        ]),
      )
      assert.deepEqual(v.ErrorDescription, ['OVN_INVALID_REQUEST', 'DOCTYPE declarations are not accepted (offset 21)'])
    })

    test('a missing argv[1] answers OVN_INVALID_REQUEST', () => {
      const v = expectOneReply(run([]))
      assert.deepEqual(v.ErrorDescription, [
        'OVN_INVALID_REQUEST',
        'argv[1] is missing: xapi passes the XML-RPC methodCall as the only argument',
      ])
    })

    test('a huge argv (120 000 characters, near the kernel limit for one argument) answers OVN_INVALID_REQUEST', () => {
      const xml = request('configure', { 'ovn-remote': 'x'.repeat(120_000) })
      const v = expectOneReply(run([xml]))
      assert.deepEqual(v.ErrorDescription, [
        'OVN_INVALID_REQUEST',
        'argument "ovn-remote" is 120000 characters long (at most 65536)',
      ])
    })

    test('a log path that is a FIFO nobody reads: the plugin still answers, and exits', () => {
      const fifo = join(dir, `log-fifo-${runtime.replace(/\W/g, '')}`)
      assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo')
      // Opening a FIFO for writing blocks until a reader comes: a plugin that did would never
      // exit. The bound is only there to turn such a hang into a failure (xapi has no timeout).
      const r = run([request('no-such-function')], { env: { XAPI_OVN_PLUGIN_LOG: fifo }, timeout: 20_000 })
      assert.deepEqual(expectOneReply(r), {
        Status: 'Failure',
        ErrorDescription: ['UNKNOWN_XENAPI_PLUGIN_FUNCTION', 'no-such-function'],
      })
      assert.ok(statSync(fifo).isFIFO(), 'the FIFO is left as it was')
    })

    test('without the Open vSwitch run directory every OVSDB function answers OVN_OVSDB_UNAVAILABLE naming it', () => {
      const missing = join(dir, 'no-such-run-ovs')
      const inventory = join(dir, 'inventory-with-uuid')
      writeFileSync(inventory, "INSTALLATION_UUID='8b7b4f9e-2f0a-4c1e-9d55-0a1b2c3d4e5f'\n")
      const calls: [string, Record<string, string>][] = [
        ['configure', { 'ovn-remote': 'tcp:192.0.2.10:6642', 'ovn-encap-ip': '192.0.2.21', 'ovn-bridge': 'xapi1' }],
        ['unconfigure', {}],
        ['repair', {}],
        ['verify', {}],
        ['status', {}],
      ]
      for (const [fn, args] of calls) {
        const v = expectOneReply(
          run([request(fn, args)], { env: { OVS_RUNDIR: missing, XENSOURCE_INVENTORY: inventory } }),
        )
        assert.equal(v.Status, 'Failure', fn)
        const [code, remote, reason] = v.ErrorDescription ?? []
        assert.equal(code, 'OVN_OVSDB_UNAVAILABLE', `${fn}: ${JSON.stringify(v.ErrorDescription)}`)
        assert.equal(remote, `unix:${missing}/db.sock`, fn)
        assert.ok((reason ?? '').includes(`${missing} does not exist: Open vSwitch is not running on this host`), fn)
      }
    })

    for (const fn of ['configure', 'verify', 'status', 'unconfigure']) {
      test(`${fn} with no OVS running still answers one methodResponse`, () => {
        expectOneReply(run([request(fn)]))
      })
    }
  })
}

describe('the bundle file', () => {
  test('is executable, starts with the shebang, and works from an empty directory', () => {
    const built = join(root, 'dist', 'ovn-chassis')
    assert.equal(statSync(built).mode & 0o777, 0o755)
    assert.equal(statSync(plugin).mode & 0o777, 0o755)
    assert.ok(readFileSync(built, 'utf8').startsWith('#!/usr/bin/env node\n'))
    assert.equal(existsSync(join(dir, 'plugins', 'node_modules')), false)
  })

  test('bundles no xen-api and requires only Node built-ins', (t) => {
    const text = readFileSync(join(root, 'dist', 'ovn-chassis'), 'utf8')
    assert.equal(text.includes('xen-api'), false)
    // require() and the dynamic import() of modules loaded on use (node:tls for ssl: remotes only).
    const required = [...text.matchAll(/(?:require|import)\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1] as string)
    assert.ok(required.length > 0, 'the bundle requires node:fs at least')
    const builtins = new Set(builtinModules)
    const outside = required.filter((name) => !builtins.has(name.replace(/^node:/, '')))
    assert.deepEqual(outside, [])
    const dynamic = [...text.matchAll(/\bimport\s*\(([^)]*)\)/g)].map((m) => m[1] as string)
    assert.ok(
      dynamic.every((d) => /^["'`]node:[a-z_/]+["'`]$/.test(d.trim())),
      `dynamic import() only of Node built-ins: ${dynamic.join(', ')}`,
    )
    t.diagnostic(
      `dist/ovn-chassis: ${statSync(join(root, 'dist', 'ovn-chassis')).size} bytes; requires ${[...new Set(required)].sort().join(', ')}`,
    )
  })
})
