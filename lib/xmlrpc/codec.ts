/**
 * A strict XML-RPC codec (http://xmlrpc.com/spec.md plus the `<nil/>` and `<i8>` extensions),
 * shared by the ovn-chassis plugin and the test XAPI emulator. Pure functions over strings; the
 * only runtime facility used is the global `Buffer`, for base64.
 *
 * Value model (decode gives exactly these; encode accepts them):
 *
 * | XML-RPC                         | JavaScript                                              |
 * |---------------------------------|---------------------------------------------------------|
 * | `<string>`, untyped `<value>`   | `string`                                                |
 * | `<int>`, `<i4>`                 | `number` (integer, checked to be in the 32-bit range)   |
 * | `<i8>`                          | `number` (integer; beyond +/-(2^53-1) it is refused, never rounded) |
 * | `<boolean>` (`0`/`1` only)      | `boolean`                                               |
 * | `<double>`                      | `XmlRpcDouble` (so 1.0 stays a double in a round trip)  |
 * | `<dateTime.iso8601>`            | `Date` (no zone on the wire = UTC)                      |
 * | `<base64>`                      | `Uint8Array`                                            |
 * | `<array>`                       | array                                                   |
 * | `<struct>`                      | plain object (own data properties, even `__proto__`)    |
 * | `<nil/>`                        | `null`                                                  |
 *
 * Encoding a `number`: a safe integer is `<int>` when it fits 32 bits, else `<i8>`; any other
 * finite number is `<double>`. NaN and infinities are refused. A `Date` is written as UTC
 * `YYYYMMDDTHH:MM:SSZ` (what XAPI sends); milliseconds are dropped because the format has none.
 *
 * XML accepted: an optional BOM and XML declaration, elements without attributes, text with the
 * five predefined entities and numeric character references, and CDATA sections (plain text,
 * nothing to expand). Refused: DOCTYPE and every other `<!` declaration (so no entity can be
 * defined, expanded or fetched), comments, processing instructions, attributes, unknown
 * elements, text where XML-RPC has only elements, unbalanced tags, characters XML 1.0 cannot
 * carry, input larger than `maxBytes` (UTF-8) or nested deeper than `maxDepth` elements.
 * Line ends are normalised as XML requires (CR LF and CR become LF); a string holding CR is
 * therefore written as `&#13;` so that it survives.
 *
 * Decoding errors are `InvalidRequestError` with a precise reason. Encoding a value that cannot
 * be represented (a character XML 1.0 cannot carry such as U+0000, NaN, a cycle, `undefined`, a
 * class instance) throws a `TypeError`: that is the caller's bug, and emitting invalid XML is
 * never an option.
 */
import { InvalidRequestError } from '../errors.js'

/** A `<double>`: kept apart from integers so a decoded 1.0 is written back as a double. */
export class XmlRpcDouble {
  readonly value: number
  constructor(value: number) {
    this.value = value
  }
}

export type XmlRpcValue =
  | string
  | number
  | boolean
  | null
  | XmlRpcDouble
  | Date
  | Uint8Array
  | readonly XmlRpcValue[]
  | XmlRpcStruct

export interface XmlRpcStruct {
  readonly [name: string]: XmlRpcValue
}

export interface MethodCall {
  methodName: string
  params: XmlRpcValue[]
}

export type MethodResponse =
  | { kind: 'params'; params: XmlRpcValue[] }
  | { kind: 'fault'; faultCode: number; faultString: string }

export interface DecodeLimits {
  /** Largest accepted document, in UTF-8 bytes. */
  maxBytes?: number
  /** Deepest accepted element nesting (the root element is depth 1). */
  maxDepth?: number
}

export const DEFAULT_LIMITS: Readonly<Required<DecodeLimits>> = Object.freeze({ maxBytes: 1024 * 1024, maxDepth: 64 })

const INT32_MIN = -0x80000000
const INT32_MAX = 0x7fffffff
const MAX_ENCODE_DEPTH = 512

// ---------------------------------------------------------------------------------------------
// XML tokenizer: a tiny element tree, built iteratively with a depth limit.

interface XmlElement {
  readonly name: string
  /** Text nodes (entities already expanded, CDATA merged) and child elements, in order. */
  readonly children: Array<XmlElement | string>
  /** Offset of the `<` of the start tag, for error messages. */
  readonly offset: number
}

