/**
 * How xapi reads a plugin's stdout, step for step: xml-light2 parses it
 * (xapi-project/xen-api `ocaml/libs/xml-light2/xml.ml`: whitespace-only text dropped), then
 * `XMLRPC.From.methodResponse` (`ocaml/libs/http-lib/xMLRPC.ml`) takes it apart, then
 * `Xapi_plugins.call_plugin` (`ocaml/xapi/xapi_plugins.ml`) maps the result. Only `Xml.Error`
 * (not XML at all) is caught there; a document of the wrong shape raises
 * `XMLRPC.RunTimeTypeError`, `Not_found` or `Failure`, which xapi's `ExnHelper.error_of_exn`
 * (`ocaml/xapi/exnHelper.ml`) turns into `INTERNAL_ERROR [Printexc.to_string exn]`. The messages
 * below are the ones xMLRPC.ml builds, so the INTERNAL_ERROR text is what a caller of 8.3 sees.
 * See README.md for what is simplified (the XML layer).
 */
import { errorText } from '../lib/error-text.js'
import { parseXml, type XmlElement } from '../lib/xmlrpc/xml-tokenizer.js'
import { Codes, XapiApiError } from './api-error.js'

/** xml-light2's tree: an element (no attributes: our tokenizer refuses them) or text. */
type Xml = { readonly tag: string; readonly children: readonly Xml[] } | string

/** What `XMLRPC.From.methodResponse` returns (xMLRPC.ml `response`; `Raw` is never produced). */
type Response =
  | { readonly kind: 'success'; readonly value: Xml }
  | { readonly kind: 'failure'; readonly code: string; readonly params: readonly string[] }
  | { readonly kind: 'fault'; readonly code: number; readonly reason: string }

/** OCaml exceptions that reach xapi's dispatcher, as `Printexc.to_string` prints them. */
class OcamlException extends Error {}

/** `XMLRPC.RunTimeTypeError (name, xml)`: the second field is a block, printed `_`. */
function rtte(name: string): never {
  throw new OcamlException(`XMLRPC.RunTimeTypeError(${camlString(name)}, _)`)
}

function notFound(): never {
  throw new OcamlException('Not_found')
}

/** OCaml's `String.escaped` on the UTF-8 bytes of `s` (what `%S` and `String.escaped` print). */
function camlEscaped(s: string): string {
  let out = ''
  for (const byte of Buffer.from(s, 'utf8')) {
    if (byte === 0x22) out += '\\"'
    else if (byte === 0x5c) out += '\\\\'
    else if (byte === 0x0a) out += '\\n'
    else if (byte === 0x09) out += '\\t'
    else if (byte === 0x0d) out += '\\r'
    else if (byte === 0x08) out += '\\b'
    else if (byte >= 0x20 && byte <= 0x7e) out += String.fromCharCode(byte)
    else out += `\\${String(byte).padStart(3, '0')}`
  }
  return out
}

function camlString(s: string): string {
  return `"${camlEscaped(s)}"`
}

/** xml-light2's `is_empty`: text of only space, LF and tab is dropped (CR too: XML folds it to LF). */
function toXml(el: XmlElement): Xml {
  const children: Xml[] = []
  for (const child of el.children) {
    if (typeof child !== 'string') children.push(toXml(child))
    else if (!/^[ \n\t]*$/.test(child)) children.push(child)
  }
  return { tag: el.name, children }
}

function prettyPrint(x: Xml): string {
  return typeof x === 'string' ? `PCData=${camlEscaped(x)}` : `Element=${camlEscaped(x.tag)}`
}

function unbox<T>(ok: readonly string[], f: (children: readonly Xml[]) => T, x: Xml): T {
  if (typeof x !== 'string' && ok.includes(x.tag)) return f(x.children)
  return rtte(`unbox: ${prettyPrint(x)} should contain '${ok[0]}'`)
}

function singleton<T>(ok: readonly string[], f: (x: Xml) => T, x: Xml): T {
  return unbox(
    ok,
    (children) => {
      const [only] = children
      if (children.length === 1 && only !== undefined) return f(only)
      return rtte(`singleton: {${children.map(prettyPrint).join(', ')}} should be the singleton {${ok[0]}}`)
    },
    x,
  )
}

function pcdata(x: Xml): string {
  return typeof x === 'string' ? x : rtte('pcdata')
}

/** `From.string`: `<value>s</value>`, `<value/>`, `<value><string/></value>`, `<value><string>s</string></value>`. */
function fromString(x: Xml): string {
  if (typeof x !== 'string' && x.tag === 'value') {
    const [only] = x.children
    if (x.children.length === 0) return ''
    if (x.children.length === 1 && typeof only === 'string') return only
    if (x.children.length === 1 && typeof only !== 'string' && only?.tag === 'string' && only.children.length === 0)
      return ''
  }
  return singleton(['value'], (v) => singleton(['string'], pcdata, v), x)
}

function fromArray(x: Xml): readonly Xml[] {
  return singleton(['value'], (v) => singleton(['array'], (a) => unbox(['data'], (items) => items, a), v), x)
}

/** `From.name`: `<name>text</name>`, or `<name/>` read as "" (CA-20001). */
function fromName(x: Xml): string {
  return unbox(
    ['name'],
    (children) => {
      const [only] = children
      if (children.length === 0) return ''
      if (children.length === 1 && typeof only === 'string') return only
      return rtte('From.name: should contain PCData')
    },
    x,
  )
}

