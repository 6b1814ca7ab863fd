/**
 * A task's `result` field: XAPI stores the call's result marshalled as XML-RPC `<value>` text
 * (rpclib's to_string: a ref or a string is `<value>...</value>`), whatever transport the client
 * uses, and "" for a void call; xen-api parses it back with its XML-RPC value parser.
 */
import { xapiXmlValue } from './xmlrpc-values.js'
import type { XapiValue } from './values.js'

export function taskResultText(value: XapiValue | undefined): string {
  if (value === undefined || value === '') return ''
  return xapiXmlValue(value)
}
