// Bundle the ovn-chassis host plugin into ONE executable file, dist/ovn-chassis: CommonJS (an
// extensionless file in an empty directory is loaded as CommonJS), Node 16, no node_modules.
import { build } from 'esbuild'
import { HOST_BUNDLE } from './host-bundle.mjs'
import { chmodSync, statSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const outfile = join(root, 'dist', 'ovn-chassis')
mkdirSync(dirname(outfile), { recursive: true })
const result = await build({
  entryPoints: [join(root, 'plugin', 'main.ts')],
  outfile,
  ...HOST_BUNDLE,
  banner: { js: '#!/usr/bin/env node' },
  metafile: true,
})
const forbidden = Object.keys(result.metafile.inputs).filter((p) => p.includes('node_modules/xen-api'))
if (forbidden.length > 0) throw new Error(`xen-api must not be bundled into the plugin: ${forbidden.join(', ')}`)
chmodSync(outfile, 0o755)
// Our package.json says "type": "module", and Node loads an extensionless file under it as ESM.
// Installed hosts have no package.json above /etc/xapi.d/plugins, so the bundle is CommonJS;
// this marker keeps dist/ovn-chassis runnable in place too (dist/lib has its own, ESM).
writeFileSync(join(root, 'dist', 'package.json'), '{ "type": "commonjs" }\n')
const size = statSync(outfile).size
console.error(`dist/ovn-chassis: ${size} bytes (${(size / 1024).toFixed(1)} KiB)`)
