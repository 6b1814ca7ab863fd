/**
 * The errors of the chassis rules (lib/chassis) and of the plugin functions that apply them: the
 * integration bridge, system-id, the inventory, xapi-ovn's own records (saved state, persisted
 * configuration), and the host's SSL key and openssl.
 */
import { XapiOvnError, truncate } from '../errors.js'

/** The named integration bridge does not exist in the local OVSDB. params: [bridge] */
export class BridgeMissingError extends XapiOvnError {
  constructor(bridge: string) {
    super(
      'OVN_BRIDGE_MISSING',
      `bridge ${bridge} does not exist on this host (XAPI creates it when the network is attached)`,
      [bridge],
    )
  }
}

/** The bridge exists but is not the XAPI bridge we were told about. params: [bridge, reason] */
export class BridgeNotXapiError extends XapiOvnError {
  constructor(bridge: string, reason: string) {
    super('OVN_BRIDGE_NOT_XAPI', `bridge ${bridge} is not usable as the OVN integration bridge: ${reason}`, [
      bridge,
      reason,
    ])
  }
}

/** Open_vSwitch external_ids:system-id is set to something other than the host UUID. params: [current, expected] */
export class SystemIdMismatchError extends XapiOvnError {
  constructor(current: string, expected: string) {
    super(
      'OVN_SYSTEM_ID_MISMATCH',
      `system-id is ${current}, not the host UUID ${expected} (pass force-system-id=true to replace it)`,
      [current, expected],
    )
  }
}

/** The host inventory (INSTALLATION_UUID) cannot be read. params: [path, reason] */
export class InventoryError extends XapiOvnError {
  constructor(path: string, reason: string) {
    super('OVN_INVENTORY_UNREADABLE', `cannot read the host UUID from ${path}: ${reason}`, [path, reason])
  }
}
/**
 * The chassis configuration persisted for the host agent (`<state dir>/chassis.json`) cannot be
 * used: unreadable, not root-only, not ours, or holding arguments configure would refuse. Nothing
 * is applied from it.
 */
export class PersistedConfigError extends XapiOvnError {
  constructor(path: string, detail: string) {
    super(
      'OVN_PERSISTED_CONFIG_INVALID',
      `the persisted chassis configuration ${path} cannot be used: ${detail} (run configure again to rewrite it, or unconfigure to remove it)`,
      [path, detail],
    )
  }
}

/** xapi-ovn's own record in OVSDB (external_ids:xapi-ovn-saved) cannot be read. params: [detail] */
export class StateCorruptError extends XapiOvnError {
  constructor(detail: string) {
    super(
      'OVN_STATE_CORRUPT',
      `xapi-ovn's record of what it configured is damaged: ${detail} (Open_vSwitch external_ids:xapi-ovn-saved on the host)`,
      [detail],
    )
  }
}

/**
 * configure was given a private key (ovn-ssl-key). Refused before anything else is looked at:
 * a private key that travels ends up in argv, logs and debug output (issue 9). The key is made
 * on the host by fn=ssl-request, and configure takes a certificate signed for it. params: [argument]
 */
export class SslKeyRefusedError extends XapiOvnError {
  constructor(argument: string) {
    super(
      'OVN_SSL_KEY_REFUSED',
      `${argument} is refused: private keys must not travel (they would show in argv, logs and debug output); ` +
        'make the key on the host with xapi-ovn ssl request, have its CSR signed by your CA, ' +
        'and pass only ovn-ssl-cert and ovn-ssl-ca-cert',
      [argument],
    )
  }
}

/** openssl, which makes the CSR (Node has no CSR builder), is not on PATH. params: [program, PATH] */
export class OpensslMissingError extends XapiOvnError {
  constructor(program: string, path: string) {
    super('OVN_OPENSSL_MISSING', `${program} is not on PATH (${path}): it makes the certificate request`, [
      program,
      path,
    ])
  }
}

/** openssl failed or answered something that is not what was asked. params: [command, detail] */
export class OpensslFailedError extends XapiOvnError {
  constructor(command: string, detail: string) {
    super('OVN_OPENSSL_FAILED', `${command} failed: ${truncate(detail)}`, [command, truncate(detail)])
  }
}
