/**
 * The names the pool agent (`xapi-ovn agent`) and `xapi-ovn port attach` agree on: the XAPI
 * other_config keys that say where a VIF's logical port lives, and the external_ids the ports
 * they write carry. Said once, here, so the CLI and the agent never disagree (DESIGN.md
 * "The pool agent").
 */

/**
 * other_config key naming the logical switch (name or UUID) of a VIF's port. Looked up on the
 * VIF, then its VM, then its network: the first one set wins (docs/agent.md "Which switch").
 */
export const SWITCH_KEY = 'xapi-ovn-switch'

/**
 * VIF other_config key: `dynamic` asks ovn-northd for an address from the switch's subnet;
 * absent, the port's addresses are the VIF's MAC plus XAPI's own ipv4_allowed/ipv6_allowed.
 */
export const ADDRESSES_KEY = 'xapi-ovn-addresses'
export const DYNAMIC_ADDRESSES = 'dynamic'

/**
 * VIF other_config key: `on` holds the port to its MAC and allowed IPs (OVN port_security), `off`
 * lets it send from any address. Absent: XAPI's locking_mode decides (locked = on). This key, not
 * locking_mode, is what `port attach` writes: a `locked` VIF makes xenopsd put XAPI's own OpenFlow
 * rules on the integration bridge, which outrank ovn-controller's and cut the port off
 * (docs/platform.md "VIF locking").
 */
export const PORT_SECURITY_KEY = 'xapi-ovn-port-security'
export const PORT_SECURITY_ON = 'on'
export const PORT_SECURITY_OFF = 'off'

/** Port external_ids: the pool (its uuid) whose XAPI the port follows. The agent owns exactly these. */
export const POOL_UUID_KEY = 'xapi-ovn:pool-uuid'
/** Port external_ids: the VM the VIF belongs to. */
export const VM_UUID_KEY = 'xapi-ovn:vm-uuid'

/**
 * VIF other_config key: the security groups of the VIF's port, comma-separated names
 * (`web,ssh`; lib/nb/plan-security-groups.ts). `xapi-ovn sg attach|detach` writes it; the agent
 * puts the port in exactly those groups of ours (and in the default-drop group while it names any).
 * Absent or empty: the port is in none of ours, so no ACL of ours applies to it.
 */
export const SECURITY_GROUPS_KEY = 'xapi-ovn-security-groups'
