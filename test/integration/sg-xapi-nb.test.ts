// `sg attach|detach` (lib/attach/security-groups.ts) and the pool agent, against the XAPI emulator
// (real xen-api client) and a real OVN_Northbound ovsdb-server: attach writes the VIF's
// other_config xapi-ovn-security-groups, then the membership in one transaction; a refused
// northbound write puts the key back; bad input and --dry-run write nothing anywhere; the agent
// follows the key set by hand in XAPI (in, out, an unknown group reported and kept in the drop
// group), and never takes a port out of a port group that is not ours.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { startAgent, type PoolAgent } from '../../lib/agent/agent.js'
import { SECURITY_GROUPS_KEY, SWITCH_KEY } from '../../lib/agent/keys.js'
import { attachSecurityGroup, attachVms, detachSecurityGroup, type XapiCalls } from '../../lib/attach/index.js'
import { XapiOvnError } from '../../lib/errors.js'
import { connectNorthbound, ensureLogicalSwitch, ensureSecurityGroups, listSecurityGroups } from '../../lib/nb/index.js'
import type { NbTransactor } from '../../lib/nb/snapshot.js'
import type { OvsdbClient } from '../../lib/ovsdb/client.js'
import { OvsdbError, OvsdbWaitFailedError } from '../../lib/ovsdb/errors.js'
import { XapiPool } from '../../lib/pool/index.js'
import { createEmulatedPool, type EmulatedPool } from '../../xapi-emulator/index.js'
import { PASSWORD, memoryHosts, vifRecord } from '../../xapi-emulator/testing.js'
import { waitFor } from '../../lab/wait.js'
import { NbDatabase } from './nb-server.js'
import { rejectionCode as code } from '../unit/error-code.js'

let pool: EmulatedPool
let xapi: XapiPool
let nbDb: NbDatabase
let nb: OvsdbClient
let ovnNet: string

function vm(name: string): string {
  const refs = pool.vms.filter((r) => pool.emulator.db.field('VM', r, 'name_label') === name)
  assert.equal(refs.length, 1, name)
  return refs[0] as string
}

async function vifOf(name: string): Promise<{ ref: string; uuid: string }> {
  const [ref] = (await xapi.call('VM.get_VIFs', vm(name))) as string[]
  assert.ok(ref !== undefined, `${name} has a VIF`)
  return { ref, uuid: (await xapi.call('VIF.get_uuid', ref)) as string }
}

async function key(name: string): Promise<string | undefined> {
  const oc = (await xapi.call('VIF.get_other_config', (await vifOf(name)).ref)) as Record<string, string>
  return oc[SECURITY_GROUPS_KEY]
}

/** Port names of security group `group` (or of the drop group), as the northbound holds them. */
async function members(group: string): Promise<string[]> {
  const pg = group === 'drop' ? 'xapi_ovn_pg_drop' : `xapi_ovn_sg_${group}`
  const out = (await nbDb.nbctl(['--bare', '--columns=ports', 'list', 'Port_Group', pg])).trim()
  const names: string[] = []
  for (const u of out.split(/\s+/).filter(Boolean))
    names.push((await nbDb.nbctl(['--bare', '--columns=name', 'list', 'Logical_Switch_Port', u])).trim())
  return names.sort()
}

/** A northbound whose writes are refused (a failed wait: the server answered; after 3 tries OVN_CONCURRENT_CHANGE), reads pass. */
function refusingNb(): NbTransactor {
  return {
    async transact(db, ops) {
      if (ops.every((o) => o.op === 'select')) return nb.transact(db, ops)
      throw new OvsdbWaitFailedError(0, new OvsdbError('refused for the test'), [])
    },
  }
}

