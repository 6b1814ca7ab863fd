// Bundle the host agent into ONE executable file, dist/xapi-ovn-host-agent, with the same options
// as the plugin (build/host-bundle.mjs): CommonJS for Node 16, Node's built-ins only.
import { build } from 'esbuild'
import { HOST_BUNDLE } from './host-bundle.mjs'
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const outfile = join(root, 'dist', 'xapi-ovn-host-agent')
mkdirSync(dirname(outfile), { recursive: true })
const result = await build({
  entryPoints: [join(root, 'host-agent', 'main.ts')],
  outfile,
  ...HOST_BUNDLE,
  banner: { js: '#!/usr/bin/env node' },
  metafile: true,
})
const forbidden = Object.keys(result.metafile.inputs).filter((p) => p.includes('node_modules/'))
if (forbidden.length > 0) throw new Error(`the host agent must bundle no npm package: ${forbidden.join(', ')}`)
chmodSync(outfile, 0o755)
writeFileSync(join(root, 'dist', 'package.json'), '{ "type": "commonjs" }\n')
const size = statSync(outfile).size
console.error(`dist/xapi-ovn-host-agent: ${size} bytes (${(size / 1024).toFixed(1)} KiB)`)
