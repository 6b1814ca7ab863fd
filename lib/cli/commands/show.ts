/**
 * xapi-ovn show: one view joining XAPI, the northbound and the southbound (lib/show): hosts and
 * their chassis, switches, routers, every port with XAPI's host beside the SB binding's chassis,
 * the central's RAFT members and northd, and the findings. Changes nothing.
 */
import { ovsdbRemoteList } from '../../chassis/validators.js'
import { connectSouthbound, renderDot, renderShow, showPool, type ShowView } from '../../show/index.js'
import { nbRemoteOption, nbSslOption, selectionOption } from '../args.js'
import { Command } from '../command.js'
import { withNorthboundAndPool } from '../connections.js'
import { CONNECTION_OPTIONS, flag, stringList, stringOption, UsageError, type OptionValues } from '../options.js'
import { EXIT_OK, type CommandIo } from '../output.js'

const FORMATS = ['text', 'json', 'dot', 'svg'] as const
type Format = (typeof FORMATS)[number]

function isFormat(v: string): v is Format {
  return FORMATS.some((f) => f === v)
}

/** --format (text, json, dot, svg); --json is --format json, and the two cannot disagree. */
function formatOption(values: OptionValues): Format {
  const v = stringOption(values, 'format')
  if (v === undefined) return flag(values, 'json') ? 'json' : 'text'
  if (!isFormat(v)) throw new UsageError(`--format expects ${FORMATS.join(', ')}, not ${JSON.stringify(v)}`)
  if (flag(values, 'json') && v !== 'json')
    throw new UsageError(`--json and --format ${v} ask for two outputs: give one`)
  return v
}

/** The picture: DOT as is, or drawn to SVG by Graphviz (loaded on use: a child process). */
async function picture(view: ShowView, format: 'dot' | 'svg'): Promise<string> {
  const dot = renderDot(view)
  if (format === 'dot') return dot.trimEnd()
  const { renderSvg } = await import('../../show/render-svg-io.js')
  return (await renderSvg(dot)).trimEnd()
}

/** --sb, or OVN_SB_DB as ovn-sbctl reads it. */
function sbRemoteOption(values: OptionValues, io: CommandIo): string {
  const remote = stringOption(values, 'sb') ?? io.env.OVN_SB_DB
  if (remote === undefined || remote === '')
    throw new UsageError('no southbound database: give --sb REMOTE or set OVN_SB_DB')
  const reason = ovsdbRemoteList(remote)
  if (reason !== null) throw new UsageError(`--sb: ${reason}`)
  return remote
}

export const showCommand = new Command('show', {
  summary: 'one view of XAPI, the northbound and the southbound: hosts, chassis, ports, RAFT, findings',
  description: `Per pool: each host with its SB chassis (encaps, what the tunnel carries, nb_cfg lag), the NB and
SB RAFT members (each remote's _Server row; cluster/status with --nb-ctl/--sb-ctl on the central
host), ovn-northd's progress (NB_Global, SB_Global; its status with --northd-ctl), the logical
switches and routers, and every port with its VM, VIF device, the host XAPI says the VM runs on
and the chassis its binding is on. Then the findings, each with a stable OVN_SHOW_* code and the
xapi-ovn command that fixes it. Findings are not errors: show changes nothing and exits 0.
--format dot prints the topology as Graphviz DOT (a cluster per host with its chassis and VMs,
switches, routers, each VIF's edge to its switch, the tunnels between chassis, problems in red);
--format svg draws it with Graphviz's dot, which must be installed:
  xapi-ovn show --format svg > pool.svg`,
  options: [
    'nb',
    'sb',
    'nb-ctl',
    'sb-ctl',
    'northd-ctl',
    'no-host-ports',
    'network',
    'concurrency',
    ...CONNECTION_OPTIONS,
    'format',
    'json',
    'quiet',
  ],
  exitStatus: '0 read (whatever it finds), 1 XAPI, a database or Graphviz failed, 2 usage error',
  async run(cx) {
    const format = formatOption(cx.values)
    const nbRemotes = nbRemoteOption(cx.values, cx.io)
    const sbRemotes = sbRemoteOption(cx.values, cx.io)
    const selection = selectionOption(cx.values)
    const northdCtl = stringOption(cx.values, 'northd-ctl')
    // One credential for both databases and every member's _Server read (args.ts nbSslOption).
    const ssl = await nbSslOption(cx.values, cx.io, nbRemotes, sbRemotes)
    // The southbound connects while XAPI and the northbound do (withNorthboundAndPool opens
    // those two in turn); it is closed whatever happens, including when it was never used.
    const connecting = connectSouthbound(sbRemotes, ssl === undefined ? {} : { ssl })
    connecting.catch(() => undefined)
    try {
      return await withNorthboundAndPool(
        cx,
        async (nb, pool) => {
          const view = await showPool(pool, nb, await connecting, {
            nbRemotes,
            sbRemotes,
            ...(ssl === undefined ? {} : { ssl }),
            nbCtl: stringList(cx.values, 'nb-ctl'),
            sbCtl: stringList(cx.values, 'sb-ctl'),
            ...(northdCtl !== undefined ? { northdCtl } : {}),
            ...(selection.network !== undefined ? { network: selection.network } : {}),
            ...(selection.concurrency !== undefined ? { concurrency: selection.concurrency } : {}),
            hostPorts: !flag(cx.values, 'no-host-ports'),
          })
          if (format === 'dot' || format === 'svg') {
            const text = await picture(view, format)
            cx.out.result(view, () => text)
          } else if (format === 'json')
            cx.out.withMode({ json: true, quiet: flag(cx.values, 'quiet') }).result(view, () => renderShow(view))
          else cx.out.result(view, () => renderShow(view))
          return EXIT_OK
        },
        { ssl },
      )
    } finally {
      const sb = await connecting.catch(() => undefined)
      await sb?.close().catch(() => undefined)
    }
  },
})
