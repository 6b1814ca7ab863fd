/**
 * `npm run bench`: every benchmark in turn, printing its own lines. Timing lives here, never in
 * tests. BENCH_ONLY=plugin|pool|agent|reboot|nb|show|migrate|pool-agent|br-int|sg|router|lab runs one.
 */
import { benchAgent } from './agent.js'
import { benchBrInt } from './br-int.js'
import { benchLab } from './lab.js'
import { benchMigrate } from './migrate.js'
import { benchPoolAgent } from './agent-pool.js'
import { benchNb } from './nb.js'
import { benchPlugin } from './plugin.js'
import { benchPool } from './pool.js'
import { benchReboot } from './reboot.js'
import { benchRouter } from './router.js'
import { benchShow } from './show.js'
import { benchSecurityGroups } from './sg.js'

const benches: Record<string, () => Promise<void>> = {
  plugin: benchPlugin,
  pool: benchPool,
  agent: benchAgent,
  reboot: benchReboot,
  nb: benchNb,
  show: benchShow,
  migrate: benchMigrate,
  'pool-agent': benchPoolAgent,
  'br-int': benchBrInt,
  sg: benchSecurityGroups,
  router: benchRouter,
  lab: benchLab,
}
const only = process.env.BENCH_ONLY
for (const [name, run] of Object.entries(benches)) {
  if (only !== undefined && only !== name) continue
  await run()
}
