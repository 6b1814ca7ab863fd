/**
 * The plugin's functions, by the name callers pass as fn. The dispatch table,
 * declared once here; plugin/main.ts dispatches on it.
 * `service` is loaded on first use: it needs node:child_process, which the chassis functions do
 * not, and every module loaded at start-up costs every call.
 */
import type { PluginFunction } from '../context.js'
import { configure } from './configure.js'
import { repair } from './repair.js'
import { status } from './status.js'
import { unconfigure } from './unconfigure.js'
import { verify } from './verify.js'

const service: PluginFunction = async (args, ctx) => (await import('./service.js')).service(args, ctx)

export const functions: Readonly<Record<string, PluginFunction>> = {
  configure,
  verify,
  status,
  unconfigure,
  repair,
  service,
}
