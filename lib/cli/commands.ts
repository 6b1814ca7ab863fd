/**
 * The pool subcommands of xapi-ovn (setup, verify, status, teardown). Each is one entry of a
 * table: its options (node:util parseArgs), its usage text, and `run`, which turns the parsed
 * options into a library call whose result (or error) goes to the one printer (output.ts). More
 * subcommands (switch, port, localnet) plug in as more entries of the same shape (see main.ts).
 */
import { setup, status, teardown, verify, MAX_WAIT_SECONDS, MAX_CONCURRENCY } from '../pool/driver.js'
import {
  addressFamilyOption,
  chassisKeysOption,
  CONNECTION_OPTIONS,
  CONNECTION_USAGE,
  flag,
  intOption,
  OUTPUT_OPTIONS,
  ovnRemoteOption,
  SELECTION_OPTIONS,
  stringList,
  stringOption,
  transportOption,
  UsageError,
  type CliEnv,
  type OptionSpecs,
  type OptionValues,
} from './args.js'
import { onPool } from './connections.js'
import type { CommandIo, Output } from './output.js'
import { renderSetup, renderStatus, renderTeardown, renderVerify } from './render.js'

export interface RunContext {
  readonly values: OptionValues
  readonly io: CommandIo
  readonly out: Output
}

export interface Command {
  /** One line for the command list. */
  readonly summary: string
  /** The full --help text. */
  readonly usage: string
  readonly options: OptionSpecs
  /** Exit status: 0 all good, 1 something failed; throw (UsageError or a library error) to fail. */
  run(cx: RunContext): Promise<number>
}

function selection(values: OptionValues): { network?: string; hosts?: string[]; concurrency?: number } {
  const out: { network?: string; hosts?: string[]; concurrency?: number } = {}
  const network = stringOption(values, 'network')
  if (network !== undefined) out.network = network
  const hosts = stringList(values, 'host')
  if (hosts.length > 0) out.hosts = hosts
  const concurrency = intOption(values, 'concurrency', 1, MAX_CONCURRENCY)
  if (concurrency !== undefined) out.concurrency = concurrency
  return out
}

