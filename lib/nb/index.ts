// Re-exports only: OVN northbound operations (logical switches, VIF ports, localnet ports).
export * from './errors.js'
export * from './model.js'
export * from './validate-inputs.js'
export * from './snapshot.js'
export * from './plan-switch.js'
export * from './plan-ports.js'
export * from './plan-localnet.js'
export * from './northbound.js'
