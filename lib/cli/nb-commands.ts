/**
 * The OVN-side subcommands of xapi-ovn, in groups of verbs:
 *
 *   xapi-ovn switch add|list|del      logical switches (lib/nb)
 *   xapi-ovn port attach|detach|list  VMs on logical switches through XAPI VIFs (lib/attach)
 *   xapi-ovn localnet add             a provider network port (lib/nb)
 *
 * Each verb is a `Command` of the same shape as the pool commands (commands.ts): strict options,
 * a usage text, `run`. `runCommandGroup` picks the verb (the word after the group) and runs it
 * with the same exit statuses: 0 done, 1 failed, 2 usage error (a coded argument error from the
 * library counts as usage too).
 *
 * The northbound database is given with `--nb REMOTE[,REMOTE...]` or, as ovn-nbctl does, the
 * environment variable OVN_NB_DB. Commands that touch XAPI (port attach, port detach; port list
 * when a pool is given) take the pool connection options of every pool command.
 */
import {
  attachVms,
  detachVms,
  listVmPorts,
  type AttachVmsResult,
  type DetachVmsResult,
  type VmAttachSpec,
  type VmPortInfo,
} from '../attach/index.js'
import {
  addLocalnetPort,
  deleteLogicalSwitch,
  ensureLogicalSwitch,
  listLogicalSwitches,
  type SwitchInfo,
} from '../nb/index.js'
import {
  CONNECTION_OPTIONS,
  flag,
  intOption,
  poolGiven,
  stringList,
  stringOption,
  UsageError,
  type OptionSpecs,
  type OptionValues,
} from './args.js'
import type { Command } from './commands.js'
import { withNorthbound, withNorthboundAndPool } from './connections.js'
import { EXIT_OK, EXIT_USAGE, Output, type CommandIo } from './output.js'
import { runCommand } from './run-command.js'
import { renderTable } from './render.js'
import { passwordInArgv } from './secrets.js'

/**
 * A group of verbs: `xapi-ovn <group> <verb> [options]`. It is also a `Command` (summary, usage)
 * so it sits in the program's command table; program.ts hands it the words after its name
 * (`runCommandGroup`) instead of parsing them itself.
 */
export interface CommandGroup extends Command {
  readonly verbs: Readonly<Record<string, Command>>
}

export function isCommandGroup(c: Command): c is CommandGroup {
  return 'verbs' in c
}

const NB_OPTIONS: OptionSpecs = {
  nb: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
}

const NB_USAGE = `Northbound database:
  --nb REMOTE[,REMOTE...]   OVN_Northbound: tcp:IP:PORT, ssl:IP:PORT or unix:PATH, every member of
                            a cluster (env OVN_NB_DB); the cluster leader is used
  --json                    print the result as JSON on stdout
  -h, --help                this help`

const POOL_USAGE = `Pool (XAPI):
  --url URL               pool master, https://HOST[:PORT] (env XAPI_URL)
  --user USER             default root (env XAPI_USER)
  --password PASSWORD     (env XAPI_PASSWORD; prompted for on a terminal when absent)
  --allow-unauthorized    accept a TLS certificate that does not verify (self-signed)
  --protocol P            auto (default), json-rpc or xml-rpc`

