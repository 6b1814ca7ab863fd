/**
 * `doctor`: read everything the other commands read - verify on every host (and the OVN
 * network's checks), and, when the central is named, show's join of XAPI, the northbound and the
 * southbound - then let the pure planner (plan-doctor.ts) turn it into findings with their fixes.
 * A database that cannot be reached is a finding, not a failure of doctor. Changes nothing.
 */
import { connectNorthbound } from '../nb/northbound.js'
import type { OvsdbClient } from '../ovsdb/client.js'
import type { XapiPool } from '../pool/connection.js'
import { toFailure } from '../pool/failures.js'
import { verify, type VerifyOptions } from '../pool/verify.js'
import type { ShowView } from '../show/model.js'
import { connectSouthbound } from '../show/read-sb-io.js'
import { showPool } from '../show/show.js'
import { planDoctor, type CentralRead, type DoctorResult } from './plan-doctor.js'

export interface DoctorCentral {
  /** Every NB remote (`--nb`), and every SB remote (`--sb`). */
  readonly nbRemotes: string
  readonly sbRemotes: string
  readonly nbCtl?: readonly string[]
  readonly sbCtl?: readonly string[]
  readonly northdCtl?: string
  /** Ask each host's plugin for its ports (show's stale ovn-installed check); default true. */
  readonly hostPorts?: boolean
}

export interface DoctorOptions extends VerifyOptions {
  /** The central to check; without it only the pool and its hosts are. */
  readonly central?: DoctorCentral
}

async function open(
  db: CentralRead['db'],
  remote: string,
  connect: () => Promise<OvsdbClient>,
): Promise<{ read: CentralRead; client: OvsdbClient | null }> {
  try {
    return { read: { db, remote, ok: true }, client: await connect() }
  } catch (err) {
    return { read: { db, remote, ok: false, error: toFailure(err) }, client: null }
  }
}

export async function doctor(pool: XapiPool, options: DoctorOptions = {}): Promise<DoctorResult> {
  const { central, ...verifyOptions } = options
  if (central === undefined)
    return planDoctor({ verify: await verify(pool, verifyOptions), show: null, central: [], ovnRemote: null })
  const [nb, sb] = await Promise.all([
    open('northbound', central.nbRemotes, () => connectNorthbound(central.nbRemotes)),
    open('southbound', central.sbRemotes, () => connectSouthbound(central.sbRemotes)),
  ])
  try {
    const readShow = async (): Promise<ShowView | null> => {
      if (nb.client === null || sb.client === null) return null
      return showPool(pool, nb.client, sb.client, {
        nbRemotes: central.nbRemotes,
        sbRemotes: central.sbRemotes,
        ...(central.nbCtl !== undefined ? { nbCtl: central.nbCtl } : {}),
        ...(central.sbCtl !== undefined ? { sbCtl: central.sbCtl } : {}),
        ...(central.northdCtl !== undefined ? { northdCtl: central.northdCtl } : {}),
        ...(central.hostPorts !== undefined ? { hostPorts: central.hostPorts } : {}),
        ...(options.network !== undefined ? { network: options.network } : {}),
        ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      })
    }
    const [verified, show] = await Promise.all([verify(pool, verifyOptions), readShow()])
    return planDoctor({ verify: verified, show, central: [nb.read, sb.read], ovnRemote: central.sbRemotes })
  } finally {
    await Promise.all([nb.client?.close().catch(() => undefined), sb.client?.close().catch(() => undefined)])
  }
}
