/** task.create, task.destroy, task.cancel (the Async tasks themselves are the emulator's). */
import type { Database } from '../database.js'
import { T } from '../schema.js'
import { XapiDateTime } from '../values.js'
import { str, type MethodRegistry } from './registry.js'

export function registerTaskMethods(registry: MethodRegistry, db: Database): void {
  registry.define('task.create', {
    session: true,
    async: false,
    params: [
      { name: 'label', type: T.string },
      { name: 'description', type: T.string },
    ],
    run: (_c, [label, description]) =>
      db.create('task', {
        name_label: label as string,
        name_description: description as string,
        created: XapiDateTime.of(new Date()),
      }),
  })
  registry.define('task.destroy', {
    session: true,
    async: false,
    params: [{ name: 'self', type: T.ref('task') }],
    run: (_c, [ref]) => {
      db.delete('task', str(ref))
    },
  })
  registry.define('task.cancel', {
    session: true,
    async: true,
    params: [{ name: 'task', type: T.ref('task') }],
    run: (_c, [ref]) => {
      if (db.field('task', str(ref), 'status') === 'pending') db.set('task', str(ref), { status: 'cancelling' })
    },
  })
}
