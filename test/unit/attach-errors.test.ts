// The error classes lib/attach raises, from one table: code, name, string params, message.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { XapiOvnError } from '../../lib/errors.js'
import { VifConflictError, VifNotFoundError, VmAmbiguousError, VmNotFoundError } from '../../lib/attach/errors.js'

const SAMPLES: [string, () => XapiOvnError, string, readonly string[]][] = [
  ['VmNotFoundError', () => new VmNotFoundError('web1'), 'OVN_VM_NOT_FOUND', ['web1']],
  ['VmAmbiguousError', () => new VmAmbiguousError('web', 2), 'OVN_VM_AMBIGUOUS', ['web', '2']],
  [
    'VifNotFoundError',
    () => new VifNotFoundError('11111111-1111-4111-8111-111111111111'),
    'OVN_VIF_NOT_FOUND',
    ['11111111-1111-4111-8111-111111111111'],
  ],
  [
    'VifConflictError',
    () => new VifConflictError('web1', 'device 0', 'on another network'),
    'OVN_VIF_CONFLICT',
    ['web1', 'device 0', 'on another network'],
  ],
]

for (const [name, make, code, params] of SAMPLES) {
  test(`${name} has code ${code}, its name, its params and a message`, () => {
    const e = make()
    assert.ok(e instanceof XapiOvnError)
    assert.equal(e.name, name)
    assert.equal(e.code, code)
    assert.deepEqual(e.params, params)
    assert.ok(e.message.length > 0)
  })
}

test('a hostile VM reference is cut before it is echoed', () => {
  const e = new VmNotFoundError('x'.repeat(100_000))
  assert.ok((e.params[0] ?? '').length < 300)
  assert.ok(e.message.length < 400)
})
