/**
 * An ovsdb-server listening on pssl: (a CA, a server and a client credential made for it,
 * test/fixtures/pki.ts) serving the databases of the given schemas: what the SSL tests of the
 * northbound commands and of `show` connect to. `stop()` kills it and removes its files.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { run } from '../../lab/exec.js'
import { createServerClientPki, type ServerClientPki } from '../fixtures/pki.js'
import { freePort } from './ovsdb-fixtures.js'

export interface PsslServer {
  /** ssl:127.0.0.1:PORT */
  readonly remote: string
  readonly pki: ServerClientPki
  stop(): void
}

export async function startPsslServer(schemaPaths: readonly string[]): Promise<PsslServer> {
  const dir = mkdtempSync(join(tmpdir(), 'xapi-ovn-pssl-'))
  const pki = createServerClientPki()
  const dbs: string[] = []
  for (const schema of schemaPaths) {
    const db = join(dir, `${basename(schema, '.ovsschema')}.db`)
    await run('ovsdb-tool', ['create', db, schema])
    dbs.push(db)
  }
  const port = await freePort()
  await run('ovsdb-server', [
    ...dbs,
    `--remote=pssl:${port}:127.0.0.1`,
    `--private-key=${pki.server.keyPath}`,
    `--certificate=${pki.server.certPath}`,
    `--ca-cert=${pki.ca.certPath}`,
    `--pidfile=${join(dir, 'server.pid')}`,
    `--unixctl=${join(dir, 'server.ctl')}`,
    `--log-file=${join(dir, 'server.log')}`,
    '--detach',
    '--no-chdir',
  ])
  return {
    remote: `ssl:127.0.0.1:${port}`,
    pki,
    stop() {
      try {
        process.kill(Number(readFileSync(join(dir, 'server.pid'), 'utf8').trim()), 'SIGKILL')
      } catch {}
      pki.destroy()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
