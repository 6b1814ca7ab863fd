// Re-exports only: `xapi-ovn show`, one view joining XAPI, the northbound and the southbound.
export * from './model.js'
export * from './plan-show.js'
export * from './read-xapi-io.js'
export * from './read-nb-io.js'
export * from './read-sb-io.js'
export * from './read-cluster-io.js'
export * from './render-show.js'
export * from './show.js'
