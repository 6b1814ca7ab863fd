/**
 * Benchmark: one fn=configure of the bundled plugin on a real ovsdb-server, run the way xapi runs
 * it (exec of dist/ovn-chassis with argv[1], PATH-only environment, inside the host's namespace),
 * compared in the same run with
 *   - a bare `node -e 0` started the same way (the floor for any Node plugin), and
 *   - the same write done by one `ovs-vsctl set Open_vSwitch . external_ids:...` command.
 * Every configure call really writes: it alternates between two ovn-remote values.
 * Aim (issue 2): configure within 1.3x of bare Node start-up.
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { LabHost } from '../lab/host.js'
import { Underlay } from '../lab/underlay.js'
import { newUuid } from '../lab/names.js'
import { formatPluginCall, pluginArgv, PLUGIN_PATH } from '../xapi-emulator/plugin-runner.js'
import { DIST_DIR } from '../test/integration/plugin-harness.js'

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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

export async function benchPlugin(): Promise<void> {
  const underlay = await Underlay.create()
  const host = await LabHost.create({ name: 'bench1' })
  try {
    await host.createBridge('xenbr0', { networkUuids: [newUuid()] })
    await host.addUplink('xenbr0', underlay, { ip: '192.0.2.21/24' })
    await host.createBridge('xapi1', { networkUuids: [newUuid()], failMode: 'secure' })
    const env = host.env()
    const inNs = (inner: string[]) => ['ip', 'netns', 'exec', host.netns, 'env', '-i', `PATH=${PLUGIN_PATH}`, ...inner]
    const remotes = ['tcp:192.0.2.10:6642', 'tcp:192.0.2.11:6642']
    const configure = (i: number) =>
      pluginArgv(
        { pluginsDir: DIST_DIR, netns: host.netns, env },
        'ovn-chassis',
        formatPluginCall('configure', 'OpaqueRef:bench', {
          'ovn-remote': remotes[i % 2] as string,
          'ovn-encap-ip': '192.0.2.21',
          'ovn-bridge': 'xapi1',
          'ovn-bridge-mappings': 'physnet:xenbr0',
        }),
      )
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
    const bare = () => inNs(['node', '-e', '0'])
    // Start-up of the bundle alone: an unknown fn answers without any I/O.
    const unknown = () =>
      pluginArgv(
        { pluginsDir: DIST_DIR, netns: host.netns, env },
        'ovn-chassis',
        formatPluginCall('no-such-fn', 'OpaqueRef:bench', {}),
      )
    // Warm the page cache for all three, then interleave so drift hits them alike.
    time(bare())
    time(configure(0))
    time(vsctl(0))
    const t = {
      bare: [] as number[],
      unknown: [] as number[],
      configure: [] as number[],
      vsctl: [] as number[],
      noop: [] as number[],
    }
    for (let i = 0; i < RUNS; i++) {
      t.bare.push(time(bare()))
      t.unknown.push(timeAnyAnswer(unknown()))
      t.configure.push(time(configure(i + 1)))
      t.noop.push(time(configure(i + 1)))
      t.vsctl.push(time(vsctl(i)))
    }
    const m = {
      bare: median(t.bare),
      unknown: median(t.unknown),
      configure: median(t.configure),
      noop: median(t.noop),
      vsctl: median(t.vsctl),
    }
    console.log(
      `plugin configure on a real ovsdb-server (median of ${RUNS}, each started with ip netns exec + env -i):`,
    )
    console.log(`  bare node -e 0 ............ ${m.bare.toFixed(1)} ms`)
    console.log(
      `  bundle start-up (no I/O) .. ${m.unknown.toFixed(1)} ms  = ${(m.unknown / m.bare).toFixed(2)}x bare node`,
    )
    console.log(
      `  fn=configure (writes) ..... ${m.configure.toFixed(1)} ms  = ${(m.configure / m.bare).toFixed(2)}x bare node  (aim <= 1.30x)`,
    )
    console.log(`  fn=configure (no change) .. ${m.noop.toFixed(1)} ms  = ${(m.noop / m.bare).toFixed(2)}x bare node`)
    console.log(
      `  ovs-vsctl set (same keys) . ${m.vsctl.toFixed(1)} ms  -> configure = ${(m.configure / m.vsctl).toFixed(2)}x ovs-vsctl`,
    )
  } finally {
    await host.destroy()
    await underlay.destroy()
  }
}
