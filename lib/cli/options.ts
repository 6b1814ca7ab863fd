/**
 * Every option of the xapi-ovn command line, described once: its type, short flag, value name,
 * one-line description and default. A command lists the names it takes; its parser (node:util
 * parseArgs in strict mode) and its --help lines are both made from this table, so the help
 * cannot drift from what is parsed. Every mistake is a UsageError (exit status 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { DEFAULT_CONCURRENCY, MAX_CONCURRENCY, MAX_WAIT_SECONDS } from '../pool/driver.js'
import { DEFAULT_NETWORK_NAME } from '../pool/ovn-network.js'
import { passwordInArgv, redact } from './secrets.js'
import { errorText } from '../error-text.js'

/** A mistake in the command line: print the message and a pointer to --help, exit 2. */
export class UsageError extends Error {
  /** A usage text shown in place of the pointer (an unknown command shows the command list). */
  readonly usage: string | undefined

  constructor(message: string, usage?: string) {
    super(message)
    this.name = 'UsageError'
    this.usage = usage
  }
}

/** The --help sections, in the order they are printed. */
export const OPTION_GROUPS = {
  command: 'Options',
  transport: 'Tunnel endpoint (default: the management PIF)',
  selection: 'Selection',
  northbound: 'Northbound database',
  central: 'OVN central',
  connection: 'Connection (XAPI)',
  output: 'Output',
} as const

export type OptionGroup = keyof typeof OPTION_GROUPS

export interface OptionDefinition {
  readonly type: 'string' | 'boolean'
  /** Repeatable: every occurrence is kept, in order. */
  readonly multiple?: true
  readonly short?: string
  /** The value's name in --help (`--url URL`); string options only. */
  readonly value?: string
  readonly group: OptionGroup
  readonly description: string
  /** What applies when the option is absent, for --help. */
  readonly default?: string
  /** The environment variable read when the option is absent. */
  readonly env?: string
}

