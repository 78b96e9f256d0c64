// Drives the official Snowplow and Plausible browser trackers in headless Chromium against a
// running collector, and prints, as one JSON object, every request the pages sent to it:
//   node flows.mjs <collector origin> <user agent> <run marker>
// Each step waits on what the tracker itself reports (Snowplow's request callbacks) or on the
// collector's answers (Plausible), within a deadline; it fails with what went wrong.
import { launchChromium } from '../../../tracker/test/browser.mjs'
import { startSite } from './site.mjs'

const [collector, userAgent, run] = process.argv.slice(2)
const DEADLINE_MS = 15_000

// Snowplow's browser tracker in its default configuration (POST, with credentials), by GET,
// and with anonymous tracking that asks the collector for server-side anonymisation.
const SNOWPLOW_CONFIGS = {
  post: {},
  get: { eventMethod: 'get' },
  anonymous: { anonymousTracking: { withServerAnonymisation: true } },
}

/** Every request the browser makes to the collector, and how each ended. */
const recordTraffic = (context) => {
  const requests = []
  const entries = new Map()
  context.on('request', (request) => {
    if (!request.url().startsWith(`${collector}/`)) return
    const entry = {
      method: request.method(),
      url: request.url(),
      headers: request.headers(),
      body: request.postData(),
      status: null,
      failure: null,
    }
    entries.set(request, entry)
    requests.push(entry)
  })
  context.on('requestfinished', async (request) => {
    const entry = entries.get(request)
    if (entry) entry.status = (await request.response())?.status() ?? null
  })
  context.on('requestfailed', (request) => {
    const entry = entries.get(request)
    if (entry) entry.failure = request.failure()?.errorText ?? 'failed'
  })
  return requests
}

/** Resolve once `ready()` is true; reject with `what` and `state()` past the deadline. */
const until = async (ready, what, state = () => '') => {
  const end = Date.now() + DEADLINE_MS
  while (!(await ready())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} ${state()}`)
    await new Promise((resolve) => setTimeout(resolve, 25)) // polling the condition
  }
}

const answered = (requests, path) =>
  requests.filter((r) => new URL(r.url).pathname === path && r.status >= 200 && r.status < 300)

const snowplowFlow = async (context, site, name, options) => {
  const page = await context.newPage()
  try {
    await page.goto(`${site}/snowplow?config=${name}&run=${run}`)
    await page.evaluate(
      ({ endpoint, options }) => {
        window.report = { delivered: 0, failures: [] }
        snowplow.newTracker('sp', endpoint, {
          appId: 'demo-shop',
          ...options,
          onRequestSuccess: (payloads) => (window.report.delivered += payloads.length),
          onRequestFailure: ({ status, message, willRetry }) =>
            window.report.failures.push({ status, message, willRetry }),
        })
        snowplow.trackPageView()
        snowplow.trackStructEvent({ category: 'video', action: 'play', label: 'intro', value: 3 })
        snowplow.trackSelfDescribingEvent({
          event: {
            schema: 'iglu:com.acme/add_to_cart/jsonschema/1-0-0',
            data: { sku: 'A-1', quantity: 2 },
          },
        })
      },
      { endpoint: collector, options },
    )
    const report = () => page.evaluate(() => window.report)
    await until(
      async () => {
        const { delivered, failures } = await report()
        if (failures.length) throw new Error(`snowplow ${name}: ${JSON.stringify(failures)}`)
        return delivered >= 3
      },
      `snowplow ${name}: the tracker to deliver its 3 events`,
    )
  } finally {
    await page.close()
  }
}

const plausibleFlow = async (context, site, requests) => {
  const page = await context.newPage()
  const sent = (n) => () => answered(requests, '/api/event').length >= n
  const state = () => JSON.stringify(requests.map((r) => [r.url, r.status, r.failure]))
  try {
    await page.goto(`${site}/plausible?run=${run}`) // pageview
    await until(sent(1), 'plausible: the pageview', state)
    await page.mouse.wheel(0, 1500)
    await page.waitForFunction(() => window.scrollY > 0)
    // SPA navigation: the engagement of the page left, then the next pageview
    await page.evaluate((run) => history.pushState({}, '', `/plausible/product/42?run=${run}`), run)
    await until(sent(3), 'plausible: engagement and pageview on SPA navigation', state)
    await page.evaluate(() =>
      PlausibleTracker.track('signup', {
        props: { plan: 'pro' },
        revenue: { amount: 15.99, currency: 'USD' },
      }),
    )
    await until(sent(4), 'plausible: the custom event', state)
    // The visitor switches tabs. Headless Chromium never hides a page, so the page is told
    // it is hidden the way a browser tells it: its visibilityState and a visibilitychange.
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { get: () => 'hidden' })
      document.dispatchEvent(new Event('visibilitychange'))
    })
    await until(sent(5), 'plausible: the engagement of a hidden page', state)
  } finally {
    await page.close()
  }
}

const site = await startSite(collector)
const browser = await launchChromium({ args: [`--user-agent=${userAgent}`] })
try {
  const requests = recordTraffic(browser.context)
  for (const [name, options] of Object.entries(SNOWPLOW_CONFIGS)) {
    await snowplowFlow(browser.context, site.origin, name, options)
  }
  await plausibleFlow(browser.context, site.origin, requests)
  console.log(JSON.stringify({ site: site.origin, requests }))
} finally {
  await browser.close()
  await site.close()
}
