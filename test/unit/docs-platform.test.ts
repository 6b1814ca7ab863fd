// Code comments say why with a pointer into docs/platform.md: `docs/platform.md#anchor` or
// `docs/platform.md, "Heading"` (the quoted text is part of a heading there). Every such pointer
// must lead somewhere, so the facts and the code that relies on them stay in step. Nothing may
// point at the old PLATFORM.md outside the repository.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const DOC = 'docs/platform.md'
const SKIP = new Set(['node_modules', '.build', '.git', 'dist', 'docs'])
const SOURCE = /\.(ts|mjs|sh|md|conf|spec)$/
const SELF = join(ROOT, 'test', 'unit', 'docs-platform.test.ts')

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    // This file shows the pointer forms (and the old name) in its own comments and fixtures.
    if (SKIP.has(name) || path === SELF) return []
    if (statSync(path).isDirectory()) return sources(path)
    return SOURCE.test(name) ? [path] : []
  })
}

/** GitHub's anchor of a heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

export interface Pointer {
  readonly file: string
  readonly anchor?: string
  readonly heading?: string
}

/** The pointers of one file's text; a quoted heading may wrap onto the next comment line. */
export function pointersIn(file: string, text: string): Pointer[] {
  // Join comment continuation lines (` * `, `// `, `# `) so a wrapped quote reads as one.
  const flat = text.replace(/\n[ \t]*(?:\*(?!\/)|\/\/|#)?[ \t]*/g, ' ')
  const out: Pointer[] = []
  for (const m of flat.matchAll(/docs\/platform\.md(?:#([\w-]+)|[,:]?\s+(?:see\s+)?"([^"]+)")?/g)) {
    if (m[1] !== undefined) out.push({ file, anchor: m[1] })
    else if (m[2] !== undefined) out.push({ file, heading: m[2] })
  }
  return out
}

const docHeadings = readFileSync(join(ROOT, DOC), 'utf8')
  .split('\n')
  .filter((l) => /^#{1,6} /.test(l))
  .map((l) => l.replace(/^#+ /, '').trim())

const pointers = sources(ROOT).flatMap((f) => pointersIn(relative(ROOT, f), readFileSync(f, 'utf8')))

test('pointersIn reads anchors, quoted headings wrapped across comment lines, and nothing else', () => {
  const text =
    '/**\n * x (docs/platform.md,\n * "dom0 has a firewall") y docs/platform.md#live-migration\n * z (docs/platform.md).\n */'
  assert.deepEqual(pointersIn('f.ts', text), [
    { file: 'f.ts', heading: 'dom0 has a firewall' },
    { file: 'f.ts', anchor: 'live-migration' },
  ])
  assert.equal(anchorOf("Why ovn-controller waits for XAPI's bridge"), 'why-ovn-controller-waits-for-xapis-bridge')
})

test('the repository points into docs/platform.md by heading (the scan finds them)', () => {
  const headings = new Set(pointers.flatMap((p) => (p.heading === undefined ? [] : [p.heading])))
  for (const h of ['Nothing sets iface-id', 'conf.db lives on tmpfs', 'dom0 has a firewall'])
    assert.ok(headings.has(h), `no code comment points at "${h}" any more: the scan is broken or the test is stale`)
})

test('every docs/platform.md pointer in a code comment leads to a heading', () => {
  const anchors = new Set(docHeadings.map(anchorOf))
  const missing = pointers.filter((p) =>
    p.anchor !== undefined ? !anchors.has(p.anchor) : !docHeadings.some((h) => h.includes(p.heading ?? '')),
  )
  assert.deepEqual(
    missing.map((p) => `${p.file}: ${p.anchor !== undefined ? `#${p.anchor}` : `"${p.heading}"`}`),
    [],
  )
})

test('nothing points at the old PLATFORM.md outside the repository', () => {
  const stale = sources(ROOT).filter((f) => /PLATFORM\.md/.test(readFileSync(f, 'utf8')))
  assert.deepEqual(
    stale.map((f) => relative(ROOT, f)),
    [],
  )
})
