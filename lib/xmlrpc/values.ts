// The XML-RPC value model both directions share (the table in ./index.ts): what decode.ts
// gives and encode.ts accepts.
import { isPlainRecord } from '../shape.js'

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

/** Integers of `<int>`/`<i4>`: the 32-bit range. */
export const INT32_MIN = -0x80000000
export const INT32_MAX = 0x7fffffff

/** A plain object (own data properties): what `<struct>` is. Class instances are not. */
export function isStruct(v: unknown): v is XmlRpcStruct {
  return isPlainRecord(v)
}
