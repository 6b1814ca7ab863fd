/**
 * XML-RPC decoding: the element tree of ./xml-tokenizer.ts to methodCall, methodResponse and
 * the values of ./values.ts. Every failure is InvalidRequestError with a precise reason.
 */
import { INT32_MAX, INT32_MIN, XmlRpcDouble, isStruct } from './values.js'
import type { MethodCall, MethodResponse, XmlRpcValue } from './values.js'
import { fail, isAllSpace, parseXml, type DecodeLimits, type XmlElement } from './xml-tokenizer.js'

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
