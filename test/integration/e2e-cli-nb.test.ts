/**
 * The JSON envelope of success, as a user's shell sees it: the built `xapi-ovn` (a spawned `node
 * .build/lib/cli/main.js`) against a real standalone OVN_Northbound ovsdb-server, for every
 * command that needs only the northbound database (switch, localnet, port list). Each answer is
 * one envelope on stdout, `ok` agreeing with the exit status, `command` the full path, nothing on
 * stderr; the results are what the database then holds. The pool commands' envelopes are checked
 * in cli-pool.test.ts, port attach/detach in e2e-cli.test.ts, usage errors of every command in
 * test/unit/cli-contract.test.ts.
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

async function result<T>(argv: readonly string[], command: string): Promise<T> {
  return (await envelope(argv, command, 0)).result as T
}

describe('xapi-ovn --json against a real northbound database', () => {
  before(async () => {
    db = await NbDatabase.standalone()
  })
  after(async () => {
    await db?.destroy()
  })

  test('switch add | list | del: ok envelopes with the results, then a refusal as an error envelope', async () => {
    const added = await result<{ name: string; uuid: string; created: boolean }>(
      ['switch', 'add', '--switch', 'env-net', '--subnet', '198.18.20.0/24'],
      'switch add',
    )
    assert.deepEqual([added.name, added.created], ['env-net', true])
    const again = await result<{ created: boolean; changed: boolean }>(
      ['switch', 'add', '--switch', 'env-net', '--subnet', '198.18.20.0/24', '-q'],
      'switch add',
    )
    assert.deepEqual([again.created, again.changed], [false, false])
    const listed = await result<{ name: string; uuid: string; subnet: string | null }[]>(
      ['switch', 'list'],
      'switch list',
    )
    assert.deepEqual(
      listed.map((s) => [s.name, s.uuid, s.subnet]),
      [['env-net', added.uuid, '198.18.20.0/24']],
    )
    const missing = await envelope(['switch', 'del', '--switch', 'no-such-switch'], 'switch del', 1)
    assert.equal(missing.error?.code, 'OVN_NB_SWITCH_MISSING')
    const gone = await result<{ deleted: boolean }>(
      ['switch', 'del', '--switch', 'no-such-switch', '--if-exists'],
      'switch del',
    )
    assert.equal(gone.deleted, false)
  })

  test('localnet add | list | del, port list: ok envelopes; a switch with ports is refused in the CLI words', async () => {
    const added = await result<{ name: string; action: string }>(
      ['localnet', 'add', '--switch', 'env-net', '--network-name', 'physnet-env', '--vlan', '20'],
      'localnet add',
    )
    assert.deepEqual([added.name, added.action], ['provnet-physnet-env', 'created'])
    const listed = await result<{ name: string; vlan: number | null }[]>(['localnet', 'list'], 'localnet list')
    assert.deepEqual(
      listed.map((l) => [l.name, l.vlan]),
      [['provnet-physnet-env', 20]],
    )
    const ports = await result<{ name: string }[]>(['port', 'list', '--switch', 'env-net'], 'port list')
    assert.deepEqual(
      ports.map((p) => p.name),
      ['provnet-physnet-env'],
    )
    const busy = await envelope(['switch', 'del', '--switch', 'env-net'], 'switch del', 1)
    assert.equal(busy.error?.code, 'OVN_NB_SWITCH_NOT_EMPTY')
    assert.deepEqual(busy.error?.params, ['env-net', '1'])
    assert.match(busy.error?.message ?? '', /give --force to delete them with it/)
    const removed = await result<{ removed: { name: string } | null }>(
      ['localnet', 'del', '--name', 'provnet-physnet-env'],
      'localnet del',
    )
    assert.equal(removed.removed?.name, 'provnet-physnet-env')
    const deleted = await result<{ deleted: boolean }>(['switch', 'del', '--switch', 'env-net'], 'switch del')
    assert.equal(deleted.deleted, true)
    assert.deepEqual(await result<unknown[]>(['switch', 'list'], 'switch list'), [])
  })

  test('switch add with DHCP: --dry-run writes nothing, the row is made and updated in place, a bad router exits 2, del takes the row', async () => {
    const args = ['switch', 'add', '--switch', 'dhcp-net', '--subnet', '198.18.30.0/24', '--router', '198.18.30.1']
    const dry = await result<{ dryRun: boolean; uuid: string | null; dhcp: { action: string } }>(
      [...args, '--dns', '198.18.0.53,198.18.0.54', '--dry-run'],
      'switch add',
    )
    assert.deepEqual([dry.dryRun, dry.uuid, dry.dhcp.action], [true, null, 'created'])
    assert.equal((await db.nbctl(['dhcp-options-list'])).trim(), '', '--dry-run wrote nothing')
    type Added = { dhcp: { uuid: string; action: string; options: Record<string, string> } }
    const made = await result<Added>([...args, '--dns', '198.18.0.53,198.18.0.54'], 'switch add')
    assert.equal(made.dhcp.action, 'created')
    assert.deepEqual(made.dhcp.options, {
      server_id: '198.18.30.1',
      server_mac: '0a:58:c6:12:1e:01',
      lease_time: '3600',
      mtu: '1442',
      router: '198.18.30.1',
      dns_server: '{198.18.0.53, 198.18.0.54}',
    })
    const vxlan = await result<Added>([...args, '--underlay-mtu', '9000', '--encap-type', 'vxlan'], 'switch add')
    assert.deepEqual([vxlan.dhcp.uuid, vxlan.dhcp.action, vxlan.dhcp.options.mtu], [made.dhcp.uuid, 'updated', '8950'])
    assert.equal((await db.nbctl(['dhcp-options-list'])).trim(), made.dhcp.uuid, 'one row, updated in place')
    const bad = await envelope([...args.slice(0, -1), '198.18.31.1'], 'switch add', 2)
    assert.deepEqual([bad.error?.code, bad.error?.params[0]], ['OVN_INVALID_ARGUMENT', 'dhcp.router'])
    // The message in the command line's words: the flag, not the library's field path.
    assert.match(bad.error?.message ?? '', /--router/)
    assert.doesNotMatch(bad.error?.message ?? '', /dhcp\.router/)
    const both = await envelope([...args, '--mtu', '1400', '--underlay-mtu', '1500'], 'switch add', 2)
    assert.equal(both.error?.code, 'OVN_INVALID_ARGUMENT')
    const gone = await result<{ deleted: boolean; dhcpUuid: string }>(
      ['switch', 'del', '--switch', 'dhcp-net'],
      'switch del',
    )
    assert.deepEqual([gone.deleted, gone.dhcpUuid], [true, made.dhcp.uuid])
    assert.equal((await db.nbctl(['dhcp-options-list'])).trim(), '')
  })

  test('switch add with IPv6: --dry-run writes nothing, DHCPv6 made then gone with slaac, bad values exit 2 in flag words', async () => {
    const args = ['switch', 'add', '--switch', 'v6-net', '--ipv6-prefix', '2001:db8:50::/64']
    type Added = { ipv6: { prefix: string; mode: string; action: string; dhcpv6Uuid: string | null } }
    const stateful = [...args, '--ipv6-mode', 'dhcpv6-stateful', '--ipv6-dns', '2001:db8::53']
    const dry = await result<Added & { dryRun: boolean }>([...stateful, '--dry-run'], 'switch add')
    assert.deepEqual([dry.dryRun, dry.ipv6.action], [true, 'created'])
    assert.equal((await db.nbctl(['dhcp-options-list'])).trim(), '', '--dry-run wrote nothing')
    const made = await result<Added>(stateful, 'switch add')
    assert.deepEqual(
      [made.ipv6.prefix, made.ipv6.mode, made.ipv6.action],
      ['2001:db8:50::/64', 'dhcpv6-stateful', 'created'],
    )
    assert.equal((await db.nbctl(['dhcp-options-list'])).trim(), made.ipv6.dhcpv6Uuid)
    const listed = await result<{ name: string; ipv6Prefix: string | null }[]>(['switch', 'list'], 'switch list')
    assert.deepEqual(
      listed.filter((s) => s.name === 'v6-net').map((s) => s.ipv6Prefix),
      ['2001:db8:50::/64'],
    )
    const slaac = await result<Added>(args, 'switch add')
    assert.deepEqual([slaac.ipv6.mode, slaac.ipv6.action], ['slaac', 'deleted'])
    assert.equal((await db.nbctl(['dhcp-options-list'])).trim(), '')
    const bad = await envelope(
      ['switch', 'add', '--switch', 'v6-net', '--ipv6-prefix', '2001:db8:50::/48'],
      'switch add',
      2,
    )
    assert.deepEqual([bad.error?.code, bad.error?.params[0]], ['OVN_INVALID_ARGUMENT', 'ipv6.prefix'])
    assert.match(bad.error?.message ?? '', /^invalid --ipv6-prefix "2001:db8:50::\/48": the prefix length must be 64/)
    const dns = await envelope([...stateful.slice(0, -1), '198.18.0.53'], 'switch add', 2)
    assert.match(dns.error?.message ?? '', /^invalid --ipv6-dns "198\.18\.0\.53"/)
    const mode = await envelope([...args, '--ipv6-mode', 'dhcp'], 'switch add', 2)
    assert.match(mode.error?.message ?? '', /--ipv6-mode expects slaac, dhcpv6-stateless, dhcpv6-stateful/)
    assert.equal(
      (await envelope(['switch', 'add', '--switch', 'v6-net', '--ipv6-mode', 'slaac'], 'switch add', 2)).ok,
      false,
    )
    const gone = await result<{ deleted: boolean }>(['switch', 'del', '--switch', 'v6-net'], 'switch del')
    assert.equal(gone.deleted, true)
  })
})