export const OPTIONS = {
  // setup's own
  'ovn-remote': {
    type: 'string',
    value: 'REMOTE',
    group: 'command',
    description: 'OVN southbound DB: tcp:IP:PORT or ssl:IP:PORT, comma-separated',
  },
  'encap-type': {
    type: 'string',
    value: 'TYPE',
    group: 'command',
    description: 'tunnel type: geneve, vxlan or stt',
    default: 'geneve',
  },
  'bridge-mappings': {
    type: 'string',
    value: 'MAPS',
    group: 'command',
    description: 'physnet:bridge,... onto XAPI bridges other than the OVN one',
  },
  'gateway-hosts': {
    type: 'string',
    value: 'HOST[,HOST...]',
    group: 'command',
    description:
      'hosts (uuid or name) that may carry router gateways: ovn-cms-options=enable-chassis-as-gw on them only (router gateway picks them)',
  },
  set: {
    type: 'string',
    multiple: true,
    value: 'KEY=VALUE',
    group: 'command',
    description: 'another ovn-controller key, e.g. ovn-remote-probe-interval=5000',
  },
  'ssl-cert-dir': {
    type: 'string',
    value: 'DIR',
    group: 'command',
    description:
      "for ssl: remotes, each host's certificate as DIR/<host-uuid>.pem, signed by your CA from the CSR of 'xapi-ovn ssl request' (with --ssl-ca-cert)",
  },
  'ssl-ca-cert': {
    type: 'string',
    value: 'FILE',
    group: 'command',
    description: 'PEM CA certificate the OVN central is checked against (with --ssl-cert-dir)',
  },
  // ssl request
  dir: {
    type: 'string',
    value: 'DIR',
    group: 'command',
    description: "where each host's CSR is written, as DIR/<host-uuid>.csr",
  },
  renew: {
    type: 'boolean',
    group: 'command',
    description: 'make a new private key on each host (its old certificate no longer fits)',
  },
  'integration-mode': {
    type: 'string',
    value: 'MODE',
    group: 'command',
    description:
      "how VIFs reach the integration bridge: xapi-bridge (the OVN network's XAPI bridge), or, experimental, unmanaged (an unmanaged XAPI network on br-int) or reconcile (the host agent moves VIF ports to br-int)",
    default: 'xapi-bridge',
  },
  'force-system-id': {
    type: 'boolean',
    group: 'command',
    description: 'replace a system-id that differs from the host UUID',
  },
  'dry-run': {
    type: 'boolean',
    group: 'command',
    description: "show what would change (each host's plan, or the northbound's), change nothing",
  },
  // verify, teardown
  wait: {
    type: 'string',
    value: 'SECONDS',
    group: 'command',
    description: `let each host retry its checks until they pass, for up to SECONDS (0-${MAX_WAIT_SECONDS})`,
    default: '0',
  },
  'remove-network': {
    type: 'boolean',
    group: 'command',
    description: 'also destroy the OVN network once every host is done (refused while a VIF on it is plugged)',
  },
  // where a chassis puts its tunnel endpoint (setup, status)
  'transport-network': {
    type: 'string',
    value: 'NET',
    group: 'transport',
    description: 'the PIF on this network (uuid or name)',
  },
  'transport-device': {
    type: 'string',
    value: 'DEV',
    group: 'transport',
    description: 'the PIF of this device (eth1, bond0); with --transport-vlan, its VLAN',
  },
  'transport-vlan': { type: 'string', value: 'TAG', group: 'transport', description: 'the PIF of this VLAN, 0-4094' },
  'ip-family': {
    type: 'string',
    value: 'auto|4|6',
    group: 'transport',
    description: 'address family of the tunnel endpoint',
    default: 'auto',
  },
  // northbound objects (switch, port, localnet)
  switch: { type: 'string', value: 'SWITCH', group: 'command', description: 'the logical switch, by name or UUID' },
  subnet: {
    type: 'string',
    value: 'CIDR',
    group: 'command',
    description:
      'other_config:subnet, e.g. 198.18.10.0/24: ovn-northd hands out addresses from it to ports attached with --ip dynamic',
  },
  dhcp: {
    type: 'boolean',
    group: 'command',
    description:
      'OVN native DHCPv4 on --subnet (implied by any of --router, --dns, --lease-time, --mtu, --underlay-mtu)',
  },
  router: {
    type: 'string',
    value: 'IP|ROUTER',
    group: 'command',
    description:
      "switch add: the default gateway DHCP hands out, inside --subnet (also the DHCP server's address; default none, the server answers from the subnet's first address); router, fip: the logical router, by name or UUID",
  },
  chassis: {
    type: 'string',
    multiple: true,
    value: 'CHASSIS',
    group: 'command',
    description:
      "a gateway chassis (its system-id), highest priority first; default: every chassis set up with --gateway-hosts (the southbound's, from --sb), by hostname",
  },
  remove: {
    type: 'boolean',
    group: 'command',
    description: "remove the router's gateway (its SNAT and floating IPs go with it)",
  },
  centralized: {
    type: 'boolean',
    group: 'command',
    description:
      "NAT the floating IP on the gateway chassis, not on the VM's own host (for hosts that do not map the provider network)",
  },
  dns: { type: 'string', value: 'IP[,IP]', group: 'command', description: 'DNS servers DHCP hands out (IPv4)' },
  'lease-time': { type: 'string', value: 'SECONDS', group: 'command', description: 'the DHCP lease', default: '3600' },
  mtu: {
    type: 'string',
    value: 'N',
    group: 'command',
    description: 'the guest MTU DHCP hands out (option 26), as is; default: from --underlay-mtu and --encap-type',
  },
  'underlay-mtu': {
    type: 'string',
    value: 'N',
    group: 'command',
    description:
      "the tunnel network's MTU: guests get it minus the tunnel overhead (Geneve over IPv4: 58, so 1442 on 1500; --ip-family 6: 20 more)",
    default: '1500',
  },
  'ipv6-prefix': {
    type: 'string',
    value: 'PREFIX/64',
    group: 'command',
    description:
      'other_config:ipv6_prefix, e.g. 2001:db8:5::/64: ports attached with --ip dynamic also get the EUI-64 address of their MAC in it',
  },
  'ipv6-mode': {
    type: 'string',
    value: 'MODE',
    group: 'command',
    description:
      'how guests get IPv6: slaac, dhcpv6-stateless or dhcpv6-stateful (these two: OVN native DHCPv6 on --ipv6-prefix); a router port announces it in its RAs',
    default: 'slaac',
  },
  'ipv6-dns': {
    type: 'string',
    value: 'IP[,IP]',
    group: 'command',
    description: 'DNS servers DHCPv6 hands out (IPv6)',
  },
  force: {
    type: 'boolean',
    group: 'command',
    description: 'delete the switch with its ports (sg del: the group, its ports leaving it)',
  },
  'if-exists': { type: 'boolean', group: 'command', description: 'a missing switch or port is not an error' },
  vm: {
    type: 'string',
    multiple: true,
    value: 'VM',
    group: 'command',
    description: 'a VM: uuid, name or OpaqueRef',
  },
  ip: {
    type: 'string',
    multiple: true,
    value: 'IP',
    group: 'command',
    description:
      "the port's address; with one --vm, every --ip is its; with several, one --ip per --vm in order; --ip dynamic: ovn-northd assigns one from the switch's subnet",
  },
  device: {
    type: 'string',
    value: 'N',
    group: 'command',
    description:
      'the VIF device (one --vm only); default: a free VIF of the VM on the OVN network, else a new one on the lowest free device',
  },
  mac: {
    type: 'string',
    value: 'MAC',
    group: 'command',
    description: 'the MAC of a new VIF; without it, XAPI generates one',
  },
  update: {
    type: 'boolean',
    group: 'command',
    description: "change the addresses of a port whose VIF is plugged (refused without it: the VM's traffic changes)",
  },
  'no-plug': { type: 'boolean', group: 'command', description: 'do not plug VIFs of running VMs' },
  'no-port-security': {
    type: 'boolean',
    group: 'command',
    description: "no port_security (by default each port may send only from its VIF's MAC and IPs)",
  },
  vif: {
    type: 'string',
    multiple: true,
    value: 'UUID',
    group: 'command',
    description: 'one VIF; its port goes even if XAPI no longer has it',
  },
  'keep-vif': { type: 'boolean', group: 'command', description: 'remove the ports only, leave the VIFs in XAPI' },
  'network-name': {
    type: 'string',
    value: 'PHYSNET',
    group: 'command',
    description: 'the physical network name of ovn-bridge-mappings',
  },
  name: { type: 'string', value: 'PORT', group: 'command', description: "the port's name", default: 'provnet-PHYSNET' },
  vlan: {
    type: 'string',
    value: 'TAG',
    group: 'command',
    description: 'the provider VLAN, 1-4094',
    default: 'untagged',
  },
  // sg's own
  sg: { type: 'string', value: 'NAME', group: 'command', description: 'the security group' },
  direction: {
    type: 'string',
    value: 'DIR',
    group: 'command',
    description: "ingress (traffic to the group's ports) or egress (traffic they send)",
  },
  proto: {
    type: 'string',
    value: 'PROTO',
    group: 'command',
    description: 'tcp, udp, icmp or any',
    default: 'any',
  },
  port: {
    type: 'string',
    value: 'PORT[-PORT]',
    group: 'command',
    description: 'destination port or range, 1-65535 (tcp and udp only)',
  },
  'remote-cidr': {
    type: 'string',
    value: 'CIDR',
    group: 'command',
    description: 'the peer: the source of ingress, the destination of egress',
  },
  'remote-group': {
    type: 'string',
    value: 'NAME',
    group: 'command',
    description: 'the peer: every port of this security group',
  },
  ethertype: {
    type: 'string',
    value: 'ip4|ip6',
    group: 'command',
    description: "the rule's IP family",
    default: 'the --remote-cidr family, else ip4',
  },
  // which part of the pool
  network: {
    type: 'string',
    value: 'NET',
    group: 'selection',
    description: 'the OVN network, uuid or name',
    default: DEFAULT_NETWORK_NAME,
  },
  host: {
    type: 'string',
    multiple: true,
    value: 'HOST',
    group: 'selection',
    description: 'only this host, uuid or name',
  },
  concurrency: {
    type: 'string',
    value: 'N',
    group: 'selection',
    description: `hosts worked on at once, 1-${MAX_CONCURRENCY}`,
    default: String(DEFAULT_CONCURRENCY),
  },
  nb: {
    type: 'string',
    value: 'REMOTE[,REMOTE...]',
    group: 'northbound',
    description:
      'OVN_Northbound: tcp:IP:PORT, ssl:IP:PORT or unix:PATH, every member of a cluster; the cluster leader is used',
    env: 'OVN_NB_DB',
  },
  // show: the southbound and the central's control sockets
  sb: {
    type: 'string',
    value: 'REMOTE[,REMOTE...]',
    group: 'central',
    description:
      'OVN_Southbound: tcp:IP:PORT, ssl:IP:PORT or unix:PATH, every member of a cluster (each is asked for its RAFT state)',
    env: 'OVN_SB_DB',
  },
  'nb-ctl': {
    type: 'string',
    multiple: true,
    value: 'PATH',
    group: 'central',
    description: "an NB ovsdb-server's control socket, for cluster/status (on the central host only)",
  },
  'sb-ctl': {
    type: 'string',
    multiple: true,
    value: 'PATH',
    group: 'central',
    description: "an SB ovsdb-server's control socket, for cluster/status (on the central host only)",
  },
  'northd-ctl': {
    type: 'string',
    value: 'PATH',
    group: 'central',
    description: "ovn-northd's control socket, for its status (on the central host only)",
  },
  'no-host-ports': {
    type: 'boolean',
    group: 'command',
    description: "do not ask each host's plugin for its ports (faster; no stale ovn-installed check)",
  },
  'private-key': {
    type: 'string',
    short: 'p',
    value: 'FILE',
    group: 'northbound',
    description: 'our private key (PEM) for an ssl: northbound or southbound, as ovn-nbctl/ovn-sbctl -p',
    env: 'OVN_NB_PRIVATE_KEY',
  },
  certificate: {
    type: 'string',
    short: 'c',
    value: 'FILE',
    group: 'northbound',
    description: 'our certificate (PEM) for an ssl: northbound or southbound, as ovn-nbctl/ovn-sbctl -c',
    env: 'OVN_NB_CERTIFICATE',
  },
  'ca-cert': {
    type: 'string',
    short: 'C',
    value: 'FILE',
    group: 'northbound',
    description: "the CA certificate (PEM) the database's certificate must chain to, as ovn-nbctl/ovn-sbctl -C",
    env: 'OVN_NB_CA_CERT',
  },
  url: {
    type: 'string',
    value: 'URL',
    group: 'connection',
    description: 'pool master, https://HOST[:PORT]',
    env: 'XAPI_URL',
  },
  user: {
    type: 'string',
    value: 'USER',
    group: 'connection',
    description: 'XAPI user',
    default: 'root',
    env: 'XAPI_USER',
  },
  password: {
    type: 'string',
    value: 'PASSWORD',
    group: 'connection',
    description: 'asked for on a terminal (not echoed) when absent',
    env: 'XAPI_PASSWORD',
  },
  'allow-unauthorized': {
    type: 'boolean',
    group: 'connection',
    description: 'accept a TLS certificate that does not verify (self-signed)',
  },
  'plugin-timeout': {
    type: 'string',
    value: 'SECONDS',
    group: 'connection',
    description: "how long one host's plugin may take before that host fails with OVN_TIMEOUT (plus any --wait)",
    default: '300',
  },
  protocol: {
    type: 'string',
    value: 'P',
    group: 'connection',
    description: 'auto, json-rpc or xml-rpc',
    default: 'auto',
  },
  // agent's own
  metrics: {
    type: 'string',
    value: 'HOST:PORT',
    group: 'command',
    description: 'serve /metrics (Prometheus) and /healthz here, e.g. 127.0.0.1:9477',
  },
  'log-format': {
    type: 'string',
    value: 'F',
    group: 'output',
    description: 'the log lines on stderr: text or json',
    default: 'text',
  },
  'resync-interval': {
    type: 'string',
    value: 'SECONDS',
    group: 'command',
    description: 'full reconcile period (catches hand edits of the northbound), 0 for none',
    default: '60',
  },
  format: {
    type: 'string',
    value: 'F',
    group: 'output',
    description:
      'text, json (as --json), dot (the topology as Graphviz DOT) or svg (that picture drawn by Graphviz dot)',
    default: 'text',
  },
  config: {
    type: 'string',
    value: 'FILE',
    group: 'command',
    description:
      "the pool's whole chassis configuration as JSON (README 'A setup file'): keys it does not name are removed; not combined with the setup flags",
  },
  'stop-controller': {
    type: 'boolean',
    group: 'command',
    description:
      "stop each host's ovn-controller first (the plugin's fn=service action=stop), else a running one is refused",
  },
  json: { type: 'boolean', group: 'output', description: 'print the result as JSON on stdout' },
  quiet: { type: 'boolean', short: 'q', group: 'output', description: 'no progress on stderr' },
  help: { type: 'boolean', short: 'h', group: 'output', description: 'this help' },
} as const satisfies Readonly<Record<string, OptionDefinition>>

