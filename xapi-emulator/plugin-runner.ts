/**
 * host.call_plugin as xapi runs it (ocaml/xapi/xapi_plugins.ml): the plugin is the file NAME in
 * the host's plugins directory (XENAPI_MISSING_PLUGIN [NAME] when no directory entry has that
 * name), exec'd directly with ONE argument, an XML-RPC methodCall written by xml-light
 * (`<methodCall><methodName>fn</methodName><params><param><value>SESSION</value></param>
 * <param><value><struct>...</struct></value></param></params></methodCall>`, no declaration,
 * untyped string values, an empty string as `<value/>`), nothing on stdin, an environment of
 * only PATH=/sbin:/usr/sbin:/bin:/usr/bin (plus the host fixture's test overrides), no timeout.
 * stdout is parsed as a methodResponse: Success -> the Value string; Failure -> that API error;
 * a fault -> XENAPI_PLUGIN_FAILURE ["fault", code, string]; a non-zero exit ->
 * XENAPI_PLUGIN_FAILURE ["non-zero exit", stdout, stderr]; unparseable ->
 * XENAPI_PLUGIN_FAILURE ["failed to parse plugin output", stdout, reason].
 */
import { spawn } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeMethodResponse, type XmlRpcValue } from '../lib/xmlrpc/index.js'
import { Codes, XapiApiError } from './api-error.js'

/** Forkhelpers' default PATH: the only variable xapi gives a plugin. */
export const PLUGIN_PATH = '/sbin:/usr/sbin:/bin:/usr/bin'

/** xml-light's text escaping (note: an `&` followed by `#` is written as is). */
function xmlLightText(text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (c === '>') out += '&gt;'
    else if (c === '<') out += '&lt;'
    else if (c === '&') out += text[i + 1] === '#' ? '&' : '&amp;'
    else if (c === "'") out += '&apos;'
    else if (c === '"') out += '&quot;'
    else out += c
  }
  return out
}

/** XMLRPC.To.string: `<value>text</value>`, or `<value/>` for the empty string. */
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

function exec(argv: readonly string[]): Promise<PluginExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), {
      env: { PATH: PLUGIN_PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', reject)
    child.on('close', (status, signal) =>
      resolve({
        argv,
        status,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    )
  })
}

function isStruct(v: XmlRpcValue | undefined): v is Readonly<Record<string, XmlRpcValue>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype
}

/** Map a plugin's output to its result or the API error xapi raises. */
export function interpretPluginOutput(result: PluginExit): string {
  const { stdout, stderr, status, signal } = result
  if (signal !== null) throw new XapiApiError(Codes.XENAPI_PLUGIN_FAILURE, [`signal: ${signal}`, stdout, stderr])
  if (status !== 0) throw new XapiApiError(Codes.XENAPI_PLUGIN_FAILURE, ['non-zero exit', stdout, stderr])
  let response: ReturnType<typeof decodeMethodResponse>
  try {
    response = decodeMethodResponse(stdout)
  } catch (err) {
    throw new XapiApiError(Codes.XENAPI_PLUGIN_FAILURE, [
      'failed to parse plugin output',
      stdout,
      (err as Error).message,
    ])
  }
  if (response.kind === 'fault') {
    throw new XapiApiError(Codes.XENAPI_PLUGIN_FAILURE, ['fault', String(response.faultCode), response.faultString])
  }
  const value = response.params[0]
  if (isStruct(value)) {
    const { Status, Value, ErrorDescription } = value
    if (Status === 'Success' && typeof Value === 'string') return Value
    if (
      Status === 'Failure' &&
      Array.isArray(ErrorDescription) &&
      ErrorDescription.length > 0 &&
      ErrorDescription.every((e) => typeof e === 'string')
    ) {
      const [code, ...params] = ErrorDescription as string[]
      throw new XapiApiError(code as string, params)
    }
  }
  throw new XapiApiError(Codes.XENAPI_PLUGIN_FAILURE, ['unexpected XMLRPC result', stdout])
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
    exit = await exec(argv)
  } catch (err) {
    // xapi's fork of a file it cannot exec: the child exits 127-ish; report it as xapi would.
    throw new XapiApiError(Codes.XENAPI_PLUGIN_FAILURE, ['non-zero exit', '', (err as Error).message])
  }
  return interpretPluginOutput(exit)
}
