// Re-exports only: the OVSDB client (RFC 7047) and the unixctl client.
export * from './codec.js'
export * from './schema.js'
export * from './operations.js'
export * from './json-stream.js'
export * from './remote.js'
export * from './errors.js'
export * from './client.js'
export * from './unixctl.js'
