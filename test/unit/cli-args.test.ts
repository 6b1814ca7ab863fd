import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  addressFamilyOption,
  chassisKeysOption,
  connectOptions,
  ipv6SpecOption,
  ovnRemoteOption,
  transportOption,
  type CliEnv,
} from '../../lib/cli/args.js'
import { setupCommand } from '../../lib/cli/commands/setup.js'
import { intOption, parseOptions, UsageError, type OptionValues } from '../../lib/cli/options.js'
import { redact } from '../../lib/cli/secrets.js'

const SETUP = setupCommand.options

function usage(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    assert.ok(e instanceof UsageError, String(e))
    return e.message
  }
  return 'no error'
}

function cli(
  env: Record<string, string> = {},
  interactive = false,
  typed = 'typed-pw',
): CliEnv & { prompts: string[] } {
  const prompts: string[] = []
  return {
    env,
    interactive,
    prompts,
    promptPassword: async (p) => {
      prompts.push(p)
      return typed
    },
    readFile: async () => '',
    readDir: async () => [],
    writeFile: async () => assert.fail('no file written'),
  }
}

test('strict parsing: unknown flags, stray words and missing values are usage errors', () => {
  assert.match(
    usage(() => parseOptions(['--bogus'], SETUP)),
    /^unknown option --bogus$/,
  )
  assert.match(
    usage(() => parseOptions(['stray'], SETUP)),
    /^unexpected word "stray": every value follows its option/,
  )
  assert.match(
    usage(() => parseOptions(['--ovn-remote'], SETUP)),
    /^--ovn-remote needs a value$/,
  )
  assert.match(
    usage(() => parseOptions(['--dry-run=yes'], SETUP)),
    /^--dry-run takes no value$/,
  )
})

test('a usage error never contains the password given on the command line', () => {
  const message = usage(() => parseOptions(['--password', 'hunter2', 'hunter2'], SETUP))
  assert.ok(!message.includes('hunter2'), message)
  assert.match(message, /\*\*\*/)
})

test('repeatable flags collect, booleans are booleans', () => {
  const v = parseOptions(['--set', 'a=1', '--set', 'b=2', '--host', 'h1', '--host', 'h2', '--dry-run'], SETUP)
  assert.deepEqual(v.set, ['a=1', 'b=2'])
  assert.deepEqual(v.host, ['h1', 'h2'])
  assert.equal(v['dry-run'], true)
})

const transports: [string[], unknown][] = [
  [[], undefined],
  [['--transport-network', 'storage'], { by: 'network', network: 'storage' }],
  [['--transport-device', 'eth1'], { by: 'device', device: 'eth1' }],
  [['--transport-device', 'eth1', '--transport-vlan', '100'], { by: 'device', device: 'eth1', vlan: 100 }],
  [['--transport-vlan', '100'], { by: 'vlan', vlan: 100 }],
]
for (const [argv, want] of transports) {
  test(`transport choice from ${argv.join(' ') || 'nothing'}`, () =>
    assert.deepEqual(transportOption(parseOptions(argv, SETUP)), want))
}

test('transport choice: a network with a device, or a VLAN out of range, is a usage error', () => {
  assert.match(
    usage(() => transportOption(parseOptions(['--transport-network', 'x', '--transport-device', 'eth1'], SETUP))),
    /cannot be combined/,
  )
  assert.match(
    usage(() => transportOption(parseOptions(['--transport-vlan', '4095'], SETUP))),
    /0 to 4094/,
  )
  assert.match(
    usage(() => transportOption(parseOptions(['--transport-vlan', '1e2'], SETUP))),
    /whole number/,
  )
})

test('--set KEY=VALUE builds the chassis keys; malformed or repeated keys are usage errors', () => {
  assert.deepEqual(
    chassisKeysOption(parseOptions(['--set', 'ovn-remote-probe-interval=5000', '--set', 'ovn-cms-options=a=b'], SETUP)),
    {
      'ovn-remote-probe-interval': '5000',
      'ovn-cms-options': 'a=b',
    },
  )
  assert.equal(chassisKeysOption(parseOptions([], SETUP)), undefined)
  assert.match(
    usage(() => chassisKeysOption(parseOptions(['--set', 'novalue'], SETUP))),
    /KEY=VALUE/,
  )
  assert.match(
    usage(() => chassisKeysOption(parseOptions(['--set', 'a=1', '--set', 'a=2'], SETUP))),
    /twice/,
  )
})

