/**
 * dom0's firewall on an emulated host (docs/platform.md, "dom0 has a firewall").
 *
 * The host namespace gets the iptables filter table an XCP-ng 8.3 host boots with:
 * - `RH-Firewall-1-INPUT` as xcp-ng-rpms/xcp-ng-release `SPECS/xcp-ng-release.spec` writes it
 *   (`%triggerin config -- iptables-services`, /etc/sysconfig/iptables): lo, icmp, DHCP on
 *   xenapi, established/related, 694/udp (HA heartbeat), 22/80/443/tcp, dlm (21064/tcp,
 *   5404-5405/udp), then `REJECT --reject-with icmp-host-prohibited`; INPUT and FORWARD both jump
 *   to it;
 * - `xapi-INPUT`, ending in RETURN and jumped to from INPUT ahead of RH-Firewall-1-INPUT: the
 *   chain xapi's `firewall-port` plugin (xapi-project/xen-api scripts/plugins/firewall-port)
 *   creates on its first open with `-N`, `-A ... -j RETURN`, `-I INPUT`; here it is there from
 *   the start, as on a host where xapi has opened a port before.
 *
 * The host also gets an emulated `firewall-port` plugin (lab/firewall-port.sh, same semantics) in
 * its plugins directory `<rundir>/xapi.d/plugins` (where xapi-emulator puts a host's plugins);
 * LabHost.env() points xapi-ovn at it with XAPI_OVN_FIREWALL_PORT. Its "save" writes
 * `<rundir>/iptables` (`savedRulesPath`), standing for /etc/sysconfig/iptables.
 *
 * In this lab OVS runs the userspace datapath (datapath_type=netdev): ovs-vswitchd reads the
 * uplink's frames itself (AF_PACKET) and decapsulates Geneve in userspace. The kernel also takes
 * the frames addressed to the NIC's MAC (the bridge's, as networkd sets it) into its IP stack, so
 * INPUT does see the tunnel packets, as on dom0 (docs/platform.md#dom0-has-a-firewall), but a
 * REJECT there cannot stop ovs-vswitchd's copy. The rules are kept exactly as dom0's: whatever
 * goes through the kernel (ovn-controller's TCP to the central, ping) meets the real chains.
 */
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { XAPI_INPUT_CHAIN } from '../lib/chassis/firewall-port-io.js'
import { run } from './exec.js'

/** lab/firewall-port.sh beside this module (the transpile step copies it to .build/lab/). */
const EMULATED_PLUGIN = fileURLToPath(new URL('./firewall-port.sh', import.meta.url))

export { XAPI_INPUT_CHAIN }

/** /etc/sysconfig/iptables as XCP-ng 8.3 leaves it, plus xapi's chain (see the header). */
export const DOM0_RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:RH-Firewall-1-INPUT - [0:0]
:${XAPI_INPUT_CHAIN} - [0:0]
-A INPUT -j ${XAPI_INPUT_CHAIN}
-A INPUT -j RH-Firewall-1-INPUT
-A FORWARD -j RH-Firewall-1-INPUT
-A RH-Firewall-1-INPUT -i lo -j ACCEPT
-A RH-Firewall-1-INPUT -p icmp --icmp-type any -j ACCEPT
-A RH-Firewall-1-INPUT -p udp -m udp --dport 67 --in-interface xenapi -j ACCEPT
-A RH-Firewall-1-INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A RH-Firewall-1-INPUT -m conntrack --ctstate NEW -m udp -p udp --dport 694 -j ACCEPT
-A RH-Firewall-1-INPUT -m conntrack --ctstate NEW -m tcp -p tcp --dport 22 -j ACCEPT
-A RH-Firewall-1-INPUT -m conntrack --ctstate NEW -m tcp -p tcp --dport 80 -j ACCEPT
-A RH-Firewall-1-INPUT -m conntrack --ctstate NEW -m tcp -p tcp --dport 443 -j ACCEPT
-A RH-Firewall-1-INPUT -p tcp -m tcp --dport 21064 -j ACCEPT
-A RH-Firewall-1-INPUT -p udp -m multiport --dports 5404,5405 -j ACCEPT
-A RH-Firewall-1-INPUT -j REJECT --reject-with icmp-host-prohibited
-A ${XAPI_INPUT_CHAIN} -j RETURN
COMMIT
`

/** Where a host's plugins live (xapi-emulator's `pluginsDir` for a host with this rundir). */
export function pluginsDirOf(rundir: string): string {
  return join(rundir, 'xapi.d', 'plugins')
}

/** The emulated firewall-port plugin of the host with this rundir. */
export function firewallPortPath(rundir: string): string {
  return join(pluginsDirOf(rundir), 'firewall-port')
}

/** What the emulated plugin's "save" (service iptables save) wrote: iptables-save output. */
export function savedRulesPath(rundir: string): string {
  return join(rundir, 'iptables')
}

/** Load dom0's rules into the namespace and install the emulated firewall-port plugin. */
export async function installDom0Firewall(host: { readonly netns: string; readonly rundir: string }): Promise<void> {
  await run('iptables-restore', ['-w'], { netns: host.netns, input: DOM0_RULES })
  mkdirSync(pluginsDirOf(host.rundir), { recursive: true })
  const dest = firewallPortPath(host.rundir)
  copyFileSync(EMULATED_PLUGIN, dest)
  chmodSync(dest, 0o755)
}

/** `iptables -S CHAIN` in the host namespace, one rule per line. */
export async function chainRules(netns: string, chain = XAPI_INPUT_CHAIN): Promise<string[]> {
  const r = await run('iptables', ['-w', '-S', chain], { netns })
  return r.stdout.split('\n').filter((l) => l !== '')
}
