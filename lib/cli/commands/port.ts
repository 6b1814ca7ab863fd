/**
 * xapi-ovn port attach|detach|list: VMs on logical switches through XAPI VIFs (lib/attach). attach
 * and detach need the pool; list uses it when one is given (--url or XAPI_URL).
 */
import { attachVms, detachVms, listVmPorts, type VmPortInfo } from '../../attach/index.js'
import { poolGiven, vmSpecs } from '../args.js'
import { Command } from '../command.js'
import { withNorthbound, withNorthboundAndPool } from '../connections.js'
import { CONNECTION_OPTIONS, flag, requiredString, stringList, stringOption, UsageError } from '../options.js'
import { EXIT_OK } from '../output.js'
import { renderAttach, renderDetach, renderPorts } from '../render.js'

export const portCommand = new Command('port', {
  summary: 'VMs on OVN logical switches through XAPI VIFs: attach, detach, list',
  description: `VMs on OVN logical switches: each VM's VIF on the OVN network (in XAPI) and the logical switch
port named after the VIF UUID (in the northbound database).`,
  verbs: {
    attach: {
      summary: 'attach VMs to a logical switch (a VIF on the OVN network + a port named after it)',
      synopsis: '--switch SWITCH --vm VM [--ip IP ...] [--vm VM --ip IP ...] [options]',
      description: `For each VM: find or create its VIF on the OVN network (XAPI) and write on it what the pool agent
reads (other_config xapi-ovn-switch = --switch; the static --ip as ipv4_allowed/ipv6_allowed, or
other_config xapi-ovn-addresses=dynamic; locking_mode locked, or unlocked with --no-port-security),
then write a logical switch port named after the VIF UUID with the VIF's MAC and the addresses
(all VMs in ONE northbound transaction), exactly as the agent would make it, then plug the VIF if
the VM runs. The port binds on whatever host runs the VM. The switch must exist. If the
northbound write fails, the VIF fields are put back and created VIFs destroyed. Running it again
changes nothing.`,
      options: [
        'switch',
        'vm',
        'ip',
        'device',
        'mac',
        'no-plug',
        'no-port-security',
        'update',
        'network',
        'nb',
        ...CONNECTION_OPTIONS,
        'json',
      ],
      required: ['switch'],
      async run(cx) {
        const sw = requiredString(cx.values, 'switch')
        const vms = vmSpecs(
          stringList(cx.values, 'vm'),
          stringList(cx.values, 'ip'),
          stringOption(cx.values, 'device'),
          stringOption(cx.values, 'mac'),
        )
        const network = stringOption(cx.values, 'network')
        return withNorthboundAndPool(cx, async (nb, pool) => {
          const r = await attachVms(pool, nb, {
            switch: sw,
            vms,
            ...(network !== undefined ? { network } : {}),
            plug: !flag(cx.values, 'no-plug'),
            portSecurity: !flag(cx.values, 'no-port-security'),
            update: flag(cx.values, 'update'),
          })
          cx.out.result(r, () => renderAttach(r))
          return EXIT_OK
        })
      },
    },
    detach: {
      summary: 'detach VMs: their ports, then their VIFs on the OVN network',
      synopsis: '(--vm VM | --vif UUID)... [--switch SWITCH] [--keep-vif] [options]',
      description: `Remove the logical switch ports of these VMs' VIFs on the OVN network (every VIF of a --vm; with
--switch, only ports on that switch), in one northbound transaction: their traffic stops. Then
unplug and destroy the VIFs; with --keep-vif, keep them and remove their other_config
xapi-ovn-switch and xapi-ovn-addresses first, so the pool agent does not make the ports again.
Detaching what is not attached is not an error.`,
      options: ['vm', 'vif', 'switch', 'keep-vif', 'network', 'nb', ...CONNECTION_OPTIONS, 'json'],
      async run(cx) {
        const vms = stringList(cx.values, 'vm')
        const vifs = stringList(cx.values, 'vif')
        if (vms.length === 0 && vifs.length === 0) throw new UsageError('give --vm or --vif (repeatable)')
        const sw = stringOption(cx.values, 'switch')
        const network = stringOption(cx.values, 'network')
        return withNorthboundAndPool(cx, async (nb, pool) => {
          const r = await detachVms(pool, nb, {
            vms,
            vifs,
            ...(sw !== undefined ? { switch: sw } : {}),
            ...(network !== undefined ? { network } : {}),
            keepVifs: flag(cx.values, 'keep-vif'),
          })
          cx.out.result(r, () => renderDetach(r))
          return EXIT_OK
        })
      },
    },
    list: {
      summary: 'list logical switch ports, with their VM and host when a pool is given',
      description: `Every port (of the --switch, or of all), with the VM, VIF device and host XAPI knows for VIF
ports when a pool is given (--url or XAPI_URL).`,
      options: ['switch', 'nb', ...CONNECTION_OPTIONS, 'json'],
      async run(cx) {
        const sw = stringOption(cx.values, 'switch')
        const show = async (ports: readonly VmPortInfo[]): Promise<number> => {
          cx.out.result(ports, () => renderPorts(ports))
          return EXIT_OK
        }
        if (!poolGiven(cx.values, cx.io)) return withNorthbound(cx, async (nb) => show(await listVmPorts(nb, null, sw)))
        return withNorthboundAndPool(cx, async (nb, pool) => show(await listVmPorts(nb, pool, sw)))
      },
    },
  },
})
