/**
 * The outer part of dist/ovn-chassis: it runs the plugin's bundled body through a V8 code cache
 * so that a call skips parsing and compiling ~120 KB of JavaScript (the larger part of the
 * plugin's start-up above a bare `node -e 0`; bench/plugin.ts measures it). build/plugin.mjs
 * bundles main.ts into one string, CODE_CACHE_BODY (a CommonJS-style function expression), and
 * this file around it; the plugin stays one file, and the cache is never required: whatever is
 * wrong with it (missing, for another bundle, Node version or V8, truncated, corrupt, in a
 * directory or file that someone other than us could write, unwritable), the body is compiled
 * from its text as Node would, silently, and the reply is the same.
 *
 * Trust: xapi runs plugins as root, so a cache file is code we would run as root. It is used
 * only when the directory and the file are ours (owner = our uid) and neither is writable by
 * group or others, and the file is a regular file opened without following a link; it is
 * written in such a directory only (created 0700 when missing), through a temporary file renamed
 * over the old one, so a reader never sees half a file.
 *
 * Integrity: V8 checks the cache's V8 version, flags and source length, and on Node 16 (V8 9.x)
 * a checksum of the payload; later V8 builds skip that checksum (a flipped byte is accepted), so
 * the header carries a checksum of our own, checked wherever V8 does not check one.
 * Only node:fs and node:vm are loaded here: both are loaded by Node's own start-up already.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { Script } from 'node:vm'
import { type CodeCacheState, setCodeCacheState } from './code-cache-state.js'

/** The plugin body's source, `(function (exports, require, module, __filename, __dirname) {…})`. */
declare const CODE_CACHE_BODY: string
/** A hash of CODE_CACHE_BODY, computed by build/plugin.mjs. */
declare const CODE_CACHE_BODY_HASH: string

/** Where the cache lives; only tests set this (xapi gives a plugin nothing but PATH). */
const CODE_CACHE_DIR_ENV = 'XAPI_OVN_CODE_CACHE_DIR'
const DEFAULT_CODE_CACHE_DIR = '/var/cache/xapi-ovn'
const MAGIC = 'xapi-ovn-code-cache/1'
/** A cache larger than this is not read (the plugin's is a few hundred KB). */
const MAX_CACHE_BYTES = 16 * 1024 * 1024
const MAX_HEADER_BYTES = 1024
/**
 * The fn names whose run a cache already covers, at most this many: a run of another fn compiles
 * functions the cache lacks, so the cache is written again with those added (a cache made after
 * `status` alone would leave configure's code to be compiled on every call).
 */
const MAX_COVERED = 8
/** V8 9.x (Node 16) verifies a code cache's payload checksum itself (test/integration/plugin-code-cache.test.ts). */
const V8_CHECKS_PAYLOAD = process.versions.v8.startsWith('9.')

interface LoadedCache {
  readonly state: CodeCacheState
  readonly data: Buffer | undefined
  readonly covered: readonly string[]
  /** Whether a cache may be written here after the run. */
  readonly writable: boolean
}

/** FNV-1a over 32-bit words (then the tail bytes): cheap, and any flipped byte changes it. */
function checksum(data: Buffer): string {
  // A word view needs a 4-aligned offset: the payload follows a header of any length.
  const buf = data.byteOffset % 4 === 0 ? data : Buffer.from(new Uint8Array(data))
  const words = buf.length >>> 2
  const view = new Int32Array(buf.buffer, buf.byteOffset, words)
  let h = 0x811c9dc5 | 0
  for (let i = 0; i < words; i++) h = Math.imul(h ^ (view[i] as number), 0x01000193)
  for (let i = words << 2; i < buf.length; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193)
  return (h >>> 0).toString(16)
}

/** The directory is ours alone: a real directory, owned by us, not writable by group or others. */
function trustedDir(dir: string): boolean {
  const st = lstatSync(dir, { throwIfNoEntry: false })
  return st?.isDirectory() === true && st.uid === process.getuid?.() && (st.mode & 0o022) === 0
}

function header(bodyHash: string, covered: readonly string[], payload: Buffer, sum: string): string {
  // One line: magic, bundle, runtime, payload length and checksum, covered fn names.
  return `${MAGIC} ${bodyHash} ${process.version} ${process.arch} ${process.versions.v8} ${payload.length} ${sum} ${covered.join(',')}\n`
}

