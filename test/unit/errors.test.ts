/**
 * Every error class of the code base, checked from ONE table (undici's test/errors.js): each is a
 * XapiOvnError with its stable OVN_* code, its own name, string params and a message, and its
 * code is in README's error table.
 *
 * The classes are not listed by hand: the error modules are every `errors.ts` under lib/, plugin/
 * and host-agent/, plus any other shipped file that declares a class extending an error class
 * (plugin/functions/service.ts), found from the sources; each module's exports are walked for
 * subclasses of XapiOvnError. So the test holds wherever a class lives (lib/errors.ts or the
 * per-domain lib/pool, lib/attach, lib/chassis errors modules), and a class added without a row
 * in SAMPLES fails "the table has a row for every error class".
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { XapiOvnError } from '../../lib/errors.js'
import { NB_ERROR_CODES } from '../../lib/nb/errors.js'

const BUILD = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const ROOT = join(BUILD, '..')
const SHIPPED = ['lib', 'plugin', 'host-agent']

type ErrorClass = new (...args: readonly unknown[]) => XapiOvnError

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : []
  })
}

/** Source files (relative to ROOT) that may export error classes, and the error class names they declare. */
function errorModulesFromSources(): { modules: string[]; declared: Set<string> } {
  const files = SHIPPED.flatMap((top) => sources(join(ROOT, top)))
  const pairs = files.flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/\bclass\s+(\w+)\s+extends\s+(\w+)/g)].map((m) => ({
      file,
      child: m[1] ?? '',
      parent: m[2] ?? '',
    })),
  )
  // `tagged(...)` (lib/ovsdb/errors.ts) makes OvsdbError subclasses.
  const declared = new Set(['XapiOvnError', 'tagged'])
  const modules = new Set(files.filter((f) => f.endsWith('/errors.ts')))
  for (let grew = true; grew; ) {
    grew = false
    for (const { file, child, parent } of pairs) {
      if (declared.has(parent) && !declared.has(child)) {
        declared.add(child)
        modules.add(file)
        grew = true
      }
    }
  }
  declared.delete('XapiOvnError')
  declared.delete('tagged')
  return { modules: [...modules].map((f) => relative(ROOT, f)).sort(), declared }
}

const { modules: MODULES, declared: DECLARED } = errorModulesFromSources()

/** Every exported subclass of XapiOvnError, by class name, with the modules exporting it. */
const CLASSES = new Map<string, ErrorClass>()
const EXPORTED_BY = new Map<string, string[]>()
for (const rel of MODULES) {
  const mod = (await import(pathToFileURL(join(BUILD, rel.replace(/\.ts$/, '.js'))).href)) as Record<string, unknown>
  for (const [exportName, value] of Object.entries(mod)) {
    if (typeof value !== 'function' || !(value.prototype instanceof XapiOvnError)) continue
    const cls = value as ErrorClass
    assert.equal(exportName, cls.name, `${rel} exports ${cls.name} as ${exportName}`)
    const seen = CLASSES.get(cls.name)
    assert.ok(seen === undefined || seen === cls, `two different error classes are named ${cls.name}`)
    CLASSES.set(cls.name, cls)
    EXPORTED_BY.set(cls.name, [...(EXPORTED_BY.get(cls.name) ?? []), rel])
  }
}

function cls(name: string): ErrorClass {
  return CLASSES.get(name) ?? assert.fail(`no error module exports ${name}`)
}

interface Sample {
  /** Constructor arguments; a function when they need another error class. */
  readonly args: readonly unknown[] | (() => readonly unknown[])
  readonly code: string
  readonly params: readonly string[]
}

/** One of the classes made by lib/ovsdb/errors.ts `tagged()`: one per ovsdb-server error string. */
function wire(error: string, code: string): Sample {
  return { args: ['d'], code, params: [error, 'd'] }
}

const UUID = '11111111-1111-4111-8111-111111111111'

