/**
 * `xapi-ovn sg` as a user's shell runs it: the built CLI (spawned) against a real standalone
 * OVN_Northbound, with the commands README's "Security groups" section gives. Each answer is one
 * JSON envelope whose `ok` agrees with the exit status (0 done, 1 refused, 2 a bad argument:
 * nothing written), the two-word verbs' `command` is their full path, and `--dry-run` writes
 * nothing.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { checkedEnvelope, spawnCli, type Envelope, type Ran } from './spawned-cli.js'
import { NbDatabase } from './nb-server.js'

let db: NbDatabase

// No pool: XAPI_URL empty; the northbound database from OVN_NB_DB, as the README exports it.
const xapiOvn = (argv: readonly string[]): Promise<Ran> =>
  spawnCli(argv, { OVN_NB_DB: db.remotes.join(','), XAPI_URL: '' })

/** Run with --json; the one envelope on stdout, checked against the exit status and the command path. */
async function envelope(argv: readonly string[], command: string, exit: number): Promise<Envelope> {
  return checkedEnvelope(await xapiOvn([...argv, '--json']), argv, command, exit)
}

async function groups(): Promise<{ name: string; ports: string[]; rules: { key: string }[] }[]> {
  const e = await envelope(['sg', 'list'], 'sg list', 0)
  return e.result as { name: string; ports: string[]; rules: { key: string }[] }[]
}

describe('xapi-ovn sg against a real northbound database', () => {
  before(async () => {
    db = await NbDatabase.standalone()
  })
  after(async () => {
    await db?.destroy()
  })

  test('add, rule add, list, rule del, del: the README commands, each one envelope', async () => {
    await envelope(['sg', 'add', '--sg', 'web'], 'sg add', 0)
    const rule = [
      '--sg',
      'web',
      '--direction',
      'ingress',
      '--proto',
      'tcp',
      '--port',
      '22',
      '--remote-cidr',
      '192.0.2.0/24',
    ]
    const added = await envelope(['sg', 'rule', 'add', ...rule], 'sg rule add', 0)
    assert.match(
      JSON.stringify(added.result),
      /outport == @xapi_ovn_sg_web && ip4 && ip4.src == 192.0.2.0\/24 && tcp && tcp.dst == 22/,
    )
    await envelope(['sg', 'rule', 'add', '--sg', 'web', '--direction', 'ingress', '--proto', 'icmp'], 'sg rule add', 0)
    assert.deepEqual(
      (await groups()).map((g) => [g.name, g.rules.map((r) => r.key)]),
      [['web', ['ingress ip4 icmp from any', 'ingress ip4 tcp 22-22 from 192.0.2.0/24']]],
    )
    const text = await xapiOvn(['sg', 'list'])
    assert.equal(text.code, 0)
    assert.match(text.stdout, /web\s+0\s+ingress ip4 icmp from any/)
    await envelope(['sg', 'rule', 'del', ...rule], 'sg rule del', 0)
    const missing = await envelope(['sg', 'rule', 'del', ...rule], 'sg rule del', 1)
    assert.equal(missing.error?.code, 'OVN_NB_SG_RULE_MISSING')
    await envelope(['sg', 'rule', 'del', ...rule, '--if-exists'], 'sg rule del', 0)
    await envelope(['sg', 'del', '--sg', 'web'], 'sg del', 0)
    assert.equal((await envelope(['sg', 'del', '--sg', 'web'], 'sg del', 1)).error?.code, 'OVN_NB_SG_MISSING')
    await envelope(['sg', 'del', '--sg', 'web', '--if-exists'], 'sg del', 0)
    assert.deepEqual(await groups(), [])
  })

  test('bad arguments exit 2 and write nothing; an unknown group exits 1; --dry-run writes nothing', async () => {
    await envelope(['sg', 'add', '--sg', 'app'], 'sg add', 0)
    const base = ['sg', 'rule', 'add', '--sg', 'app', '--direction', 'ingress']
    for (const [extra, reason] of [
      [['--proto', 'tcp', '--port', '0'], /port 0/],
      [['--proto', 'tcp', '--port', '65536'], /1-65535/],
      [['--proto', 'tcp', '--port', '90-80'], /reversed/],
      [['--remote-cidr', '192.0.2.1/24'], /host bits/],
      [['--proto', 'icmp', '--port', '22'], /tcp or udp/],
      [['--remote-group', 'not-a-name'], /letter then/],
    ] as const) {
      const e = await envelope([...base, ...extra], 'sg rule add', 2)
      assert.equal(e.error?.code, 'OVN_INVALID_ARGUMENT')
      assert.match(e.error?.message ?? '', reason)
    }
    assert.equal(
      (await envelope(['sg', 'rule', 'add', '--sg', 'nope', '--direction', 'egress'], 'sg rule add', 1)).error?.code,
      'OVN_NB_SG_MISSING',
    )
    const dry = await envelope([...base, '--proto', 'udp', '--port', '53', '--dry-run'], 'sg rule add', 0)
    assert.match(JSON.stringify(dry.result), /"dryRun":true/)
    await envelope(['sg', 'add', '--sg', 'later', '--dry-run'], 'sg add', 0)
    assert.deepEqual(
      (await groups()).map((g) => [g.name, g.rules.length]),
      [['app', 0]],
    )
  })
})
