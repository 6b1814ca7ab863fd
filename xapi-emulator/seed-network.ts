/**
 * Seeding the pool's network objects as XAPI and networkd would have them: networks, PIFs with
 * their PIF_metrics, VLANs (untagged PIF over a tagged one) and bonds (master PIF over slaves).
 */
import type { Database } from './database.js'
import { str } from './methods/registry.js'
import { randomMac } from './random-mac.js'

export interface PifSeed {
  readonly host: string
  readonly network: string
  readonly device: string
  readonly MAC?: string
  readonly MTU?: number
  readonly physical?: boolean
  readonly management?: boolean
  readonly currently_attached?: boolean
  readonly ip_configuration_mode?: 'None' | 'DHCP' | 'Static'
  readonly IP?: string
  readonly netmask?: string
  readonly gateway?: string
  readonly DNS?: string
  readonly VLAN?: number
  readonly other_config?: Record<string, string>
}

export interface NetworkSeed {
  name_label: string
  bridge: string
  uuid?: string
  MTU?: number
  other_config?: Record<string, string>
}

export interface VlanSeed {
  taggedPif: string
  tag: number
  network: string
  currently_attached?: boolean
  ip?: Partial<PifSeed>
}

export interface BondSeed {
  slaves: readonly string[]
  device: string
  network: string
  mode?: 'balance-slb' | 'active-backup' | 'lacp'
  ip?: Partial<PifSeed>
}

export function addNetwork(db: Database, fields: NetworkSeed): string {
  return db.create('network', { name_description: '', ...fields })
}

/** A PIF with its PIF_metrics. MAC defaults to a random local address. */
export function addPif(db: Database, seed: PifSeed): string {
  db.row('host', seed.host)
  db.row('network', seed.network)
  const metrics = db.create('PIF_metrics', { carrier: seed.currently_attached ?? true })
  const { MAC, ...rest } = seed
  return db.create('PIF', { ...rest, MAC: MAC ?? randomMac(), metrics })
}

/** A VLAN: the untagged PIF `device` on `network`, over `taggedPif`, with its VLAN record. */
export function addVlan(db: Database, seed: VlanSeed): { pif: string; vlan: string } {
  const tagged = db.get('PIF', seed.taggedPif)
  const pif = addPif(db, {
    ...seed.ip,
    host: str(tagged.host),
    network: seed.network,
    device: str(tagged.device),
    MAC: str(tagged.MAC),
    VLAN: seed.tag,
    physical: false,
    currently_attached: seed.currently_attached ?? true,
  })
  const vlan = db.create('VLAN', { tagged_PIF: seed.taggedPif, untagged_PIF: pif, tag: seed.tag })
  db.set('PIF', pif, { VLAN_master_of: vlan })
  return { pif, vlan }
}

/** A bond: master PIF `device` on `network` over `slaves` (PIFs of one host). */
export function addBond(db: Database, seed: BondSeed): { pif: string; bond: string } {
  const first = seed.slaves[0]
  if (first === undefined) throw new Error('a bond needs slaves')
  const slave = db.get('PIF', first)
  const pif = addPif(db, {
    ...seed.ip,
    host: str(slave.host),
    network: seed.network,
    device: seed.device,
    MAC: str(slave.MAC),
    physical: false,
    currently_attached: true,
  })
  const bond = db.create('Bond', {
    master: pif,
    mode: seed.mode ?? 'balance-slb',
    primary_slave: first,
    links_up: seed.slaves.length,
  })
  for (const s of seed.slaves) db.set('PIF', s, { bond_slave_of: bond })
  return { pif, bond }
}