/** One sample per error class, keyed by class name. */
const SAMPLES: Record<string, Sample> = {
  // arguments and requests
  InvalidArgumentError: { args: ['k', 'v', 'why'], code: 'OVN_INVALID_ARGUMENT', params: ['k', 'v', 'why'] },
  UnknownArgumentError: { args: ['k'], code: 'OVN_UNKNOWN_ARGUMENT', params: ['k'] },
  MissingArgumentError: { args: ['k'], code: 'OVN_MISSING_ARGUMENT', params: ['k'] },
  InvalidRequestError: { args: ['why'], code: 'OVN_INVALID_REQUEST', params: ['why'] },
  // the chassis
  BridgeMissingError: { args: ['xapi1'], code: 'OVN_BRIDGE_MISSING', params: ['xapi1'] },
  BridgeNotXapiError: { args: ['xapi1', 'why'], code: 'OVN_BRIDGE_NOT_XAPI', params: ['xapi1', 'why'] },
  SystemIdMismatchError: { args: ['a', 'b'], code: 'OVN_SYSTEM_ID_MISMATCH', params: ['a', 'b'] },
  InventoryError: { args: ['/p', 'why'], code: 'OVN_INVENTORY_UNREADABLE', params: ['/p', 'why'] },
  OvsdbUnavailableError: { args: ['unix:/x', 'why'], code: 'OVN_OVSDB_UNAVAILABLE', params: ['unix:/x', 'why'] },
  ConcurrentChangeError: { args: ['why'], code: 'OVN_CONCURRENT_CHANGE', params: ['why'] },
  BusyError: { args: ['chassis'], code: 'OVN_BUSY', params: ['chassis'] },
  TimeoutError: { args: ['x', 5], code: 'OVN_TIMEOUT', params: ['x', '5'] },
  PersistedConfigError: {
    args: ['/etc/xapi-ovn/chassis.json', 'why'],
    code: 'OVN_PERSISTED_CONFIG_INVALID',
    params: ['/etc/xapi-ovn/chassis.json', 'why'],
  },
  StateCorruptError: { args: ['why'], code: 'OVN_STATE_CORRUPT', params: ['why'] },
  InternalError: { args: ['why'], code: 'OVN_INTERNAL', params: ['why'] },
  // SSL
  SslKeyRefusedError: { args: ['ovn-ssl-key'], code: 'OVN_SSL_KEY_REFUSED', params: ['ovn-ssl-key'] },
  OpensslMissingError: { args: ['openssl', '/bin'], code: 'OVN_OPENSSL_MISSING', params: ['openssl', '/bin'] },
  OpensslFailedError: { args: ['openssl req', 'why'], code: 'OVN_OPENSSL_FAILED', params: ['openssl req', 'why'] },
  ControllerRunningError: {
    args: ['host1', '00000000-0000-4000-8000-000000000001', '2412'],
    code: 'OVN_CONTROLLER_RUNNING',
    params: ['host1', '00000000-0000-4000-8000-000000000001', '2412'],
  },
  GraphvizMissingError: { args: ['dot'], code: 'OVN_GRAPHVIZ_MISSING', params: ['dot'] },
  GraphvizFailedError: {
    args: ['dot', 'exit status 1', 'syntax error'],
    code: 'OVN_GRAPHVIZ_FAILED',
    params: ['dot', 'exit status 1', 'syntax error'],
  },
  SslCertificateMissingError: {
    args: ['00000000-0000-4000-8000-000000000000', '/d/x.pem'],
    code: 'OVN_SSL_CERT_MISSING',
    params: ['00000000-0000-4000-8000-000000000000', '/d/x.pem'],
  },
  SslMaterialError: {
    args: ['/etc/ovn/key.pem', 'why'],
    code: 'OVN_SSL_MATERIAL',
    params: ['/etc/ovn/key.pem', 'why'],
  },
  // the pool driver
  NoTransportPifError: { args: ['h1', 'eth1', 'why'], code: 'OVN_NO_TRANSPORT_PIF', params: ['h1', 'eth1', 'why'] },
  XapiRecordError: {
    args: ['PIF', 'OpaqueRef:1', 'MTU', 'is not a number'],
    code: 'OVN_XAPI_RECORD_INVALID',
    params: ['PIF', 'OpaqueRef:1', 'MTU', 'is not a number'],
  },
  XapiUnreachableError: {
    args: ['https://pool', 'ECONNREFUSED'],
    code: 'OVN_XAPI_UNREACHABLE',
    params: ['https://pool', 'ECONNREFUSED'],
  },
  XapiCertificateError: {
    args: ['https://pool', 'self-signed'],
    code: 'OVN_XAPI_CERTIFICATE',
    params: ['https://pool', 'self-signed'],
  },
  XapiAuthError: { args: ['https://pool', 'root'], code: 'OVN_XAPI_AUTH_FAILED', params: ['https://pool', 'root'] },
  XapiCallError: {
    args: ['VM.get_record', 'HANDLE_INVALID', ['VM', 'OpaqueRef:x']],
    code: 'OVN_XAPI_CALL_FAILED',
    params: ['VM.get_record', 'HANDLE_INVALID', 'VM', 'OpaqueRef:x'],
  },
  OvnNetworkError: { args: ['net1', 'why'], code: 'OVN_NETWORK_UNUSABLE', params: ['net1', 'why'] },
  PluginReplyError: {
    args: ['h1', 'configure', 'why'],
    code: 'OVN_PLUGIN_REPLY_INVALID',
    params: ['h1', 'configure', 'why'],
  },
  // agent
  AgentNoSwitchError: { args: [UUID], code: 'OVN_AGENT_NO_SWITCH', params: [UUID] },
  AgentSwitchMissingError: {
    args: [UUID, 'tenant-a', 'does not exist'],
    code: 'OVN_AGENT_SWITCH_MISSING',
    params: [UUID, 'tenant-a', 'does not exist'],
  },
  AgentVifInvalidError: {
    args: [UUID, 'MAC', 'zz', 'is not a MAC'],
    code: 'OVN_AGENT_VIF_INVALID',
    params: [UUID, 'MAC', 'zz', 'is not a MAC'],
  },
  AgentDuplicateAddressError: {
    args: [UUID, '198.18.0.1', 'p2'],
    code: 'OVN_AGENT_DUPLICATE_ADDRESS',
    params: [UUID, '198.18.0.1', 'p2'],
  },
  AgentPortForeignError: {
    args: [UUID, 'is a router port'],
    code: 'OVN_AGENT_PORT_FOREIGN',
    params: [UUID, 'is a router port'],
  },
  AgentVifLockedWarning: { args: [UUID], code: 'OVN_AGENT_VIF_LOCKED', params: [UUID] },
  AgentSecurityGroupMissingError: { args: [UUID, 'web'], code: 'OVN_AGENT_SG_MISSING', params: [UUID, 'web'] },
  AgentUnreachableError: {
    args: ['http://127.0.0.1:9477/healthz', 'it does not answer'],
    code: 'OVN_AGENT_UNREACHABLE',
    params: ['http://127.0.0.1:9477/healthz', 'it does not answer'],
  },
  // attach
  VmNotFoundError: { args: ['web1'], code: 'OVN_VM_NOT_FOUND', params: ['web1'] },
  VmAmbiguousError: { args: ['web', 2], code: 'OVN_VM_AMBIGUOUS', params: ['web', '2'] },
  VifNotFoundError: { args: [UUID], code: 'OVN_VIF_NOT_FOUND', params: [UUID] },
  PortLiveError: {
    args: [UUID, '02:00:00:00:00:01 198.18.0.1', '02:00:00:00:00:01 198.18.0.2'],
    code: 'OVN_PORT_LIVE',
    params: [UUID, '02:00:00:00:00:01 198.18.0.1', '02:00:00:00:00:01 198.18.0.2'],
  },
  AttachInDoubtError: { args: ['connection reset'], code: 'OVN_ATTACH_IN_DOUBT', params: ['connection reset'] },
  VifConflictError: {
    args: ['web1', 'device 0', 'on another network'],
    code: 'OVN_VIF_CONFLICT',
    params: ['web1', 'device 0', 'on another network'],
  },
  // northbound
  NbSwitchMissingError: { args: ['tenant-a'], code: 'OVN_NB_SWITCH_MISSING', params: ['tenant-a'] },
  NbSwitchAmbiguousError: { args: ['dup', 2], code: 'OVN_NB_SWITCH_AMBIGUOUS', params: ['dup', '2'] },
  NbSwitchNotEmptyError: { args: ['tenant-a', 3], code: 'OVN_NB_SWITCH_NOT_EMPTY', params: ['tenant-a', '3'] },
  NbPortConflictError: {
    args: ['p', 'tenant-b', 'it is on another logical switch'],
    code: 'OVN_NB_PORT_CONFLICT',
    params: ['p', 'tenant-b', 'it is on another logical switch'],
  },
  NbSwitchNoSubnetError: { args: ['plain'], code: 'OVN_NB_SWITCH_NO_SUBNET', params: ['plain'] },
  NbLocalnetLoopError: {
    args: ['physnet-mgmt', null, 'provnet-mgmt', 'provider'],
    code: 'OVN_NB_LOCALNET_LOOP',
    params: ['physnet-mgmt', 'untagged', 'provnet-mgmt', 'provider'],
  },
  NbPortMissingError: { args: ['ln'], code: 'OVN_NB_PORT_MISSING', params: ['ln'] },
  NbAddressConflictError: {
    args: ['198.18.10.5', 'tenant-a', 'port p already has it'],
    code: 'OVN_NB_ADDRESS_CONFLICT',
    params: ['198.18.10.5', 'tenant-a', 'port p already has it'],
  },
  NbSgMissingError: { args: ['web'], code: 'OVN_NB_SG_MISSING', params: ['web'] },
  NbSgForeignError: {
    args: ['xapi_ovn_sg_web', 'exists without external_ids'],
    code: 'OVN_NB_SG_FOREIGN',
    params: ['xapi_ovn_sg_web', 'exists without external_ids'],
  },
  NbSgInUseError: {
    args: ['web', '2 port(s) are in it'],
    code: 'OVN_NB_SG_IN_USE',
    params: ['web', '2 port(s) are in it'],
  },
  NbSgRuleMissingError: {
    args: ['web', 'ingress ip4 tcp 22-22 from any'],
    code: 'OVN_NB_SG_RULE_MISSING',
    params: ['web', 'ingress ip4 tcp 22-22 from any'],
  },
  // routers, SNAT and floating IPs (lib/nb/routers.ts)
  NbRouterMissingError: { args: ['r1'], code: 'OVN_NB_ROUTER_MISSING', params: ['r1'] },
  NbRouterAmbiguousError: { args: ['r1', 2], code: 'OVN_NB_ROUTER_AMBIGUOUS', params: ['r1', '2'] },
  NbRouterForeignError: { args: ['neutron-r'], code: 'OVN_NB_ROUTER_FOREIGN', params: ['neutron-r'] },
  NbRouterAttachedError: {
    args: ['tenant-a', 'r2', 'attached to r1'],
    code: 'OVN_NB_ROUTER_ATTACHED',
    params: ['tenant-a', 'r2', 'attached to r1'],
  },
  NbRouterNotEmptyError: { args: ['r1', 'a gateway'], code: 'OVN_NB_ROUTER_NOT_EMPTY', params: ['r1', 'a gateway'] },
  NbRouterNoGatewayError: {
    args: [UUID, 'no gateway'],
    code: 'OVN_NB_ROUTER_NO_GATEWAY',
    params: [UUID, 'no gateway'],
  },
  NbNotProviderError: { args: ['tenant-a'], code: 'OVN_NB_NOT_PROVIDER', params: ['tenant-a'] },
  NbFipConflictError: { args: ['198.18.0.50', 'used'], code: 'OVN_NB_FIP_CONFLICT', params: ['198.18.0.50', 'used'] },
  // the host plugin's fn=service
  SystemdUnavailableError: { args: ['why'], code: 'OVN_SYSTEMD_UNAVAILABLE', params: ['why'] },
  ServiceActionError: {
    args: ['restart', 'ovn-controller.service', 'why'],
    code: 'OVN_SERVICE_FAILED',
    params: ['restart', 'ovn-controller.service', 'why'],
  },
  // the OVSDB client: what the server reports (an unknown error string is a plain OvsdbError) ...
  OvsdbError: {
    args: ['brand new error', 'd'],
    code: 'OVN_OVSDB_ERROR',
    params: ['brand new error', 'd'],
  },
  OvsdbReferentialIntegrityViolationError: wire(
    'referential integrity violation',
    'OVN_OVSDB_REFERENTIAL_INTEGRITY_VIOLATION',
  ),
  OvsdbConstraintViolationError: wire('constraint violation', 'OVN_OVSDB_CONSTRAINT_VIOLATION'),
  OvsdbResourcesExhaustedError: wire('resources exhausted', 'OVN_OVSDB_RESOURCES_EXHAUSTED'),
  OvsdbIoError: wire('I/O error', 'OVN_OVSDB_IO_ERROR'),
  OvsdbDuplicateUuidNameError: wire('duplicate uuid-name', 'OVN_OVSDB_DUPLICATE_UUID_NAME'),
  OvsdbDomainError: wire('domain error', 'OVN_OVSDB_DOMAIN_ERROR'),
  OvsdbRangeError: wire('range error', 'OVN_OVSDB_RANGE_ERROR'),
  OvsdbTimedOutError: wire('timed out', 'OVN_OVSDB_TIMED_OUT'),
  OvsdbNotSupportedError: wire('not supported', 'OVN_OVSDB_NOT_SUPPORTED'),
  OvsdbAbortedError: wire('aborted', 'OVN_OVSDB_ABORTED'),
  OvsdbNotOwnerError: wire('not owner', 'OVN_OVSDB_NOT_OWNER'),
  OvsdbUnknownDatabaseError: wire('unknown database', 'OVN_OVSDB_UNKNOWN_DATABASE'),
  OvsdbCanceledError: wire('canceled', 'OVN_OVSDB_CANCELED'),
  OvsdbSyntaxError: wire('syntax error', 'OVN_OVSDB_SYNTAX_ERROR'),
  OvsdbUnknownMethodError: wire('unknown method', 'OVN_OVSDB_UNKNOWN_METHOD'),
  OvsdbNotAllowedError: wire('not allowed', 'OVN_OVSDB_NOT_ALLOWED'),
  OvsdbPermissionError: wire('permission error', 'OVN_OVSDB_PERMISSION_ERROR'),
  OvsdbInternalError: wire('internal error', 'OVN_OVSDB_INTERNAL_ERROR'),
  OvsdbDuplicateUuidError: wire('duplicate uuid', 'OVN_OVSDB_DUPLICATE_UUID'),
  OvsdbConsistencyViolationError: wire('consistency violation', 'OVN_OVSDB_CONSISTENCY_VIOLATION'),
  OvsdbClusterError: wire('cluster error', 'OVN_OVSDB_CLUSTER_ERROR'),
  OvsdbInvalidParametersError: wire('invalid parameters', 'OVN_OVSDB_INVALID_PARAMETERS'),
  OvsdbUnknownMonitorError: wire('unknown monitor', 'OVN_OVSDB_UNKNOWN_MONITOR'),
  OvsdbServerError: wire('ovsdb error', 'OVN_OVSDB_SERVER_ERROR'),
  OvsdbUnknownTableError: wire('unknown table', 'OVN_OVSDB_UNKNOWN_TABLE'),
  OvsdbUnknownColumnError: wire('unknown column', 'OVN_OVSDB_UNKNOWN_COLUMN'),
  OvsdbUnknownFunctionError: wire('unknown function', 'OVN_OVSDB_UNKNOWN_FUNCTION'),
  OvsdbUnknownMutatorError: wire('unknown mutator', 'OVN_OVSDB_UNKNOWN_MUTATOR'),
  OvsdbDuplicateMonitorIdError: wire('duplicate monitor ID', 'OVN_OVSDB_DUPLICATE_MONITOR_ID'),
  // ... and what the client raises itself
  TransactionError: {
    // Its code is its cause's, so OVN_OVSDB_CONSTRAINT_VIOLATION matches however it was raised.
    args: () => [1, 'insert', new (cls('OvsdbConstraintViolationError'))('d'), []],
    code: 'OVN_OVSDB_CONSTRAINT_VIOLATION',
    params: ['1', 'insert', 'constraint violation', 'd'],
  },
  OvsdbWaitFailedError: {
    args: () => [0, new (cls('OvsdbTimedOutError'))('d'), []],
    code: 'OVN_OVSDB_WAIT_FAILED',
    params: ['0', 'wait', 'timed out', 'd'],
  },
  OvsdbRequestTimeoutError: {
    args: ['transact', 100, 'unix:/x'],
    code: 'OVN_OVSDB_REQUEST_TIMEOUT',
    params: ['transact', '100'],
  },
  OvsdbTransactInDoubtError: {
    args: ['unix:/x', 'OVN_Northbound', 'why'],
    code: 'OVN_OVSDB_IN_DOUBT',
    params: ['unix:/x', 'OVN_Northbound', 'why'],
  },
  OvsdbProtocolError: { args: ['why'], code: 'OVN_OVSDB_PROTOCOL_ERROR', params: ['why'] },
  OvsdbValueError: { args: ['why', { a: 1 }], code: 'OVN_OVSDB_INVALID_VALUE', params: ['why', '{"a":1}'] },
  OvsdbIntegerRangeError: {
    args: [2n ** 63n, 'decode'],
    code: 'OVN_OVSDB_INTEGER_OUT_OF_RANGE',
    params: [
      'the server sent an integer outside +/-(2^53-1) that a JS number cannot hold exactly',
      '9223372036854775808',
    ],
  },
  UnixctlUnavailableError: {
    args: ['/run/x.ctl', 'why'],
    code: 'OVN_UNIXCTL_UNAVAILABLE',
    params: ['/run/x.ctl', 'why'],
  },
  UnixctlError: { args: ['version', 'why'], code: 'OVN_UNIXCTL_ERROR', params: ['version', 'why'] },
}

