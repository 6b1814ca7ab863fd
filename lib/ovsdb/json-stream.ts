/**
 * JSON-RPC 1.0 framing over a byte stream, as OVSDB (RFC 7047) and the OVS unixctl sockets use
 * it: messages are JSON objects (or arrays) written back to back with no delimiter, so the
 * decoder finds where each value ends by scanning bytes — tracking nesting, strings and escapes.
 *
 * - UTF-8 split across chunks: the scan works on bytes (every byte of a multibyte sequence is
 *   >= 0x80, so it never looks like a delimiter), and a message is only decoded once complete.
 *   Invalid UTF-8 is a protocol error, not replacement characters.
 * - Size: a message larger than `maxMessageBytes` (default 64 MiB) is a protocol error.
 * - Big integers: while scanning, integer number tokens (no '.', no exponent) of 16+ digits are
 *   noted; those outside +/-(2^53-1) are parsed as `bigint` instead of a rounded `number`, so the
 *   codec can report them exactly (see codec.ts).
 * - After a protocol error the decoder stays failed: the stream cannot be resynchronised.
 */
import { TextDecoder } from 'node:util'
import { OvsdbProtocolError } from './errors.js'
import { isRecord } from '../shape.js'
import { errorText } from '../error-text.js'

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024

export interface JsonStreamOptions {
  /** Largest accepted message in bytes (default 64 MiB). */
  readonly maxMessageBytes?: number
}

const WS_SPACE = 0x20
const WS_TAB = 0x09
const WS_LF = 0x0a
const WS_CR = 0x0d
const QUOTE = 0x22
const BACKSLASH = 0x5c
const LBRACE = 0x7b
const RBRACE = 0x7d
const LBRACKET = 0x5b
const RBRACKET = 0x5d
const MINUS = 0x2d
const PLUS = 0x2b
const DOT = 0x2e
const LOWER_E = 0x65
const UPPER_E = 0x45
const ZERO = 0x30
const NINE = 0x39

/** Object key marking a spliced-in big integer; never a valid OVSDB column or member name. */
const BIGINT_KEY = '\u0000ovsdb-bigint'
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

