/**
 * Entry of the host agent (`dist/xapi-ovn-host-agent`, run by systemd as xapi-ovn-agent.service):
 * one instance per host, logs to stderr (the journal), stops cleanly on SIGTERM/SIGINT.
 *
 * Exit status: 0 stopped by a signal; 1 failed to start; 3 another agent runs already.
 *
 * `--ensure-integration-bridge`: the boot one-shot of xapi-ovn-br-int.service instead
 * (boot-bridge.ts): make br-int in an experimental integration mode, then exit 0 (1: failed).
 */
import { errorStackText } from '../lib/error-text.js'
import { systemClock } from '../lib/clock.js'
import { lineLogger } from '../lib/log.js'
import { HostAgent } from './agent.js'
import { FirewallPortKeeper } from './firewall.js'
import { pathsFromEnv } from '../plugin/context.js'
import { AlreadyRunningError, holdInstance } from './single-instance.js'
import { ensureBootBridge } from './boot-bridge.js'

export const EXIT_ALREADY_RUNNING = 3

async function main(): Promise<number> {
  const log = lineLogger((line) => process.stderr.write(`${line}\n`), {}, 'agent')
  // The plugin's own paths (plugin/context.ts): one set of variables for both host programs.
  const paths = pathsFromEnv(process.env)
  if (process.argv.includes('--ensure-integration-bridge')) {
    log.info('integration bridge at boot', { outcome: await ensureBootBridge(paths, log, systemClock) })
    return 0
  }
  let instance: Awaited<ReturnType<typeof holdInstance>>
  try {
    instance = await holdInstance(paths.ovsRundir)
  } catch (err) {
    if (err instanceof AlreadyRunningError) {
      log.error(err.message)
      return EXIT_ALREADY_RUNNING
    }
    throw err
  }
  const agent = new HostAgent({
    paths,
    log,
    clock: systemClock,
    firewall: new FirewallPortKeeper(paths.firewallPort, log),
  })
  const stop = (): void => {
    void agent.stop()
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  log.info('started', { db: paths.ovsDbRemote, stateDir: paths.stateDir })
  await agent.run()
  log.info('stopped', { ...agent.counters })
  await instance.release()
  return 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`xapi-ovn-host-agent: ${errorStackText(err)}\n`)
    process.exitCode = 1
  },
)
