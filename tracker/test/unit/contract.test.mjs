// What the tracker sends fits events.v1 as lakehouse/schema.py defines it: only client fields,
// every required one, strings within their bounds. The schema is read from its one source.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'

import { ROOT } from '../../build.mjs'
import { start } from '../../src/tracker.js'
import { el, fakeWindow } from '../fake-window.mjs'

const schema = readFileSync(join(ROOT, '..', 'lakehouse', 'schema.py'), 'utf8')
// EventField("name", TYPE, C|S[, required[, max_length ...]])
// Bounds are numbers or module constants (MAX_PROPERTIES = 64).
const CONSTANTS = Object.fromEntries([...schema.matchAll(/^(\w+) = (\d+)$/gm)].map(([, k, v]) => [k, Number(v)]))
const FIELDS = [...schema.matchAll(/EventField\("(\w+)", (\w+), ([CS])(?:, (True|False))?(?:, (\w+))?/g)].map(
  ([, name, type, origin, required, max]) => ({
    name,
    type,
    client: origin === 'C',
    required: required === 'True',
    max: /^\d+$/.test(max) ? Number(max) : (CONSTANTS[max] ?? null),
  }),
)
const CLIENT = new Map(FIELDS.filter((f) => f.client).map((f) => [f.name, f]))

/** One of each kind of event, with long values everywhere. */
const allKinds = async () => {
  const long = 'y'.repeat(3000)
  const w = fakeWindow({
    url: `https://shop.example/${long}?q=${long}`,
    title: long,
    referrer: `https://r.example/${long}`,
    attrs: { site: 'site-1', cookieless: 'false' },
  })
  start(w)
  w.pq('identify', long, { trait: long })
  w.pq('track', long, Object.fromEntries([...Array(100).keys()].map((i) => [`k${i}`, long])))
  w.click(el('a', { href: `https://other.example/${long}` }))
  w.click(el('a', { href: `https://shop.example/${long}.pdf` }))
  await w.tick(1000)
  w.history.pushState({}, '', '/next')
  w.hide()
  return w.sent()
}

test('the schema parse found the contract', () => {
  assert.ok(CLIENT.size >= 20, `${CLIENT.size} client fields`)
  assert.equal(CLIENT.get('properties').max, 64)
  assert.equal(CONSTANTS.MAX_PROPERTY_VALUE, 1024)
  for (const name of ['event_id', 'type', 'site_id', 'client_ts', 'properties', 'library_version'])
    assert.ok(CLIENT.has(name), name)
})

test('every event has only client fields, all required ones, within their bounds', async () => {
  const events = await allKinds()
  assert.deepEqual(
    [...new Set(events.map((e) => e.name.slice(0, 20)))].sort(),
    ['engagement', 'file_download', 'identify', 'outbound_click', 'pageview', 'y'.repeat(20)],
  )
  for (const event of events) {
    for (const [name, value] of Object.entries(event)) {
      const field = CLIENT.get(name)
      assert.ok(field, `${name} is not a client field of events.v1`)
      if (field.type === 'STR') {
        assert.equal(typeof value, 'string', name)
        if (field.max) assert.ok(value.length <= field.max, `${name}: ${value.length} > ${field.max}`)
      }
      if (field.type === 'INT') assert.ok(Number.isInteger(value), name)
      if (field.type === 'TS') assert.match(value, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      if (field.type === 'MAP') {
        assert.ok(Object.keys(value).length <= field.max, `${Object.keys(value).length} properties`)
        for (const v of Object.values(value))
          assert.ok(typeof v === 'string' && v.length <= CONSTANTS.MAX_PROPERTY_VALUE)
      }
    }
    for (const field of CLIENT.values()) if (field.required) assert.ok(event[field.name], field.name)
    assert.ok(['page', 'track', 'identify'].includes(event.type))
  }
})
