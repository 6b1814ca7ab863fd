// `xapi-ovn agent --metrics HOST:PORT` (lib/agent/listen-address.ts): what is accepted, and the
// coded argument error for everything else.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { XapiOvnError } from '../../lib/errors.js'
import { formatListenAddress, parseListenAddress } from '../../lib/agent/listen-address.js'

const good: [string, string, number][] = [
  ['127.0.0.1:9477', '127.0.0.1', 9477],
  ['0.0.0.0:9477', '0.0.0.0', 9477],
  ['192.0.2.7:1', '192.0.2.7', 1],
  ['[::1]:9477', '::1', 9477],
  ['[::]:65535', '::', 65535],
  ['[2001:db8::7]:9477', '2001:db8::7', 9477],
]
for (const [input, host, port] of good) {
  test(`--metrics ${input}`, () => {
    assert.deepEqual(parseListenAddress(input), { host, port })
    assert.equal(formatListenAddress({ host, port }), input)
  })
}

const bad: [string, RegExp][] = [
  ['', /empty/],
  ['127.0.0.1', /no port/],
  ['9477', /no port/],
  ['localhost:9477', /not an IPv4 address \(host names/],
  ['metrics.example:9477', /host names/],
  ['256.0.0.1:9477', /not an IPv4/],
  ['127.0.0.01:9477', /not an IPv4/],
  ['::1:9477', /in brackets: \[::1\]:9477/],
  ['[::1]9477', /in brackets before :PORT/],
  ['[::1', /in brackets before :PORT/],
  ['[fe80::1%eth0]:9477', /zone ids/],
  ['[127.0.0.1]:9477', /not an IPv6/],
  ['127.0.0.1:', /port must be a number/],
  ['127.0.0.1:0', /from 1 to 65535/],
  ['127.0.0.1:65536', /from 1 to 65535/],
  ['127.0.0.1:+80', /port must be a number/],
  ['127.0.0.1:80 ', /port must be a number/],
  [' 127.0.0.1:80', /not an IPv4/],
  ['127.0.0.1:123456', /port must be a number/],
]
for (const [input, reason] of bad) {
  test(`--metrics ${JSON.stringify(input)} is OVN_INVALID_ARGUMENT`, () => {
    assert.throws(
      () => parseListenAddress(input),
      (e: unknown) =>
        e instanceof XapiOvnError &&
        e.code === 'OVN_INVALID_ARGUMENT' &&
        e.params[0] === 'metrics' &&
        e.params[1] === input &&
        reason.test(e.params[2] ?? ''),
    )
  })
}

test('the option named in the error is the caller’s', () => {
  assert.throws(
    () => parseListenAddress('x', 'listen'),
    (e: unknown) => e instanceof XapiOvnError && e.params[0] === 'listen',
  )
})
