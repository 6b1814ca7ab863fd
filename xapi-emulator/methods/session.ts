/** session.login_with_password, session.logout, session.get_this_host. */
import type { Database } from '../database.js'
import { T } from '../schema.js'
import { str, type MethodRegistry, type SessionControl } from './registry.js'

export function registerSessionMethods(
  registry: MethodRegistry,
  { db, poolRef, sessions }: { db: Database; poolRef: string; sessions: SessionControl },
): void {
  registry.define('session.login_with_password', {
    session: false,
    async: false,
    params: [
      { name: 'uname', type: T.string },
      { name: 'pwd', type: T.string },
      { name: 'version', type: T.string, default: '' },
      { name: 'originator', type: T.string, default: '' },
    ],
    run: (_c, [uname, pwd]) => sessions.login(str(uname), str(pwd)),
  })
  registry.define('session.logout', {
    session: true,
    async: false,
    params: [],
    run: (ctx) => {
      sessions.logout(ctx.session)
    },
  })
  registry.define('session.get_this_host', {
    session: true,
    async: false,
    params: [{ name: 'self', type: T.ref('session') }],
    run: (_c, [ref]) => {
      sessions.check(str(ref))
      return db.field('pool', poolRef, 'master')
    },
  })
}
