/**
 * xapi-ovn agent: run the pool agent (lib/agent/agent.ts) in the foreground until SIGTERM or
 * SIGINT, and `xapi-ovn agent status`: ask a running one through its /healthz. Logs go to stderr
 * through the one logger (lib/log.ts: the journal under systemd; `--log-format json` for a
 * collector); the result printed at the end is the agent's last status. docs/agent.md says how to
 * run it as a service or in a container.
 */
import type { AgentStatus } from '../../agent/agent.js'
import { formatListenAddress, HEALTH_PATH, parseListenAddress } from '../../agent/listen-address.js'
import { errorText } from '../../error-text.js'
import { isLogFormat, lineLogger } from '../../log.js'
import { AgentUnreachableError } from '../../agent/errors.js'
import { isRecord } from '../../shape.js'
import { connectOptions, nbRemoteOption, nbSslOption } from '../args.js'
import { Command, type Action } from '../command.js'
import { intOption, POOL_OPTIONS, requiredString, stringOption, UsageError } from '../options.js'
import { EXIT_FAILED, EXIT_OK } from '../output.js'

function logFormat(value: string | undefined): 'text' | 'json' {
  const v = value ?? 'text'
  if (!isLogFormat(v)) throw new UsageError(`--log-format: expected text or json, not ${JSON.stringify(v)}`)
  return v
}

function renderStatus(s: AgentStatus): string {
  const lines = [
    `pool ${s.pool ?? '(not read yet)'}: ${s.active ? 'active (holds the northbound lock)' : `standby (lock ${s.nb.lock})`}`,
    `  XAPI        ${s.xapi.connected ? 'connected' : 'DISCONNECTED'} ${s.xapi.url}, ${s.xapi.events} event(s), ${s.xapi.fullReads} full read(s)`,
    `  northbound  ${s.nb.connected ? `connected ${s.nb.remote ?? ''}` : 'DISCONNECTED'}`,
    `  ports       ${s.managedPorts} managed; ${s.passes} pass(es)${s.lastPass === null ? '' : `, last: ${s.lastPass.created} created, ${s.lastPass.updated} updated, ${s.lastPass.deleted} deleted (${s.lastPass.reason})`}`,
  ]
  if (s.lastError !== null) lines.push(`  last error  ${s.lastError.code}: ${s.lastError.message}`)
  for (const f of [...s.findings, ...s.warnings]) lines.push(`  VIF ${f.vif}: ${f.code} ${f.message}`)
  return lines.join('\n')
}

const run: Action = {
  summary: 'keep the northbound in step with XAPI: a port for every VIF on the OVN network',
  description: `Run in the foreground until SIGTERM or SIGINT. Every VIF on the OVN network gets a logical
switch port named after its uuid, on the switch its other_config xapi-ovn-switch names (else its
VM's, else the network's), with its MAC, XAPI's allowed IPs, port security from its locking mode,
and requested-chassis set to the host it runs on (both hosts while it migrates). Ports of VIFs that
XAPI destroyed are removed; ports the agent did not make are never touched. Several agents may run
for one pool: one holds the northbound lock and writes, the others stand by.`,
  options: ['nb', 'network', 'resync-interval', 'metrics', 'log-format', ...POOL_OPTIONS],
  exitStatus: '0 stopped by a signal, 1 could not start, 2 usage error',
  async run(cx) {
    const nb = nbRemoteOption(cx.values, cx.io)
    const ssl = await nbSslOption(cx.values, cx.io, nb)
    const resync = intOption(cx.values, 'resync-interval', 0, 86_400) ?? 60
    const network = stringOption(cx.values, 'network')
    const format = logFormat(stringOption(cx.values, 'log-format'))
    const metricsAt = stringOption(cx.values, 'metrics')
    const address = metricsAt === undefined ? undefined : parseListenAddress(metricsAt)
    const xapi = await connectOptions(cx.values, cx.io)
    cx.out.keepSecret(xapi.password)
    const untilStopped = cx.io.untilStopped
    if (untilStopped === undefined) throw new UsageError('agent runs in the foreground only (no signal to stop it)')
    const log = lineLogger((line) => cx.out.note(line), { format }, 'agent')
    // Loaded here, not at start-up: every other command (and --help) starts without them.
    const { startAgent } = await import('../../agent/agent.js')
    const { serveMetrics } = await import('../../agent/metrics-http-io.js')
    const agent = startAgent({
      xapi,
      nb,
      ...(ssl === undefined ? {} : { nbOptions: { ssl } }),
      resyncIntervalMs: resync * 1000,
      ...(network !== undefined ? { network } : {}),
      log,
    })
    const server =
      address === undefined
        ? undefined
        : await serveMetrics({
            address,
            metrics: () => agent.metricsText(),
            health: () => ({ ...agent.status() }),
          }).catch(async (err: unknown) => {
            await agent.stop()
            throw err
          })
    if (server !== undefined) log.info('serving /metrics and /healthz', { url: server.url })
    const signal = await untilStopped()
    log.info('stopping', { signal })
    await server?.close()
    await agent.stop()
    const status = agent.status()
    cx.out.result(status, () => renderStatus(status))
    return EXIT_OK
  },
}

const status: Action = {
  summary: 'ask a running agent what it is doing (its /healthz)',
  synopsis: '--metrics HOST:PORT [options]',
  description: `Read the /healthz of the agent serving --metrics HOST:PORT: XAPI and northbound connections,
whether it holds the lock (active) or stands by, the ports it manages, its last pass and every VIF
it could not give a port, with the reason.`,
  options: ['metrics'],
  required: ['metrics'],
  exitStatus: '0 the agent is healthy, 1 it is not (or does not answer), 2 usage error',
  async run(cx) {
    const address = parseListenAddress(requiredString(cx.values, 'metrics'))
    const url = `http://${formatListenAddress(address)}${HEALTH_PATH}`
    let body: unknown
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) })
      body = await res.json()
    } catch (err) {
      throw new AgentUnreachableError(url, `it does not answer: ${errorText(err)}`)
    }
    if (!isAgentStatus(body)) throw new AgentUnreachableError(url, 'the answer is not an agent status')
    cx.out.result(body, () => renderStatus(body))
    return body.ok ? EXIT_OK : EXIT_FAILED
  },
}

/** A type guard over what /healthz answered: the fields renderStatus reads. */
function isAgentStatus(v: unknown): v is AgentStatus {
  return (
    isRecord(v) &&
    typeof v.ok === 'boolean' &&
    typeof v.active === 'boolean' &&
    isRecord(v.xapi) &&
    isRecord(v.nb) &&
    typeof v.passes === 'number' &&
    typeof v.managedPorts === 'number' &&
    Array.isArray(v.findings) &&
    v.findings.every((f: unknown) => isRecord(f) && typeof f.vif === 'string' && typeof f.code === 'string')
  )
}

export const agentCommand = new Command('agent', {
  summary: run.summary,
  description: `${run.description}

'xapi-ovn agent [options]' runs the agent; 'xapi-ovn agent status --metrics HOST:PORT' asks one.`,
  verbs: { run, status },
  defaultVerb: 'run',
})
