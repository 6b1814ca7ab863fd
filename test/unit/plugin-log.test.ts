// The plugin's log file and the context built from the environment.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, readFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  formatJsonLine,
  formatLine,
  isLogFormat,
  lineLogger,
  logPathFromEnv,
  openFileLogger,
  redactArgs,
} from '../../lib/log.js'
import { contextFromEnv, pathsFromEnv } from '../../plugin/context.js'

describe('plugin log', () => {
  test('appends one line per event: ISO time, pid, fn, level, message, data', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xapi-ovn-log-'))
    try {
      const path = join(dir, 'plugin.log')
      const now = () => new Date('2026-05-06T07:08:09.010Z')
      openFileLogger(path, { pid: 77, now }).info('first')
      const log = openFileLogger(path, { pid: 78, now }).withFn('configure')
      log.warn('multi\nline', { k: 'v' })
      log.error('oops', { stack: 'Error: x\n    at y' })
      assert.equal(
        readFileSync(path, 'utf8'),
        '2026-05-06T07:08:09.010Z pid=77 fn=- info first\n' +
          '2026-05-06T07:08:09.010Z pid=78 fn=configure warn multi\\nline {"k":"v"}\n' +
          '2026-05-06T07:08:09.010Z pid=78 fn=configure error oops {"stack":"Error: x\\n    at y"}\n',
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('a log that cannot be opened is dropped silently', () => {
    const log = openFileLogger('/nonexistent-dir/xapi-ovn/plugin.log')
    assert.doesNotThrow(() => log.withFn('f').error('nobody hears this', { a: 1 }))
  })

  test('a log path that is not a regular file (a FIFO someone reads) gets nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xapi-ovn-log-'))
    try {
      const fifo = join(dir, 'fifo')
      assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo')
      // A reader is there, so even a blocking open would return: what is tested is the refusal.
      const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
      try {
        openFileLogger(fifo).info('must not reach a FIFO')
        const buf = Buffer.alloc(256)
        let got = 0
        try {
          got = readSync(reader, buf)
        } catch (err) {
          // EAGAIN: a writer still has it open but wrote nothing
          assert.equal((err as { code?: string }).code, 'EAGAIN')
        }
        assert.equal(buf.subarray(0, got).toString('utf8'), '')
      } finally {
        closeSync(reader)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('XAPI_OVN_PLUGIN_LOG overrides the default path', () => {
    assert.equal(logPathFromEnv({}), '/var/log/xapi-ovn-plugin.log')
    assert.equal(logPathFromEnv({ XAPI_OVN_PLUGIN_LOG: '' }), '/var/log/xapi-ovn-plugin.log')
    assert.equal(logPathFromEnv({ XAPI_OVN_PLUGIN_LOG: '/tmp/x.log' }), '/tmp/x.log')
  })

  test('redaction hides every SSL argument and secret-looking keys, any PEM value, and cuts long values', () => {
    const key =
      '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n'
    assert.deepEqual(
      redactArgs({
        'ssl-key': 'k',
        'SSL-KEY-file': 'k',
        private: 'p',
        'admin-password': 'p',
        'client-secret': 's',
        // Every SSL argument, whatever it is called: a key pasted into the wrong one stays out.
        'ovn-ssl-cert': key,
        'ovn-ssl-ca-cert': 'c',
        'ovn-ssl-anything': 'x',
        cert: 'c',
        // A PEM value under an innocent name.
        'ovn-cms-options': key,
        note: '-----BEGIN CERTIFICATE-----',
        bridge: 'xapi1',
        'ovn-remote': 'r'.repeat(300),
      }),
      {
        'ssl-key': '<redacted>',
        'SSL-KEY-file': '<redacted>',
        private: '<redacted>',
        'admin-password': '<redacted>',
        'client-secret': '<redacted>',
        'ovn-ssl-cert': '<redacted>',
        'ovn-ssl-ca-cert': '<redacted>',
        'ovn-ssl-anything': '<redacted>',
        cert: '<redacted>',
        'ovn-cms-options': '<redacted>',
        note: '<redacted>',
        bridge: 'xapi1',
        'ovn-remote': `${'r'.repeat(256)}…(300 chars)`,
      },
    )
  })

  test('data that JSON cannot carry still gives a line', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    assert.match(
      formatLine(new Date(0), 1, 'f', 'info', 'm', { cyclic, n: 1n }),
      /^1970-01-01T00:00:00.000Z pid=1 fn=f info m \{"unserialisable":"TypeError: /,
    )
  })
})

describe('the same logger in JSON lines', () => {
  const now = () => new Date('2026-05-06T07:08:09.010Z')

  test('one object per line: time, level, msg, pid, fn, and the data under fields', () => {
    const lines: string[] = []
    const log = lineLogger((l) => lines.push(l), { pid: 77, now, format: 'json' }, 'agent')
    log.info('started', { db: 'tcp:192.0.2.10:6641', ports: 3 })
    log.withFn('reconcile').warn('multi\nline "quoted"')
    assert.deepEqual(lines, [
      '{"time":"2026-05-06T07:08:09.010Z","level":"info","msg":"started","pid":77,"fn":"agent","fields":{"db":"tcp:192.0.2.10:6641","ports":3}}',
      '{"time":"2026-05-06T07:08:09.010Z","level":"warn","msg":"multi\\nline \\"quoted\\"","pid":77,"fn":"reconcile"}',
    ])
    for (const l of lines) assert.ok(!l.includes('\n'), 'one line per event')
  })

  test('a field named like a top-level key cannot replace it; bigints and cyclic data still give a line', () => {
    const parsed = JSON.parse(formatJsonLine(now(), 1, 'f', 'error', 'm', { level: 'debug', msg: 'x', n: 2n })) as {
      level: string
      msg: string
      fields: Record<string, unknown>
    }
    assert.equal(parsed.level, 'error')
    assert.equal(parsed.msg, 'm')
    assert.deepEqual(parsed.fields, { level: 'debug', msg: 'x', n: '2' })
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    const line = JSON.parse(formatJsonLine(now(), 1, 'f', 'info', 'm', { cyclic })) as {
      fields: { unserialisable: string }
    }
    assert.match(line.fields.unserialisable, /^TypeError: /)
  })

  test('text stays the default, and is what it was', () => {
    const lines: string[] = []
    lineLogger((l) => lines.push(l), { pid: 5, now }, 'agent').info('hi', { a: 1 })
    assert.deepEqual(lines, [formatLine(now(), 5, 'agent', 'info', 'hi', { a: 1 })])
    assert.equal(lines[0], '2026-05-06T07:08:09.010Z pid=5 fn=agent info hi {"a":1}')
  })

  test('the two formats are the only ones (--log-format text|json)', () => {
    assert.ok(isLogFormat('text') && isLogFormat('json'))
    assert.ok(!isLogFormat('JSON') && !isLogFormat('') && !isLogFormat(undefined))
  })
})

describe('plugin context', () => {
  test('defaults are the XCP-ng paths', () => {
    assert.deepEqual(pathsFromEnv({ PATH: '/sbin:/usr/sbin:/bin:/usr/bin' }), {
      ovsRundir: '/var/run/openvswitch',
      ovnRundir: '/var/run/ovn',
      ovsDbRemote: 'unix:/var/run/openvswitch/db.sock',
      inventory: '/etc/xensource-inventory',
      ovnEtcDir: '/etc/ovn',
      stateDir: '/etc/xapi-ovn',
      firewallPort: '/etc/xapi.d/plugins/firewall-port',
    })
  })

  test('the environment overrides each path; the db remote follows OVS_RUNDIR', () => {
    assert.deepEqual(
      pathsFromEnv({
        OVS_RUNDIR: '/lab/h1/ovs',
        OVN_RUNDIR: '/lab/h1/ovn',
        XENSOURCE_INVENTORY: '/lab/h1/inventory',
        XAPI_OVN_ETC_DIR: '/lab/h1/etc',
        XAPI_OVN_STATE_DIR: '/lab/h1/state',
        XAPI_OVN_FIREWALL_PORT: '/lab/h1/xapi.d/plugins/firewall-port',
      }),
      {
        ovsRundir: '/lab/h1/ovs',
        ovnRundir: '/lab/h1/ovn',
        ovsDbRemote: 'unix:/lab/h1/ovs/db.sock',
        inventory: '/lab/h1/inventory',
        ovnEtcDir: '/lab/h1/etc',
        stateDir: '/lab/h1/state',
        firewallPort: '/lab/h1/xapi.d/plugins/firewall-port',
      },
    )
  })

  test('contextFromEnv logs to XAPI_OVN_PLUGIN_LOG', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xapi-ovn-ctx-'))
    try {
      const ctx = contextFromEnv(
        { XAPI_OVN_PLUGIN_LOG: join(dir, 'p.log') },
        { now: () => new Date('2026-01-01T00:00:00Z') },
      )
      ctx.log.info('hello')
      assert.match(readFileSync(join(dir, 'p.log'), 'utf8'), /^2026-01-01T00:00:00.000Z pid=\d+ fn=- info hello\n$/)
      assert.deepEqual(ctx.now(), new Date('2026-01-01T00:00:00Z'))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
