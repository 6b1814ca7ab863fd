/**
 * Where the southbound says each logical port is bound: Port_Binding.logical_port -> the name of
 * its Chassis (our chassis names are host UUIDs, lib/chassis). `status` takes OVN-BOUND from this,
 * not from the host's `ovn-installed` (which only says ovn-controller installed flows on that host
 * once, and stays after the binding moved). One transaction, two selects; the connection is
 * closed before returning. Any member of a cluster will do (a follower answers reads).
 */
import { OvsdbClient } from '../ovsdb/client.js'
import type { SslOptions } from '../ovsdb/remote.js'
import { setItems } from '../ovsdb/codec.js'
import { op } from '../ovsdb/operations.js'
import { selectedRows, uuidValue } from '../ovsdb/row-values.js'

export const SB_DB = 'OVN_Southbound'

/** Every bound logical port and the name of the chassis it is bound on. `ssl`: for ssl: remotes. */
export async function readBindings(
  remotes: string,
  options: { readonly ssl?: SslOptions; readonly timeoutMs?: number } = {},
): Promise<Map<string, string>> {
  const sb = await OvsdbClient.connect(remotes, {
    database: SB_DB,
    leaderOnly: false,
    timeoutMs: options.timeoutMs ?? 5000,
    ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
  })
  try {
    const [chassisRows, bindingRows] = (
      await sb.transact(SB_DB, [
        op.select('Chassis', [], ['_uuid', 'name']),
        op.select('Port_Binding', [], ['logical_port', 'chassis']),
      ])
    ).map(selectedRows)
    const names = new Map((chassisRows ?? []).map((r) => [uuidValue(r._uuid), String(setItems(r.name)[0] ?? '')]))
    const out = new Map<string, string>()
    for (const r of bindingRows ?? []) {
      const chassis = setItems(r.chassis)[0]
      const port = setItems(r.logical_port)[0]
      if (chassis === undefined || typeof port !== 'string') continue
      const name = names.get(uuidValue(chassis))
      if (name !== undefined) out.set(port, name)
    }
    return out
  } finally {
    await sb.close().catch(() => undefined)
  }
}

/**
 * The southbound remotes to read bindings from: the caller's, else the `ovn-remote` the hosts'
 * chassis use, when it is not ssl: or when we hold a client credential for it (`haveSsl`: an
 * ssl: remote wants a certificate its CA signed). The reason when there is none to use.
 */
export function bindingRemotes(
  given: string | undefined,
  hostRemotes: readonly string[],
  haveSsl = false,
): { remotes: string } | { none: string } {
  if (given !== undefined) return { remotes: given }
  const first = hostRemotes.find((r) => r !== '')
  if (first === undefined) return { none: 'no host has ovn-remote set and no --sb was given' }
  if (!haveSsl && first.split(',').some((r) => r.trim().startsWith('ssl:')))
    return {
      none: `the chassis use ${first} (ssl:): give -p/-c/-C for it, or --sb with a remote this machine can read`,
    }
  return { remotes: first }
}
