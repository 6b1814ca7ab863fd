/**
 * xapi-ovn fip add|del|list: floating IPs, a provider address mapped to a VM's port (lib/nb
 * plan-fip.ts). --vif needs the northbound only; --vm asks the pool (--url) which VIF it is.
 */
import { listVmPorts } from '../../attach/index.js'
import { VmAmbiguousError, VmNotFoundError } from '../../attach/errors.js'
import { addFloatingIp, deleteFloatingIp, listFloatingIps, type FipInfo } from '../../nb/index.js'
import type { NbTransactor } from '../../nb/snapshot.js'
import type { XapiPool } from '../../pool/connection.js'
import { Command, type RunContext } from '../command.js'
import { withNorthbound, withNorthboundAndPool } from '../connections.js'
import { CONNECTION_OPTIONS, flag, stringList, UsageError } from '../options.js'
import { EXIT_OK } from '../output.js'

function renderFips(fips: readonly FipInfo[]): string {
  if (fips.length === 0) return 'no floating IPs'
  return fips
    .map(
      (f) =>
        `${f.ip} -> ${f.logicalIp} (port ${f.vifUuid}) on router ${f.routerName}, ${f.distributed ? `distributed (${f.externalMac})` : 'centralized'}`,
    )
    .join('\n')
}

/** One --vm or one --vif, as given. */
function target(cx: RunContext): { readonly vm?: string; readonly vif?: string } {
  const vms = stringList(cx.values, 'vm')
  const vifs = stringList(cx.values, 'vif')
  if (vms.length + vifs.length !== 1) throw new UsageError('give one --vm VM or one --vif UUID')
  return vms[0] !== undefined ? { vm: vms[0] } : { vif: vifs[0] ?? '' }
}

/** The VIF UUID of the one VIF port VM `vm` has (its uuid or name_label, as XAPI knows it). */
async function vifOfVm(nb: NbTransactor, pool: XapiPool, vm: string): Promise<string> {
  const ports = (await listVmPorts(nb, pool)).filter((p) => p.type === '' && p.xapi !== null)
  const mine = ports.filter((p) => p.xapi?.vm.uuid === vm || p.xapi?.vm.name === vm)
  const vmUuids = new Set(mine.map((p) => p.xapi?.vm.uuid))
  if (vmUuids.size === 0) throw new VmNotFoundError(vm)
  if (vmUuids.size > 1) throw new VmAmbiguousError(vm, vmUuids.size)
  if (mine.length > 1)
    throw new UsageError(`VM ${vm} has ${mine.length} ports (${mine.map((p) => p.name).join(', ')}): give --vif UUID`)
  return mine[0]?.name ?? ''
}

/** --vif runs on the northbound alone; --vm also opens the pool to find the VIF. */
function withVif(cx: RunContext, work: (nb: NbTransactor, vif: string) => Promise<number>): Promise<number> {
  const t = target(cx)
  if (t.vif !== undefined) return withNorthbound(cx, (nb) => work(nb, t.vif ?? ''))
  return withNorthboundAndPool(cx, async (nb, pool) => work(nb, await vifOfVm(nb, pool, t.vm ?? '')))
}

export const fipCommand = new Command('fip', {
  summary: 'floating IPs: a provider address onto a VM (add, del, list)',
  description: `Floating IPs: an address of a router's provider network mapped to one VM port (a dnat_and_snat
NAT row). Traffic to it reaches the VM; the VM's own traffic out leaves from it. The VM's switch
must be on an xapi-ovn router that has a gateway. Distributed by default: NAT happens on the host
running the VM (every host maps the provider network: setup --bridge-mappings); --centralized
does it on the gateway chassis instead.`,
  verbs: {
    add: {
      summary: "map a floating IP to a VM's port",
      synopsis: '(--vm VM | --vif UUID) --ip IP [--centralized] [options]',
      description: `Map provider address IP to the port of VIF UUID (or of the one OVN VIF of --vm, which needs the
pool: --url or XAPI_URL). Refused, with nothing written: an address outside the gateway's network,
the gateway's own, one another NAT row or port has, a port with a floating IP already. Running it
again changes nothing.`,
      options: ['vm', 'vif', 'ip', 'centralized', 'dry-run', 'nb', ...CONNECTION_OPTIONS, 'json'],
      async run(cx) {
        const ips = stringList(cx.values, 'ip')
        const [ip] = ips
        if (ip === undefined || ips.length > 1) throw new UsageError('give one --ip: the floating address')
        return withVif(cx, async (nb, vifUuid) => {
          const r = await addFloatingIp(
            nb,
            { vifUuid, ip, centralized: flag(cx.values, 'centralized') },
            { dryRun: flag(cx.values, 'dry-run') },
          )
          const state = r.action === 'unchanged' ? 'unchanged' : r.dryRun ? 'would be created' : 'created'
          cx.out.result(r, () => `${renderFips([{ ...r.fip, uuid: r.fip.uuid ?? '' }])}: ${state}`)
          return EXIT_OK
        })
      },
    },
    del: {
      summary: 'remove a floating IP',
      synopsis: '(--ip IP | --vif UUID | --vm VM) [options]',
      description: 'Remove the floating IP of that address, VIF or VM. None: nothing to do.',
      options: ['ip', 'vm', 'vif', 'dry-run', 'nb', ...CONNECTION_OPTIONS, 'json'],
      async run(cx) {
        const dryRun = flag(cx.values, 'dry-run')
        const show = (r: Awaited<ReturnType<typeof deleteFloatingIp>>): number => {
          cx.out.result(r, () =>
            r.removed.length === 0
              ? 'no such floating IP: nothing to do'
              : `${renderFips(r.removed)}: ${dryRun ? 'would be removed' : 'removed'}`,
          )
          return EXIT_OK
        }
        const ips = stringList(cx.values, 'ip')
        if (ips.length > 0) {
          if (ips.length > 1 || stringList(cx.values, 'vm').length + stringList(cx.values, 'vif').length > 0)
            throw new UsageError('give one --ip, or one --vif or --vm')
          return withNorthbound(cx, async (nb) => show(await deleteFloatingIp(nb, { ip: ips[0] ?? '' }, { dryRun })))
        }
        return withVif(cx, async (nb, vifUuid) => show(await deleteFloatingIp(nb, { vifUuid }, { dryRun })))
      },
    },
    list: {
      summary: "list the floating IPs of xapi-ovn's routers",
      description: 'Every floating IP: its address, the port address it maps to, its router, distributed or not.',
      options: ['nb', 'json'],
      async run(cx) {
        return withNorthbound(cx, async (nb) => {
          const fips = await listFloatingIps(nb)
          cx.out.result(fips, () => renderFips(fips))
          return EXIT_OK
        })
      },
    },
  },
})
