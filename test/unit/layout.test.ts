// The folders tell the architecture (DESIGN.md "Layout"): what ships (lib/, plugin/) never
// imports the lab, the XAPI emulator, the tests or the benchmarks, so the package and the host
// bundle cannot grow a dependency on anything that only exists in this repository.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const SHIPPED = ['lib', 'plugin', 'host-agent']
const NOT_SHIPPED = ['lab', 'xapi-emulator', 'test', 'bench']

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sources(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

/** Every relative module specifier of a TypeScript file (`from '...'` and `import('...')`). */
function relativeImports(text: string): string[] {
  return [...text.matchAll(/(?:from\s+|import\()\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1] ?? '')
}

test('lib/, plugin/ and host-agent/ import nothing from lab/, xapi-emulator/, test/ or bench/', () => {
  const offending: string[] = []
  for (const top of SHIPPED) {
    for (const file of sources(join(ROOT, top))) {
      for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
        const target = relative(ROOT, resolve(dirname(file), spec)).split('/')[0] ?? ''
        if (NOT_SHIPPED.includes(target)) offending.push(`${relative(ROOT, file)} -> ${spec}`)
      }
    }
  }
  assert.deepEqual(offending, [])
})

// test/fixtures/ holds what unit and integration tests share (one PKI maker, one NB schema), so
// neither kind imports the other's folder for it; nothing else may appear beside the two kinds.
test('the top-level homes exist and test/ holds only tests and their shared fixtures', () => {
  for (const dir of [...SHIPPED, ...NOT_SHIPPED]) assert.ok(statSync(join(ROOT, dir)).isDirectory(), dir)
  assert.deepEqual(
    readdirSync(join(ROOT, 'test'))
      .filter((n) => statSync(join(ROOT, 'test', n)).isDirectory())
      .sort(),
    ['fixtures', 'integration', 'unit'],
  )
})
