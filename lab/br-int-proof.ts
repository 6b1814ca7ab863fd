/**
 * What the lab checks of the br-int way (issue 12; the experimental integration modes, README
 * "The br-int way"), shared by test/integration/lab-br-int.test.ts and bench/br-int.ts: where a
 * VIF's port is on a host (found by the `xs-vif-uuid` xenopsd gives its Interface), whether it
 * is bound there, and a live migration of a lab guest that waits for its port to bind on the
 * destination.
 */
import type { LabHost } from './host.js'
import type { LabGuest, OverlayLab } from './overlay-lab.js'
import { sbPortBindings } from './southbound-view.js'
import { waitFor } from './wait.js'

export interface VifPort {
  readonly name: string
  readonly bridge: string
  readonly externalIds: string
}

/** The ports of this VIF on `host` (none, one, or two while an HVM tap exists or a migration runs). */
export async function vifPorts(host: LabHost, vifUuid: string): Promise<VifPort[]> {
  const names = (
    await host.vsctl('--bare', '--columns=name', 'find', 'Interface', `external_ids:xs-vif-uuid=${vifUuid}`)
  )
    .split('\n')
    .map((n) => n.trim())
    .filter((n) => n !== '')
  const out: VifPort[] = []
  for (const name of names) {
    const bridge = (await host.vsctl('port-to-br', name)).trim()
    out.push({ name, bridge, externalIds: (await host.vsctl('get', 'Interface', name, 'external_ids')).trim() })
  }
  return out
}

/** Wait until the southbound binds `vifUuid` to `host`'s chassis. */
export async function waitBoundTo(
  lab: OverlayLab,
  vifUuid: string,
  host: LabHost,
  timeoutMs = lab.timeoutMs,
): Promise<void> {
  await waitFor(
    `${vifUuid} bound to ${host.name}`,
    async () => (await sbPortBindings(lab.pool.central)).get(vifUuid)?.chassis === host.uuid,
    { timeoutMs },
  )
}

/** VM.pool_migrate `guest` to `to`, then wait for its tenant port to bind there. */
export async function migrateGuest(lab: OverlayLab, guest: LabGuest, to: LabHost): Promise<void> {
  const session = await lab.session()
  await session.call('VM.pool_migrate', guest.ref, lab.xapi.host(to.uuid).ref, {})
  if (guest.tenantVif !== null) await waitBoundTo(lab, guest.tenantVif, to)
}
