// Live migration with the pool agent, in the lab: a 2-host pool set up by xapi-ovn (OverlayLab:
// the real plugin, host agents writing iface-id, ovn-controller on each host, NB/SB/northd), the
// pool agent (lib/agent) in this process, a VM on host A and a peer on host B on tenant-a.
// VM.pool_migrate A -> B runs in xapi's order (xapi-emulator/vm-migration.ts): both hosts carry a
// port with the VIF's iface-id from `destination-plugged` until the source's goes. The agent's
// requested-chassis "A,B" (lib/agent/plan-desired.ts) lets both chassis bind without a fight, and
// "B" once resident_on flips; the SB binding then stays on B and the guest answers its peer.
//
// Then two records (docs/platform.md "Live migration (VM.pool_migrate)", "activation-strategy
// and the Xen guest's announcement"): options:activation-strategy=rarp on OVN 23.03 is not lifted
// by the guest's gratuitous ARP (only a RARP lifts it), and the same migration of a plain
// `port attach` port with no agent, whose binding moves back and forth while both ports exist.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { startAgent, type PoolAgent } from '../../lib/agent/agent.js'
import { REQUESTED_CHASSIS } from '../../lib/agent/plan-sync.js'
import { readSnapshot } from '../../lib/nb/snapshot.js'
import { isPlainRecord, isStringArray } from '../../lib/shape.js'
import type { LabHost } from '../../lab/host.js'
import { OverlayLab, TENANT_SWITCH, type LabGuest } from '../../lab/overlay-lab.js'
import { pingsNow, pingsWithin } from '../../lab/overlay-proof.js'
import { sbChassis } from '../../lab/southbound-view.js'

const WAIT_MS = 60_000
/** How long the binding is watched after a migration (and during the no-agent copy). */
const SAMPLE_MS = 4_000
const SAMPLE_EVERY_MS = 100
const ACTIVATED = 'additional-chassis-activated'

let lab: OverlayLab
let agent: PoolAgent | undefined
let hostA: LabHost
let hostB: LabHost
let mover: LabGuest
let peer: LabGuest
/** SB Chassis row uuid -> chassis name (= host uuid). */
let chassisNames: Map<string, string>

interface Binding {
  readonly chassis: string | null
  readonly additional: readonly string[]
  readonly options: Readonly<Record<string, string>>
}

/** An ovn-sbctl JSON cell: ["uuid", U], ["set", [...]], ["map", [[k, v], ...]] or an atom. */
function cellUuids(cell: unknown): string[] {
  if (!Array.isArray(cell)) return []
  if (cell[0] === 'uuid' && typeof cell[1] === 'string') return [cell[1]]
  if (cell[0] === 'set' && Array.isArray(cell[1])) return cell[1].flatMap(cellUuids)
  return []
}

function cellMap(cell: unknown): Record<string, string> {
  if (!Array.isArray(cell) || cell[0] !== 'map' || !Array.isArray(cell[1])) return {}
  const out: Record<string, string> = {}
  for (const pair of cell[1]) if (isStringArray(pair) && pair.length === 2) out[pair[0] as string] = pair[1] as string
  return out
}

/** The SB Port_Binding of a logical port: chassis and additional_chassis by name, options. */
async function binding(port: string): Promise<Binding> {
  const out = await lab.pool.central.sbctl(
    '--format=json',
    '--columns=chassis,additional_chassis,options',
    'find',
    'Port_Binding',
    `logical_port=${port}`,
  )
  const parsed: unknown = JSON.parse(out)
  const row = isPlainRecord(parsed) && Array.isArray(parsed.data) ? parsed.data[0] : undefined
  assert.ok(Array.isArray(row), `no Port_Binding for ${port}`)
  const name = (u: string): string => chassisNames.get(u) ?? u
  return {
    chassis: cellUuids(row[0]).map(name)[0] ?? null,
    additional: cellUuids(row[1]).map(name),
    options: cellMap(row[2]),
  }
}

async function requestedChassis(port: string): Promise<string | undefined> {
  const p = (await readSnapshot(await lab.nb(), 'all')).ports.find((x) => x.name === port)
  return p?.options.get(REQUESTED_CHASSIS)
}

