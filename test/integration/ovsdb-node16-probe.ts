/**
 * Bundled by ovsdb-node16.test.ts the way the host plugin is (esbuild, CommonJS, target node16)
 * and run with the Node 16 runtime: exercises the OVSDB client with only Node 16 built-ins.
 * argv: SOCKET_REMOTE SSL_REMOTE CA_PEM_FILE KEY_PEM_FILE CERT_PEM_FILE CTL_SOCKET
 * Prints ONE JSON line with what it saw.
 */
import { readFileSync } from 'node:fs'
import {
  NamedUuid,
  OvsdbClient,
  OvsdbWaitFailedError,
  op,
  ovsdbMap,
  setItems,
  stringMap,
  unixctlCall,
} from '../../lib/ovsdb/index.js'
import type { TableUpdates } from '../../lib/ovsdb/index.js'

async function main(): Promise<void> {
  const [unix, sslRemote, caFile, keyFile, certFile, ctl] = process.argv.slice(2) as [
    string,
    string,
    string,
    string,
    string,
    string,
  ]
  const out: Record<string, unknown> = { node: process.version }
  const client = await OvsdbClient.connect(unix, { database: 'Open_vSwitch' })
  out.dbs = (await client.listDbs()).sort()
  const updates: TableUpdates[] = []
  await client.monitor('Open_vSwitch', { Bridge: { columns: ['name'] } }, (u) => updates.push(u))
  const [root] = await client.transact('Open_vSwitch', [op.select('Open_vSwitch', [], ['_uuid'])])
  if (root.rows.length === 0) await client.transact('Open_vSwitch', [op.insert('Open_vSwitch', {})])
  const [ins] = await client.transact('Open_vSwitch', [
    op.insert('Bridge', { name: 'node16-br', external_ids: ovsdbMap({ 'made-by': 'node16' }) }, 'b'),
    op.mutate('Open_vSwitch', [], [['bridges', 'insert', new NamedUuid('b')]]),
  ])
  const [sel] = await client.transact('Open_vSwitch', [op.select('Bridge', [['_uuid', '==', ins.uuid]])])
  const row = sel.rows[0] ?? {}
  out.name = row.name
  out.externalIds = Object.fromEntries(stringMap(row.external_ids))
  out.ports = setItems(row.ports).length
  try {
    await client.transact('Open_vSwitch', [op.wait('Bridge', [['name', '==', 'node16-br']], ['name'], '==', [])])
    out.wait = 'did not fail'
  } catch (err) {
    out.wait = err instanceof OvsdbWaitFailedError ? err.code : String(err)
  }
  await client.echo()
  out.updates = updates.length > 0
  await client.close()
  const ssl = await OvsdbClient.connect(sslRemote, {
    ssl: { ca: readFileSync(caFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') },
  })
  out.sslDbs = (await ssl.listDbs()).length
  await ssl.destroy()
  out.version = (await unixctlCall(ctl, 'version')).trim()
  process.stdout.write(`${JSON.stringify(out)}\n`)
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`)
  process.exitCode = 1
})