type Definitions = typeof OPTIONS
export type OptionName = keyof Definitions
/** Names by kind, so that reading a flag as a string (or a list as one value) does not compile. */
export type FlagName = { [K in OptionName]: Definitions[K]['type'] extends 'boolean' ? K : never }[OptionName]
export type ListName = { [K in OptionName]: Definitions[K] extends { multiple: true } ? K : never }[OptionName]
export type StringName = Exclude<OptionName, FlagName | ListName>

export type OptionValues = Readonly<Partial<Record<OptionName, string | boolean | (string | boolean)[]>>>

/** One entry, seen as the general shape (so its optional fields can be read). */
function definition(name: OptionName): OptionDefinition {
  return OPTIONS[name]
}

function isOptionName(name: string): name is OptionName {
  return Object.hasOwn(OPTIONS, name)
}

/** node:util parseArgs's complaints, said the way every other usage error is said. */
const PARSE_ARGS_TEXTS: readonly (readonly [RegExp, (m: RegExpExecArray) => string])[] = [
  [/^Unknown option '([^']*)'/, (m) => `unknown option ${m[1]}`],
  [/^Option '(?:-\w, )?(--[\w-]+)(?: <value>)?' argument missing/, (m) => `${m[1]} needs a value`],
  [
    /^Option '(?:-\w, )?(--[\w-]+)' argument is ambiguous/,
    (m) => `${m[1]} needs a value (write ${m[1]}=-VALUE for one starting with -)`,
  ],
  [/^Option '(?:-\w, )?(--[\w-]+)' does not take an argument/, (m) => `${m[1]} takes no value`],
  [
    /^Unexpected argument '([^']*)'/,
    (m) => `unexpected word ${JSON.stringify(m[1])}: every value follows its option (--name VALUE)`,
  ],
]

