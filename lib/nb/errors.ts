/**
 * Errors of the OVN northbound operations. Every one is a XapiOvnError with a stable
 * `OVN_NB_*` code and string params; callers match on `code`.
 *
 * Shared codes are reused, not redefined: a malformed argument is `OVN_INVALID_ARGUMENT`
 * (InvalidArgumentError), a precondition that kept failing because someone else wrote the same
 * rows is `OVN_CONCURRENT_CHANGE` (ConcurrentChangeError), an unreachable server
 * `OVN_OVSDB_UNAVAILABLE`.
 */
import { XapiOvnError, truncate } from '../errors.js'

/** No logical switch has this name (or UUID). params: [switch] */
export class NbSwitchMissingError extends XapiOvnError {
  constructor(ref: string) {
    super('OVN_NB_SWITCH_MISSING', `logical switch ${JSON.stringify(truncate(ref))} does not exist`, [truncate(ref)])
  }
}

/** Several logical switches carry this name (OVN does not make names unique). params: [switch, count] */
export class NbSwitchAmbiguousError extends XapiOvnError {
  constructor(ref: string, count: number) {
    super(
      'OVN_NB_SWITCH_AMBIGUOUS',
      `${count} logical switches are named ${JSON.stringify(truncate(ref))}; name one by its UUID`,
      [truncate(ref), String(count)],
    )
  }
}

/** The switch still has ports and `force` was not given. params: [switch, portCount] */
export class NbSwitchNotEmptyError extends XapiOvnError {
  constructor(ref: string, portCount: number) {
    super(
      'OVN_NB_SWITCH_NOT_EMPTY',
      `logical switch ${JSON.stringify(truncate(ref))} still has ${portCount} port(s) (detach them first, or pass force to delete them with it)`,
      [truncate(ref), String(portCount)],
    )
  }
}

/**
 * A logical switch port of that name exists but cannot be this port: it is on another switch,
 * or it is of another kind (a VIF port where a localnet port is asked for, or the reverse).
 * params: [port, switch it is on, reason]
 */
export class NbPortConflictError extends XapiOvnError {
  constructor(port: string, onSwitch: string, reason: string) {
    super(
      'OVN_NB_PORT_CONFLICT',
      `logical switch port ${JSON.stringify(truncate(port))} (on switch ${JSON.stringify(truncate(onSwitch))}) conflicts: ${reason}`,
      [truncate(port), truncate(onSwitch), reason],
    )
  }
}

/**
 * A second localnet port on one physical network (and VLAN) was asked for. Every chassis that maps
 * that network would patch its integration bridge to the provider bridge twice: an L2 loop, a
 * broadcast storm that takes down overlay and provider traffic alike. params: [network, vlan or
 * "untagged", existing port, its switch]
 */
export class NbLocalnetLoopError extends XapiOvnError {
  constructor(network: string, vlan: number | null, existing: string, onSwitch: string) {
    const where = vlan === null ? 'untagged' : `VLAN ${vlan}`
    super(
      'OVN_NB_LOCALNET_LOOP',
      `physical network ${JSON.stringify(truncate(network))} (${where}) already has localnet port ${JSON.stringify(truncate(existing))} on switch ${JSON.stringify(truncate(onSwitch))}: a second localnet port on it would loop every chassis's integration bridge to the provider bridge twice (a broadcast storm); nothing was written (use that port, remove it first, or give another VLAN)`,
      [truncate(network), vlan === null ? 'untagged' : String(vlan), truncate(existing), truncate(onSwitch)],
    )
  }
}

/** No logical switch port of that name. params: [port] */
export class NbPortMissingError extends XapiOvnError {
  constructor(port: string) {
    super('OVN_NB_PORT_MISSING', `no logical switch port named ${JSON.stringify(truncate(port))}`, [truncate(port)])
  }
}

/**
 * An IP an attach asked for cannot be used on that switch: outside its subnet, or another port's
 * (or twice in one request). Nothing is written. params: [ip, switch, reason]
 */
