/**
 * The library's failures in the command line's words. The library names a bad value by its field
 * path (`vms[1].ips[0]`, lib/attach/validate-attach.ts) and a choice by its option key (`pass
 * force`, lib/nb/errors.ts; `force-system-id=true`, lib/chassis/errors.ts, the plugin's argument):
 * right for a program calling it, wrong for a person typing `--vm` and `--ip`. Here a Failure's
 * message is said again with the flags the user typed; its code and params (what programs match
 * on) stay as they are. Pure.
 */
import type { Failure } from '../pool/failures.js'
import { isRecord, isStringArray } from '../shape.js'

/** A library field (its last name, without indexes) and the option the user gave it with. */
const FIELD_OPTIONS: Readonly<Record<string, string>> = {
  vms: '--vm',
  vm: '--vm',
  ips: '--ip',
  ip: '--ip',
  device: '--device',
  mac: '--mac',
  vifs: '--vif',
  vifUuids: '--vif',
  switch: '--switch',
  subnet: '--subnet',
  network: '--network',
  networkName: '--network-name',
  name: '--name',
  vlan: '--vlan',
  keepVifs: '--keep-vif',
  // switch add's DHCP options (lib/nb/plan-dhcp.ts names them dhcp.<field>)
  dhcp: '--dhcp',
  router: '--router',
  dnsServers: '--dns',
  leaseTime: '--lease-time',
  mtu: '--mtu',
  underlayMtu: '--underlay-mtu',
  encapType: '--encap-type',
  // switch add's IPv6 (lib/nb/plan-ipv6.ts names them ipv6.<field>; NESTED_OPTIONS has its fields)
  ipv6: '--ipv6-prefix',
  // sg's (lib/nb/validate-security-groups.ts names a rule's fields rule.<field>)
  group: '--sg',
  rule: '--direction',
  direction: '--direction',
  protocol: '--proto',
  ports: '--port',
  remoteCidr: '--remote-cidr',
  remoteGroup: '--remote-group',
  family: '--ethertype',
}

/** A field whose option depends on its object: ipv6.dnsServers is --ipv6-dns, not dhcp's --dns. */
const NESTED_OPTIONS: Readonly<Record<string, string>> = {
  'ipv6.prefix': '--ipv6-prefix',
  'ipv6.mode': '--ipv6-mode',
  'ipv6.dnsServers': '--ipv6-dns',
}

/**
 * The plugin's argument names (lib/chassis/keys.ts) that setup fills from an option of its own:
 * setup checks its values with the plugin's parser, which names them so.
 */
const ARGUMENT_OPTIONS: Readonly<Record<string, string>> = {
  'ovn-remote': '--ovn-remote',
  'ovn-encap-type': '--encap-type',
  'ovn-bridge-mappings': '--bridge-mappings',
  'force-system-id': '--force-system-id',
  host: '--host',
}

/** The plugin's and the library's way of naming a choice, and the flag that makes it. */
const CHOICES: readonly (readonly [RegExp, string])[] = [
  [/\bpass force-system-id=true\b/g, 'give --force-system-id'],
  [/\bpass force\b/g, 'give --force'],
]

function ordinal(n: number): string {
  const tens = n % 100
  const last = n % 10
  const suffix = tens >= 11 && tens <= 13 ? 'th' : last === 1 ? 'st' : last === 2 ? 'nd' : last === 3 ? 'rd' : 'th'
  return `${n}${suffix}`
}

/** The option a library field path stands for, and which occurrence of a repeated one. */
export interface OptionRef {
  /** `--ip` */
  readonly option: string
  /** `the 2nd --vm` (the option itself is that one), `of the 2nd --vm` (it belongs to it), or null. */
  readonly which: string | null
}

/**
 * `vms[1].ips[0]` -> --ip, of the 2nd --vm; `vms[0]` -> --vm, the 1st --vm; `switch` -> --switch;
 * null when the path names no option of the command line (then the text is left alone).
 */
export function optionRef(path: string): OptionRef | null {
  const argument = ARGUMENT_OPTIONS[path]
  if (argument !== undefined) return { option: argument, which: null }
  const m = /^(\w+)(?:\[(\d+)\])?(?:\.(\w+)(?:\[\d+\])?)?$/.exec(path)
  if (m === null) return null
  const [, head = '', index, field] = m
  const headOption = FIELD_OPTIONS[head]
  if (headOption === undefined) return null
  if (index === undefined) {
    if (field === undefined) return { option: headOption, which: null }
    // A field of an object the user gave with flags of its own (dhcp.router -> --router).
    const own = NESTED_OPTIONS[`${head}.${field}`] ?? FIELD_OPTIONS[field]
    return own === undefined ? null : { option: own, which: null }
  }
  const nth = `the ${ordinal(Number(index) + 1)} ${headOption}`
  if (field === undefined || FIELD_OPTIONS[field] === headOption) return { option: headOption, which: nth }
  const fieldOption = FIELD_OPTIONS[field]
  return fieldOption === undefined ? null : { option: fieldOption, which: `of ${nth}` }
}

/** The path as running text says it: `the 1st --vm`, `--ip of the 2nd --vm`, `--switch`. */
function phrase(ref: OptionRef): string {
  if (ref.which === null) return ref.option
  return ref.which.startsWith('of ') ? `${ref.option} ${ref.which}` : ref.which
}

/** Every field path in a sentence said as its option. */
export function rewordText(text: string): string {
  let out = text.replace(/\b[a-zA-Z]+\[\d+\](?:\.[a-zA-Z]+(?:\[\d+\])?)?/g, (path) => {
    const ref = optionRef(path)
    return ref === null ? path : phrase(ref)
  })
  for (const [pattern, flag] of CHOICES) out = out.replace(pattern, flag)
  return out
}

/** A Failure whose message uses the command line's flags (code, params and hint unchanged). */
export function rewordFailure(f: Failure): Failure {
  if (f.code === 'OVN_INVALID_ARGUMENT') {
    const [key = '', value = '', reason = ''] = f.params
    const ref = optionRef(key)
    if (ref !== null) {
      const which = ref.which === null ? '' : ` (${ref.which})`
      return { ...f, message: `invalid ${ref.option} ${JSON.stringify(value)}${which}: ${rewordText(reason)}` }
    }
  }
  return { ...f, message: rewordText(f.message), hint: f.hint === null ? null : rewordText(f.hint) }
}

/** A value of a result that is a Failure (a host's error inside a pool result). */
export function isFailure(v: unknown): v is Failure {
  return (
    isRecord(v) &&
    typeof v.code === 'string' &&
    isStringArray(v.params) &&
    typeof v.message === 'string' &&
    (v.hint === null || typeof v.hint === 'string')
  )
}
