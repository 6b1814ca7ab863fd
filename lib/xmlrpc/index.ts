/**
 * Re-exports only. A strict XML-RPC codec (http://xmlrpc.com/spec.md plus the `<nil/>` and `<i8>` extensions),
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
 *
 * The folder: values.ts (the model above), xml-tokenizer.ts (the XML), decode.ts, encode.ts.
 */
export { DEFAULT_LIMITS, type DecodeLimits } from './xml-tokenizer.js'
export {
  XmlRpcDouble,
  isStruct,
  type MethodCall,
  type MethodResponse,
  type XmlRpcStruct,
  type XmlRpcValue,
} from './values.js'
export { decodeMethodCall, decodeMethodResponse } from './decode.js'
export { encodeFault, encodeMethodCall, encodeMethodResponse, escapeText } from './encode.js'
