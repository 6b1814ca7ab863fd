// One way to bundle a file that runs on a pool host (the plugin, the host agent; the RPM's boot
// helper uses HOST_BUNDLE too): one self-contained CommonJS file for Node 16, with only Node's
// built-ins outside it, executable, `#!/usr/bin/env node` (the RPM rewrites that line).
import { build } from 'esbuild'
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')

export const HOST_BUNDLE = Object.freeze({
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node16',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
})

function checkInputs(result, name, forbidden) {
  const bad = Object.keys(result.metafile.inputs).filter(forbidden)
  if (bad.length > 0) throw new Error(`${name} must not bundle: ${bad.join(', ')}`)
}

/**
 * Bundle `entry` (relative to the repository) the same way, into a string (no shebang): the body
 * that build/plugin.mjs wraps in its code-cache loader. `plugins` are esbuild plugins.
 */
export async function bundleHostText(entry, forbidden, plugins = []) {
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    outfile: join(ROOT, 'dist', 'body.js'), // names the output only: nothing is written
    ...HOST_BUNDLE,
    write: false,
    metafile: true,
    plugins,
  })
  checkInputs(result, entry, forbidden)
  return result.outputFiles[0].text
}

/**
 * Bundle `entry` (relative to the repository) into `outfile` (likewise). `forbidden(path)` names
 * inputs that must not be in it (npm packages: a host has no node_modules). `define` replaces
 * identifiers with constants (esbuild's option), e.g. the plugin body of plugin/code-cache.ts.
 */
export async function bundleHostFile(entry, outfile, forbidden, define = {}) {
  const out = join(ROOT, outfile)
  mkdirSync(dirname(out), { recursive: true })
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    outfile: out,
    ...HOST_BUNDLE,
    banner: { js: '#!/usr/bin/env node' },
    define,
    metafile: true,
  })
  checkInputs(result, outfile, forbidden)
  chmodSync(out, 0o755)
  // Our package.json says "type": "module", and Node loads an extensionless file under it as ESM.
  // Installed hosts have no package.json above these files, so the bundles are CommonJS; this
  // marker keeps them runnable in place in dist/ too (dist/lib has its own, ESM).
  writeFileSync(join(ROOT, 'dist', 'package.json'), '{ "type": "commonjs" }\n')
  const size = statSync(out).size
  console.error(`${relative(ROOT, out)}: ${size} bytes (${(size / 1024).toFixed(1)} KiB)`)
}
