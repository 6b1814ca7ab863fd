/**
 * Entry of `npm run lab` (.build/test/lab/cli.js); the command itself is lab-command.ts.
 *
 * Under `npm run`, `node` is whatever node_modules/.bin holds first, and this project's dev
 * dependency `node16` (the Node 16 runtime the plugin is tested with) puts a `node` there. The
 * lab needs Node >= 18 (xen-api and its fetch), so an older runtime re-runs this same file with
 * the Node.js that runs npm (`npm_node_execpath`), or else the first `node` >= 18 on PATH outside
 * node_modules. This file imports nothing that Node 16 cannot load.
 */
import { spawnSync } from 'node:child_process'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const MIN_MAJOR = 18

function major(node: string): number {
  const r = spawnSync(node, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' })
  return r.status === 0 ? Number.parseInt(r.stdout.trim(), 10) : 0
}

function newerNode(): string | undefined {
  const candidates = [process.env['npm_node_execpath'], process.env['NODE']]
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir !== '' && !dir.split(/[\\/]/).includes('node_modules')) candidates.push(join(dir, 'node'))
  }
  return candidates.find((c): c is string => c !== undefined && c !== '' && c !== process.execPath && major(c) >= MIN_MAJOR)
}

if (Number.parseInt(process.versions.node.split('.')[0] ?? '0', 10) < MIN_MAJOR) {
  const node = newerNode()
  if (node === undefined) {
    process.stderr.write(`the lab needs Node.js >= ${MIN_MAJOR} (this is ${process.version}); install it (./scripts/lab does)\n`)
    process.exit(2)
  }
  // Ctrl-C reaches both processes; the child handles it (stops a lab being built), we wait for it.
  for (const signal of ['SIGINT', 'SIGHUP'] as const) process.on(signal, () => undefined)
  const r = spawnSync(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' })
  process.exit(r.status ?? 1)
} else {
  const { runLabCommand } = await import('./lab-command.js')
  runLabCommand().then(
    (code) => {
      // The keeper stays alive on its own (-1); every other command is done.
      if (code >= 0) process.exit(code)
    },
    (err: unknown) => {
      process.stderr.write(`lab: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
      process.exit(1)
    },
  )
}
