/**
 * Everything a lab fixture creates (namespaces, daemons, temp dirs) is registered here the moment
 * it exists, and torn down:
 * - by the fixture's own `destroy()` (which releases its registration),
 * - at process exit, and on SIGINT/SIGTERM/SIGHUP (synchronously, newest first; the signal is
 *   then re-raised so the exit status stays honest),
 * - by `sweepLeftovers(prefix)` for what a crashed (SIGKILLed) run left behind: namespaces and
 *   temp dirs whose owning pid (encoded in the name, see names.ts) is no longer alive.
 *
 * Killing a namespace kills every process inside it first (`ip netns pids`), because
 * `ip netns del` only drops the name: the namespace, its veths and its daemons would live on.
 *
 * @example
 * ```ts
 * import { registerTeardown, killNetns, sweepLeftovers } from './cleanup.js'
 * const reg = registerTeardown(`netns ${ns}`, () => killNetnsSync(ns))
 * // ... later, in destroy():
 * await killNetns(ns); reg.release()
 * // at the start of a suite, clear what crashed runs left:
 * await sweepLeftovers('xo')
 * ```
 */
import { readFileSync, readdirSync, rmSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run, runSync } from './exec.js'
import { LAB_PREFIX, ownerPid } from './names.js'
import { sleep, sleepSync } from './wait.js'
import { errnoOf, errorText } from '../lib/error-text.js'

/** A registered resource; `release()` once the owner has torn it down itself. */
export interface Registration {
  readonly label: string
  release(): void
}

interface Entry {
  readonly label: string
  readonly teardownSync: () => void
}

const entries = new Map<number, Entry>()
let nextId = 1
let handlersInstalled = false
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

function onSignal(signal: NodeJS.Signals): void {
  teardownAllSync()
  for (const s of SIGNALS) process.removeListener(s, onSignal)
  process.kill(process.pid, signal)
}

function installHandlers(): void {
  if (handlersInstalled) return
  handlersInstalled = true
  process.on('exit', teardownAllSync)
  for (const s of SIGNALS) process.on(s, onSignal)
}

/**
 * Register a resource. `teardownSync` must work from a process 'exit' handler: synchronous, no
 * promises, never throwing for "already gone".
 */
export function registerTeardown(label: string, teardownSync: () => void): Registration {
  installHandlers()
  const id = nextId++
  entries.set(id, { label, teardownSync })
  return {
    label,
    release: () => {
      entries.delete(id)
    },
  }
}

/** Tear down everything still registered, newest first. Errors are reported, never thrown. */
export function teardownAllSync(): void {
  const all = [...entries.entries()].reverse()
  for (const [id, entry] of all) {
    entries.delete(id)
    try {
      entry.teardownSync()
    } catch (err) {
      process.stderr.write(`lab cleanup: ${entry.label}: ${errorText(err)}\n`)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return errnoOf(err) === 'EPERM'
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch {
    // already gone
  }
}

/** SIGTERM the pids, wait up to `graceMs` for them to exit, then SIGKILL what is left. */
export async function killPids(pids: readonly number[], graceMs = 3000): Promise<void> {
  for (const pid of pids) signal(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (pids.some(isAlive) && Date.now() < deadline) await sleep(20)
  for (const pid of pids.filter(isAlive)) signal(pid, 'SIGKILL')
  const hardDeadline = Date.now() + 5000
  while (pids.some(isAlive) && Date.now() < hardDeadline) await sleep(20)
}

/** Synchronous `killPids`. */
export function killPidsSync(pids: readonly number[], graceMs = 2000): void {
  for (const pid of pids) signal(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (pids.some(isAlive) && Date.now() < deadline) sleepSync(20)
  for (const pid of pids.filter(isAlive)) signal(pid, 'SIGKILL')
  const hardDeadline = Date.now() + 5000
  while (pids.some(isAlive) && Date.now() < hardDeadline) sleepSync(20)
}

/** The pid in a pidfile, or undefined when the file is missing or malformed. */
export function readPidfile(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10)
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------
// Network namespaces

function parsePids(text: string): number[] {
  return text
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map((s) => Number.parseInt(s, 10))
}

/** Names of all network namespaces (`ip netns list`). */
export async function listNetns(): Promise<string[]> {
  const r = await run('ip', ['netns', 'list'], { check: false })
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '')
}

function listNetnsSync(): string[] {
  const r = runSync('ip', ['netns', 'list'], { check: false })
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '')
}

/** Create a network namespace with its loopback up. */
export async function createNetns(name: string): Promise<void> {
  await run('ip', ['netns', 'add', name])
  try {
    await run('ip', ['link', 'set', 'lo', 'up'], { netns: name })
  } catch (err) {
    await killNetns(name)
    throw err
  }
}

/** Kill every process inside `name`, then delete it. A missing namespace is not an error. */
export async function killNetns(name: string): Promise<void> {
  const pids = parsePids((await run('ip', ['netns', 'pids', name], { check: false })).stdout)
  if (pids.length > 0) await killPids(pids)
  const r = await run('ip', ['netns', 'del', name], { check: false })
  if (!r.ok && (await listNetns()).includes(name)) {
    // busy mount right after the last process died: retry once
    await sleep(200)
    await run('ip', ['netns', 'del', name], { check: false })
  }
}

/** Synchronous `killNetns`. */
export function killNetnsSync(name: string): void {
  const pids = parsePids(runSync('ip', ['netns', 'pids', name], { check: false }).stdout)
  if (pids.length > 0) killPidsSync(pids)
  const r = runSync('ip', ['netns', 'del', name], { check: false })
  if (!r.ok && listNetnsSync().includes(name)) {
    sleepSync(200)
    runSync('ip', ['netns', 'del', name], { check: false })
  }
}

/** Remove a directory tree; missing is fine. */
export async function removeDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true, maxRetries: 3 })
}

/** Synchronous `removeDir`. */
export function removeDirSync(path: string): void {
  rmSync(path, { recursive: true, force: true, maxRetries: 3 })
}

// ---------------------------------------------------------------------------------------------
// Leftovers of crashed runs

export interface SweepReport {
  /** Namespaces that were killed and deleted. */
  readonly netns: string[]
  /** Temp dirs that were removed. */
  readonly dirs: string[]
}

/**
 * Remove the namespaces (with every process in them) and temp dirs named `<prefix><pid36>-...`
 * whose owning pid is dead. Names of live runs (including this one) are left alone, so it is
 * safe to call while other test files run. With `owners`, only the leftovers of those pids (a
 * lab's own keeper): another user's dead lab is not ours to sweep unless asked.
 */
export async function sweepLeftovers(
  prefix: string = LAB_PREFIX,
  options: { readonly owners?: readonly number[] } = {},
): Promise<SweepReport> {
  const orphan = (name: string): boolean => {
    const pid = ownerPid(name, prefix)
    if (pid === undefined || pid === process.pid || isAlive(pid)) return false
    return options.owners === undefined || options.owners.includes(pid)
  }
  const netns = (await listNetns()).filter(orphan)
  for (const name of netns) await killNetns(name)
  const dirs: string[] = []
  for (const entry of readdirSync(tmpdir())) {
    if (orphan(entry)) {
      const path = join(tmpdir(), entry)
      await removeDir(path)
      dirs.push(path)
    }
  }
  return { netns, dirs }
}

/** Pids of the processes whose command line names something of `tag` (`xo<pid36>-`): a lab's daemons. */
export function processesTagged(tag: string): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue
    const pid = Number(entry)
    if (pid === process.pid) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(tag)) found.push(pid)
    } catch {
      // gone meanwhile
    }
  }
  return found
}
