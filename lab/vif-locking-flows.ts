/**
 * Pure: the OpenFlow rules xenopsd's `setup-vif-rules` puts on a VIF's bridge at every plug of a
 * `locked` VIF (xapi-project/xen-api ocaml/xenopsd/scripts/setup-vif-rules, `create_vswitch_rules`,
 * read for docs/platform.md "VIF locking"), as `ovs-ofctl add-flow` arguments, so the lab's hosts
 * do what a real host does — including on the OVN integration bridge, where these table-0 rules
 * outrank ovn-controller's and cut the VIF off (ovn-controller clears foreign flows only when it
 * connects). What is let through: DHCP out from the VIF's MAC, ARP probes (source 0.0.0.0) and
 * ARP/IPv4 from each allowed IPv4, neighbour discovery and ICMPv6/TCP/UDP from each allowed IPv6;
 * other neighbour discovery and router messages are dropped, then everything else.
 */
export interface LockedVif {
  readonly ofport: number
  readonly mac: string
  readonly ipv4Allowed: readonly string[]
  readonly ipv6Allowed: readonly string[]
}

/** One `add-flow` argument per rule, in the order setup-vif-rules adds them. */
export function lockedVifFlows(v: LockedVif): string[] {
  const p = `in_port=${v.ofport}`
  const flows = [
    `${p},priority=8000,dl_type=0x0800,nw_proto=0x11,tp_dst=67,dl_src=${v.mac},idle_timeout=0,action=normal`,
    `${p},priority=7000,dl_type=0x0806,dl_src=${v.mac},arp_sha=${v.mac},nw_src=0.0.0.0,idle_timeout=0,action=normal`,
  ]
  for (const ip of v.ipv4Allowed) {
    flows.push(
      `${p},priority=7000,dl_type=0x0806,dl_src=${v.mac},arp_sha=${v.mac},nw_src=${ip},idle_timeout=0,action=normal`,
      `${p},priority=6000,dl_type=0x0800,nw_src=${ip},dl_src=${v.mac},idle_timeout=0,action=normal`,
    )
  }
  for (const ip of v.ipv6Allowed) {
    flows.push(
      `${p},priority=8000,dl_src=${v.mac},icmp6,ipv6_src=${ip},icmp_type=135,nd_sll=${v.mac},idle_timeout=0,action=normal`,
      `${p},priority=8000,dl_src=${v.mac},icmp6,ipv6_src=${ip},icmp_type=136,nd_target=${ip},idle_timeout=0,action=normal`,
      ...['icmp6', 'tcp6', 'udp6'].map(
        (proto) => `${p},priority=5000,dl_src=${v.mac},ipv6_src=${ip},${proto},action=normal`,
      ),
    )
  }
  for (const type of [135, 136]) flows.push(`${p},priority=7000,icmp6,icmp_type=${type},action=drop`)
  for (const type of [134, 137, 146, 147, 151, 152, 153])
    flows.push(`${p},priority=6000,icmp6,icmp_type=${type},action=drop`)
  flows.push(`${p},priority=4000,idle_timeout=0,action=drop`)
  return flows
}
