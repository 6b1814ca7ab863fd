/**
 * The ovn-chassis plugin answers each function with a JSON string (the XAPI Success Value).
 * Parse and check it here, field by field, into the same types the plugin builds them from
 * (lib/chassis). A reply of another shape is PluginReplyError (OVN_PLUGIN_REPLY_INVALID
 * [host, fn, reason]): usually a plugin of another version. Pure.
 */
import type { PortKind } from '../chassis/model.js'
import {
  SERVICE_ACTIONS,
  type ChassisBridge,
  type ChassisChange,
  type ChassisPort,
  type ChassisRepair,
  type ChassisStatus,
  type ChassisVerify,
  type ServiceState,
} from '../chassis/replies.js'
import type { Check, CheckStatus } from '../chassis/verify.js'
import { PluginReplyError } from './errors.js'
import { field, isBoolean, isFiniteNumber, isOneOf, isRecord, isString } from '../shape.js'

export const PLUGIN = 'ovn-chassis'

export type { ChassisBridge, ChassisChange, ChassisPort, ChassisRepair, ChassisStatus, ChassisVerify, ServiceState }

const PORT_KINDS: readonly PortKind[] = ['local', 'vif', 'tap', 'ovn-patch', 'ovn-tunnel', 'other']
const CHECK_STATUSES: readonly CheckStatus[] = ['pass', 'warn', 'fail']

type Obj = Readonly<Record<string, unknown>>

class Reply {
  constructor(
    readonly host: string,
    readonly fn: string,
  ) {}

  fail(path: string, reason: string): never {
    throw new PluginReplyError(this.host, this.fn, `${path} ${reason}`)
  }

  object(v: unknown, path: string): Obj {
    if (!isRecord(v)) this.fail(path, 'is not an object')
    return v
  }

  string(o: Obj, key: string, path: string): string {
    return field(o, key, isString, () => this.fail(`${path}.${key}`, 'is not a string'))
  }

  nullableString(o: Obj, key: string, path: string): string | null {
    const v = o[key]
    if (v === null) return null
    if (typeof v !== 'string') this.fail(`${path}.${key}`, 'is not a string or null')
    return v
  }

  bool(o: Obj, key: string, path: string): boolean {
    return field(o, key, isBoolean, () => this.fail(`${path}.${key}`, 'is not a boolean'))
  }

  number(o: Obj, key: string, path: string): number {
    return field(o, key, isFiniteNumber, () => this.fail(`${path}.${key}`, 'is not a number'))
  }

  array(o: Obj, key: string, path: string): readonly unknown[] {
    return field(o, key, Array.isArray, () => this.fail(`${path}.${key}`, 'is not a list'))
  }

  /** A string that must be one of `values`. */
  oneOf<T extends string>(o: Obj, key: string, path: string, values: readonly T[]): T {
    const v = this.string(o, key, path)
    if (!isOneOf(values, v)) this.fail(`${path}.${key}`, `is ${JSON.stringify(v)}`)
    return v
  }

  strings(o: Obj, key: string, path: string): string[] {
    return this.array(o, key, path).map((x, i) => {
      if (typeof x !== 'string') this.fail(`${path}.${key}[${i}]`, 'is not a string')
      return x
    })
  }

  stringMap(o: Obj, key: string, path: string, nullable: boolean): Record<string, string | null> {
    const m = this.object(o[key], `${path}.${key}`)
    const out: Record<string, string | null> = {}
    for (const [k, v] of Object.entries(m)) {
      if (typeof v === 'string' || (nullable && v === null)) out[k] = v
      else this.fail(`${path}.${key}.${k}`, nullable ? 'is not a string or null' : 'is not a string')
    }
    return out
  }
}

function parseJson(r: Reply, text: unknown): unknown {
  if (typeof text !== 'string') r.fail('the reply', 'is not a string')
  try {
    return JSON.parse(text)
  } catch {
    return r.fail('the reply', `is not JSON: ${text.slice(0, 120)}`)
  }
}

/** configure / unconfigure */
export function parseChassisChange(host: string, fn: string, text: unknown): ChassisChange {
  const r = new Reply(host, fn)
  const o = r.object(parseJson(r, text), 'the reply')
  const changes = r.array(o, 'changes', 'reply').map((c, i) => {
    const co = r.object(c, `reply.changes[${i}]`)
    return {
      key: r.string(co, 'key', `changes[${i}]`),
      from: r.nullableString(co, 'from', `changes[${i}]`),
      to: r.nullableString(co, 'to', `changes[${i}]`),
    }
  })
  return {
    changed: r.bool(o, 'changed', 'reply'),
    dryRun: r.bool(o, 'dryRun', 'reply'),
    before: r.stringMap(o, 'before', 'reply', true),
    after: r.stringMap(o, 'after', 'reply', true),
    changes,
  }
}