function required(values: OptionValues, name: string): string {
  const v = stringOption(values, name)
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`)
  return v
}

// ---------------------------------------------------------------------------------------------
// switch

const switchAdd: Command = {
  summary: 'create a logical switch (or bring its subnet up to date)',
  options: { ...NB_OPTIONS, switch: { type: 'string' }, subnet: { type: 'string' } },
  usage: `usage: xapi-ovn switch add --switch NAME [--subnet CIDR] [--nb REMOTE]

Create logical switch NAME, or set its subnet if it exists (running it again changes nothing).

  --switch NAME             the switch's name (letters, digits, _ . : -)
  --subnet CIDR             other_config:subnet, e.g. 198.18.10.0/24: ovn-northd hands out
                            addresses from it to ports attached with --ip dynamic

${NB_USAGE}`,
  async run(cx) {
    const { values } = cx
    const name = required(values, 'switch')
    const subnet = stringOption(values, 'subnet')
    return withNorthbound(cx, async (nb) => {
      const r = await ensureLogicalSwitch(nb, name, subnet === undefined ? {} : { subnet })
      cx.out.result(
        r,
        () => `logical switch ${r.name} (${r.uuid}) ${r.created ? 'created' : r.changed ? 'updated' : 'unchanged'}`,
      )
      return EXIT_OK
    })
  },
}

function renderSwitches(switches: readonly SwitchInfo[]): string {
  if (switches.length === 0) return 'no logical switch'
  return renderTable(
    ['SWITCH', 'UUID', 'SUBNET', 'PORTS'],
    switches.map((s) => [s.name, s.uuid, s.subnet ?? '-', String(s.portCount)]),
  )
}

const switchList: Command = {
  summary: 'list the logical switches',
  options: NB_OPTIONS,
  usage: `usage: xapi-ovn switch list [--nb REMOTE] [--json]

${NB_USAGE}`,
  async run(cx) {
    return withNorthbound(cx, async (nb) => {
      const switches = await listLogicalSwitches(nb)
      cx.out.result(switches, () => renderSwitches(switches))
      return EXIT_OK
    })
  },
}

const switchDel: Command = {
  summary: 'delete a logical switch',
  options: { ...NB_OPTIONS, switch: { type: 'string' }, force: { type: 'boolean' }, 'if-exists': { type: 'boolean' } },
  usage: `usage: xapi-ovn switch del --switch NAME|UUID [--force] [--if-exists] [--nb REMOTE]

Delete a logical switch. It must have no ports unless --force (its ports go with it; the VIFs in
XAPI stay: detach VMs with 'xapi-ovn port detach' to remove them too).

  --switch NAME|UUID        the switch
  --force                   delete it with its ports
  --if-exists               a missing switch is not an error

${NB_USAGE}`,
  async run(cx) {
    const { values } = cx
    const ref = required(values, 'switch')
    return withNorthbound(cx, async (nb) => {
      const r = await deleteLogicalSwitch(nb, ref, {
        force: flag(values, 'force'),
        ifExists: flag(values, 'if-exists'),
      })
      cx.out.result(r, () =>
        r.deleted
          ? `logical switch ${r.name} (${String(r.uuid)}) deleted${r.portCount > 0 ? ` with ${r.portCount} port(s)` : ''}`
          : `no logical switch ${r.name}: nothing to do`,
      )
      return EXIT_OK
    })
  },
}

// ---------------------------------------------------------------------------------------------
// port

/**
 * --vm and --ip to attach specs: one --vm takes every --ip; several --vm take one --ip each, in
 * order; `--ip dynamic` alone applies to every --vm.
 */
export function vmSpecs(
  vms: readonly string[],
  ips: readonly string[],
  device: string | undefined,
  mac: string | undefined,
): VmAttachSpec[] {
  if (vms.length === 0) throw new UsageError('--vm is required (repeat it for several VMs)')
  if ((device !== undefined || mac !== undefined) && vms.length > 1)
    throw new UsageError('--device and --mac apply to one VM: give a single --vm with them')
  const extra = { ...(device !== undefined ? { device } : {}), ...(mac !== undefined ? { mac } : {}) }
  if (ips.length === 1 && ips[0] === 'dynamic') return vms.map((vm) => ({ vm, ips: 'dynamic', ...extra }))
  if (ips.includes('dynamic')) throw new UsageError('--ip dynamic cannot be mixed with addresses')
  if (vms.length === 1) return [{ vm: vms[0] as string, ips, ...extra }]
  if (ips.length !== 0 && ips.length !== vms.length)
    throw new UsageError(
      `with several --vm, give one --ip per --vm (in the same order) or none: ${vms.length} VMs, ${ips.length} addresses`,
    )
  return vms.map((vm, i) => ({ vm, ips: ips.length === 0 ? [] : [ips[i] as string] }))
}

function renderAttach(r: AttachVmsResult): string {
  const rows = r.attachments.map((a) => [
    a.vm.name || a.vm.uuid,
    a.vif.device,
    a.vif.uuid,
    a.port.address,
    a.vifAction === 'created' ? 'created' : 'found',
    a.plug,
    a.port.action,
  ])
  return [
    renderTable(['VM', 'DEVICE', 'VIF = PORT', 'ADDRESSES', 'VIF', 'PLUG', 'PORT'], rows),
    `${r.attachments.length} VM(s) on logical switch ${r.switchName} through network ${r.network.nameLabel} (${r.network.bridge})${r.changed ? '' : ': nothing to change'}`,
  ].join('\n')
}

const portAttach: Command = {
  summary: 'attach VMs to a logical switch (a VIF on the OVN network + a port named after it)',
  options: {
    ...NB_OPTIONS,
    ...CONNECTION_OPTIONS,
    switch: { type: 'string' },
    vm: { type: 'string', multiple: true },
    ip: { type: 'string', multiple: true },
    device: { type: 'string' },
    mac: { type: 'string' },
    network: { type: 'string' },
    'no-plug': { type: 'boolean' },
  },
  usage: `usage: xapi-ovn port attach --switch SWITCH --vm VM [--ip IP ...] [--vm VM --ip IP ...] [options]

For each VM: find or create its VIF on the OVN network (XAPI), write a logical switch port named
after the VIF UUID with the VIF's MAC and the addresses (all VMs in ONE northbound transaction),
then plug the VIF if the VM runs. The port binds on whatever host runs the VM. Running it again
changes nothing.

  --switch SWITCH           the logical switch (name or UUID); it must exist
  --vm VM                   uuid, name or OpaqueRef (repeatable)
  --ip IP                   the port's address; with one --vm, every --ip is its; with several,
                            one --ip per --vm in order; --ip dynamic: ovn-northd assigns one
                            from the switch's subnet
  --device N                the VIF device (one --vm only); default: a free VIF of the VM on the
                            OVN network, else a new one on the lowest free device
  --mac MAC                 the MAC of a new VIF (default: XAPI generates one)
  --network NET             the OVN network, uuid or name (default ovn-int)
  --no-plug                 do not plug VIFs of running VMs

${NB_USAGE}
${POOL_USAGE}`,
  async run(cx) {
    const { values } = cx
    const sw = required(values, 'switch')
    const vms = vmSpecs(
      stringList(values, 'vm'),
      stringList(values, 'ip'),
      stringOption(values, 'device'),
      stringOption(values, 'mac'),
    )
    const network = stringOption(values, 'network')
    return withNorthboundAndPool(cx, async (nb, xapi) => {
      const r = await attachVms(xapi, nb, {
        switch: sw,
        vms,
        ...(network !== undefined ? { network } : {}),
        plug: !flag(values, 'no-plug'),
      })
      cx.out.result(r, () => renderAttach(r))
      return EXIT_OK
    })
  },
}

function renderDetach(r: DetachVmsResult): string {
  if (r.detached.length === 0) return 'nothing attached: nothing to do'
  const rows = r.detached.map((d) => [
    d.vm?.name || d.vm?.uuid || '-',
    d.vifUuid,
    d.port === null ? '-' : `removed from ${d.port.switchName}`,
    d.destroyed ? (d.unplugged ? 'unplugged, destroyed' : 'destroyed') : 'kept',
  ])
  return renderTable(['VM', 'VIF = PORT', 'PORT', 'VIF'], rows)
}

const portDetach: Command = {
  summary: 'detach VMs: their ports, then their VIFs on the OVN network',
  options: {
    ...NB_OPTIONS,
    ...CONNECTION_OPTIONS,
    vm: { type: 'string', multiple: true },
    vif: { type: 'string', multiple: true },
    switch: { type: 'string' },
    network: { type: 'string' },
    'keep-vif': { type: 'boolean' },
  },
  usage: `usage: xapi-ovn port detach (--vm VM | --vif UUID)... [--switch SWITCH] [--keep-vif] [options]

Remove the logical switch ports of these VMs' VIFs on the OVN network (one northbound
transaction: their traffic stops), then unplug and destroy the VIFs. Detaching what is not
attached is not an error.

  --vm VM                   uuid, name or OpaqueRef (repeatable): all its VIFs on the OVN network
  --vif UUID                one VIF (repeatable); its port goes even if XAPI no longer has it
  --switch SWITCH           only ports on this logical switch
  --network NET             the OVN network, uuid or name (default ovn-int)
  --keep-vif                remove the ports only, leave the VIFs in XAPI

