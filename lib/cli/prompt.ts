/**
 * Ask for a password on the terminal without echoing it: the prompt goes to stderr, stdin is put
 * in raw mode and read key by key (Enter ends, Backspace erases, Ctrl-C aborts, Ctrl-D on an empty
 * line ends). Nothing typed is ever written anywhere.
 */
import { UsageError } from './options.js'

export class PromptAborted extends Error {
  constructor() {
    super('aborted')
    this.name = 'PromptAborted'
  }
}

export function promptPassword(
  prompt: string,
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WriteStream = process.stderr,
): Promise<string> {
  if (!input.isTTY || typeof input.setRawMode !== 'function')
    return Promise.reject(new UsageError('no password given and stdin is not a terminal'))
  return new Promise((resolve, reject) => {
    let typed = ''
    const wasRaw = input.isRaw
    const finish = (err: Error | null): void => {
      input.removeListener('data', onData)
      input.setRawMode(wasRaw)
      input.pause()
      output.write('\n')
      if (err === null) resolve(typed)
      else reject(err)
    }
    const onData = (chunk: Buffer | string): void => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          finish(null)
          return
        }
        if (ch === '\u0003') {
          finish(new PromptAborted())
          return
        }
        if (ch === '\u0004') {
          if (typed === '') {
            finish(null)
            return
          }
          continue
        }
        if (ch === '\u007f' || ch === '\b') {
          typed = [...typed].slice(0, -1).join('')
          continue
        }
        if (ch >= ' ') typed += ch
      }
    }
    // Echo off before the prompt shows, so nothing typed after seeing it can be echoed.
    input.setRawMode(true)
    input.on('data', onData)
    input.resume()
    output.write(prompt)
  })
}
