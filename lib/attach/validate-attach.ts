/**
 * One parser per caller-supplied value of VM attachment, run before anything is read or written:
 * a mistake in the 40th VM of a batch leaves the pool and the northbound database untouched.
 * Each throws InvalidArgumentError (`OVN_INVALID_ARGUMENT` [key, value, reason]) naming the
 * exact field (`vms[3].ips[1]`). Pure.
 */
import { isUuid, printable } from '../chassis/validators.js'
import { InvalidArgumentError } from '../errors.js'
import { isRecord } from '../shape.js'
import { parseIp, parseMac, parseSwitchRef, parseVifUuids } from '../nb/validate-inputs.js'

/** One VM to put on a logical switch. */
export interface VmAttachSpec {
  /** The VM: uuid, OpaqueRef or name_label (unique in the pool). */
  readonly vm: string
  /** Static addresses of the port, or 'dynamic' (the switch needs other_config:subnet). Default []. */
  readonly ips?: readonly string[] | 'dynamic'
  /**
   * The VIF device number ("0", "1", ...). Given: that VIF (created on the OVN network if the VM
   * has no such device). Omitted: a VIF of the VM already on the OVN network that is free (no
   * logical port anywhere) or already on this switch, else a new VIF on the lowest free device.
   */
  readonly device?: string
  /** MAC for a VIF created here (default: XAPI generates one); an existing VIF must have it. */
  readonly mac?: string
}

export interface AttachVmsOptions {
  /** The logical switch (name or row UUID); it must exist. */
  readonly switch: string
  readonly vms: readonly VmAttachSpec[]
  /** The OVN network (uuid or name_label, default `ovn-int`). */
  readonly network?: string
  /** Plug VIFs of running VMs (default true). */
  readonly plug?: boolean
  /** port_security from each port's MAC and static IPs (default true; lib/nb VifPortSpec). */
  readonly portSecurity?: boolean
  /** Allow changing the addresses of a port whose VIF is plugged (default false: refused, OVN_PORT_LIVE). */
  readonly update?: boolean
}

export interface DetachVmsOptions {
  /** VMs whose VIFs on the OVN network are detached (only those on `switch`, when given). */
  readonly vms?: readonly string[]
  /** VIFs by uuid (the VIF may already be gone from XAPI: its port is still removed). */
  readonly vifs?: readonly string[]
  /** Only VIFs whose port is on this logical switch. */
  readonly switch?: string
  readonly network?: string
  /** Remove the logical ports only, leave the VIFs in XAPI (default false: unplug + destroy them). */
  readonly keepVifs?: boolean
}

export interface ParsedVmAttach {
  readonly vm: string
  readonly ips: readonly string[] | 'dynamic'
  readonly device: string | null
  readonly mac: string | null
}

export interface ParsedAttach {
  readonly switch: string
  readonly vms: readonly ParsedVmAttach[]
  readonly network: string | undefined
  readonly plug: boolean
  readonly portSecurity: boolean
  readonly update: boolean
}

export interface ParsedDetach {
  readonly vms: readonly string[]
  readonly vifs: readonly string[]
  readonly switch: string | undefined
  readonly network: string | undefined
  readonly keepVifs: boolean
}

/** At most this many VMs per call: one NB transaction, one XAPI call each. */
export const MAX_VMS = 1000

const DEVICE = /^(0|[1-9][0-9]?)$/

function bad(key: string, value: unknown, reason: string): never {
  throw new InvalidArgumentError(key, typeof value === 'string' ? value : safeJson(value), reason)
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

function object(key: string, value: unknown, fields: readonly string[]): Readonly<Record<string, unknown>> {
  if (!isRecord(value)) bad(key, value, `expected an object {${fields.join(', ')}}`)
  for (const f of Object.keys(value)) if (!fields.includes(f)) bad(key, f, `unknown field (${fields.join(', ')})`)
  return value
}

/** A VM reference: uuid, OpaqueRef or name_label; printable, 1-256 characters. */
export function parseVmRef(value: unknown, key = 'vm'): string {
  if (typeof value !== 'string') bad(key, value, 'expected the uuid, name_label or OpaqueRef of a VM')
  if (value.trim() === '') bad(key, value, 'empty VM reference')
  if (value.length > 256) bad(key, value, 'VM references are at most 256 characters')
  const reason = printable(value)
  if (reason !== null) bad(key, value, reason)
  if (value === 'OpaqueRef:NULL') bad(key, value, 'the null reference names no VM')
  return value
}

/** A VIF device number as XAPI spells it: "0" to "99". */
export function parseDevice(value: unknown, key = 'device'): string {
  if (typeof value !== 'string' || !DEVICE.test(value))
    bad(key, value, 'expected a VIF device number such as "0" or "1"')
  return value
}

function parseIps(value: unknown, key: string): readonly string[] | 'dynamic' {
  if (value === undefined) return []
  if (value === 'dynamic') return 'dynamic'
  if (!Array.isArray(value)) bad(key, value, 'expected an array of IP addresses or "dynamic"')
  const seen = new Set<string>()
  return value.map((ip: unknown, i: number) => {
    const parsed = parseIp(ip, `${key}[${i}]`)
    if (seen.has(parsed)) bad(`${key}[${i}]`, parsed, 'listed twice')
    seen.add(parsed)
    return parsed
  })
}

function parseNetworkSelector(value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value === '' || value.length > 256 || printable(value) !== null)
    bad('network', value, 'expected the uuid or name_label of the OVN network')
  return value
}