/** `From.structure`: the members in order (List.assoc later takes the first of a name). */
function fromStructure(x: Xml): ReadonlyArray<readonly [string, Xml]> {
  return singleton(
    ['value'],
    (v) =>
      unbox(
        ['struct'],
        (members) =>
          members.map((m) =>
            unbox(
              ['member'],
              (pair) => {
                const [name, value] = pair
                if (pair.length !== 2 || name === undefined || value === undefined) return rtte('pair ')
                return [fromName(name), value] as const
              },
              m,
            ),
          ),
        v,
      ),
    x,
  )
}

function assoc(bindings: ReadonlyArray<readonly [string, Xml]>, key: string): Xml | undefined {
  return bindings.find(([k]) => k === key)?.[1]
}

/** OCaml's `Int32.of_string` (runtime/ints.c parse_intnat): sign, 0x/0o/0b/0u prefix, `_` separators. */
function int32OfString(text: string): number {
  const failure = (): never => {
    throw new OcamlException('Failure("Int32.of_string")')
  }
  const m = /^([-+]?)(0[xX]|0[oO]|0[bB]|0[uU])?(.*)$/s.exec(text)
  const sign = m?.[1] === '-' ? -1 : 1
  const prefix = (m?.[2] ?? '').toLowerCase()
  const body = m?.[3] ?? ''
  const base = prefix === '0x' ? 16 : prefix === '0o' ? 8 : prefix === '0b' ? 2 : 10
  const digit = (c: string): number => {
    const d = Number.parseInt(c, 36)
    return Number.isNaN(d) || d >= base ? -1 : d
  }
  if (body === '' || body[0] === '_' || digit(body[0] as string) < 0) failure()
  let res = 0n
  for (const c of body) {
    if (c === '_') continue
    const d = digit(c)
    if (d < 0) failure()
    res = res * BigInt(base) + BigInt(d)
    if (res > 0xffffffffffffffffn) failure()
  }
  // Decimal is signed (the int32 range); 0x/0o/0b/0u are unsigned (up to 2^32-1, then wrapped).
  const limit = prefix === '' ? (sign > 0 ? 0x7fffffffn : 0x80000000n) : 0xffffffffn
  if (res > limit) failure()
  return Number(BigInt.asIntN(32, BigInt(sign) * res))
}

function fromInt(x: Xml): number {
  return singleton(['value'], (v) => singleton(['i4', 'int'], (i) => int32OfString(pcdata(i)), v), x)
}

/** `From.status`: the one param's struct. */
function status(x: Xml): Response {
  const bindings = fromStructure(x)
  // `try ... with Not_found -> rtte "Status"`: a missing Status, Value or ErrorDescription, or
  // a Status other than Success/Failure.
  const statusXml = assoc(bindings, 'Status') ?? rtte('Status')
  const s = fromString(statusXml)
  if (s === 'Success') return { kind: 'success', value: assoc(bindings, 'Value') ?? rtte('Status') }
  if (s !== 'Failure') return rtte('Status')
  const items = fromArray(assoc(bindings, 'ErrorDescription') ?? rtte('Status'))
  const [code, ...rest] = items
  if (code === undefined) return rtte('Empty array of error strings')
  // `Failure (string code, List.map string strings)`: ocamlopt evaluates constructor arguments
  // right to left, so a bad param is reported before a bad code.
  const params = rest.map(fromString)
  return { kind: 'failure', code: fromString(code), params }
}

function fault(x: Xml): Response {
  return singleton(
    ['fault'],
    (f) => {
      const m = fromStructure(f)
      // `(int (assoc "faultCode"), string (assoc "faultString"))`, evaluated right to left; a
      // missing member is a bare Not_found (no rtte around it).
      const reason = fromString(assoc(m, 'faultString') ?? notFound())
      const code = fromInt(assoc(m, 'faultCode') ?? notFound())
      return { kind: 'fault', code, reason }
    },
    x,
  )
}

function methodResponse(x: Xml): Response {
  return singleton(
    ['methodResponse'],
    (child) => {
      if (typeof child !== 'string' && child.tag === 'params') {
        const params = unbox(['params'], (ps) => ps.map((p) => singleton(['param'], (v) => v, p)), child)
        const [only] = params
        return params.length === 1 && only !== undefined
          ? status(only)
          : rtte('Expected single return value (struct status)')
      }
      if (typeof child !== 'string' && child.tag === 'fault') return fault(child)
      return rtte('response')
    },
    x,
  )
}

/**
 * The plugin's stdout (exit status 0) as `call_plugin` ends: the Success Value, or the API error
 * xapi raises (Failure verbatim; fault / not XML as XENAPI_PLUGIN_FAILURE; wrong shape as
 * INTERNAL_ERROR).
 */
export function readPluginOutput(stdout: string): string {
  let tree: Xml
  try {
    tree = toXml(parseXml(stdout, undefined))
  } catch (err) {
    throw new XapiApiError(Codes.XENAPI_PLUGIN_FAILURE, ['failed to parse plugin output', stdout, errorText(err)])
  }
  try {
    const response = methodResponse(tree)
    if (response.kind === 'fault')
      throw new XapiApiError(Codes.XENAPI_PLUGIN_FAILURE, ['fault', String(response.code), response.reason])
    if (response.kind === 'failure') throw new XapiApiError(response.code, response.params)
    return fromString(response.value)
  } catch (err) {
    if (err instanceof OcamlException) throw new XapiApiError(Codes.INTERNAL_ERROR, [err.message])
    throw err
  }
}
