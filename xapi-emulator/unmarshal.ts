/**
 * Reading call parameters the way XAPI's generated dispatcher does: a wrong number of
 * parameters is MESSAGE_PARAMETER_COUNT_MISMATCH [method, expected, received] (both counts
 * without the session), a value of the wrong type is FIELD_TYPE_ERROR [parameter name]. Like
 * rpclib, an `int` may come as a number or as a decimal string (XML-RPC clients send strings),
 * a `float` as a double, an int or a numeric string.
 */
import { Codes, XapiApiError } from './api-error.js'
import type { FieldType } from './schema.js'
import { XapiDateTime, XapiDouble, XapiInt32, isStruct, type XapiValue } from './values.js'

export type ParamType = FieldType | { readonly kind: 'struct' }

export interface ParamSpec {
  readonly name: string
  readonly type: ParamType
  /** Parameters with a default may be left out (only at the end, like XAPI's). */
  readonly default?: XapiValue
}

const INT_TEXT = /^[+-]?[0-9]+$/
const FLOAT_TEXT = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/

function typeError(name: string): XapiApiError {
  return new XapiApiError(Codes.FIELD_TYPE_ERROR, [name])
}

/** Check and convert one value to `type` (numbers become JS numbers, datetimes stay XapiDateTime). */
export function readValue(name: string, type: ParamType, value: XapiValue): XapiValue {
  switch (type.kind) {
    case 'string':
    case 'ref':
      if (typeof value !== 'string') throw typeError(name)
      return value
    case 'enum': {
      if (typeof value !== 'string') throw typeError(name)
      // XAPI matches enum constructors case-insensitively and stores its own spelling.
      const found = type.values.find((v) => v.toLowerCase() === value.toLowerCase())
      if (found === undefined) throw typeError(name)
      return found
    }
    case 'int': {
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value
      if (value instanceof XapiInt32) return value.value
      if (typeof value === 'string' && INT_TEXT.test(value) && Number.isSafeInteger(Number(value))) return Number(value)
      throw typeError(name)
    }
    case 'float': {
      if (typeof value === 'number') return new XapiDouble(value)
      if (value instanceof XapiDouble) return value
      if (value instanceof XapiInt32) return new XapiDouble(value.value)
      if (typeof value === 'string' && FLOAT_TEXT.test(value)) return new XapiDouble(Number(value))
      throw typeError(name)
    }
    case 'bool':
      if (typeof value !== 'boolean') throw typeError(name)
      return value
    case 'datetime':
      if (value instanceof XapiDateTime) return value
      if (typeof value === 'string') return new XapiDateTime(value)
      throw typeError(name)
    case 'set':
      if (!Array.isArray(value)) throw typeError(name)
      return (value as XapiValue[]).map((v) => readValue(name, type.of, v))
    case 'map': {
      if (!isStruct(value)) throw typeError(name)
      const out: Record<string, XapiValue> = {}
      for (const [k, v] of Object.entries(value)) out[k] = readValue(name, type.of, v)
      return out
    }
    case 'struct':
      if (!isStruct(value)) throw typeError(name)
      return value
  }
}

/**
 * Check the count, then each parameter, in XAPI's order. `params` excludes the session; `method`
 * is the name echoed in the count error (XAPI echoes the name called, Async. prefix removed).
 */
export function readParams(method: string, specs: readonly ParamSpec[], params: readonly XapiValue[]): XapiValue[] {
  const mandatory = specs.filter((s) => s.default === undefined).length
  // XAPI's dispatcher matches `mandatory::default_args`: with defaults, extra values are ignored.
  const hasDefaults = mandatory < specs.length
  if (params.length < mandatory || (!hasDefaults && params.length > specs.length)) {
    throw new XapiApiError(Codes.MESSAGE_PARAMETER_COUNT_MISMATCH, [method, String(mandatory), String(params.length)])
  }
  return specs.map((spec, i) => {
    const value = params[i]
    if (value === undefined) return spec.default as XapiValue
    return readValue(spec.name, spec.type, value)
  })
}
