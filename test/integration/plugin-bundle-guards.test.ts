// plugin/main.ts guards stdout and the process, whatever a function does: a stray console.log,
// an exception thrown from a timer, a rejection nobody awaits, a reply larger than a pipe buffer.
// The entry is bundled exactly like dist/ovn-chassis, with a test dispatch table in place of
// plugin/functions/index.ts, and run alone from an empty directory on both Node versions.
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { decodeMethodResponse, encodeMethodCall } from '../../lib/xmlrpc/index.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const node16 = join(root, 'node_modules', 'node16', 'bin', 'node')

const TEST_FUNCTIONS = `
import type { PluginFunction } from './context.js'
const never = new Promise<never>(() => {})
export const functions: Record<string, PluginFunction> = {
  chatty: async () => {
    console.log('console.log from a function')
    console.info('console.info from a function')
    process.stdout.write('a raw stdout write\\n')
    return 'ok'
  },
  'throws-later': async () => {
    setTimeout(() => { throw new Error('thrown from a timer') }, 1)
    return never
  },
  'rejects-unawaited': async () => {
    void Promise.reject(new Error('a rejection nobody awaited'))
    return never
  },
  big: async () => 'x'.repeat(2 * 1024 * 1024),
  slow: async () => new Promise((resolve) => setTimeout(() => resolve({ done: true }), 50)),
}
`

let dir: string
let plugin: string

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'xapi-ovn-guards-'))
  plugin = join(dir, 'ovn-chassis-test')
  await build({
    entryPoints: [join(root, 'plugin', 'main.ts')],
    outfile: plugin,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node16',
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'error',
    plugins: [
      {
        name: 'test-dispatch-table',
        setup(b) {
          b.onResolve({ filter: /\/functions\/index\.js$/ }, () => ({ path: 'test-functions', namespace: 'test' }))
          b.onLoad({ filter: /.*/, namespace: 'test' }, () => ({
            contents: TEST_FUNCTIONS,
            loader: 'ts',
            resolveDir: join(root, 'plugin'),
          }))
        },
      },
    ],
  })
})

after(() => rmSync(dir, { recursive: true, force: true }))

for (const [runtime, node] of [
  ['current Node', process.execPath],
  ['Node 16.20', node16],
] as const) {
  describe(`the plugin entry on ${runtime}`, () => {
    const logFile = () => join(dir, `${runtime.replace(/\W/g, '')}.log`)
    function run(fn: string): { reply: Record<string, unknown>; stdout: string } {
      const r = spawnSync(node, [plugin, encodeMethodCall(fn, ['OpaqueRef:s', {}])], {
        env: { PATH: '/sbin:/usr/sbin:/bin:/usr/bin', XAPI_OVN_PLUGIN_LOG: logFile(), OVS_RUNDIR: dir },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 64 * 1024 * 1024,
        timeout: 120_000,
      })
      assert.equal(r.signal, null)
      assert.equal(r.status, 0, `stderr: ${r.stderr}`)
      assert.equal(r.stderr, '')
      const decoded = decodeMethodResponse(r.stdout, { maxBytes: 8 * 1024 * 1024 })
      assert.equal(decoded.kind, 'params')
      return { reply: (decoded as unknown as { params: [Record<string, unknown>] }).params[0], stdout: r.stdout }
    }

    test('stray writes to stdout go to the log, the reply alone reaches stdout', () => {
      const { reply } = run('chatty')
      assert.deepEqual(reply, { Status: 'Success', Value: '"ok"' })
      const log = readFileSync(logFile(), 'utf8')
      assert.match(log, /fn=- warn diverted a write to stdout \{"text":"console.log from a function\\n"\}/)
      assert.match(log, /diverted a write to stdout \{"text":"a raw stdout write\\n"\}/)
    })

    test('an exception thrown from a timer answers OVN_INTERNAL and exits 0', () => {
      assert.deepEqual(run('throws-later').reply, {
        Status: 'Failure',
        ErrorDescription: ['OVN_INTERNAL', 'thrown from a timer'],
      })
      assert.match(
        readFileSync(logFile(), 'utf8'),
        /error uncaught exception \{"message":"thrown from a timer","stack":"Error: thrown from a timer/,
      )
    })

    test('a rejection nobody awaited answers OVN_INTERNAL and exits 0', () => {
      assert.deepEqual(run('rejects-unawaited').reply, {
        Status: 'Failure',
        ErrorDescription: ['OVN_INTERNAL', 'a rejection nobody awaited'],
      })
    })

    test('a 2 MiB reply is flushed whole before the process exits', () => {
      const { reply } = run('big')
      assert.equal(reply.Status, 'Success')
      assert.equal(reply.Value, JSON.stringify('x'.repeat(2 * 1024 * 1024)))
    })

    test('a 2 MiB reply through a non-blocking stdout pipe that fills (EAGAIN) arrives whole', () => {
      // The reply is written straight to fd 1 (plugin/main.ts); a pipe someone made non-blocking
      // refuses the rest once full, which must then go through the stream. Python makes the pipe
      // (Node's child pipes are blocking) and reads it only after the plugin has filled it.
      const script = [
        'import fcntl, os, subprocess, sys, time',
        'r, w = os.pipe()',
        'fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)',
        'p = subprocess.Popen(sys.argv[1:], stdout=w, stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"})',
        'os.close(w)',
        'time.sleep(0.3)',
        'chunks = []',
        'while True:',
        '    chunk = os.read(r, 65536)',
        '    if not chunk: break',
        '    chunks.append(chunk)',
        'sys.stdout.buffer.write(b"".join(chunks))',
        'sys.exit(p.wait())',
      ].join('\n')
      const r = spawnSync('python3', ['-c', script, node, plugin, encodeMethodCall('big', ['OpaqueRef:s', {}])], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        timeout: 120_000,
      })
      assert.equal(r.status, 0, `stderr: ${r.stderr}`)
      const decoded = decodeMethodResponse(r.stdout, { maxBytes: 8 * 1024 * 1024 })
      assert.equal(decoded.kind, 'params')
      const [reply] = (decoded as unknown as { params: [Record<string, unknown>] }).params
      assert.equal(reply?.Value, JSON.stringify('x'.repeat(2 * 1024 * 1024)))
    })

    test('a function that resolves later is waited for', () => {
      assert.deepEqual(run('slow').reply, { Status: 'Success', Value: '{"done":true}' })
    })
  })
}
