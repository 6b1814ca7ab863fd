/**
 * Ask the local ovn-controller how it is, over its unixctl socket: OVS's convention is a pid file
 * `<rundir>/ovn-controller.pid` and a socket `<rundir>/ovn-controller.<pid>.ctl`; the command
 * `connection-status` answers "connected" or "not connected" (to the southbound database).
 * Never throws: a controller that cannot be asked is reported as not running, with the reason.
 */
import { findUnixctlSocket, unixctlCall } from '../ovsdb/unixctl.js'
import type { ControllerState } from './verify.js'
import { errorText } from '../error-text.js'

const PROBE_TIMEOUT_MS = 5_000

export async function probeController(ovnRundir: string): Promise<ControllerState> {
  let socket: string
  try {
    socket = await findUnixctlSocket(ovnRundir, 'ovn-controller')
  } catch (e) {
    return { running: false, pid: null, connection: null, error: errorText(e) }
  }
  const pid = Number(/\.([0-9]+)\.ctl$/.exec(socket)?.[1] ?? NaN)
  try {
    const answer = await unixctlCall(socket, 'connection-status', [], { timeoutMs: PROBE_TIMEOUT_MS })
    return { running: true, pid, connection: answer.trim(), error: null }
  } catch (e) {
    return { running: false, pid, connection: null, error: errorText(e) }
  }
}
