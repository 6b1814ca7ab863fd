/**
 * `xapi-ovn router ...` and `xapi-ovn fip ...` as a user's shell runs them (the built CLI,
 * spawned) against a real OVN_Northbound with ovn-northd and a southbound holding two chassis
 * set up as gateways (other_config ovn-cms-options=enable-chassis-as-gw, what ovn-controller
 * copies from `setup --gateway-hosts`) and one not: the README's sequence, each answer one JSON
 * envelope with its exit status; `router gateway` without --chassis takes the gateway chassis from
 * --sb; usage errors exit 2 and refused writes exit 1 with their OVN_* code, writing nothing.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { run } from '../../lab/exec.js'
import { XapiPool } from '../../lib/pool/index.js'
import { createEmulatedPool } from '../../xapi-emulator/index.js'
import { memoryHosts, PASSWORD } from '../../xapi-emulator/testing.js'
import { NbDatabase } from './nb-server.js'

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lib', 'cli', 'main.js')
const VIF = '11111111-1111-4111-8111-111111111111'

let db: NbDatabase
let sb: string

interface Envelope {
  readonly ok: boolean
  readonly command: string
  readonly result?: Record<string, unknown> & { readonly [k: string]: unknown }
  readonly error?: { readonly code: string; readonly params: readonly string[] }
}

function xapiOvn(
  argv: readonly string[],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = {
      PATH: process.env.PATH ?? '',
      OVN_NB_DB: db.remotes.join(','),
      OVN_SB_DB: sb,
      XAPI_URL: '',
      ...extraEnv,
    }
    const child = spawn(process.execPath, [MAIN, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

async function envelope(
  argv: readonly string[],
  exit: number,
  extraEnv: Record<string, string> = {},
): Promise<Envelope> {
  const r = await xapiOvn([...argv, '--json'], extraEnv)
  assert.equal(r.code, exit, `${argv.join(' ')}: ${r.stdout}${r.stderr}`)
  const e = JSON.parse(r.stdout) as Envelope
  assert.equal(e.ok, exit === 0)
  assert.equal(e.command, `${argv[0]} ${argv[1]}`)
  return e
}

async function ours(): Promise<number> {
  return (await db.showLog()).filter((r) => r.comment.startsWith('xapi-ovn:')).length
}

before(async () => {
  db = await NbDatabase.standalone()
  await db.startNorthd()
  sb = `unix:${join(db.dir, 'sb.sock')}`
  const sbctl = (args: string[]) => run('ovn-sbctl', [`--db=${sb}`, ...args])
  for (const [name, host, gw, ip] of [
    ['chassis-b', 'host-b', true, '198.18.99.2'],
    ['chassis-a', 'host-a', true, '198.18.99.1'],
    ['chassis-c', 'host-c', false, '198.18.99.3'],
  ] as const) {
    await sbctl(['chassis-add', name, 'geneve', ip])
    await sbctl(['set', 'Chassis', name, `hostname=${host}`])
    if (gw) await sbctl(['set', 'Chassis', name, 'other_config:ovn-cms-options=enable-chassis-as-gw'])
  }
})
after(() => db.destroy())

test("the README's router sequence, with the gateway chassis from the southbound", async () => {
  for (const argv of [
    ['switch', 'add', '--switch', 'tenant-a', '--subnet', '198.18.10.0/24'],
    ['switch', 'add', '--switch', 'provider', '--subnet', '198.18.0.0/24'],
    ['localnet', 'add', '--switch', 'provider', '--network-name', 'physnet-mgmt'],
  ])
    await envelope(argv, 0)
  await db.nbctl(['lsp-add', 'tenant-a', VIF, '--', 'lsp-set-addresses', VIF, '02:00:00:00:00:01 198.18.10.20'])
  assert.equal((await envelope(['router', 'add', '--router', 'r1'], 0)).result?.action, 'created')
  const a = await envelope(['router', 'attach', '--router', 'r1', '--switch', 'tenant-a'], 0)
  assert.equal(a.result?.network, '198.18.10.1/24')
  const dry = await envelope(
    ['router', 'gateway', '--router', 'r1', '--switch', 'provider', '--ip', '198.18.0.10/24', '--dry-run'],
    0,
  )
  assert.deepEqual(dry.result?.chassis, [
    { chassis: 'chassis-a', priority: 100 },
    { chassis: 'chassis-b', priority: 90 },
  ])
  const before = await ours()
  const g = await envelope(['router', 'gateway', '--router', 'r1', '--switch', 'provider', '--ip', '198.18.0.10/24'], 0)
  assert.deepEqual([g.result?.action, g.result?.snatAdded], ['created', 1])
  assert.equal(await ours(), before + 1)
  const f = await envelope(['fip', 'add', '--vif', VIF, '--ip', '198.18.0.50'], 0)
  assert.equal((f.result?.fip as { logicalIp: string } | undefined)?.logicalIp, '198.18.10.20')
  const list = await envelope(['fip', 'list'], 0)
  assert.deepEqual(
    (list.result as unknown as { ip: string; vifUuid: string }[]).map((x) => [x.ip, x.vifUuid]),
    [['198.18.0.50', VIF]],
  )
  const routers = (await envelope(['router', 'list'], 0)).result as unknown as {
    name: string
    gateway: { chassis: unknown[] }
  }[]
  assert.deepEqual(
    routers.map((r) => [r.name, r.gateway.chassis.length]),
    [['r1', 2]],
  )
  const text = await xapiOvn(['router', 'list'])
  assert.match(text.stdout, /snat 198\.18\.10\.0\/24 -> 198\.18\.0\.10/)

  // Refused: exit 1 with the code, nothing written; a usage mistake: exit 2.
  const written = await ours()
  const used = await envelope(['fip', 'add', '--vif', VIF, '--ip', '198.18.0.51'], 1)
  assert.equal(used.error?.code, 'OVN_NB_FIP_CONFLICT')
  const outside = await envelope(
    ['router', 'gateway', '--router', 'r1', '--switch', 'provider', '--ip', '203.0.113.5/24', '--chassis', 'x'],
    1,
  )
  assert.equal(outside.error?.code, 'OVN_NB_ADDRESS_CONFLICT')
  const bad = await envelope(
    ['router', 'gateway', '--router', 'r1', '--switch', 'provider', '--ip', '198.18.0.0/33', '--chassis', 'x'],
    2,
  )
  assert.equal(bad.error?.code, 'OVN_INVALID_ARGUMENT')
  assert.equal((await envelope(['router', 'attach', '--router', 'r1'], 2)).error?.code, 'OVN_USAGE')
  assert.equal((await envelope(['fip', 'add', '--ip', '198.18.0.52'], 2)).error?.code, 'OVN_USAGE')
  assert.equal(await ours(), written, 'nothing written')

  assert.equal((await envelope(['fip', 'del', '--ip', '198.18.0.50'], 0)).result?.dryRun, false)
  assert.equal((await envelope(['router', 'del', '--router', 'r1'], 1)).error?.code, 'OVN_NB_ROUTER_NOT_EMPTY')
  assert.equal((await envelope(['router', 'del', '--router', 'r1', '--force'], 0)).result?.deleted, true)
  assert.equal((await db.nbctl(['--bare', '--columns=_uuid', 'list', 'Logical_Router'])).trim(), '')
})

test("fip add|del --vm: the pool (XAPI) names the VM's one OVN VIF; an unknown VM is refused, nothing written", async (t) => {
  const pool = await createEmulatedPool({ hosts: memoryHosts(1), password: PASSWORD, vms: [{ name_label: 'web9' }] })
  t.after(() => pool.close())
  const session = await XapiPool.connect({ url: pool.url, password: PASSWORD, transport: 'json-rpc' })
  t.after(() => session.close())
  await session.call('network.create', {
    name_label: 'ovn-int',
    name_description: '',
    MTU: 1500,
    other_config: { 'vswitch-controller-fail-mode': 'secure' },
  })
  const xapi = { XAPI_URL: pool.url, XAPI_PASSWORD: PASSWORD }
  await envelope(['port', 'attach', '--switch', 'tenant-a', '--vm', 'web9', '--ip', '198.18.10.30'], 0, xapi)
  const [vmRef] = (await session.call('VM.get_by_name_label', 'web9')) as string[]
  const [vifRef] = (await session.call('VM.get_VIFs', vmRef)) as string[]
  const vifUuid = (await session.call('VIF.get_uuid', vifRef)) as string
  await envelope(['router', 'add', '--router', 'r2'], 0)
  await envelope(['router', 'attach', '--router', 'r2', '--switch', 'tenant-a'], 0)
  await envelope(
    ['router', 'gateway', '--router', 'r2', '--switch', 'provider', '--ip', '198.18.0.11/24', '--chassis', 'chassis-a'],
    0,
  )
  const written = await ours()
  const unknown = await envelope(['fip', 'add', '--vm', 'nosuch', '--ip', '198.18.0.60'], 1, xapi)
  assert.equal(unknown.error?.code, 'OVN_VM_NOT_FOUND')
  assert.equal(await ours(), written, 'nothing written')
  const f = await envelope(['fip', 'add', '--vm', 'web9', '--ip', '198.18.0.60'], 0, xapi)
  const fip = f.result?.fip as { vifUuid: string; logicalIp: string } | undefined
  assert.deepEqual([fip?.vifUuid, fip?.logicalIp], [vifUuid, '198.18.10.30'])
  await envelope(['fip', 'del', '--vm', 'web9'], 0, xapi)
  assert.deepEqual((await envelope(['fip', 'list'], 0)).result, [])
})
