// The error of the SSL I/O and of the options-file edit; kept apart so pure and I/O modules share it.
import { XapiOvnError } from '../../errors.js'

/**
 * OVN_SSL_MATERIAL: SSL material could not be written or removed, or the options file cannot be
 * edited safely. params: [path, reason]. Never carries key material.
 */
export class SslMaterialError extends XapiOvnError {
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super('OVN_SSL_MATERIAL', `SSL material at ${path}: ${reason}`, [path, reason], options)
  }
}
