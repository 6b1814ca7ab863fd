/**
 * At most one host agent per Open vSwitch database: the agent holds an abstract unix socket
 * (Linux, unix(7)) named after the database's run directory. The kernel releases it when the
 * process dies however it dies, so there is no stale lock and no recycled-pid confusion; it is
 * scoped to the network namespace, and a second agent there gets EADDRINUSE. Nothing is ever
 * read from the socket: a connection is closed at once.
 */
import { createServer, type Server } from 'node:net'

export class AlreadyRunningError extends Error {
  constructor(instance: string) {
    super(`another xapi-ovn host agent already runs for ${instance}`)
    this.name = 'AlreadyRunningError'
  }
}

export function instanceName(ovsRundir: string): string {
  return `xapi-ovn-host-agent:${ovsRundir}`
}

/** Hold the instance name until release(); rejects with AlreadyRunningError if it is held. */
export function holdInstance(ovsRundir: string): Promise<{ release(): Promise<void> }> {
  const name = instanceName(ovsRundir)
  const server: Server = createServer((socket) => socket.destroy())
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new AlreadyRunningError(name) : err)
    })
    server.listen({ path: `\0${name}` }, () => {
      server.unref()
      resolve({ release: () => new Promise<void>((r) => server.close(() => r())) })
    })
  })
}
