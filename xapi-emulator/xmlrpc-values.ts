/**
 * XML-RPC values as XAPI writes and reads them.
 *
 * Writing follows xapi's rpclib (ocaml-rpc xmlrpc.ml) byte for byte, not a generic encoder: a
 * string is a bare `<value>text</value>` (never `<string>`), a 64-bit int is bare text too (so
 * clients see a string), a 32-bit int is `<i4>`, a float `<double>` with %.16g, a datetime
 * `<dateTime.iso8601>`. This matters to clients: xen-api's parser reads `<value></value>` as ""
 * but `<value><string></string></value>` as undefined.
 *
 * Reading requests goes through the project's strict codec (lib/xmlrpc), then into the
 * emulator's values.
 */
import { XmlRpcDouble, type XmlRpcValue } from '../lib/xmlrpc/index.js'
import { NullValue, XapiDateTime, XapiDouble, XapiInt32, isStruct, type XapiValue } from './values.js'

/** rpclib's text encoding: `> < & "` escaped, control characters other than TAB LF CR dropped. */
export function rpclibText(text: string): string {
  let out = ''
  for (const c of text) {
    if (c === '>') out += '&gt;'
    else if (c === '<') out += '&lt;'
    else if (c === '&') out += '&amp;'
    else if (c === '"') out += '&quot;'
    else if (c < '\x20' && c !== '\t' && c !== '\n' && c !== '\r') continue
    else out += c
  }
  return out
}

/** OCaml's %.16g. */
function g16(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return String(x)
  const p = x.toPrecision(16)
  // %g drops trailing zeros of the fraction and uses e+NN exponents.
  const [mant = p, exp] = p.split('e')
  const trimmed = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant
  if (exp === undefined) return trimmed
  const sign = exp.startsWith('-') ? '-' : '+'
  const digits = exp.replace(/^[+-]/, '').padStart(2, '0')
  return `${trimmed}e${sign}${digits}`
}

/** One value as rpclib's `Xmlrpc.to_string` writes it. */
export function xapiXmlValue(value: XapiValue): string {
  if (typeof value === 'string') return `<value>${rpclibText(value)}</value>`
  if (typeof value === 'number') return `<value>${String(value)}</value>`
  if (typeof value === 'boolean') return `<value><boolean>${value ? '1' : '0'}</boolean></value>`
  if (value instanceof XapiInt32) return `<value><i4>${String(value.value)}</i4></value>`
  if (value instanceof XapiDouble) return `<value><double>${g16(value.value)}</double></value>`
  if (value instanceof XapiDateTime) return `<value><dateTime.iso8601>${value.value}</dateTime.iso8601></value>`
  if (Array.isArray(value)) return `<value><array><data>${value.map(xapiXmlValue).join('')}</data></array></value>`
  if (isStruct(value)) {
    const members = Object.entries(value).map(([k, v]) => `<member><name>${k}</name>${xapiXmlValue(v)}</member>`)
    return `<value><struct>${members.join('')}</struct></value>`
  }
  throw new TypeError('not an XAPI value')
}

/** A whole `<methodResponse>` carrying `value`, as xapi's api_server sends it. */
export function xapiMethodResponse(value: XapiValue): string {
  return `<?xml version="1.0"?><methodResponse><params><param>${xapiXmlValue(value)}</param></params></methodResponse>`
}

/** A decoded request value into the emulator's model (`<int>` stays an int, `<double>` a float). */
export function fromXmlRpc(value: XmlRpcValue): XapiValue {
  if (value === null || value instanceof Uint8Array) return new NullValue() as unknown as XapiValue
  if (value instanceof XmlRpcDouble) return new XapiDouble(value.value)
  if (value instanceof Date) return XapiDateTime.of(value)
  if (Array.isArray(value)) return value.map(fromXmlRpc)
  if (typeof value === 'object') {
    const out: Record<string, XapiValue> = {}
    for (const [k, v] of Object.entries(value)) out[k] = fromXmlRpc(v)
    return out
  }
  return value
}