/** XML 1.0 Char production, searched for its complement. */
const ILLEGAL_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u
const NAME_START = /[A-Za-z_:]/
const NAME_CHAR = /[A-Za-z0-9_.:-]/
const XML_DECL =
  /^<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*(["'])1\.[0-9]+\1([ \t\n]+encoding[ \t\n]*=[ \t\n]*(["'])[A-Za-z][A-Za-z0-9._-]*\3)?([ \t\n]+standalone[ \t\n]*=[ \t\n]*(["'])(yes|no)\5)?[ \t\n]*\?>/
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

function fail(reason: string): never {
  throw new InvalidRequestError(reason)
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r'
}

function isAllSpace(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isSpace(s[i])) return false
  return true
}

function describeChar(c: string): string {
  const cp = c.codePointAt(0) ?? 0
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`
}

function utf8Length(s: string, stopAbove: number): number {
  let n = 0
  for (let i = 0; i < s.length && n <= stopAbove; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4
        i++
      } else n += 3
    } else n += 3
  }
  return n
}

function parseXml(input: string, limits: DecodeLimits | undefined): XmlElement {
  if (typeof input !== 'string') fail('the document is not a string')
  const maxBytes = limits?.maxBytes ?? DEFAULT_LIMITS.maxBytes
  const maxDepth = limits?.maxDepth ?? DEFAULT_LIMITS.maxDepth
  // UTF-8 never takes fewer bytes than UTF-16 code units, so a long string fails without a scan.
  if (input.length > maxBytes || utf8Length(input, maxBytes) > maxBytes) {
    fail(`the document is larger than the limit of ${maxBytes} bytes`)
  }
  const bad = ILLEGAL_CHAR.exec(input)
  if (bad) fail(`character ${describeChar(bad[0])} at offset ${bad.index} is not allowed in XML 1.0`)
  const src = input.replace(/\r\n?/g, '\n')

  let pos = src.charCodeAt(0) === 0xfeff ? 1 : 0
  if (src.startsWith('<?xml', pos) && isSpace(src[pos + 5])) {
    const m = XML_DECL.exec(src.slice(pos, pos + 256))
    if (!m) fail(`malformed XML declaration at offset ${pos}`)
    pos += m[0].length
  }

  const stack: XmlElement[] = []
  let root: XmlElement | undefined

  const readName = (): string => {
    const start = pos
    if (!NAME_START.test(src[pos] ?? '')) {
      fail(`expected an element name at offset ${pos}${pos < src.length ? `, found ${JSON.stringify(src[pos])}` : ''}`)
    }
    pos++
    while (pos < src.length && NAME_CHAR.test(src[pos] ?? '')) pos++
    return src.slice(start, pos)
  }
  const skipSpace = (): void => {
    while (isSpace(src[pos])) pos++
  }
  const addText = (text: string): void => {
    const top = stack[stack.length - 1]
    if (!top) {
      if (!isAllSpace(text)) fail(`text outside the root element at offset ${pos - text.length}`)
      return
    }
    const last = top.children[top.children.length - 1]
    if (typeof last === 'string') top.children[top.children.length - 1] = last + text
    else top.children.push(text)
  }

  while (pos < src.length) {
    if (src[pos] !== '<') {
      const start = pos
      let end = src.indexOf('<', pos)
      if (end < 0) end = src.length
      pos = end
      addText(decodeText(src.slice(start, end), start))
      continue
    }
    const at = pos
    if (src.startsWith('<![CDATA[', pos)) {
      if (stack.length === 0) fail(`CDATA section outside the root element at offset ${at}`)
      const end = src.indexOf(']]>', pos + 9)
      if (end < 0) fail(`unterminated CDATA section at offset ${at}`)
      addText(src.slice(pos + 9, end))
      pos = end + 3
      continue
    }
    if (src.startsWith('<!--', pos)) fail(`comments are not accepted (offset ${at})`)
    if (src.startsWith('<!DOCTYPE', pos)) fail(`DOCTYPE declarations are not accepted (offset ${at})`)
    if (src.startsWith('<!ENTITY', pos)) fail(`ENTITY declarations are not accepted (offset ${at})`)
    if (src.startsWith('<!', pos)) fail(`markup declarations are not accepted (offset ${at})`)
    if (src.startsWith('<?', pos)) {
      fail(
        /^<\?xml[ \t\n?]/.test(src.slice(pos, pos + 6))
          ? `misplaced XML declaration at offset ${at}`
          : `processing instructions are not accepted (offset ${at})`,
      )
    }
    if (src[pos + 1] === '/') {
      pos += 2
      const name = readName()
      skipSpace()
      if (src[pos] !== '>') fail(`malformed end tag </${name}> at offset ${at}`)
      pos++
      const open = stack.pop()
      if (!open) fail(`end tag </${name}> without a start tag at offset ${at}`)
      if (open.name !== name)
        fail(`end tag </${name}> at offset ${at} does not close <${open.name}> (offset ${open.offset})`)
      continue
    }
    pos++
    const name = readName()
    if (root && stack.length === 0) fail(`a second root element <${name}> at offset ${at}`)
    skipSpace()
    let selfClosing = false
    if (src.startsWith('/>', pos)) {
      selfClosing = true
      pos += 2
    } else if (src[pos] === '>') {
      pos++
    } else if (NAME_START.test(src[pos] ?? '')) {
      fail(`attributes are not accepted (element <${name}> at offset ${at})`)
    } else {
      fail(`malformed start tag <${name}> at offset ${at}`)
    }
    if (stack.length + 1 > maxDepth) fail(`elements are nested deeper than the limit of ${maxDepth}`)
    const el: XmlElement = { name, children: [], offset: at }
    const parent = stack[stack.length - 1]
    if (parent) parent.children.push(el)
    else root = el
    if (!selfClosing) stack.push(el)
  }
  const open = stack[stack.length - 1]
  if (open) fail(`element <${open.name}> (offset ${open.offset}) is not closed`)
  if (!root) fail('the document has no root element')
  return root
}

/** Expand references in character data, and refuse the sequence `]]>` that XML forbids there. */
function decodeText(raw: string, offset: number): string {
  const cdataEnd = raw.indexOf(']]>')
  if (cdataEnd >= 0) fail(`"]]>" is not allowed in text (offset ${offset + cdataEnd})`)
  if (!raw.includes('&')) return raw
  let out = ''
  let i = 0
  while (i < raw.length) {
    const amp = raw.indexOf('&', i)
    if (amp < 0) {
      out += raw.slice(i)
      break
    }
    out += raw.slice(i, amp)
    const semi = raw.indexOf(';', amp)
    const ref = semi < 0 ? '' : raw.slice(amp + 1, semi)
    if (semi < 0 || ref.length === 0 || ref.length > 10) fail(`malformed reference at offset ${offset + amp}`)
    const named = PREDEFINED[ref]
    if (named !== undefined && Object.hasOwn(PREDEFINED, ref)) {
      out += named
    } else if (/^#[0-9]{1,7}$/.test(ref) || /^#x[0-9A-Fa-f]{1,6}$/.test(ref)) {
      const cp = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10)
      if (cp > 0x10ffff) fail(`character reference &${ref}; at offset ${offset + amp} is beyond U+10FFFF`)
      const ch = String.fromCodePoint(cp)
      if (ILLEGAL_CHAR.test(ch))
        fail(
          `character reference &${ref}; at offset ${offset + amp} names ${describeChar(ch)}, which XML 1.0 cannot carry`,
        )
      out += ch
    } else if (/^[A-Za-z_:][A-Za-z0-9_.:-]*$/.test(ref)) {
      fail(`unknown entity &${ref}; at offset ${offset + amp} (only the five predefined entities are accepted)`)
    } else {
      fail(`malformed reference at offset ${offset + amp}`)
    }
    i = semi + 1
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// XML-RPC structure on top of the tree.

function elementsOf(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = []
  for (const child of el.children) {
    if (typeof child === 'string') {
      if (!isAllSpace(child))
        fail(`unexpected text ${JSON.stringify(truncateText(child))} in <${el.name}> (offset ${el.offset})`)
    } else out.push(child)
  }
  return out
}

function textOf(el: XmlElement): string {
  let out = ''
  for (const child of el.children) {
    if (typeof child !== 'string') fail(`<${el.name}> (offset ${el.offset}) must hold text only, found <${child.name}>`)
    out += child
  }
  return out
}

function truncateText(s: string): string {
  return s.length <= 40 ? s : `${s.slice(0, 40)}…`
}

function expect(el: XmlElement | undefined, name: string, where: string): XmlElement {
  if (!el) fail(`<${where}> is missing <${name}>`)
  if (el.name !== name) fail(`expected <${name}> in <${where}>, found <${el.name}> (offset ${el.offset})`)
  return el
}

function decodeValue(value: XmlElement): XmlRpcValue {
  const allText = value.children.every((c) => typeof c === 'string')
  if (allText) return textOf(value)
  const inner = elementsOf(value)
  if (inner.length !== 1)
    fail(`<value> (offset ${value.offset}) must hold exactly one typed element, found ${inner.length}`)
  const el = inner[0] as XmlElement
  switch (el.name) {
    case 'string':
      return textOf(el)
    case 'int':
    case 'i4':
      return decodeInt(el, textOf(el), INT32_MIN, INT32_MAX, '32-bit')
    case 'i8':
      return decodeInt(
        el,
        textOf(el),
        -Number.MAX_SAFE_INTEGER,
        Number.MAX_SAFE_INTEGER,
        'exact JavaScript integer (+/-(2^53-1))',
      )
    case 'boolean': {
      const t = textOf(el)
      if (t === '1') return true
      if (t === '0') return false
      return fail(`<boolean> must be 0 or 1, found ${JSON.stringify(truncateText(t))} (offset ${el.offset})`)
    }
    case 'double':
      return new XmlRpcDouble(decodeDouble(el, textOf(el)))
    case 'dateTime.iso8601':
      return decodeDateTime(el, textOf(el))
    case 'base64':
      return decodeBase64(el, textOf(el))
    case 'nil':
      if (el.children.length > 0) fail(`<nil/> must be empty (offset ${el.offset})`)
      return null
    case 'array': {
      const parts = elementsOf(el)
      if (parts.length !== 1) fail(`<array> (offset ${el.offset}) must hold exactly one <data>`)
      const data = expect(parts[0], 'data', 'array')
      return elementsOf(data).map((v) => decodeValue(expect(v, 'value', 'data')))
    }
    case 'struct': {
      const out: Record<string, XmlRpcValue> = {}
      for (const m of elementsOf(el)) {
        const member = expect(m, 'member', 'struct')
        const parts = elementsOf(member)
        if (parts.length !== 2) fail(`<member> (offset ${member.offset}) must hold exactly <name> and <value>`)
        const name = textOf(expect(parts[0], 'name', 'member'))
        const v = decodeValue(expect(parts[1], 'value', 'member'))
        if (Object.hasOwn(out, name))
          fail(`struct member ${JSON.stringify(truncateText(name))} appears twice (offset ${member.offset})`)
        // defineProperty, not assignment: a member named "__proto__" stays data.
        Object.defineProperty(out, name, { value: v, enumerable: true, writable: true, configurable: true })
      }
      return out
    }
    default:
      return fail(`unknown element <${el.name}> in <value> (offset ${el.offset})`)
  }
}

function decodeInt(el: XmlElement, text: string, min: number, max: number, range: string): number {
  if (!/^[+-]?[0-9]+$/.test(text))
    fail(`<${el.name}> must be a decimal integer, found ${JSON.stringify(truncateText(text))} (offset ${el.offset})`)
  const digits = text.replace(/^[+-]?0*/, '')
  const n = digits.length > 17 ? Infinity : Number(text)
  if (!(n >= min && n <= max))
    fail(`<${el.name}> ${truncateText(text)} is outside the ${range} range (offset ${el.offset})`)
  return n === 0 ? 0 : n
}

function decodeDouble(el: XmlElement, text: string): number {
  if (!/^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(text)) {
    fail(`<double> must be a decimal number, found ${JSON.stringify(truncateText(text))} (offset ${el.offset})`)
  }
  const n = Number(text)
  if (!Number.isFinite(n)) fail(`<double> ${truncateText(text)} is not a finite number (offset ${el.offset})`)
  return n
}

const DATETIME =
  /^([0-9]{4})-?([0-9]{2})-?([0-9]{2})T([0-9]{2}):?([0-9]{2}):?([0-9]{2})(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:?[0-9]{2})?$/

function decodeDateTime(el: XmlElement, text: string): Date {
  const m = DATETIME.exec(text)
  const bad = (): never =>
    fail(
      `<dateTime.iso8601> must be YYYYMMDDTHH:MM:SS with an optional zone, found ${JSON.stringify(truncateText(text))} (offset ${el.offset})`,
    )
  if (!m) return bad()
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const ms = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0
  let offsetMinutes = 0
  const zone = m[8]
  if (zone && zone !== 'Z') {
    const zh = Number(zone.slice(1, 3))
    const zm = Number(zone.slice(-2))
    if (zh > 23 || zm > 59) return bad()
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (zh * 60 + zm)
  }
  const utc = new Date(0)
  utc.setUTCFullYear(y, mo - 1, d) // not Date.UTC, which maps years 0-99 to 1900-1999
  utc.setUTCHours(h, mi, s, ms)
  if (
    utc.getUTCFullYear() !== y ||
    utc.getUTCMonth() !== mo - 1 ||
    utc.getUTCDate() !== d ||
    utc.getUTCHours() !== h ||
    utc.getUTCMinutes() !== mi ||
    utc.getUTCSeconds() !== s
  ) {
    return bad()
  }
  return new Date(utc.getTime() - offsetMinutes * 60_000)
}

function decodeBase64(el: XmlElement, text: string): Uint8Array {
  const clean = text.replace(/[ \t\n\r]+/g, '')
  if (clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(==|=)?$/.test(clean))
    fail(`<base64> is not valid base64 (offset ${el.offset})`)
  return new Uint8Array(Buffer.from(clean, 'base64'))
}

/** Decode a `<methodCall>`. Throws InvalidRequestError with the reason when it is not one. */
export function decodeMethodCall(xml: string, limits?: DecodeLimits): MethodCall {
  const root = parseXml(xml, limits)
  if (root.name !== 'methodCall') fail(`the root element is <${root.name}>, not <methodCall>`)
  const parts = elementsOf(root)
  const nameEl = expect(parts[0], 'methodName', 'methodCall')
  const methodName = textOf(nameEl)
  if (methodName.length === 0) fail('<methodName> is empty')
  if (parts.length > 2) fail(`unexpected <${(parts[2] as XmlElement).name}> in <methodCall>`)
  const paramsEl = parts[1]
  if (!paramsEl) return { methodName, params: [] }
  return { methodName, params: decodeParams(expect(paramsEl, 'params', 'methodCall')) }
}

function decodeParams(paramsEl: XmlElement): XmlRpcValue[] {
  return elementsOf(paramsEl).map((p) => {
    const param = expect(p, 'param', 'params')
    const inner = elementsOf(param)
    if (inner.length !== 1) fail(`<param> (offset ${param.offset}) must hold exactly one <value>`)
    return decodeValue(expect(inner[0], 'value', 'param'))
  })
}

/**
 * Decode a `<methodResponse>`: exactly one param, or a fault whose struct is exactly
 * {faultCode: int, faultString: string}.
 */
export function decodeMethodResponse(xml: string, limits?: DecodeLimits): MethodResponse {
  const root = parseXml(xml, limits)
  if (root.name !== 'methodResponse') fail(`the root element is <${root.name}>, not <methodResponse>`)
  const parts = elementsOf(root)
  if (parts.length !== 1) fail('<methodResponse> must hold exactly one <params> or <fault>')
  const body = parts[0] as XmlElement
  if (body.name === 'params') {
    const params = decodeParams(body)
    if (params.length !== 1) fail(`a response must carry exactly one param, found ${params.length}`)
    return { kind: 'params', params }
  }
  if (body.name !== 'fault') fail(`expected <params> or <fault> in <methodResponse>, found <${body.name}>`)
  const inner = elementsOf(body)
  if (inner.length !== 1) fail('<fault> must hold exactly one <value>')
  const v = decodeValue(expect(inner[0], 'value', 'fault'))
  if (!isStruct(v)) fail('the <fault> value is not a struct')
  const keys = Object.keys(v).sort()
  if (keys.length !== 2 || keys[0] !== 'faultCode' || keys[1] !== 'faultString') {
    fail(`the fault struct must have exactly faultCode and faultString, found ${JSON.stringify(keys)}`)
  }
  const faultCode = v.faultCode
  const faultString = v.faultString
  if (typeof faultCode !== 'number') fail('faultCode is not an <int>')
  if (typeof faultString !== 'string') fail('faultString is not a string')
  return { kind: 'fault', faultCode, faultString }
}

// ---------------------------------------------------------------------------------------------
// Encoding.

function isStruct(v: unknown): v is XmlRpcStruct {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto: unknown = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

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
