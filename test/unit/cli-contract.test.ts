/**
 * The one JSON contract of the command line, checked over EVERY command and verb from one table:
 * the command table of lib/cli/program.ts (COMMANDS), so a command added there is covered without
 * a line here. Each is run as a user would mistype it, with --json: the envelope on stdout
 * (`{apiVersion: 1, ok: false, command: "<full path>", error: {code, params, message, hint}}`),
 * nothing on stderr, exit 2. Success envelopes are checked against a real northbound server in
 * test/integration/e2e-cli.test.ts and a pool in cli-pool.test.ts.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { API_VERSION, type CommandIo } from '../../lib/cli/output.js'
import { COMMANDS, runProgram } from '../../lib/cli/program.js'
import { isRecord, isStringArray } from '../../lib/shape.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

interface Ran {
  readonly code: number
  readonly out: string
  readonly err: string
}

/** Nothing reachable: no pool, no northbound database, no files, no terminal. */
async function run(argv: readonly string[]): Promise<Ran> {
  let out = ''
  let err = ''
  const io: CommandIo = {
    env: {},
    interactive: false,
    promptPassword: async () => assert.fail('no prompt expected'),
    readFile: async (path) => {
      throw new Error(`ENOENT: ${path}`)
    },
    readDir: async (path) => {
      throw new Error(`ENOENT: ${path}`)
    },
    writeFile: async () => assert.fail('no file written'),
    stdout: (t) => {
      out += t
    },
    stderr: (t) => {
      err += t
    },
  }
  const code = await runProgram(argv, io)
  return { code, out, err }
}

/** Every command path: `setup`, `switch add`, ... (a command with verbs: each verb). */
const PATHS: readonly (readonly string[])[] = COMMANDS.flatMap((c) => {
  const verbs = Object.keys(c.verbs)
  return verbs.length === 0 ? [[c.name]] : verbs.map((v) => [c.name, v])
})

const ENVELOPE_KEYS = ['apiVersion', 'command', 'ok']

/** stdout is exactly one envelope of the contract, agreeing with the exit status; it is returned. */
function envelope(r: Ran, command: string | null): Record<string, unknown> {
  let e: unknown
  try {
    e = JSON.parse(r.out)
  } catch {
    assert.fail(`stdout is not JSON (exit ${r.code}): ${r.out}${r.err}`)
  }
  assert.ok(isRecord(e), r.out)
  assert.equal(e.apiVersion, API_VERSION)
  assert.equal(e.apiVersion, 1)
  assert.equal(e.command, command)
  assert.equal(e.ok, r.code === 0, `ok ${String(e.ok)} with exit ${r.code}`)
  if ('error' in e) {
    assert.deepEqual(Object.keys(e).sort(), [...ENVELOPE_KEYS, 'error'].sort())
    assert.equal(e.ok, false)
    const f = e.error
    assert.ok(isRecord(f), r.out)
    assert.deepEqual(Object.keys(f).sort(), ['code', 'hint', 'message', 'params'])
    assert.match(String(f.code), /^(OVN_[A-Z0-9_]+|[A-Z][A-Z0-9_]+)$/)
    assert.ok(isStringArray(f.params), r.out)
    assert.equal(typeof f.message, 'string')
    assert.ok(f.hint === null || typeof f.hint === 'string', r.out)
  } else {
    assert.deepEqual(Object.keys(e).sort(), [...ENVELOPE_KEYS, 'result'].sort())
  }
  assert.equal(r.err, '', 'with --json nothing goes to stderr here')
  return e
}

function errorOf(e: Record<string, unknown>): Record<string, unknown> {
  return isRecord(e.error) ? e.error : assert.fail('no error in the envelope')
}

test('the table covers every command of the command table, and every verb', () => {
  assert.ok(PATHS.length >= 12, `${PATHS.length} command paths`)
  for (const c of COMMANDS)
    assert.ok(
      PATHS.some((p) => p[0] === c.name),
      c.name,
    )
})

