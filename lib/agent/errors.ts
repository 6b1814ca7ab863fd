/**
 * What the pool agent reports about one VIF it cannot give a logical port (lib/agent). These are
 * findings, not failures of the agent: the VIF is skipped (its port, if any, is left exactly as it
 * is), every other VIF is synced, and the finding shows in the log, `status` and the metrics
 * (errors by code).
 */
import { XapiOvnError, truncate } from '../errors.js'

/** Neither the VIF, nor its VM, nor its network names a logical switch. params: [vif] */
export class AgentNoSwitchError extends XapiOvnError {
  constructor(vif: string) {
    super(
      'OVN_AGENT_NO_SWITCH',
      `VIF ${truncate(vif)}: no logical switch named by the VIF, its VM or its network (other_config xapi-ovn-switch); run xapi-ovn port attach --switch S, or set the key`,
      [truncate(vif)],
    )
  }
}

/** The switch XAPI names for the VIF is not in the northbound (or the name is shared). params: [vif, switch, reason] */
export class AgentSwitchMissingError extends XapiOvnError {
  constructor(vif: string, sw: string, reason: string) {
    super(
      'OVN_AGENT_SWITCH_MISSING',
      `VIF ${truncate(vif)}: logical switch ${JSON.stringify(truncate(sw))} ${reason}`,
      [truncate(vif), truncate(sw), reason],
    )
  }
}

/** A field XAPI holds for the VIF cannot make a port (bad MAC, IP or key value). params: [vif, field, value, reason] */
export class AgentVifInvalidError extends XapiOvnError {
  constructor(vif: string, field: string, value: string, reason: string) {
    super(
      'OVN_AGENT_VIF_INVALID',
      `VIF ${truncate(vif)}: ${field} ${JSON.stringify(truncate(value))} ${reason}; the VIF is skipped`,
      [truncate(vif), field, truncate(value), reason],
    )
  }
}

/** Another port of the switch already has this IP. params: [vif, ip, other port] */
export class AgentDuplicateAddressError extends XapiOvnError {
  constructor(vif: string, ip: string, other: string) {
    super(
      'OVN_AGENT_DUPLICATE_ADDRESS',
      `VIF ${truncate(vif)}: IP ${ip} is already the address of port ${truncate(other)} on the same switch; the VIF is skipped`,
      [truncate(vif), ip, truncate(other)],
    )
  }
}

/** A port with the VIF's name exists but the agent does not own it. params: [vif, reason] */
export class AgentPortForeignError extends XapiOvnError {
  constructor(vif: string, reason: string) {
    super('OVN_AGENT_PORT_FOREIGN', `port ${truncate(vif)} ${reason}: the agent leaves it alone`, [
      truncate(vif),
      reason,
    ])
  }
}

/**
 * The VIF's other_config xapi-ovn-security-groups names a security group the northbound does not
 * have. The port is still written and put in the default-drop group (fail closed); it joins the
 * group once `xapi-ovn sg add` makes it. params: [vif, group]
 */
export class AgentSecurityGroupMissingError extends XapiOvnError {
  constructor(vif: string, group: string) {
    super(
      'OVN_AGENT_SG_MISSING',
      `VIF ${truncate(vif)}: security group ${JSON.stringify(truncate(group))} (other_config xapi-ovn-security-groups) does not exist in the northbound (xapi-ovn sg add); the port is in the drop group until it does`,
      [truncate(vif), truncate(group)],
    )
  }
}

/** `xapi-ovn agent status`: no agent answers at this /healthz, or the answer is not an agent's. params: [url, reason] */
export class AgentUnreachableError extends XapiOvnError {
  constructor(url: string, reason: string) {
    super('OVN_AGENT_UNREACHABLE', `no agent status at ${truncate(url)}: ${reason}`, [truncate(url), reason])
  }
}

/**
 * A warning, not a skip: the VIF is `locked` in XAPI. On a real host xenopsd then puts XAPI's own
 * OpenFlow rules on the integration bridge at every plug, which outrank ovn-controller's and cut
 * the port off (docs/platform.md "VIF locking"). The port is written (with port security); the
 * operator should unlock the VIF and keep port security with other_config xapi-ovn-port-security=on.
 * params: [vif]
 */
export class AgentVifLockedWarning extends XapiOvnError {
  constructor(vif: string) {
    super(
      'OVN_AGENT_VIF_LOCKED',
      `VIF ${truncate(vif)} is locked in XAPI: XAPI's OpenFlow rules for it on the integration bridge bypass OVN on a real host; set its locking mode to unlocked and keep port security with other_config xapi-ovn-port-security=on (xapi-ovn port attach writes that)`,
      [truncate(vif)],
    )
  }
}