function parseArgsText(text: string): string {
  for (const [pattern, say] of PARSE_ARGS_TEXTS) {
    const m = pattern.exec(text)
    if (m !== null) return say(m)
  }
  return text
}

/**
 * parseArgs in strict mode over the named options: an unknown flag, a stray word or a missing
 * value is a UsageError, without the password parseArgs may have quoted.
 */
export function parseOptions(argv: readonly string[], names: readonly OptionName[]): OptionValues {
  const options: NonNullable<ParseArgsConfig['options']> = {}
  for (const name of names) {
    const d = definition(name)
    options[name] = {
      type: d.type,
      ...(d.multiple === true ? { multiple: true } : {}),
      ...(d.short !== undefined ? { short: d.short } : {}),
    }
  }
  let parsed: Record<string, string | boolean | (string | boolean)[] | undefined>
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values
  } catch (err) {
    throw new UsageError(redact(parseArgsText(errorText(err)), [passwordInArgv(argv)]))
  }
  const values: Partial<Record<OptionName, string | boolean | (string | boolean)[]>> = {}
  for (const [name, value] of Object.entries(parsed))
    if (isOptionName(name) && value !== undefined) values[name] = value
  return values
}

export function stringOption(values: OptionValues, name: StringName): string | undefined {
  const v = values[name]
  return typeof v === 'string' ? v : undefined
}

