/**
 * Where SSL material goes on a host (pure): the three PEM files under the OVN etc dir and the
 * EnvironmentFile whose OVN_CONTROLLER_OPTS names them, plus the option words that name them.
 * Why there, and not the Open_vSwitch SSL table: lib/chassis/ssl/index.ts.
 */
import { join, dirname } from 'node:path'
import { InvalidArgumentError } from '../../errors.js'

export const DEFAULT_OVN_ETC_DIR = '/etc/ovn'
/** The EnvironmentFile of OVN's ovn-controller.service (rhel/ packaging) that holds OVN_CONTROLLER_OPTS. */
export const DEFAULT_CONTROLLER_OPTIONS_FILE = '/etc/sysconfig/ovn-controller'
export const OPTIONS_VARIABLE = 'OVN_CONTROLLER_OPTS'

export const SSL_FILE_NAMES = {
  privateKey: 'xapi-ovn-privkey.pem',
  certificate: 'xapi-ovn-cert.pem',
  caCert: 'xapi-ovn-cacert.pem',
} as const

/** Mode of the three PEM files: root only. */
export const PEM_FILE_MODE = 0o600
/** Mode of a newly created options file (it holds paths, no secret). An existing file keeps its mode. */
export const OPTIONS_FILE_MODE = 0o644

export interface SslPaths {
  /** The directory of the three PEM files. */
  readonly dir: string
  readonly privateKey: string
  readonly certificate: string
  readonly caCert: string
  /** The EnvironmentFile whose OVN_CONTROLLER_OPTS carries the ovn-ctl SSL options. */
  readonly optionsFile: string
  /** OVN's own EnvironmentFile read before it (/etc/sysconfig/ovn: OVN_USER_ID); only read. */
  readonly ovnSysconfigFile: string
}

// The paths end up unquoted in a shell word list (ovn-ctl expands $OVN_CONTROLLER_SSL_KEY
// without quotes), so they may hold no blank, quote, glob or dollar character.
const SAFE_PATH = /^\/[A-Za-z0-9._+/-]*$/

function checkPath(what: string, path: string): void {
  const reason = !SAFE_PATH.test(path)
    ? 'must be an absolute path of letters, digits and . _ + / - only'
    : path.split('/').some((part) => part === '..')
      ? 'must not contain ..'
      : null
  if (reason !== null) throw new InvalidArgumentError(what, path, reason)
}

/**
 * Where the material of this host goes. The options file is /etc/sysconfig/ovn-controller when
 * the OVN etc dir is the default one; when the etc dir is overridden (lab, tests) it follows it
 * to `<ovnEtcDir>/sysconfig/ovn-controller`, so an emulated host never edits the real host's file.
 */
export function sslPaths(ovnEtcDir: string = DEFAULT_OVN_ETC_DIR, optionsFile?: string): SslPaths {
  const dir = ovnEtcDir.length > 1 ? ovnEtcDir.replace(/\/+$/, '') : ovnEtcDir
  checkPath('ovn-etc-dir', dir)
  const options =
    optionsFile ??
    (dir === DEFAULT_OVN_ETC_DIR ? DEFAULT_CONTROLLER_OPTIONS_FILE : join(dir, 'sysconfig', 'ovn-controller'))
  checkPath('ovn-controller-options-file', options)
  return {
    dir,
    privateKey: join(dir, SSL_FILE_NAMES.privateKey),
    certificate: join(dir, SSL_FILE_NAMES.certificate),
    caCert: join(dir, SSL_FILE_NAMES.caCert),
    optionsFile: options,
    ovnSysconfigFile: join(dirname(options), 'ovn'),
  }
}

/** ovn-ctl's options (for OVN_CONTROLLER_OPTS) naming the three files. */
export function ovnCtlSslOptions(paths: SslPaths): string[] {
  return [
    `--ovn-controller-ssl-key=${paths.privateKey}`,
    `--ovn-controller-ssl-cert=${paths.certificate}`,
    `--ovn-controller-ssl-ca-cert=${paths.caCert}`,
  ]
}

/** ovn-controller's own options naming the three files (what ovn-ctl turns the above into). */
export function controllerSslArgs(paths: SslPaths): string[] {
  return [`--private-key=${paths.privateKey}`, `--certificate=${paths.certificate}`, `--ca-cert=${paths.caCert}`]
}
