// Re-exports only, kept for lib/cli/commands.ts (another worktree's file imports '../pool/driver.js');
// the operations live one per file (setup.ts, verify.ts, status.ts, teardown.ts) and lib/pool/index.ts
// exports them. Import from index.js in new code.
export { DEFAULT_CONCURRENCY, MAX_CONCURRENCY, MAX_WAIT_SECONDS, networkInfo, type RunOptions } from './run.js'
export {
  prepareSetup,
  runSetup,
  setup,
  setupPools,
  type PoolTarget,
  type PreparedSetup,
  type SetupOptions,
} from './setup.js'
export { status, type StatusOptions } from './status.js'
export { teardown, type TeardownOptions } from './teardown.js'
export { verify, type VerifyOptions } from './verify.js'