export function stringList(values: OptionValues, name: ListName): string[] {
  const v = values[name]
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []
}

export function flag(values: OptionValues, name: FlagName): boolean {
  return values[name] === true
}

/** A whole number within [min, max], or undefined when absent. */
export function intOption(values: OptionValues, name: StringName, min: number, max: number): number | undefined {
  const v = stringOption(values, name)
  if (v === undefined) return undefined
  if (!/^[0-9]{1,7}$/.test(v) || Number(v) < min || Number(v) > max)
    throw new UsageError(`--${name} expects a whole number from ${min} to ${max}, not ${JSON.stringify(v)}`)
  return Number(v)
}

export function requiredString(values: OptionValues, name: StringName): string {
  const v = stringOption(values, name)
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`)
  return v
}

// ---------------------------------------------------------------------------------------------
// --help

/** Where descriptions start, and where lines wrap. */
const DESCRIPTION_COLUMN = 28
const LINE_WIDTH = 100

/** `text` in lines that fit LINE_WIDTH once indented by `indent`. */
function wrap(text: string, indent: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line !== '' && indent + line.length + 1 + word.length > LINE_WIDTH) {
      lines.push(line)
      line = word
    } else line = line === '' ? word : `${line} ${word}`
  }
  if (line !== '') lines.push(line)
  return lines
}

/** One option's help: flag and value, then its description with default, env and repeatability. */
export function optionHelp(name: OptionName, required: boolean): string {
  const d = definition(name)
  const left = `  ${d.short === undefined ? '' : `-${d.short}, `}${optionSynopsis(name)}`
  const notes = [
    required ? 'required' : '',
    d.default === undefined ? '' : `default ${d.default}`,
    d.env === undefined ? '' : `env ${d.env}`,
    d.multiple === true ? 'repeatable' : '',
  ].filter((n) => n !== '')
  const text = `${d.description}${notes.length === 0 ? '' : ` (${notes.join('; ')})`}`
  const [first = '', ...rest] = wrap(text, DESCRIPTION_COLUMN)
  const pad = ' '.repeat(DESCRIPTION_COLUMN)
  const head =
    left.length < DESCRIPTION_COLUMN ? `${left.padEnd(DESCRIPTION_COLUMN)}${first}` : `${left}\n${pad}${first}`
  return [head, ...rest.map((l) => `${pad}${l}`)].join('\n')
}

/** The options' help in sections (Options, Connection, Output, ...), each option once. */
export function optionsHelp(names: readonly OptionName[], required: readonly OptionName[] = []): string {
  const unique = [...new Set(names)]
  const sections: string[] = []
  for (const [group, title] of Object.entries(OPTION_GROUPS)) {
    const inGroup = unique.filter((n) => definition(n).group === group)
    if (inGroup.length > 0)
      sections.push([`${title}:`, ...inGroup.map((n) => optionHelp(n, required.includes(n)))].join('\n'))
  }
  return sections.join('\n')
}

/** `--switch SWITCH`: how an option is written on a usage line. */
export function optionSynopsis(name: OptionName): string {
  const d = definition(name)
  return `--${name}${d.value === undefined ? '' : ` ${d.value}`}`
}

/** The options of a connection to XAPI (every command that touches the pool). */
export const CONNECTION_OPTIONS: readonly OptionName[] = [
  'url',
  'user',
  'password',
  'allow-unauthorized',
  'protocol',
  'plugin-timeout',
]

/** The options every pool command takes: which part of the pool, how to reach it, what to print. */
export const POOL_OPTIONS: readonly OptionName[] = [
  'network',
  'host',
  'concurrency',
  ...CONNECTION_OPTIONS,
  'json',
  'quiet',
]
