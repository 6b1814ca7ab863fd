/**
 * Build the host RPM into a temp dir (never dist/: other test files run at the same time) from
 * the current dist/ovn-chassis, and install it into a scratch root with rpm itself
 * (`rpm --root R --dbpath /var/lib/rpm --nodeps --noscripts -i`), as the tests need.
 *
 * @example
 * ```ts
 * const pkg = await buildRpm()             // pkg.rpm, pkg.dir
 * const root = await installScratch(pkg)   // root.path + '/etc/xapi.d/plugins/ovn-chassis'
 * await root.destroy(); await pkg.destroy()
 * ```
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { registerTeardown } from '../../lab/cleanup.js'
import { run } from '../../lab/exec.js'
import { tempDirPrefix } from '../../lab/names.js'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const DIST_PLUGIN = join(ROOT, 'dist', 'ovn-chassis')
export const NODE16 = join(ROOT, 'node_modules', 'node16', 'bin', 'node')

export interface BuiltRpm {
  readonly dir: string
  readonly rpm: string
  /** What build/rpm.mjs printed on stdout. */
  readonly printed: string
  destroy(): void
}

export interface ScratchRoot {
  readonly path: string
  destroy(): void
}

function tempDir(kind: string): { path: string; destroy: () => void } {
  const path = mkdtempSync(tempDirPrefix(kind))
  const reg = registerTeardown(`${kind} ${path}`, () => rmSync(path, { recursive: true, force: true }))
  return {
    path,
    destroy: () => {
      rmSync(path, { recursive: true, force: true })
      reg.release()
    },
  }
}

export async function buildRpm(): Promise<BuiltRpm> {
  if (!existsSync(DIST_PLUGIN)) throw new Error(`${DIST_PLUGIN} is missing: run node build/plugin.mjs (npm test does)`)
  const dir = tempDir('rpm')
  try {
    const r = await run(process.execPath, [join(ROOT, 'build', 'rpm.mjs'), '--outdir', dir.path], {
      cwd: ROOT,
      timeoutMs: 180_000,
    })
    const rpms = readdirSync(dir.path).filter((f) => f.endsWith('.rpm'))
    if (rpms.length !== 1) throw new Error(`expected one rpm in ${dir.path}, found ${rpms.join(', ')}`)
    return { dir: dir.path, rpm: join(dir.path, rpms[0] as string), printed: r.stdout, destroy: dir.destroy }
  } catch (err) {
    dir.destroy()
    throw err
  }
}

export async function installScratch(pkg: BuiltRpm): Promise<ScratchRoot> {
  const root = tempDir('rr')
  try {
    await run('rpm', ['--root', root.path, '--dbpath', '/var/lib/rpm', '--initdb'])
    await run('rpm', ['--root', root.path, '--dbpath', '/var/lib/rpm', '--nodeps', '--noscripts', '-i', pkg.rpm])
    return { path: root.path, destroy: root.destroy }
  } catch (err) {
    root.destroy()
    throw err
  }
}

/** `rpm -qp --queryformat FORMAT pkg` */
export async function query(pkg: BuiltRpm, format: string): Promise<string> {
  return (await run('rpm', ['-qp', '--queryformat', format, pkg.rpm])).stdout
}
