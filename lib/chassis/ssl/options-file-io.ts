/**
 * The options file's I/O: read OVN_CONTROLLER_OPTS's file and OVN's own EnvironmentFile, then
 * write the edit worked out by ./plan-options-file.ts (keeping the file's mode).
 */
import { statSync } from 'node:fs'
import { dirname } from 'node:path'
import { errorText } from '../../error-text.js'
import { ensureDir, readSslFile, removeSslFile, writeSslFile } from './files-io.js'
import { OPTIONS_FILE_MODE, type SslPaths } from './plan-paths.js'
import { controllerUserIn, editControllerOptions, nonRootProblemOf, type ControllerUser } from './plan-options-file.js'

/** The options file's text now and the text it should have (null: no file). */
export interface OptionsFileEdit {
  readonly file: string
  readonly before: string | null
  readonly after: string | null
}

/** Read the options file and work out its edit: carry `ours` (null: take ours out). */
export function readOptionsFileEdit(paths: SslPaths, ours: readonly string[] | null): OptionsFileEdit {
  const before = readSslFile(paths.optionsFile)
  return { file: paths.optionsFile, before, after: editControllerOptions(before, ours, paths) }
}

/** Rewrite (or create, or delete) the options file; true when it changed. */
export function writeOptionsFile({ file, before, after }: OptionsFileEdit): boolean {
  if (after === before) return false
  if (after === null) {
    removeSslFile(file)
    return true
  }
  let mode = OPTIONS_FILE_MODE
  if (before !== null) {
    try {
      mode = statSync(file).mode & 0o7777
    } catch {
      // gone meanwhile: create it with the default mode
    }
  } else ensureDir(dirname(file))
  writeSslFile(file, after, mode)
  return true
}

/** The user ovn-controller runs as, from the files as they are now (see controllerUserIn). */
export function controllerUser(paths: SslPaths): ControllerUser {
  const ovnSysconfig = readSslFile(paths.ovnSysconfigFile)
  return controllerUserIn({ ovnSysconfig, options: readSslFile(paths.optionsFile) }, paths)
}

/** Why ovn-controller cannot read root-only material, or null when it runs as root. */
export function nonRootProblem(paths: SslPaths): string | null {
  let who: ControllerUser
  try {
    who = controllerUser(paths)
  } catch (err) {
    return `cannot tell which user ovn-controller runs as: ${errorText(err)}`
  }
  return nonRootProblemOf(who)
}