${NB_USAGE}
${POOL_USAGE}`,
  async run(cx) {
    const { values } = cx
    const vms = stringList(values, 'vm')
    const vifs = stringList(values, 'vif')
    if (vms.length === 0 && vifs.length === 0) throw new UsageError('give --vm or --vif (repeatable)')
    const sw = stringOption(values, 'switch')
    const network = stringOption(values, 'network')
    return withNorthboundAndPool(cx, async (nb, xapi) => {
      const r = await detachVms(xapi, nb, {
        vms,
        vifs,
        ...(sw !== undefined ? { switch: sw } : {}),
        ...(network !== undefined ? { network } : {}),
        keepVifs: flag(values, 'keep-vif'),
      })
      cx.out.result(r, () => renderDetach(r))
      return EXIT_OK
    })
  },
}

function renderPorts(ports: readonly VmPortInfo[]): string {
  if (ports.length === 0) return 'no logical switch port'
  const rows = ports.map((p) => [
    p.switchName,
    p.name,
    p.type === '' ? 'vif' : p.type,
    p.addresses.join(' ') || '-',
    p.up === null ? '-' : p.up ? 'up' : 'down',
    p.xapi === null
      ? '-'
      : `${p.xapi.vm.name || p.xapi.vm.uuid} dev ${p.xapi.vif.device}${p.xapi.vif.currentlyAttached ? '' : ' (unplugged)'}`,
    p.xapi?.host ?? '-',
  ])
  return renderTable(['SWITCH', 'PORT', 'TYPE', 'ADDRESSES', 'STATE', 'VM', 'HOST'], rows)
}

const portList: Command = {
  summary: 'list logical switch ports, with their VM and host when a pool is given',
  options: { ...NB_OPTIONS, ...CONNECTION_OPTIONS, switch: { type: 'string' } },
  usage: `usage: xapi-ovn port list [--switch SWITCH] [--nb REMOTE] [--url URL ...]

