/**
 * xapi-ovn router add|list|del|attach|detach|gateway: OVN logical routers with automatic SNAT
 * (lib/nb/routers.ts). No pool needed; `gateway` reads the southbound (--sb) for the gateway
 * chassis when none is named.
 */
import {
  addLogicalRouter,
  attachRouter,
  deleteLogicalRouter,
  detachRouter,
  listGatewayChassis,
  listLogicalRouters,
  removeRouterGateway,
  setRouterGateway,
  type GatewayResult,
  type RouterAttachResult,
  type RouterInfo,
} from '../../nb/index.js'
import { ovsdbRemoteList } from '../../chassis/validators.js'
import { connectSouthbound } from '../../show/read-sb-io.js'
import { Command, type RunContext } from '../command.js'
import { withNorthbound } from '../connections.js'
import { flag, requiredString, stringList, stringOption, UsageError } from '../options.js'
import { EXIT_OK } from '../output.js'

function would(dryRun: boolean, done: string): string {
  return dryRun ? `would be ${done}` : done
}

function renderAttach(r: RouterAttachResult): string {
  if (r.action === 'unchanged' && r.network === '')
    return `switch ${r.switchName} is not on router ${r.routerName}: nothing to do`
  const snat = [
    ...(r.snatAdded > 0 ? [`${r.snatAdded} SNAT row(s) ${would(r.dryRun, 'added')}`] : []),
    ...(r.snatRemoved > 0 ? [`${r.snatRemoved} SNAT row(s) ${would(r.dryRun, 'removed')}`] : []),
    ...(r.fipsRemoved > 0 ? [`${r.fipsRemoved} floating IP(s) ${would(r.dryRun, 'removed')}`] : []),
  ]
  const what =
    r.action === 'unchanged'
      ? 'unchanged'
      : would(r.dryRun, { created: 'attached', updated: 'updated', removed: 'detached' }[r.action])
  return [
    `switch ${r.switchName} on router ${r.routerName} at ${r.network}${r.ipv6 === null ? '' : ` and ${r.ipv6}`} (${r.routerPort}, ${r.mac}): ${what}`,
    ...snat,
  ].join('\n')
}

function renderGateway(r: GatewayResult): string {
  if (r.action === 'removed' || (r.action === 'unchanged' && r.chassis.length === 0 && r.network === ''))
    return r.action === 'removed'
      ? `gateway of router ${r.routerName} on ${r.switchName} ${would(r.dryRun, 'removed')} (${r.snatRemoved} SNAT row(s), ${r.fipsRemoved} floating IP(s))`
      : `router ${r.routerName} has no gateway: nothing to do`
  const chassis = r.chassis.map((c) => `${c.chassis} (${c.priority})`).join(', ')
  const state = r.action === 'unchanged' ? 'unchanged' : would(r.dryRun, r.action)
  return [
    `gateway of router ${r.routerName} on ${r.switchName} at ${r.network} (${r.routerPort}, ${r.mac}): ${state}`,
    `gateway chassis, highest priority first: ${chassis}`,
    ...(r.snatAdded > 0 ? [`${r.snatAdded} SNAT row(s) ${would(r.dryRun, 'added')}`] : []),
  ].join('\n')
}

export function renderRouters(routers: readonly RouterInfo[]): string {
  if (routers.length === 0) return 'no logical routers'
  return routers
    .map((r) => {
      const lines = [`${r.name} (${r.uuid})${r.owned ? '' : " [not xapi-ovn's: left alone]"}`]
      for (const s of r.switches)
        lines.push(`  switch ${s.switchName} at ${s.network}${s.ipv6 === null ? '' : ` ${s.ipv6}`}`)
      if (r.gateway !== null)
        lines.push(
          `  gateway on ${r.gateway.switchName} at ${r.gateway.network}, chassis ${r.gateway.chassis.map((c) => `${c.name}(${c.priority})`).join(' ')}`,
        )
      for (const n of r.snat) lines.push(`  snat ${n.logicalIp} -> ${n.externalIp}`)
      if (r.fips > 0) lines.push(`  ${r.fips} floating IP(s) (xapi-ovn fip list)`)
      return lines.join('\n')
    })
    .join('\n')
}

