import { test } from 'node:test'
import assert from 'node:assert/strict'
import { InvalidArgumentError, MissingArgumentError, UnknownArgumentError } from '../../lib/errors.js'
import { OvnNetworkError, XapiAuthError, XapiUnreachableError } from '../../lib/pool/errors.js'
import { UsageError } from '../../lib/cli/options.js'
import { Output, type CommandIo } from '../../lib/cli/output.js'
import { PromptAborted } from '../../lib/cli/prompt.js'

function capture(): CommandIo & { out: string; err: string } {
  const c = {
    out: '',
    err: '',
    env: {},
    interactive: false,
    promptPassword: async () => assert.fail('no prompt expected'),
    readFile: async () => assert.fail('no file expected'),
    readDir: async () => assert.fail('no directory expected'),
    writeFile: async () => assert.fail('no file expected'),
    stdout: (t: string) => {
      c.out += t
    },
    stderr: (t: string) => {
      c.err += t
    },
  }
  return c
}

// One place maps what a command throws to its exit status: every argument error is a usage error.
const EXITS: [string, unknown, number][] = [
  ['a usage mistake', new UsageError('--wait expects a whole number'), 2],
  ['a bad value found by the library', new InvalidArgumentError('ovn-bridge-mappings', 'x', 'no bridge'), 2],
  ['an unknown key', new UnknownArgumentError('k'), 2],
  ['a missing key', new MissingArgumentError('k'), 2],
  ['an ambiguous or unusable --network', new OvnNetworkError('ovn-int', '2 networks have this name'), 2],
  ['an unreachable pool', new XapiUnreachableError('https://pool', 'ECONNREFUSED'), 1],
  ['refused credentials', new XapiAuthError('https://pool', 'root'), 1],
  ['an aborted prompt', new PromptAborted(), 1],
  ['a bug', new TypeError('x is undefined'), 1],
]
for (const [what, err, exit] of EXITS) {
  test(`${what}: exit ${exit}`, () => assert.equal(new Output(capture(), 'setup', []).failure(err), exit))
}

test('a failure: text on stderr naming the command, or {ok: false, error} on stdout with --json', () => {
  const text = capture()
  new Output(text, 'port attach', []).failure(new OvnNetworkError('ovn-int', 'has PIFs'))
  assert.match(text.err, /^xapi-ovn port attach: OVN_NETWORK_UNUSABLE: OVN network ovn-int: has PIFs\n {2}hint: /)
  assert.equal(text.out, '')
  const json = capture()
  new Output(json, 'status', [], { json: true }).failure(new XapiUnreachableError('https://pool', 'down'))
  const parsed = JSON.parse(json.out) as { apiVersion: number; ok: boolean; command: string; error: { code: string } }
  assert.deepEqual(
    [parsed.apiVersion, parsed.ok, parsed.command, parsed.error.code],
    [1, false, 'status', 'OVN_XAPI_UNREACHABLE'],
  )
  assert.equal(json.err, '')
})

test('with --json a usage mistake and an aborted prompt are envelopes too, with their codes and exits', () => {
  const usage = capture()
  assert.equal(new Output(usage, 'verify', [], { json: true }).failure(new UsageError('--wait needs a value')), 2)
  assert.deepEqual(JSON.parse(usage.out), {
    apiVersion: 1,
    ok: false,
    command: 'verify',
    error: {
      code: 'OVN_USAGE',
      params: ['--wait needs a value'],
      message: '--wait needs a value',
      hint: "run 'xapi-ovn verify --help' for its options",
    },
  })
  const aborted = capture()
  assert.equal(new Output(aborted, 'setup', [], { json: true }).failure(new PromptAborted()), 1)
  const e = JSON.parse(aborted.out) as { ok: boolean; error: { code: string } }
  assert.deepEqual([e.ok, e.error.code], [false, 'OVN_ABORTED'])
  const text = capture()
  new Output(text, 'setup', []).failure(new PromptAborted())
  assert.equal(text.err, 'xapi-ovn setup: aborted\n')
})

test('a result with --json: the envelope, ok as the caller says (a pool result with a failed host)', () => {
  const c = capture()
  const out = new Output(c, 'switch list', [], { json: true })
  out.result([{ name: 'net' }], () => assert.fail('no text with --json'))
  assert.deepEqual(JSON.parse(c.out), { apiVersion: 1, ok: true, command: 'switch list', result: [{ name: 'net' }] })
  const failed = capture()
  new Output(failed, 'verify', [], { json: true }).result({ ok: false }, () => '', false)
  assert.deepEqual(JSON.parse(failed.out), { apiVersion: 1, ok: false, command: 'verify', result: { ok: false } })
})

test('a usage error points to the command help, or shows the usage it carries', () => {
  const plain = capture()
  new Output(plain, 'verify', []).failure(new UsageError('--wait expects a whole number'))
  assert.equal(
    plain.err,
    "xapi-ovn verify: --wait expects a whole number\nRun 'xapi-ovn verify --help' for its options.\n",
  )
  const listed = capture()
  new Output(listed, '', []).failure(new UsageError('unknown command "x"', 'usage: xapi-ovn <command>'))
  assert.equal(listed.err, 'xapi-ovn: unknown command "x"\n\nusage: xapi-ovn <command>\n')
})

test('results, notes and failures never show a secret, including one learned later', () => {
  const c = capture()
  const out = new Output(c, 'status', ['from-argv'], { json: true })
  out.keepSecret('typed-at-prompt')
  out.result({ said: 'from-argv typed-at-prompt' }, () => '')
  out.note('typed-at-prompt')
  out.failure(new XapiAuthError('https://from-argv@pool', 'typed-at-prompt'))
  assert.ok(!(c.out + c.err).includes('from-argv'), c.out + c.err)
  assert.ok(!(c.out + c.err).includes('typed-at-prompt'), c.out + c.err)
  const quiet = capture()
  new Output(quiet, 'status', [], { quiet: true }).note('progress')
  assert.equal(quiet.err, '')
})
