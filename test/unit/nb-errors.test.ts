import { test } from 'node:test'
import assert from 'node:assert/strict'
import { XapiOvnError } from '../../lib/errors.js'
import * as nbErrors from '../../lib/nb/errors.js'
import {
  NB_ERROR_CODES,
  NbAddressConflictError,
  NbLocalnetLoopError,
  NbPortMissingError,
  NbPortConflictError,
  NbSwitchAmbiguousError,
  NbSwitchMissingError,
  NbSwitchNoSubnetError,
  NbSwitchNotEmptyError,
} from '../../lib/nb/errors.js'

/** One instance of every class, with the code and params it must carry. */
const TABLE: [XapiOvnError, string, string[]][] = [
  [new NbSwitchMissingError('tenant-a'), 'OVN_NB_SWITCH_MISSING', ['tenant-a']],
  [new NbSwitchAmbiguousError('dup', 2), 'OVN_NB_SWITCH_AMBIGUOUS', ['dup', '2']],
  [new NbSwitchNotEmptyError('tenant-a', 3), 'OVN_NB_SWITCH_NOT_EMPTY', ['tenant-a', '3']],
  [
    new NbPortConflictError('p', 'tenant-b', 'it is on another logical switch'),
    'OVN_NB_PORT_CONFLICT',
    ['p', 'tenant-b', 'it is on another logical switch'],
  ],
  [new NbSwitchNoSubnetError('plain'), 'OVN_NB_SWITCH_NO_SUBNET', ['plain']],
  [
    new NbLocalnetLoopError('physnet-mgmt', null, 'provnet-mgmt', 'provider'),
    'OVN_NB_LOCALNET_LOOP',
    ['physnet-mgmt', 'untagged', 'provnet-mgmt', 'provider'],
  ],
  [new NbPortMissingError('ln'), 'OVN_NB_PORT_MISSING', ['ln']],
  [
    new NbAddressConflictError('198.18.10.5', 'tenant-a', 'port p already has it'),
    'OVN_NB_ADDRESS_CONFLICT',
    ['198.18.10.5', 'tenant-a', 'port p already has it'],
  ],
]

test('every NB error is a XapiOvnError with its stable code, its own name and string params', () => {
  for (const [err, code, params] of TABLE) {
    assert.ok(err instanceof XapiOvnError)
    assert.equal(err.code, code)
    assert.equal(err.name, err.constructor.name)
    assert.deepEqual(err.params, params)
    assert.equal(NB_ERROR_CODES.get(err.name), code)
    assert.ok(err.message.length > 0)
  }
})

test('the table covers every exported error class, and codes are unique OVN_NB_*', () => {
  const classes = Object.entries(nbErrors)
    .filter(([, v]) => typeof v === 'function')
    .map(([k]) => k)
    .sort()
  assert.deepEqual(classes, TABLE.map(([e]) => e.name).sort())
  assert.deepEqual([...NB_ERROR_CODES.keys()].sort(), classes)
  const codes = [...NB_ERROR_CODES.values()]
  assert.equal(new Set(codes).size, codes.length)
  for (const c of codes) assert.match(c, /^OVN_NB_[A-Z_]+$/)
})

test('names echoed into errors are cut to a bounded length', () => {
  const long = 'x'.repeat(5000)
  const e = new NbSwitchMissingError(long)
  assert.ok((e.params[0] ?? '').length < 400)
  assert.ok(e.message.length < 600)
})
