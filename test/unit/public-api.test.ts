/**
 * The package's public API (lib/index.ts) as a program importing 'xapi-ovn' sees it: the pool
 * driver, the attach operations and the error classes, not the driver's internals; and every
 * XapiOvnError carries the hint the command line prints for its code.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as api from '../../lib/index.js'

test('the entry names what programs use, and no internals', () => {
  const names = Object.keys(api)
  for (const name of [
    'XapiPool',
    'setup',
    'setupPools',
    'verify',
    'status',
    'teardown',
    'sslRequest',
    'attachVms',
    'detachVms',
    'listVmPorts',
    'connectNorthbound',
    'chooseTransportPif',
    'toFailure',
    'XapiOvnError',
    'InvalidArgumentError',
    'XapiAuthError',
    'VmNotFoundError',
    'AttachInDoubtError',
    'attachSecurityGroup',
    'detachSecurityGroup',
    'ensureSecurityGroups',
    'setPortSecurityGroups',
    'SECURITY_GROUPS_KEY',
    'ovsdb',
    'nb',
    'chassis',
  ])
    assert.ok(names.includes(name), `${name} is exported`)
  for (const internal of [
    'truncate',
    'NULL_REF',
    'useHints',
    'ARGUMENT_ERROR_CODES',
    'parseHost',
    'parseAllRecords',
    'planHosts',
    'chassisArgs',
    'DRIVER_KEYS',
    'PLUGIN',
    'normalizeXapiUrl',
    'prepareSetup',
    'runSetup',
  ])
    assert.ok(!names.includes(internal), `${internal} is not exported`)
})

test('an error exposes its hint: the same sentence the CLI and the pool results give', () => {
  const auth = new api.XapiAuthError('https://pool', 'root')
  assert.equal(auth.hint, 'check the user and password')
  assert.equal(auth.hint, api.toFailure(auth).hint)
  const bad = new api.InvalidArgumentError('switch', 'x y', 'no spaces')
  assert.equal(bad.hint, api.hintFor('OVN_INVALID_ARGUMENT'))
  assert.notEqual(bad.hint, null)
  // A code without a known remedy says so with null rather than a made-up sentence.
  assert.equal(new api.XapiOvnError('OVN_SOMETHING_NEW', 'm').hint, null)
})
