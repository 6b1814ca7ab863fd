/**
 * The runtime the RPM brings: every ELF file in the built package needs nothing XCP-ng 8.3's
 * dom0 (CentOS 7: glibc 2.17, gcc 4.8's libstdc++) lacks, read with build/elf-needs.mjs, which is
 * itself shown to flag what needs more; the build refuses a bad runtime given with
 * XAPI_OVN_RUNTIME or --runtime and packages a good one; rpmlint finds no error, and the warnings
 * it leaves are exactly those rpm/README.md explains.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  chmodSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  closeSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { run } from '../../lab/exec.js'
import {
  DIST_PLUGIN,
  NODE16,
  PRIVATE_NODE,
  ROOT,
  RUNTIME_DIR,
  buildRpm,
  elf,
  installScratch,
  query,
  runRpmBuild,
  type BuiltRpm,
  type ScratchRoot,
} from './rpm-fixture.js'

/** The first bytes of a file: enough to tell an ELF file, without reading 80 MB. */
function head(path: string): Buffer {
  const buf = Buffer.alloc(4)
  const fd = openSync(path, 'r')
  try {
    return buf.subarray(0, readSync(fd, buf, 0, 4, 0))
  } finally {
    closeSync(fd)
  }
}

/**
 * A minimal ELF file as a linker lays one out, of either class and byte order: a `.dynstr`, a
 * `.dynamic` naming `needed` (DT_NEEDED) and a `.gnu.version_r` needing `versions`, one Verneed
 * per library with its Vernaux entries after it.
 */
function tinyElf(is64: boolean, le: boolean, needed: string[], versions: [string, string][]): Buffer {
  // .dynstr: a NUL, then each string once, NUL-terminated; str() gives a string's offset.
  let dynstrText = '\0'
  const offsets = new Map<string, number>()
  const str = (s: string): number => {
    let at = offsets.get(s)
    if (at === undefined) {
      at = dynstrText.length
      offsets.set(s, at)
      dynstrText += `${s}\0`
    }
    return at
  }
  const files = [...new Set(versions.map(([f]) => f))]
  const neededOff = needed.map(str)
  const fileOff = files.map(str)
  const nameOff = versions.map(([, n]) => str(n))
  const dynstr = Buffer.from(dynstrText, 'latin1')
  const ehsize = is64 ? 64 : 52
  const shentsize = is64 ? 64 : 40
  const dynent = is64 ? 16 : 8
  const dynstrOff = ehsize
  const dynamicOff = dynstrOff + dynstr.length
  const dynamicSize = (needed.length + 1) * dynent
  const verneedOff = dynamicOff + dynamicSize
  const verneedSize = files.length * 16 + versions.length * 16
  const shoff = verneedOff + verneedSize
  const buf = Buffer.alloc(shoff + 4 * shentsize)
  const w16 = (o: number, v: number) => (le ? buf.writeUInt16LE(v, o) : buf.writeUInt16BE(v, o))
  const w32 = (o: number, v: number) => (le ? buf.writeUInt32LE(v, o) : buf.writeUInt32BE(v, o))
  const word = (o: number, v: number) =>
    is64 ? (le ? buf.writeBigUInt64LE(BigInt(v), o) : buf.writeBigUInt64BE(BigInt(v), o)) : w32(o, v)
  buf.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1])
  w16(16, 3) // ET_DYN
  w16(18, elf.EM_X86_64)
  w32(20, 1)
  word(is64 ? 0x28 : 0x20, shoff)
  w16(is64 ? 0x34 : 0x28, ehsize)
  w16(is64 ? 0x3a : 0x2e, shentsize)
  w16(is64 ? 0x3c : 0x30, 4)
  dynstr.copy(buf, dynstrOff)
  needed.forEach((_, i) => {
    word(dynamicOff + i * dynent, 1) // DT_NEEDED
    word(dynamicOff + i * dynent + dynent / 2, neededOff[i] as number)
  })
  let off = verneedOff
  files.forEach((file, fi) => {
    const mine = versions.map((v, i) => [v, i] as const).filter(([[f]]) => f === file)
    w16(off, 1)
    w16(off + 2, mine.length)
    w32(off + 4, fileOff[fi] as number)
    w32(off + 8, 16)
    w32(off + 12, fi === files.length - 1 ? 0 : 16 + 16 * mine.length)
    mine.forEach(([, i], j) => {
      const aux = off + 16 + 16 * j
      w32(aux + 8, nameOff[i] as number)
      w32(aux + 12, j === mine.length - 1 ? 0 : 16)
    })
    off += 16 + 16 * mine.length
  })
  const section = (i: number, type: number, offset: number, size: number, link: number, info: number) => {
    const b = shoff + i * shentsize
    w32(b + 4, type)
    word(b + (is64 ? 0x18 : 0x10), offset)
    word(b + (is64 ? 0x20 : 0x14), size)
    w32(b + (is64 ? 0x28 : 0x18), link)
    w32(b + (is64 ? 0x2c : 0x1c), info)
  }
  section(1, 3, dynstrOff, dynstr.length, 0, 0) // SHT_STRTAB
  section(2, 6, dynamicOff, dynamicSize, 1, 0) // SHT_DYNAMIC
  section(3, 0x6ffffffe, verneedOff, verneedSize, 1, files.length) // SHT_GNU_verneed
  return buf
}

