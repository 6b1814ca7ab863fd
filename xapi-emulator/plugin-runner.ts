/**
 * host.call_plugin as xapi runs it (xapi-project/xen-api ocaml/xapi/xapi_plugins.ml): the plugin
 * is the file NAME in the host's plugins directory (XENAPI_MISSING_PLUGIN [NAME] when no
 * directory entry has that name), exec'd directly with ONE argument, an XML-RPC methodCall
 * built by XMLRPC.To (ocaml/libs/http-lib/xMLRPC.ml) and printed by xml-light2's `to_string`
 * (ocaml/libs/xml-light2/xml.ml): `<methodCall><methodName>fn</methodName><params><param>
 * <value>SESSION</value></param><param><value><struct>...</struct></value></param></params>
 * </methodCall>`, no declaration, untyped string values, an empty string as `<value/>`; nothing
 * on stdin, an environment of only PATH=/sbin:/usr/sbin:/bin:/usr/bin (plus the host fixture's
 * test overrides), no timeout. A non-zero exit -> XENAPI_PLUGIN_FAILURE ["non-zero exit",
 * stdout, stderr]; stdout of an exit 0 is read by ./plugin-output.ts.
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { errorText } from '../lib/error-text.js'
import { Codes, XapiApiError } from './api-error.js'
import { forkExec } from './forkexecd.js'
import { readPluginOutput } from './plugin-output.js'

/** Forkhelpers' default PATH: the only variable xapi gives a plugin. */
export const PLUGIN_PATH = '/sbin:/usr/sbin:/bin:/usr/bin'

/**
 * xml-light2's `esc_pcdata`, byte by byte: `>` `<` `&` `"` as entities (`&` always, `'` never),
 * bytes below 0x20 other than tab, LF and CR dropped (not XML characters), every other byte
 * (0x7f and all of UTF-8's) as is. It works on bytes; on a JS string the same holds per UTF-16
 * unit, since every unit below 0x20 is one byte in UTF-8 and nothing else is dropped.
 */
function xmlLightText(text: string): string {
  let out = ''
  for (const c of text) {
    if (c === '>') out += '&gt;'
    else if (c === '<') out += '&lt;'
    else if (c === '&') out += '&amp;'
    else if (c === '"') out += '&quot;'
    else if (c >= ' ' || c === '\t' || c === '\n' || c === '\r') out += c
  }
  return out
}

/**
 * XMLRPC.To.string: `""` is the childless `<value/>`; any other string is `<value>` with a text
 * child, so a string of dropped bytes only is `<value></value>` (to_fct prints `<x/>` only for
 * an element without children, and a text child counts even when it prints as nothing).
 */
function stringValue(text: string): string {
  return text === '' ? '<value/>' : `<value>${xmlLightText(text)}</value>`
}

/** argv[1] of a plugin call, byte for byte what xapi passes. */
export function formatPluginCall(fn: string, sessionRef: string, args: Readonly<Record<string, string>>): string {
  const members = Object.entries(args)
    .map(([k, v]) => `<member><name>${xmlLightText(k)}</name>${stringValue(v)}</member>`)
    .join('')
  const struct = members === '' ? '<value><struct/></value>' : `<value><struct>${members}</struct></value>`
  return (
    `<methodCall><methodName>${xmlLightText(fn)}</methodName>` +
    `<params><param>${stringValue(sessionRef)}</param><param>${struct}</param></params></methodCall>`
  )
}

export interface PluginHost {
  readonly pluginsDir: string
  readonly netns?: string | undefined
  readonly env: Readonly<Record<string, string>>
}

export interface PluginExit {
  readonly argv: readonly string[]
  readonly status: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** The command line that runs `plugin` on `host` (inside its namespace when it has one). */
export function pluginArgv(host: PluginHost, plugin: string, call: string): string[] {
  const env = Object.entries({ ...host.env, PATH: PLUGIN_PATH }).map(([k, v]) => `${k}=${v}`)
  const inner = ['env', '-i', ...env, join(host.pluginsDir, plugin), call]
  return host.netns === undefined ? inner : ['ip', 'netns', 'exec', host.netns, ...inner]
}

/**
 * Run a plugin's argv as forkexecd does (PATH only, no stdin) and collect its exit: through the
 * emulator's forkexecd (./forkexecd.ts), so plugins of concurrent calls run side by side, as xapi's do.
 */
export async function execPlugin(argv: readonly string[]): Promise<PluginExit> {
  return { argv, ...(await forkExec(argv)) }
}

/** Map a plugin's exit to its result or the API error xapi raises (xapi_plugins.ml). */
export function interpretPluginOutput(result: PluginExit): string {
  const { stdout, stderr, status, signal } = result
  if (signal !== null) throw new XapiApiError(Codes.XENAPI_PLUGIN_FAILURE, [`signal: ${signal}`, stdout, stderr])
  if (status !== 0) throw new XapiApiError(Codes.XENAPI_PLUGIN_FAILURE, ['non-zero exit', stdout, stderr])
  return readPluginOutput(stdout)
}

/** Run `plugin`'s `fn` on a host as xapi does and return its Value string. */
export async function callPlugin(
  host: PluginHost,
  sessionRef: string,
  plugin: string,
  fn: string,
  args: Readonly<Record<string, string>>,
): Promise<string> {
  let names: string[]
  try {
    names = await readdir(host.pluginsDir)
  } catch {
    names = []
  }
  if (!names.includes(plugin)) throw new XapiApiError(Codes.XENAPI_MISSING_PLUGIN, [plugin])
  const argv = pluginArgv(host, plugin, formatPluginCall(fn, sessionRef, args))
  let exit: PluginExit
  try {
    exit = await execPlugin(argv)
  } catch (err) {
    // xapi's fork of a file it cannot exec: the child exits 127-ish; report it as xapi would.
    throw new XapiApiError(Codes.XENAPI_PLUGIN_FAILURE, ['non-zero exit', '', errorText(err)])
  }
  return interpretPluginOutput(exit)
}