/** --chassis, else the southbound's gateway candidates (setup --gateway-hosts). */
async function gatewayChassis(cx: RunContext): Promise<string[]> {
  const given = stringList(cx.values, 'chassis')
  if (given.length > 0) return given
  const remote = stringOption(cx.values, 'sb') ?? cx.io.env.OVN_SB_DB
  if (remote === undefined || remote === '')
    throw new UsageError(
      'give --chassis (repeatable), or --sb REMOTE (or OVN_SB_DB) to use the chassis set up with --gateway-hosts',
    )
  const reason = ovsdbRemoteList(remote)
  if (reason !== null) throw new UsageError(`--sb: ${reason}`)
  const sb = await connectSouthbound(remote)
  try {
    const found = await listGatewayChassis(sb)
    if (found.length === 0)
      throw new UsageError(
        'no chassis of the southbound has ovn-cms-options=enable-chassis-as-gw: run xapi-ovn setup --gateway-hosts HOST,... or give --chassis',
      )
    return found.map((c) => c.name)
  } finally {
    await sb.close().catch(() => undefined)
  }
}

export const routerCommand = new Command('router', {
  summary: 'OVN logical routers with SNAT: add, list, del, attach, detach, gateway',
  description: `OVN logical routers, in the northbound database: tenant switches attached to a router reach each
other, and through its gateway on a provider (localnet) switch the provider network, with their
traffic SNATed to the gateway address. Only routers made by 'router add' (external_ids
xapi-ovn:managed=true) are ever changed. Each command writes ONE transaction; --dry-run says what
it would write and writes nothing.`,
  verbs: {
    add: {
      summary: 'create a logical router',
      description: "Create logical router ROUTER, marked as xapi-ovn's. Running it again changes nothing.",
      options: ['router', 'dry-run', 'nb', 'json'],
      required: ['router'],
      async run(cx) {
        const name = requiredString(cx.values, 'router')
        return withNorthbound(cx, async (nb) => {
          const r = await addLogicalRouter(nb, name, { dryRun: flag(cx.values, 'dry-run') })
          cx.out.result(
            r,
            () =>
              `logical router ${r.name} (${r.uuid ?? 'new'}) ${r.action === 'unchanged' ? 'unchanged' : would(r.dryRun, r.action)}`,
          )
          return EXIT_OK
        })
      },
    },
    list: {
      summary: 'list the logical routers',
      description: 'Every logical router: its switches, gateway (chassis by priority), SNAT rows, floating IP count.',
      options: ['nb', 'json'],
      async run(cx) {
        return withNorthbound(cx, async (nb) => {
          const routers = await listLogicalRouters(nb)
          cx.out.result(routers, () => renderRouters(routers))
          return EXIT_OK
        })
      },
    },
    del: {
      summary: 'delete a logical router',
      description: `Delete router ROUTER. With attached switches, a gateway or floating IPs it is refused unless
--force: then they go with it (the router ports on the switches, the gateway's HA_Chassis_Group).`,
      options: ['router', 'force', 'if-exists', 'dry-run', 'nb', 'json'],
      required: ['router'],
      async run(cx) {
        const ref = requiredString(cx.values, 'router')
        return withNorthbound(cx, async (nb) => {
          const r = await deleteLogicalRouter(nb, ref, {
            force: flag(cx.values, 'force'),
            ifExists: flag(cx.values, 'if-exists'),
            dryRun: flag(cx.values, 'dry-run'),
          })
          cx.out.result(r, () =>
            r.deleted
              ? `logical router ${r.name} (${String(r.uuid)}) ${would(r.dryRun, 'deleted')}${r.switches.length > 0 ? `, detached from ${r.switches.join(', ')}` : ''}${r.gateway ? ', with its gateway' : ''}`
              : `no logical router ${r.name}: nothing to do`,
          )
          return EXIT_OK
        })
      },
    },
    attach: {
      summary: 'attach a tenant switch to a router',
      description: `Attach logical switch SWITCH (it needs --subnet) to router ROUTER: a router port on the subnet's
gateway address (the switch's DHCP --router if set, else the subnet's first address) and a
router-type port on the switch. If the router has a gateway, the subnet is SNATed to it in the
same transaction. Refused, with nothing written: a switch on another router, a subnet overlapping
one of the router's, the gateway address held by a port.`,
      options: ['router', 'switch', 'dry-run', 'nb', 'json'],
      required: ['router', 'switch'],
      async run(cx) {
        const router = requiredString(cx.values, 'router')
        const sw = requiredString(cx.values, 'switch')
        return withNorthbound(cx, async (nb) => {
          const r = await attachRouter(nb, router, sw, { dryRun: flag(cx.values, 'dry-run') })
          cx.out.result(r, () => renderAttach(r))
          return EXIT_OK
        })
      },
    },
    detach: {
      summary: 'take a tenant switch off a router',
      description: `Remove switch SWITCH from router ROUTER: both router ports, the subnet's SNAT row and the
floating IPs of the switch's ports. A switch not on the router: nothing to do.`,
      options: ['router', 'switch', 'dry-run', 'nb', 'json'],
      required: ['router', 'switch'],
      async run(cx) {
        const router = requiredString(cx.values, 'router')
        const sw = requiredString(cx.values, 'switch')
        return withNorthbound(cx, async (nb) => {
          const r = await detachRouter(nb, router, sw, { dryRun: flag(cx.values, 'dry-run') })
          cx.out.result(r, () => renderAttach(r))
          return EXIT_OK
        })
      },
    },
    gateway: {
      summary: 'give a router its gateway on a provider switch (or --remove it)',
      synopsis: '--router R (--switch S --ip IP/LEN [--chassis C]... | --remove)',
      description: `Give router ROUTER a distributed gateway port on provider switch PROVIDER (a switch with a
localnet port) at --ip IP/LEN, scheduled on the gateway chassis through an HA_Chassis_Group: the
first --chassis has priority 100, the next 90, ...; the highest one alive holds the gateway, and
if its ovn-controller dies the next takes over. Without --chassis, every chassis set up with
'setup --gateway-hosts' (ovn-cms-options=enable-chassis-as-gw, read from --sb) by hostname.
Every attached tenant subnet is SNATed to IP. Again with other values: updated in place.
--remove takes the gateway away with its SNAT rows and floating IPs.`,
      options: ['router', 'switch', 'ip', 'chassis', 'sb', 'remove', 'dry-run', 'nb', 'json'],
      required: ['router'],
      async run(cx) {
        const router = requiredString(cx.values, 'router')
        const dryRun = flag(cx.values, 'dry-run')
        if (flag(cx.values, 'remove')) {
          if (stringOption(cx.values, 'switch') !== undefined || stringList(cx.values, 'ip').length > 0)
            throw new UsageError('--remove takes no --switch or --ip')
          return withNorthbound(cx, async (nb) => {
            const r = await removeRouterGateway(nb, router, { dryRun })
            cx.out.result(r, () => renderGateway(r))
            return EXIT_OK
          })
        }
        const sw = requiredString(cx.values, 'switch')
        const ips = stringList(cx.values, 'ip')
        const [ip] = ips
        if (ip === undefined || ips.length > 1) throw new UsageError('give one --ip IP/LEN: the gateway address')
        const chassis = await gatewayChassis(cx)
        return withNorthbound(cx, async (nb) => {
          const r = await setRouterGateway(nb, router, { switch: sw, ip, chassis }, { dryRun })
          cx.out.result(r, () => renderGateway(r))
          return EXIT_OK
        })
      },
    },
  },
})