async function sslOption(
  values: OptionValues,
  io: CliEnv,
): Promise<{ privateKey: string; certificate: string; caCertificate: string } | undefined> {
  const files = {
    privateKey: stringOption(values, 'ssl-key'),
    certificate: stringOption(values, 'ssl-cert'),
    caCertificate: stringOption(values, 'ssl-ca-cert'),
  }
  const given = Object.values(files).filter((f) => f !== undefined).length
  if (given === 0) return undefined
  if (given !== 3) throw new UsageError('--ssl-key, --ssl-cert and --ssl-ca-cert go together')
  const read = async (path: string, name: string): Promise<string> => {
    try {
      return await io.readFile(path)
    } catch (err) {
      throw new UsageError(`--${name} ${path}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  return {
    privateKey: await read(files.privateKey as string, 'ssl-key'),
    certificate: await read(files.certificate as string, 'ssl-cert'),
    caCertificate: await read(files.caCertificate as string, 'ssl-ca-cert'),
  }
}

const COMMON: OptionSpecs = { ...CONNECTION_OPTIONS, ...OUTPUT_OPTIONS, ...SELECTION_OPTIONS }

const setupCommand: Command = {
  summary: "make every host an OVN chassis on the OVN network's XAPI bridge",
  options: {
    ...COMMON,
    'ovn-remote': { type: 'string' },
    'encap-type': { type: 'string' },
    'bridge-mappings': { type: 'string' },
    'transport-network': { type: 'string' },
    'transport-device': { type: 'string' },
    'transport-vlan': { type: 'string' },
    'ip-family': { type: 'string' },
    set: { type: 'string', multiple: true },
    'ssl-key': { type: 'string' },
    'ssl-cert': { type: 'string' },
    'ssl-ca-cert': { type: 'string' },
    'force-system-id': { type: 'boolean' },
    'dry-run': { type: 'boolean' },
  },
  usage: `usage: xapi-ovn setup --ovn-remote REMOTE [options]

Find or create the OVN network (default ovn-int) with vswitch-controller-fail-mode=secure, attach
it on every host, and set each host's ovn-controller keys through the ovn-chassis plugin, the
tunnel endpoint being the host's transport PIF. Everything is checked before anything is touched.
Running it again changes nothing.

  --ovn-remote REMOTE       OVN southbound DB: tcp:IP:PORT or ssl:IP:PORT, comma-separated (required)
  --encap-type TYPE         geneve (default), vxlan, stt
  --bridge-mappings MAPS    physnet:bridge,... onto XAPI bridges other than the OVN one
  --transport-network NET   tunnel endpoint: the PIF on this network (uuid or name)
  --transport-device DEV    ... the PIF of this device (eth1, bond0), with --transport-vlan for a VLAN
  --transport-vlan TAG      ... the PIF of this VLAN
                            (default: the management PIF)
  --ip-family auto|4|6      address family of the tunnel endpoint (default auto)
  --set KEY=VALUE           another ovn-controller key, e.g. ovn-remote-probe-interval=5000 (repeatable)
  --ssl-key FILE --ssl-cert FILE --ssl-ca-cert FILE
                            PEM files for ssl: remotes, handed to ovn-controller
  --force-system-id         replace a system-id that differs from the host UUID
  --dry-run                 show each host's plan, change nothing

${CONNECTION_USAGE}

Exit status: 0 every host configured, 1 some host (or the pool) failed, 2 usage error.`,
  async run(cx) {
    const { values, io } = cx
    const ovnRemote = ovnRemoteOption(values)
    const transport = transportOption(values)
    const addressFamily = addressFamilyOption(values)
    const chassisKeys = chassisKeysOption(values)
    const ssl = await sslOption(values, io)
    const encapType = stringOption(values, 'encap-type')
    const bridgeMappings = stringOption(values, 'bridge-mappings')
    const sel = selection(values)
    return onPool(
      cx,
      (pool, onProgress) =>
        setup(pool, {
          ovnRemote,
          ...(encapType !== undefined ? { encapType } : {}),
          ...(bridgeMappings !== undefined ? { bridgeMappings } : {}),
          ...(chassisKeys !== undefined ? { chassisKeys } : {}),
          ...(ssl !== undefined ? { ssl } : {}),
          ...(transport !== undefined ? { transport } : {}),
          ...(addressFamily !== undefined ? { addressFamily } : {}),
          forceSystemId: flag(values, 'force-system-id'),
          dryRun: flag(values, 'dry-run'),
          ...sel,
          ...(onProgress !== undefined ? { onProgress } : {}),
        }),
      renderSetup,
    )
  },
}

const verifyCommand: Command = {
  summary: 'check every chassis (keys, XAPI bridge, ovn-controller connected) and the OVN network',
  options: { ...COMMON, wait: { type: 'string' } },
  usage: `usage: xapi-ovn verify [--wait SECONDS] [options]

Run the ovn-chassis checks on every host and check the OVN network. Every failed or warning check
is shown with its hint.

  --wait SECONDS            let each host retry its checks until they pass, up to 0-${MAX_WAIT_SECONDS}s (default 0)

${CONNECTION_USAGE}

Exit status: 0 every host passes, 1 some host fails or could not be asked, 2 usage error.`,
  async run(cx) {
    const { values } = cx
    const wait = intOption(values, 'wait', 0, MAX_WAIT_SECONDS)
    const sel = selection(values)
    return onPool(
      cx,
      (pool, onProgress) =>
        verify(pool, {
          ...sel,
          ...(wait !== undefined ? { wait } : {}),
          ...(onProgress !== undefined ? { onProgress } : {}),
        }),
      renderVerify,
    )
  },
}

const statusCommand: Command = {
  summary: 'show every chassis, its bridge, ovn-controller and the VIFs on the OVN network',
  options: {
    ...COMMON,
    'transport-network': { type: 'string' },
    'transport-device': { type: 'string' },
    'transport-vlan': { type: 'string' },
    'ip-family': { type: 'string' },
  },
  usage: `usage: xapi-ovn status [options]

Show each host's chassis as its ovn-chassis plugin sees it (configured keys, integration bridge,
ovn-controller, bound VIFs), where setup would put its tunnel endpoint, and the VIFs on the OVN
network. Changes nothing.

  --transport-network NET | --transport-device DEV [--transport-vlan TAG] | --transport-vlan TAG
  --ip-family auto|4|6      the transport choice to report (default: the management PIF)

${CONNECTION_USAGE}

Exit status: 0 every host answered, 1 some host could not be asked, 2 usage error.`,
  async run(cx) {
    const { values } = cx
    const transport = transportOption(values)
    const addressFamily = addressFamilyOption(values)
    const sel = selection(values)
    return onPool(
      cx,
      (pool, onProgress) =>
        status(pool, {
          ...sel,
          ...(transport !== undefined ? { transport } : {}),
          ...(addressFamily !== undefined ? { addressFamily } : {}),
          ...(onProgress !== undefined ? { onProgress } : {}),
        }),
      renderStatus,
    )
  },
}

const teardownCommand: Command = {
  summary: 'give back every Open vSwitch key setup set, on every host',
  options: { ...COMMON, 'dry-run': { type: 'boolean' }, 'remove-network': { type: 'boolean' } },
  usage: `usage: xapi-ovn teardown [--dry-run] [--remove-network] [options]

On every host, restore the Open_vSwitch external_ids keys xapi-ovn set to the values they had
before (the ovn-chassis plugin's unconfigure). The OVN network stays unless --remove-network.

  --dry-run                 show what each host would restore, change nothing
  --remove-network          also destroy the OVN network once every host is done (refused while
                            a VIF on it is plugged)

${CONNECTION_USAGE}

Exit status: 0 every host torn down, 1 some host (or the network removal) failed, 2 usage error.`,
  async run(cx) {
    const { values } = cx
    const sel = selection(values)
    return onPool(
      cx,
      (pool, onProgress) =>
        teardown(pool, {
          ...sel,
          dryRun: flag(values, 'dry-run'),
          removeNetwork: flag(values, 'remove-network'),
          ...(onProgress !== undefined ? { onProgress } : {}),
        }),
      renderTeardown,
    )
  },
}

/** The pool subcommands, by name. */
export const poolCommands: Readonly<Record<string, Command>> = {
  setup: setupCommand,
  verify: verifyCommand,
  status: statusCommand,
  teardown: teardownCommand,
}
