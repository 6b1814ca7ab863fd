/**
 * Build the host RPM into a temp dir (never dist/: other test files run at the same time) from
 * the current dist/ovn-chassis, and install it into a scratch root with rpm itself
 * (`rpm --root R --dbpath /var/lib/rpm --nodeps --noscripts -i`), as the tests need. Commands
 * given to `withPackagedRuntime` run where the scratch root's /usr/libexec/xapi-ovn is at its real
 * path, so a host bundle exec'd directly finds the packaged node through its #! line.
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
import { fileURLToPath, pathToFileURL } from 'node:url'
import type * as ElfNeedsModule from '../../build/elf-needs.mjs'
import { registerTeardown } from '../../lab/cleanup.js'
import { run } from '../../lab/exec.js'
import { tempDirPrefix } from '../../lab/names.js'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const DIST_PLUGIN = join(ROOT, 'dist', 'ovn-chassis')
export const NODE16 = join(ROOT, 'node_modules', 'node16', 'bin', 'node')
/** Where build/rpm.mjs installs the runtime, and so every host bundle's #! line. */
export const RUNTIME_DIR = '/usr/libexec/xapi-ovn/node'
export const PRIVATE_NODE = `${RUNTIME_DIR}/bin/node`
/** build/elf-needs.mjs (plain JavaScript in build/, outside .build/: loaded from the checkout). */
export const elf: typeof ElfNeedsModule = await import(pathToFileURL(join(ROOT, 'build', 'elf-needs.mjs')).href)

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

/** Run build/rpm.mjs with `args` and `env` added, writing into `outdir`; never throws. */
export function runRpmBuild(outdir: string, args: readonly string[] = [], env: Record<string, string> = {}) {
  // The caller's own XAPI_OVN_RUNTIME never leaks in: the default runtime unless `env` names one.
  const base: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'XAPI_OVN_RUNTIME') base[k] = v
  return run(process.execPath, [join(ROOT, 'build', 'rpm.mjs'), '--outdir', outdir, ...args], {
    cwd: ROOT,
    env: { ...base, ...env },
    replaceEnv: true,
    timeoutMs: 180_000,
    check: false,
  })
}

export async function buildRpm(args: readonly string[] = [], env: Record<string, string> = {}): Promise<BuiltRpm> {
  if (!existsSync(DIST_PLUGIN)) throw new Error(`${DIST_PLUGIN} is missing: run node build/plugin.mjs (npm test does)`)
  const dir = tempDir('rpm')
  try {
    const r = await runRpmBuild(dir.path, args, env)
    if (!r.ok) throw new Error(`build/rpm.mjs failed (${r.status}): ${r.stderr.slice(-2000)}`)
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

/**
 * `argv` run with the scratch root's /usr/libexec visible at /usr/libexec: a private mount
 * namespace (unshare) with a read-only overlay of the scratch root's /usr/libexec over the
 * machine's. Only that process sees it; the machine has no /usr/libexec/xapi-ovn.
 */
export function withPackagedRuntime(root: ScratchRoot, argv: readonly string[]): string[] {
  return [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-c',
    'mount -t overlay xapi-ovn-rpm -o "lowerdir=$0/usr/libexec:/usr/libexec" /usr/libexec && exec "$@"',
    root.path,
    ...argv,
  ]
}
