// Transpile every TypeScript source (lib/, plugin/, lab/, xapi-emulator/, test/, bench/) to .build/ file by file,
// without type checking (that is `npm run typecheck`). Tests and the lab run from .build/.
import { build } from 'esbuild'
import { readdirSync, statSync, rmSync, mkdirSync, copyFileSync } from 'node:fs'
import { join, relative, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, '.build')
const roots = ['lib', 'plugin', 'host-agent', 'lab', 'xapi-emulator', 'test', 'bench']

function walk(dir, files = []) {
  let names
  try {
    names = readdirSync(dir)
  } catch {
    return files
  }
  for (const name of names) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path, files)
    else files.push(path)
  }
  return files
}

const all = roots.flatMap((r) => walk(join(root, r)))
const sources = all.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
const assets = all.filter((f) => !f.endsWith('.ts'))

// --clean starts from an empty .build/ (npm test does); without it files are overwritten in place,
// so several people can transpile at once without deleting each other's output.
if (process.argv.includes('--clean')) rmSync(out, { recursive: true, force: true })
await build({
  entryPoints: sources,
  outdir: out,
  outbase: root,
  format: 'esm',
  platform: 'node',
  target: 'node18',
  sourcemap: 'inline',
  logLevel: 'warning',
})
// Non-TypeScript files (fixtures, shell scripts) are copied next to the code that reads them.
for (const file of assets) {
  const dest = join(out, relative(root, file))
  mkdirSync(dirname(dest), { recursive: true })
  copyFileSync(file, dest)
}