test('--ovn-remote is required and checked before any connection', () => {
  assert.match(
    usage(() => ovnRemoteOption({})),
    /--ovn-remote is required/,
  )
  assert.match(
    usage(() => ovnRemoteOption({ 'ovn-remote': 'tcp:central:6642' })),
    /--ovn-remote: .*numeric address/,
  )
  assert.equal(
    ovnRemoteOption({ 'ovn-remote': 'ssl:192.0.2.10:6642,ssl:192.0.2.11:6642' }),
    'ssl:192.0.2.10:6642,ssl:192.0.2.11:6642',
  )
})

test('numbers and families', () => {
  const v: OptionValues = { concurrency: '8', wait: '-1', 'ip-family': '6' }
  assert.equal(intOption(v, 'concurrency', 1, 64), 8)
  assert.match(
    usage(() => intOption(v, 'wait', 0, 600)),
    /--wait expects a whole number from 0 to 600/,
  )
  assert.equal(intOption({}, 'wait', 0, 600), undefined)
  assert.equal(addressFamilyOption(v), 'IPv6')
  assert.match(
    usage(() => addressFamilyOption({ 'ip-family': '5' })),
    /--ip-family/,
  )
})

test('credentials: flags over XAPI_* environment; root by default', async () => {
  const env = cli({ XAPI_URL: 'https://env', XAPI_USER: 'envuser', XAPI_PASSWORD: 'envpw' })
  assert.deepEqual(await connectOptions({}, env), {
    url: 'https://env',
    user: 'envuser',
    password: 'envpw',
    allowUnauthorized: false,
    transport: undefined,
  })
  const flags = await connectOptions(
    { url: 'https://flag', user: 'u', password: 'p', 'allow-unauthorized': true, protocol: 'xml-rpc' },
    env,
  )
  assert.deepEqual(flags, {
    url: 'https://flag',
    user: 'u',
    password: 'p',
    allowUnauthorized: true,
    transport: 'xml-rpc',
  })
  assert.equal((await connectOptions({ url: 'x', password: 'p' }, cli())).user, 'root')
  assert.equal(env.prompts.length, 0)
})

test('credentials: no password prompts on a terminal, and is a usage error elsewhere', async () => {
  const tty = cli({}, true, 'from-the-terminal')
  const o = await connectOptions({ url: 'https://pool' }, tty)
  assert.equal(o.password, 'from-the-terminal')
  assert.deepEqual(tty.prompts, ['Password for root at https://pool: '])
  await assert.rejects(
    connectOptions({ url: 'https://pool' }, cli()),
    (e: unknown) => e instanceof UsageError && /no password/.test(e.message),
  )
  await assert.rejects(
    connectOptions({ password: 'p' }, cli()),
    (e: unknown) => e instanceof UsageError && /--url/.test(e.message),
  )
})

test('redaction: long secrets everywhere, short ones only where quoted', () => {
  assert.equal(redact('bad hunter2 and "hunter2"', ['hunter2']), 'bad *** and "***"')
  assert.equal(redact("expects x, got 'x'", ['x']), "expects x, got '***'")
  assert.equal(redact('nothing', [undefined, '']), 'nothing')
})

test('switch add --ipv6-prefix/--ipv6-mode/--ipv6-dns -> the library IPv6 spec; mode or DNS without a prefix is a usage error', () => {
  const cases: [OptionValues, unknown][] = [
    [{}, undefined],
    [{ 'ipv6-prefix': '2001:db8:5::/64' }, { prefix: '2001:db8:5::/64' }],
    [
      { 'ipv6-prefix': '2001:db8:5::/64', 'ipv6-mode': 'dhcpv6-stateless', 'ipv6-dns': '2001:db8::53, 2001:db8::54' },
      { prefix: '2001:db8:5::/64', mode: 'dhcpv6-stateless', dnsServers: ['2001:db8::53', '2001:db8::54'] },
    ],
  ]
  for (const [values, want] of cases) assert.deepEqual(ipv6SpecOption(values), want)
  assert.equal(
    usage(() => ipv6SpecOption({ 'ipv6-mode': 'slaac' })),
    '--ipv6-mode and --ipv6-dns describe the IPv6 of --ipv6-prefix: give --ipv6-prefix too',
  )
  assert.equal(
    usage(() => ipv6SpecOption({ 'ipv6-prefix': '2001:db8:5::/64', 'ipv6-mode': 'stateful' })),
    '--ipv6-mode expects slaac, dhcpv6-stateless, dhcpv6-stateful, not "stateful"',
  )
})