/** verify */
export function parseChassisVerify(host: string, text: unknown): ChassisVerify {
  const r = new Reply(host, 'verify')
  const o = r.object(parseJson(r, text), 'the reply')
  const checks = r.array(o, 'checks', 'reply').map((c, i): Check => {
    const path = `checks[${i}]`
    const co = r.object(c, path)
    const status = r.oneOf(co, 'status', path, CHECK_STATUSES)
    return {
      id: r.string(co, 'id', path),
      status,
      message: r.string(co, 'message', path),
      hint: r.nullableString(co, 'hint', path),
    }
  })
  return {
    ok: r.bool(o, 'ok', 'reply'),
    checks,
    hostUuid: r.string(o, 'hostUuid', 'reply'),
    waited: r.number(o, 'waited', 'reply'),
  }
}

/** status */
export function parseChassisStatus(host: string, text: unknown): ChassisStatus {
  const r = new Reply(host, 'status')
  const o = r.object(parseJson(r, text), 'the reply')
  let bridge: ChassisBridge | null = null
  if (o.bridge !== null) {
    const b = r.object(o.bridge, 'reply.bridge')
    bridge = {
      name: r.string(b, 'name', 'bridge'),
      exists: r.bool(b, 'exists', 'bridge'),
      networkUuids: r.strings(b, 'networkUuids', 'bridge'),
      bridgeId: r.nullableString(b, 'bridgeId', 'bridge'),
      failMode: r.nullableString(b, 'failMode', 'bridge'),
      datapathType: r.nullableString(b, 'datapathType', 'bridge'),
    }
  }
  const ports = r.array(o, 'ports', 'reply').map((x, i): ChassisPort => {
    const path = `ports[${i}]`
    const po = r.object(x, path)
    const kind = r.oneOf(po, 'kind', path, PORT_KINDS)
    return {
      name: r.string(po, 'name', path),
      kind,
      type: r.string(po, 'type', path),
      ifaceId: r.nullableString(po, 'ifaceId', path),
      vifUuid: r.nullableString(po, 'vifUuid', path),
      vmUuid: r.nullableString(po, 'vmUuid', path),
      mac: r.nullableString(po, 'mac', path),
      ifaceStatus: r.nullableString(po, 'ifaceStatus', path),
      ovnInstalled: r.bool(po, 'ovnInstalled', path),
    }
  })
  const c = r.object(o.controller, 'reply.controller')
  const pid = field(
    c,
    'pid',
    (v): v is number | null => v === null || Number.isInteger(v),
    () => r.fail('controller.pid', 'is not an integer or null'),
  )
  const keys: Record<string, string> = {}
  for (const [k, v] of Object.entries(r.stringMap(o, 'keys', 'reply', false))) if (v !== null) keys[k] = v
  return {
    hostUuid: r.string(o, 'hostUuid', 'reply'),
    systemId: r.nullableString(o, 'systemId', 'reply'),
    configured: r.bool(o, 'configured', 'reply'),
    keys,
    owned: r.strings(o, 'owned', 'reply'),
    addresses: r.strings(o, 'addresses', 'reply'),
    bridge,
    ports,
    controller: {
      running: r.bool(c, 'running', 'controller'),
      pid,
      connection: r.nullableString(c, 'connection', 'controller'),
      error: r.nullableString(c, 'error', 'controller'),
    },
  }
}

/** repair */
export function parseChassisRepair(host: string, text: unknown): ChassisRepair {
  const r = new Reply(host, 'repair')
  const o = r.object(parseJson(r, text), 'the reply')
  const removed = r.array(o, 'removed', 'reply').map((x, i) => {
    const path = `removed[${i}]`
    const bo = r.object(x, path)
    return { name: r.string(bo, 'name', path), ports: r.strings(bo, 'ports', path) }
  })
  return {
    changed: r.bool(o, 'changed', 'reply'),
    dryRun: r.bool(o, 'dryRun', 'reply'),
    removed,
    left: r.strings(o, 'left', 'reply'),
  }
}

/** service */
export function parseServiceState(host: string, text: unknown): ServiceState {
  const r = new Reply(host, 'service')
  const o = r.object(parseJson(r, text), 'the reply')
  const mainPid = field(
    o,
    'mainPid',
    (v): v is number | null => v === null || (Number.isInteger(v) && typeof v === 'number' && v > 0),
    () => r.fail('reply.mainPid', 'is not a positive integer or null'),
  )
  return {
    action: r.oneOf(o, 'action', 'reply', SERVICE_ACTIONS),
    unit: r.string(o, 'unit', 'reply'),
    active: r.bool(o, 'active', 'reply'),
    enabled: r.bool(o, 'enabled', 'reply'),
    loaded: r.bool(o, 'loaded', 'reply'),
    activeState: r.string(o, 'activeState', 'reply'),
    subState: r.string(o, 'subState', 'reply'),
    loadState: r.string(o, 'loadState', 'reply'),
    unitFileState: r.string(o, 'unitFileState', 'reply'),
    mainPid,
    since: r.nullableString(o, 'since', 'reply'),
    result: r.string(o, 'result', 'reply'),
    dropIns: r.strings(o, 'dropIns', 'reply'),
    bootWait: r.bool(o, 'bootWait', 'reply'),
  }
}
