/**
 * `xapi-ovn --version`: the version of the installed package, read from its package.json when
 * asked and only then, so that every other command (and --help, which bench/ times) starts
 * without reading it. This file is lib/cli/version.ts, built to dist/lib/cli/version.js (the
 * package) or .build/lib/cli/version.js (the checkout): package.json is three levels up in both.
 */
import { readFileSync } from 'node:fs'
import { isRecord } from '../shape.js'

export interface PackageVersion {
  readonly name: string
  readonly version: string
}

/** The package's name and version; throws (an internal error for the printer) if it is not ours. */
export function packageVersion(url: URL = new URL('../../../package.json', import.meta.url)): PackageVersion {
  const pkg: unknown = JSON.parse(readFileSync(url, 'utf8'))
  if (!isRecord(pkg) || pkg.name !== 'xapi-ovn' || typeof pkg.version !== 'string')
    throw new Error(`${url.pathname} is not the package.json of xapi-ovn`)
  return { name: pkg.name, version: pkg.version }
}
