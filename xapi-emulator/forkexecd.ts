/**
 * Commands (plugins) exec'd by a helper process, as xapi hands them to forkexecd
 * (ocaml/forkexecd/lib/forkhelpers.mli in xapi-project/xen-api: xapi's threads never fork
 * themselves). Node's spawn forks the calling process and waits for the child's exec on the
 * calling thread. In the emulator's process (which holds the whole emulated pool, and the client
 * too in tests and bench/pool.ts) that cost ~10 ms per plugin on a busy 2-core machine, during
 * which nothing else ran: N concurrent host.call_plugin started one after another. Measured on
 * the same machine, 200 spawns: ~1 s from the emulator's process, also from a worker thread of
 * it (the fork copies the same big process); ~0.5 s from a small process (./forkexecd-main.ts),
 * about what a shell takes to start 200 processes there.
 *
 * The helper is started on first use and holds the emulator's process open only while a command
 * runs.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { constants } from 'node:os'
import { fileURLToPath } from 'node:url'
import { isRecord } from '../lib/shape.js'

export interface ExecExit {
  readonly status: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

function isSignal(v: unknown): v is NodeJS.Signals {
  return typeof v === 'string' && Object.hasOwn(constants.signals, v)
}

interface Pending {
  readonly resolve: (exit: ExecExit) => void
  readonly reject: (err: Error) => void
}

const HELPER = fileURLToPath(new URL('./forkexecd-main.js', import.meta.url))

let helper: ChildProcess | null = null
let nextId = 0
const pending = new Map<number, Pending>()

/** Hold the process open while a command runs, not after. */
function hold(h: ChildProcess, held: boolean): void {
  if (held) {
    h.ref()
    h.channel?.ref()
  } else {
    h.unref()
    h.channel?.unref()
  }
}

function settle(message: unknown): void {
  if (!isRecord(message) || typeof message.id !== 'number') return
  const p = pending.get(message.id)
  if (p === undefined) return // a second message for one command ('error' then 'close')
  pending.delete(message.id)
  if (pending.size === 0 && helper !== null) hold(helper, false)
  if (typeof message.error === 'string') {
    p.reject(new Error(message.error))
    return
  }
  const { status, signal, stdout, stderr } = message
  p.resolve({
    status: typeof status === 'number' ? status : null,
    signal: isSignal(signal) ? signal : null,
    stdout: typeof stdout === 'string' ? stdout : '',
    stderr: typeof stderr === 'string' ? stderr : '',
  })
}

/** The helper went away (it should not): its commands fail, the next one gets a new helper. */
function lost(h: ChildProcess, err: Error): void {
  if (helper !== h) return
  helper = null
  const waiting = [...pending.values()]
  pending.clear()
  for (const p of waiting) p.reject(err)
}

function started(): ChildProcess {
  if (helper !== null) return helper
  // No execArgv: under `node --test` the parent's flags would make the helper a test runner.
  const h = fork(HELPER, [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  h.on('message', settle)
  h.on('error', (err) => lost(h, err))
  h.on('exit', (code, signal) => lost(h, new Error(`the emulator's forkexecd exited (${signal ?? code})`)))
  helper = h
  return h
}

/** Run `argv` (PATH only, no stdin) through the helper and collect its exit and output. */
export function forkExec(argv: readonly string[]): Promise<ExecExit> {
  const h = started()
  const id = nextId++
  return new Promise<ExecExit>((resolve, reject) => {
    pending.set(id, { resolve, reject })
    hold(h, true)
    h.send({ id, argv: [...argv] })
  })
}
