// Re-exports only: attach VMs to OVN logical switches through XAPI VIFs (lib/attach).
export * from './errors.js'
export * from './validate-attach.js'
export * from './xapi-vifs.js'
export * from './plan-attach.js'
export * from './plan-vif-fields.js'
export * from './attach.js'
export * from './security-groups.js'
