/**
 * OVN_CONTROLLER_OPTS in a systemd EnvironmentFile (pure: text in, text out; the files are read
 * and written by ./options-file-io.ts): the edit that adds or removes our ovn-ctl SSL options,
 * the words systemd would pass, and the user ovn-controller runs as.
 */
import { SslMaterialError } from './errors.js'
import { DEFAULT_CONTROLLER_OPTIONS_FILE, OPTIONS_VARIABLE, ovnCtlSslOptions, type SslPaths } from './plan-paths.js'

const MARKER =
  '# xapi-ovn: the --ovn-controller-ssl-* options below are managed by ovn-chassis fn=configure/unconfigure'
/** The marker above a line xapi-ovn added (rather than edited): removal may take the line away too. */
const MARKER_ADDED = `${MARKER} (line added by xapi-ovn)`

const ASSIGNMENT = new RegExp(`^\\s*${OPTIONS_VARIABLE}=(.*)$`)
const SSL_OPTION = /^--ovn-controller-ssl-(key|cert|ca-cert|bootstrap-ca-cert)=/
const RAW_SSL_OPTION = /^(-p|-c|-C|--private-key|--certificate|--ca-cert|--bootstrap-ca-cert)(=|$)/

interface ParsedValue {
  readonly value: string
  readonly quote: '"' | "'" | ''
}

function parseValue(raw: string, file: string): ParsedValue {
  const v = raw.trim()
  if (v.endsWith('\\'))
    throw new SslMaterialError(
      file,
      `${OPTIONS_VARIABLE} continues on the next line; write it on one line so it can be edited safely`,
    )
  if (v.startsWith('"')) {
    let out = ''
    for (let i = 1; i < v.length; i++) {
      const c = v[i] as string
      if (c === '\\' && i + 1 < v.length) {
        out += v[i + 1]
        i++
      } else if (c === '"') {
        if (v.slice(i + 1).trim() !== '') break
        return { value: out, quote: '"' }
      } else out += c
    }
    throw new SslMaterialError(file, `cannot safely edit ${OPTIONS_VARIABLE}: unbalanced or mixed quoting`)
  }
  if (v.startsWith("'")) {
    if (v.length >= 2 && v.endsWith("'") && !v.slice(1, -1).includes("'")) return { value: v.slice(1, -1), quote: "'" }
    throw new SslMaterialError(file, `cannot safely edit ${OPTIONS_VARIABLE}: unbalanced or mixed quoting`)
  }
  if (/["'\\]/.test(v))
    throw new SslMaterialError(
      file,
      `cannot safely edit ${OPTIONS_VARIABLE}: quotes or backslashes inside an unquoted value`,
    )
  return { value: v, quote: '' }
}

/** The line for these words, in the quoting the line had (single quotes when possible, else double). */
function renderValue(words: readonly string[], quote: ParsedValue['quote']): string {
  const text = words.join(' ')
  if (quote === "'" && !text.includes("'")) return `${OPTIONS_VARIABLE}='${text}'`
  return `${OPTIONS_VARIABLE}="${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}

/**
 * The options file's new text, from its current text (null: the file does not exist) and the
 * ovn-ctl options to carry (null: remove ours). Only our own options (the exact
 * `--ovn-controller-ssl-*=<our path>` words) are added or removed; everything else in the file
 * stays. Our options go before a `--` (after which words go to ovn-controller itself). Returns
 * null when the file should not exist (it would hold nothing but our marker).
 *
 * Throws `OVN_SSL_MATERIAL [file, reason]` instead of guessing: a value spread over several
 * lines or quoted in a way we do not parse, or SSL options of someone else's (they would fight
 * ours: ovn-ctl and ovn-controller both let the last one win).
 */
export function editControllerOptions(
  text: string | null,
  ours: readonly string[] | null,
  paths: SslPaths,
): string | null {
  const file = paths.optionsFile
  const mine = new Set(ovnCtlSslOptions(paths))
  const lines = text === null || text === '' ? [] : text.replace(/\n$/, '').split('\n')
  let index = -1
  for (let i = 0; i < lines.length; i++) if (ASSIGNMENT.test(lines[i] as string)) index = i

  let words: string[] = []
  let quote: ParsedValue['quote'] = '"'
  if (index >= 0) {
    const parsed = parseValue(ASSIGNMENT.exec(lines[index] as string)?.[1] ?? '', file)
    words = parsed.value.split(/\s+/).filter((w) => w !== '')
    quote = parsed.quote
  }
  const kept = words.filter((w) => !mine.has(w))
  const dashdash = kept.indexOf('--')
  const before = dashdash < 0 ? kept : kept.slice(0, dashdash)
  const after = dashdash < 0 ? [] : kept.slice(dashdash)
  if (ours !== null) {
    const foreign = [...before.filter((w) => SSL_OPTION.test(w)), ...after.filter((w) => RAW_SSL_OPTION.test(w))]
    if (foreign.length > 0) {
      throw new SslMaterialError(
        file,
        `${OPTIONS_VARIABLE} already names other SSL material (${foreign.join(' ')}); remove it so configure's material is the one used`,
      )
    }
  }
  const next = ours === null ? kept : [...before, ...ours, ...after]

  const above = index > 0 ? lines[index - 1] : undefined
  const hadMarker = above === MARKER || above === MARKER_ADDED
  const out = [...lines]
  if (index >= 0) {
    if (ours === null && next.length === 0 && above === MARKER_ADDED) {
      out.splice(index - 1, 2) // a line we added, still holding nothing else: gone with its marker
    } else {
      out[index] =
        next.length === words.length && next.every((w, i) => w === words[i])
          ? (lines[index] as string)
          : renderValue(next, quote)
      if (ours !== null && !hadMarker) out.splice(index, 0, MARKER)
      if (ours === null && hadMarker) out.splice(index - 1, 1)
    }
  } else if (ours !== null) {
    out.push(MARKER_ADDED, renderValue(next, '"'))
  }
  if (out.every((l) => l.trim() === '')) return null
  return `${out.join('\n')}\n`
}

