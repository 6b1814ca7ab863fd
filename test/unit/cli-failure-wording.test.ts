/**
 * The library's failures as the command line shows them: the flags a user typed (`--ip of the 2nd
 * --vm`, `--force`, `--force-system-id`), never a field path (`vms[1].ips[0]`) or the plugin's
 * argument form; the code and params stay what programs match on. The errors are the library's
 * own, raised by its real validators.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseAttachOptions, parseDetachOptions } from '../../lib/attach/validate-attach.js'
import { SystemIdMismatchError } from '../../lib/chassis/errors.js'
import { InvalidArgumentError } from '../../lib/errors.js'
import { optionRef, rewordFailure } from '../../lib/cli/failure-wording.js'
import { Output, type CommandIo } from '../../lib/cli/output.js'
import { NbSwitchNotEmptyError } from '../../lib/nb/errors.js'
import { failureFromCode, toFailure } from '../../lib/pool/failures.js'

function thrown(f: () => unknown): unknown {
  try {
    f()
  } catch (err) {
    return err
  }
  return assert.fail('expected a throw')
}

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

test('field paths name the option, and which --vm it belongs to', () => {
  assert.deepEqual(optionRef('vms[1].ips[0]'), { option: '--ip', which: 'of the 2nd --vm' })
  assert.deepEqual(optionRef('vms[0].vm'), { option: '--vm', which: 'the 1st --vm' })
  assert.deepEqual(optionRef('vms[10]'), { option: '--vm', which: 'the 11th --vm' })
  assert.deepEqual(optionRef('vms[2].mac'), { option: '--mac', which: 'of the 3rd --vm' })
  assert.deepEqual(optionRef('switch'), { option: '--switch', which: null })
  assert.deepEqual(optionRef('vifs[0]'), { option: '--vif', which: 'the 1st --vif' })
  assert.deepEqual(optionRef('ovn-bridge-mappings'), { option: '--bridge-mappings', which: null })
  assert.deepEqual(optionRef('ovn-encap-type'), { option: '--encap-type', which: null })
  assert.equal(optionRef('ovn-encap-ip'), null)
  assert.deepEqual(optionRef('dhcp.router'), { option: '--router', which: null })
  assert.deepEqual(optionRef('dhcp.dnsServers'), { option: '--dns', which: null })
  assert.deepEqual(optionRef('dhcp.underlayMtu'), { option: '--underlay-mtu', which: null })
  assert.deepEqual(optionRef('ipv6.prefix'), { option: '--ipv6-prefix', which: null })
  assert.deepEqual(optionRef('ipv6.mode'), { option: '--ipv6-mode', which: null })
  assert.deepEqual(optionRef('ipv6.dnsServers[1]'), { option: '--ipv6-dns', which: null })
  assert.deepEqual(optionRef('ipv6'), { option: '--ipv6-prefix', which: null })
  assert.equal(optionRef('externalIds.foo'), null)
  assert.equal(optionRef('reply.changes[0]'), null)
})

test('a bad address of the second VM: --ip of the 2nd --vm, params unchanged', () => {
  const err = thrown(() =>
    parseAttachOptions({
      switch: 'net',
      vms: [
        { vm: 'web1', ips: ['198.18.0.1'] },
        { vm: 'web2', ips: ['198.18.0.999'] },
      ],
    }),
  )
  const raw = toFailure(err)
  assert.equal(raw.params[0], 'vms[1].ips[0]')
  const f = rewordFailure(raw)
  assert.equal(f.code, 'OVN_INVALID_ARGUMENT')
  assert.deepEqual(f.params, raw.params)
  assert.match(f.message, /^invalid --ip "198\.18\.0\.999" \(of the 2nd --vm\): /)
  assert.doesNotMatch(f.message, /vms\[/)
})

test("setup's values checked by the plugin's parser are named by setup's options", () => {
  const f = rewordFailure(toFailure(new InvalidArgumentError('ovn-encap-type', 'gre', 'expected geneve, vxlan or stt')))
  assert.equal(f.message, 'invalid --encap-type "gre": expected geneve, vxlan or stt')
  assert.deepEqual(f.params, ['ovn-encap-type', 'gre', 'expected geneve, vxlan or stt'])
})

test('a reason that names another field names it as an option too', () => {
  const err = thrown(() => parseAttachOptions({ switch: 'net', vms: [{ vm: 'web1' }, { vm: 'web1' }] }))
  const f = rewordFailure(toFailure(err))
  assert.match(f.message, /^invalid --vm "web1" \(the 2nd --vm\): also given as the 1st --vm;/)
  const detach = rewordFailure(toFailure(thrown(() => parseDetachOptions({ vms: [''] }))))
  assert.match(detach.message, /^invalid --vm "" \(the 1st --vm\): /)
})

test('choices are the flags: --force, --force-system-id', () => {
  const busy = rewordFailure(toFailure(new NbSwitchNotEmptyError('net', 2)))
  assert.match(busy.message, /give --force to delete them with it/)
  assert.doesNotMatch(busy.message, /pass force/)
  // As a host's plugin reports it: [code, ...params].
  const host = rewordFailure(failureFromCode('OVN_SYSTEM_ID_MISMATCH', ['old-id', 'host-uuid']))
  assert.match(host.message, /give --force-system-id to replace it/)
  const direct = rewordFailure(toFailure(new SystemIdMismatchError('old-id', 'host-uuid')))
  assert.doesNotMatch(direct.message, /force-system-id=true/)
})

test('the printer rewords the failure it prints and every failure inside a result', () => {
  const text = capture()
  new Output(text, 'switch del', []).failure(new NbSwitchNotEmptyError('net', 1))
  assert.match(text.err, /^xapi-ovn switch del: OVN_NB_SWITCH_NOT_EMPTY: .*give --force/)
  const json = capture()
  const host = failureFromCode('OVN_SYSTEM_ID_MISMATCH', ['old-id', 'host-uuid'])
  new Output(json, 'setup', [], { json: true }).result(
    { ok: false, hosts: [{ ok: false, error: host }] },
    () => '',
    false,
  )
  const e = JSON.parse(json.out) as {
    ok: boolean
    result: { hosts: { error: { message: string; params: string[] } }[] }
  }
  assert.equal(e.ok, false)
  assert.match(e.result.hosts[0]?.error.message ?? '', /give --force-system-id/)
  assert.deepEqual(e.result.hosts[0]?.error.params, ['old-id', 'host-uuid'])
})
