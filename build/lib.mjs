// Build the library for the npm package, dist/lib:
//  - its code as two esbuild bundles, the package entry (dist/lib/index.js) and the bin
//    (dist/lib/cli/main.js), with what both use, and what either loads only on demand (the
//    agent's /metrics server, the SVG renderer), in shared chunks (dist/lib/chunks/): a few
//    modules instead of ~110 (Node's ESM loader costs ~9 MB of RSS and ~45 ms of start-up for
//    that many: bench/nb.ts, README "Northbound bulk");
//  - its types as tsc's declarations, one .d.ts per source file, as before.
// The package's dependencies (xen-api, tiny-invariant) stay imports, resolved from the user's
// node_modules; xen-api is still loaded only by XapiPool.connect (a dynamic import).
import { execFileSync } from 'node:child_process'
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, 'dist', 'lib')
rmSync(out, { recursive: true, force: true })
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--emitDeclarationOnly'], {
  stdio: 'inherit',
})
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
await build({
  absWorkingDir: root,
  entryPoints: ['lib/index.ts', 'lib/cli/main.ts'],
  outbase: 'lib',
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node18',
  chunkNames: 'chunks/[name]-[hash]',
  external: Object.keys(pkg.dependencies ?? {}),
  legalComments: 'none',
  logLevel: 'warning',
})
// dist/package.json marks dist/ as CommonJS for the plugin bundle; the library is ESM.
writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n')
chmodSync(join(out, 'cli', 'main.js'), 0o755)
