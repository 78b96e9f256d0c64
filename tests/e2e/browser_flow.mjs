// Drives a real page with the tracker in headless Chromium: load, SPA navigation, a custom
// event, an outbound click. Usage: node browser_flow.mjs <page url> <user agent>
// Each step waits, within a deadline, until the tracker's requests to the collector carried
// the events it should have sent by then.
import { launchChromium } from '../../tracker/test/browser.mjs'

const [url, userAgent] = process.argv.slice(2)
const DEADLINE_MS = 15_000

// The names of the events sent to /x/b, by request that was answered or left with a beacon.
const sentNames = (context) => {
  const names = []
  context.on('request', (request) => {
    if (new URL(request.url()).pathname !== '/x/b') return
    const events = JSON.parse(request.postData() || '[]')
    const record = () => names.push(...events.map((e) => e.name))
    // A beacon outlives the page and is never answered to it: it counts once it has left.
    if (request.resourceType() === 'ping') record()
    else request.response().then((response) => response && response.ok() && record())
  })
  return names
}

const until = async (ready, what) => {
  const end = Date.now() + DEADLINE_MS
  while (!ready()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25)) // polling the condition
  }
}

const browser = await launchChromium({ args: [`--user-agent=${userAgent}`] })
try {
  const names = sentNames(browser.context)
  const sent = (...wanted) => () => wanted.every((name) => names.includes(name))
  await browser.withPage(url, async (page) => {
    await until(sent('pageview'), 'the first pageview')
    await page.click('#spa') // engagement for the page left, then the next pageview
    await page.evaluate(() => window.pq('track', 'signup', { plan: 'pro', seats: 3 }))
    await until(sent('engagement', 'signup'), 'the SPA navigation and the custom event')
    await page.click('#outbound') // navigates away: the tracker sends with sendBeacon
    await until(sent('outbound_click'), 'the outbound click')
  })
} finally {
  await browser.close()
}
console.log('flow done')