describe('sg attach / detach over XAPI and a real northbound, and the agent following the VIF key', () => {
  before(async () => {
    pool = await createEmulatedPool({
      hosts: memoryHosts(2),
      password: PASSWORD,
      vms: ['web1', 'web2', 'bare'].map((name_label) => ({ name_label })),
    })
    xapi = await XapiPool.connect({ url: pool.url, password: PASSWORD, transport: 'json-rpc' })
    ovnNet = (await xapi.call('network.create', {
      name_label: 'ovn-int',
      name_description: '',
      MTU: 1500,
      other_config: { 'vswitch-controller-fail-mode': 'secure' },
    })) as string
    nbDb = await NbDatabase.standalone()
    nb = await connectNorthbound(nbDb.remotes)
    await ensureLogicalSwitch(nb, 'tenant-a')
    await attachVms(xapi, nb, { switch: 'tenant-a', vms: [{ vm: 'web1' }, { vm: 'web2' }], plug: false })
    await ensureSecurityGroups(nb, [{ name: 'web' }, { name: 'db' }])
  })
  after(async () => {
    await nb?.close()
    await nbDb?.destroy()
    await xapi?.close()
    await pool?.close()
  })

  test('attach: the VIF key first, then the membership (group and drop group); again: nothing', async () => {
    const vif = await vifOf('web1')
    const r = await attachSecurityGroup(xapi, nb, { group: 'web', vms: ['web1'] })
    assert.deepEqual([r.changed, r.ports, r.vifs[0]?.before, r.vifs[0]?.after], [true, [vif.uuid], [], ['web']])
    assert.equal(await key('web1'), 'web')
    assert.deepEqual(await members('web'), [vif.uuid])
    assert.deepEqual(await members('drop'), [vif.uuid])
    const second = await attachSecurityGroup(xapi, nb, { group: 'db', vifs: [vif.uuid] })
    assert.deepEqual(second.vifs[0]?.after, ['web', 'db'])
    assert.equal(await key('web1'), 'web,db')
    const again = await attachSecurityGroup(xapi, nb, { group: 'db', vms: ['web1'] })
    assert.equal(again.changed, false)
    const [web] = await listSecurityGroups(nb).then((gs) => gs.filter((g) => g.name === 'web'))
    assert.deepEqual(web?.ports, [vif.uuid])
  })

  test('refusals before any write: unknown group, a VM without an OVN VIF; dry run; a refused northbound write puts the key back', async () => {
    await xapi.call('VIF.create', vifRecord(ovnNet, vm('web2'), '1', {}))
    const before = await key('web2')
    assert.equal(await code(attachSecurityGroup(xapi, nb, { group: 'nope', vms: ['web2'] })), 'OVN_NB_SG_MISSING nope')
    assert.match(
      await code(attachSecurityGroup(xapi, nb, { group: 'web', vms: ['bare'] })),
      /^OVN_VIF_CONFLICT .*no VIF on ovn-int/,
    )
    assert.match(
      await code(attachSecurityGroup(xapi, nb, { group: 'bad-name', vms: ['web2'] })),
      /^OVN_INVALID_ARGUMENT group/,
    )
    // web2's second VIF has no port yet: refused before its first VIF's key is written.
    assert.match(await code(attachSecurityGroup(xapi, nb, { group: 'web', vms: ['web2'] })), /^OVN_NB_PORT_MISSING /)
    assert.equal(await key('web2'), before)
    const dry = await attachSecurityGroup(xapi, nb, { group: 'web', vifs: [(await vifOf('web2')).uuid], dryRun: true })
    assert.deepEqual([dry.dryRun, dry.changed, dry.ports.length], [true, true, 1])
    assert.equal(await key('web2'), before, 'dry run: no key')
    await assert.rejects(
      attachSecurityGroup(xapi as XapiCalls, refusingNb(), { group: 'web', vifs: [(await vifOf('web2')).uuid] }),
      (e: unknown) => e instanceof XapiOvnError && e.code === 'OVN_CONCURRENT_CHANGE',
    )
    assert.equal(await key('web2'), before, 'the key was put back')
    assert.ok(!(await members('web')).includes((await vifOf('web2')).uuid))
  })

  test('detach: out of the key and the group; out of the drop group once in no group', async () => {
    const vif = await vifOf('web1')
    await detachSecurityGroup(xapi, nb, { group: 'web', vms: ['web1'] })
    assert.equal(await key('web1'), 'db')
    assert.deepEqual([await members('web'), await members('drop')], [[], [vif.uuid]])
    await detachSecurityGroup(xapi, nb, { group: 'db', vms: ['web1'] })
    assert.equal(await key('web1'), undefined, 'an empty list removes the key')
    assert.deepEqual([await members('db'), await members('drop')], [[], []])
  })

  test('the agent follows the key set in XAPI by hand, reports an unknown group, and leaves foreign port groups alone', async () => {
    const vif = await vifOf('web2')
    // The agent's ports need a switch: the network names it for VIFs without their own key.
    await xapi.call('network.add_to_other_config', ovnNet, SWITCH_KEY, 'tenant-a')
    await nbDb.nbctl(['pg-add', 'ops_monitoring', vif.uuid])
    const agent: PoolAgent = startAgent({
      xapi: { url: pool.url, password: PASSWORD, transport: 'json-rpc' },
      nb: nbDb.remotes,
      resyncIntervalMs: 0,
      eventTimeoutS: 5,
    })
    try {
      await waitFor('the agent to be active', async () => (agent.status().active ? true : undefined))
      await xapi.call('VIF.add_to_other_config', vif.ref, SECURITY_GROUPS_KEY, 'web')
      await waitFor('web2 in web', async () => ((await members('web')).includes(vif.uuid) ? true : undefined))
      assert.ok((await members('drop')).includes(vif.uuid))
      // A group that does not exist: a finding; the port stays filtered (drop group), leaves web.
      await xapi.call('VIF.remove_from_other_config', vif.ref, SECURITY_GROUPS_KEY)
      await xapi.call('VIF.add_to_other_config', vif.ref, SECURITY_GROUPS_KEY, 'later')
      const finding = await waitFor('the finding', async () =>
        agent.status().findings.find((f) => f.vif === vif.uuid && f.code === 'OVN_AGENT_SG_MISSING'),
      )
      assert.match(finding.message, /"later"/)
      await waitFor('web2 out of web', async () => (!(await members('web')).includes(vif.uuid) ? true : undefined))
      assert.ok((await members('drop')).includes(vif.uuid), 'fail closed')
      // The group made: the next pass (the northbound changed) puts the port in it.
      await ensureSecurityGroups(nb, [{ name: 'later' }])
      await waitFor('web2 in later', async () => ((await members('later')).includes(vif.uuid) ? true : undefined))
      // The key removed: out of ours and of the drop group; the foreign group still holds it.
      await xapi.call('VIF.remove_from_other_config', vif.ref, SECURITY_GROUPS_KEY)
      await waitFor('web2 out of the drop group', async () =>
        !(await members('drop')).includes(vif.uuid) ? true : undefined,
      )
      assert.deepEqual(await members('later'), [])
      const foreign = (await nbDb.nbctl(['--bare', '--columns=ports', 'list', 'Port_Group', 'ops_monitoring'])).trim()
      assert.notEqual(foreign, '', 'the foreign port group keeps the port')
    } finally {
      await agent.stop()
    }
  })
})