export class NbAddressConflictError extends XapiOvnError {
  constructor(ip: string, onSwitch: string, reason: string) {
    super(
      'OVN_NB_ADDRESS_CONFLICT',
      `address ${truncate(ip)} on logical switch ${JSON.stringify(truncate(onSwitch))}: ${reason}; nothing was written`,
      [truncate(ip), truncate(onSwitch), reason],
    )
  }
}

/** Dynamic addresses were asked for on a switch that has no other_config:subnet or ipv6_prefix. params: [switch] */
export class NbSwitchNoSubnetError extends XapiOvnError {
  constructor(ref: string) {
    super(
      'OVN_NB_SWITCH_NO_SUBNET',
      `logical switch ${JSON.stringify(truncate(ref))} has no other_config:subnet (or ipv6_prefix), so ovn-northd cannot assign dynamic addresses on it`,
      [truncate(ref)],
    )
  }
}

/** No security group of that name (a Port_Group xapi-ovn made, security-groups.ts). params: [group] */
export class NbSgMissingError extends XapiOvnError {
  constructor(group: string) {
    super(
      'OVN_NB_SG_MISSING',
      `security group ${JSON.stringify(truncate(group))} does not exist (xapi-ovn sg add --sg ${truncate(group)}); nothing was written`,
      [truncate(group)],
    )
  }
}

/**
 * The Port_Group a security group would be (or an ACL it would own) exists but xapi-ovn did not
 * make it: it is never touched. params: [port group, reason]
 */
export class NbSgForeignError extends XapiOvnError {
  constructor(portGroup: string, reason: string) {
    super(
      'OVN_NB_SG_FOREIGN',
      `port group ${JSON.stringify(truncate(portGroup))} ${reason}: xapi-ovn leaves it alone; nothing was written`,
      [truncate(portGroup), reason],
    )
  }
}

/** A security group still has member ports (without force) or is the remote group of another's rule. params: [group, reason] */
export class NbSgInUseError extends XapiOvnError {
  constructor(group: string, reason: string) {
    super(
      'OVN_NB_SG_IN_USE',
      `security group ${JSON.stringify(truncate(group))} is in use: ${reason}; nothing was written`,
      [truncate(group), reason],
    )
  }
}

/** `sg rule del` of a rule the group does not have (without ifExists). params: [group, rule] */
export class NbSgRuleMissingError extends XapiOvnError {
  constructor(group: string, rule: string) {
    super(
      'OVN_NB_SG_RULE_MISSING',
      `security group ${JSON.stringify(truncate(group))} has no rule ${JSON.stringify(rule)}`,
      [truncate(group), rule],
    )
  }
}

/** No logical router has this name (or UUID). params: [router] */
export class NbRouterMissingError extends XapiOvnError {
  constructor(ref: string) {
    super('OVN_NB_ROUTER_MISSING', `logical router ${JSON.stringify(truncate(ref))} does not exist`, [truncate(ref)])
  }
}

/** Several logical routers carry this name (OVN does not make names unique). params: [router, count] */
export class NbRouterAmbiguousError extends XapiOvnError {
  constructor(ref: string, count: number) {
    super(
      'OVN_NB_ROUTER_AMBIGUOUS',
      `${count} logical routers are named ${JSON.stringify(truncate(ref))}; name one by its UUID`,
      [truncate(ref), String(count)],
    )
  }
}

/**
 * The logical router exists but xapi-ovn did not create it (no external_ids `xapi-ovn:managed`,
 * lib/nb/router-model.ts): another CMS (Neutron, ovn-kubernetes, a hand) owns it, and it is
 * never changed. params: [router]
 */
export class NbRouterForeignError extends XapiOvnError {
  constructor(ref: string) {
    super(
      'OVN_NB_ROUTER_FOREIGN',
      `logical router ${JSON.stringify(truncate(ref))} was not created by xapi-ovn; it is left alone and nothing was written`,
      [truncate(ref)],
    )
  }
}

/**
 * A router attach, gateway or detach does not fit what the switch already is: attached to a
 * router already (this one or another), the router's own provider switch, or not attached to the
 * router named. Nothing is written. params: [switch, router, reason]
 */
