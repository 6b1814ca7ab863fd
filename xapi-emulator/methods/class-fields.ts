/**
 * The methods XAPI generates for every class of the datamodel served (`schema.ts`): get_all,
 * get_all_records, get_record, get_by_uuid, get_by_name_label, get_<field>, and for read-write
 * fields set_<field>, add_to_/remove_from_ (maps) and add_/remove_ (sets).
 */
import { Codes, XapiApiError } from '../api-error.js'
import type { Database } from '../database.js'
import { CLASSES, T, hasNameLabel, type FieldType } from '../schema.js'
import type { ParamSpec } from '../unmarshal.js'
import type { XapiValue } from '../values.js'
import { str, stringMap, type MethodRegistry } from './registry.js'

export function registerClassMethods(registry: MethodRegistry, db: Database): void {
  for (const spec of Object.values(CLASSES)) {
    const cls = spec.name
    const self: ParamSpec = { name: 'self', type: T.ref(cls) }
    const base = { session: true, async: false }
    registry.define(`${cls}.get_all`, { ...base, params: [], run: () => db.refs(cls) })
    registry.define(`${cls}.get_all_records`, {
      ...base,
      params: [],
      run: () => Object.fromEntries(db.all(cls).map((r) => [r.ref, db.get(cls, r.ref)])),
    })
    registry.define(`${cls}.get_record`, { ...base, params: [self], run: (_c, [ref]) => db.get(cls, str(ref)) })
    registry.define(`${cls}.get_by_uuid`, {
      ...base,
      params: [{ name: 'uuid', type: T.string }],
      run: (_c, [uuid]) => db.byUuid(cls, str(uuid)),
    })
    if (hasNameLabel(cls)) {
      registry.define(`${cls}.get_by_name_label`, {
        ...base,
        params: [{ name: 'label', type: T.string }],
        run: (_c, [label]) =>
          db
            .all(cls)
            .filter((r) => r.record.name_label === label)
            .map((r) => r.ref),
      })
    }
    for (const [field, fspec] of Object.entries(spec.fields)) {
      registry.define(`${cls}.get_${field}`, {
        ...base,
        params: [self],
        run: (_c, [ref]) => db.field(cls, str(ref), field),
      })
      if (fspec.rw !== true) continue
      registry.define(`${cls}.set_${field}`, {
        ...base,
        params: [self, { name: 'value', type: fspec.type }],
        run: (_c, [ref, value]) => {
          db.set(cls, str(ref), { [field]: value as XapiValue })
        },
      })
      if (fspec.type.kind === 'map') defineMapOps(registry, db, cls, field, fspec.type.of)
      if (fspec.type.kind === 'set') defineSetOps(registry, db, cls, field, fspec.type.of)
    }
  }
}

function defineMapOps(registry: MethodRegistry, db: Database, cls: string, field: string, valueType: FieldType): void {
  const self: ParamSpec = { name: 'self', type: T.ref(cls) }
  const key: ParamSpec = { name: 'key', type: T.string }
  registry.define(`${cls}.add_to_${field}`, {
    session: true,
    async: false,
    params: [self, key, { name: 'value', type: valueType }],
    run: (_c, [ref, k, value]) => {
      const current = stringMap(db.field(cls, str(ref), field))
      if (str(k) in current) throw new XapiApiError(Codes.MAP_DUPLICATE_KEY, [cls, field, str(ref), str(k)])
      db.set(cls, str(ref), { [field]: { ...current, [str(k)]: value as XapiValue } })
    },
  })
  registry.define(`${cls}.remove_from_${field}`, {
    session: true,
    async: false,
    params: [self, key],
    run: (_c, [ref, k]) => {
      const current = stringMap(db.field(cls, str(ref), field))
      if (!(str(k) in current)) return // XAPI: removing a missing key is not an error
      const { [str(k)]: _gone, ...rest } = current
      db.set(cls, str(ref), { [field]: rest })
    },
  })
}

function defineSetOps(registry: MethodRegistry, db: Database, cls: string, field: string, itemType: FieldType): void {
  const self: ParamSpec = { name: 'self', type: T.ref(cls) }
  const value: ParamSpec = { name: 'value', type: itemType }
  const items = (ref: string): XapiValue[] => db.field(cls, ref, field) as XapiValue[]
  registry.define(`${cls}.add_${field}`, {
    session: true,
    async: false,
    params: [self, value],
    run: (_c, [ref, v]) => {
      const current = items(str(ref))
      if (!current.includes(v as XapiValue)) db.set(cls, str(ref), { [field]: [...current, v as XapiValue] })
    },
  })
  registry.define(`${cls}.remove_${field}`, {
    session: true,
    async: false,
    params: [self, value],
    run: (_c, [ref, v]) => {
      const current = items(str(ref))
      if (current.includes(v as XapiValue)) db.set(cls, str(ref), { [field]: current.filter((x) => x !== v) })
    },
  })
}
