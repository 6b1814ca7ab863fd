/**
 * xapi-ovn doctor: verify on every host, the OVN network's checks, and (given --nb and --sb) show's
 * findings and the central's reachability, as one list of findings, each with the one xapi-ovn
 * command that fixes it (lib/doctor). Exit 1 when any finding is an error. Changes nothing.
 */
import { ovsdbRemoteList } from '../../chassis/validators.js'
import { doctor, type DoctorCentral } from '../../doctor/index.js'
import { MAX_WAIT_SECONDS } from '../../pool/index.js'
import { selectionOption } from '../args.js'
import { Command } from '../command.js'
import { onPool } from '../connections.js'
import { flag, intOption, POOL_OPTIONS, stringList, stringOption, UsageError, type OptionValues } from '../options.js'
import type { CommandIo } from '../output.js'
import { renderDoctor } from '../render.js'

/** --nb / --sb, or OVN_NB_DB / OVN_SB_DB as ovn-nbctl and ovn-sbctl read them; both or neither. */
function centralOption(values: OptionValues, io: CommandIo): DoctorCentral | undefined {
  const nb = stringOption(values, 'nb') ?? (io.env.OVN_NB_DB || undefined)
  const sb = stringOption(values, 'sb') ?? (io.env.OVN_SB_DB || undefined)
  if (nb === undefined && sb === undefined) return undefined
  if (nb === undefined || sb === undefined)
    throw new UsageError('give both --nb and --sb (or OVN_NB_DB and OVN_SB_DB) to check the central, or neither')
  for (const [name, remote] of [
    ['--nb', nb],
    ['--sb', sb],
  ] as const) {
    const reason = ovsdbRemoteList(remote)
    if (reason !== null) throw new UsageError(`${name}: ${reason}`)
  }
  const northdCtl = stringOption(values, 'northd-ctl')
  return {
    nbRemotes: nb,
    sbRemotes: sb,
    nbCtl: stringList(values, 'nb-ctl'),
    sbCtl: stringList(values, 'sb-ctl'),
    ...(northdCtl !== undefined ? { northdCtl } : {}),
    hostPorts: !flag(values, 'no-host-ports'),
  }
}

export const doctorCommand = new Command('doctor', {
  summary: 'every check of the pool and the central, each finding with the xapi-ovn command that fixes it',
  synopsis: '[--nb REMOTE --sb REMOTE] [--wait SECONDS] [options]',
  description: `Run verify on every host (or --host) and the OVN network's checks; given the central (--nb and
--sb, or OVN_NB_DB and OVN_SB_DB), also read it as show does and add show's findings and whether
each database answers. Every failed or warning check and every finding is listed with its
severity and the one xapi-ovn command that fixes it (none when no xapi-ovn command does: the hint
says what to do). Changes nothing.`,
  options: ['nb', 'sb', 'wait', 'nb-ctl', 'sb-ctl', 'northd-ctl', 'no-host-ports', ...POOL_OPTIONS],
  exitStatus: '0 no finding is an error, 1 some is (or XAPI cannot be read), 2 usage error',
  async run(cx) {
    const central = centralOption(cx.values, cx.io)
    const wait = intOption(cx.values, 'wait', 0, MAX_WAIT_SECONDS)
    const selection = selectionOption(cx.values)
    return onPool(
      cx,
      (pool, onProgress) =>
        doctor(pool, {
          ...selection,
          ...(wait !== undefined ? { wait } : {}),
          ...(central !== undefined ? { central } : {}),
          ...(onProgress !== undefined ? { onProgress } : {}),
        }),
      renderDoctor,
    )
  },
})