/** Incremental decoder: `push(chunk)` returns every message completed by that chunk. */
export class JsonStreamDecoder {
  private readonly max: number
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true })
  private parts: Buffer[] = []
  private length = 0 // bytes of the current message held in `parts`
  private inMessage = false
  private depth = 0
  private inString = false
  private escape = false
  private inNumber = false
  private numberStart = 0 // message-relative offset
  private numberDigits = 0
  private numberIsReal = false
  private bigCandidates: [number, number][] = []
  private failure: OvsdbProtocolError | undefined

  constructor(options: JsonStreamOptions = {}) {
    this.max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
  }

  /** Bytes of an incomplete message currently buffered. */
  get bufferedBytes(): number {
    return this.length
  }

  /** Feed bytes; returns the messages they complete (possibly none). Throws OvsdbProtocolError. */
  push(chunk: Uint8Array): unknown[] {
    if (this.failure) throw this.failure
    try {
      return this.scan(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    } catch (err) {
      this.failure = err instanceof OvsdbProtocolError ? err : new OvsdbProtocolError(String(err))
      this.parts = []
      this.length = 0
      throw this.failure
    }
  }

  /** The stream ended: throws if a message was cut off. */
  end(): void {
    if (this.failure) throw this.failure
    if (this.inMessage) {
      this.failure = new OvsdbProtocolError(`stream ended inside a message (${this.length} bytes buffered)`)
      throw this.failure
    }
  }

  private scan(chunk: Buffer): unknown[] {
    const out: unknown[] = []
    let start = 0 // where the current message begins in this chunk
    const n = chunk.length
    for (let i = 0; i < n; i++) {
      const b = chunk[i] as number
      if (!this.inMessage) {
        if (b === WS_SPACE || b === WS_LF || b === WS_CR || b === WS_TAB) continue
        if (b !== LBRACE && b !== LBRACKET)
          throw new OvsdbProtocolError(`unexpected byte 0x${b.toString(16).padStart(2, '0')} between messages`)
        this.inMessage = true
        this.depth = 1
        start = i
        continue
      }
      if (this.inString) {
        if (this.escape) this.escape = false
        else if (b === BACKSLASH) this.escape = true
        else if (b === QUOTE) this.inString = false
        continue
      }
      if (this.inNumber) {
        if (b >= ZERO && b <= NINE) {
          this.numberDigits++
          continue
        }
        if (b === DOT || b === LOWER_E || b === UPPER_E) {
          this.numberIsReal = true
          continue
        }
        if (b === PLUS || b === MINUS) continue // exponent sign
        this.inNumber = false
        if (!this.numberIsReal && this.numberDigits >= 16)
          this.bigCandidates.push([this.numberStart, this.length + (i - start)])
      }
      switch (b) {
        case QUOTE:
          this.inString = true
          break
        case LBRACE:
        case LBRACKET:
          this.depth++
          break
        case RBRACE:
        case RBRACKET:
          if (--this.depth === 0) {
            const end = i + 1
            const size = this.length + (end - start)
            if (size > this.max) throw this.tooBig(size)
            this.parts.push(chunk.subarray(start, end))
            out.push(this.finish(size))
            start = end
          }
          break
        default:
          if (b === MINUS || (b >= ZERO && b <= NINE)) {
            this.inNumber = true
            this.numberStart = this.length + (i - start)
            this.numberDigits = b === MINUS ? 0 : 1
            this.numberIsReal = false
          }
      }
    }
    if (this.inMessage) {
      const size = this.length + (n - start)
      if (size > this.max) throw this.tooBig(size)
      // Copy: the caller may reuse its buffer.
      this.parts.push(Buffer.from(chunk.subarray(start, n)))
      this.length = size
    }
    return out
  }

  private tooBig(size: number): OvsdbProtocolError {
    return new OvsdbProtocolError(`message of at least ${size} bytes exceeds the limit of ${this.max} bytes`)
  }

  private finish(size: number): unknown {
    let bytes = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, size)
    const candidates = this.bigCandidates
    this.parts = []
    this.length = 0
    this.inMessage = false
    this.inString = false
    this.escape = false
    this.inNumber = false
    this.bigCandidates = []
    let hasBig = false
    if (candidates.length > 0) {
      const pieces: Buffer[] = []
      let at = 0
      for (const [s, e] of candidates) {
        const digits = bytes.toString('latin1', s, e)
        const big = BigInt(digits)
        if (big > MAX_SAFE || big < -MAX_SAFE) {
          pieces.push(bytes.subarray(at, s), Buffer.from(JSON.stringify({ [BIGINT_KEY]: digits })))
          at = e
          hasBig = true
        }
      }
      if (hasBig) {
        pieces.push(bytes.subarray(at))
        bytes = Buffer.concat(pieces)
      }
    }
    let text: string
    try {
      text = this.utf8.decode(bytes)
    } catch {
      throw new OvsdbProtocolError('message is not valid UTF-8')
    }
    try {
      return hasBig ? JSON.parse(text, reviveBigInt) : JSON.parse(text)
    } catch (err) {
      throw new OvsdbProtocolError(`message is not valid JSON: ${errorText(err)}`)
    }
  }
}

function reviveBigInt(_key: string, value: unknown): unknown {
  if (isRecord(value)) {
    const o = value
    const digits = o[BIGINT_KEY]
    if (typeof digits === 'string' && Object.keys(o).length === 1) return BigInt(digits)
  }
  return value
}

/** Serialise one JSON-RPC message. `bigint` values are written as exact integers. */
export function encodeMessage(message: unknown): string {
  let bigs: string[] | undefined
  const text = JSON.stringify(message, (_k, v: unknown) => {
    if (typeof v !== 'bigint') return v
    bigs ??= []
    bigs.push(v.toString())
    return { [BIGINT_KEY]: bigs.length - 1 }
  })
  if (text === undefined) throw new OvsdbProtocolError('message is not serialisable')
  if (!bigs) return text
  const b = bigs
  // JSON.stringify escapes U+0000 as \u0000, so the marker object is unambiguous.
  return text.replace(/\{"\\u0000ovsdb-bigint":(\d+)\}/g, (_m, idx: string) => b[Number(idx)] as string)
}
