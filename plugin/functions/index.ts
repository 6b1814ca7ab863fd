/**
 * The plugin's functions, by the name callers pass as fn. plugin/main.ts dispatches on this table.
 */
import type { PluginFunction } from '../context.js'
import { configure } from './configure.js'
import { status } from './status.js'
import { unconfigure } from './unconfigure.js'
import { verify } from './verify.js'

export const functions: Readonly<Record<string, PluginFunction>> = {
  configure,
  verify,
  status,
  unconfigure,
}
