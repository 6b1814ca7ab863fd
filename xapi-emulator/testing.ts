/**
 * Helpers for tests that talk to the emulator with the real `xen-api` client.
 *
 * @example
 * ```ts
 * const pool = await createEmulatedPool({ hosts: memoryHosts(2), password: PASSWORD })
 * t.after(() => pool.close())
 * const xapi = await connectClient(t, pool, 'xml-rpc')
 * await rejectsWithXapiError(xapi.call('host.get_record', 'OpaqueRef:x'), 'HANDLE_INVALID', ['host', 'OpaqueRef:x'])
 * ```
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createClient, type Xapi } from 'xen-api'
import { MemoryHostBackend } from './host-backend.js'
import type { PluginExit } from './plugin-runner.js'
import type { EmulatorServer } from './server.js'

export const PASSWORD = 'emulator-secret'
export const TRANSPORTS = ['json-rpc', 'xml-rpc'] as const
export type Transport = (typeof TRANSPORTS)[number]

/** `n` in-memory hosts host1..hostN with management IPs 192.0.2.11, .12, ... */
export function memoryHosts(n: number, env: Record<string, string> = {}): MemoryHostBackend[] {
  return Array.from(
    { length: n },
    (_, i) =>
      new MemoryHostBackend({ uuid: randomUUID(), name: `host${i + 1}`, managementIp: `192.0.2.${11 + i}`, env }),
  )
}

/**
 * `n` in-memory hosts that are other machines (HostBackend.forwardPluginCall): each plugin call
 * is answered by `answer`, not exec'd on this machine - the way a pool master forwards
 * Host.call_plugin to the member's own xapi. For measuring the master's and the driver's part.
 */
export function remoteHosts(
  n: number,
  answer: (host: MemoryHostBackend, plugin: string, methodCall: string) => Promise<PluginExit>,
): MemoryHostBackend[] {
  return memoryHosts(n).map((h) => Object.assign(h, { forwardPluginCall: (p: string, c: string) => answer(h, p, c) }))
}

interface AfterHook {
  after(fn: () => unknown): void
}

/**
 * A connected client (events on unless told), disconnected after the test and before the pool
 * closes (whichever comes first).
 */
export async function connectClient(
  t: AfterHook,
  pool: { readonly url: string; readonly server: Pick<EmulatorServer, 'addCloseHook'> },
  transport: Transport,
  options: { password?: string; watchEvents?: boolean; allowUnauthorized?: boolean } = {},
): Promise<Xapi> {
  const xapi = createClient({
    url: pool.url,
    auth: { user: 'root', password: options.password ?? PASSWORD },
    transport,
    watchEvents: options.watchEvents ?? true,
    allowUnauthorized: options.allowUnauthorized ?? false,
    debounce: 20,
  })
  t.after(() => xapi.disconnect())
  pool.server.addCloseHook(() => xapi.disconnect())
  await xapi.connect()
  if (options.watchEvents !== false) await xapi.objectsFetched
  return xapi
}

/** The promise rejects with a xen-api error of this code (and these params, when given). */
export async function rejectsWithXapiError(
  promise: Promise<unknown>,
  code: string,
  params?: readonly string[],
): Promise<{ code: string; params: string[] }> {
  let error: unknown
  try {
    await promise
  } catch (err) {
    error = err
  }
  assert.ok(error !== undefined, `expected ${code}, the call succeeded`)
  const e = error as { code?: unknown; params?: unknown; message?: string }
  assert.equal(e.code, code, `expected ${code}, got ${String(e.code)}: ${String(e.message)}`)
  if (params !== undefined) assert.deepEqual(e.params, params)
  return { code: e.code as string, params: e.params as string[] }
}

/** POST a raw body to the emulator and get status, content-type and text back. */
export async function post(
  url: string,
  path: string,
  body: string,
  contentType: string,
): Promise<{ status: number; contentType: string | null; text: string }> {
  const res = await fetch(new URL(path, url), { method: 'POST', body, headers: { 'content-type': contentType } })
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() }
}

/**
 * A plugin (Python, as XAPI's plugins are) that answers Success with a JSON Value describing how
 * it was run: argv, its initial environment (/proc/self/environ: nothing Python adds), what its
 * stdin is, and its network namespace.
 */
export const REPORTING_PLUGIN = `#!/usr/bin/python3
import json, os, sys, xmlrpc.client
env = {}
with open('/proc/self/environ', 'rb') as f:
    for item in f.read().split(b'\\0'):
        if item:
            key, _, value = item.decode().partition('=')
            env[key] = value
report = {
    'argv': sys.argv,
    'env': env,
    'stdin': os.readlink('/proc/self/fd/0'),
    'netns': os.readlink('/proc/self/ns/net'),
}
sys.stdout.write(xmlrpc.client.dumps(({'Status': 'Success', 'Value': json.dumps(report)},), methodresponse=True))
`

export interface PluginReport {
  readonly argv: string[]
  readonly env: Record<string, string>
  readonly stdin: string
  readonly netns: string
}

/** A /bin/sh plugin printing `stdout` (verbatim), `stderr`, exiting with `status`. */
export function shellPlugin(stdout: string, options: { stderr?: string; status?: number } = {}): string {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`
  return `#!/bin/sh\nprintf '%s' ${quote(stdout)}\nprintf '%s' ${quote(options.stderr ?? '')} >&2\nexit ${options.status ?? 0}\n`
}

/** A VIF.create record with the fields XAPI requires (what `xe vif-create` or Xen Orchestra sends). */
export function vifRecord(
  network: string,
  vm: string,
  device: string,
  fields: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    device,
    network,
    VM: vm,
    MAC: '',
    MTU: 1500,
    other_config: {},
    qos_algorithm_type: '',
    qos_algorithm_params: {},
    ...fields,
  }
}
