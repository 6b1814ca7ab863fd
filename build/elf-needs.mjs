// What an ELF file asks of the dynamic loader, read from its section headers: the libraries of its
// dynamic section (DT_NEEDED) and the symbol versions of its version-needed section
// (SHT_GNU_verneed, `.gnu.version_r`), what `readelf -d -V` prints. Layouts: the System V gABI
// (ELF header, section header, Elf32_Dyn / Elf64_Dyn) and GNU symbol versioning (glibc
// `elf/elf.h`: Elf64_Verneed, Elf64_Vernaux, the same size in both classes).
//
// build/rpm.mjs refuses a runtime that needs more than dom0 has; test/integration/rpm-elf.test.ts
// reads every ELF file of the built RPM with it.

const SHT_DYNAMIC = 6
const SHT_GNU_VERNEED = 0x6ffffffe
const DT_NULL = 0
const DT_NEEDED = 1
export const EM_X86_64 = 62

// XCP-ng 8.3's dom0 is CentOS 7 (xcp-ng/xcp-ng-build-env Dockerfile-8.x: FROM centos:7.5.1804):
// glibc 2.17 and gcc 4.8.5's libstdc++ and libgcc_s. GCC 4.8.3 and later 4.8 releases define
// GLIBCXX_3.4.19 and CXXABI_1.3.7 (gcc libstdc++-v3/doc/xml/manual/abi.xml); libgcc_s's newest
// version node in gcc 4.8 is GCC_4.8.0 (__cpu_indicator_init). GLIBC_PRIVATE and anything else
// unversioned by these rules is refused: it ties a binary to one exact build of the library.
export const EL7_LIMITS = Object.freeze({ GLIBC: '2.17', GLIBCXX: '3.4.19', CXXABI: '1.3.7', GCC: '4.8.0' })

// The shared libraries a self-contained runtime may need on dom0: glibc's (package glibc) and the
// compiler's C++ runtime (libstdc++, libgcc, there for C++ programs such as gdisk's sgdisk,
// xcp-ng-rpms/gdisk). Anything else (libssl, libz, libuv...) the runtime must carry inside.
export const EL7_LIBRARIES = Object.freeze([
  'ld-linux-x86-64.so.2',
  'libc.so.6',
  'libdl.so.2',
  'libm.so.6',
  'libpthread.so.0',
  'librt.so.1',
  'libstdc++.so.6',
  'libgcc_s.so.1',
])

/** @param {Uint8Array} bytes */
export function isElf(bytes) {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46
}

/**
 * @param {Buffer} buf the whole file
 * @param {string} what the file's name, for errors
 */
export function readElfNeeds(buf, what) {
  if (!isElf(buf)) throw new Error(`${what} is not an ELF file`)
  const cls = buf[4]
  const data = buf[5]
  if (cls !== 1 && cls !== 2) throw new Error(`${what}: unknown ELF class ${cls}`)
  if (data !== 1 && data !== 2) throw new Error(`${what}: unknown ELF data encoding ${data}`)
  const is64 = cls === 2
  const le = data === 1
  const at = (off, size) => {
    if (!Number.isSafeInteger(off) || off < 0 || off + size > buf.length)
      throw new Error(`${what}: truncated or corrupt ELF (offset ${off} beyond ${buf.length} bytes)`)
    return off
  }
  const u16 = (off) => (le ? buf.readUInt16LE(at(off, 2)) : buf.readUInt16BE(at(off, 2)))
  const u32 = (off) => (le ? buf.readUInt32LE(at(off, 4)) : buf.readUInt32BE(at(off, 4)))
  const word = (off) =>
    is64 ? Number(le ? buf.readBigUInt64LE(at(off, 8)) : buf.readBigUInt64BE(at(off, 8))) : u32(off)
  const sword = (off) =>
    is64 ? Number(le ? buf.readBigInt64LE(at(off, 8)) : buf.readBigInt64BE(at(off, 8))) : u32(off) | 0

  const machine = u16(0x12)
  const shoff = word(is64 ? 0x28 : 0x20)
  const shentsize = u16(is64 ? 0x3a : 0x2e)
  const section = (i) => {
    const b = shoff + i * shentsize
    return {
      type: u32(b + 4),
      offset: word(b + (is64 ? 0x18 : 0x10)),
      size: word(b + (is64 ? 0x20 : 0x14)),
      link: u32(b + (is64 ? 0x28 : 0x18)),
      info: u32(b + (is64 ? 0x2c : 0x1c)),
    }
  }
  // e_shnum 0 with section headers present: the count is in section 0's sh_size (gABI).
  let shnum = u16(is64 ? 0x3c : 0x30)
  if (shnum === 0 && shoff !== 0) shnum = section(0).size
  if (shoff === 0 || shnum === 0) throw new Error(`${what}: no section headers to read`)
  const sections = Array.from({ length: shnum }, (_, i) => section(i))
  const string = (strtabIndex, off) => {
    const tab = sections[strtabIndex]
    if (tab === undefined || off >= tab.size) throw new Error(`${what}: string ${off} outside its string table`)
    const start = at(tab.offset + off, 1)
    const end = buf.indexOf(0, start)
    if (end < 0 || end > tab.offset + tab.size) throw new Error(`${what}: unterminated string at ${start}`)
    return buf.toString('latin1', start, end)
  }

  const needed = []
  const versions = []
  for (const s of sections) {
    if (s.type === SHT_DYNAMIC) {
      const entsize = is64 ? 16 : 8
      for (let off = s.offset; off + entsize <= s.offset + s.size; off += entsize) {
        const tag = sword(off)
        if (tag === DT_NULL) break
        if (tag === DT_NEEDED) needed.push(string(s.link, word(off + entsize / 2)))
      }
    } else if (s.type === SHT_GNU_VERNEED) {
      // sh_info is the number of Verneed entries; each chains its Vernaux entries.
      let vn = s.offset
      for (let i = 0; i < s.info; i++) {
        const cnt = u16(vn + 2)
        const file = string(s.link, u32(vn + 4))
        let aux = vn + u32(vn + 8)
        for (let j = 0; j < cnt; j++) {
          versions.push({ file, name: string(s.link, u32(aux + 8)) })
          const next = u32(aux + 12)
          if (next === 0) break
          aux += next
        }
        const next = u32(vn + 12)
        if (next === 0) break
        vn += next
      }
    }
  }
  return { class: is64 ? 64 : 32, machine, needed, versions }
}

/** @param {string} a @param {string} b dotted numbers */
function compareDotted(a, b) {
  const x = a.split('.').map(Number)
  const y = b.split('.').map(Number)
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

/**
 * What of `needs` dom0 (CentOS 7) cannot give, one line each; empty when it can run there.
 * @param {{ needed: string[], versions: { file: string, name: string }[] }} needs
 */
export function unmetOnEl7(needs, limits = EL7_LIMITS, libraries = EL7_LIBRARIES) {
  const unmet = []
  for (const lib of needs.needed)
    if (!libraries.includes(lib)) unmet.push(`${lib} (not a library of dom0's base system)`)
  for (const { file, name } of needs.versions) {
    const m = /^([A-Z]+)_([0-9]+(?:\.[0-9]+)*)$/.exec(name)
    const limit = m === null ? undefined : limits[m[1]]
    if (m === null || limit === undefined)
      unmet.push(`${file} ${name} (not a version dom0's libraries are known to have)`)
    else if (compareDotted(m[2], limit) > 0) unmet.push(`${file} ${name} (newer than ${m[1]}_${limit})`)
  }
  return [...new Set(unmet)]
}