/** Poll until `probe` gives `want`; the last value seen otherwise (the caller asserts on it). */
async function settle<T>(probe: () => Promise<T>, want: (v: T) => boolean, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (want(v) || Date.now() > deadline) return v
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** The chassis of `port` every SAMPLE_EVERY_MS for `ms`. */
async function sampleChassis(port: string, ms: number): Promise<(string | null)[]> {
  const samples: (string | null)[] = []
  const end = Date.now() + ms
  while (Date.now() < end) {
    samples.push((await binding(port)).chassis)
    await new Promise((r) => setTimeout(r, SAMPLE_EVERY_MS))
  }
  return samples
}

/** How many times consecutive samples differ. */
function flips(samples: readonly (string | null)[]): number {
  return samples.filter((s, i) => i > 0 && s !== samples[i - 1]).length
}

function hostName(chassis: string | null): string {
  if (chassis === null) return '(none)'
  return chassis === hostA.uuid ? 'A' : chassis === hostB.uuid ? 'B' : chassis
}

/** A RARP request from the guest's NIC (what QEMU's announce_self sends), through an AF_PACKET socket. */
async function sendRarp(g: LabGuest): Promise<void> {
  const mac = g.guest.mac.replace(/:/g, '')
  const script = [
    'import socket,sys',
    `m=bytes.fromhex("${mac}")`,
    's=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)',
    's.bind(("eth0",0))',
    'f=b"\\xff"*6+m+b"\\x80\\x35"+bytes.fromhex("000108000604")+b"\\x00\\x03"+m+b"\\x00"*4+m+b"\\x00"*4',
    's.send(f)',
  ].join('\n')
  await g.guest.exec('python3', ['-c', script])
}

describe('live migration with the pool agent', () => {
  before(async () => {
    lab = await OverlayLab.build({ hosts: 2, clustered: false, vms: false, timeoutMs: WAIT_MS })
    ;[hostA, hostB] = lab.pool.hosts as [LabHost, LabHost]
    chassisNames = new Map((await sbChassis(lab.pool.central)).map((c) => [c.uuid, c.name]))
    agent = startAgent({
      xapi: { url: lab.xapi.url, password: lab.password, transport: 'json-rpc' },
      nb: lab.nbRemotes,
      resyncIntervalMs: 0,
      eventTimeoutS: 5,
    })
    mover = await lab.startGuest(hostA)
    peer = await lab.startGuest(hostB)
    mover.tenantVif = await lab.plugAgentVif(mover, TENANT_SWITCH)
    peer.tenantVif = await lab.plugAgentVif(peer, TENANT_SWITCH)
    await lab.waitBound([mover, peer])
  })
  after(async () => {
    await agent?.stop()
    await lab?.destroy()
  })

  test('A -> B: requested-chassis "A,B" during the copy, then B; the binding goes to B and stays; the peer reaches it', async () => {
    const port = mover.tenantVif as string
    assert.equal(await requestedChassis(port), hostA.uuid)
    assert.equal(await pingsWithin(peer, mover.tenantIp, WAIT_MS), true, 'peer on B reaches the VM on A')
    const session = await lab.session()
    const plugged = lab.xapi.emulator.holdMigration('destination-plugged', mover.ref)
    const migrated = session.call('VM.pool_migrate', mover.ref, lab.xapi.host(hostB.uuid).ref, {})
    try {
      await plugged.reached
      const both = `${hostA.uuid},${hostB.uuid}`
      assert.equal(
        await settle(
          () => requestedChassis(port),
          (v) => v === both,
        ),
        both,
        'while both hosts have the port: requested-chassis = source,destination',
      )
      const during = await settle(
        () => binding(port),
        (b) => b.additional.includes(hostB.uuid),
      )
      assert.equal(during.chassis, hostA.uuid, 'still bound on A (main) during the copy')
      assert.deepEqual(during.additional, [hostB.uuid], 'B bound as the additional chassis')
    } finally {
      plugged.release()
    }
    await migrated
    assert.equal(
      await settle(
        () => requestedChassis(port),
        (v) => v === hostB.uuid,
      ),
      hostB.uuid,
      'after resident_on flipped: requested-chassis = destination',
    )
    const after = await settle(
      () => binding(port),
      (b) => b.chassis === hostB.uuid && b.additional.length === 0,
    )
    assert.equal(after.chassis, hostB.uuid)
    assert.deepEqual(after.additional, [])
    const samples = await sampleChassis(port, SAMPLE_MS)
    for (const [i, s] of samples.entries()) assert.equal(s, hostB.uuid, `sample ${i} of ${samples.length}: on B`)
    assert.equal(await requestedChassis(port), hostB.uuid)
    assert.equal(await pingsWithin(peer, mover.tenantIp, WAIT_MS), true, 'peer reaches the migrated VM, beside it on B')
    assert.equal(await pingsWithin(mover, peer.tenantIp, WAIT_MS), true)
  })

  test("activation-strategy=rarp on OVN 23.03: the guest's gratuitous ARP does not activate the new chassis, a RARP does", async (t) => {
    const port = mover.tenantVif as string
    const session = await lab.session()
    // Control, without the option: held at the same point of the same move, the new location
    // already carries the traffic (OVN clones it to every chassis of the binding).
    const control = lab.xapi.emulator.holdMigration('destination-running', mover.ref)
    const back = session.call('VM.pool_migrate', mover.ref, lab.xapi.host(hostA.uuid).ref, {})
    try {
      await control.reached
      await settle(
        () => binding(port),
        (b) => b.additional.includes(hostA.uuid),
      )
      await lab.pool.central.nbctl('--wait=hv', 'sync')
      assert.equal(
        await pingsWithin(peer, mover.tenantIp, WAIT_MS),
        true,
        'no strategy: the GARP-announced guest answers',
      )
    } finally {
      control.release()
    }
    await back
    await session.call('VM.pool_migrate', mover.ref, lab.xapi.host(hostB.uuid).ref, {})
    await settle(
      () => binding(port),
      (b) => b.chassis === hostB.uuid && b.additional.length === 0,
    )
    assert.equal(await pingsWithin(peer, mover.tenantIp, WAIT_MS), true)

    await lab.pool.central.nbctl('set', 'Logical_Switch_Port', port, 'options:activation-strategy=rarp')
    // B -> A: the peer stays on B, the source. Held after the destination domain is unpaused: the
    // guest's NIC is on A's port and has sent its GARP (lab/vm.ts adoptNic); B's port still exists.
    const running = lab.xapi.emulator.holdMigration('destination-running', mover.ref)
    const migrated = session.call('VM.pool_migrate', mover.ref, lab.xapi.host(hostA.uuid).ref, {})
    try {
      await running.reached
      const held = await settle(
        () => binding(port),
        (b) => b.additional.includes(hostA.uuid),
      )
      assert.equal(held.chassis, hostB.uuid)
      assert.deepEqual(held.additional, [hostA.uuid])
      await lab.pool.central.nbctl('--wait=hv', 'sync')
      assert.equal((await binding(port)).options[ACTIVATED], undefined, 'the GARP did not activate A')
      const garpOnly = await pingsNow(peer, mover.tenantIp)
      t.diagnostic(`rarp strategy, after the guest's GARP only: peer -> VM ping ${garpOnly ? 'answered' : 'lost'}`)
      assert.equal(garpOnly, false, 'A still blocks the port: the GARP did not lift it')
      await sendRarp(mover)
      const activated = await settle(
        () => binding(port),
        (b) => b.options[ACTIVATED] !== undefined,
      )
      assert.equal(activated.options[ACTIVATED], hostA.uuid, 'a RARP from the guest activated A')
      assert.equal(await pingsWithin(peer, mover.tenantIp, WAIT_MS), true, 'traffic flows once activated')
    } finally {
      running.release()
    }
    await migrated
    assert.equal(
      await settle(
        () => requestedChassis(port),
        (v) => v === hostA.uuid,
      ),
      hostA.uuid,
    )
    assert.equal(
      (
        await settle(
          () => binding(port),
          (b) => b.chassis === hostA.uuid,
        )
      ).chassis,
      hostA.uuid,
    )
    assert.equal(await pingsWithin(peer, mover.tenantIp, WAIT_MS), true)
    await lab.pool.central.nbctl('remove', 'Logical_Switch_Port', port, 'options', 'activation-strategy')
  })

  test('without the agent (a plain `port attach` port, no requested-chassis): what the binding does (recorded, not asserted)', async (t) => {
    await agent?.stop()
    agent = undefined
    const plain = await lab.startGuest(hostA)
    const attached = await lab.attach(TENANT_SWITCH, [{ vm: plain.uuid, ips: [plain.tenantIp], device: '0' }])
    plain.tenantVif = attached.attachments[0]?.vif.uuid ?? null
    await lab.waitBound([plain])
    const port = plain.tenantVif as string
    assert.equal(await requestedChassis(port), undefined, 'a plain port')
    const session = await lab.session()
    const plugged = lab.xapi.emulator.holdMigration('destination-plugged', plain.ref)
    const migrated = session.call('VM.pool_migrate', plain.ref, lab.xapi.host(hostB.uuid).ref, {})
    let during: (string | null)[] = []
    try {
      await plugged.reached
      during = await sampleChassis(port, SAMPLE_MS)
    } finally {
      plugged.release()
    }
    await migrated
    const afterwards = await sampleChassis(port, SAMPLE_MS)
    const reaches = await pingsWithin(peer, plain.tenantIp, WAIT_MS)
    const text = (xs: readonly (string | null)[]): string => xs.map(hostName).join('')
    t.diagnostic(
      `no agent, both ports present (${during.length} samples / ${SAMPLE_MS} ms): ${flips(during)} chassis changes: ${text(during)}`,
    )
    t.diagnostic(
      `no agent, after the migration (${afterwards.length} samples): ${flips(afterwards)} changes, last ${hostName(afterwards.at(-1) ?? null)}: ${text(afterwards)}; peer reaches it: ${reaches}`,
    )
  })
})