export function parseAttachOptions(value: unknown): ParsedAttach {
  const o = object('options', value, ['switch', 'vms', 'network', 'plug', 'portSecurity', 'update'])
  const sw = parseSwitchRef(o.switch, 'switch')
  const rawVms = o.vms
  if (!Array.isArray(rawVms) || rawVms.length === 0)
    bad('vms', rawVms, 'expected a non-empty array of {vm, ips?, device?, mac?}')
  if (rawVms.length > MAX_VMS) bad('vms', String(rawVms.length), `at most ${MAX_VMS} VMs per call`)
  const vms = rawVms.map((item: unknown, i: number): ParsedVmAttach => {
    const k = `vms[${i}]`
    const v = object(k, item, ['vm', 'ips', 'device', 'mac'])
    return {
      vm: parseVmRef(v.vm, `${k}.vm`),
      ips: parseIps(v.ips, `${k}.ips`),
      device: v.device === undefined ? null : parseDevice(v.device, `${k}.device`),
      mac: v.mac === undefined ? null : parseMac(v.mac, `${k}.mac`),
    }
  })
  // The same reference twice only makes sense for two different, explicit devices.
  vms.forEach((a, i) => {
    const j = vms.findIndex(
      (b, jj) => jj < i && b.vm === a.vm && (a.device === null || b.device === null || a.device === b.device),
    )
    if (j >= 0)
      bad(`vms[${i}].vm`, a.vm, `also given as vms[${j}]; give each a different device to attach one VM twice`)
  })
  // Two VIFs with one MAC on a switch would fight over it (and XAPI would not stop it).
  vms.forEach((a, i) => {
    const j = vms.findIndex((b, jj) => jj < i && a.mac !== null && b.mac === a.mac)
    if (j >= 0) bad(`vms[${i}].mac`, a.mac as string, `also given for vms[${j}]`)
  })
  const plug = o.plug
  if (plug !== undefined && typeof plug !== 'boolean') bad('plug', plug, 'expected true or false')
  const portSecurity = o.portSecurity
  if (portSecurity !== undefined && typeof portSecurity !== 'boolean')
    bad('portSecurity', portSecurity, 'expected true or false')
  const update = o.update
  if (update !== undefined && typeof update !== 'boolean') bad('update', update, 'expected true or false')
  return {
    switch: sw,
    vms,
    network: parseNetworkSelector(o.network),
    plug: plug !== false,
    portSecurity: portSecurity !== false,
    update: update === true,
  }
}

export function parseDetachOptions(value: unknown): ParsedDetach {
  const o = object('options', value, ['vms', 'vifs', 'switch', 'network', 'keepVifs'])
  const rawVms = o.vms ?? []
  if (!Array.isArray(rawVms)) bad('vms', rawVms, 'expected an array of VM references')
  const vms: string[] = []
  rawVms.forEach((v: unknown, i: number) => {
    const ref = parseVmRef(v, `vms[${i}]`)
    if (!vms.includes(ref)) vms.push(ref)
  })
  const vifs = parseVifUuids((o.vifs ?? []) as unknown, 'vifs')
  if (vms.length === 0 && vifs.length === 0) bad('vms', '[]', 'name at least one VM or VIF to detach')
  if (vms.length + vifs.length > MAX_VMS)
    bad('vms', String(vms.length + vifs.length), `at most ${MAX_VMS} VMs and VIFs per call`)
  const keep = o.keepVifs
  if (keep !== undefined && typeof keep !== 'boolean') bad('keepVifs', keep, 'expected true or false')
  return {
    vms,
    vifs,
    switch: o.switch === undefined ? undefined : parseSwitchRef(o.switch, 'switch'),
    network: parseNetworkSelector(o.network),
    keepVifs: keep === true,
  }
}

/** True when `ref` can only be a VM uuid (it is then looked up by uuid, not by name). */
export function looksLikeUuid(ref: string): boolean {
  return isUuid(ref.toLowerCase())
}
