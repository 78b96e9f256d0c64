import assert from 'node:assert/strict'
import { test } from 'node:test'

import { start } from '../../src/tracker.js'
import { FLUSH_MS } from '../../src/transport.js'
import { VERSION } from '../../src/version.js'
import { el, fakeWindow, installStub, T0 } from '../fake-window.mjs'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** A window with the tracker started in it. */
const run = (options) => {
  const w = fakeWindow(options)
  start(w)
  return w
}
const names = (w) => w.sent().map((e) => e.name)
const named = (w, name) => w.sent().filter((e) => e.name === name)

test('the first pageview carries the page and the client context, and nothing else', async () => {
  const w = run()
  await w.tick(FLUSH_MS)
  assert.equal(w.requests.length, 1)
  assert.equal(w.requests[0].url, 'https://c.example.net/x/b', "data-api defaults to the script's origin")
  const [e] = w.requests[0].events
  assert.match(e.event_id, UUID)
  assert.deepEqual(
    { ...e, event_id: 'x' },
    {
      event_id: 'x',
      type: 'page',
      name: 'pageview',
      site_id: 'site-1',
      client_ts: new Date(T0).toISOString(),
      url: 'https://shop.example/products?page=2',
      path: '/products',
      title: 'Products',
      referrer: 'https://search.example/?q=shoes',
      screen_width: 1920,
      screen_height: 1080,
      language: 'de-CH',
      library_name: 'beacon-js',
      library_version: VERSION,
    },
    'cookieless by default: no anonymous_id, no user_id, no properties',
  )
  assert.deepEqual(Object.keys(w.localStorage), [], 'cookieless stores nothing')
})

test('data-api overrides the endpoint; a trailing slash is fine', async () => {
  const w = run({ attrs: { site: 's', api: 'https://in.example.org/' } })
  await w.tick(FLUSH_MS)
  assert.equal(w.requests[0].url, 'https://in.example.org/x/b')
})

test('without data-site nothing happens and nothing throws', async () => {
  const w = run({ attrs: {} })
  await w.tick(FLUSH_MS)
  assert.equal(w.sent().length, 0)
})

test('event ids are v4 UUIDs also where crypto.randomUUID is missing (plain http)', async () => {
  const w = run({ secure: false })
  for (let i = 0; i < 20; i++) w.pq('track', 'x')
  await w.tick(FLUSH_MS)
  const seen = new Set(w.sent().map((e) => e.event_id))
  assert.equal(seen.size, 21)
  for (const id of seen) assert.match(id, UUID)
})

test('Do-Not-Track and Global Privacy Control: nothing is sent or stored', async () => {
  for (const options of [{ dnt: '1' }, { gpc: true }]) {
    const w = run({ ...options, attrs: { site: 's', cookieless: 'false' } })
    w.pq('identify', 'user-42')
    w.pq('track', 'signup')
    w.history.pushState({}, '', '/next')
    w.click(el('a', { href: 'https://other.example/' }))
    w.hide()
    await w.tick(60_000)
    assert.equal(w.sent().length, 0, JSON.stringify(options))
    assert.deepEqual(w.localStorage, {})
  }
})

test('data-respect-dnt="false" sends despite Do-Not-Track; DNT "0" is no objection', async () => {
  for (const w of [run({ dnt: '1', attrs: { site: 's', 'respect-dnt': 'false' } }), run({ dnt: '0' })]) {
    await w.tick(FLUSH_MS)
    assert.deepEqual(names(w), ['pageview'])
  }
})

test('optOut() stops everything and persists; optIn() resumes', async () => {
  const storage = {}
  const w = run({ storage })
  await w.tick(FLUSH_MS)
  w.pq('track', 'queued-before-opt-out')
  w.pq('optOut')
  w.pq('track', 'after-opt-out')
  w.history.pushState({}, '', '/next')
  w.hide()
  await w.tick(60_000)
  assert.deepEqual(names(w), ['pageview'], 'the queued event was dropped too')

  const later = run({ storage }) // the next page load
  later.pq('track', 'still-out')
  await later.tick(60_000)
  assert.equal(later.sent().length, 0)

  later.pq('optIn')
  later.pq('track', 'back')
  await later.tick(FLUSH_MS)
  assert.deepEqual(names(later), ['back'])
  const again = run({ storage })
  await again.tick(FLUSH_MS)
  assert.deepEqual(names(again), ['pageview'])
})

