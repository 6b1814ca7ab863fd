/**
 * xapi-ovn agent: run the pool agent (lib/agent/agent.ts) in the foreground until SIGTERM or
 * SIGINT. Logs go to stderr, one line per event (the journal under systemd, docs/agent.md); the
 * result printed at the end is the agent's last status.
 */
import { startAgent } from '../../agent/agent.js'
import type { OvsdbLogger } from '../../ovsdb/client.js'
import { connectOptions, nbRemoteOption } from '../args.js'
import { Command } from '../command.js'
import { intOption, POOL_OPTIONS, stringOption, UsageError } from '../options.js'
import { EXIT_OK } from '../output.js'

export const agentCommand = new Command('agent', {
  summary: 'keep the northbound in step with XAPI: a port for every VIF on the OVN network',
  description: `Run in the foreground until SIGTERM or SIGINT. Every VIF on the OVN network gets a logical
switch port named after its uuid, on the switch its other_config xapi-ovn-switch names (else its
VM's, else the network's), with its MAC, XAPI's allowed IPs, port security from its locking mode,
and requested-chassis set to the host it runs on (both hosts while it migrates). Ports of VIFs that
XAPI destroyed are removed; ports the agent did not make are never touched. Several agents may run
for one pool: one holds the northbound lock and writes, the others stand by.`,
  options: ['nb', 'network', 'resync-interval', ...POOL_OPTIONS],
  exitStatus: '0 stopped by a signal, 1 could not start, 2 usage error',
  async run(cx) {
    const nb = nbRemoteOption(cx.values, cx.io)
    const resync = intOption(cx.values, 'resync-interval', 0, 86_400) ?? 60
    const network = stringOption(cx.values, 'network')
    const xapi = await connectOptions(cx.values, cx.io)
    cx.out.keepSecret(xapi.password)
    const untilStopped = cx.io.untilStopped
    if (untilStopped === undefined) throw new UsageError('agent runs in the foreground only (no signal to stop it)')
    const log = noteLogger((line) => cx.out.note(line))
    const agent = startAgent({
      xapi,
      nb,
      resyncIntervalMs: resync * 1000,
      ...(network !== undefined ? { network } : {}),
      log,
    })
    const signal = await untilStopped()
    log.info('stopping', { signal })
    await agent.stop()
    const status = agent.status()
    cx.out.result(status, () => `stopped after ${status.passes} pass(es); ${status.managedPorts} port(s) managed`)
    return EXIT_OK
  },
})

/** One line per log record on stderr: level, message, fields as JSON. */
function noteLogger(note: (line: string) => void): OvsdbLogger {
  const line =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void =>
      note(`${level} ${message}${fields === undefined ? '' : ` ${JSON.stringify(fields)}`}`)
  return { debug() {}, info: line('info'), warn: line('warn'), error: line('error') }
}
