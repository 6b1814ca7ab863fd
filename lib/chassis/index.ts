// Re-exports only: the chassis rules the plugin applies to a host's OVSDB and the pool driver
// applies before touching a host (validation) and to what hosts report.
export * from './errors.js'
export * from './keys.js'
export * from './validators.js'
export * from './configure-args.js'
export * from './model.js'
export * from './external-ids-write.js'
export * from './plan-configure.js'
export * from './plan-unconfigure.js'
export * from './verify.js'
export * from './replies.js'
