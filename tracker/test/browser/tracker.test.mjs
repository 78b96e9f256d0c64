// The built dist/p.js in headless Chromium, against a recording server: what a real browser
// sends, how (headers, no preflight, beacon on navigation), and what it does not send.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'

import { launchChromium } from '../browser.mjs'
import { startSiteServer } from '../site-server.mjs'

let browser
let site

before(async () => {
  site = await startSiteServer()
  browser = await launchChromium()
})

after(async () => {
  await browser?.close()
  await site?.close()
})

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Wait until the events received for `siteId` satisfy `ready`; returns them. */
const eventsFor = async (siteId, ready, timeoutMs = 10_000) => {
  const end = Date.now() + timeoutMs
  for (;;) {
    const events = site.events(siteId)
    if (ready(events)) return events
    if (Date.now() > end)
      assert.fail(`timed out waiting for events of ${siteId}; got ${JSON.stringify(events.map((e) => e.name))}`)
    await sleep(50)
  }
}
const count = (name, n = 1) => (events) => events.filter((e) => e.name === name).length >= n

test('pageview, SPA navigation, custom event, download and outbound click', async () => {
  await browser.withPage(site.pageUrl('flow'), async (page) => {
    // load -> pageview, by fetch, as a CORS simple request to the other origin
    const [first] = await eventsFor('flow', count('pageview'))
    assert.equal(first.type, 'page')
    assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+\/page\?site=flow$/)
    assert.equal(first.path, '/page')
    assert.equal(first.title, 'Test page')
    assert.equal(first.library_name, 'beacon-js')
    assert.match(first.event_id, /^[0-9a-f-]{36}$/)
    assert.ok(first.screen_width > 0 && first.screen_height > 0)
    assert.equal(typeof first.language, 'string')
    assert.ok(!Number.isNaN(Date.parse(first.client_ts)))
    assert.equal(first.anonymous_id, undefined, 'cookieless by default')
    assert.equal(site.received[0].headers['content-type'], 'text/plain;charset=UTF-8')
    assert.match(site.received[0].headers.origin, /^http:\/\/127\.0\.0\.1:/)

    // pushState -> engagement for the first page, then a second pageview
    await page.mouse.wheel(0, 1200)
    await sleep(300)
    await page.evaluate(() => history.pushState({}, '', '/page/two'))
    let events = await eventsFor('flow', count('pageview', 2))
    const engagement = events.find((e) => e.name === 'engagement')
    assert.ok(engagement, 'engagement sent on SPA navigation')
    assert.equal(engagement.url, first.url, 'for the page left')
    assert.ok(Number(engagement.properties.engaged_ms) >= 300, engagement.properties.engaged_ms)
    assert.ok(Number(engagement.properties.scroll_pct) > 20, engagement.properties.scroll_pct)
    const second = events.filter((e) => e.name === 'pageview')[1]
    assert.equal(second.path, '/page/two')
    assert.equal(second.referrer, first.url)

    // the command queue -> a custom event with properties
    await page.evaluate(() => window.pq('track', 'signup', { plan: 'pro', seats: 3 }))
    events = await eventsFor('flow', count('signup'))
    const signup = events.find((e) => e.name === 'signup')
    assert.equal(signup.type, 'track')
    assert.deepEqual(signup.properties, { plan: 'pro', seats: '3' })
    assert.equal(signup.path, '/page/two')

    // a download link (opens in a new tab)
    await page.click('#download')
    events = await eventsFor('flow', count('file_download'))
    assert.deepEqual(events.find((e) => e.name === 'file_download').properties, {
      url: new URL('/files/report.pdf', first.url).href,
      ext: 'pdf',
    })

    // an outbound link: the page navigates away, the beacon still arrives
    const outboundHref = await page.getAttribute('#outbound', 'href')
    await Promise.all([page.waitForURL(/\/other$/), page.click('#outbound')])
    events = await eventsFor('flow', count('outbound_click'))
    assert.deepEqual(events.find((e) => e.name === 'outbound_click').properties, { url: outboundHref })
    await eventsFor('flow', count('engagement', 2)) // page two's, on pagehide

    assert.equal(new Set(events.map((e) => e.event_id)).size, events.length, 'unique event ids')
    assert.deepEqual(site.preflights, [], 'no CORS preflight')
    for (const r of site.received) assert.equal(r.headers['content-type'], 'text/plain;charset=UTF-8')
  })
})

test('cookieless by default: nothing is written to the device', async () => {
  await browser.withPage(site.pageUrl('jar'), async (page) => {
    await eventsFor('jar', count('pageview'))
    await page.evaluate(() => window.pq('identify', 'user-1'))
    await eventsFor('jar', count('identify'))
    assert.equal(await page.evaluate(() => localStorage.length + document.cookie.length), 0)
  })
})

test('data-cookieless="false": one first-party id across page loads', async () => {
  const url = site.pageUrl('ids', { cookieless: 'false' })
  await browser.withPage(url, async (page) => {
    await eventsFor('ids', count('pageview'))
    await page.reload()
    const events = await eventsFor('ids', count('pageview', 2))
    assert.match(events[0].anonymous_id, /^[0-9a-f-]{36}$/)
    assert.equal(events[1].anonymous_id, events[0].anonymous_id)
    await page.evaluate(() => localStorage.clear())
  })
})

test('Do-Not-Track and Global Privacy Control: nothing is sent; the same steps without them are', async () => {
  const steps = async (page) => {
    await page.evaluate(() => {
      window.pq('track', 'signup')
      history.pushState({}, '', '/page/two')
    })
    await sleep(1500) // past the flush delay
    await page.goto(page.url().replace(/\/page.*/, '/other')) // pagehide: the beacon path
  }
  const doNotTrack = () => Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' })
  const gpc = () => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true })
  await browser.withPage(site.pageUrl('dnt'), steps, { initScript: doNotTrack })
  await browser.withPage(site.pageUrl('gpc'), steps, { initScript: gpc })
  await browser.withPage(site.pageUrl('control'), steps)
  await eventsFor('control', count('pageview', 2))
  await sleep(300)
  assert.deepEqual(site.events('dnt'), [])
  assert.deepEqual(site.events('gpc'), [])
})

test('optOut() persists across page loads; optIn() resumes', async () => {
  await browser.withPage(site.pageUrl('consent'), async (page) => {
    await eventsFor('consent', count('pageview'))
    await page.evaluate(() => window.pq('optOut'))
    await page.reload()
    await page.evaluate(() => window.pq('track', 'while-out'))
    await sleep(1500)
    assert.deepEqual(
      site.events('consent').map((e) => e.name),
      ['pageview'],
    )
    await page.evaluate(() => window.pq('optIn'))
    await page.evaluate(() => window.pq('track', 'back'))
    await eventsFor('consent', count('back'))
    await page.evaluate(() => localStorage.clear())
  })
})
