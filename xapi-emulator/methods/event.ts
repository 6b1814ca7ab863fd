/**
 * event.from (XAPI's token "<generation>,<message generation>", classes filtered by name or
 * `class/ref`, waits until a change, the timeout or close) and event.inject.
 */
import { Codes, XapiApiError } from '../api-error.js'
import type { Database } from '../database.js'
import { CLASSES, T } from '../schema.js'
import { XapiDateTime, XapiInt32, type XapiDouble, type XapiValue } from '../values.js'
import { str, type MethodRegistry, type SessionControl } from './registry.js'

/** What event.from waits on: the emulator's next change (data, sessions, close), and whether it closed. */
export interface ChangeFeed {
  /** Resolve on the next change or after `ms`. */
  nextChange(ms: number): Promise<void>
  isClosed(): boolean
}

/** XAPI's event.from token: "<generation>,<message generation>", each 20 digits. */
export function formatToken(generation: number): string {
  return `${String(generation).padStart(20, '0')},${'0'.padStart(20, '0')}`
}

function parseToken(token: string): number {
  if (token === '') return 0
  const m = /^([0-9]+)(,[0-9]+)?$/.exec(token)
  if (m === null) throw new XapiApiError(Codes.EVENT_FROM_TOKEN_PARSE_FAILURE, [token])
  return Number(m[1])
}

function lower(cls: string): string {
  return cls.toLowerCase()
}

export function registerEventMethods(
  registry: MethodRegistry,
  deps: { db: Database; sessions: SessionControl; changes: ChangeFeed },
): void {
  registry.define('event.from', {
    session: true,
    async: false,
    params: [
      { name: 'classes', type: T.strings },
      { name: 'token', type: T.string },
      { name: 'timeout', type: T.float },
    ],
    run: (ctx, [classes, token, timeout]) =>
      eventFrom(deps, ctx.session, classes as string[], str(token), (timeout as XapiDouble).value),
  })
  registry.define('event.inject', {
    session: true,
    async: false,
    params: [
      { name: 'class', type: T.string },
      { name: 'ref', type: T.string },
    ],
    run: (_c, [cls, ref]) => {
      const name = Object.keys(CLASSES).find((c) => lower(c) === lower(str(cls)))
      if (name === undefined) throw new XapiApiError(Codes.HANDLE_INVALID, [str(cls), str(ref)])
      const generation = deps.db.touch(name, str(ref))
      return formatToken(generation - 1)
    },
  })
}

async function eventFrom(
  { db, sessions, changes }: { db: Database; sessions: SessionControl; changes: ChangeFeed },
  session: string,
  classes: string[],
  token: string,
  timeoutSeconds: number,
): Promise<XapiValue> {
  const since = parseToken(token)
  const wanted = classes.map((c) => {
    const slash = c.indexOf('/')
    return slash < 0 ? { cls: lower(c), ref: undefined } : { cls: lower(c.slice(0, slash)), ref: c.slice(slash + 1) }
  })
  const filter = (cls: string, ref: string): boolean =>
    wanted.some((w) => (w.cls === '*' || w.cls === lower(cls)) && (w.ref === undefined || w.ref === ref))
  const deadline = Date.now() + Math.max(0, timeoutSeconds) * 1000
  for (;;) {
    sessions.check(session)
    const events = db.eventsSince(since, filter)
    const now = Date.now()
    if (events.length > 0 || now >= deadline || changes.isClosed()) {
      const counts: Record<string, XapiValue> = {}
      for (const cls of Object.keys(CLASSES)) {
        if (wanted.some((w) => w.cls === '*' || w.cls === lower(cls))) counts[lower(cls)] = new XapiInt32(db.count(cls))
      }
      const timestamp = XapiDateTime.of(new Date())
      return {
        events: events.map((e) => {
          const ev: Record<string, XapiValue> = {
            id: e.id,
            timestamp,
            class: lower(e.cls),
            operation: e.operation,
            ref: e.ref,
          }
          if (e.snapshot !== undefined) ev.snapshot = e.snapshot
          return ev
        }),
        valid_ref_counts: counts,
        token: formatToken(db.generation),
      }
    }
    await changes.nextChange(deadline - now)
  }
}