export class NbRouterAttachedError extends XapiOvnError {
  constructor(sw: string, router: string, reason: string) {
    super(
      'OVN_NB_ROUTER_ATTACHED',
      `logical switch ${JSON.stringify(truncate(sw))} and router ${JSON.stringify(truncate(router))}: ${reason}; nothing was written`,
      [truncate(sw), truncate(router), reason],
    )
  }
}

/** The router still has switches, a gateway or floating IPs and `force` was not given. params: [router, what] */
export class NbRouterNotEmptyError extends XapiOvnError {
  constructor(ref: string, what: string) {
    super(
      'OVN_NB_ROUTER_NOT_EMPTY',
      `logical router ${JSON.stringify(truncate(ref))} still has ${what} (detach them first, or pass force to remove them with it)`,
      [truncate(ref), what],
    )
  }
}

/**
 * A floating IP was asked for a port no gateway serves: its switch is attached to no xapi-ovn
 * router, or that router has no gateway (router gateway). params: [port, reason]
 */
export class NbRouterNoGatewayError extends XapiOvnError {
  constructor(port: string, reason: string) {
    super('OVN_NB_ROUTER_NO_GATEWAY', `port ${JSON.stringify(truncate(port))}: ${reason}; nothing was written`, [
      truncate(port),
      reason,
    ])
  }
}

/** A router gateway was asked on a switch without a localnet port: it reaches no provider network. params: [switch] */
export class NbNotProviderError extends XapiOvnError {
  constructor(sw: string) {
    super(
      'OVN_NB_NOT_PROVIDER',
      `logical switch ${JSON.stringify(truncate(sw))} has no localnet port, so it reaches no provider network (xapi-ovn localnet add); nothing was written`,
      [truncate(sw)],
    )
  }
}

/**
 * A floating IP cannot be that address or that port: the address is the gateway's or another
 * NAT's, or the port has a floating IP already, or no IPv4 address. params: [ip, reason]
 */
export class NbFipConflictError extends XapiOvnError {
  constructor(ip: string, reason: string) {
    super('OVN_NB_FIP_CONFLICT', `floating IP ${truncate(ip)}: ${reason}; nothing was written`, [truncate(ip), reason])
  }
}

/** Every class above with its code: the table the error test walks. */
export const NB_ERROR_CODES: ReadonlyMap<string, string> = new Map([
  ['NbSwitchMissingError', 'OVN_NB_SWITCH_MISSING'],
  ['NbSwitchAmbiguousError', 'OVN_NB_SWITCH_AMBIGUOUS'],
  ['NbSwitchNotEmptyError', 'OVN_NB_SWITCH_NOT_EMPTY'],
  ['NbPortConflictError', 'OVN_NB_PORT_CONFLICT'],
  ['NbSwitchNoSubnetError', 'OVN_NB_SWITCH_NO_SUBNET'],
  ['NbLocalnetLoopError', 'OVN_NB_LOCALNET_LOOP'],
  ['NbPortMissingError', 'OVN_NB_PORT_MISSING'],
  ['NbAddressConflictError', 'OVN_NB_ADDRESS_CONFLICT'],
  ['NbRouterMissingError', 'OVN_NB_ROUTER_MISSING'],
  ['NbRouterAmbiguousError', 'OVN_NB_ROUTER_AMBIGUOUS'],
  ['NbRouterForeignError', 'OVN_NB_ROUTER_FOREIGN'],
  ['NbRouterAttachedError', 'OVN_NB_ROUTER_ATTACHED'],
  ['NbRouterNotEmptyError', 'OVN_NB_ROUTER_NOT_EMPTY'],
  ['NbRouterNoGatewayError', 'OVN_NB_ROUTER_NO_GATEWAY'],
  ['NbNotProviderError', 'OVN_NB_NOT_PROVIDER'],
  ['NbFipConflictError', 'OVN_NB_FIP_CONFLICT'],
  ['NbSgMissingError', 'OVN_NB_SG_MISSING'],
  ['NbSgForeignError', 'OVN_NB_SG_FOREIGN'],
  ['NbSgInUseError', 'OVN_NB_SG_IN_USE'],
  ['NbSgRuleMissingError', 'OVN_NB_SG_RULE_MISSING'],
])