test('SPA: pushState to a new path sends engagement for the old page, then a pageview', async () => {
  const w = run()
  await w.tick(4000) // 4 s on the first page
  w.scrollTo(500) // (500 + 1000) / 3000 = 50 %
  w.history.pushState({ id: 7 }, '', '/products/7')
  await w.tick(FLUSH_MS)
  const [engagement, page] = w.requests.at(-1).events
  assert.equal(engagement.name, 'engagement')
  assert.equal(engagement.type, 'track')
  assert.equal(engagement.url, 'https://shop.example/products?page=2', 'reported for the page left')
  assert.deepEqual(engagement.properties, { engaged_ms: '4000', scroll_pct: '50' })
  assert.equal(engagement.referrer, undefined)
  assert.equal(page.name, 'pageview')
  assert.equal(page.url, 'https://shop.example/products/7')
  assert.equal(page.path, '/products/7')
  assert.equal(page.referrer, 'https://shop.example/products?page=2', 'the previous page')
})

test('SPA: replaceState, query changes, hash changes and popstate', async () => {
  const w = run()
  w.history.replaceState({ tab: 2 }, '') // state only
  w.history.replaceState({}, '', '/products?page=2#reviews') // hash only
  w.history.pushState({}, '', '/products?page=3') // a new query is a new page
  w.history.replaceState({}, '', '/products/9') // so is a replaced path
  w.back('/products?page=3')
  await w.tick(FLUSH_MS)
  assert.deepEqual(
    named(w, 'pageview').map((e) => e.url),
    [
      'https://shop.example/products?page=2',
      'https://shop.example/products?page=3',
      'https://shop.example/products/9',
      'https://shop.example/products?page=3',
    ],
  )
})

test('data-spa="false": history changes send no pageview; the history API still works', async () => {
  const w = run({ attrs: { site: 's', spa: 'false' } })
  w.history.pushState({}, '', '/elsewhere')
  await w.tick(FLUSH_MS)
  assert.deepEqual(names(w), ['pageview'])
  assert.equal(w.location.pathname, '/elsewhere')
  w.pq('page') // a manual pageview
  await w.tick(FLUSH_MS)
  assert.equal(named(w, 'pageview')[1].path, '/elsewhere')
})

test('the wrapped history methods return what the originals return and keep their errors', () => {
  const w = fakeWindow()
  w.history.pushState = () => 'result'
  w.history.replaceState = () => {
    throw new Error('SecurityError')
  }
  start(w)
  assert.equal(w.history.pushState({}, '', '/x'), 'result')
  assert.throws(() => w.history.replaceState({}, '', '/y'), /SecurityError/)
})

test('hiding the page sends engagement and everything queued by beacon; visible time only', async () => {
  const w = run()
  await w.tick(FLUSH_MS / 2)
  w.hide()
  assert.equal(w.requests.length, 0, 'the pageview was still waiting: it went with the beacon')
  assert.deepEqual(
    w.beacons[0].events.map((e) => e.name),
    ['pageview', 'engagement'],
  )
  assert.equal(w.beacons[0].events[1].properties.engaged_ms, String(FLUSH_MS / 2))
  await w.tick(60_000) // hidden: not engaged
  w.show()
  await w.tick(2000)
  w.dispatch('pagehide')
  w.hide() // pagehide then visibilitychange: reported once
  await w.tick(60_000)
  const engagement = named(w, 'engagement')
  assert.deepEqual(
    engagement.map((e) => e.properties.engaged_ms),
    [String(FLUSH_MS / 2), '2000'],
  )
})

test('scroll depth is the deepest point seen, capped at 100', async () => {
  const w = run()
  w.scrollTo(1400)
  w.scrollTo(100)
  await w.tick(1000)
  w.hide()
  assert.equal(named(w, 'engagement')[0].properties.scroll_pct, '80')
  const short = fakeWindow()
  short.document.documentElement.scrollHeight = 600 // shorter than the window
  start(short)
  await short.tick(1000)
  short.hide()
  assert.equal(named(short, 'engagement')[0].properties.scroll_pct, '100')
})

