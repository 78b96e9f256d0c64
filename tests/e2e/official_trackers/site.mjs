// A test site on 127.0.0.1 and a free port, another origin than the collector's, as in
// production:
//   GET /snowplow.js, /plausible.js   the bundled official trackers
//   GET /snowplow?...                 a page that loads Snowplow's tracker (the flow calls it)
//   GET /plausible/...                a page that loads Plausible's and calls its init()
//   GET anything else                 a plain page (where a visitor goes when leaving)
import { createServer } from 'node:http'

import { bundleTrackers } from './bundles.mjs'

const TALL = '<div style="height:4000px">content</div>'

const snowplowPage = () => `<!doctype html>
<html><head><meta charset="utf-8"><title>Snowplow shop</title>
<script src="/snowplow.js"></script>
</head><body style="margin:0">${TALL}</body></html>`

// navigator.webdriver is set under automation, and Plausible's script ignores every event
// then unless window.__plausible is set; it ignores 127.0.0.1 unless captureOnLocalhost.
const plausiblePage = (collector) => `<!doctype html>
<html><head><meta charset="utf-8"><title>Plausible shop</title>
<script>window.__plausible = true</script>
<script src="/plausible.js"></script>
<script>
PlausibleTracker.init({
  domain: 'shop.example',
  endpoint: ${JSON.stringify(`${collector}/api/event`)},
  captureOnLocalhost: true,
  logging: false,
})
</script>
</head><body style="margin:0">${TALL}</body></html>`

/** Start the site; returns { origin, close() }. `collector` is the collector's origin. */
export const startSite = async (collector) => {
  const bundles = await bundleTrackers()
  const scripts = { '/snowplow.js': bundles.snowplow, '/plausible.js': bundles.PlausibleTracker }
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://127.0.0.1')
    const send = (type, body) => res.writeHead(200, { 'content-type': type }).end(body)
    if (scripts[pathname]) send('text/javascript', scripts[pathname])
    else if (pathname === '/snowplow') send('text/html', snowplowPage())
    else if (pathname.startsWith('/plausible')) send('text/html', plausiblePage(collector))
    else send('text/html', '<!doctype html><title>elsewhere</title>elsewhere')
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}
