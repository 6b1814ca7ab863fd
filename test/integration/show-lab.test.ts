// `xapi-ovn show` against a live lab: 2 hosts behind the XAPI emulator, a 3-member RAFT central
// with ovn-northd, one VM per host attached to tenant-a and provider and bound (OverlayLab). The
// command runs through the program's table (runProgram) as a user's shell would run it, with
// XAPI_URL / XAPI_PASSWORD / OVN_NB_DB / OVN_SB_DB and the central's control sockets (the test
// runs on the central's host, so unixctl is reachable). Asserted against the truth: the VMs XAPI
// placed, the chassis the SB names after each host, and one injected problem (a logical switch
// port no VIF is behind) found with its code and fix.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FINDING_CODES, type ShowView } from '../../lib/show/index.js'
import { OverlayLab, PHYSNET, PROVIDER_PORT, PROVIDER_SWITCH, TENANT_SWITCH } from '../../lab/overlay-lab.js'
import { sbPortBindings } from '../../lab/southbound-view.js'
import { labCli, type Ran } from './lab-cli.js'

let lab: OverlayLab
const ORPHAN = randomUUID()

function cli(argv: readonly string[]): Promise<Ran> {
  const members = lab.pool.central.members
  return labCli(lab, ['show', ...argv], {
    OVN_SB_DB: members.map((m) => `unix:${join(m.dir, 'ovnsb_db.sock')}`).join(','),
  })
}

function ctlOptions(): string[] {
  const members = lab.pool.central.members
  return [
    ...members.flatMap((m) => ['--nb-ctl', join(m.dir, 'ovnnb_db.ctl'), '--sb-ctl', join(m.dir, 'ovnsb_db.ctl')]),
    '--northd-ctl',
    join(lab.pool.central.dir, 'ovn-northd.ctl'),
  ]
}

