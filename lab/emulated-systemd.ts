/**
 * A lab host's systemd, as far as the plugin's fn=service uses it (plugin/functions/service.ts):
 * an sd_booted(3) runtime directory and the stand-in systemctl (lab/systemctl.sh) for
 * ovn-controller.service, under `<host rundir>/systemd/`. LabHost.env() points the plugin at them
 * (XAPI_OVN_SYSTEMD_DIR, XAPI_OVN_SYSTEMD_PATH), so `xapi-ovn service` starts, stops and restarts
 * a lab host's ovn-controller as it would a real host's; nothing of the machine's own systemd is
 * touched.
 */
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** lab/systemctl.sh beside this module (the transpile step copies it to .build/lab/). */
const EMULATED_SYSTEMCTL = fileURLToPath(new URL('./systemctl.sh', import.meta.url))

export interface EmulatedSystemd {
  /** What sd_booted looks for (the plugin's XAPI_OVN_SYSTEMD_DIR). */
  readonly runtimeDir: string
  /** Where the plugin finds systemctl (its XAPI_OVN_SYSTEMD_PATH). */
  readonly binDir: string
}

export function emulatedSystemdPaths(rundir: string): EmulatedSystemd {
  return { runtimeDir: join(rundir, 'systemd', 'system'), binDir: join(rundir, 'systemd', 'bin') }
}

/** A single-quoted shell word. */
function quoted(v: string): string {
  return `'${v.replace(/'/g, "'\\''")}'`
}

/** Install it for a host; `daemonEnv` is the environment its daemons run with (LabHost.daemonEnv). */
export function installEmulatedSystemd(rundir: string, daemonEnv: Readonly<Record<string, string>>): EmulatedSystemd {
  const paths = emulatedSystemdPaths(rundir)
  mkdirSync(paths.runtimeDir, { recursive: true })
  mkdirSync(paths.binDir, { recursive: true })
  const lines = Object.entries(daemonEnv).map(([k, v]) => `export ${k}=${quoted(v)}`)
  writeFileSync(join(rundir, 'systemd', 'lab.env'), `${lines.join('\n')}\n`)
  const dest = join(paths.binDir, 'systemctl')
  copyFileSync(EMULATED_SYSTEMCTL, dest)
  chmodSync(dest, 0o755)
  return paths
}
