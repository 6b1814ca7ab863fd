// The OVN subcommands of xapi-ovn (switch, port, localnet) against a live lab: a 2-host pool
// behind the XAPI emulator, set up over xen-api, with a standalone central. Every command goes
// through the program's command table (runProgram: argv in, text and exit status out) with XAPI_URL / XAPI_PASSWORD /
// OVN_NB_DB in its environment, as a user's shell would give them.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { listPorts } from '../../lib/nb/index.js'
import { OverlayLab, PHYSNET, type LabGuest } from '../../lab/overlay-lab.js'
import { pingsWithin } from '../../lab/overlay-proof.js'
import { sbPortBindings } from '../../lab/southbound-view.js'
import { waitFor } from '../../lab/wait.js'
import { envelopeResult, labCli, labCliOk, type Ran } from './lab-cli.js'

const WAIT_MS = 60_000
let lab: OverlayLab
let guests: LabGuest[]

const cli = (argv: readonly string[], env: Record<string, string> = {}): Promise<Ran> => labCli(lab, argv, env)
const result = envelopeResult

const ok = (argv: readonly string[]): Promise<Ran> => labCliOk(lab, argv)

describe('e2e: xapi-ovn switch / port / localnet against a lab pool', () => {
  before(async () => {
    lab = await OverlayLab.build({ hosts: 2, clustered: false, vms: false, timeoutMs: WAIT_MS })
    guests = [
      await lab.startGuest(lab.pool.hosts[0] as LabGuest['host']),
      await lab.startGuest(lab.pool.hosts[1] as LabGuest['host']),
    ]
  })
  after(async () => {
    await lab?.destroy()
  })

  test('switch add / list / del', async () => {
    const created = result<{ created: boolean; uuid: string }>(
      await ok(['switch', 'add', '--switch', 'cli-net', '--subnet', '198.18.10.0/24', '--json']),
      'switch add',
    )
    assert.equal(created.created, true)
    assert.match((await ok(['switch', 'add', '--switch', 'cli-net', '--subnet', '198.18.10.0/24'])).stdout, /unchanged/)
    const listed = result<{ name: string; subnet: string | null }[]>(
      await ok(['switch', 'list', '--json']),
      'switch list',
    )
    assert.deepEqual(listed.find((s) => s.name === 'cli-net')?.subnet, '198.18.10.0/24')
    assert.match((await ok(['switch', 'list'])).stdout, /^SWITCH\s+UUID\s+SUBNET\s+PORTS\n(.*\n)*cli-net\s/m)

    await ok(['switch', 'add', '--switch', 'scratch'])
    assert.match((await ok(['switch', 'del', '--switch', 'scratch'])).stdout, /deleted/)
    assert.match((await ok(['switch', 'del', '--switch', 'scratch', '--if-exists'])).stdout, /nothing to do/)
    const missing = await cli(['switch', 'del', '--switch', 'scratch'])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /OVN_NB_SWITCH_MISSING/)
    const missingJson = await cli(['switch', 'del', '--switch', 'scratch', '--json'])
    assert.equal(missingJson.code, 1)
    const failed = JSON.parse(missingJson.stdout) as { ok: boolean; command: string; error: { code: string } }
    assert.deepEqual([failed.ok, failed.command, failed.error.code], [false, 'switch del', 'OVN_NB_SWITCH_MISSING'])
    assert.equal(missingJson.stderr, '')
    // A switch with ports is refused in the command line's words (--force), not the library's.
    await ok(['switch', 'add', '--switch', 'scratch'])
    await ok(['localnet', 'add', '--switch', 'scratch', '--network-name', 'physnet-scratch'])
    const busy = await cli(['switch', 'del', '--switch', 'scratch'])
    assert.equal(busy.code, 1)
    assert.match(busy.stderr, /OVN_NB_SWITCH_NOT_EMPTY: .*give --force to delete them/)
    assert.doesNotMatch(busy.stderr, /pass force/)
    assert.match((await ok(['switch', 'del', '--switch', 'scratch', '--force'])).stdout, /deleted with 1 port/)
  })

  test('port attach: two VMs on two hosts in one call, bound where they run, pinging over Geneve', async () => {
    const [a, b] = guests as [LabGuest, LabGuest]
    const r = await ok([
      'port',
      'attach',
      '--switch',
      'cli-net',
      '--vm',
      a.name,
      '--ip',
      a.tenantIp,
      '--vm',
      b.uuid,
      '--ip',
      b.tenantIp,
      '--json',
    ])
    const attached = result<{
      attachments: {
        vm: { uuid: string }
        vif: { uuid: string; device: string }
        vifAction: string
        plug: string
        port: { action: string }
      }[]
    }>(r, 'port attach')
    assert.deepEqual(
      attached.attachments.map((x) => [x.vm.uuid, x.vif.device, x.vifAction, x.plug, x.port.action]),
      [
        [a.uuid, '0', 'created', 'plugged', 'created'],
        [b.uuid, '0', 'created', 'plugged', 'created'],
      ],
    )
    a.tenantVif = attached.attachments[0]?.vif.uuid ?? null
    b.tenantVif = attached.attachments[1]?.vif.uuid ?? null
    await waitFor(
      'both ports bound',
      async () => {
        const bindings = await sbPortBindings(lab.pool.central)
        return (
          bindings.get(a.tenantVif as string)?.chassis === a.host.uuid &&
          bindings.get(b.tenantVif as string)?.chassis === b.host.uuid
        )
      },
      { timeoutMs: WAIT_MS },
    )
    assert.equal(await pingsWithin(a, b.tenantIp, WAIT_MS), true)

    assert.match(
      (await ok(['port', 'attach', '--switch', 'cli-net', '--vm', a.name, '--ip', a.tenantIp])).stdout,
      /nothing to change/,
    )

    const list = await ok(['port', 'list', '--switch', 'cli-net'])
    assert.match(
      list.stdout,
      new RegExp(
        `cli-net\\s+${a.tenantVif as string}\\s+vif\\s+\\S+ ${a.tenantIp.replace(/\./g, '\\.')}\\s+up\\s+${a.name} dev 0\\s+${a.host.name}`,
      ),
    )
    assert.match(
      list.stdout,
      new RegExp(
        `${b.tenantVif as string}\\s+vif\\s+\\S+ ${b.tenantIp.replace(/\./g, '\\.')}\\s+up\\s+${b.name} dev 0\\s+${b.host.name}`,
      ),
    )
    // Without a pool, port list shows what NB knows.
    const nbOnly = await cli(['port', 'list', '--switch', 'cli-net'], { XAPI_URL: '' })
    assert.equal(nbOnly.code, 0, nbOnly.stderr)
    assert.match(nbOnly.stdout, new RegExp(`${a.tenantVif as string}\\s+vif\\s+.*\\s+up\\s+-\\s+-`))
  })

  test('port attach --ip dynamic: ovn-northd assigns an address from the switch subnet', async () => {
    const [a] = guests as [LabGuest]
    const r = await ok([
      'port',
      'attach',
      '--switch',
      'cli-net',
      '--vm',
      a.uuid,
      '--device',
      '3',
      '--ip',
      'dynamic',
      '--json',
    ])
    const vif = result<{ attachments: { vif: { uuid: string; mac: string } }[] }>(r, 'port attach').attachments[0]?.vif
    assert.ok(vif !== undefined)
    const assigned = await waitFor(
      'a dynamic address',
      async () => (await listPorts(await lab.nb(), 'cli-net')).find((p) => p.name === vif.uuid)?.dynamicAddresses,
      { timeoutMs: WAIT_MS },
    )
    assert.match(assigned, new RegExp(`^${vif.mac} 198\\.18\\.10\\.[0-9]+$`))
    assert.equal((await ok(['port', 'detach', '--vif', vif.uuid])).code, 0)
  })

  test('localnet add | list | del: the lab already reaches physnet-mgmt, so a second localnet port on it is refused (no storm)', async () => {
    // The README's command as a new user runs it on the lab: provider has provnet-mgmt already.
    const again = await ok(['localnet', 'add', '--switch', 'provider', '--network-name', PHYSNET])
    assert.match(again.stdout, /localnet port provnet-mgmt .* unchanged/)
    await ok(['switch', 'add', '--switch', 'cli-prov'])
    const before = await listPorts(await lab.nb())
    const refused = await cli(['localnet', 'add', '--switch', 'cli-prov', '--network-name', PHYSNET])
    assert.equal(refused.code, 1, refused.stderr)
    assert.match(
      refused.stderr,
      /OVN_NB_LOCALNET_LOOP: physical network "physnet-mgmt" \(untagged\) already has localnet port "provnet-mgmt"/,
    )
    assert.deepEqual(await listPorts(await lab.nb()), before, 'nothing was written')
    // Another VLAN of that network is another broadcast domain.
    assert.match(
      (await ok(['localnet', 'add', '--switch', 'cli-prov', '--network-name', PHYSNET, '--vlan', '100'])).stdout,
      new RegExp(`localnet port provnet-${PHYSNET} .* VLAN 100: created`),
    )
    const port = (await listPorts(await lab.nb(), 'cli-prov')).find((p) => p.name === `provnet-${PHYSNET}`)
    assert.equal(port?.type, 'localnet')
    assert.deepEqual(port?.options, { network_name: PHYSNET })
    const listed = result<{ name: string; vlan: number | null }[]>(
      await ok(['localnet', 'list', '--json']),
      'localnet list',
    )
    assert.deepEqual(
      listed.map((l) => [l.name, l.vlan]),
      [
        [`provnet-${PHYSNET}`, 100],
        ['provnet-mgmt', null],
      ],
    )
    assert.match((await ok(['localnet', 'del', '--name', `provnet-${PHYSNET}`])).stdout, /removed from cli-prov/)
    assert.match(
      (await ok(['localnet', 'del', '--name', `provnet-${PHYSNET}`, '--if-exists'])).stdout,
      /nothing to remove/,
    )
    // The lab's own provider port is still there, and the overlay still reaches the gateway.
    assert.ok((await listPorts(await lab.nb(), 'provider')).some((p) => p.name === 'provnet-mgmt'))
  })

  test('port detach removes the ports, then the VIFs', async () => {
    const [a, b] = guests as [LabGuest, LabGuest]
    const r = await ok(['port', 'detach', '--vm', a.name, '--vm', b.name, '--json'])
    const detached = result<{ detached: { vifUuid: string; destroyed: boolean; port: unknown }[] }>(r, 'port detach')
    assert.deepEqual(detached.detached.map((d) => d.vifUuid).sort(), [a.tenantVif, b.tenantVif].sort())
    assert.ok(detached.detached.every((d) => d.destroyed && d.port !== null))
    const session = await lab.session()
    assert.deepEqual(await session.call('VM.get_VIFs', a.ref), [])
    assert.equal((await listPorts(await lab.nb(), 'cli-net')).length, 0)
    assert.match((await ok(['port', 'detach', '--vm', a.name])).stdout, /nothing attached/)
  })

  test('usage errors exit 2, refusals and failures exit 1, with the code', async () => {
    const usage = async (
      argv: readonly string[],
      env: Record<string, string> = {},
      pattern?: RegExp,
    ): Promise<void> => {
      const r = await cli(argv, env)
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`)
      if (pattern !== undefined) assert.match(r.stderr + r.stdout, pattern)
    }
    await usage(['switch', 'list'], { OVN_NB_DB: '' }, /--nb/)
    await usage(['switch', 'list', '--nb', 'tcp:nowhere:6641'], {}, /--nb/)
    await usage(['switch', 'frobnicate'], {}, /unknown verb/)
    await usage(['switch'])
    await usage(['port', 'attach', '--switch', 'cli-net'], {}, /--vm is required/)
    await usage(
      ['port', 'attach', '--switch', 'cli-net', '--vm', 'x', '--vm', 'y', '--ip', '198.18.10.1'],
      {},
      /one --ip per --vm/,
    )
    await usage(
      ['port', 'attach', '--switch', 'cli-net', '--vm', 'vm1', '--ip', '198.18.10.999'],
      {},
      /OVN_INVALID_ARGUMENT/,
    )
    await usage(['port', 'attach', '--switch', 'cli-net', '--vm', 'vm1', '--bogus'], {}, /bogus/)
    // Field paths of the library never reach the user: the flag and which --vm it belongs to.
    await usage(
      ['port', 'attach', '--switch', 'cli-net', '--vm', 'vm1', '--vm', 'vm1'],
      {},
      /OVN_INVALID_ARGUMENT: invalid --vm "vm1" \(the 2nd --vm\): also given as the 1st --vm/,
    )
    await usage(
      ['port', 'attach', '--switch', 'cli-net', '--vm', 'vm1', '--ip', '198.18.10.999', '--json'],
      {},
      /"code": "OVN_INVALID_ARGUMENT",[\s\S]*"message": "invalid --ip /,
    )
    await usage(['localnet', 'add', '--switch', 'cli-prov', '--network-name', PHYSNET, '--vlan', '5000'], {}, /--vlan/)

    const notFound = await cli(['port', 'attach', '--switch', 'cli-net', '--vm', 'no-such-vm'])
    assert.equal(notFound.code, 1)
    assert.match(notFound.stderr, /OVN_VM_NOT_FOUND/)
    const wrongPassword = await cli(['port', 'list'], { XAPI_PASSWORD: 'wrong-password' })
    assert.equal(wrongPassword.code, 1)
    assert.match(wrongPassword.stderr, /OVN_XAPI_AUTH_FAILED/)
    assert.doesNotMatch(wrongPassword.stderr, /wrong-password/)
    const help = await cli(['port', 'attach', '--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /usage: xapi-ovn port attach/)
  })
})
