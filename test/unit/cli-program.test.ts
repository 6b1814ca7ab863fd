import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Command } from '../../lib/cli/command.js'
import { OPTIONS, optionSynopsis, type OptionName } from '../../lib/cli/options.js'
import type { CommandIo } from '../../lib/cli/output.js'
import { COMMANDS, runProgram } from '../../lib/cli/program.js'

interface Captured extends CommandIo {
  out: string
  err: string
  /** Files under certs/ that readFile and readDir see. */
  files: Record<string, string>
}

function io(env: Record<string, string> = {}): Captured {
  const c: Captured = {
    out: '',
    err: '',
    files: {
      'certs/0f0f0f0f-0000-4000-8000-000000000001.pem':
        '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      'certs/ca.pem': '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
    },
    env,
    interactive: false,
    promptPassword: async () => assert.fail('no prompt expected'),
    readFile: async (path) => {
      if (path.endsWith('.pem') && path.startsWith('certs/')) return c.files[path] ?? '-----BEGIN CERTIFICATE-----\n'
      throw new Error(`ENOENT: no such file ${path}`)
    },
    readDir: async (path) => {
      if (path === 'certs') return Object.keys(c.files).map((f) => f.slice('certs/'.length))
      if (path === 'empty') return ['README', 'notes.csr']
      throw new Error(`ENOENT: no such directory ${path}`)
    },
    writeFile: async () => assert.fail('no file written'),
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

/** Every option is listed on exactly one line of `help`, with its value name; no line is over 100 columns. */
function documents(help: string, options: readonly OptionName[], what: string): void {
  for (const line of help.split('\n')) assert.ok(line.length <= 100, `${what} --help, over 100 columns: ${line}`)
  for (const name of options) {
    const lines = help.split('\n').filter((l) => new RegExp(`^  (-[a-zA-Z], )?--${name}( |$)`).test(l))
    assert.equal(lines.length, 1, `${what} --help lists --${name} once:\n${help}`)
    assert.ok(lines[0]?.includes(optionSynopsis(name)), `${what}: ${optionSynopsis(name)}`)
  }
}

test('every subcommand has --help (and help NAME), exit 0, listing each of its options once', async () => {
  for (const command of COMMANDS) {
    for (const argv of [
      [command.name, '--help'],
      ['help', command.name],
    ]) {
      const c = io()
      assert.equal(await runProgram(argv, c), 0)
      assert.match(c.out, new RegExp(`^usage: xapi-ovn ${command.name}`))
      documents(c.out, command.options, command.name)
      assert.match(c.out, /Exit status/)
    }
  }
})

test('every verb has --help, exit 0, listing each of its options once', async () => {
  for (const command of COMMANDS) {
    for (const verb of Object.keys(command.verbs)) {
      const c = io()
      assert.equal(await runProgram([command.name, verb, '--help'], c), 0)
      assert.match(c.out, new RegExp(`^usage: xapi-ovn ${command.name} ${verb}`))
      documents(c.out, [...(command.verbs[verb]?.options ?? []), 'help'], `${command.name} ${verb}`)
      assert.match(c.out, /Exit status/)
    }
  }
})

test('pool commands document the connection; every option of the table is taken by some command', async () => {
  for (const name of ['setup', 'verify', 'status', 'teardown']) {
    const c = io()
    assert.equal(await runProgram([name, '--help'], c), 0)
    assert.match(c.out, /^Connection \(XAPI\):\n {2}--url URL {2,}pool master.*\(env XAPI_URL\)$/m)
    assert.match(c.out, /^ {2}--password PASSWORD {2,}.*\(env XAPI_PASSWORD\)$/m)
  }
  const taken = new Set<string>(COMMANDS.flatMap((c) => c.options))
  for (const name of Object.keys(OPTIONS)) assert.ok(taken.has(name), `--${name} is taken by no command`)
})

test('an unknown command or an unknown flag: exit 2 with a pointer to --help', async () => {
  const a = io()
  assert.equal(await runProgram(['frobnicate'], a), 2)
  assert.match(a.err, /unknown command "frobnicate"/)
  const b = io()
  assert.equal(await runProgram(['verify', '--frobnicate'], b), 2)
  assert.match(b.err, /^xapi-ovn verify: unknown option --frobnicate$/m)
  assert.match(b.err, /xapi-ovn verify --help/)
})

test('usage errors are found before any connection: missing or bad ovn-remote, bad numbers', async () => {
  const cases: [string[], RegExp][] = [
    [['setup', '--url', 'http://127.0.0.1:9', '--password', 'x'], /--ovn-remote is required/],
    [['setup', '--ovn-remote', 'tcp:somewhere:6642'], /--ovn-remote: .*numeric address/],
    [['verify', '--wait', 'soon'], /--wait expects a whole number/],
    [
      ['status', '--concurrency', '0', '--url', 'http://127.0.0.1:9', '--password', 'x'],
      /--concurrency expects a whole number from 1 to 256/,
    ],
    [['setup', '--ovn-remote', 'tcp:192.0.2.10:6642', '--ssl-cert-dir', 'certs'], /go together/],
    [['setup', '--ovn-remote', 'tcp:192.0.2.10:6642', '--ssl-ca-cert', 'ca.pem'], /go together/],
    // The key options are gone: a private key is never read by the CLI.
    [['setup', '--ovn-remote', 'tcp:192.0.2.10:6642', '--ssl-key', 'k.pem'], /--ssl-key/],
    [
      ['setup', '--ovn-remote', 'tcp:192.0.2.10:6642', '--ssl-cert-dir', 'nodir', '--ssl-ca-cert', 'ca'],
      /--ssl-cert-dir nodir: ENOENT/,
    ],
    [
      ['setup', '--ovn-remote', 'tcp:192.0.2.10:6642', '--ssl-cert-dir', 'empty', '--ssl-ca-cert', 'ca'],
      /no <host-uuid>.pem/,
    ],
    [
      ['setup', '--ovn-remote', 'tcp:192.0.2.10:6642', '--ssl-cert-dir', 'certs', '--ssl-ca-cert', 'certs/ca.key'],
      /--ssl-ca-cert certs\/ca.key: ENOENT/,
    ],
    [
      ['setup', '--ovn-remote', 'tcp:192.0.2.10:6642', '--ssl-cert-dir', 'certs', '--ssl-ca-cert', 'certs/ca.pem'],
      /holds a private key: private keys never leave their host/,
    ],
    [['ssl', 'request'], /--dir is required/],
    [['ssl', 'request', '--dir', 'nodir'], /--dir nodir: ENOENT/],
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

test('the table takes more commands on the same base', async () => {
  const extra = new Command('hello', {
    summary: 'say hello',
    description: 'Say hello.',
    options: ['name'],
    run: async (cx) => {
      cx.out.result({ hello: cx.values.name }, () => `hello ${String(cx.values.name)}`)
      return 0
    },
  })
  const c = io()
  assert.equal(await runProgram(['hello', '--name', 'ovn'], c, [...COMMANDS, extra]), 0)
  assert.equal(c.out, 'hello ovn\n')
  const h = io()
  assert.equal(await runProgram(['help'], h, [...COMMANDS, extra]), 0)
  assert.match(h.out, /^ {2}hello\s+say hello$/m)
})

test('a two-word verb (sg rule add) is one verb: its own --help; the first word alone is no verb', async () => {
  const help = io()
  assert.equal(await runProgram(['sg', 'rule', 'add', '--help'], help), 0)
  assert.match(help.out, /^usage: xapi-ovn sg rule add --sg NAME --direction DIR/)
  const alone = io()
  assert.equal(await runProgram(['sg', 'rule', '--sg', 'web'], alone), 2)
  assert.match(alone.err, /unknown verb "rule"/)
})
