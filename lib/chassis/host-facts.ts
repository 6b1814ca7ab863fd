/**
 * The facts about this host the chassis rules need, read from the host itself: its UUID (the
 * INSTALLATION_UUID of /etc/xensource-inventory, which ovs-ctl also copies into system-id) and its
 * IP addresses.
 */
import { readFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { InventoryError } from './errors.js'
import { isUuid } from './validators.js'
import { errnoOf } from '../error-text.js'

/** Parse the KEY='value' lines of xensource-inventory. */
export function parseInventory(text: string): Map<string, string> {
  const values = new Map<string, string>()
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const m = /^([A-Z0-9_]+)=(?:'([^']*)'|"([^"]*)"|(\S*))$/.exec(line)
    if (m?.[1] !== undefined) values.set(m[1], m[2] ?? m[3] ?? m[4] ?? '')
  }
  return values
}

/** Synchronous on purpose: one small file, read once per one-shot plugin call (no thread pool). */
export async function readHostUuid(path: string): Promise<string> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw new InventoryError(path, errnoOf(e) ?? String(e))
  }
  const uuid = parseInventory(text).get('INSTALLATION_UUID')
  if (uuid === undefined) throw new InventoryError(path, 'no INSTALLATION_UUID')
  if (!isUuid(uuid)) throw new InventoryError(path, 'INSTALLATION_UUID is not a UUID')
  return uuid
}

/** Every address on every interface of this host (of the network namespace it runs in). */
export function localAddresses(): string[] {
  const out: string[] = []
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) out.push(a.address.split('%')[0] ?? a.address)
  }
  return out
}
