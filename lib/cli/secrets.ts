/**
 * The password must never reach the terminal: where it can be found (argv, the environment, the
 * prompt) and how every text the CLI prints is cleaned of it.
 */

/** The value given for --password anywhere in argv. */
export function passwordInArgv(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? ''
    if (a === '--password') return argv[i + 1]
    if (a.startsWith('--password=')) return a.slice('--password='.length)
  }
  return undefined
}

/**
 * Replace every secret in `text` with ***. A very short secret (under 4 characters) is only
 * replaced where it stands quoted, as parseArgs quotes the words it complains about, so that
 * ordinary words of the message stay readable.
 */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text
  for (const s of secrets) {
    if (s === undefined || s.length === 0) continue
    if (s.length >= 4) out = out.split(s).join('***')
    else for (const q of ["'", '"']) out = out.split(`${q}${s}${q}`).join(`${q}***${q}`)
  }
  return out
}
