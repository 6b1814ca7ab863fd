/**
 * XML-RPC encoding: values of ./values.ts to methodCall, methodResponse and fault text. A value
 * that cannot be represented is a TypeError (the caller's bug): never invalid XML.
 */
import { INT32_MAX, INT32_MIN, XmlRpcDouble, isStruct } from './values.js'
import type { XmlRpcValue } from './values.js'
import { ILLEGAL_CHAR, describeChar } from './xml-tokenizer.js'

const MAX_ENCODE_DEPTH = 512

/** Escape text for element content. Refuses what XML 1.0 cannot carry, even as a reference. */
export function escapeText(s: string): string {
  const bad = ILLEGAL_CHAR.exec(s)
  if (bad)
    throw new TypeError(`XML-RPC cannot carry character ${describeChar(bad[0])} (at index ${bad.index} of a string)`)
  return s.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'))
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0')
}

function encodeValue(v: unknown, ancestors: unknown[]): string {
  if (typeof v === 'string') return `<value><string>${escapeText(v)}</string></value>`
  if (typeof v === 'boolean') return `<value><boolean>${v ? 1 : 0}</boolean></value>`
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`XML-RPC cannot carry the number ${v}`)
    if (Number.isInteger(v)) {
      if (v >= INT32_MIN && v <= INT32_MAX) return `<value><int>${v === 0 ? 0 : v}</int></value>`
      if (Number.isSafeInteger(v)) return `<value><i8>${v}</i8></value>`
      throw new TypeError(
        `the integer ${v} is beyond +/-(2^53-1) and may already have been rounded; send it as a string or an XmlRpcDouble`,
      )
    }
    return `<value><double>${String(v)}</double></value>`
  }
  if (v === null) return '<value><nil/></value>'
  if (v instanceof XmlRpcDouble) {
    if (typeof v.value !== 'number' || !Number.isFinite(v.value))
      throw new TypeError(`XML-RPC cannot carry the double ${String(v.value)}`)
    return `<value><double>${String(v.value === 0 ? 0 : v.value)}</double></value>`
  }
  if (v instanceof Date) {
    const t = v.getTime()
    if (Number.isNaN(t)) throw new TypeError('XML-RPC cannot carry an invalid Date')
    const y = v.getUTCFullYear()
    if (y < 0 || y > 9999) throw new TypeError(`XML-RPC dates have four-digit years, not ${y}`)
    return `<value><dateTime.iso8601>${pad(y, 4)}${pad(v.getUTCMonth() + 1, 2)}${pad(v.getUTCDate(), 2)}T${pad(v.getUTCHours(), 2)}:${pad(v.getUTCMinutes(), 2)}:${pad(v.getUTCSeconds(), 2)}Z</dateTime.iso8601></value>`
  }
  if (v instanceof Uint8Array) {
    return `<value><base64>${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}</base64></value>`
  }
  if (typeof v === 'object') {
    if (ancestors.includes(v)) throw new TypeError('XML-RPC cannot carry a cyclic value')
    if (ancestors.length >= MAX_ENCODE_DEPTH) throw new TypeError(`value nested deeper than ${MAX_ENCODE_DEPTH} levels`)
    ancestors.push(v)
    let out: string
    if (Array.isArray(v)) {
      out = `<value><array><data>${v
        .map((item: unknown, i) => {
          if (item === undefined) throw new TypeError(`array element ${i} is undefined`)
          return encodeValue(item, ancestors)
        })
        .join('')}</data></array></value>`
    } else if (isStruct(v)) {
      let members = ''
      for (const key of Object.keys(v)) {
        const item = (v as Record<string, unknown>)[key]
        if (item === undefined) throw new TypeError(`struct member ${JSON.stringify(key)} is undefined`)
        members += `<member><name>${escapeText(key)}</name>${encodeValue(item, ancestors)}</member>`
      }
      out = `<value><struct>${members}</struct></value>`
    } else {
      throw new TypeError(`XML-RPC cannot carry a ${(v as object).constructor?.name ?? 'non-plain object'}`)
    }
    ancestors.pop()
    return out
  }
  throw new TypeError(`XML-RPC cannot carry a value of type ${typeof v}`)
}

const DECLARATION = '<?xml version="1.0"?>'

/** `<methodCall>` text. Throws TypeError when a value cannot be represented. */
export function encodeMethodCall(methodName: string, params: readonly XmlRpcValue[]): string {
  if (typeof methodName !== 'string' || methodName.length === 0)
    throw new TypeError('the method name must be a non-empty string')
  const body = params.map((p) => `<param>${encodeValue(p, [])}</param>`).join('')
  return `${DECLARATION}<methodCall><methodName>${escapeText(methodName)}</methodName><params>${body}</params></methodCall>`
}

/** `<methodResponse>` text carrying one value. Throws TypeError when it cannot be represented. */
export function encodeMethodResponse(value: XmlRpcValue): string {
  return `${DECLARATION}<methodResponse><params><param>${encodeValue(value, [])}</param></params></methodResponse>`
}

/** `<methodResponse>` text carrying a `<fault>`. */
export function encodeFault(faultCode: number, faultString: string): string {
  if (!Number.isInteger(faultCode) || faultCode < INT32_MIN || faultCode > INT32_MAX)
    throw new TypeError(`faultCode must be a 32-bit integer, not ${faultCode}`)
  const fault = encodeValue({ faultCode, faultString }, [])
  return `${DECLARATION}<methodResponse><fault>${fault}</fault></methodResponse>`
}