/** A valid, trusted cache for this body on this Node, or why not (and whether one may be written). */
function loadCache(dir: string, file: string, bodyHash: string): LoadedCache {
  const refuse = (state: CodeCacheState, writable: boolean): LoadedCache => ({
    state,
    data: undefined,
    covered: [],
    writable,
  })
  let fd: number | undefined
  try {
    if (!trustedDir(dir)) {
      const missing = lstatSync(dir, { throwIfNoEntry: false }) === undefined
      return missing ? refuse('missing', true) : refuse('untrusted', false)
    }
    try {
      fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW)
    } catch (err) {
      const code = err instanceof Error && 'code' in err ? err.code : undefined
      // ELOOP: the name is a symbolic link (O_NOFOLLOW); it is replaced on write.
      return refuse(code === 'ENOENT' ? 'missing' : code === 'ELOOP' ? 'untrusted' : 'unreadable', true)
    }
    const st = fstatSync(fd)
    if (!st.isFile() || st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0) return refuse('untrusted', true)
    if (st.size > MAX_CACHE_BYTES || st.size < 2) return refuse('corrupt', true)
    const buf = Buffer.allocUnsafe(st.size)
    let got = 0
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got)
      if (n === 0) break
      got += n
    }
    const nl = buf.indexOf(10)
    if (got !== buf.length || nl < 0 || nl > MAX_HEADER_BYTES) return refuse('corrupt', true)
    const fields = buf.toString('latin1', 0, nl).split(' ')
    const payload = buf.subarray(nl + 1)
    const [magic, hash, version, arch, v8, length, sum, covered] = fields
    if (fields.length !== 8 || magic !== MAGIC) return refuse('corrupt', true)
    const current =
      hash === bodyHash && version === process.version && arch === process.arch && v8 === process.versions.v8
    if (!current) return refuse('stale', true)
    if (length !== String(payload.length) || (!V8_CHECKS_PAYLOAD && sum !== checksum(payload)))
      return refuse('corrupt', true)
    const names = covered === '' || covered === undefined ? [] : covered.split(',')
    return { state: 'used', data: payload, covered: names, writable: true }
  } catch {
    // writeCache checks the directory again before it writes anything.
    return refuse('unreadable', true)
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** Write the cache through a temporary file renamed over the old one; any failure leaves no trace. */
function writeCache(dir: string, file: string, bodyHash: string, script: Script, covered: readonly string[]): void {
  let tmp: string | undefined
  let fd: number | undefined
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    if (!trustedDir(dir)) return
    const payload = script.createCachedData()
    tmp = `${file}.${process.pid}.tmp`
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600)
    const head = Buffer.from(header(bodyHash, covered, payload, checksum(payload)), 'latin1')
    for (const part of [head, payload]) {
      let done = 0
      while (done < part.length) done += writeSync(fd, part, done, part.length - done)
    }
    closeSync(fd)
    fd = undefined
    renameSync(tmp, file)
    tmp = undefined
  } catch {
    // Best effort by design: the next call compiles from text again.
  } finally {
    if (fd !== undefined) closeSync(fd)
    if (tmp !== undefined) {
      try {
        unlinkSync(tmp)
      } catch {}
    }
  }
}

/**
 * The fn of this call, only to name what the cache covers: methodName from argv[1] when it is a
 * plain name (protocol.ts parses the request properly; this never decides anything else).
 */
function calledFn(): string {
  const m = /<methodName>([A-Za-z0-9_.-]{1,64})<\/methodName>/.exec(process.argv[2] ?? '')
  return m?.[1] ?? ''
}

function run(): void {
  const dir = process.env[CODE_CACHE_DIR_ENV] || DEFAULT_CODE_CACHE_DIR
  const file = `${dir}/ovn-chassis-${process.version}-${process.arch}.cache`
  const cache = loadCache(dir, file, CODE_CACHE_BODY_HASH)
  const body = CODE_CACHE_BODY // named once: esbuild would copy the literal into every use
  let script: Script
  try {
    script = new Script(body, { filename: __filename, cachedData: cache.data })
  } catch {
    script = new Script(body, { filename: __filename })
  }
  const fn = calledFn()
  const used = cache.data !== undefined && script.cachedDataRejected !== true
  // V8 refuses data for another source length, V8 version or flags, and on Node 16 a bad checksum.
  setCodeCacheState(used ? 'used' : cache.state === 'used' ? 'stale' : cache.state)
  const covered = used ? cache.covered : []
  if (cache.writable && (!used || (fn !== '' && !covered.includes(fn) && covered.length < MAX_COVERED))) {
    // After the reply (main.ts exits once it is flushed), so that the cache holds every function
    // this call compiled; the process exits (and xapi sees the end of stdout) once it is written.
    process.once('exit', () =>
      writeCache(dir, file, CODE_CACHE_BODY_HASH, script, fn === '' ? covered : [...covered, fn]),
    )
  }
  script.runInThisContext()(exports, require, module, __filename, __dirname)
}

run()