for (const path of PATHS) {
  const command = path.join(' ')

  test(`${command}: an unknown option with --json is a usage error in the envelope, exit 2`, async () => {
    for (const argv of [
      [...path, '--no-such-option', '--json'],
      [...path, '--json', '--no-such-option'],
    ]) {
      const r = await run(argv)
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.out}${r.err}`)
      const f = errorOf(envelope(r, command))
      assert.equal(f.code, 'OVN_USAGE')
      assert.equal(f.message, 'unknown option --no-such-option')
      assert.deepEqual(f.params, ['unknown option --no-such-option'])
      assert.equal(f.hint, `run 'xapi-ovn ${command} --help' for its options`)
    }
  })

  test(`${command}: with only --json (nothing to connect to) the answer is an envelope too`, async () => {
    const r = await run([...path, '--json'])
    assert.ok(r.code === 1 || r.code === 2, `${command} --json: exit ${r.code}`)
    const f = errorOf(envelope(r, command))
    if (r.code === 2) assert.ok(f.code === 'OVN_USAGE' || f.code === 'OVN_INVALID_ARGUMENT', String(f.code))
  })

  test(`${command}: takes -q and --json, and its --help says so`, async () => {
    const quiet = await run([...path, '-q', '--no-such-option', '--json'])
    assert.equal(errorOf(envelope(quiet, command)).message, 'unknown option --no-such-option')
    const help = await run([...path, '--help'])
    assert.equal(help.code, 0)
    assert.match(help.out, /^ {2}-q, --quiet\s/m)
    assert.match(help.out, /^ {2}--json\s/m)
  })
}

for (const c of COMMANDS.filter((c) => Object.keys(c.verbs).length > 0)) {
  test(`${c.name}: a missing or unknown verb with --json is a usage error naming the command`, async () => {
    for (const argv of [[c.name, '--json'], [c.name, 'no-such-verb', '--json'], [c.name]]) {
      const r = await run(argv)
      assert.equal(r.code, 2, argv.join(' '))
      if (!argv.includes('--json')) {
        assert.equal(r.out, '')
        // A command with a default verb runs it: the usage error is that verb's (agent: no --nb).
        const expected = c.defaultVerb === undefined ? 'a verb comes first: ' : ''
        assert.match(r.err, new RegExp(`^xapi-ovn ${c.name}: ${expected}`))
        continue
      }
      const f = errorOf(envelope(r, c.name))
      assert.equal(f.code, 'OVN_USAGE')
    }
  })
}

test('no command, an unknown command: the envelope with command null', async () => {
  for (const argv of [['--json'], ['no-such-command', '--json']]) {
    const r = await run(argv)
    assert.equal(r.code, 2)
    const f = errorOf(envelope(r, null))
    assert.equal(f.code, 'OVN_USAGE')
    assert.equal(f.hint, "run 'xapi-ovn --help' for the commands")
  }
})

test('--version prints the version of package.json, alone or in the envelope', async () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
  for (const flag of ['--version', '-V']) {
    const r = await run([flag])
    assert.deepEqual([r.code, r.out, r.err], [0, `${version}\n`, ''])
  }
  for (const argv of [
    ['--version', '--json'],
    ['--json', '--version'],
  ]) {
    const r = await run(argv)
    assert.equal(r.code, 0)
    assert.deepEqual(envelope(r, null).result, { name: 'xapi-ovn', version })
  }
  assert.match((await run(['--help'])).out, /xapi-ovn --version/)
})

test('a failure that is not a usage error: exit 1, the coded error with its hint', async () => {
  const r = await run(['switch', 'list', '--nb', 'unix:/nonexistent/nb.sock', '--json'])
  assert.equal(r.code, 1)
  const f = errorOf(envelope(r, 'switch list'))
  assert.equal(f.code, 'OVN_OVSDB_UNAVAILABLE')
  assert.deepEqual((f.params as string[])[0], 'unix:/nonexistent/nb.sock')
})

test('every error line of the text output starts with the one prefix, xapi-ovn <command>:', async () => {
  for (const argv of [
    ['switch', 'add', '--bogus'],
    ['switch', 'list', '--nb', 'unix:/nonexistent/nb.sock'],
    ['verify', '--wait', 'soon'],
    ['port', 'attach', '--switch', 's', '--vm', 'a', '--ip', '198.18.0.999'],
  ]) {
    const r = await run(argv)
    assert.notEqual(r.code, 0)
    const command = argv[0] === 'switch' || argv[0] === 'port' ? argv.slice(0, 2).join(' ') : argv[0]
    assert.ok(r.err.startsWith(`xapi-ovn ${command ?? ''}: `), r.err)
    assert.equal(r.out, '')
  }
})
