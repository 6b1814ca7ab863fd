/**
 * Re-exports only. SSL material for `ssl:` OVN southbound remotes: validate the PEM text a
 * caller passes to `configure` (ovn-ssl-key, ovn-ssl-cert, ovn-ssl-ca-cert), plan where it goes, write it, and
 * point ovn-controller's service at it.
 *
 * Where it goes, and why there:
 * - Three root-only (0600) files under the OVN etc dir (default /etc/ovn, `ovnEtcDir` of the
 *   plugin context): xapi-ovn-privkey.pem, xapi-ovn-cert.pem, xapi-ovn-cacert.pem.
 * - ovn-ctl's options `--ovn-controller-ssl-key=... --ovn-controller-ssl-cert=...
 *   --ovn-controller-ssl-ca-cert=...` in `OVN_CONTROLLER_OPTS` of /etc/sysconfig/ovn-controller,
 *   the EnvironmentFile that OVN's ovn-controller.service reads and passes to
 *   `ovn-ctl start_controller`, which turns them into ovn-controller's
 *   `--private-key= --certificate= --ca-cert=`.
 *   Never the Open_vSwitch SSL table: xapi's start-of-day `emer-reset` clears it, and a row there
 *   would override the command line (ovn-controller's update_ssl_config prefers it).
 *
 * Secrets never leave these modules in a printable form: errors say `<redacted>` instead of the
 * value, and an `SslPlan` serialises (JSON, util.inspect) to its summary: subject, issuer,
 * validity and SHA-256 fingerprints, file paths and options, never the key.
 *
 * @example
 * ```ts
 * const paths = sslPaths(ctx.paths.ovnEtcDir)
 * const plan = planSslMaterial(args, paths, ctx.now())   // throws OVN_INVALID_ARGUMENT on bad PEM
 * if (plan !== null && !dryRun) {
 *   const applied = applySslPlan(plan)                   // files first, then the options file
 *   if (applied.restartNeeded) ... // ovn-controller reads them when it starts
 * }
 * // unconfigure:
 * removeSslMaterial(paths)                               // options first, then the files
 * ```
 *
 * The folder: plan-paths.ts, validate-pem.ts, plan-material.ts and plan-options-file.ts are pure
 * (they read no file); files-io.ts, options-file-io.ts, material-io.ts and inspect-io.ts do the
 * I/O, over lib/fs/atomic-file-io.ts. The plugin imports this folder only on use (node:crypto).
 */
export { SslMaterialError } from './errors.js'
export { ensureDir, readSslFile, removeSslFile, writeSslFile } from './files-io.js'
export { inspectSslMaterial, type SslFileState, type SslInspection } from './inspect-io.js'
export {
  applySslPlan,
  removeSslMaterial,
  type SslApplyResult,
  type SslRemoveResult,
  sslPlanFiles,
} from './material-io.js'
export {
  controllerUser,
  nonRootProblem,
  readOptionsFileEdit,
  writeOptionsFile,
  type OptionsFileEdit,
} from './options-file-io.js'
export { SslPlan, planSslMaterial, type PlannedFile, type SslSummary } from './plan-material.js'
export {
  controllerOptions,
  controllerUserIn,
  editControllerOptions,
  envFileValue,
  nonRootProblemOf,
  sslOptionsIn,
  type ControllerUser,
} from './plan-options-file.js'
export {
  DEFAULT_CONTROLLER_OPTIONS_FILE,
  DEFAULT_OVN_ETC_DIR,
  OPTIONS_FILE_MODE,
  OPTIONS_VARIABLE,
  PEM_FILE_MODE,
  SSL_FILE_NAMES,
  controllerSslArgs,
  ovnCtlSslOptions,
  sslPaths,
  type SslPaths,
} from './plan-paths.js'
export {
  MAX_CERTS,
  MAX_PEM_CHARS,
  REDACTED,
  SSL_ARG_NAMES,
  certificateSummary,
  validateSslArgs,
  type CertificateSummary,
  type SslArgName,
  type ValidSslMaterial,
} from './validate-pem.js'
