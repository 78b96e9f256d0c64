// A test site and a recording stand-in for the collector's /x/b, on 127.0.0.1 and a free port.
//   GET  /page?site=ID&spa=...      a page with the README snippet loading /static/p.js
//   GET  /static/p.js               the built dist/p.js
//   GET  /other                     any other page (an outbound link's target)
//   POST /x/b                       recorded: { site, headers, events }; answers 202
//   OPTIONS anything                recorded as a preflight (there should be none)
// The page is served from 127.0.0.1 and the script from `localhost`, so the collector is
// another origin than the page, as in production.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'

import { ROOT } from '../build.mjs'

const STUB = readFileSync(join(ROOT, 'README.md'), 'utf8').match(/<script>(window\.pq=.*?)<\/script>/)[1]

const page = (origin, params) => {
  const attrs = Object.entries(params)
    .map(([k, v]) => ` data-${k}="${v}"`)
    .join('')
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Test page</title>
<script>${STUB}</script>
<script defer src="${origin}/static/p.js"${attrs}></script>
</head><body style="margin:0">
<div style="height:3000px">
<a id="outbound" href="http://localhost:${new URL(origin).port}/other">partner</a>
<a id="download" href="/files/report.pdf" target="_blank">report</a>
<a id="internal" href="/page">home</a>
</div></body></html>`
}

export const startSiteServer = async () => {
  const received = [] // one entry per POST /x/b
  const preflights = []
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1')
    const cors = { 'access-control-allow-origin': req.headers.origin || '*', vary: 'Origin' }
    if (req.method === 'OPTIONS') {
      preflights.push({ url: req.url, headers: req.headers })
      res.writeHead(204, cors).end()
    } else if (req.method === 'POST' && url.pathname === '/x/b') {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk) => (body += chunk))
      req.on('end', () => {
        const events = JSON.parse(body)
        received.push({ headers: req.headers, events })
        res.writeHead(202, { ...cors, 'content-type': 'application/json' })
        res.end(JSON.stringify({ accepted: events.length, rejected: 0 }))
      })
    } else if (url.pathname === '/static/p.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(join(ROOT, 'dist', 'p.js')))
    } else if (url.pathname === '/page') {
      const origin = `http://localhost:${server.address().port}`
      res.writeHead(200, { 'content-type': 'text/html' }).end(page(origin, Object.fromEntries(url.searchParams)))
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>other</title>elsewhere')
    }
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = server.address().port
  return {
    /** The test page for a site id; more data-* attributes as extra keys. */
    pageUrl: (site, attrs = {}) =>
      `http://127.0.0.1:${port}/page?${new URLSearchParams({ site, ...attrs })}`,
    received,
    preflights,
    /** The events received for a site id, in order of arrival. */
    events: (site) => received.flatMap((r) => r.events).filter((e) => e.site_id === site),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(resolve)
      }),
  }
}