test('an outbound link click is sent at once by beacon, also from an element inside the link', async () => {
  const w = run()
  const link = el('a', { href: 'https://partner.example/offer' })
  const icon = el('svg', {}, el('path'))
  const span = el('span')
  link.parentNode = null
  icon.parentNode = link
  span.parentNode = icon
  w.click(span)
  const [event] = w.beacons.flatMap((b) => b.events).filter((e) => e.name === 'outbound_click')
  assert.equal(event.type, 'track')
  assert.deepEqual(event.properties, { url: 'https://partner.example/offer' })
  w.click(el('a', { href: 'https://partner.example/other' }), 1) // middle button
  w.click(el('a', { href: 'https://partner.example/menu' }), 2) // right button: no
  assert.deepEqual(
    named(w, 'outbound_click').map((e) => e.properties.url),
    ['https://partner.example/offer', 'https://partner.example/other'],
  )
})

test('a download link click is a file_download; internal links and plain clicks are nothing', async () => {
  const w = run()
  w.click(el('a', { href: 'https://shop.example/files/catalog.pdf' }))
  w.click(el('a', { href: 'https://shop.example/cart' }))
  w.click(el('button'))
  w.click(el('a', {})) // an anchor without href
  await w.tick(FLUSH_MS)
  assert.deepEqual(names(w).sort(), ['file_download', 'pageview'])
  assert.deepEqual(named(w, 'file_download')[0].properties, {
    url: 'https://shop.example/files/catalog.pdf',
    ext: 'pdf',
  })
})

test('track(name, props): properties become a flat, bounded string map', async () => {
  const w = run()
  w.pq('track', 'signup', { plan: 'pro', seats: 5, trial: false, meta: { a: 1 }, gone: null, no: undefined })
  w.pq('track', 'big', Object.fromEntries([...Array(80).keys()].map((i) => [`k${i}`, 'v'.repeat(2000)])))
  w.pq('track', 'bare')
  w.pq('track') // no name: nothing
  w.pq('no-such-command', 1)
  await w.tick(FLUSH_MS)
  assert.deepEqual(names(w), ['pageview', 'signup', 'big', 'bare'])
  assert.deepEqual(named(w, 'signup')[0].properties, {
    plan: 'pro',
    seats: '5',
    trial: 'false',
    meta: '{"a":1}',
  })
  const big = named(w, 'big')[0].properties
  assert.equal(Object.keys(big).length, 64)
  assert.equal(big.k0.length, 1024)
  assert.equal(big.k62.length, 1024)
  assert.equal(big._truncated, 'properties') // the cut is marked as the collector marks its own
  assert.equal(named(w, 'bare')[0].properties, undefined)
})

test('a cut of the properties is named in _truncated, which takes its room from them', async () => {
  const w = run()
  const many = (n, value = 'v') => Object.fromEntries([...Array(n).keys()].map((i) => [`k${i}`, value]))
  w.pq('track', 'full', many(64))
  w.pq('track', 'over', many(65))
  w.pq('track', 'long', { q: 'x'.repeat(1025), r: 1 })
  w.pq('track', 'full-and-long', { ...many(63), q: 'x'.repeat(2000) })
  await w.tick(FLUSH_MS)
  assert.deepEqual(named(w, 'full')[0].properties, many(64)) // as sent: nothing marked
  assert.deepEqual(named(w, 'over')[0].properties, { ...many(63), _truncated: 'properties' })
  assert.deepEqual(named(w, 'long')[0].properties, { q: 'x'.repeat(1024), r: '1', _truncated: 'properties' })
  assert.deepEqual(named(w, 'full-and-long')[0].properties, { ...many(63), _truncated: 'properties' })
})

test('long URLs, titles and names are cut to the bounds of events.v1', async () => {
  const long = 'x'.repeat(5000)
  const w = run({ url: `https://shop.example/${long}?q=${long}`, title: long, referrer: `https://r.example/${long}` })
  w.pq('track', long)
  await w.tick(FLUSH_MS)
  const [page, track] = w.sent()
  assert.equal(page.url.length, 2048)
  assert.equal(page.path.length, 1024)
  assert.equal(page.title.length, 512)
  assert.equal(page.referrer.length, 2048)
  assert.equal(track.name.length, 128)
})

