// DESIGN.md's Layout table is the map for contributors: every source file of what ships (lib/,
// plugin/, host-agent/) and of the lab and the XAPI emulator is named in it, so a new module
// cannot land without saying what its job is.
//
// How the table names a file: a row's first cell holds backticked names. A bold row
// (**`lib/ovsdb/`**) opens a folder's section, and the names of the rows under it are relative to
// that folder unless they start at the top (`lib/...`, `lab/...`). `*` stands for any name within
// one folder (`commands/*.ts`).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const MAPPED = ['lib', 'plugin', 'host-agent', 'lab', 'xapi-emulator']
const TOP = ['lib/', 'plugin/', 'host-agent/', 'lab/', 'xapi-emulator/', 'test/', 'bench/', 'build/', 'docs/', 'rpm/']

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sources(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

/** Every path (or glob) the Layout table names, resolved against its section's folder. */
export function namedPaths(design: string): string[] {
  const out: string[] = []
  let section = ''
  for (const line of design.split('\n')) {
    if (!line.startsWith('| ')) continue
    const cell = line.split('|')[1] ?? ''
    const heading = /^\s*\*\*`([^`]+)`\*\*/.exec(cell)
    if (heading !== null) {
      section = heading[1] ?? ''
      continue
    }
    for (const m of cell.matchAll(/`([^`]+)`/g)) {
      const name = m[1] ?? ''
      out.push(TOP.some((t) => name.startsWith(t)) ? name : `${section}${name}`)
    }
  }
  return out
}

function matches(path: string, pattern: string): boolean {
  const re = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')
  return new RegExp(`^${re}$`).test(path)
}

test('namedPaths resolves names against their section, and globs match within one folder', () => {
  const design = [
    '| path | job |',
    '| `lib/errors.ts` | x |',
    '| **`lib/ovsdb/`** | x |',
    '| `codec.ts`, `operations.ts` | x (`not-a-name.ts` in the job cell) |',
    '| **`lib/cli/`** | x |',
    '| `commands/*.ts` | x |',
    '| `rpm/`, `build/rpm.mjs` | x |',
  ].join('\n')
  const named = namedPaths(design)
  assert.deepEqual(named, [
    'lib/errors.ts',
    'lib/ovsdb/codec.ts',
    'lib/ovsdb/operations.ts',
    'lib/cli/commands/*.ts',
    'rpm/',
    'build/rpm.mjs',
  ])
  assert.equal(matches('lib/cli/commands/port.ts', 'lib/cli/commands/*.ts'), true)
  assert.equal(matches('lib/cli/commands/sub/x.ts', 'lib/cli/commands/*.ts'), false)
  assert.equal(matches('lib/ovsdb/codecXts', 'lib/ovsdb/codec.ts'), false)
})

test('every .ts file under lib/, plugin/, host-agent/, lab/ and xapi-emulator/ is named in DESIGN.md', () => {
  const named = namedPaths(readFileSync(join(ROOT, 'DESIGN.md'), 'utf8'))
  const unnamed = MAPPED.flatMap((top) => sources(join(ROOT, top)))
    .map((f) => relative(ROOT, f))
    .filter((f) => !named.some((n) => matches(f, n)))
    .sort()
  assert.deepEqual(unnamed, [])
})
