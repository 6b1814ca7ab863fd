/**
 * XAPI's Async.<method>: a task record (pending), the work run after the caller has the task ref,
 * then success with the result's text or failure with the API error. `settle` waits for every
 * running task (the emulator's close).
 */
import { Codes, XapiApiError } from './api-error.js'
import type { Database } from './database.js'
import type { MethodResult } from './methods/registry.js'
import { taskResultText } from './task-result.js'
import { XapiDateTime, XapiDouble, type XapiRecord, type XapiValue } from './values.js'

export class AsyncTasks {
  readonly #db: Database
  readonly #residentOn: () => XapiValue
  readonly #running = new Set<Promise<unknown>>()

  /** `residentOn`: the host a new task records (the pool master). */
  constructor(db: Database, residentOn: () => XapiValue) {
    this.#db = db
    this.#residentOn = residentOn
  }

  /** The task's ref, at once; `work` (given that ref) runs on the next turn. */
  start(method: string, work: (task: string) => MethodResult | Promise<MethodResult>): string {
    const db = this.#db
    const task = db.create('task', {
      name_label: `Async.${method}`,
      created: XapiDateTime.of(new Date()),
      status: 'pending',
      resident_on: this.#residentOn(),
    })
    const finish = (fields: XapiRecord): void => {
      if (!db.has('task', task)) return // destroyed meanwhile
      db.set('task', task, { progress: new XapiDouble(1), finished: XapiDateTime.of(new Date()), ...fields })
    }
    const running = (async () => {
      // Let the caller get the task ref before anything happens, as with XAPI's thread.
      await new Promise((r) => setImmediate(r))
      try {
        const result = await work(task)
        finish({ status: 'success', result: taskResultText(result ?? undefined) })
      } catch (err) {
        const e =
          err instanceof XapiApiError
            ? err
            : new XapiApiError(Codes.INTERNAL_ERROR, [String((err as Error)?.message ?? err)])
        finish({ status: 'failure', error_info: e.description })
      }
    })()
    this.#running.add(running)
    void running.finally(() => this.#running.delete(running))
    return task
  }

  /** Resolve once every running task has finished. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#running])
  }
}
