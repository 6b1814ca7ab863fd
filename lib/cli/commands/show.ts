/**
 * xapi-ovn show: one view joining XAPI, the northbound and the southbound (lib/show): hosts and
 * their chassis, switches, routers, every port with XAPI's host beside the SB binding's chassis,
 * the central's RAFT members and northd, and the findings. Changes nothing.
 */
import { ovsdbRemoteList } from '../../chassis/validators.js'
import { connectSouthbound, renderShow, showPool } from '../../show/index.js'
import { nbRemoteOption, selectionOption } from '../args.js'
import { Command } from '../command.js'
import { withNorthboundAndPool } from '../connections.js'
import { CONNECTION_OPTIONS, flag, stringList, stringOption, UsageError, type OptionValues } from '../options.js'
import { EXIT_OK, type CommandIo } from '../output.js'

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
xapi-ovn command that fixes it. Findings are not errors: show changes nothing and exits 0.`,
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
    'json',
    'quiet',
  ],
  exitStatus: '0 read (whatever it finds), 1 XAPI or a database could not be read, 2 usage error',
  async run(cx) {
    const nbRemotes = nbRemoteOption(cx.values, cx.io)
    const sbRemotes = sbRemoteOption(cx.values, cx.io)
    const selection = selectionOption(cx.values)
    const northdCtl = stringOption(cx.values, 'northd-ctl')
    // The southbound connects while XAPI and the northbound do (withNorthboundAndPool opens
    // those two in turn); it is closed whatever happens, including when it was never used.
    const connecting = connectSouthbound(sbRemotes)
    connecting.catch(() => undefined)
    try {
      return await withNorthboundAndPool(cx, async (nb, pool) => {
        const view = await showPool(pool, nb, await connecting, {
          nbRemotes,
          sbRemotes,
          nbCtl: stringList(cx.values, 'nb-ctl'),
          sbCtl: stringList(cx.values, 'sb-ctl'),
          ...(northdCtl !== undefined ? { northdCtl } : {}),
          ...(selection.network !== undefined ? { network: selection.network } : {}),
          ...(selection.concurrency !== undefined ? { concurrency: selection.concurrency } : {}),
          hostPorts: !flag(cx.values, 'no-host-ports'),
        })
        cx.out.result(view, () => renderShow(view))
        return EXIT_OK
      })
    } finally {
      const sb = await connecting.catch(() => undefined)
      await sb?.close().catch(() => undefined)
    }
  },
})