test('the queue stub: commands called before the script loads run, then the pageview', async () => {
  const w = fakeWindow({ stub: installStub })
  w.pq('track', 'early', { step: 1 })
  w.pq('identify', 'user-42', { plan: 'pro' })
  start(w)
  w.pq('track', 'late')
  await w.tick(FLUSH_MS)
  assert.deepEqual(names(w), ['early', 'identify', 'pageview', 'late'])
  const [early, identify, page] = w.sent()
  assert.deepEqual(early.properties, { step: '1' })
  assert.equal(early.user_id, undefined)
  assert.equal(identify.type, 'identify')
  assert.deepEqual(identify.properties, { plan: 'pro' })
  assert.equal(page.user_id, 'user-42', 'identify applies to what follows')
  assert.equal(w.pq.q, undefined, 'the stub is replaced')
})

test('loading the script twice starts one tracker', async () => {
  const w = run()
  const pq = w.pq
  start(w)
  await w.tick(FLUSH_MS)
  assert.equal(w.pq, pq)
  assert.deepEqual(names(w), ['pageview'])
})

test('cookieless (default): identify keeps the user id in memory only', async () => {
  const w = run()
  w.pq('identify', 'user-42')
  await w.tick(FLUSH_MS)
  assert.deepEqual(Object.keys(w.localStorage), [])
  assert.equal(w.sent().some((e) => 'anonymous_id' in e), false)
})

test('data-cookieless="false": a first-party anonymous id and the user id persist in localStorage', async () => {
  const storage = {}
  const attrs = { site: 's', cookieless: 'false' }
  const w = run({ storage, attrs })
  w.pq('identify', 'user-42')
  await w.tick(FLUSH_MS)
  const [page, identify] = w.sent()
  assert.match(page.anonymous_id, UUID)
  assert.equal(identify.anonymous_id, page.anonymous_id)
  assert.equal(identify.user_id, 'user-42')

  const next = run({ storage, attrs })
  await next.tick(FLUSH_MS)
  assert.equal(next.sent()[0].anonymous_id, page.anonymous_id)
  assert.equal(next.sent()[0].user_id, 'user-42')

  next.pq('identify', null) // logout
  next.pq('track', 'after-logout')
  await next.tick(FLUSH_MS)
  assert.equal(named(next, 'after-logout')[0].user_id, undefined)

  next.pq('optOut') // opting out forgets the ids
  assert.deepEqual(Object.keys(storage), ['p:out'])
})

test('blocked localStorage: ids live in memory, nothing throws', async () => {
  const blocked = new Proxy(
    {},
    {
      get() {
        throw new Error('SecurityError')
      },
      set() {
        throw new Error('SecurityError')
      },
    },
  )
  const w = run({ storage: blocked, attrs: { site: 's', cookieless: 'false' } })
  w.pq('track', 'a')
  await w.tick(FLUSH_MS)
  w.pq('optOut')
  w.pq('optIn')
  w.pq('track', 'b')
  await w.tick(FLUSH_MS)
  const [page, a, b] = w.sent()
  assert.deepEqual([page.name, a.name, b.name], ['pageview', 'a', 'b'])
  assert.equal(a.anonymous_id, page.anonymous_id)
})

test('nothing throws into the host page, even in a broken environment', async () => {
  const w = fakeWindow()
  w.screen = undefined // every event build now fails
  globalThis.window = w
  try {
    await import('../../src/p.js') // the entry point of dist/p.js
  } finally {
    delete globalThis.window
  }
  assert.equal(typeof w.pq, 'function', 'the tracker started')
  assert.doesNotThrow(() => w.pq('track', 'x'))
  assert.doesNotThrow(() => w.click(el('a', { href: 'https://other.example/' })))
  assert.doesNotThrow(() => w.history.pushState({}, '', '/next'))
  assert.doesNotThrow(() => w.hide())
  assert.doesNotThrow(() => w.click(el('a', { href: 'http://[bad' })))
  await w.tick(60_000)
  assert.equal(w.sent().length, 0)
})
