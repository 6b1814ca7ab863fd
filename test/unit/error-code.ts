import { XapiOvnError } from '../../lib/errors.js'

/** "CODE param|param" of the XapiOvnError `fn` throws, or "no error". Other errors propagate. */
export function code(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    if (e instanceof XapiOvnError) return `${e.code} ${e.params.join('|')}`
    throw e
  }
  return 'no error'
}

/** The same for a promise: "CODE param|param" of the XapiOvnError it rejects with, or "no error". */
export async function rejectionCode(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    if (e instanceof XapiOvnError) return `${e.code} ${e.params.join('|')}`
    throw e
  }
  return 'no error'
}
