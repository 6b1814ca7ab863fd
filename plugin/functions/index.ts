/**
 * The plugin's functions, by the name callers pass as fn. The dispatch table,
 * declared once here; plugin/main.ts dispatches on it.
 * `service` and `ssl-request` are loaded on first use: they need node:child_process (and
 * ssl-request node:crypto's key generation), which the chassis functions do not, and every module
 * loaded at start-up costs every call.
 */
import type { PluginFunction } from '../context.js'
import { configure } from './configure.js'
import { repair } from './repair.js'
import { status } from './status.js'
import { unconfigure } from './unconfigure.js'
import { verify } from './verify.js'

const service: PluginFunction = async (args, ctx) => (await import('./service.js')).service(args, ctx)
const sslRequest: PluginFunction = async (args, ctx) => (await import('./ssl-request.js')).sslRequest(args, ctx)

export const functions: Readonly<Record<string, PluginFunction>> = {
  configure,
  verify,
  status,
  unconfigure,
  repair,
  service,
  'ssl-request': sslRequest,
}
