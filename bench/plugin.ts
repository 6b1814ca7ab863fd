/**
 * Benchmark: one fn=configure of the bundled plugin on a real ovsdb-server, run the way xapi runs
 * it (exec of dist/ovn-chassis with argv[1], PATH-only environment, inside the host's namespace),
 * compared in the same run with
 *   - a bare `node -e 0` started the same way (the floor for any Node plugin), and
 *   - the same write done by one `ovs-vsctl set Open_vSwitch . external_ids:...` command.
 * Every configure call really writes: it alternates between two ovn-remote values.
 * and two floors, to show what is left to cut: a file holding one statement (the cost of a main
 * module over `-e 0`) and a hand-written script that does one OVSDB select over the same socket
 * and prints a methodResponse (the least any Node plugin that reads the host can do).
 * Each on two runtimes: the Node that runs the bench (exec through the shebang, as in dist/) and
 * Node 16 (node_modules/node16, the runtime the RPM brings to hosts, build/rpm.mjs), both with the
 * plugin's V8 code cache (plugin/code-cache.ts; a private cache directory) and without it (a
 * directory the loader does not trust: it neither reads nor writes there).
 * Aim (issue "Performance"): configure within 1.3x of bare Node start-up on Node 16.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LabHost } from '../lab/host.js'
import { Underlay } from '../lab/underlay.js'
import { newUuid } from '../lab/names.js'
import { formatPluginCall, pluginArgv, PLUGIN_PATH } from '../xapi-emulator/plugin-runner.js'
import { DIST_DIR } from '../test/integration/plugin-harness.js'

const NODE16 = join(DIST_DIR, '..', 'node_modules', 'node16', 'bin', 'node')
/** plugin/code-cache.ts reads this (tests and benches only; xapi passes PATH alone). */
const CODE_CACHE_DIR_ENV = 'XAPI_OVN_CODE_CACHE_DIR'

const RUNS = Number(process.env.BENCH_RUNS ?? 30)

function time(argv: readonly string[]): number {
  const start = process.hrtime.bigint()
  const r = spawnSync(argv[0] as string, argv.slice(1), { env: { PATH: PLUGIN_PATH }, encoding: 'utf8' })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`)
  if (argv.includes(join(DIST_DIR, 'ovn-chassis')) && !r.stdout.includes('<name>Status</name><value><string>Success'))
    throw new Error(`plugin failed: ${r.stdout}`)
  return ms
}

/** Like time(), for a call whose answer is a Failure by design. */
function timeAnyAnswer(argv: readonly string[]): number {
  const start = process.hrtime.bigint()
  const r = spawnSync(argv[0] as string, argv.slice(1), { env: { PATH: PLUGIN_PATH }, encoding: 'utf8' })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (r.status !== 0 || !r.stdout.includes('<methodResponse>')) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`)
  return ms
}

/**
 * The floor peer: connect to the host's db.sock, one select of Open_vSwitch's external_ids, print
 * them in a methodResponse, exit. No validation, no lock, no log: not a plugin, a measuring stick.
 */
const ONE_SELECT = `"use strict";
const net = require('net'), fs = require('fs');
const s = net.createConnection(process.env.OVS_RUNDIR + '/db.sock');
s.on('connect', () => s.write(JSON.stringify({ method: 'transact', id: 0,
  params: ['Open_vSwitch', { op: 'select', table: 'Open_vSwitch', where: [], columns: ['external_ids'] }] })));
let buf = '';
s.on('data', (d) => {
  buf += d;
  let r; try { r = JSON.parse(buf) } catch { return }
  const v = JSON.stringify(r.result[0].rows[0].external_ids).replace(/[<&]/g, '');
  fs.writeSync(1, '<?xml version="1.0"?><methodResponse><params><param><value><struct><member><name>Status</name>' +
    '<value>Success</value></member><member><name>Value</name><value>' + v + '</value></member></struct></value>' +
    '</param></params></methodResponse>');
  process.exit(0);
});
`

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

interface Runtime {
  readonly name: string
  /** Put before the plugin's path to run it on this runtime; empty: exec through the shebang. */
  readonly node: readonly string[]
  /** The bare `node -e 0` of this runtime. */
  readonly bare: string
}

