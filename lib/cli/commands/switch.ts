/** xapi-ovn switch add|list|del: OVN logical switches (lib/nb). No pool needed. */
import {
  deleteLogicalSwitch,
  ensureLogicalSwitch,
  listLogicalSwitches,
  previewLogicalSwitch,
  type EnsureSwitchPreview,
} from '../../nb/index.js'
import { dhcpSpecOption, ipv6SpecOption } from '../args.js'
import { Command } from '../command.js'
import { withNorthbound } from '../connections.js'
import { flag, requiredString, stringOption } from '../options.js'
import { EXIT_OK } from '../output.js'
import { renderSwitches } from '../render.js'

export const switchCommand = new Command('switch', {
  summary: 'OVN logical switches: add, list, del',
  description: 'OVN logical switches, in the northbound database. No pool is needed.',
  verbs: {
    add: {
      summary: 'create a logical switch (or bring its subnet and DHCP up to date)',
      description: `Create logical switch SWITCH (a name of letters, digits, _ . : -), or set its subnet if it
exists (running it again changes nothing).

With --dhcp (or any DHCP option) OVN itself answers DHCPv4 on --subnet: one DHCP_Options row,
written in the same transaction as the switch and linked to it (external_ids
xapi-ovn:dhcpv4-options on the switch, xapi-ovn:switch on the row), so a re-run updates it in
place. Every VIF port on the switch is linked to it (port attach, the pool agent, and this command
for the ports already there); a port with --ip dynamic gets the address ovn-northd gave it. The
MTU handed out (option 26) is --mtu, else --underlay-mtu minus the tunnel overhead as
ovn-controller counts it: 1442 on a 1500-byte IPv4 underlay with Geneve. The server's address
(--router, else the subnet's first address) is kept out of ovn-northd's dynamic addresses
(other_config:exclude_ips).

With --ipv6-prefix (a /64) the switch gets other_config:ipv6_prefix: a port with --ip dynamic then
gets, besides its IPv4 address, the EUI-64 address ovn-northd makes of the prefix and its MAC, and
static IPv6 --ip must lie in the prefix. --ipv6-mode (slaac by default) is recorded in external_ids
xapi-ovn:ipv6-mode: in OVN only a logical router port sends Router Advertisements, and the router
port of this switch announces that mode. dhcpv6-stateful and dhcpv6-stateless add OVN native
DHCPv6: a DHCP_Options row on the prefix (server_id: a MAC derived from the prefix; --ipv6-dns;
dhcpv6_stateless=true for stateless), linked like the DHCPv4 row (external_ids
xapi-ovn:dhcpv6-options) to every VIF port of the switch. Stateful hands each port its own IPv6
address; stateless only the options. --dry-run prints what would be written and writes nothing.`,
      options: [
        'switch',
        'subnet',
        'dhcp',
        'router',
        'dns',
        'lease-time',
        'mtu',
        'underlay-mtu',
        'encap-type',
        'ip-family',
        'ipv6-prefix',
        'ipv6-mode',
        'ipv6-dns',
        'dry-run',
        'nb',
        'json',
      ],
      required: ['switch'],
      async run(cx) {
        const name = requiredString(cx.values, 'switch')
        const subnet = stringOption(cx.values, 'subnet')
        const dhcp = dhcpSpecOption(cx.values)
        const ipv6 = ipv6SpecOption(cx.values)
        const options = {
          ...(subnet === undefined ? {} : { subnet }),
          ...(dhcp === undefined ? {} : { dhcp }),
          ...(ipv6 === undefined ? {} : { ipv6 }),
        }
        return withNorthbound(cx, async (nb) => {
          const r = flag(cx.values, 'dry-run')
            ? await previewLogicalSwitch(nb, name, options)
            : await ensureLogicalSwitch(nb, name, options)
          cx.out.result(r, () => renderEnsure(r))
          return EXIT_OK
        })
      },
    },
    list: {
      summary: 'list the logical switches',
      description: 'Every logical switch, with its subnet and its number of ports.',
      options: ['nb', 'json'],
      async run(cx) {
        return withNorthbound(cx, async (nb) => {
          const switches = await listLogicalSwitches(nb)
          cx.out.result(switches, () => renderSwitches(switches))
          return EXIT_OK
        })
      },
    },
    del: {
      summary: 'delete a logical switch',
      description: `Delete a logical switch. It must have no ports unless --force (its ports go with it; the VIFs in
XAPI stay: detach VMs with 'xapi-ovn port detach' to remove them too). Its DHCP options go with it.
--dry-run says what would go and deletes nothing.`,
      options: ['switch', 'force', 'if-exists', 'dry-run', 'nb', 'json'],
      required: ['switch'],
      async run(cx) {
        const ref = requiredString(cx.values, 'switch')
        return withNorthbound(cx, async (nb) => {
          const r = await deleteLogicalSwitch(nb, ref, {
            force: flag(cx.values, 'force'),
            ifExists: flag(cx.values, 'if-exists'),
            dryRun: flag(cx.values, 'dry-run'),
          })
          const with_ = [
            ...(r.portCount > 0 ? [`${r.portCount} port(s)`] : []),
            ...(r.dhcpUuid === null ? [] : [`its DHCP options ${r.dhcpUuid}`]),
            ...(r.dhcpv6Uuid === null ? [] : [`its DHCPv6 options ${r.dhcpv6Uuid}`]),
          ]
          cx.out.result(r, () =>
            r.deleted
              ? `logical switch ${r.name} (${String(r.uuid)}) ${r.dryRun ? 'would be deleted' : 'deleted'}${with_.length > 0 ? ` with ${with_.join(' and ')}` : ''}`
              : `no logical switch ${r.name}: nothing to do`,
          )
          return EXIT_OK
        })
      },
    },
  },
})

function renderEnsure(r: EnsureSwitchPreview): string {
  const state = r.created ? 'created' : r.changed ? 'updated' : 'unchanged'
  const lines = [
    `logical switch ${r.name} (${r.uuid ?? 'new'}) ${r.dryRun ? (r.changed ? `would be ${state}` : 'unchanged') : state}`,
  ]
  const d = r.dhcp
  if (d !== null) {
    const opts = Object.entries(d.options)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')
    const verb = r.dryRun && d.action !== 'unchanged' ? `would be ${d.action}` : d.action
    lines.push(`DHCPv4 ${d.cidr} (${d.uuid}) ${verb}: ${opts}`)
    if (d.linkedPorts > 0) lines.push(`${d.linkedPorts} port(s) ${r.dryRun ? 'would be ' : ''}linked to it`)
  }
  const v6 = r.ipv6
  if (v6 !== null) {
    const opts = Object.entries(v6.options)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')
    const verb = r.dryRun && v6.action !== 'unchanged' ? `would be ${v6.action}` : v6.action
    const row =
      v6.action === 'none'
        ? 'no DHCPv6'
        : v6.action === 'deleted'
          ? `its DHCPv6 options ${verb}`
          : `DHCPv6 (${v6.dhcpv6Uuid ?? ''}) ${verb}${opts === '' ? '' : `: ${opts}`}`
    lines.push(`IPv6 ${v6.prefix} ${v6.mode}: ${row}`)
    if (v6.linkedPorts > 0) lines.push(`${v6.linkedPorts} port(s) ${r.dryRun ? 'would be ' : ''}linked to its DHCPv6`)
  }
  return lines.join('\n')
}