Every port (of one switch, or of all), with the VM, VIF device and host XAPI knows for VIF ports
when a pool is given (--url or XAPI_URL).

  --switch SWITCH           only this logical switch (name or UUID)

${NB_USAGE}
${POOL_USAGE}`,
  async run(cx) {
    const { values } = cx
    const sw = stringOption(values, 'switch')
    const show = async (ports: readonly VmPortInfo[]): Promise<number> => {
      cx.out.result(ports, () => renderPorts(ports))
      return EXIT_OK
    }
    if (!poolGiven(values, cx.io)) return withNorthbound(cx, async (nb) => show(await listVmPorts(nb, null, sw)))
    return withNorthboundAndPool(cx, async (nb, xapi) => show(await listVmPorts(nb, xapi, sw)))
  },
}

// ---------------------------------------------------------------------------------------------
// localnet

const localnetAdd: Command = {
  summary: 'connect a logical switch to a provider network (a localnet port)',
  options: {
    ...NB_OPTIONS,
    switch: { type: 'string' },
    'network-name': { type: 'string' },
    name: { type: 'string' },
    vlan: { type: 'string' },
  },
  usage: `usage: xapi-ovn localnet add --switch SWITCH --network-name PHYSNET [--name PORT] [--vlan TAG] [--nb REMOTE]

