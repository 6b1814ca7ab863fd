/**
 * Short names that are unique per process, so several test files (each its own process under
 * `node --test`) can build labs at the same time without colliding.
 *
 * Every name starts with the run tag `xo<pid in base 36>` (e.g. `xo1k3z`). Namespaces and temp
 * dirs add `-<kind><n>` (`xo1k3z-h3`), which lets `sweepLeftovers` (cleanup.ts) find the owning
 * pid and leave alone the names of runs that are still alive. Interface names have no dash and
 * are checked against Linux's 15-character limit.
 *
 * @example
 * ```ts
 * import { netnsName, ifaceName, tempDirPrefix, ownerPid } from './names.js'
 * netnsName('h')        // 'xo1k3z-h1'
 * ifaceName('u')        // 'xo1k3zu2'  (<= 15 chars)
 * ownerPid('xo1k3z-h1') // 77207
 * ```
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LabUsageError } from './errors.js'

/** Prefix of everything the lab creates (namespaces, temp dirs, interfaces). */
export const LAB_PREFIX = 'xo'

/** Linux's limit on interface names (IFNAMSIZ - 1). */
export const IFNAME_MAX = 15

/** `xo` + this process's pid in base 36: the part of every name that belongs to this run. */
export const RUN_TAG = `${LAB_PREFIX}${process.pid.toString(36)}`

let counter = 0
function next(): string {
  counter += 1
  return counter.toString(36)
}

function checkKind(kind: string): void {
  if (!/^[a-z]{1,3}$/.test(kind))
    throw new LabUsageError(`name kind must be 1-3 lowercase letters, got ${JSON.stringify(kind)}`)
}

/** A fresh network namespace name, `<RUN_TAG>-<kind><n>`. */
export function netnsName(kind: string): string {
  checkKind(kind)
  return `${RUN_TAG}-${kind}${next()}`
}

/** A fresh interface name, `<RUN_TAG><kind><n>`, at most 15 characters. */
export function ifaceName(kind: string): string {
  checkKind(kind)
  const name = `${RUN_TAG}${kind}${next()}`
  if (name.length > IFNAME_MAX)
    throw new LabUsageError(`interface name ${name} is longer than ${IFNAME_MAX} characters`)
  return name
}

/** Throw unless `name` is a valid Linux interface name. */
export function assertIfaceName(name: string): string {
  if (name.length === 0 || name.length > IFNAME_MAX || /[\s/:]/.test(name)) {
    throw new LabUsageError(
      `invalid interface name ${JSON.stringify(name)} (1-${IFNAME_MAX} chars, no space, '/' or ':')`,
    )
  }
  return name
}

/** Prefix for `fs.mkdtemp`: `<tmpdir>/<RUN_TAG>-<kind><n>-`. Kept short: unix socket paths live there. */
export function tempDirPrefix(kind: string): string {
  checkKind(kind)
  return join(tmpdir(), `${RUN_TAG}-${kind}${next()}-`)
}

/**
 * The pid of the process that created a lab name (`xo1k3z-h1` -> 77207), or undefined when the
 * name does not have the shape `<prefix><base36 pid>-...`.
 */
export function ownerPid(name: string, prefix: string = LAB_PREFIX): number | undefined {
  if (!name.startsWith(prefix)) return undefined
  const match = /^([0-9a-z]+)-/.exec(name.slice(prefix.length))
  if (match === null) return undefined
  const pid = Number.parseInt(match[1] as string, 36)
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
}

/** A random RFC 4122 UUID (host, network, VM and VIF uuids). */
export function newUuid(): string {
  return randomUUID()
}

/** A random locally administered unicast MAC (`02:xx:xx:xx:xx:xx`). */
export function newMac(): string {
  const bytes = randomBytes(5)
  return ['02', ...Array.from(bytes, (b) => b.toString(16).padStart(2, '0'))].join(':')
}
