/**
 * Commands (plugins) exec'd off the emulator's event loop, as xapi hands them to forkexecd
 * (ocaml/forkexecd/lib/forkhelpers.mli in xapi-project/xen-api: xapi's threads never fork
 * themselves). Node's spawn forks the whole process and waits for the child's exec on the calling
 * thread: ~5-10 ms per plugin on a busy 2-core machine, during which the emulator (and a client in
 * the same process: the tests, bench/pool.ts) handles nothing, so N concurrent host.call_plugin
 * started one after another. One worker thread (./exec-thread-worker.ts) does every spawn: more
 * threads fork the same process in parallel and contend on its memory map (measured slower).
 *
 * The thread is made on first use and holds the process open only while a command runs.
 */
import { constants } from 'node:os'
import { Worker } from 'node:worker_threads'
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

const WORKER_URL = new URL('./exec-thread-worker.js', import.meta.url)

let worker: Worker | null = null
let nextId = 0
const pending = new Map<number, Pending>()

function settle(message: unknown): void {
  if (!isRecord(message) || typeof message.id !== 'number') return
  const p = pending.get(message.id)
  if (p === undefined) return // a second message for one command ('error' then 'close')
  pending.delete(message.id)
  if (pending.size === 0) worker?.unref()
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

/** The thread dies (it should not): every command it was running fails, the next one gets a new thread. */
function lost(w: Worker, err: Error): void {
  if (worker !== w) return
  worker = null
  const waiting = [...pending.values()]
  pending.clear()
  for (const p of waiting) p.reject(err)
}

function thread(): Worker {
  if (worker !== null) return worker
  const w = new Worker(WORKER_URL)
  w.on('message', settle)
  w.on('error', (err) => lost(w, err))
  w.on('exit', (code) => lost(w, new Error(`the exec thread exited (${code})`)))
  w.unref()
  worker = w
  return w
}

/** Run `argv` (PATH only, no stdin) on the exec thread and collect its exit and output. */
export function execOffThread(argv: readonly string[]): Promise<ExecExit> {
  const w = thread()
  const id = nextId++
  return new Promise<ExecExit>((resolve, reject) => {
    pending.set(id, { resolve, reject })
    w.ref()
    w.postMessage({ id, argv: [...argv] })
  })
}
