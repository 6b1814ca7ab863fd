import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { JsonStreamDecoder, encodeMessage } from '../../lib/ovsdb/json-stream.js'
import { OvsdbProtocolError } from '../../lib/ovsdb/errors.js'

function feedAll(d: JsonStreamDecoder, chunks: Uint8Array[]): unknown[] {
  return chunks.flatMap((c) => d.push(c))
}

/** Every way of cutting `bytes` in two, plus byte-by-byte. */
function splits(bytes: Buffer): Buffer[][] {
  const out: Buffer[][] = [[...bytes].map((b) => Buffer.from([b]))]
  for (let i = 1; i < bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)])
  return out
}

const messages: unknown[] = [
  { id: 1, result: ['Open_vSwitch', '_Server'], error: null },
  { method: 'update2', params: ['m1', { Bridge: { x: { insert: { name: 'br}{][' } } } }], id: null },
  { id: 'echo', method: 'echo', params: [] },
  { s: 'quote " backslash \\ slash / tab \t nl \n brace } bracket ] u \u0001' },
  { s: '\\"}' },
  { n: [0, -1, 1.5, -2.5e-3, 1e21, 123456789012345] },
  { text: 'caf\u00e9 \u4e2d\u6587 \u{1F680} \u{1F9EA}' },
  [1, [2, [3, { a: [] }]]],
]

describe('JSON stream framing', () => {
  it('decodes a message cut at every possible byte', () => {
    for (const m of messages) {
      const bytes = Buffer.from(JSON.stringify(m))
      for (const chunks of splits(bytes)) {
        const d = new JsonStreamDecoder()
        assert.deepEqual(feedAll(d, chunks), [m])
        assert.equal(d.bufferedBytes, 0)
      }
    }
  })

  it('decodes several messages in one chunk, with or without whitespace between them', () => {
    const d = new JsonStreamDecoder()
    const text = messages.map((m, i) => JSON.stringify(m) + (i % 2 ? '\n' : '')).join('')
    assert.deepEqual(d.push(Buffer.from(text)), messages)
  })

  it('decodes messages whose boundaries fall anywhere across chunks', () => {
    const all = Buffer.from(messages.map((m) => JSON.stringify(m)).join(' \r\n\t'))
    for (const size of [1, 2, 3, 7, 13, 64]) {
      const d = new JsonStreamDecoder()
      const chunks: Buffer[] = []
      for (let i = 0; i < all.length; i += size) chunks.push(all.subarray(i, i + size))
      assert.deepEqual(feedAll(d, chunks), messages, `chunk size ${size}`)
    }
  })

  it('keeps strings whose braces, brackets and escaped quotes look like structure', () => {
    const d = new JsonStreamDecoder()
    const tricky = '{"a":"}}}]]]","b":"\\"{","c":"\\\\","d":"\\\\\\"}"}{"z":1}'
    assert.deepEqual(d.push(Buffer.from(tricky)), [{ a: '}}}]]]', b: '"{', c: '\\', d: '\\"}' }, { z: 1 }])
  })

  it('joins a multibyte UTF-8 character split across chunks', () => {
    const text = '{"s":"\u20ac\u{1F600}"}'
    const bytes = Buffer.from(text)
    // The euro sign is 3 bytes, the emoji 4: split inside each of them.
    const euro = bytes.indexOf(0xe2)
    const emoji = bytes.indexOf(0xf0)
    for (const cut of [euro + 1, euro + 2, emoji + 1, emoji + 2, emoji + 3]) {
      const d = new JsonStreamDecoder()
      assert.deepEqual([...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))], [{ s: '\u20ac\u{1F600}' }])
    }
  })

  it('does not keep a reference to a chunk the caller reuses', () => {
    const d = new JsonStreamDecoder()
    const buf = Buffer.from('{"a":"xy')
    assert.deepEqual(d.push(buf), [])
    buf.fill(0x20)
    assert.deepEqual(d.push(Buffer.from('z"}')), [{ a: 'xyz' }])
  })

  it('refuses a message over the size limit, even before it is complete', () => {
    const d = new JsonStreamDecoder({ maxMessageBytes: 100 })
    assert.throws(
      () => d.push(Buffer.from(`{"a":"${'x'.repeat(200)}`)),
      (e: unknown) => e instanceof OvsdbProtocolError && /exceeds the limit of 100 bytes/.test(e.message),
    )
    // The stream cannot be resynchronised: it stays failed.
    assert.throws(() => d.push(Buffer.from('{}')), OvsdbProtocolError)
  })

  it('refuses an oversize message that completes within one chunk', () => {
    const d = new JsonStreamDecoder({ maxMessageBytes: 10 })
    assert.throws(() => d.push(Buffer.from('{"abcdefghij":1}')), OvsdbProtocolError)
  })

  it('accepts a message of exactly the limit', () => {
    const m = '{"a":"xyz"}'
    const d = new JsonStreamDecoder({ maxMessageBytes: Buffer.byteLength(m) })
    assert.deepEqual(d.push(Buffer.from(m)), [{ a: 'xyz' }])
  })

  it('refuses garbage between messages', () => {
    assert.throws(() => new JsonStreamDecoder().push(Buffer.from('{} x')), OvsdbProtocolError)
    assert.throws(() => new JsonStreamDecoder().push(Buffer.from('"bare string"')), OvsdbProtocolError)
  })

  it('refuses invalid JSON inside a balanced message', () => {
    assert.throws(() => new JsonStreamDecoder().push(Buffer.from('{"a" 1}')), OvsdbProtocolError)
    assert.throws(() => new JsonStreamDecoder().push(Buffer.from('{"a":tru}')), OvsdbProtocolError)
  })

  it('refuses invalid UTF-8 instead of replacing it', () => {
    const bad = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])
    assert.throws(
      () => new JsonStreamDecoder().push(bad),
      (e: unknown) => e instanceof OvsdbProtocolError && /UTF-8/.test(e.message),
    )
  })

  it('end() reports a message cut off by the end of the stream', () => {
    const d = new JsonStreamDecoder()
    d.push(Buffer.from('{"a":'))
    assert.throws(() => d.end(), OvsdbProtocolError)
    const ok = new JsonStreamDecoder()
    ok.push(Buffer.from('{"a":1}  '))
    ok.end()
  })

  it('turns integers beyond 2^53 into bigint, even split across chunks, and leaves others alone', () => {
    const d = new JsonStreamDecoder()
    const text =
      '{"big":[18446744073709551615,-9223372036854775808],"s":"123456789012345678901","ok":9007199254740991,"e":1e300}'
    const bytes = Buffer.from(text)
    const cut = text.indexOf('4073')
    const [m] = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))] as [Record<string, unknown>]
    assert.deepEqual(m.big, [18446744073709551615n, -9223372036854775808n])
    assert.equal(m.s, '123456789012345678901')
    assert.equal(m.ok, 9007199254740991)
    assert.equal(m.e, 1e300)
  })

  it('encodeMessage writes bigint exactly and the decoder reads it back', () => {
    const text = encodeMessage({ id: 1, params: [123456789012345678901234567890n, 'x'] })
    assert.equal(text, '{"id":1,"params":[123456789012345678901234567890,"x"]}')
    assert.deepEqual(new JsonStreamDecoder().push(Buffer.from(text)), [
      { id: 1, params: [123456789012345678901234567890n, 'x'] },
    ])
  })
})