function make(name: string): XapiOvnError {
  const sample = SAMPLES[name] ?? assert.fail(`no sample for ${name}`)
  const args = typeof sample.args === 'function' ? sample.args() : sample.args
  return new (cls(name))(...args)
}

for (const [name, sample] of Object.entries(SAMPLES)) {
  test(`${name}: code ${sample.code}, its own name, string params, a message`, () => {
    const Class = cls(name)
    const e = make(name)
    assert.ok(e instanceof XapiOvnError)
    assert.ok(e instanceof Error)
    assert.equal(e.constructor, Class)
    assert.equal(e.name, name)
    assert.notEqual(name, (Object.getPrototypeOf(Class) as { name: string }).name, 'a name of its own, not its parent')
    assert.equal(e.code, sample.code)
    assert.match(e.code, /^OVN_[A-Z0-9_]+$/)
    assert.deepEqual(e.params, sample.params)
    for (const p of e.params) assert.equal(typeof p, 'string')
    assert.ok(e.message.length > 0)
  })
}

test('the error modules are found: lib/errors.ts, lib/ovsdb, lib/nb, lib/chassis/ssl and every other', () => {
  for (const m of ['lib/errors.ts', 'lib/ovsdb/errors.ts', 'lib/nb/errors.ts', 'lib/chassis/ssl/errors.ts'])
    assert.ok(MODULES.includes(m), m)
  // Every class the sources declare as an error class is exported by a module walked here.
  assert.deepEqual(
    [...DECLARED].filter((n) => !CLASSES.has(n)),
    [],
  )
})