describe('xapi-ovn show against a lab pool', () => {
  before(async () => {
    lab = await OverlayLab.build({ hosts: 2, clustered: true, timeoutMs: 90_000 })
    // The injected problem: a VIF port on tenant-a named after no VIF of the pool.
    await lab.pool.central.nbctl('lsp-add', TENANT_SWITCH, ORPHAN)
  })
  after(async () => {
    await lab?.destroy()
  })

  test('--json: every VM port with the host XAPI says and the chassis the SB binds it on; the orphan port found', async () => {
    const r = await cli(['--json', ...ctlOptions()])
    assert.equal(r.code, 0, r.stderr + r.stdout)
    const v = (JSON.parse(r.stdout) as { result: ShowView }).result
    const bindings = await sbPortBindings(lab.pool.central)

    assert.deepEqual(
      v.hosts.map((h) => [h.name, h.uuid, h.chassis?.name]),
      lab.pool.hosts.map((h) => [h.name, h.uuid, h.uuid]),
    )
    for (const h of v.hosts) assert.equal(h.chassis?.encaps[0]?.type, 'geneve')

    for (const g of lab.guests) {
      for (const vif of [g.tenantVif, g.providerVif]) {
        assert.ok(vif !== null)
        const p = v.ports.find((x) => x.name === vif)
        assert.ok(p !== undefined, `port ${vif} of ${g.name}`)
        assert.equal(p.vm, g.name)
        assert.equal(p.vmUuid, g.uuid)
        assert.equal(p.xapiHost, g.host.name, 'the host XAPI runs the VM on')
        assert.equal(p.chassis, bindings.get(vif)?.chassis, 'the chassis of the SB binding')
        assert.equal(p.chassis, g.host.uuid)
        assert.equal(p.mismatch, false)
      }
      assert.equal(v.ports.find((x) => x.name === g.tenantVif)?.device, '0')
      assert.equal(v.ports.find((x) => x.name === g.providerVif)?.device, '1')
    }

    // The localnet port's network and VLAN (read by their own select of the localnet ports).
    assert.deepEqual(v.switches.find((sw) => sw.name === PROVIDER_SWITCH)?.localnets, [
      { name: PROVIDER_PORT, network: PHYSNET, vlan: null },
    ])

    const orphan = v.findings.filter((f) => f.code === FINDING_CODES.portWithoutVif)
    assert.deepEqual(
      orphan.map((f) => [f.subject, f.fix]),
      [[ORPHAN, `xapi-ovn port detach --vif ${ORPHAN}`]],
    )
    const codes = new Set(v.findings.map((f) => f.code))
    for (const absent of [
      FINDING_CODES.bindingMismatch,
      FINDING_CODES.portUnbound,
      FINDING_CODES.vifWithoutPort,
      FINDING_CODES.hostNoChassis,
      FINDING_CODES.staleOvnInstalled,
      FINDING_CODES.clusterNoLeader,
      FINDING_CODES.clusterMemberDown,
      FINDING_CODES.noSbGlobal,
    ])
      assert.ok(!codes.has(absent), `${absent}: ${JSON.stringify(v.findings)}`)
    assert.equal(v.hostPortsRead, true)
    // Each host's plugin answered: the stale ovn-installed check above had something to check.
    assert.deepEqual(
      v.hosts.map((h) => h.portsProblem),
      v.hosts.map(() => null),
    )

    // The central: three members of each cluster, one leader, cluster/status over unixctl.
    for (const c of [v.clusters.nb, v.clusters.sb]) {
      assert.equal(c.model, 'clustered')
      assert.equal(c.members.length, 3)
      assert.equal(c.members.filter((m) => m.leader === true).length, 1, JSON.stringify(c.members))
      assert.equal(new Set(c.members.map((m) => m.cid)).size, 1)
      assert.equal(c.clusterStatus.length, 3)
      assert.deepEqual(
        c.clusterStatus.map((s) => s.role).sort(),
        ['follower', 'follower', 'leader'],
        JSON.stringify(c.clusterStatus),
      )
    }
    assert.equal(v.northd.status, 'active')
    assert.notEqual(v.northd.sbGlobalNbCfg, null)
  })

  test('text: the table and the finding with its fix; --no-host-ports says what it skipped', async () => {
    const r = await cli(['--no-host-ports'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^HOST\s+ADDRESS\s+CHASSIS/m)
    assert.match(
      r.stdout,
      new RegExp(`OVN_SHOW_PORT_WITHOUT_VIF ${ORPHAN}: .*\\n\\s+fix: xapi-ovn port detach --vif ${ORPHAN}`),
    )
    assert.match(r.stdout, /no stale ovn-installed check/)
    assert.match(r.stdout, /status not asked \(--northd-ctl\)/)
  })

  test('--format svg: the picture names every host and VM, the orphan port in red', async () => {
    const r = await cli(['--format', 'svg'])
    // XAPI_OVN_PICTURE=FILE keeps the picture to look at (FILE.dot too: dot -Tpng FILE.dot).
    const keep = process.env.XAPI_OVN_PICTURE
    if (keep !== undefined && keep !== '') {
      writeFileSync(keep, r.stdout)
      writeFileSync(`${keep}.dot`, (await cli(['--format', 'dot'])).stdout)
    }
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/)
    // Graphviz writes some characters as numeric entities (`-` as &#45;): read them back.
    const svg = r.stdout.replace(/&#(\d+);/g, (_m, n: string) => String.fromCodePoint(Number(n)))
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] ?? '')
    for (const h of lab.pool.hosts) assert.ok(texts.includes(`host ${h.name}`), `host ${h.name} in ${texts.join('|')}`)
    for (const g of lab.guests) assert.ok(texts.includes(`VM ${g.name}`), `VM ${g.name} in ${texts.join('|')}`)
    assert.ok(texts.includes('geneve tunnel'), 'the tunnel between the two chassis')
    // The orphan: its own node, drawn red (Graphviz writes red3 as #cd0000).
    assert.match(svg, new RegExp(`<title>port:${ORPHAN}</title>\\s*<(?:path|polygon)[^>]*stroke="#cd0000"`))
  })

  test('--format dot with --json is a usage error', async () => {
    const r = await cli(['--format', 'dot', '--json'])
    assert.equal(r.code, 2)
    assert.match(r.stdout, /--json and --format dot ask for two outputs/)
  })

  test('usage: no southbound database is a usage error, nothing is read', async () => {
    const { code, stderr } = await labCli(lab, ['show'])
    assert.equal(code, 2)
    assert.match(stderr, /no southbound database: give --sb REMOTE or set OVN_SB_DB/)
  })
})