describe('the runtime in the xapi-ovn RPM', () => {
  let pkg: BuiltRpm
  let scratch: ScratchRoot
  let work: string

  before(async () => {
    pkg = await buildRpm()
    scratch = await installScratch(pkg)
    work = join(pkg.dir, 'work')
    mkdirSync(work)
  })
  after(() => {
    scratch?.destroy()
    pkg?.destroy()
  })

  test('every ELF file of the package needs at most GLIBC_2.17, GLIBCXX_3.4.19, CXXABI_1.3.7 and only dom0 base libraries', async () => {
    const files = (await run('rpm', ['-qlp', pkg.rpm])).stdout.trim().split('\n')
    const elves: string[] = []
    for (const f of files) {
      const at = join(scratch.path, f)
      if (!statSync(at).isFile() || !elf.isElf(head(at))) continue
      elves.push(f)
      const needs = elf.readElfNeeds(readFileSync(at), f)
      assert.equal(needs.class, 64, f)
      assert.equal(needs.machine, elf.EM_X86_64, f)
      assert.deepEqual(elf.unmetOnEl7(needs), [], f)
      // The check saw real needs: the runtime does use glibc 2.17's newest symbols.
      assert.ok(
        needs.versions.some((v) => v.file === 'libc.so.6' && v.name === 'GLIBC_2.17'),
        `${f}: ${JSON.stringify(needs.versions)}`,
      )
    }
    // Every file was looked at, and the runtime is the one ELF file there.
    assert.deepEqual(elves, [PRIVATE_NODE])
  })

  test('the reader gives what readelf -d -V gives for node16, and flags what needs more: the Node.js running this, tiny ELF files of each class and byte order', () => {
    const node16 = elf.readElfNeeds(readFileSync(NODE16), NODE16)
    assert.deepEqual(node16.needed, [
      'libdl.so.2',
      'libstdc++.so.6',
      'libm.so.6',
      'libgcc_s.so.1',
      'libpthread.so.0',
      'libc.so.6',
      'ld-linux-x86-64.so.2',
    ])
    // As `readelf -V node_modules/node16/bin/node` lists them (binutils 2.40), sorted.
    assert.deepEqual([...new Set(node16.versions.map((v) => v.name))].sort(), [
      'CXXABI_1.3',
      'CXXABI_1.3.5',
      'GCC_3.0',
      'GCC_3.4',
      'GLIBCXX_3.4',
      'GLIBCXX_3.4.11',
      'GLIBCXX_3.4.14',
      'GLIBCXX_3.4.15',
      'GLIBCXX_3.4.18',
      'GLIBCXX_3.4.9',
      'GLIBC_2.10',
      'GLIBC_2.14',
      'GLIBC_2.16',
      'GLIBC_2.17',
      'GLIBC_2.2.5',
      'GLIBC_2.3',
      'GLIBC_2.3.2',
      'GLIBC_2.3.3',
      'GLIBC_2.3.4',
      'GLIBC_2.4',
      'GLIBC_2.6',
      'GLIBC_2.7',
      'GLIBC_2.9',
    ])

    // The Node.js running these tests (>= 18: Debian's /usr/bin/node, or an official build) needs
    // glibc >= 2.28 and a newer libstdc++.
    const system = elf.unmetOnEl7(elf.readElfNeeds(readFileSync(process.execPath), process.execPath))
    assert.ok(
      system.some((u) => /^libc\.so\.6 GLIBC_2\.(2[89]|3[0-9]) \(newer than GLIBC_2\.17\)$/.test(u)),
      system.join('\n'),
    )
    assert.ok(
      system.some((u) => /^libstdc\+\+\.so\.6 GLIBCXX_3\.4\.(2[0-9]|3[0-9]) \(newer than GLIBCXX_3\.4\.19\)$/.test(u)),
      system.join('\n'),
    )

    for (const [is64, le] of [
      [true, true],
      [true, false],
      [false, true],
      [false, false],
    ] as const) {
      const at = `${is64 ? 64 : 32}-bit ${le ? 'little' : 'big'}-endian`
      const edge = elf.readElfNeeds(
        tinyElf(
          is64,
          le,
          ['libc.so.6', 'libstdc++.so.6'],
          [
            ['libc.so.6', 'GLIBC_2.2.5'],
            ['libc.so.6', 'GLIBC_2.17'],
            ['libstdc++.so.6', 'GLIBCXX_3.4.19'],
            ['libstdc++.so.6', 'CXXABI_1.3.7'],
          ],
        ),
        at,
      )
      assert.equal(edge.class, is64 ? 64 : 32, at)
      assert.deepEqual(edge.needed, ['libc.so.6', 'libstdc++.so.6'], at)
      assert.equal(edge.versions.length, 4, at)
      assert.deepEqual(elf.unmetOnEl7(edge), [], `${at}: the limits themselves are met`)
      const newer = elf.readElfNeeds(
        tinyElf(
          is64,
          le,
          ['libc.so.6', 'libssl.so.3'],
          [
            ['libc.so.6', 'GLIBC_2.18'],
            ['libc.so.6', 'GLIBC_PRIVATE'],
            ['libstdc++.so.6', 'GLIBCXX_3.4.20'],
            ['libstdc++.so.6', 'CXXABI_1.3.8'],
            ['libgcc_s.so.1', 'GCC_7.0.0'],
          ],
        ),
        at,
      )
      assert.deepEqual(
        elf.unmetOnEl7(newer),
        [
          "libssl.so.3 (not a library of dom0's base system)",
          'libc.so.6 GLIBC_2.18 (newer than GLIBC_2.17)',
          "libc.so.6 GLIBC_PRIVATE (not a version dom0's libraries are known to have)",
          'libstdc++.so.6 GLIBCXX_3.4.20 (newer than GLIBCXX_3.4.19)',
          'libstdc++.so.6 CXXABI_1.3.8 (newer than CXXABI_1.3.7)',
          'libgcc_s.so.1 GCC_7.0.0 (newer than GCC_4.8.0)',
        ],
        at,
      )
    }

    assert.equal(elf.isElf(readFileSync(DIST_PLUGIN)), false)
    assert.throws(() => elf.readElfNeeds(readFileSync(DIST_PLUGIN), 'dist/ovn-chassis'), {
      message: 'dist/ovn-chassis is not an ELF file',
    })
    assert.throws(
      () => elf.readElfNeeds(readFileSync(NODE16).subarray(0, 200), 'cut'),
      /^Error: cut: truncated or corrupt ELF/,
    )
  })

  test('a bad runtime (XAPI_OVN_RUNTIME or --runtime) is refused, saying what is wrong, before anything is built', async () => {
    const dir = (name: string, node?: string | { script: string; mode: number }, license = true): string => {
      const d = join(work, name)
      mkdirSync(join(d, 'bin'), { recursive: true })
      if (typeof node === 'string') symlinkSync(node, join(d, 'bin', 'node'))
      else if (node !== undefined) {
        writeFileSync(join(d, 'bin', 'node'), node.script)
        chmodSync(join(d, 'bin', 'node'), node.mode)
      }
      if (license) writeFileSync(join(d, 'LICENSE'), 'a license\n')
      return d
    }
    const plainFile = join(work, 'a-file')
    writeFileSync(plainFile, '')
    const out = join(work, 'out')
    mkdirSync(out)
    const cases: [string[], Record<string, string>, RegExp][] = [
      [
        [],
        { XAPI_OVN_RUNTIME: '' },
        /^build\/rpm\.mjs: XAPI_OVN_RUNTIME is empty: unset it, or give the directory that holds bin\/node$/m,
      ],
      [
        [],
        { XAPI_OVN_RUNTIME: join(work, 'nowhere') },
        /^build\/rpm\.mjs: XAPI_OVN_RUNTIME ".*\/nowhere": no such directory$/m,
      ],
      [
        ['--runtime', plainFile],
        {},
        /^build\/rpm\.mjs: --runtime ".*\/a-file": not a directory \(give the directory that holds bin\/node and LICENSE\)$/m,
      ],
      [['--runtime', dir('empty')], {}, /^build\/rpm\.mjs: --runtime ".*\/empty": has no bin\/node file/m],
      [
        ['--runtime', dir('not-exec', { script: '#!/bin/sh\n', mode: 0o644 })],
        {},
        /^build\/rpm\.mjs: --runtime ".*\/not-exec": bin\/node is not executable$/m,
      ],
      [
        ['--runtime', dir('wrapper', { script: `#!/bin/sh\nexec ${NODE16} "$@"\n`, mode: 0o755 })],
        {},
        /^build\/rpm\.mjs: --runtime ".*\/wrapper": bin\/node is not an ELF executable/m,
      ],
      [
        ['--runtime', dir('false', '/bin/false')],
        {},
        /^build\/rpm\.mjs: --runtime ".*\/false": bin\/node --version does not run: Command failed/m,
      ],
      [
        ['--runtime', dir('true', '/bin/true')],
        {},
        /^build\/rpm\.mjs: --runtime ".*\/true": bin\/node --version printed "true \(GNU coreutils\) [0-9.]+", not a version like v16\.20\.2$/m,
      ],
      [
        ['--runtime', dir('current-node', process.execPath)],
        {},
        /^build\/rpm\.mjs: --runtime ".*\/current-node": bin\/node needs what XCP-ng 8\.3's dom0 \(CentOS 7: glibc 2\.17, gcc 4\.8's libstdc\+\+\) does not have: .*libc\.so\.6 GLIBC_2\.28 \(newer than GLIBC_2\.17\).*\. Use a build for glibc 2\.17: official Node\.js 16, or a linux-x64-glibc-217 build of unofficial-builds\.nodejs\.org$/m,
      ],
      [
        ['--runtime', dir('no-license', NODE16, false)],
        {},
        /^build\/rpm\.mjs: --runtime ".*\/no-license": has no LICENSE/m,
      ],
      // The flag wins over the variable.
      [
        ['--runtime', join(work, 'flagged')],
        { XAPI_OVN_RUNTIME: NODE16 },
        /^build\/rpm\.mjs: --runtime ".*\/flagged": no such directory$/m,
      ],
    ]
    for (const [args, env, message] of cases) {
      const r = await runRpmBuild(out, args, env)
      assert.equal(r.status, 1, `${args.join(' ')} ${JSON.stringify(env)}: ${r.stderr}`)
      assert.match(r.stderr, message)
      assert.doesNotMatch(r.stderr, /rpmbuild|Executing/, 'refused before rpmbuild runs')
      assert.equal(r.stderr.split('\n').length, 2, `one line, no stack: ${r.stderr}`)
      assert.deepEqual(readdirSync(out), [], 'nothing is written')
    }
  })

  test('another runtime: XAPI_OVN_RUNTIME=DIR packages its bin/node and LICENSE, and the package says which Node it bundles', async () => {
    const alt = join(work, 'alt-node')
    mkdirSync(join(alt, 'bin'), { recursive: true })
    symlinkSync(NODE16, join(alt, 'bin', 'node'))
    writeFileSync(join(alt, 'LICENSE'), 'the license of this other build\n')
    const other = await buildRpm([], { XAPI_OVN_RUNTIME: alt })
    try {
      const root = await installScratch(other)
      try {
        assert.equal(readFileSync(join(root.path, RUNTIME_DIR, 'LICENSE'), 'utf8'), 'the license of this other build\n')
        assert.ok(readFileSync(join(root.path, PRIVATE_NODE)).equals(readFileSync(NODE16)))
      } finally {
        root.destroy()
      }
      assert.match((await run('rpm', ['-qp', '--provides', other.rpm])).stdout, /^bundled\(nodejs\) = 16\.20\.2$/m)
      assert.match(
        await query(other, '%{DESCRIPTION}'),
        /private Node\.js\s+16\.20\.2 in \/usr\/libexec\/xapi-ovn\/node/,
      )
    } finally {
      other.destroy()
    }
  })

  test('rpmlint: no error; the warnings left are exactly those rpm/README.md explains, and every filter is one it lists', async () => {
    const r = await run(
      'rpmlint',
      ['-r', join(ROOT, 'rpm', 'xapi-ovn.rpmlintrc'), join(ROOT, 'rpm', 'xapi-ovn.spec'), pkg.rpm],
      {
        check: false,
        timeoutMs: 120_000,
      },
    )
    assert.equal(r.status, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /^ 1 packages and 1 specfiles checked; 0 errors, [0-9]+ warnings/m)
    assert.doesNotMatch(r.stdout, /: E: /)
    const warned = [
      ...new Set([...r.stdout.matchAll(/^xapi-ovn(?:\.x86_64|\.spec): W: (\S+)/gm)].map((m) => m[1])),
    ].sort()

    const readme = readFileSync(join(ROOT, 'rpm', 'README.md'), 'utf8')
    const section = readme.slice(
      readme.indexOf('\n## rpmlint'),
      readme.indexOf('\n## ', readme.indexOf('\n## rpmlint') + 1),
    )
    const rows = (kind: string) =>
      [...section.matchAll(new RegExp(`^\\| ${kind} \\| \`([a-z0-9%-]+)\``, 'gm'))].map((m) => m[1]).sort()
    assert.deepEqual(warned, rows('warning'))
    const filters = [
      ...readFileSync(join(ROOT, 'rpm', 'xapi-ovn.rpmlintrc'), 'utf8').matchAll(
        /^addFilter\("[^"]*: E: ([a-z0-9-]+)/gm,
      ),
    ]
      .map((m) => m[1])
      .sort()
    assert.deepEqual(filters, rows('filtered error'))
  })
})