test('the table has a row for every exported error class, and none for a class that does not exist', () => {
  const rows = Object.keys(SAMPLES).sort()
  const missing = [...CLASSES.keys()].filter((n) => !(n in SAMPLES)).map((n) => `${n} (${EXPORTED_BY.get(n)})`)
  assert.deepEqual(missing, [], 'error classes without a row in SAMPLES')
  assert.deepEqual(rows, [...CLASSES.keys()].sort())
})

test('each code belongs to one class (TransactionError carries its cause code)', () => {
  const byCode = new Map<string, string[]>()
  for (const name of Object.keys(SAMPLES)) {
    if (name === 'TransactionError') continue
    const code = SAMPLES[name]?.code ?? ''
    byCode.set(code, [...(byCode.get(code) ?? []), name])
  }
  assert.deepEqual(
    [...byCode].filter(([, names]) => names.length > 1),
    [],
  )
})

test('every code of the table is in the README', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const missing = Object.values(SAMPLES)
    .map((s) => s.code)
    .filter((c) => !readme.includes(`\`${c}\``))
  assert.deepEqual(missing, [])
})

test('every error code the code base can raise is documented in the README', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const NOT_ERRORS = new Set([
    'OVN_RUNDIR',
    'OVN_DBDIR',
    'OVN_LOGDIR',
    'OVN_SYSCONFDIR',
    'OVN_CONTROLLER_OPTS',
    'OVN_USER_ID',
  ])
  const codes = new Set<string>()
  for (const file of [...sources(join(ROOT, 'lib')), ...sources(join(ROOT, 'plugin'))]) {
    for (const m of readFileSync(file, 'utf8').matchAll(/['"`](OVN_[A-Z0-9_]+)['"`]/g))
      if (!NOT_ERRORS.has(m[1] as string)) codes.add(m[1] as string)
  }
  assert.ok(codes.size > 20)
  const missing = [...codes].filter((c) => !readme.includes(`\`${c}\``)).sort()
  assert.deepEqual(missing, [])
})

// Behaviour beyond the table (from the former nb-errors and attach-errors tests).

test('long values are cut before they are echoed in params', () => {
  const e = new (cls('InvalidArgumentError'))('k', 'x'.repeat(10_000), 'too long')
  // The first 256 characters, then how long the value was.
  assert.equal(e.params[1], `${'x'.repeat(256)}…(10000 chars)`)
})

test('names echoed into NB errors are cut to a bounded length', () => {
  const e = new (cls('NbSwitchMissingError'))('x'.repeat(5000))
  assert.ok((e.params[0] ?? '').length < 400)
  assert.ok(e.message.length < 600)
})

test('a hostile VM reference is cut before it is echoed', () => {
  const e = new (cls('VmNotFoundError'))('x'.repeat(100_000))
  assert.ok((e.params[0] ?? '').length < 300)
  assert.ok(e.message.length < 400)
})

test('NB_ERROR_CODES lists every lib/nb error class with its code, all unique OVN_NB_*', () => {
  const nbClasses = [...CLASSES.keys()].filter((n) => EXPORTED_BY.get(n)?.includes('lib/nb/errors.ts')).sort()
  assert.deepEqual([...NB_ERROR_CODES.keys()].sort(), nbClasses)
  for (const name of nbClasses) assert.equal(NB_ERROR_CODES.get(name), SAMPLES[name]?.code, name)
  const codes = [...NB_ERROR_CODES.values()]
  assert.equal(new Set(codes).size, codes.length)
  for (const c of codes) assert.match(c, /^OVN_NB_[A-Z_]+$/)
})
