/**
 * Re-exports only. SSL material for `ssl:` OVN southbound remotes. The private key is made on
 * the host and never travels (issue 9): fn=ssl-request creates it (host-key-io.ts) and returns a
 * CSR; the operator's CA signs it; `configure` takes the certificate and the CA (ovn-ssl-cert,
 * ovn-ssl-ca-cert; ovn-ssl-key is refused), checks the certificate is for the host's key, plans
 * where they go, writes them, and points ovn-controller's service at the three files.
 *
 * Where it goes, and why there:
 * - Three root-only (0600) files under the OVN etc dir (default /etc/ovn, `ovnEtcDir` of the
 *   plugin context): xapi-ovn-privkey.pem (written by ssl-request only), xapi-ovn-cert.pem,
 *   xapi-ovn-cacert.pem (written by configure).
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
 * ensureHostKey(paths, { renew: false, dryRun: false })  // fn=ssl-request
 * const csr = await makeCsr(paths.privateKey, chassisSubject(hostUuid))
 * // configure, once the CA signed it:
 * const plan = planSslMaterial(args, paths, ctx.now(), readSslFile(paths.privateKey)) // throws on bad PEM
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
export {
  DEFAULT_PATH,
  chassisSubject,
  ensureHostKey,
  makeCsr,
  newPrivateKeyPem,
  type HostKeyState,
} from './host-key-io.js'
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
  REFUSED_KEY_ARG,
  SSL_ARG_NAMES,
  certificateSummary,
  validateSslArgs,
  type CertificateSummary,
  type HostKey,
  type SslArgName,
  type ValidSslMaterial,
} from './validate-pem.js'
