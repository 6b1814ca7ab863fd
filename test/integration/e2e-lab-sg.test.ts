// `xapi-ovn sg` end to end through the whole stack, as a user runs it: a 2-host lab pool behind
// the XAPI emulator (OverlayLab), the program's command table (runProgram) with XAPI_URL /
// XAPI_PASSWORD / OVN_NB_DB in its environment; `port attach` two VMs, then `sg add`, `sg attach
// --vm` (the VIF key in XAPI, the membership in the northbound), `sg rule add`, `sg detach`, each
// seen in real pings between the guests over Geneve.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { OverlayLab, type LabGuest } from '../../lab/overlay-lab.js'
import { pingsWithin } from '../../lab/overlay-proof.js'
import { waitFor } from '../../lab/wait.js'
import { envelopeResult, labCli, labCliOk, type Ran } from './lab-cli.js'

const WAIT_MS = 60_000
let lab: OverlayLab
let guests: LabGuest[]

const cli = (argv: readonly string[], env: Record<string, string> = {}): Promise<Ran> => labCli(lab, argv, env)
const result = envelopeResult

const ok = (argv: readonly string[]): Promise<Ran> => labCliOk(lab, argv)

describe('e2e: xapi-ovn sg against a lab pool', () => {
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

  test('sg add, attach --vm, rule add, detach: what the pings between two hosts show', async () => {
    const [a, b] = guests as [LabGuest, LabGuest]
    await ok(['switch', 'add', '--switch', 'sg-net', '--subnet', '198.18.10.0/24'])
    await ok([
      'port',
      'attach',
      '--switch',
      'sg-net',
      '--vm',
      a.name,
      '--ip',
      a.tenantIp,
      '--vm',
      b.name,
      '--ip',
      b.tenantIp,
    ])
    assert.equal(await pingsWithin(a, b.tenantIp, WAIT_MS), true, 'no group: pings pass')

    await ok(['sg', 'add', '--sg', 'web'])
    const attached = result<{ vifs: { vifUuid: string; after: string[] }[]; ports: string[] }>(
      await ok(['sg', 'attach', '--sg', 'web', '--vm', b.name, '--json']),
      'sg attach',
    )
    assert.deepEqual(
      attached.vifs.map((v) => v.after),
      [['web']],
    )
    assert.deepEqual(attached.ports, [attached.vifs[0]?.vifUuid])
    // In a group with no rule: B's IP traffic is dropped.
    await waitFor('pings to B dropped', async () => !(await a.guest.ping(b.tenantIp, { count: 1, waitS: 1 })), {
      timeoutMs: WAIT_MS,
    })
    await ok([
      'sg',
      'rule',
      'add',
      '--sg',
      'web',
      '--direction',
      'ingress',
      '--proto',
      'icmp',
      '--remote-cidr',
      '198.18.10.0/24',
    ])
    assert.equal(await pingsWithin(a, b.tenantIp, WAIT_MS), true, 'an ICMP rule: pings pass (replies statefully)')
    const listed = result<{ name: string; ports: string[]; rules: { key: string }[] }[]>(
      await ok(['sg', 'list', '--json']),
      'sg list',
    )
    assert.deepEqual(
      listed.map((g) => [g.name, g.ports, g.rules.map((r) => r.key)]),
      [['web', attached.ports, ['ingress ip4 icmp from 198.18.10.0/24']]],
    )
    await ok([
      'sg',
      'rule',
      'del',
      '--sg',
      'web',
      '--direction',
      'ingress',
      '--proto',
      'icmp',
      '--remote-cidr',
      '198.18.10.0/24',
    ])
    await waitFor('pings dropped again', async () => !(await a.guest.ping(b.tenantIp, { count: 1, waitS: 1 })), {
      timeoutMs: WAIT_MS,
    })
    const detached = result<{ vifs: { after: string[] }[] }>(
      await ok(['sg', 'detach', '--sg', 'web', '--vm', b.name, '--json']),
      'sg detach',
    )
    assert.deepEqual(
      detached.vifs.map((v) => v.after),
      [[]],
    )
    assert.equal(await pingsWithin(a, b.tenantIp, WAIT_MS), true, 'detached: no ACL applies')
    // An unknown group: refused, nothing written (exit 1); a bad name: exit 2.
    const missing = await cli(['sg', 'attach', '--sg', 'nope', '--vm', b.name])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /OVN_NB_SG_MISSING/)
    assert.equal((await cli(['sg', 'attach', '--sg', 'no-pe', '--vm', b.name])).code, 2)
  })
})