Add (or update) a localnet port: the switch reaches the physical network PHYSNET, which every
chassis maps onto one of its XAPI bridges with ovn-bridge-mappings (setup --bridge-mappings
PHYSNET:xenbr0). Traffic of such a switch between hosts goes over that network, not Geneve.

  --switch SWITCH           the logical switch (name or UUID)
  --network-name PHYSNET    the physical network name of ovn-bridge-mappings
  --name PORT               the port's name (default provnet-PHYSNET)
  --vlan TAG                the provider VLAN, 1-4094 (default: untagged)

${NB_USAGE}`,
  async run(cx) {
    const { values } = cx
    const sw = required(values, 'switch')
    const networkName = required(values, 'network-name')
    const name = stringOption(values, 'name') ?? `provnet-${networkName}`
    const vlan = intOption(values, 'vlan', 1, 4094)
    return withNorthbound(cx, async (nb) => {
      const r = await addLocalnetPort(nb, sw, { name, networkName, ...(vlan !== undefined ? { vlan } : {}) })
      cx.out.result(
        r,
        () =>
          `localnet port ${r.name} (${r.uuid}) on ${sw} -> ${networkName}${vlan === undefined ? '' : ` VLAN ${vlan}`}: ${r.action}`,
      )
      return EXIT_OK
    })
  },
}

// ---------------------------------------------------------------------------------------------
// groups

const GROUP_FOOTER = `The northbound database is --nb REMOTE (env OVN_NB_DB). port attach, detach and list also
take the pool connection of every pool command: --url URL (env XAPI_URL), --user, --password
(env XAPI_PASSWORD), --allow-unauthorized, --protocol. switch and localnet need no pool.

Exit status: 0 done, 1 refused or failed (the error code is printed), 2 usage error.`

function groupUsage(name: string, summary: string, verbs: Readonly<Record<string, Command>>): string {
  const width = Math.max(...Object.keys(verbs).map((v) => v.length))
  return [
    `usage: xapi-ovn ${name} <${Object.keys(verbs).join('|')}> [options]`,
    '',
    summary,
    '',
    ...Object.entries(verbs).map(([v, c]) => `  ${v.padEnd(width)}  ${c.summary}`),
    '',
    `Run 'xapi-ovn ${name} <verb> --help' for its options.`,
    '',
    GROUP_FOOTER,
  ].join('\n')
}

function group(name: string, summary: string, verbs: Readonly<Record<string, Command>>): CommandGroup {
  const usage = groupUsage(name, summary, verbs)
  return {
    summary,
    usage,
    verbs,
    options: { help: { type: 'boolean', short: 'h' } },
    // Reached only when a program does not hand groups to runCommandGroup: show the verbs.
    async run(cx) {
      cx.io.stderr(`${usage}\n`)
      return EXIT_USAGE
    },
  }
}

/** The OVN subcommand groups, for the program's command table. */
export const nbCommands: Readonly<Record<string, CommandGroup>> = {
  switch: group('switch', 'OVN logical switches: add, list, del', { add: switchAdd, list: switchList, del: switchDel }),
  port: group('port', 'VMs on OVN logical switches through XAPI VIFs: attach, detach, list', {
    attach: portAttach,
    detach: portDetach,
    list: portList,
  }),
  localnet: group('localnet', 'provider networks on logical switches (localnet ports): add', { add: localnetAdd }),
}

/** `xapi-ovn <name> <verb> [options]`: pick the verb, parse its options, run it. */
export async function runCommandGroup(
  name: string,
  g: CommandGroup,
  argv: readonly string[],
  io: CommandIo,
): Promise<number> {
  const out = new Output(io, name, [passwordInArgv(argv), io.env.XAPI_PASSWORD])
  const [verb, ...rest] = argv
  if (verb === undefined) return out.failure(new UsageError('', g.usage))
  if (verb === '--help' || verb === '-h' || verb === 'help') return out.help(g.usage)
  const command = Object.hasOwn(g.verbs, verb) ? g.verbs[verb] : undefined
  if (command === undefined) return out.failure(new UsageError(`unknown verb ${JSON.stringify(verb)}`, g.usage))
  return runCommand(`${name} ${verb}`, command, rest, io)
}