export async function benchPlugin(): Promise<void> {
  const underlay = await Underlay.create()
  const host = await LabHost.create({ name: 'bench1' })
  const scratch = mkdtempSync(join(tmpdir(), 'xapi-ovn-bench-cache-'))
  const cacheDir = join(scratch, 'cache') // created 0700 by the plugin's first run
  const untrusted = join(scratch, 'untrusted')
  mkdirSync(untrusted, { mode: 0o777 })
  chmodSync(untrusted, 0o777) // whatever the umask
  try {
    await host.createBridge('xenbr0', { networkUuids: [newUuid()] })
    await host.addUplink('xenbr0', underlay, { ip: '192.0.2.21/24' })
    await host.createBridge('xapi1', { networkUuids: [newUuid()], failMode: 'secure' })
    const env = host.env()
    const inNs = (inner: string[]) => ['ip', 'netns', 'exec', host.netns, 'env', '-i', `PATH=${PLUGIN_PATH}`, ...inner]
    const remotes = ['tcp:192.0.2.10:6642', 'tcp:192.0.2.11:6642']
    const plugin = join(DIST_DIR, 'ovn-chassis')
    /** The plugin call as pluginArgv builds it, on `rt`, with the cache in `dir`. */
    const call = (rt: Runtime, dir: string, xml: string) => {
      const argv = pluginArgv(
        { pluginsDir: DIST_DIR, netns: host.netns, env: { ...env, [CODE_CACHE_DIR_ENV]: dir } },
        'ovn-chassis',
        xml,
      )
      const at = argv.indexOf(plugin)
      return [...argv.slice(0, at), ...rt.node, ...argv.slice(at)]
    }
    const configureXml = (i: number) =>
      formatPluginCall('configure', 'OpaqueRef:bench', {
        'ovn-remote': remotes[i % 2] as string,
        'ovn-encap-ip': '192.0.2.21',
        'ovn-bridge': 'xapi1',
        'ovn-bridge-mappings': 'physnet:xenbr0',
      })
    // Start-up of the bundle alone: an unknown fn answers without any I/O.
    const unknownXml = formatPluginCall('no-such-fn', 'OpaqueRef:bench', {})
    const vsctl = (i: number) =>
      inNs([
        'ovs-vsctl',
        `--db=unix:${env.OVS_RUNDIR}/db.sock`,
        'set',
        'Open_vSwitch',
        '.',
        `external_ids:ovn-remote=${remotes[i % 2]}`,
        'external_ids:ovn-encap-ip=192.0.2.21',
        'external_ids:ovn-encap-type=geneve',
        'external_ids:ovn-bridge=xapi1',
        'external_ids:ovn-bridge-mappings=physnet:xenbr0',
      ])
    const oneStatement = join(scratch, 'one-statement.js')
    writeFileSync(oneStatement, '"use strict";\n')
    const oneSelect = join(scratch, 'one-select.js')
    writeFileSync(oneSelect, ONE_SELECT)
    const runtimes: Runtime[] = [{ name: `Node ${process.versions.node}`, node: [], bare: 'node' }]
    if (existsSync(NODE16)) runtimes.push({ name: 'Node 16 (the RPM runtime)', node: [NODE16], bare: NODE16 })
    else console.log(`  (no ${NODE16}: npm ci installs it; Node 16 figures skipped)`)
    console.log(
      `plugin configure on a real ovsdb-server (median of ${RUNS}, each started with ip netns exec + env -i):`,
    )
    for (const rt of runtimes) {
      const bare = () => inNs([rt.bare, '-e', '0'])
      // Warm the page cache, and write the code cache (one run with each fn, as on a host).
      time(bare())
      time(call(rt, cacheDir, configureXml(0)))
      timeAnyAnswer(call(rt, cacheDir, unknownXml))
      time(call(rt, untrusted, configureXml(1)))
      time(vsctl(0))
      const floor = (file: string) => inNs(['env', `OVS_RUNDIR=${env.OVS_RUNDIR}`, rt.bare, file])
      time(floor(oneSelect))
      const names = [
        'bare',
        'statement',
        'select',
        'unknown',
        'unknownCached',
        'configure',
        'configureCached',
        'noopCached',
        'vsctl',
      ] as const
      const t = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<(typeof names)[number], number[]>
      // Interleaved, so drift hits every variant alike.
      for (let i = 0; i < RUNS; i++) {
        t.bare.push(time(bare()))
        t.statement.push(time(floor(oneStatement)))
        t.select.push(time(floor(oneSelect)))
        t.unknown.push(timeAnyAnswer(call(rt, untrusted, unknownXml)))
        t.unknownCached.push(timeAnyAnswer(call(rt, cacheDir, unknownXml)))
        t.configure.push(time(call(rt, untrusted, configureXml(2 * i))))
        t.configureCached.push(time(call(rt, cacheDir, configureXml(2 * i + 1))))
        t.noopCached.push(time(call(rt, cacheDir, configureXml(2 * i + 1))))
        t.vsctl.push(time(vsctl(i)))
      }
      const m = Object.fromEntries(names.map((n) => [n, median(t[n])])) as Record<(typeof names)[number], number>
      const vs = (x: number) => `${x.toFixed(1)} ms  = ${(x / m.bare).toFixed(2)}x bare node`
      console.log(`  ${rt.name}:`)
      console.log(`    bare node -e 0 ..................... ${m.bare.toFixed(1)} ms`)
      console.log(`    a file of one statement ............ ${vs(m.statement)}`)
      console.log(`    a hand-written one-select script ... ${vs(m.select)}`)
      console.log(`    bundle start-up (no I/O), no cache . ${vs(m.unknown)}`)
      console.log(`    bundle start-up (no I/O), cache .... ${vs(m.unknownCached)}`)
      console.log(`    fn=configure (writes), no cache .... ${vs(m.configure)}`)
      console.log(`    fn=configure (writes), cache ....... ${vs(m.configureCached)}  (aim <= 1.30x on Node 16)`)
      console.log(`    fn=configure (no change), cache .... ${vs(m.noopCached)}`)
      console.log(
        `    ovs-vsctl set (same keys) .......... ${m.vsctl.toFixed(1)} ms  -> configure with cache = ${(m.configureCached / m.vsctl).toFixed(2)}x ovs-vsctl`,
      )
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
    await host.destroy()
    await underlay.destroy()
  }
}
