import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseInventory, readHostUuid, localAddresses } from '../../lib/chassis/host-facts.js'
import { XapiOvnError } from '../../lib/errors.js'

const INVENTORY = `PRODUCT_BRAND='XCP-ng'
PRODUCT_VERSION='8.3.0'
INSTALLATION_UUID='8b7b4f9e-2f0a-4c1e-9d55-0a1b2c3d4e5f'
CONTROL_DOMAIN_UUID='0d1c6f8e-0000-4000-8000-000000000000'
MANAGEMENT_INTERFACE='xenbr0'
`

test("the inventory parser reads XAPI's KEY='value' lines", () => {
  const v = parseInventory(INVENTORY)
  assert.equal(v.get('INSTALLATION_UUID'), '8b7b4f9e-2f0a-4c1e-9d55-0a1b2c3d4e5f')
  assert.equal(v.get('MANAGEMENT_INTERFACE'), 'xenbr0')
})

test('readHostUuid gives the host UUID or a coded error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'xo-inv-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const good = join(dir, 'good')
  writeFileSync(good, INVENTORY)
  assert.equal(await readHostUuid(good), '8b7b4f9e-2f0a-4c1e-9d55-0a1b2c3d4e5f')
  const cases: [string, string | null, RegExp][] = [
    ['missing', null, /ENOENT/],
    ['no-uuid', "PRODUCT_BRAND='XCP-ng'\n", /no INSTALLATION_UUID/],
    ['bad-uuid', "INSTALLATION_UUID='$(reboot)'\n", /not a UUID/],
  ]
  for (const [name, content, reason] of cases) {
    const path = join(dir, name)
    if (content !== null) writeFileSync(path, content)
    await assert.rejects(readHostUuid(path), (e: unknown) => {
      assert.ok(e instanceof XapiOvnError)
      assert.equal(e.code, 'OVN_INVENTORY_UNREADABLE')
      assert.equal(e.params[0], path)
      assert.match(e.params[1] ?? '', reason)
      return true
    })
  }
})

test('local addresses include loopback', () => {
  assert.ok(localAddresses().includes('127.0.0.1'))
})
