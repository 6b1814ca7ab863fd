/**
 * `xapi-ovn --version`: the version of the installed package, read from its package.json when
 * asked and only then, so that every other command (and --help, which bench/ times) starts
 * without reading it. Where this code runs from depends on the build: .build/lib/cli/version.js
 * (the checkout), or a chunk or the bin of dist/lib (the package: build/lib.mjs bundles it), so
 * the package.json is found by walking up from here to the first one named xapi-ovn
 * (dist/lib/package.json, which only sets the module type, is passed over).
 */
import { readFileSync } from 'node:fs'
import { isRecord } from '../shape.js'

export interface PackageVersion {
  readonly name: string
  readonly version: string
}

/** How far up the walk goes: from a chunk of dist/lib it is three levels. */
const MAX_LEVELS = 6

function readJson(url: URL): unknown {
  try {
    return JSON.parse(readFileSync(url, 'utf8'))
  } catch {
    return undefined
  }
}

/** The package's name and version; throws (an internal error for the printer) if it is not found. */
export function packageVersion(from: URL = new URL('.', import.meta.url)): PackageVersion {
  let dir = new URL('.', from)
  for (let level = 0; level <= MAX_LEVELS; level++) {
    const pkg = readJson(new URL('package.json', dir))
    if (isRecord(pkg) && pkg.name === 'xapi-ovn') {
      if (typeof pkg.version !== 'string') break
      return { name: pkg.name, version: pkg.version }
    }
    const up = new URL('..', dir)
    if (up.href === dir.href) break
    dir = up
  }
  throw new Error(`no package.json of xapi-ovn above ${from.pathname}`)
}
