// Build the library for the npm package: dist/lib with .d.ts declarations, via tsc.
import { execFileSync } from 'node:child_process'
import { rmSync, chmodSync, existsSync, writeFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
rmSync(join(root, 'dist', 'lib'), { recursive: true, force: true })
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
// dist/package.json marks dist/ as CommonJS for the plugin bundle; the library is ESM.
writeFileSync(join(root, 'dist', 'lib', 'package.json'), '{ "type": "module" }\n')
const cli = join(root, 'dist', 'lib', 'cli', 'main.js')
if (existsSync(cli)) chmodSync(cli, 0o755)
