import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Command } from '../../lib/cli/commands.js'
import type { CommandIo } from '../../lib/cli/output.js'
import { COMMANDS, runProgram } from '../../lib/cli/program.js'

interface Captured extends CommandIo {
  out: string
  err: string
}

function io(env: Record<string, string> = {}): Captured {
  const c: Captured = {
    out: '',
    err: '',
    env,
    interactive: false,
    promptPassword: async () => assert.fail('no prompt expected'),
    readFile: async (path) => {
      throw new Error(`ENOENT: no such file ${path}`)
    },
    stdout: (t) => {
      c.out += t
    },
    stderr: (t) => {
      c.err += t
    },
  }
  return c
}

test('no command: the command list on stderr, exit 2', async () => {
  const c = io()
  assert.equal(await runProgram([], c), 2)
  assert.match(c.err, /usage: xapi-ovn <command>/)
  for (const name of ['setup', 'verify', 'status', 'teardown']) assert.match(c.err, new RegExp(`^  ${name}\\s`, 'm'))
})

test('--help and help: the command list on stdout, exit 0', async () => {
  for (const argv of [['--help'], ['-h'], ['help']]) {
    const c = io()
    assert.equal(await runProgram(argv, c), 0)
    assert.match(c.out, /Commands:/)
  }
})

test('every subcommand has --help (and help NAME), exit 0, naming its own options', async () => {
  for (const name of Object.keys(COMMANDS)) {
    for (const argv of [
      [name, '--help'],
      ['help', name],
    ]) {
      const c = io()
      assert.equal(await runProgram(argv, c), 0)
      assert.match(c.out, new RegExp(`^usage: xapi-ovn ${name}`))
      assert.match(c.out, /--url URL/)
      assert.match(c.out, /Exit status/)
    }
  }
})

test('an unknown command or an unknown flag: exit 2 with a pointer to --help', async () => {
  const a = io()
  assert.equal(await runProgram(['frobnicate'], a), 2)
  assert.match(a.err, /unknown command "frobnicate"/)
  const b = io()
  assert.equal(await runProgram(['verify', '--frobnicate'], b), 2)
  assert.match(b.err, /Unknown option '--frobnicate'/)
  assert.match(b.err, /xapi-ovn verify --help/)
})

test('usage errors are found before any connection: missing or bad ovn-remote, bad numbers', async () => {
  const cases: [string[], RegExp][] = [
    [['setup', '--url', 'http://127.0.0.1:9', '--password', 'x'], /--ovn-remote is required/],
    [['setup', '--ovn-remote', 'tcp:somewhere:6642'], /--ovn-remote: .*numeric address/],
    [['verify', '--wait', 'soon'], /--wait expects a whole number/],
    [
      ['status', '--concurrency', '0', '--url', 'http://127.0.0.1:9', '--password', 'x'],
      /--concurrency expects a whole number from 1 to 64/,
    ],
    [['setup', '--ovn-remote', 'tcp:192.0.2.10:6642', '--ssl-key', 'k.pem'], /go together/],
    [
      ['setup', '--ovn-remote', 'tcp:192.0.2.10:6642', '--ssl-key', 'k', '--ssl-cert', 'c', '--ssl-ca-cert', 'ca'],
      /--ssl-key k: ENOENT/,
    ],
    [['teardown'], /no pool master/],
    [['teardown', '--url', 'https://pool'], /no password/],
  ]
  for (const [argv, reason] of cases) {
    const c = io()
    assert.equal(await runProgram(argv, c), 2, argv.join(' '))
    assert.match(c.err, reason)
    assert.equal(c.out, '')
  }
})

test('the password never appears in any message, from a flag or from XAPI_PASSWORD', async () => {
  const a = io()
  await runProgram(['setup', '--password', 'hunter2', '--ovn-remote', 'hunter2'], a)
  assert.ok(!(a.out + a.err).includes('hunter2'), a.err)
  const b = io({ XAPI_PASSWORD: 'envsecret' })
  await runProgram(['setup', '--ovn-remote', 'tcp:envsecret:1'], b)
  assert.ok(!(b.out + b.err).includes('envsecret'), b.err)
})

test('a pool that cannot be reached: exit 1 with the coded failure, as JSON with --json', async () => {
  const c = io()
  assert.equal(await runProgram(['status', '--url', 'http://127.0.0.1:9', '--password', 'pw', '--quiet'], c), 1)
  assert.match(c.err, /OVN_XAPI_UNREACHABLE: cannot reach XAPI at http:\/\/127\.0\.0\.1:9/)
  const j = io()
  assert.equal(await runProgram(['status', '--url', 'http://127.0.0.1:9', '--password', 'pw', '--json'], j), 1)
  const parsed = JSON.parse(j.out) as { ok: boolean; error: { code: string; hint: string } }
  assert.equal(parsed.ok, false)
  assert.equal(parsed.error.code, 'OVN_XAPI_UNREACHABLE')
  assert.ok(parsed.error.hint)
})

test('a URL with credentials in it is a usage error that does not repeat them', async () => {
  const c = io()
  assert.equal(await runProgram(['status', '--url', 'https://root:topsecret@pool', '--password', 'x'], c), 2)
  assert.ok(!c.err.includes('topsecret'), c.err)
  assert.match(c.err, /credentials do not belong in the URL/)
})

test('the table takes more subcommands of the same shape', async () => {
  const extra: Command = {
    summary: 'say hello',
    usage: 'usage: xapi-ovn hello',
    options: { name: { type: 'string' } },
    run: async (cx) => {
      cx.out.result({ hello: cx.values.name }, () => `hello ${String(cx.values.name)}`)
      return 0
    },
  }
  const c = io()
  assert.equal(await runProgram(['hello', '--name', 'ovn'], c, { ...COMMANDS, hello: extra }), 0)
  assert.equal(c.out, 'hello ovn\n')
})
