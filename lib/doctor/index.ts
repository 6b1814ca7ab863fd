// Re-exports only: `xapi-ovn doctor`, every check of the pool and the central as findings with their fixes.
export * from './plan-doctor.js'
export * from './doctor.js'
