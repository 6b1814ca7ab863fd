/**
 * The XML under XML-RPC (what ./index.ts says is accepted and refused): a tiny element tree,
 * built iteratively with a size and a depth limit. No DTD, no entity beyond the five predefined
 * ones, no attribute, comment or processing instruction. Knows nothing of XML-RPC.
 */
import { InvalidRequestError } from '../errors.js'

export interface DecodeLimits {
  /** Largest accepted document, in UTF-8 bytes. */
  maxBytes?: number
  /** Deepest accepted element nesting (the root element is depth 1). */
  maxDepth?: number
}

export const DEFAULT_LIMITS: Readonly<Required<DecodeLimits>> = Object.freeze({ maxBytes: 1024 * 1024, maxDepth: 64 })

export interface XmlElement {
  readonly name: string
  /** Text nodes (entities already expanded, CDATA merged) and child elements, in order. */
  readonly children: Array<XmlElement | string>
  /** Offset of the `<` of the start tag, for error messages. */
  readonly offset: number
}

/** XML 1.0 Char production, searched for its complement. */
export const ILLEGAL_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u
const NAME_START = /[A-Za-z_:]/
const NAME_CHAR = /[A-Za-z0-9_.:-]/
const XML_DECL =
  /^<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*(["'])1\.[0-9]+\1([ \t\n]+encoding[ \t\n]*=[ \t\n]*(["'])[A-Za-z][A-Za-z0-9._-]*\3)?([ \t\n]+standalone[ \t\n]*=[ \t\n]*(["'])(yes|no)\5)?[ \t\n]*\?>/
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

/** Every decoding failure: InvalidRequestError with the reason. */
export function fail(reason: string): never {
  throw new InvalidRequestError(reason)
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r'
}

export function isAllSpace(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isSpace(s[i])) return false
  return true
}

export function describeChar(c: string): string {
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

export function parseXml(input: string, limits: DecodeLimits | undefined): XmlElement {
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
