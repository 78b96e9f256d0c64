// Drives a real page with the tracker in headless Chromium: load, SPA navigation, a custom
// event, an outbound click. Usage: node browser_flow.mjs <page url> <user agent>
import { launchChromium } from '../../tracker/test/browser.mjs'

const [url, userAgent] = process.argv.slice(2)
const browser = await launchChromium({ args: [`--user-agent=${userAgent}`] })
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
try {
  await browser.withPage(url, async (page) => {
    await page.waitForFunction(() => typeof window.pq === 'function' && !window.pq.q)
    await pause(1500) // the pageview leaves with the next batch (1 s)
    await page.click('#spa')
    await pause(300)
    await page.evaluate(() => window.pq('track', 'signup', { plan: 'pro', seats: 3 }))
    await pause(1500)
    await page.click('#outbound') // navigates away: the tracker sends with sendBeacon
    await pause(1500)
  })
} finally {
  await browser.close()
}
console.log('flow done')
