/**
 * XAPI's two wire protocols over node:http(s), as xapi's api_server.ml serves them:
 *
 * - JSON-RPC at `POST /jsonrpc` (content-type application/json). Version 2.0 requests get
 *   `{jsonrpc, result, id}` or `{jsonrpc, error: {code: 1, message: CODE, data: [params]}, id}`;
 *   1.0 requests get `{result, error: null|[CODE, ...params], id}`.
 * - XML-RPC on any other POST path (xapi registers "/" and matches by prefix; xen-api posts to
 *   `/xmlrpc`), content-type text/xml: `{Status: "Success", Value}` or
 *   `{Status: "Failure", ErrorDescription: [CODE, ...params]}`; system.listMethods answers the
 *   bare array, unwrapped, as xapi does.
 *
 * Requests are decoded with the project's codec (lib/xmlrpc); replies are written as xapi's
 * rpclib writes them (xmlrpc-values.ts).
 *
 * HTTPS uses a throw-away self-signed certificate made with `openssl`, so a client's
 * certificate verification can be tested both ways.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { decodeMethodCall } from '../lib/xmlrpc/index.js'
import { Codes, XapiApiError } from './api-error.js'
import type { XapiEmulator } from './emulator.js'
import { fromJson, toJson, type XapiValue } from './values.js'
import { fromXmlRpc, xapiMethodResponse } from './xmlrpc-values.js'

const MAX_BODY_BYTES = 16 * 1024 * 1024

export interface ServerOptions {
  /** Serve HTTPS with a fresh self-signed certificate for 127.0.0.1. */
  readonly https?: boolean
}

export interface EmulatorServer {
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT` */
  readonly url: string
  readonly port: number
  /** PEM of the self-signed certificate (HTTPS only). */
  readonly certificate?: string
  /** Every method called, in arrival order (Async. prefix kept), for assertions. */
  readonly calls: readonly string[]
  /**
   * Run `hook` (awaited) at the start of close(), before sessions go. For clients: a xen-api
   * client that loses its server mid-event.from sleeps `eventPollDelay` (60 s by default) before
   * retrying, so disconnect clients first.
   */
  addCloseHook(hook: () => unknown): void
  close(): Promise<void>
}

function toFailure(err: unknown): XapiApiError {
  if (err instanceof XapiApiError) return err
  return new XapiApiError(Codes.INTERNAL_ERROR, [String((err as Error)?.message ?? err)])
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'))
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

/** Write a response; resolves once it is handed to the OS (so close() never cuts one short). */
function send(res: ServerResponse, status: number, contentType: string, body: string): Promise<void> {
  return new Promise((resolve) => {
    // A client that gave up on its call (a timeout) has closed the connection already: 'close'
    // was emitted before we got here, and would never come again.
    if (res.destroyed || res.socket === null || res.socket.destroyed) {
      resolve()
      return
    }
    res.once('finish', resolve)
    res.once('close', resolve)
    res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
}

async function handleJson(emulator: XapiEmulator, calls: string[], body: string, res: ServerResponse): Promise<void> {
  let request: { jsonrpc?: unknown; method?: unknown; params?: unknown; id?: unknown }
  try {
    request = JSON.parse(body) as typeof request
  } catch {
    await send(res, 400, 'text/plain', 'invalid JSON')
    return
  }
  if (typeof request !== 'object' || request === null || typeof request.method !== 'string') {
    await send(res, 400, 'text/plain', 'not a JSON-RPC request')
    return
  }
  const v2 = request.jsonrpc === '2.0'
  const id = request.id ?? null
  const params =
    request.params === undefined || request.params === null
      ? []
      : Array.isArray(request.params)
        ? request.params
        : [request.params]
  const method = request.method
  calls.push(method)
  let reply: unknown
  try {
    const result = await emulator.call(method, params.map(fromJson))
    reply = v2 ? { jsonrpc: '2.0', result: toJson(result), id } : { result: toJson(result), error: null, id }
  } catch (err) {
    const e = toFailure(err)
    reply = v2
      ? { jsonrpc: '2.0', error: { code: 1, message: e.code, data: [...e.params] }, id }
      : { result: null, error: e.description, id }
  }
  await send(res, 200, 'application/json', JSON.stringify(reply))
}

async function handleXml(emulator: XapiEmulator, calls: string[], body: string, res: ServerResponse): Promise<void> {
  let call: ReturnType<typeof decodeMethodCall>
  try {
    call = decodeMethodCall(body)
  } catch (err) {
    await send(res, 400, 'text/plain', `invalid XML-RPC request: ${(err as Error).message}`)
    return
  }
  calls.push(call.methodName)
  let value: XapiValue
  try {
    const result = await emulator.call(call.methodName, call.params.map(fromXmlRpc))
    value = call.methodName === 'system.listMethods' ? result : { Status: 'Success', Value: result }
  } catch (err) {
    value = { Status: 'Failure', ErrorDescription: toFailure(err).description }
  }
  await send(res, 200, 'text/xml', xapiMethodResponse(value))
}

const run = promisify(execFile)

async function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'xapi-emu-tls-'))
  try {
    const key = join(dir, 'key.pem')
    const cert = join(dir, 'cert.pem')
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ])
    return { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Serve `emulator` on 127.0.0.1 (a free port). `close()` also closes the emulator. */
export async function serveEmulator(emulator: XapiEmulator, options: ServerOptions = {}): Promise<EmulatorServer> {
  const calls: string[] = []
  const inflight = new Set<Promise<void>>()
  let draining = false
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (draining) res.shouldKeepAlive = false
    const handling = (async () => {
      try {
        if (req.method !== 'POST') {
          await send(res, 404, 'text/plain', 'not found')
          return
        }
        const body = await readBody(req)
        const path = (req.url ?? '/').split('?')[0]
        if (path === '/jsonrpc') await handleJson(emulator, calls, body, res)
        else await handleXml(emulator, calls, body, res)
      } catch (err) {
        if (!res.headersSent) await send(res, 500, 'text/plain', String((err as Error)?.message ?? err))
        else res.destroy()
      }
    })()
    inflight.add(handling)
    void handling.finally(() => inflight.delete(handling))
  }
  let certificate: string | undefined
  let server: Server
  if (options.https === true) {
    const tls = await selfSignedCertificate()
    certificate = tls.cert
    server = createHttpsServer({ key: tls.key, cert: tls.cert }, handler)
  } else {
    server = createHttpServer(handler)
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  let closing: Promise<void> | undefined
  const hooks: Array<() => unknown> = []
  const result: EmulatorServer = {
    url: `${options.https === true ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    calls,
    addCloseHook: (hook) => {
      hooks.push(hook)
    },
    close: () => {
      closing ??= (async () => {
        await Promise.allSettled(hooks.map(async (hook) => hook()))
        // Invalidates sessions and releases waiting event.from calls (they answer SESSION_INVALID).
        await emulator.close()
        // Answer what still arrives (a client's last event.from or logout may be on the wire),
        // each answer closing its connection, and only then close the server: on Node >= 19
        // server.close() drops idle keep-alive connections at once, and a request already sent
        // on one would be lost (a xen-api client then sleeps eventPollDelay, 60 s, before retrying).
        draining = true
        do {
          await Promise.allSettled([...inflight])
          await new Promise((resolve) => setTimeout(resolve, 20))
        } while (inflight.size > 0)
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
      })()
      return closing
    },
  }
  if (certificate !== undefined) return { ...result, certificate }
  return result
}