/** The value of the last `NAME=` line of an EnvironmentFile's text; null when there is none. */
export function envFileValue(text: string | null, name: string, file: string): string | null {
  if (text === null) return null
  const assignment = new RegExp(`^\\s*${name}=(.*)$`)
  let value: string | null = null
  for (const line of text.split('\n')) {
    const m = assignment.exec(line)
    if (m) value = parseValue(m[1] ?? '', file).value
  }
  return value
}

/** Which user runs ovn-controller, and which line said so (null: nothing did). */
export interface ControllerUser {
  readonly user: string | null
  readonly source: string | null
}

/**
 * The user ovn-controller.service runs ovn-controller as: OVN_USER_ID from /etc/sysconfig/ovn
 * then /etc/sysconfig/ovn-controller (the unit passes `--ovn-user=${OVN_USER_ID}` to ovn-ctl),
 * overridden by an `--ovn-user=` in OVN_CONTROLLER_OPTS (ovn-ctl: the last one wins).
 * null: root (unset or empty). OVN's rpm turns OVN_USER_ID on when built with libcap-ng.
 * The texts are those of `paths.ovnSysconfigFile` and `paths.optionsFile` (null: no file).
 */
export function controllerUserIn(
  texts: { readonly ovnSysconfig: string | null; readonly options: string | null },
  paths: SslPaths,
): ControllerUser {
  let user: string | null = null
  let source: string | null = null
  for (const [file, text] of [
    [paths.ovnSysconfigFile, texts.ovnSysconfig],
    [paths.optionsFile, texts.options],
  ] as const) {
    const v = envFileValue(text, 'OVN_USER_ID', file)
    if (v !== null) {
      user = v
      source = `OVN_USER_ID in ${file}`
    }
  }
  for (const w of controllerOptions(texts.options, paths.optionsFile)) {
    if (w === '--') break
    if (w.startsWith('--ovn-user=')) {
      user = w.slice('--ovn-user='.length)
      source = `${w} in ${OPTIONS_VARIABLE} of ${paths.optionsFile}`
    }
  }
  return { user: user === null || user.trim() === '' ? null : user.trim(), source }
}

function isRootUser(user: string | null): boolean {
  if (user === null) return true
  const name = user.split(':')[0] ?? ''
  return name === '' || name === 'root' || name === '0'
}

/** Why a controller running as `who` cannot read root-only material, or null when it runs as root. */
export function nonRootProblemOf(who: ControllerUser): string | null {
  if (isRootUser(who.user)) return null
  return `ovn-controller runs as ${who.user ?? '?'} (${who.source ?? '?'}) and cannot read the root-only SSL files (nor, on XCP-ng, the root-owned Open vSwitch socket): make it run as root (comment OVN_USER_ID out)`
}

/** The words of the OVN_CONTROLLER_OPTS that systemd would use (the last assignment); [] when none. */
export function controllerOptions(text: string | null, file = DEFAULT_CONTROLLER_OPTIONS_FILE): string[] {
  if (text === null) return []
  let value = ''
  for (const line of text.split('\n')) {
    const m = ASSIGNMENT.exec(line)
    if (m) value = parseValue(m[1] ?? '', file).value
  }
  return value.split(/\s+/).filter((w) => w !== '')
}

/** The ovn-ctl SSL options that OVN_CONTROLLER_OPTS in `text` carries (ours or anyone's). */
export function sslOptionsIn(text: string | null, file = DEFAULT_CONTROLLER_OPTIONS_FILE): string[] {
  const words = controllerOptions(text, file)
  const dashdash = words.indexOf('--')
  return (dashdash < 0 ? words : words.slice(0, dashdash)).filter((w) => SSL_OPTION.test(w))
}
